package listmonk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// item is one change on its way through Apply.
type item struct {
	ch     email.Change
	addr   string      // normalised address
	sub    *subscriber // nil: absent at the platform
	status email.Status
	msg    string
	err    error
	done   bool // outcome decided, nothing more to write

	adds, removes []int          // list ids to add / remove
	attribs       map[string]any // attribs for PATCH when patch is set
	patch         bool
}

func (it *item) fail(err error) {
	if it.err == nil {
		it.err = err
	}
	it.done = true
}

// Apply applies changes and returns one Outcome per change, in order.
//
// Per batch: one lookup per LookupSize addresses (status and memberships of everyone,
// read before any write); a suppressed address (blocklisted, or unsubscribed from any list)
// gets nothing written and its status in the Outcome. Then, for the others: one POST per
// address listmonk does not have yet (no lists, no preconfirmation), one PATCH per
// subscriber whose attribs change, and one PUT /api/subscribers/lists per list and action
// (add without a status / remove) for up to MembershipChunk subscribers, skipping rows that
// already are as wanted. A replay therefore costs only the lookups.
//
// An address that appears twice in the batch is applied in order: the second change in a
// second pass after the first has been written.
func (c *Client) Apply(ctx context.Context, changes []email.Change) []email.Outcome {
	out := make([]email.Outcome, len(changes))
	pending := make([]int, len(changes))
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 {
		seen := map[string]bool{}
		var pass, later []int
		for _, i := range pending {
			a := normAddress(changes[i].Email)
			if seen[a] {
				later = append(later, i)
				continue
			}
			seen[a] = true
			pass = append(pass, i)
		}
		items := make([]*item, len(pass))
		for k, i := range pass {
			items[k] = &item{ch: changes[i], addr: normAddress(changes[i].Email)}
		}
		c.applyPass(ctx, items)
		for k, i := range pass {
			it := items[k]
			out[i] = email.Outcome{Err: it.err, Status: it.status, Message: it.msg}
		}
		pending = later
	}
	return out
}

func (c *Client) applyPass(ctx context.Context, items []*item) {
	defer func() {
		for _, it := range items {
			it.err = outcomeErr(it.err)
		}
	}()
	// 1. Addresses that cannot be sent anywhere.
	var live []*item
	for _, it := range items {
		if err := validAddress(it.ch.Email); err != nil {
			it.fail(email.Permanent(err))
			continue
		}
		live = append(live, it)
	}

	// 2. Read before write: status and memberships of every address.
	addrs := make([]string, len(live))
	for i, it := range live {
		addrs[i] = it.addr
	}
	found, lookupErrs := c.lookup(ctx, addrs)
	live = c.classify(live, found, lookupErrs)

	// 3. Lists: resolve the names still needed; create missing ones when allowed.
	lists, ok := c.listsFor(ctx, live)
	if !ok {
		return
	}

	// 4. Plan each change; create the addresses listmonk does not have.
	var creates []*item
	for _, it := range live {
		if it.done {
			continue
		}
		if !c.plan(it, lists) {
			continue
		}
		if it.sub == nil && (len(it.adds) > 0 || it.patch) {
			creates = append(creates, it)
		}
	}
	c.createAll(ctx, creates, lists)

	// 5. Attribs, then memberships.
	c.patchAll(ctx, live)
	c.membershipsAll(ctx, live)
}

// classify records each address's status; suppressed ones are done.
func (c *Client) classify(items []*item, found map[string]*subscriber, errs map[string]error) []*item {
	for _, it := range items {
		if err, failed := errs[it.addr]; failed {
			it.fail(err)
			continue
		}
		it.sub = found[it.addr]
		it.status, it.msg = statusOf(it.sub)
		if it.status.Suppressed() {
			it.done = true
			c.log.Debug().Str("profile", it.ch.ProfileID).Str("email", logging.MaskEmail(it.addr)).
				Str("status", string(it.status)).Msg("suppressed at listmonk; nothing written")
		}
	}
	return items
}

