// Package klaviyofake is an in-process fake of the Klaviyo REST API (JSON:API, revision
// 2026-07-15) for cohortd's tests, benchmarks and demo: the profile, list, list-membership,
// bulk profile import, data-privacy deletion and status endpoints the Klaviyo connector uses.
//
// # Invariants
//
//   - Every request is checked against the real OpenAPI document (testdata/openapi-stable.json,
//     embedded) with kin-openapi before it is handled; an invalid one gets Klaviyo's 400
//     JSON:API error shape and is recorded as a violation. Every response the fake produces is
//     validated too, and a response that does not match the document is a violation: tests
//     assert Violations() is empty.
//   - Limits are the published ones: each operation's burst (1 s) and steady (1 min) windows
//     (and daily where published), fixed windows per account as Klaviyo documents, answered
//     with 429, Retry-After and the JSON:API "throttled" error; at most 1000 profile ids per
//     list relationship call, 100 per page of profiles, 10 per page of lists, 10,000 profiles
//     per bulk import job.
//   - Consent is state the connector must never change: profile import and bulk import never
//     touch subscriptions; only the subscription/suppression job endpoints do, and every call
//     to them is counted in Stats.ConsentWrites so tests can assert it stays 0. Writes that
//     touch a suppressed profile are counted in Stats.WritesToSuppressed.
//   - State is guarded by one mutex; the fake is safe for concurrent requests and for test
//     helpers called while requests are in flight.
//
// The fake never imports testing: the demo uses it from non-test code.
package klaviyofake
