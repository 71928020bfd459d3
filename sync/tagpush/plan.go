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
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
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
	Store     string
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
// applied state.
func Compute(st *store.Store, cfg *config.Config, storeID string) (*Plan, error) {
	members, err := segmenter.Memberships(st)
	if err != nil {
		return nil, fmt.Errorf("tagpush: %s: %w", storeID, err)
	}
	sources, err := segmenter.SourceKeys(st)
	if err != nil {
		return nil, fmt.Errorf("tagpush: %s: %w", storeID, err)
	}
	applied, err := Applied(st, storeID)
	if err != nil {
		return nil, err
	}
	tagOf := TagNames(cfg)
	prefix := storeID + "/" + profiles.KindCustomer + "/"
	want := map[string][]string{} // customer id -> tags
	for pid, keys := range sources {
		var tags []string
		for _, s := range members[pid] {
			tags = append(tags, tagOf(s))
		}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		for _, k := range keys {
			if id, ok := strings.CutPrefix(k, prefix); ok {
				if prev, dup := want[id]; dup { // one customer in two profiles cannot happen; be safe
					tags = union(prev, tags)
				}
				want[id] = tags
			}
		}
	}
	plan := &Plan{Store: storeID, Customers: len(want)}
	for id, tags := range want {
		add, remove := diff(applied[id], tags)
		if len(add)+len(remove) == 0 {
			continue
		}
		plan.Changes = append(plan.Changes, Change{Store: storeID, CustomerID: id, Add: add, Remove: remove, Want: tags})
		plan.Adds += len(add)
		plan.Removes += len(remove)
	}
	// Customers no longer linked to any profile (deleted, redacted, unmerged into nothing):
	// take our tags off.
	for id, had := range applied {
		if _, ok := want[id]; ok || len(had) == 0 {
			continue
		}
		plan.Changes = append(plan.Changes, Change{Store: storeID, CustomerID: id, Remove: had})
		plan.Removes += len(had)
	}
	slices.SortFunc(plan.Changes, func(a, b Change) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return plan, nil
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

func diff(have, want []string) (add, remove []string) {
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
