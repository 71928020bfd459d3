// Package tagpush plans the segment tags of a platform store's customers: for every customer
// record of the store linked to a profile, the tags cohortd wants on it (one per segment of the
// profile, inside the configured prefix), against what the store is known to have from
// earlier pushes. A merged profile with several customers of one store gives each of them the
// same tags.
//
// Invariants:
//   - Only tags inside the prefix are ever planned: a Change never names a merchant's tag, so
//     a destination that applies Changes with add/remove operations (Shopify tagsAdd and
//     tagsRemove) cannot touch the merchant's tags.
//   - Diff-only: a customer whose wanted tags equal the applied ones gets no Change, so a
//     recompute that changes nothing plans nothing, and the echo of our own write (a
//     customers/update webhook) plans nothing either.
//   - Applied state ("tags/<store>/<customer id>" in the applied_state bucket) is written only
//     after the platform accepted the change (Apply, called by the outbox in the transaction
//     that removes the delivered item).
package tagpush

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
)

// appliedPrefix keys what a store's customer is known to carry: tags/<store>/<customer id>.
const appliedPrefix = "tags/"

// Change is the tag difference for one platform customer.
type Change struct {
	Store      string   `cbor:"1,keyasint" json:"store"`
	CustomerID string   `cbor:"2,keyasint" json:"customer_id"`
	Add        []string `cbor:"3,keyasint,omitempty" json:"add,omitempty"`
	Remove     []string `cbor:"4,keyasint,omitempty" json:"remove,omitempty"`
	// Want is every tag of ours the customer should carry once the change is applied.
	Want []string `cbor:"5,keyasint,omitempty" json:"want,omitempty"`
}

// Key is the change's outbox key: one pending change per customer.
func (c Change) Key() string { return "customer/" + c.CustomerID }

// Plan is the tag diff of one store.
type Plan struct {
	Store string
	// Changes, in customer id order, share their tag lists (with each other, and Add with
	// Want): read them, never modify them.
	Changes   []Change
	Customers int // customer records of the store linked to a profile
	Adds      int // tags to add, over all changes
	Removes   int
}

// TagNames maps segment names to tags: a custom segment's configured tag, else the prefix
// and the segment name.
func TagNames(cfg *config.Config) func(segment string) string {
	custom := map[string]string{}
	for _, c := range cfg.Segments.Custom {
		custom[c.Name] = c.Tag
	}
	prefix := cfg.Tags.Prefix
	return func(s string) string {
		if t, ok := custom[s]; ok && t != "" {
			return t
		}
		return prefix + s
	}
}

// Compute plans the tag changes of store storeID from the stored memberships, profiles and
// applied state, read in one transaction (see read.go).
func Compute(st *store.Store, cfg *config.Config, storeID string) (*Plan, error) {
	var plan *Plan
	err := st.View(func(tx *store.Tx) error {
		pages := newPageReleaser(tx)
		members, err := readMemberships(tx, newTagLists(TagNames(cfg)), pages)
		if err != nil {
			return err
		}
		wanted, err := wantedTags(tx, storeID, members, pages)
		if err != nil {
			return err
		}
		plan, err = diffApplied(tx, storeID, wanted)
		return err
	})
	_ = st.ReleaseMappedPages() // every profile's page was mapped in (advisory)
	if err != nil {
		return nil, fmt.Errorf("tagpush: %s: %w", storeID, err)
	}
	return plan, nil
}

