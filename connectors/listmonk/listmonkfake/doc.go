// Package listmonkfake is an in-process listmonk (v6.1+ REST API) for tests and the demo: it
// keeps subscribers, lists and per-list subscriptions in memory and answers the endpoints
// cohortd's listmonk connector uses with listmonk's own shapes ({"data": ...} on success,
// {"message": "..."} with a 4xx/5xx on failure). SOURCE.md names the documentation and the
// listmonk sources each behaviour follows.
//
// Invariants, each one a behaviour of the real server that the connector's consent rules
// depend on:
//
//   - PUT /api/subscribers/lists with action "add" and no status inserts missing rows as
//     "unconfirmed" and leaves existing rows alone; with a status it overwrites every row's
//     status, unsubscribed ones included (listmonk's add-subscribers-to-lists query). A row
//     moved away from "unsubscribed" is recorded as a ConsentEvent ("resubscribed").
//   - Action "remove" deletes rows whatever their status; deleting an unsubscribed row is a
//     ConsentEvent ("unsubscribed_row_removed"): the record of the opt-out is gone.
//   - POST /api/subscribers with lists and without preconfirm_subscriptions "mails" an opt-in
//     confirmation when a list is double opt-in (ConsentEvent "optin_mail"); with
//     preconfirm_subscriptions the rows are confirmed (ConsentEvent "preconfirmed").
//   - PUT /api/subscribers/{id} replaces the list set (rows not named are deleted); PATCH
//     (listmonk v6.1+) changes only the fields it carries and merges attribs key by key.
//     Options.NoPatch answers PATCH with 405 like a listmonk older than v6.1.
//   - Blocklisting a subscriber marks all its rows unsubscribed, as listmonk does.
//   - per_page is capped at MaxPerPage (50, listmonk's paginator) unless it is "all".
//   - query= accepts only the SQL expressions the connector sends (see query.go); anything
//     else is a 400 "Error preparing subscriber query" and a recorded violation.
//
// A request that does not follow the documented API (unknown JSON field, unknown endpoint,
// wrong method, malformed body) is answered as listmonk would and recorded in Violations();
// tests assert it stays empty. The fake has no rate limit unless Options.RateLimit is set
// (listmonk itself has none; a reverse proxy may): then excess requests get 429 with a
// Retry-After header, counted in Stats().TooMany. A Server is safe for concurrent use.
package listmonkfake
