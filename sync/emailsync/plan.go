package emailsync

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// Plan is what one destination must be told now: one change per address.
type Plan struct {
	Destination string `json:"destination"`
	Kind        string `json:"kind"`
	Audience    string `json:"audience"`
	// Names are the remote tag or list names of the segments the destination receives.
	Names   []string       `json:"names"`
	Changes []Entry        `json:"changes"`
	Adds    map[string]int `json:"adds"` // per remote name
	Removes map[string]int `json:"removes"`
	// PropUpdates counts changes that carry properties.
	PropUpdates int `json:"property_updates"`
	// Skipped counts profiles left out: no valid address, or no marketing consent for
	// audience "subscribers".
	SkippedNoEmail   int `json:"skipped_no_email"`
	SkippedNoConsent int `json:"skipped_no_consent"`
	// Suppressed counts addresses with a change held back because the destination suppresses
	// them.
	Suppressed int `json:"suppressed"`
}

// Entry is one planned change with its outbox key and the state it leads to.
type Entry struct {
	Key    string       `json:"key"`
	Change email.Change `json:"change"`
	// Want is every remote name the address should carry after the change (sorted); Props
	// every property value. Recorded as the applied state once delivered.
	Want  []string          `json:"want,omitempty"`
	Props map[string]string `json:"-"`
}

// desired is what one address should carry.
type desired struct {
	profile string
	email   string
	first   string
	last    string
	consent bool
	names   []string
	props   map[string]string
}

// Compute plans destination dest from the stored memberships, profiles, applied state and
// suppressions, without changing anything.
func Compute(st *store.Store, cfg *config.Config, dest config.Destination) (*Plan, error) {
	var plan *Plan
	err := st.View(func(tx *store.Tx) error {
		var err error
		plan, err = ComputeTx(tx, cfg, dest)
		return err
	})
	return plan, err
}

// ComputeTx is Compute inside tx.
func ComputeTx(tx *store.Tx, cfg *config.Config, dest config.Destination) (*Plan, error) {
	nameOf := tagpush.TagNames(cfg)
	plan := &Plan{Destination: dest.ID, Kind: dest.Kind, Audience: dest.Audience,
		Adds: map[string]int{}, Removes: map[string]int{}}
	names := map[string]bool{}
	want := map[string]*desired{} // by address hash
	err := segmenter.ForEachRecord(tx, func(id string, r segmenter.Record) error {
		var ns []string
		for _, s := range r.Segments {
			if segmenter.Wants(cfg, dest, s) {
				n := nameOf(s)
				ns = append(ns, n)
				names[n] = true
			}
		}
		if len(ns) == 0 {
			return nil
		}
		var p profiles.Profile
		if err := tx.GetValue(store.Profiles, []byte(id), &p); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // memberships of a profile being rebuilt away
			}
			return fmt.Errorf("read profile %s: %w", id, err)
		}
		addr := primaryEmail(&p)
		if addr == "" {
			plan.SkippedNoEmail++
			return nil
		}
		consent := marketingConsent(&p)
		if dest.Audience != config.AudienceAll && !consent {
			plan.SkippedNoConsent++
			return nil
		}
		h := AddressHash(addr)
		d, dup := want[h]
		if !dup {
			d = &desired{profile: id, email: addr, first: p.FirstName, last: p.LastName, consent: consent,
				props: properties(r.Props, dest.Properties)}
			want[h] = d
		} else {
			// Two profiles with one address (kept apart by an unmerge): the contact carries
			// both profiles' memberships; consent only if both have it.
			d.consent = d.consent && consent
		}
		d.names = append(d.names, ns...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("emailsync: %s: plan: %w", dest.ID, err)
	}
	applied, err := appliedContacts(tx, dest.ID)
	if err != nil {
		return nil, fmt.Errorf("emailsync: %s: plan: %w", dest.ID, err)
	}
	hashes := slices.Collect(maps.Keys(want))
	for h := range applied {
		if _, ok := want[h]; !ok {
			hashes = append(hashes, h)
		}
	}
	slices.Sort(hashes)
	for _, h := range hashes {
		d, told := want[h], applied[h]
		if d == nil {
			d = &desired{profile: told.ProfileID, email: told.Email}
		}
		slices.Sort(d.names)
		d.names = slices.Compact(d.names)
		add, remove := diffNames(told.Names, d.names)
		propsChanged := len(d.names) > 0 && !maps.Equal(told.Props, d.props)
		if len(add)+len(remove) == 0 && !propsChanged {
			continue
		}
		if _, sup, err := Suppressed(tx, dest.ID, d.email); err != nil {
			return nil, err
		} else if sup {
			plan.Suppressed++
			continue
		}
		c := email.Change{ProfileID: d.profile, Email: d.email, FirstName: d.first, LastName: d.last,
			Consent: d.consent, Add: add, Remove: remove}
		if propsChanged {
			c.Props = d.props
			plan.PropUpdates++
		}
		plan.Changes = append(plan.Changes, Entry{Key: "c/" + h, Change: c, Want: d.names, Props: d.props})
		for _, n := range add {
			plan.Adds[n]++
		}
		for _, n := range remove {
			plan.Removes[n]++
		}
	}
	plan.Names = slices.Sorted(maps.Keys(names))
	return plan, nil
}

// primaryEmail is the profile's first valid address, or "".
func primaryEmail(p *profiles.Profile) string {
	for _, e := range p.Emails {
		if e.Address != "" && !strings.Contains(e.Flags, "invalid") {
			return e.Address
		}
	}
	return ""
}

// marketingConsent reports whether the store recorded marketing consent: the most recent
// consent any linked source reported is "subscribed" (an unsubscribe anywhere later wins).
func marketingConsent(p *profiles.Profile) bool {
	var (
		latest time.Time
		state  string
	)
	for _, src := range slices.Sorted(maps.Keys(p.Consent)) {
		c := p.Consent[src]
		if c.State == "" {
			continue
		}
		if state == "" || c.UpdatedAt.After(latest) || (c.UpdatedAt.Equal(latest) && c.State != "subscribed") {
			latest, state = c.UpdatedAt, c.State
		}
	}
	return state == "subscribed"
}

// properties maps a profile's segment properties to the destination's chosen ones.
func properties(p segments.Properties, chosen []string) map[string]string {
	out := map[string]string{}
	for _, name := range chosen {
		var v string
		switch name {
		case email.PropRFMGroup:
			v = p.RFMGroup
		case email.PropLifecycle:
			v = p.Lifecycle
		case email.PropChurnRisk:
			v = p.ChurnRisk
		case email.PropPredictedCLV:
			if p.PredictedCLV >= 0 {
				v = strconv.FormatFloat(p.PredictedCLV, 'f', 0, 64)
			}
		case email.PropPAlive:
			if p.PAlive >= 0 {
				v = strconv.FormatFloat(p.PAlive, 'f', 2, 64)
			}
		case email.PropExpectedOrders:
			if p.ExpectedOrders >= 0 {
				v = strconv.FormatFloat(p.ExpectedOrders, 'f', 2, 64)
			}
		}
		if v != "" {
			out[name] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// diffNames returns what want adds to have and what it removes; both sorted.
func diffNames(have, want []string) (add, remove []string) {
	for _, n := range want {
		if !slices.Contains(have, n) {
			add = append(add, n)
		}
	}
	for _, n := range have {
		if !slices.Contains(want, n) {
			remove = append(remove, n)
		}
	}
	return add, remove
}
