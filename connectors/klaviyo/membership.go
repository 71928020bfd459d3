package klaviyo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
)

// maxRelationship is the most profile ids one list relationship call accepts.
const maxRelationship = 1000

// relCall is one add or remove call: a list and up to 1000 contacts.
type relCall struct {
	name, listID string
	add          bool
	contacts     []*contact
}

// planMembership groups the contacts' list changes into calls: per list, additions and
// removals, each cut into chunks of 1000 profile ids. Contacts with an error, a suppressed
// status or no profile id are left out (a removal for a contact Klaviyo does not have has
// nothing to remove).
func planMembership(cts []*contact, ids map[string]string) []relCall {
	type key struct {
		name string
		add  bool
	}
	groups := map[key][]*contact{}
	for _, ct := range cts {
		if ct.err != nil || ct.st.status.Suppressed() || ct.id == "" {
			continue
		}
		for name, add := range ct.lists {
			if _, ok := ids[name]; ok {
				groups[key{name, add}] = append(groups[key{name, add}], ct)
			}
		}
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].add && !keys[j].add
	})
	var calls []relCall
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool { return g[i].id < g[j].id })
		for _, chunk := range chunkContacts(g, maxRelationship) {
			calls = append(calls, relCall{name: k.name, listID: ids[k.name], add: k.add, contacts: chunk})
		}
	}
	return calls
}

// applyMembership makes the calls; a failed call fails every contact in it.
func (c *Client) applyMembership(ctx context.Context, calls []relCall) {
	c.parallel(len(calls), func(i int) {
		call := calls[i]
		data := make([]resourceID, len(call.contacts))
		for k, ct := range call.contacts {
			data[k] = resourceID{Type: "profile", ID: ct.id}
		}
		op, method, verb := opAddToList, http.MethodPost, "add to"
		if !call.add {
			op, method, verb = opRemoveFromList, http.MethodDelete, "remove from"
		}
		err := c.do(ctx, request{op: op, method: method, path: "/api/lists/" + url.PathEscape(call.listID) + "/relationships/profiles",
			body: map[string]any{"data": data}}, nil)
		if err == nil {
			return
		}
		if statusOf(err) == http.StatusNotFound {
			// The list was deleted at Klaviyo: forget it so the retry resolves (or creates)
			// it again, and report a transient failure.
			c.forgetList(call.name)
			err = fmt.Errorf("list %q (%s) no longer exists at Klaviyo: %w", call.name, call.listID, err)
		} else {
			err = classify(err)
		}
		for _, ct := range call.contacts {
			if ct.err == nil {
				ct.err = fmt.Errorf("%s list %q (%d profiles): %w", verb, call.name, len(call.contacts), err)
			}
		}
	})
}
