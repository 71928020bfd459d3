package privacy

// An erasure runs in three steps (see the package doc); the pending marker written by the
// first step is what makes a crash between them recoverable. The unexported functions here
// run with mu held.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// pendingPrefix keys the markers of erasures not finished yet, in the meta bucket.
const pendingPrefix = "privacy/pending/"

// mu serialises the package's operations: each one rebuilds every profile, and two
// interleaved rebuilds could write back what the other erased.
var mu sync.Mutex

// pendingErase is the marker of an erasure whose records are deleted but whose derived data
// may not be cleaned up yet.
type pendingErase struct {
	Line     AuditLine     `cbor:"1,keyasint"` // counts of records erased filled in
	Target   target        `cbor:"2,keyasint"`
	Profiles []heldProfile `cbor:"3,keyasint,omitempty"`
}

// heldProfile is a profile that held an erased record, as it was before the erasure.
type heldProfile struct {
	ID      string   `cbor:"1,keyasint"`
	Sources []string `cbor:"2,keyasint,omitempty"` // ref keys
	Emails  []string `cbor:"3,keyasint,omitempty"` // addresses: transient personal data
}

// erase runs one erasure: pick selects the records in the deleting transaction.
func erase(ctx context.Context, st *store.Store, opts Options, line AuditLine, pick func(*store.Tx) (*selection, error)) (*Result, error) {
	mu.Lock()
	defer mu.Unlock()
	if _, err := resume(ctx, st, opts); err != nil {
		return nil, err
	}
	key, mark, err := begin(ctx, st, line, pick)
	if err != nil {
		return nil, err
	}
	if key == nil {
		// Already erased (or never held): say so in the audit, change nothing else.
		if err := st.Update(ctx, func(tx *store.Tx) error { return putAudit(tx, mark.Line) }); err != nil {
			return nil, fmt.Errorf("privacy: %s: write audit line: %w", line.Action, err)
		}
		logResult(opts, mark.Line)
		return &Result{Action: line.Action, RequestID: line.RequestID}, nil
	}
	return finish(ctx, st, opts, key, mark)
}

