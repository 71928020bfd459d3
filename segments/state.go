package segments

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// State is the live segmentation between full recomputes: the model of the last full
// recompute and every profile's features and segments. Incremental updates score changed
// profiles against that model; when the day changes, everyone is rescored against it too
// (time moves people between lifecycle stages and changes P(alive)), so an incremental state
// always equals scoring the current profiles at the current time with the same model. The
// population statistics themselves (quintile ranks, tiers by quantile, the fitted predictive
// models) move only with the next full recompute. Not safe for concurrent use.
type State struct {
	Model *Model
	opts  Options
	day   int32
	index map[string]int // profile id -> position
	feats []Features
	segs  [][]string
}

// Change is one profile's segments before and after an update (nil: none), and its
// properties after it.
type Change struct {
	ProfileID string
	Before    []string
	After     []string
	Props     Properties
}

// NewState starts a state from a full recompute at now.
func NewState(res *Result, now time.Time, opts Options) *State {
	s := &State{Model: res.Model, opts: opts, day: dayOf(now, res.Model.opts.Location), index: make(map[string]int, len(res.Features)),
		feats: res.Features, segs: make([][]string, len(res.Members))}
	for i, m := range res.Members {
		s.index[m.ProfileID] = i
		s.segs[i] = m.Segments
	}
	return s
}

// Len is the number of profiles.
func (s *State) Len() int { return len(s.index) }

// Segments returns a profile's current segments.
func (s *State) Segments(profileID string) ([]string, bool) {
	i, ok := s.index[profileID]
	if !ok {
		return nil, false
	}
	return s.segs[i], true
}

// Features returns a profile's current features.
func (s *State) Features(profileID string) (*Features, bool) {
	i, ok := s.index[profileID]
	if !ok {
		return nil, false
	}
	return &s.feats[i], true
}

// Each calls fn for every profile, in the order they were added.
func (s *State) Each(fn func(f *Features, segs []string)) {
	for i := range s.feats {
		if s.feats[i].ProfileID != "" {
			fn(&s.feats[i], s.segs[i])
		}
	}
}

// Update applies changed profiles (and removed profile ids) at now and returns what changed,
// one Change per profile, sorted by profile id. When now is on a later day than the last
// update, every profile is rescored first.
func (s *State) Update(ctx context.Context, changed []*profiles.Profile, removed []string, now time.Time) ([]Change, error) {
	before := map[string][]string{} // first Before of every touched profile
	touch := func(id string, segs []string) {
		if _, ok := before[id]; !ok {
			before[id] = segs
		}
	}
	if d := dayOf(now, s.Model.opts.Location); d != s.day {
		members, err := s.Model.ScoreAll(ctx, s.feats, now)
		if err != nil {
			return nil, err
		}
		for i := range s.feats {
			if s.feats[i].ProfileID == "" {
				continue
			}
			if !slices.Equal(s.segs[i], members[i].Segments) {
				touch(s.feats[i].ProfileID, s.segs[i])
				s.segs[i] = members[i].Segments
			}
		}
		s.day = d
	}
	for _, id := range removed {
		if i, ok := s.index[id]; ok {
			touch(id, s.segs[i])
			delete(s.index, id)
			s.segs[i] = nil
			s.feats[i] = Features{}
		}
	}
	for _, p := range changed {
		f := Extract(p, s.opts)
		segs, err := s.Model.Score(&f, now)
		if err != nil {
			return nil, err
		}
		if i, ok := s.index[p.ID]; ok {
			touch(p.ID, s.segs[i])
			s.feats[i], s.segs[i] = f, segs
		} else {
			touch(p.ID, nil)
			s.index[p.ID] = len(s.feats)
			s.feats = append(s.feats, f)
			s.segs = append(s.segs, segs)
		}
	}
	changes := make([]Change, 0, len(before))
	for id, b := range before {
		var after []string
		if i, ok := s.index[id]; ok {
			after = s.segs[i]
		}
		if !slices.Equal(b, after) {
			c := Change{ProfileID: id, Before: b, After: after}
			if i, ok := s.index[id]; ok {
				c.Props = s.feats[i].Properties()
			}
			changes = append(changes, c)
		}
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.ProfileID, b.ProfileID) })
	return changes, nil
}

// All returns every live profile's features, in the order they were added (for a full
// recompute from memory: Compute(ctx, s.All(), now, opts)).
func (s *State) All() []Features {
	out := make([]Features, 0, len(s.index))
	for i := range s.feats {
		if s.feats[i].ProfileID != "" {
			out = append(out, s.feats[i])
		}
	}
	return out
}
