package woofake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Meta is one meta_data entry of a customer. On input, ID 0 means "by key"; a nil Value
// deletes the entry (WC_Data::update_meta_data followed by save_meta_data).
type Meta struct {
	ID    uint64
	Key   string
	Value any
}

// metaInput is one requested meta write with its value still encoded.
type metaInput struct {
	id    uint64
	key   string
	value json.RawMessage // "null" or empty deletes
}

// customerChange is what a write to a customer may change.
type customerChange struct {
	email, firstName, lastName *string
	billing, shipping          map[string]string // fields to set, by JSON name
	meta                       []metaInput
}

var billingFields = []string{"first_name", "last_name", "company", "address_1", "address_2", "city", "postcode", "country", "state", "email", "phone"}

// applyCustomerChange rewrites c's JSON with the change and bumps date_modified; callers
// hold f.mu. It returns the meta keys it dropped because they start with "_" (WooCommerce
// accepts the request and silently ignores them).
func (f *Fake) applyCustomerChange(c *customerRec, ch customerChange, now time.Time) ([]string, error) {
	set := map[string][]byte{}
	if ch.email != nil {
		set["email"] = quoteJSON(*ch.email)
	}
	if ch.firstName != nil {
		set["first_name"] = quoteJSON(*ch.firstName)
	}
	if ch.lastName != nil {
		set["last_name"] = quoteJSON(*ch.lastName)
	}
	for name, fields := range map[string]map[string]string{"billing": ch.billing, "shipping": ch.shipping} {
		if len(fields) == 0 {
			continue
		}
		cur, _ := getMember(c.raw, name)
		if len(cur) == 0 {
			cur = []byte("{}")
		}
		patch := map[string][]byte{}
		for k, v := range fields {
			if name == "shipping" && k == "email" {
				continue
			}
			if contains(billingFields, k) {
				patch[k] = quoteJSON(v)
			}
		}
		nb, err := setMembers(cur, patch)
		if err != nil {
			return nil, fmt.Errorf("customer %d %s: %w", c.id, name, err)
		}
		set[name] = nb
	}
	var dropped []string
	if len(ch.meta) > 0 {
		cur, _ := getMember(c.raw, "meta_data")
		var entries []metaJSON
		if len(cur) > 2 {
			if err := json.Unmarshal(cur, &entries); err != nil {
				return nil, fmt.Errorf("customer %d meta_data: %w", c.id, err)
			}
		}
		var ok []metaInput
		for _, m := range ch.meta {
			if strings.HasPrefix(m.key, "_") {
				dropped = append(dropped, m.key)
				continue
			}
			ok = append(ok, m)
		}
		entries = f.updateMeta(entries, ok)
		if entries == nil {
			entries = []metaJSON{}
		}
		set["meta_data"] = marshalJSON(entries)
	}
	set["date_modified"] = quoteJSON(f.localTime(now))
	set["date_modified_gmt"] = quoteJSON(gmtTime(now))
	raw, err := setMembers(c.raw, set)
	if err != nil {
		return nil, fmt.Errorf("customer %d: %w", c.id, err)
	}
	c.raw = raw
	if ch.email != nil {
		c.email = *ch.email
	}
	c.modified = now.Unix()
	f.data.changed()
	return dropped, nil
}

// updateMeta applies WC_Data::update_meta_data for each input, then drops entries whose
// value became null (save_meta_data deletes them).
func (f *Fake) updateMeta(entries []metaJSON, in []metaInput) []metaJSON {
	type slot struct {
		e       metaJSON
		deleted bool
	}
	slots := make([]slot, len(entries))
	for i, e := range entries {
		slots[i] = slot{e: e}
	}
	isNull := func(v json.RawMessage) bool {
		return len(bytes.TrimSpace(v)) == 0 || string(bytes.TrimSpace(v)) == "null"
	}
	for _, m := range in {
		at := -1
		if m.id != 0 {
			for i := range slots {
				if !slots[i].deleted && slots[i].e.ID == m.id {
					at = i
					break
				}
			}
		} else {
			for i := range slots {
				if slots[i].deleted || slots[i].e.Key != m.key {
					continue
				}
				if at < 0 {
					at = i
				} else {
					slots[i].deleted = true // other entries with the key are removed
				}
			}
		}
		if at >= 0 {
			slots[at].e.Key = m.key
			slots[at].e.Value = m.value
			slots[at].deleted = isNull(m.value)
			continue
		}
		if isNull(m.value) {
			continue
		}
		slots = append(slots, slot{e: metaJSON{ID: f.data.nextMetaID, Key: m.key, Value: m.value}})
		f.data.nextMetaID++
	}
	var out []metaJSON
	for _, s := range slots {
		if !s.deleted {
			out = append(out, s.e)
		}
	}
	return out
}

// metaInputs converts Go-API meta to encoded inputs.
func metaInputs(ms []Meta) ([]metaInput, error) {
	out := make([]metaInput, 0, len(ms))
	for _, m := range ms {
		v := json.RawMessage("null")
		if m.Value != nil {
			b, err := json.Marshal(m.Value)
			if err != nil {
				return nil, fmt.Errorf("meta %q: %w", m.Key, err)
			}
			v = b
		}
		out = append(out, metaInput{id: m.ID, key: m.Key, value: v})
	}
	return out, nil
}