// begin is the first step: in one transaction, it deletes the records pick selects and
// writes the marker, whose key it returns; nil when there was nothing to erase.
func begin(ctx context.Context, st *store.Store, line AuditLine, pick func(*store.Tx) (*selection, error)) ([]byte, pendingErase, error) {
	var (
		key  []byte
		mark pendingErase
	)
	err := st.Update(ctx, func(tx *store.Tx) error {
		key = nil
		sel, err := pick(tx)
		if err != nil {
			return err
		}
		mark = pendingErase{Line: line, Target: sel.target}
		mark.Line.Customers, mark.Line.Orders = len(sel.customerKeys), len(sel.orderKeys)
		ids := make([]string, 0, len(sel.profiles))
		for id := range sel.profiles {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			hp := heldProfile{ID: id}
			var p profiles.Profile
			switch err := tx.GetValue(store.Profiles, []byte(id), &p); {
			case err == nil:
				for _, s := range p.Sources {
					hp.Sources = append(hp.Sources, s.Key())
				}
				for _, e := range p.Emails {
					hp.Emails = append(hp.Emails, e.Address)
				}
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			mark.Profiles = append(mark.Profiles, hp)
		}
		for _, k := range slices.Concat(sel.customerKeys, sel.orderKeys) {
			if err := tx.Delete(store.SourceRecords, k); err != nil {
				return err
			}
		}
		if len(sel.customerKeys)+len(sel.orderKeys)+len(mark.Profiles) == 0 {
			return nil // nothing held: no rebuild, no marker
		}
		seq, err := tx.NextSequence(store.Meta)
		if err != nil {
			return err
		}
		key = fmt.Appendf(nil, "%s%020d", pendingPrefix, seq)
		return tx.PutValue(store.Meta, key, mark)
	})
	if err != nil {
		return nil, mark, fmt.Errorf("privacy: %s: delete records: %w", line.Action, err)
	}
	return key, mark, nil
}

// Resume finishes the erasures a crash interrupted (their records are deleted, their
// derived data may not be): call it at start-up, before the first rebuild. Every other
// operation of the package calls it first too.
func Resume(ctx context.Context, st *store.Store, opts Options) ([]Result, error) {
	mu.Lock()
	defer mu.Unlock()
	return resume(ctx, st, opts)
}

func resume(ctx context.Context, st *store.Store, opts Options) ([]Result, error) {
	type marker struct {
		key  []byte
		mark pendingErase
	}
	var todo []marker
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Meta, []byte(pendingPrefix), func(k, v []byte) error {
			var m pendingErase
			if err := codec.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			todo = append(todo, marker{bytes.Clone(k), m})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: resume: %w", err)
	}
	var out []Result
	for _, m := range todo {
		m.mark.Line.Resumed = true
		r, err := finish(ctx, st, opts, m.key, m.mark)
		if err != nil {
			return out, fmt.Errorf("privacy: resume: %w", err)
		}
		out = append(out, *r)
	}
	return out, nil
}

// finish rebuilds the profiles, removes what is keyed by the profiles that are gone, writes
// the audit line and deletes the marker, in one transaction after the rebuild.
func finish(ctx context.Context, st *store.Store, opts Options, key []byte, mark pendingErase) (*Result, error) {
	action := mark.Line.Action
	for attempt := 1; ; attempt++ {
		if _, err := ingest.Rebuild(ctx, st, opts.Build); err != nil {
			return nil, fmt.Errorf("privacy: %s: rebuild profiles: %w", action, err)
		}
		stale, err := stillIndexed(st, mark.Target)
		if err != nil {
			return nil, fmt.Errorf("privacy: %s: check rebuild: %w", action, err)
		}
		if !stale {
			break
		}
		if attempt == 2 {
			// Indexed by our own rebuild: records for it were stored again meanwhile.
			opts.Logger.Warn().Str("action", action).Str("subject", mark.Line.Subject).
				Msg("privacy: an erased source is back: new records for it arrived during the erasure")
			break
		}
	}
	var res Result
	err := st.Update(ctx, func(tx *store.Tx) error {
		res = Result{Action: action, RequestID: mark.Line.RequestID,
			Customers: mark.Line.Customers, Orders: mark.Line.Orders}
		if err := cleanup(tx, mark, &res); err != nil {
			return err
		}
		if opts.OnErased != nil && len(res.Erased) > 0 {
			if err := opts.OnErased(tx, res.Erased); err != nil {
				return fmt.Errorf("queue erasure at destinations: %w", err)
			}
		}
		line := mark.Line
		line.ProfilesRemoved, line.ProfilesChanged = len(res.ProfilesRemoved), len(res.ProfilesChanged)
		line.Memberships, line.Events, line.Applied, line.Unmerges = res.Memberships, res.Events, len(res.Applied), res.Unmerges
		line.DeadLetters = res.DeadLetters
		if err := putAudit(tx, line); err != nil {
			return err
		}
		mark.Line = line
		return tx.Delete(store.Meta, key)
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: %s: clean up: %w", action, err)
	}
	logResult(opts, mark.Line)
	return &res, nil
}

// stillIndexed reports whether the source index still names an erased ref: a rebuild that
// started before the records were deleted wrote after ours.
func stillIndexed(st *store.Store, t target) (bool, error) {
	found := false
	err := st.View(func(tx *store.Tx) error {
		if t.Store != "" {
			return tx.ForEachPrefix(store.Indexes, []byte(sourceIndex+t.Store+"/"), func(_, _ []byte) error {
				found = true
				return errStop
			})
		}
		for _, ref := range t.Refs {
			if tx.Get(store.Indexes, []byte(sourceIndex+ref)) != nil {
				found = true
				return nil
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

var errStop = errors.New("stop")

// cleanup removes, after the rebuild, what is keyed by the held profiles that are gone, and
// the cannot-link entries that name an erased record.
func cleanup(tx *store.Tx, mark pendingErase, res *Result) error {
	removed := map[string]*heldProfile{}
	successor := map[string]string{}
	changed := map[string]bool{}
	for i := range mark.Profiles {
		hp := &mark.Profiles[i]
		if tx.Get(store.Profiles, []byte(hp.ID)) != nil {
			changed[hp.ID] = true
			continue
		}
		removed[hp.ID] = hp
		res.ProfilesRemoved = append(res.ProfilesRemoved, hp.ID)
		for _, s := range hp.Sources {
			if mark.Target.has(s) {
				continue
			}
			if v := tx.Get(store.Indexes, []byte(sourceIndex+s)); v != nil {
				successor[hp.ID] = string(v)
				changed[string(v)] = true
				break
			}
		}
	}
	for id := range changed {
		res.ProfilesChanged = append(res.ProfilesChanged, id)
	}
	// Addresses nobody holds any more: the person is gone, at the destinations too.
	erased := map[string]bool{}
	for _, id := range res.ProfilesRemoved {
		for _, a := range removed[id].Emails {
			if a != "" && !erased[a] && tx.Get(store.Indexes, []byte(emailIndex+a)) == nil {
				erased[a] = true
				res.Erased = append(res.Erased, a)
			}
		}
	}
	slices.Sort(res.Erased)
	slices.Sort(res.ProfilesChanged)

	var dead [][]byte // memberships keys to delete
	for _, id := range res.ProfilesRemoved {
		if tx.Get(store.Memberships, []byte(memberPrefix+id)) != nil {
			dead = append(dead, []byte(memberPrefix+id))
			res.Memberships++
		}
	}
	if len(removed) > 0 {
		if err := tx.ForEachPrefix(store.Memberships, []byte(eventPrefix), func(k, _ []byte) error {
			if _, ok := removed[lastElem(k)]; ok {
				dead = append(dead, bytes.Clone(k))
				res.Events++
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for _, k := range dead {
		if err := tx.Delete(store.Memberships, k); err != nil {
			return err
		}
	}

	dead = dead[:0]
	if len(removed) > 0 {
		if err := tx.ForEachPrefix(store.Applied, []byte(appliedPrefix), func(k, v []byte) error {
			id := lastElem(k)
			hp, ok := removed[id]
			if !ok {
				return nil
			}
			var r segmenter.Record
			if err := codec.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			dest := string(k[len(appliedPrefix) : len(k)-len(id)-1])
			res.Applied = append(res.Applied, AppliedRow{Destination: dest, ProfileID: id,
				Segments: r.Segments, Emails: hp.Emails, Successor: successor[id]})
			dead = append(dead, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
	}
	for _, k := range dead {
		if err := tx.Delete(store.Applied, k); err != nil {
			return err
		}
	}

	// Webhook deliveries that were dead-lettered keep their raw body: those of an erased
	// store, and those of the erased person's stores that hold one of their addresses, go.
	var addrs [][]byte
	stores := map[string]bool{}
	for i := range mark.Profiles {
		for _, a := range mark.Profiles[i].Emails {
			if a != "" {
				addrs = append(addrs, []byte(strings.ToLower(a)))
			}
		}
	}
	for _, ref := range mark.Target.Refs {
		st, _, _ := strings.Cut(ref, "/")
		stores[st] = true
	}
	dead = dead[:0]
	if err := tx.ForEachPrefix(store.DeadLetters, []byte(webhookDeadPrefix), func(k, v []byte) error {
		var dl webhookDeadLetter
		if err := codec.Unmarshal(v, &dl); err != nil {
			return nil // not ours to judge: left for the operator
		}
		body := bytes.ToLower(dl.Envelope.Body)
		if len(body) == 0 {
			body = bytes.ToLower(dl.Raw)
		}
		erase := mark.Target.Store != "" && dl.Envelope.Store == mark.Target.Store
		if !erase && (stores[dl.Envelope.Store] || dl.Envelope.Store == "") {
			for _, a := range addrs {
				if bytes.Contains(body, a) {
					erase = true
					break
				}
			}
		}
		if erase {
			dead = append(dead, bytes.Clone(k))
			res.DeadLetters++
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range dead {
		if err := tx.Delete(store.DeadLetters, k); err != nil {
			return err
		}
	}

	dead = dead[:0]
	if err := tx.ForEachPrefix(store.MergeAudit, []byte(unmergePrefix), func(k, _ []byte) error {
		a, b, _ := strings.Cut(string(k[len(unmergePrefix):]), "|")
		if mark.Target.has(a) || mark.Target.has(b) {
			dead = append(dead, bytes.Clone(k))
			res.Unmerges++
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range dead {
		if err := tx.Delete(store.MergeAudit, k); err != nil {
			return err
		}
	}
	return nil
}

// lastElem is what follows the last '/' of a key: the profile id of m/, ev/ and seg/ keys.
func lastElem(k []byte) string {
	return string(k[bytes.LastIndexByte(k, '/')+1:])
}