// diffApplied plans the changes from what the store's customers are known to carry to wanted
// (sorted by customer id), walking both in customer id order: the plan comes out in it.
func diffApplied(tx *store.Tx, storeID string, wanted []customerTags) (*Plan, error) {
	plan := &Plan{Store: storeID, Customers: len(wanted)}
	prefix := []byte(appliedPrefix + storeID + "/")
	lists := appliedLists{}
	next := 0 // wanted[:next] are planned
	err := tx.ForEachPrefix(store.Applied, prefix, func(k, v []byte) error {
		id := k[len(prefix):]
		for ; next < len(wanted) && wanted[next].id < string(id); next++ {
			plan.change(wanted[next].id, nil, wanted[next].tags)
		}
		had, err := lists.decode(v)
		if err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		if next < len(wanted) && wanted[next].id == string(id) {
			plan.change(wanted[next].id, had, wanted[next].tags)
			next++
			return nil
		}
		// No longer linked to any profile (deleted, redacted, unmerged into nothing): take
		// our tags off.
		plan.change(string(id), had, nil)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("applied state: %w", err)
	}
	for ; next < len(wanted); next++ {
		plan.change(wanted[next].id, nil, wanted[next].tags)
	}
	return plan, nil
}

// change adds the change of one customer from the tags it has to those it should carry, if
// they differ.
func (p *Plan) change(customerID string, have, want []string) {
	add, remove := diff(have, want)
	if len(add)+len(remove) == 0 {
		return
	}
	p.Changes = append(p.Changes, Change{Store: p.Store, CustomerID: customerID, Add: add, Remove: remove, Want: want})
	p.Adds += len(add)
	p.Removes += len(remove)
}

// ApplyDelivered is the outbox's OnApplied for tag changes (Shopify tags, WooCommerce meta):
// it records, in the delivery's transaction, what each delivered item (a codec-encoded
// Change) set.
func ApplyDelivered(tx *store.Tx, delivered []outbox.Item) error {
	for _, it := range delivered {
		var c Change
		if err := codec.Unmarshal(it.Payload, &c); err != nil {
			return fmt.Errorf("decode %s: %w", it.Key, err)
		}
		if err := Apply(tx, c); err != nil {
			return err
		}
	}
	return nil
}

// AppliedOne returns the tags one customer of the store is known to carry (nil if none).
func AppliedOne(st *store.Store, storeID, customerID string) ([]string, error) {
	var tags []string
	err := st.GetValue(store.Applied, []byte(appliedPrefix+storeID+"/"+customerID), &tags)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tagpush: %s/%s: %w", storeID, customerID, err)
	}
	return tags, nil
}

// Applied returns the tags each customer of the store is known to carry.
func Applied(st *store.Store, storeID string) (map[string][]string, error) {
	out := map[string][]string{}
	prefix := []byte(appliedPrefix + storeID + "/")
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Applied, prefix, func(k, v []byte) error {
			var tags []string
			if err := codec.Unmarshal(v, &tags); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out[string(k[len(prefix):])] = tags
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("tagpush: applied state of %s: %w", storeID, err)
	}
	return out, nil
}

// Apply records, inside tx, that the store accepted c: the customer now carries c.Want.
func Apply(tx *store.Tx, c Change) error {
	key := []byte(appliedPrefix + c.Store + "/" + c.CustomerID)
	if len(c.Want) == 0 {
		return tx.Delete(store.Applied, key)
	}
	return tx.PutValue(store.Applied, key, c.Want)
}

// Forget drops the applied state of a store (shop/redact) or of one customer (id != "").
func Forget(tx *store.Tx, storeID, customerID string) error {
	if customerID != "" {
		return tx.Delete(store.Applied, []byte(appliedPrefix+storeID+"/"+customerID))
	}
	var keys [][]byte
	if err := tx.ForEachPrefix(store.Applied, []byte(appliedPrefix+storeID+"/"), func(k, _ []byte) error {
		keys = append(keys, slices.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(store.Applied, k); err != nil {
			return err
		}
	}
	return nil
}

// IsOurs reports whether tag is inside the prefix (case-insensitively, as Shopify compares
// tags).
func IsOurs(prefix, tag string) bool {
	return len(tag) >= len(prefix) && strings.EqualFold(tag[:len(prefix)], prefix)
}

// diff returns the tags of want that have lacks and those of have that want lacks, each in
// its list's order. When have is empty, add is want itself (plans share tag lists).
func diff(have, want []string) (add, remove []string) {
	if len(have) == 0 {
		if len(want) == 0 {
			return nil, nil
		}
		return want, nil
	}
	for _, t := range want {
		if !slices.Contains(have, t) {
			add = append(add, t)
		}
	}
	for _, t := range have {
		if !slices.Contains(want, t) {
			remove = append(remove, t)
		}
	}
	return add, remove
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
