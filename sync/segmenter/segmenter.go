// Package segmenter runs segmentation over the store: a full recompute reads every profile,
// fits the population model, scores everyone and stores each profile's memberships, the
// changes (who entered and left which segment, when and why) and the segment sizes over
// time. It also computes what each destination should be told (the membership diff).
//
// Layout in the memberships bucket:
//
//	m/<profile id>      -> Record: the profile's segments
//	ev/<time>/<profile> -> Event: segments entered and left at one recompute
//	size/<time>         -> Snapshot: every segment's size after a recompute
//	model               -> ModelSummary of the last full recompute
//
// Times are fixed-width UTC, so byte order is time order. The first recompute of a store is
// its baseline: it records sizes, not one event per profile.
package segmenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohortd/cohortd/internal/parallel"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/segments/cborread"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

const (
	memberPrefix = "m/"
	eventPrefix  = "ev/"
	sizePrefix   = "size/"
	modelKey     = "model"
	timeLayout   = "2006-01-02T15:04:05.000000000Z"
)

// Record is a profile's stored segments.
type Record struct {
	Segments []string            `cbor:"1,keyasint" json:"segments"`
	Since    time.Time           `cbor:"2,keyasint" json:"since"` // last change
	Props    segments.Properties `cbor:"3,keyasint" json:"properties"`
}

// Event is one profile's movement at one recompute.
type Event struct {
	At        time.Time `cbor:"1,keyasint" json:"at"`
	ProfileID string    `cbor:"2,keyasint" json:"profile_id"`
	Entered   []string  `cbor:"3,keyasint,omitempty" json:"entered,omitempty"`
	Left      []string  `cbor:"4,keyasint,omitempty" json:"left,omitempty"`
	Reason    string    `cbor:"5,keyasint" json:"reason"` // full recompute, profile changed, new profile, profile removed
}

// Snapshot is every segment's size after a recompute.
type Snapshot struct {
	At       time.Time      `cbor:"1,keyasint" json:"at"`
	Profiles int            `cbor:"2,keyasint" json:"profiles"`
	Sizes    map[string]int `cbor:"3,keyasint" json:"sizes"`
	Entered  int            `cbor:"4,keyasint" json:"entered"` // memberships gained since the last snapshot
	Left     int            `cbor:"5,keyasint" json:"left"`
	Baseline bool           `cbor:"6,keyasint,omitempty" json:"baseline,omitempty"`
}

// ModelSummary is what the last full recompute learned, for `cohortd segments` and status.
type ModelSummary struct {
	FittedAt   time.Time                `cbor:"1,keyasint" json:"fitted_at"`
	Profiles   int                      `cbor:"2,keyasint" json:"profiles"`
	Customers  int                      `cbor:"3,keyasint" json:"customers"`
	Prediction segments.Prediction      `cbor:"4,keyasint" json:"prediction"`
	Clusters   []segments.Cluster       `cbor:"5,keyasint,omitempty" json:"clusters,omitempty"`
	Took       time.Duration            `cbor:"6,keyasint" json:"took_ns"`
	Timings    map[string]time.Duration `cbor:"7,keyasint,omitempty" json:"timings_ns,omitempty"`
}

// Report is the outcome of a recompute.
type Report struct {
	Snapshot Snapshot
	Model    ModelSummary
	Changed  int // profiles whose segments changed
}

// LoadFeatures reads every stored profile and extracts its features, in key order. Profiles
// are read and extracted on every core, a chunk at a time, straight from their stored bytes
// (segments.FeatureDecoder) or, for what that does not read, decoded with codec first.
func LoadFeatures(st *store.Store, opts segments.Options) ([]segments.Features, error) {
	var feats []segments.Features
	err := scan(st, store.Profiles, nil, func() *segments.FeatureDecoder { return segments.NewFeatureDecoder(opts) },
		func(n int) { feats = make([]segments.Features, n) },
		func(d *segments.FeatureDecoder, i int, k, v []byte) error {
			return extractStored(d, k, v, &feats[i], opts)
		})
	if err != nil {
		return nil, fmt.Errorf("segmenter: load profiles: %w", err)
	}
	return feats, nil
}