// listsFor resolves every list name the remaining changes name. A failure to read or
// create lists fails every remaining change; a missing list (CreateLists off) fails only
// the changes adding to it. It reports false when nothing is left to do.
func (c *Client) listsFor(ctx context.Context, items []*item) (map[string]listInfo, bool) {
	addNames, allNames := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		if it.done {
			continue
		}
		for _, n := range it.ch.Add {
			addNames[n], allNames[n] = true, true
		}
		for _, n := range it.ch.Remove {
			allNames[n] = true
		}
	}
	names := make([]string, 0, len(allNames))
	for n := range allNames {
		names = append(names, n)
	}
	sort.Strings(names)
	lists, missing, err := c.resolveLists(ctx, names, c.opts.CreateLists && len(addNames) > 0)
	if err != nil {
		for _, it := range items {
			if !it.done {
				it.fail(err)
			}
		}
		return nil, false
	}
	for _, n := range missing {
		if !addNames[n] {
			continue // removing from a list that does not exist: nothing to do
		}
		err := email.Permanent(fmt.Errorf("listmonk: list %q does not exist (create_lists is off)", n))
		for _, it := range items {
			if !it.done && contains(it.ch.Add, n) {
				it.fail(err)
			}
		}
	}
	return lists, true
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// plan works out what to write for one change: the lists to add (rows it does not have) and
// remove (rows it has; never unsubscribed ones: such an address is suppressed already) and
// the attribs. It reports false when the change is refused.
func (c *Client) plan(it *item, lists map[string]listInfo) bool {
	have := map[int]string{}
	var current map[string]any
	if it.sub != nil {
		for _, r := range it.sub.Lists {
			have[r.ID] = r.SubscriptionStatus
		}
		current = it.sub.Attribs
	}
	seen := map[int]bool{}
	for _, n := range it.ch.Add {
		l, ok := lists[n]
		if !ok || seen[l.ID] {
			continue
		}
		seen[l.ID] = true
		if _, member := have[l.ID]; member {
			continue
		}
		// listmonk mails unconfirmed members of a single opt-in list: without recorded
		// consent, adding someone there would make them a marketing recipient.
		if l.Optin != "double" && !it.ch.Consent {
			it.fail(email.Permanent(fmt.Errorf("listmonk: list %q is single opt-in: a contact without recorded marketing consent is not added (listmonk mails unconfirmed members of single opt-in lists)", n)))
			return false
		}
		it.adds = append(it.adds, l.ID)
	}
	for _, n := range it.ch.Remove {
		l, ok := lists[n]
		if !ok || seen[l.ID] {
			continue
		}
		seen[l.ID] = true
		if st, member := have[l.ID]; member && st != rowUnsubscribed {
			it.removes = append(it.removes, l.ID)
		}
	}
	if next, changed := nextAttribs(c.opts.AttribsKey, current, it.ch.Props); changed {
		it.attribs, it.patch = next, true
	}
	return true
}

// createAll creates the absent subscribers (POST /api/subscribers, in parallel). The
// subscriber is created enabled, with its name and attribs and without lists: memberships
// follow in the bulk calls, which send no opt-in mail. A 409 (created meanwhile) reads the
// address again and goes on with what is there, suppression included.
func (c *Client) createAll(ctx context.Context, creates []*item, lists map[string]listInfo) {
	parallel(len(creates), c.opts.MaxConcurrency, func(i int) {
		it := creates[i]
		body := createSubscriberBody{Email: strings.TrimSpace(it.ch.Email), Name: displayName(it.ch), Status: subEnabled}
		if it.patch {
			body.Attribs = it.attribs
		}
		var created subscriber
		err := c.do(ctx, "POST", "/api/subscribers", nil, body, &created)
		switch {
		case err == nil:
			it.sub = &subscriber{ID: created.ID, Email: body.Email, Attribs: body.Attribs}
			it.patch = false
		case isStatus(err, 409):
			sub, lerr := c.lookupOne(ctx, it.addr)
			if lerr != nil || sub == nil {
				it.fail(fmt.Errorf("listmonk: create subscriber %s: %w", logging.MaskEmail(it.addr), err))
				return
			}
			it.sub = sub
			it.status, it.msg = statusOf(sub)
			if it.status.Suppressed() {
				it.adds, it.removes, it.patch, it.done = nil, nil, false, true
				return
			}
			it.adds, it.removes, it.patch = nil, nil, false
			c.plan(it, lists)
		default:
			it.fail(fmt.Errorf("listmonk: create subscriber %s: %w", logging.MaskEmail(it.addr), err))
		}
	})
}

