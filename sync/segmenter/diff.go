package segmenter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// appliedPrefix keys what a destination was last told about a profile, in the applied_state
// bucket: "seg/<destination>/<profile id>" -> Record. Destinations write it after a push.
const appliedPrefix = "seg/"

// ProfileDiff is what a destination must be told about one profile.
type ProfileDiff struct {
	ProfileID string   `json:"profile_id"`
	Email     string   `json:"email"` // the primary address; print it masked
	Add       []string `json:"add,omitempty"`
	Remove    []string `json:"remove,omitempty"`
	// Props are the profile's properties when they differ from what the destination was last
	// told (for destinations that take properties).
	Props *segments.Properties `json:"properties,omitempty"`
}

// DiffReport is the membership diff of one destination.
type DiffReport struct {
	Destination string         `json:"destination"`
	Kind        string         `json:"kind"`
	Segments    []string       `json:"segments"` // segments it receives (present in the store)
	Profiles    []ProfileDiff  `json:"profiles"`
	Adds        map[string]int `json:"adds"` // per segment
	Removes     map[string]int `json:"removes"`
	Skipped     int            `json:"skipped_no_email"` // members without a valid address
	PropUpdates int            `json:"property_updates"` // profiles whose properties changed
}

// Wants reports whether destination d receives segment s: d lists it (or all), or s is a
// custom segment that lists d.
func Wants(cfg *config.Config, d config.Destination, s string) bool {
	if d.WantsSegment(s) {
		return true
	}
	for _, c := range cfg.Segments.Custom {
		if c.Name == s && slices.Contains(c.Destinations, d.ID) {
			return true
		}
	}
	return false
}

// Diff computes, without changing anything, what destination destID should be told: per
// profile the segments to add and remove against what it was last told. Email platforms only
// take profiles with a valid email address.
func Diff(st *store.Store, cfg *config.Config, destID string) (*DiffReport, error) {
	var dest *config.Destination
	for i := range cfg.Destinations {
		if cfg.Destinations[i].ID == destID {
			dest = &cfg.Destinations[i]
		}
	}
	if dest == nil {
		ids := make([]string, 0, len(cfg.Destinations))
		for _, d := range cfg.Destinations {
			ids = append(ids, d.ID)
		}
		return nil, fmt.Errorf("no destination %q in the config (destinations: %s)", destID, strings.Join(ids, ", "))
	}
	rep := &DiffReport{Destination: dest.ID, Kind: dest.Kind, Adds: map[string]int{}, Removes: map[string]int{}}
	segSet := map[string]bool{}
	err := st.View(func(tx *store.Tx) error {
		applied := map[string]Record{}
		prefix := appliedPrefix + dest.ID + "/"
		if err := tx.ForEachPrefix(store.Applied, []byte(prefix), func(k, v []byte) error {
			var r Record
			if err := codec.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			applied[string(k[len(prefix):])] = r
			return nil
		}); err != nil {
			return err
		}
		seen := map[string]bool{}
		err := tx.ForEachPrefix(store.Memberships, []byte(memberPrefix), func(k, v []byte) error {
			id := string(k[len(memberPrefix):])
			seen[id] = true
			var r Record
			if err := codec.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			var want []string
			for _, s := range r.Segments {
				if Wants(cfg, *dest, s) {
					want = append(want, s)
					segSet[s] = true
				}
			}
			told, wasTold := applied[id]
			add, remove := diff(told.Segments, want)
			propsChanged := len(want) > 0 && (!wasTold || !told.Props.Equal(r.Props))
			if len(add)+len(remove) == 0 && !propsChanged {
				return nil
			}
			email, err := primaryEmail(tx, id)
			if err != nil {
				return err
			}
			if email == "" {
				rep.Skipped++
				return nil
			}
			pd := ProfileDiff{ProfileID: id, Email: email, Add: add, Remove: remove}
			if propsChanged {
				props := r.Props
				pd.Props = &props
				rep.PropUpdates++
			}
			rep.Profiles = append(rep.Profiles, pd)
			for _, s := range add {
				rep.Adds[s]++
			}
			for _, s := range remove {
				rep.Removes[s]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Profiles that are gone: everything the destination was told is removed.
		for id, told := range applied {
			segs := told.Segments
			if seen[id] || len(segs) == 0 {
				continue
			}
			rep.Profiles = append(rep.Profiles, ProfileDiff{ProfileID: id, Remove: segs})
			for _, s := range segs {
				rep.Removes[s]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("segmenter: diff %s: %w", destID, err)
	}
	for s := range segSet {
		rep.Segments = append(rep.Segments, s)
	}
	slices.Sort(rep.Segments)
	slices.SortFunc(rep.Profiles, func(a, b ProfileDiff) int { return strings.Compare(a.ProfileID, b.ProfileID) })
	return rep, nil
}

// primaryEmail is the profile's first valid address, or "".
func primaryEmail(tx *store.Tx, id string) (string, error) {
	var p profiles.Profile
	if err := tx.GetValue(store.Profiles, []byte(id), &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	for _, e := range p.Emails {
		if e.Address != "" && !strings.Contains(e.Flags, "invalid") {
			return e.Address, nil
		}
	}
	return "", nil
}