// extractStored fills f with the features of one stored profile: read straight from its
// bytes when d knows their shape, else decoded with codec and extracted (the same features,
// or the error).
func extractStored(d *segments.FeatureDecoder, key, stored []byte, f *segments.Features, opts segments.Options) error {
	if d.Decode(stored, f) {
		return nil
	}
	var p profiles.Profile
	if err := codec.Unmarshal(stored, &p); err != nil {
		return fmt.Errorf("decode profile %s: %w", key, err)
	}
	*f = segments.Extract(&p, opts)
	return nil
}

// Recompute is a full recompute at now: every stored profile is scored against a freshly
// fitted model and the memberships, their changes and the sizes are stored in one transaction
// (the baseline, a store's first recompute, over several: see storeFull).
func Recompute(ctx context.Context, st *store.Store, opts segments.Options, now time.Time) (*Report, error) {
	return New(st, opts).Recompute(ctx, now)
}

// Segmenter keeps a store's segmentation between recomputes: every profile's features in
// memory (segments.State), so a scheduled full recompute refits and rescores without reading
// and decoding every profile again, and changed profiles are applied incrementally. Safe for
// concurrent use.
type Segmenter struct {
	st    *store.Store
	opts  segments.Options
	mu    sync.Mutex
	state *segments.State
}

// New returns a Segmenter over st; the first Recompute loads the profiles.
func New(st *store.Store, opts segments.Options) *Segmenter {
	return &Segmenter{st: st, opts: opts}
}

// Recompute fits a new model on every profile and stores everyone's segments.
func (s *Segmenter) Recompute(ctx context.Context, now time.Time) (*Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	var feats []segments.Features
	if s.state != nil {
		feats = s.state.All()
	} else {
		var err error
		if feats, err = LoadFeatures(s.st, s.opts); err != nil {
			return nil, err
		}
	}
	loaded := time.Since(start)
	res, err := segments.Compute(ctx, feats, now, s.opts)
	if err != nil {
		return nil, fmt.Errorf("segmenter: %w", err)
	}
	computed := time.Since(start) - loaded
	rep := &Report{Model: ModelSummary{
		FittedAt: res.Model.FittedAt, Profiles: res.Model.Profiles, Customers: res.Model.Customers,
		Prediction: res.Model.Prediction, Clusters: res.Model.Clusters,
	}}
	if err := storeFull(ctx, s.st, res.Members, now, rep); err != nil {
		return nil, fmt.Errorf("segmenter: store memberships: %w", err)
	}
	s.state = segments.NewState(res, now, s.opts)
	rep.Model.Took = time.Since(start)
	rep.Model.Timings = map[string]time.Duration{"load": loaded, "compute": computed, "store": rep.Model.Took - loaded - computed}
	if err := s.st.PutValue(ctx, store.Memberships, []byte(modelKey), rep.Model); err != nil {
		return nil, fmt.Errorf("segmenter: store model: %w", err)
	}
	return rep, nil
}