// displayName is the subscriber's name: first and last name, else the address's local
// part (what listmonk itself derives when a form sends no name).
func displayName(ch email.Change) string {
	if n := strings.TrimSpace(strings.TrimSpace(ch.FirstName) + " " + strings.TrimSpace(ch.LastName)); n != "" {
		return n
	}
	e := strings.TrimSpace(ch.Email)
	return e[:strings.LastIndexByte(e, '@')]
}

// patchAll writes changed attribs (PATCH /api/subscribers/{id}, in parallel). A server
// without PATCH (listmonk < v6.1) gets no attribs at all: PUT would replace the list set
// and re-subscribe unsubscribed rows, so properties are skipped (logged once) and
// memberships still applied.
func (c *Client) patchAll(ctx context.Context, items []*item) {
	var todo []*item
	for _, it := range items {
		if !it.done && it.patch && it.sub != nil {
			todo = append(todo, it)
		}
	}
	parallel(len(todo), c.opts.MaxConcurrency, func(i int) {
		it := todo[i]
		if c.noPatch.Load() {
			return
		}
		path := "/api/subscribers/" + strconv.Itoa(it.sub.ID)
		err := c.do(ctx, "PATCH", path, nil, patchSubscriberBody{Attribs: it.attribs}, nil)
		switch {
		case err == nil:
		case unknownEndpoint(err):
			if c.noPatch.CompareAndSwap(false, true) {
				c.log.Warn().Msg("listmonk has no PATCH /api/subscribers/{id} (needs v6.1.0+): properties are not written")
			}
		case isStatus(err, 404):
			// Deleted since the lookup: not a refusal of the change; the retry reads again.
			it.fail(fmt.Errorf("listmonk: subscriber %d disappeared before its attribs were written; retry", it.sub.ID))
		default:
			it.fail(fmt.Errorf("listmonk: update attribs of subscriber %d: %w", it.sub.ID, err))
		}
	})
}

// membershipCall is one PUT /api/subscribers/lists.
type membershipCall struct {
	action string
	list   int
	items  []*item
}

// membershipsAll groups the adds and removes by list and sends them in chunks, in parallel.
// A failed call fails every change that had a subscriber in it.
func (c *Client) membershipsAll(ctx context.Context, items []*item) {
	byList := map[string]map[int][]*item{"add": {}, "remove": {}}
	for _, it := range items {
		if it.done || it.sub == nil {
			continue
		}
		for _, l := range it.adds {
			byList["add"][l] = append(byList["add"][l], it)
		}
		for _, l := range it.removes {
			byList["remove"][l] = append(byList["remove"][l], it)
		}
	}
	var calls []membershipCall
	for _, action := range []string{"add", "remove"} {
		ids := make([]int, 0, len(byList[action]))
		for l := range byList[action] {
			ids = append(ids, l)
		}
		sort.Ints(ids)
		for _, l := range ids {
			its := byList[action][l]
			sort.Slice(its, func(i, j int) bool { return its[i].sub.ID < its[j].sub.ID })
			for from := 0; from < len(its); from += c.opts.MembershipChunk {
				calls = append(calls, membershipCall{action: action, list: l, items: its[from:min(from+c.opts.MembershipChunk, len(its))]})
			}
		}
	}
	var mu sync.Mutex
	parallel(len(calls), c.opts.MaxConcurrency, func(i int) {
		call := calls[i]
		body := manageListsBody{Action: call.action, TargetListIDs: []int{call.list}, IDs: make([]int, len(call.items))}
		for k, it := range call.items {
			body.IDs[k] = it.sub.ID
		}
		err := c.do(ctx, "PUT", "/api/subscribers/lists", nil, body, nil)
		if err == nil {
			return
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.Status >= 500 {
			c.lists.invalidate() // a list may have been deleted under us
		}
		err = fmt.Errorf("listmonk: %s %d subscribers on list %d: %w", call.action, len(call.items), call.list, err)
		mu.Lock()
		defer mu.Unlock()
		for _, it := range call.items {
			if it.err == nil {
				it.err = err
			}
		}
	})
}