// Update applies changed and removed profiles incrementally (scored against the last full
// recompute's model; a new day rescores everyone) and stores what changed. It needs a
// Recompute first.
func (s *Segmenter) Update(ctx context.Context, changed []*profiles.Profile, removed []string, now time.Time) ([]segments.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return nil, errors.New("segmenter: no full recompute yet")
	}
	changes, err := s.state.Update(ctx, changed, removed, now)
	if err != nil || len(changes) == 0 {
		return changes, err
	}
	stamp := now.UTC().Format(timeLayout)
	err = s.st.Update(ctx, func(tx *store.Tx) error {
		for _, c := range changes {
			entered, left := diff(c.Before, c.After)
			why := "profile changed"
			switch {
			case c.Before == nil:
				why = "new profile"
			case c.After == nil:
				why = "profile removed"
			}
			if err := tx.PutValue(store.Memberships, []byte(eventPrefix+stamp+"/"+c.ProfileID),
				Event{At: now.UTC(), ProfileID: c.ProfileID, Entered: entered, Left: left, Reason: why}); err != nil {
				return err
			}
			key := []byte(memberPrefix + c.ProfileID)
			if c.After == nil {
				if err := tx.Delete(store.Memberships, key); err != nil {
					return err
				}
				continue
			}
			if err := tx.PutValue(store.Memberships, key, Record{Segments: c.After, Since: now.UTC(), Props: c.Props}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("segmenter: store changes: %w", err)
	}
	return changes, nil
}

// baselineTxChanges is how many changes of a baseline one transaction writes (a variable for
// the tests).
var baselineTxChanges = 50_000

// storeFull stores a full recompute's memberships. A recompute after the baseline writes its
// records, events and size snapshot in one transaction (apply): its history is never seen
// half-written. The baseline (no size snapshot stored yet) writes its records
// baselineTxChanges at a time and its size snapshot last: bbolt holds every page a
// transaction dirties in memory until the commit, and a first recompute writes a record per
// profile (1.2 GB more heap at a million profiles in one transaction). A baseline has no
// events to keep consistent, and until its snapshot is stored the store still has no
// baseline: a recompute after a crash half-way compares what was written, writes the rest
// and the snapshot. Readers see no records, then more of them, as they would see a profile at
// a time being added.
func storeFull(ctx context.Context, st *store.Store, members []segments.Membership, now time.Time, rep *Report) error {
	var (
		baseline bool
		changes  []storedChange
	)
	err := st.View(func(tx *store.Tx) error {
		var err error
		if baseline, err = isBaseline(tx); err != nil || !baseline {
			return err
		}
		changes, err = compareStored(tx, members, true)
		return err
	})
	if err != nil {
		return err
	}
	if !baseline {
		return st.Update(ctx, func(tx *store.Tx) error {
			return apply(tx, members, now, "full recompute", true, rep)
		})
	}
	snap := newSnapshot(members, now, true)
	w := changeWriter{members: members, now: now.UTC(), stamp: now.UTC().Format(timeLayout), reason: "full recompute", snap: &snap, rep: rep}
	for lo := 0; lo < len(changes); lo += baselineTxChanges {
		part := changes[lo:min(lo+baselineTxChanges, len(changes))]
		err := st.Update(ctx, func(tx *store.Tx) error {
			w.tx = tx
			return w.writeAll(part)
		})
		if err != nil {
			return err
		}
		clear(part) // their previous records, if any
	}
	return st.Update(ctx, func(tx *store.Tx) error {
		// The segmenter is the only writer of sizes: no other recompute stored one since.
		rep.Snapshot = snap
		return tx.PutValue(store.Memberships, []byte(sizePrefix+w.stamp), snap)
	})
}

// newSnapshot returns the sizes of the segments of members at now, with no entries or exits
// counted yet.
func newSnapshot(members []segments.Membership, now time.Time, baseline bool) Snapshot {
	snap := Snapshot{At: now.UTC(), Sizes: map[string]int{}, Profiles: len(members), Baseline: baseline}
	for i := range members {
		for _, s := range members[i].Segments {
			snap.Sizes[s]++
		}
	}
	return snap
}

// apply writes the memberships that changed, an event per changed profile (unless this is
// the baseline) and a size snapshot. With full, stored profiles missing from members are
// removed. The stored records are read first, once, in key order beside the members in
// profile id order (only those that changed are decoded); the writes follow, in key order.
func apply(tx *store.Tx, members []segments.Membership, now time.Time, reason string, full bool, rep *Report) error {
	baseline, err := isBaseline(tx)
	if err != nil {
		return err
	}
	changes, err := compareStored(tx, members, full)
	if err != nil {
		return err
	}
	snap := newSnapshot(members, now, baseline)
	w := changeWriter{tx: tx, members: members, now: now.UTC(), stamp: now.UTC().Format(timeLayout), reason: reason, snap: &snap, rep: rep}
	if err := w.writeAll(changes); err != nil {
		return err
	}
	rep.Snapshot = snap
	return tx.PutValue(store.Memberships, []byte(sizePrefix+w.stamp), snap)
}

// isBaseline reports whether no recompute stored sizes yet.
func isBaseline(tx *store.Tx) (bool, error) {
	baseline := true
	if err := tx.ForEachPrefix(store.Memberships, []byte(sizePrefix), func(_, _ []byte) error {
		baseline = false
		return errStop
	}); err != nil && !errors.Is(err, errStop) {
		return false, err
	}
	return baseline, nil
}

// storedChange is a profile whose stored record changes: a member (an index of members) and
// its previous record if it had one, or a stored profile that is no longer a member. It is
// small: a first recompute has one per profile.
type storedChange struct {
	member int     // -1: removed
	prev   *Record // nil: none
	id     string  // of a removed profile
}

// compareStored returns the members whose stored record differs from their membership (or
// who have none) and, with full, the stored profiles that are not members, in profile id
// order. Every stored record is read (one that cannot be decoded is an error, as before).
func compareStored(tx *store.Tx, members []segments.Membership, full bool) ([]storedChange, error) {
	order := profileOrder(members)
	rr := newRecordReader()
	var changes []storedChange
	next := 0 // members[order[next]] is the first member not yet compared
	// Every stored record's page is mapped in by the walk: let them go as it goes (they stay
	// in the page cache), as scan does.
	release, walked := tx.PageReleaser(), 0
	err := tx.ForEachPrefix(store.Memberships, []byte(memberPrefix), func(k, v []byte) error {
		if walked++; walked%releaseProfiles == 0 {
			_ = release() // advisory: an error only leaves the pages mapped
		}
		id := k[len(memberPrefix):]
		for ; next < len(order) && members[order[next]].ProfileID < string(id); next++ {
			changes = append(changes, storedChange{member: order[next]})
		}
		matched := false
		for ; next < len(order) && members[order[next]].ProfileID == string(id); next++ {
			matched = true
			c, changed, err := compareRecord(rr, k, v, order[next], &members[order[next]])
			if err != nil {
				return err
			}
			if changed {
				changes = append(changes, c)
			}
		}
		if matched {
			return nil
		}
		prev, err := rr.decode(k, v)
		if err != nil {
			return err
		}
		if full {
			changes = append(changes, storedChange{member: -1, id: string(id), prev: &prev})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ; next < len(order); next++ {
		changes = append(changes, storedChange{member: order[next]})
	}
	return changes, nil
}

// compareRecord compares member i, m, with its stored record v (key k): changed false when
// they hold the same segments and properties.
func compareRecord(rr *recordReader, k, v []byte, i int, m *segments.Membership) (c storedChange, changed bool, err error) {
	if same, ok := recordIs(v, m.Segments, &m.Props); ok && same {
		return storedChange{}, false, nil
	}
	prev, err := rr.decode(k, v)
	if err != nil {
		return storedChange{}, false, err
	}
	if slices.Equal(prev.Segments, m.Segments) && prev.Props.Equal(m.Props) {
		return storedChange{}, false, nil
	}
	return storedChange{member: i, prev: &prev}, true, nil
}

// profileOrder returns the indexes of members in profile id order; members with the same id
// keep their order.
func profileOrder(members []segments.Membership) []int {
	order := make([]int, len(members))
	for i := range order {
		order[i] = i
	}
	byID := func(a, b segments.Membership) int { return strings.Compare(a.ProfileID, b.ProfileID) }
	if !slices.IsSortedFunc(members, byID) {
		slices.SortStableFunc(order, func(a, b int) int { return byID(members[a], members[b]) })
	}
	return order
}

// changeWriter writes the changes of one recompute: records, events and the counts of the
// snapshot and the report. A chunk of changes at a time is encoded on every core, then put in
// key order (a first recompute writes a record per profile).
type changeWriter struct {
	tx      *store.Tx
	members []segments.Membership
	now     time.Time // UTC
	stamp   string
	reason  string
	snap    *Snapshot
	rep     *Report
}

// writeChunk is how many changes are encoded before they are put.
const writeChunk = 4096

// encodedChange is one change ready to be put: its record (or its deletion) and its event.
type encodedChange struct {
	key, record     []byte // record nil: delete key
	counted         bool   // an event: profiles entered or left segments
	entered, left   int
	eventKey, event []byte // nil at the baseline
}

// writeAll encodes and puts changes, writeChunk at a time. A chunk is encoded on every core
// while the one before it is put: the puts are the
// transaction's, on this goroutine, and encode reads only the members and w's settings.
func (w *changeWriter) writeAll(changes []storedChange) error {
	if len(changes) == 0 {
		return nil
	}
	var enc [2][]encodedChange
	for k := range enc {
		enc[k] = make([]encodedChange, min(writeChunk, len(changes)))
	}
	encode := func(lo int, out []encodedChange) error {
		chunk := changes[lo:min(lo+writeChunk, len(changes))]
		return parallel.For(len(chunk), 64, func(i int) error { return w.encode(chunk[i], &out[i]) })
	}
	if err := encode(0, enc[0]); err != nil {
		return err
	}
	for lo, k := 0, 0; lo < len(changes); lo, k = lo+writeChunk, 1-k {
		next := lo + writeChunk
		encoded := make(chan error, 1)
		if next < len(changes) {
			go func() { encoded <- encode(next, enc[1-k]) }()
		} else {
			encoded <- nil
		}
		for i := range min(writeChunk, len(changes)-lo) {
			if err := w.put(&enc[k][i]); err != nil {
				<-encoded // the next chunk's encoding writes into enc
				return err
			}
		}
		if err := <-encoded; err != nil {
			return err
		}
	}
	return nil
}

// encode prepares change c: a removed profile's deletion and event, or a member's record
// and, when its segments changed, its event.
func (w *changeWriter) encode(c storedChange, e *encodedChange) error {
	*e = encodedChange{}
	if c.member < 0 {
		e.key = []byte(memberPrefix + c.id)
		return w.encodeEvent(e, c.id, c.prev.Segments, nil, "profile removed")
	}
	m := &w.members[c.member]
	prev, had := Record{}, c.prev != nil
	if had {
		prev = *c.prev
	}
	rec := Record{Segments: m.Segments, Since: prev.Since, Props: m.Props}
	if !had || !slices.Equal(prev.Segments, m.Segments) {
		why := w.reason
		if !had {
			why = "new profile"
		}
		if err := w.encodeEvent(e, m.ProfileID, prev.Segments, m.Segments, why); err != nil {
			return err
		}
		rec.Since = w.now
	}
	e.key = []byte(memberPrefix + m.ProfileID)
	data, err := marshalRecord(&rec)
	return setEncoded(&e.record, e.key, data, err)
}

// encodeEvent counts a profile's entries and exits and, unless this is the baseline, encodes
// them.
func (w *changeWriter) encodeEvent(e *encodedChange, id string, before, after []string, why string) error {
	entered, left := diff(before, after)
	e.counted, e.entered, e.left = true, len(entered), len(left)
	if w.snap.Baseline {
		return nil
	}
	e.eventKey = []byte(eventPrefix + w.stamp + "/" + id)
	ev := Event{At: w.now, ProfileID: id, Entered: entered, Left: left, Reason: why}
	data, err := marshalEvent(&ev)
	return setEncoded(&e.event, e.eventKey, data, err)
}

// setEncoded sets *out to data, the encoded value of key in the memberships bucket (by
// marshalRecord or marshalEvent), or returns their error with the key.
func setEncoded(out *[]byte, key, data []byte, err error) error {
	if err != nil {
		return fmt.Errorf("store: put %s/%q: %w", store.Memberships, key, err)
	}
	*out = data
	return nil
}

// put counts and writes an encoded change.
func (w *changeWriter) put(e *encodedChange) error {
	if e.counted {
		w.snap.Entered += e.entered
		w.snap.Left += e.left
		w.rep.Changed++
	}
	if e.event != nil {
		if err := w.tx.Put(store.Memberships, e.eventKey, e.event); err != nil {
			return err
		}
	}
	if e.record == nil {
		return w.tx.Delete(store.Memberships, e.key)
	}
	return w.tx.Put(store.Memberships, e.key, e.record)
}

var errStop = errors.New("stop")

// diff returns what after has that before has not (entered), and the reverse (left); both
// inputs are sorted.
func diff(before, after []string) (entered, left []string) {
	for _, s := range after {
		if _, ok := slices.BinarySearch(before, s); !ok {
			entered = append(entered, s)
		}
	}
	for _, s := range before {
		if _, ok := slices.BinarySearch(after, s); !ok {
			left = append(left, s)
		}
	}
	return entered, left
}

// Memberships returns every stored profile's segments.
func Memberships(st *store.Store) (map[string][]string, error) {
	var ids []string
	var segs [][]string
	err := scan(st, store.Memberships, []byte(memberPrefix), newRecordReader,
		func(n int) { ids, segs = make([]string, n), make([][]string, n) },
		func(rr *recordReader, i int, k, v []byte) error {
			r, err := rr.decode(k, v)
			ids[i], segs[i] = string(k[len(memberPrefix):]), r.Segments
			return err
		})
	if err != nil {
		return nil, err
	}
	return keyedInOrder(ids, segs), nil
}

// keyedInOrder maps ids[i] to values[i]; a repeated id keeps its last value.
func keyedInOrder(ids []string, values [][]string) map[string][]string {
	out := make(map[string][]string, len(ids))
	for i, id := range ids {
		out[id] = values[i]
	}
	return out
}

// Snapshots returns the size snapshots, oldest first.
func Snapshots(st *store.Store) ([]Snapshot, error) {
	var out []Snapshot
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Memberships, []byte(sizePrefix), func(k, v []byte) error {
			var s Snapshot
			if err := codec.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// LastModel returns the summary of the last full recompute.
func LastModel(st *store.Store) (ModelSummary, bool, error) {
	var m ModelSummary
	err := st.GetValue(store.Memberships, []byte(modelKey), &m)
	if errors.Is(err, store.ErrNotFound) {
		return m, false, nil
	}
	return m, err == nil, err
}

// Movement is how a segment's members came and went: per other segment of the same family,
// how many moved in from it and out to it; "(none)" when they had no segment of that family.
type Movement struct {
	Segment string         `json:"segment"`
	In      map[string]int `json:"in"`
	Out     map[string]int `json:"out"`
}

// History returns the size of a segment at every snapshot and its movement over all events.
func History(st *store.Store, segment string) ([]Snapshot, Movement, error) {
	snaps, err := Snapshots(st)
	if err != nil {
		return nil, Movement{}, err
	}
	mv := Movement{Segment: segment, In: map[string]int{}, Out: map[string]int{}}
	fam := family(segment)
	err = st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Memberships, []byte(eventPrefix), func(k, v []byte) error {
			var e Event
			if err := codec.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			if slices.Contains(e.Entered, segment) {
				mv.In[sibling(e.Left, fam, e.Reason)]++
			}
			if slices.Contains(e.Left, segment) {
				mv.Out[sibling(e.Entered, fam, e.Reason)]++
			}
			return nil
		})
	})
	return snaps, mv, err
}

// family is a built-in segment's family ("rfm" of "rfm-at-risk"); custom segments (no dash
// family prefix known) are their own family.
func family(segment string) string {
	if i := strings.IndexByte(segment, '-'); i > 0 {
		return segment[:i+1]
	}
	return segment
}

func sibling(list []string, fam, reason string) string {
	for _, s := range list {
		if strings.HasPrefix(s, fam) && s != fam {
			return s
		}
	}
	if reason == "new profile" || reason == "profile removed" {
		return "(" + reason + ")"
	}
	return "(none)"
}

// SourceKeys returns every stored profile's source record keys ("store/kind/id"), read on
// every core.
func SourceKeys(st *store.Store) (map[string][]string, error) {
	var ids []string
	var keys [][]string
	err := scan(st, store.Profiles, nil, func() *[]byte { return new([]byte) },
		func(n int) { ids, keys = make([]string, n), make([][]string, n) },
		func(scratch *[]byte, i int, k, v []byte) error {
			var ok bool
			if ids[i], keys[i], ok = readSourceKeys(v, scratch); ok {
				return nil
			}
			var err error
			ids[i], keys[i], err = decodeSourceKeys(k, v)
			return err
		})
	if err != nil {
		return nil, err
	}
	return keyedInOrder(ids, keys), nil
}

// decodeSourceKeys decodes a stored profile's id and source keys with codec. Only the id and
// the sources are decoded: the rest (orders, addresses) is skipped.
func decodeSourceKeys(k, v []byte) (string, []string, error) {
	var p struct {
		ID      string               `cbor:"1,keyasint"`
		Sources []profiles.SourceRef `cbor:"2,keyasint"`
	}
	if err := codec.Unmarshal(v, &p); err != nil {
		return "", nil, fmt.Errorf("decode profile %s: %w", k, err)
	}
	keys := make([]string, len(p.Sources))
	for i, s := range p.Sources {
		keys[i] = s.Key()
	}
	return p.ID, keys, nil
}

// readSourceKeys is decodeSourceKeys with cborread, for codec's encoding of a profile: the
// id and the sources are read, every other field is only checked to be well formed (as codec
// skips the fields it does not decode). ok false for anything else; key is scratch space.
func readSourceKeys(v []byte, key *[]byte) (id string, keys []string, ok bool) {
	if len(v) == 0 || v[0] != codec.Version {
		return "", nil, false
	}
	r := cborread.NewReader(v[1:])
	keys = []string{}
	var field uint64
	for range r.Map() {
		switch r.FieldKey(&field) {
		case 1:
			id = string(r.Text())
		case 2:
			keys = readSourceRefKeys(&r, key)
		default:
			r.Skip()
		}
	}
	return id, keys, r.Done()
}

// readSourceRefKeys reads a list of profiles.SourceRef as their keys.
func readSourceRefKeys(r *cborread.Reader, key *[]byte) []string {
	if r.Null() {
		return []string{}
	}
	keys := make([]string, r.Array())
	for i := range keys {
		var parts [3][]byte // store, kind, id
		var field uint64
		for range r.Map() {
			if f := r.FieldKey(&field); f >= 1 && f <= 3 {
				parts[f-1] = r.Text()
			} else {
				r.Fail()
			}
		}
		*key = append(append(append(append(append((*key)[:0], parts[0]...), '/'), parts[1]...), '/'), parts[2]...)
		keys[i] = string(*key)
	}
	return keys
}

// ProfileSegments returns one profile's stored segments and when they last changed (ok false
// before the first recompute).
func ProfileSegments(st *store.Store, profileID string) (Record, bool, error) {
	var r Record
	err := st.GetValue(store.Memberships, []byte(memberPrefix+profileID), &r)
	if errors.Is(err, store.ErrNotFound) {
		return r, false, nil
	}
	return r, err == nil, err
}

// ForEachRecord calls fn with every stored profile's segments and properties, in profile id
// order, inside tx.
func ForEachRecord(tx *store.Tx, fn func(profileID string, r Record) error) error {
	rr := newRecordReader()
	return tx.ForEachPrefix(store.Memberships, []byte(memberPrefix), func(k, v []byte) error {
		r, err := rr.decode(k, v)
		if err != nil {
			return err
		}
		return fn(string(k[len(memberPrefix):]), r)
	})
}
