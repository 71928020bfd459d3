// Package ingest moves canonical records into the store and rebuilds profiles from them.
//
// Source records are kept in the source_records bucket under "customer/STORE/ID" and
// "order/STORE/ID", one version each: a record replaces the stored one only when it is at least
// as new (UpdatedAt), so a replayed or re-imported older payload never overwrites newer data and
// a re-import of the same file changes nothing.
//
// A rebuild reads every source record, runs profiles.Build, and replaces the profiles, the
// lookup indexes, the merge audit and the possible-duplicates list in one transaction, then
// appends the quality report to quality_history. Unmerges are remembered as cannot-link
// constraints in merge_audit and honoured by every later rebuild.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Key prefixes inside the buckets this package owns.
const (
	customerPrefix = "customer/"
	orderPrefix    = "order/"
	emailIndex     = "email/"    // indexes: email key -> profile id
	sourceIndex    = "source/"   // indexes: source key -> profile id
	auditPrefix    = "merge/"    // merge_audit: merge/PROFILE/N -> MergeAudit
	possiblePrefix = "possible/" // merge_audit: possible/N -> PossibleDuplicate
	unmergePrefix  = "unmerge/"  // merge_audit: unmerge/A|B -> time
)

// Writer batches records into store transactions. One Writer is one import run: an order id
// that comes back later in the same run (a CSV whose rows of one order are not contiguous) is
// merged into what the run already stored for it, while a later run replaces it, so
// re-importing a file gives the same result.
type Writer struct {
	st      *store.Store
	batch   []pending
	size    int
	seen    map[string]bool // order keys written by this run
	Written int             // records stored (new or newer)
	Stale   int             // records skipped because the stored version is newer
	Joined  int             // order records merged into one stored earlier in this run
	// Committed counts the records of committed transactions (stored, stale or replayed):
	// once counted, a record survives a crash.
	Committed int
	// OnCommit, if set, is called after each committed transaction with Committed.
	OnCommit func(committed int)
}

type pending struct {
	key     []byte
	updated time.Time
	value   any
}

// NewWriter returns a Writer that commits every size records.
func NewWriter(st *store.Store, size int) *Writer {
	if size <= 0 {
		size = 1000
	}
	return &Writer{st: st, size: size, seen: map[string]bool{}}
}

// AddCustomer queues a customer record.
func (w *Writer) AddCustomer(ctx context.Context, c profiles.CustomerRecord) error {
	return w.add(ctx, pending{key: []byte(customerPrefix + c.Store + "/" + c.ID), updated: c.UpdatedAt, value: c})
}

// AddOrder queues an order record.
func (w *Writer) AddOrder(ctx context.Context, o profiles.OrderRecord) error {
	return w.add(ctx, pending{key: []byte(orderPrefix + o.Store + "/" + o.ID), updated: o.UpdatedAt, value: o})
}

func (w *Writer) add(ctx context.Context, p pending) error {
	w.batch = append(w.batch, p)
	if len(w.batch) >= w.size {
		return w.Flush(ctx)
	}
	return nil
}

// Flush commits the queued records in one transaction.
func (w *Writer) Flush(ctx context.Context) error {
	if len(w.batch) == 0 {
		return nil
	}
	written, stale, joined := 0, 0, 0
	var seen map[string]bool // order keys this transaction stored; kept only if it commits
	err := w.st.Update(ctx, func(tx *store.Tx) error {
		seen = map[string]bool{}
		written, stale, joined = 0, 0, 0
		for _, p := range w.batch {
			key := string(p.key)
			old := tx.Get(store.SourceRecords, p.key)
			o, isOrder := p.value.(profiles.OrderRecord)
			switch {
			case isOrder && old != nil && (w.seen[key] || seen[key]):
				var prev profiles.OrderRecord
				if err := codec.Unmarshal(old, &prev); err != nil {
					return fmt.Errorf("decode %s: %w", p.key, err)
				}
				p.value = joinOrders(prev, o)
				joined++
			case old != nil && isNewer(old, p.key, p.updated):
				stale++
				continue
			}
			if isOrder {
				seen[key] = true
			}
			data, err := codec.Marshal(p.value)
			if err != nil {
				return fmt.Errorf("encode %s: %w", p.key, err)
			}
			if bytes.Equal(old, data) {
				continue // a replay of what is stored
			}
			if err := tx.Put(store.SourceRecords, p.key, data); err != nil {
				return err
			}
			written++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: store %d records: %w", len(w.batch), err)
	}
	for k := range seen {
		w.seen[k] = true
	}
	w.Written += written
	w.Stale += stale
	w.Joined += joined
	w.Committed += len(w.batch)
	w.batch = w.batch[:0]
	if w.OnCommit != nil {
		w.OnCommit(w.Committed)
	}
	return nil
}

// joinOrders merges a later part of one order into the part stored before: lines appended,
// totals and refunds added, the earliest date kept.
func joinOrders(prev, next profiles.OrderRecord) profiles.OrderRecord {
	prev.Lines = append(prev.Lines, next.Lines...)
	prev.Total = prev.Total.Add(next.Total)
	prev.Refunded = prev.Refunded.Add(next.Refunded)
	if !next.CreatedAt.IsZero() && next.CreatedAt.Before(prev.CreatedAt) {
		prev.CreatedAt = next.CreatedAt
	}
	if next.UpdatedAt.After(prev.UpdatedAt) {
		prev.UpdatedAt = next.UpdatedAt
	}
	return prev
}

// isNewer reports whether the stored record is strictly newer than updated.
func isNewer(old, key []byte, updated time.Time) bool {
	var stamp time.Time
	if bytes.HasPrefix(key, []byte(customerPrefix)) {
		var c profiles.CustomerRecord
		if codec.Unmarshal(old, &c) != nil {
			return false
		}
		stamp = c.UpdatedAt
	} else {
		var o profiles.OrderRecord
		if codec.Unmarshal(old, &o) != nil {
			return false
		}
		stamp = o.UpdatedAt
	}
	return stamp.After(updated)
}

// LoadRecords reads every stored customer and order record.
func LoadRecords(st *store.Store) ([]profiles.CustomerRecord, []profiles.OrderRecord, error) {
	var (
		customers []profiles.CustomerRecord
		orders    []profiles.OrderRecord
	)
	err := st.View(func(tx *store.Tx) error {
		if err := tx.ForEachPrefix(store.SourceRecords, []byte(customerPrefix), func(k, v []byte) error {
			var c profiles.CustomerRecord
			if err := codec.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			customers = append(customers, c)
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachPrefix(store.SourceRecords, []byte(orderPrefix), func(k, v []byte) error {
			var o profiles.OrderRecord
			if err := codec.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			orders = append(orders, o)
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: load records: %w", err)
	}
	return customers, orders, nil
}

// Rebuild recomputes every profile from the stored records and replaces the derived buckets.
func Rebuild(ctx context.Context, st *store.Store, opts profiles.BuildOptions) (*profiles.BuildResult, error) {
	customers, orders, err := LoadRecords(st)
	if err != nil {
		return nil, err
	}
	cannot, err := unmerges(st)
	if err != nil {
		return nil, err
	}
	opts.Identity.CannotLink = append(opts.Identity.CannotLink, cannot...)
	res, err := profiles.Build(customers, orders, opts)
	if err != nil {
		return nil, err
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		if err := clear(tx, store.Profiles, nil); err != nil {
			return err
		}
		if err := clear(tx, store.Indexes, []byte(emailIndex)); err != nil {
			return err
		}
		if err := clear(tx, store.Indexes, []byte(sourceIndex)); err != nil {
			return err
		}
		if err := clear(tx, store.MergeAudit, []byte(auditPrefix)); err != nil {
			return err
		}
		if err := clear(tx, store.MergeAudit, []byte(possiblePrefix)); err != nil {
			return err
		}
		for i := range res.Profiles {
			p := &res.Profiles[i]
			if err := tx.PutValue(store.Profiles, []byte(p.ID), p); err != nil {
				return err
			}
			for _, e := range p.Emails {
				if e.Key != "" {
					if err := tx.Put(store.Indexes, []byte(emailIndex+e.Key), []byte(p.ID)); err != nil {
						return err
					}
				}
				if err := tx.Put(store.Indexes, []byte(emailIndex+e.Address), []byte(p.ID)); err != nil {
					return err
				}
			}
			for _, s := range p.Sources {
				if err := tx.Put(store.Indexes, []byte(sourceIndex+s.Key()), []byte(p.ID)); err != nil {
					return err
				}
			}
		}
		for i, a := range res.Audit {
			if err := tx.PutValue(store.MergeAudit, fmt.Appendf(nil, "%s%s/%06d", auditPrefix, a.ProfileID, i), a); err != nil {
				return err
			}
		}
		for i, p := range res.Possible {
			if err := tx.PutValue(store.MergeAudit, fmt.Appendf(nil, "%s%08d", possiblePrefix, i), p); err != nil {
				return err
			}
		}
		return putQuality(tx, res.Quality)
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: write profiles: %w", err)
	}
	return res, nil
}

func clear(tx *store.Tx, b store.Bucket, prefix []byte) error {
	var keys [][]byte
	if err := tx.ForEachPrefix(b, prefix, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(b, k); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoProfile means no profile matches the lookup.
var ErrNoProfile = errors.New("no such profile")

// Lookup finds a profile by id, email address or source key ("store/customer/id").
func Lookup(st *store.Store, q string) (profiles.Profile, error) {
	var p profiles.Profile
	id := strings.TrimSpace(q)
	if !strings.HasPrefix(id, "p_") {
		for _, k := range []string{emailIndex + strings.ToLower(id), sourceIndex + id} {
			if v, err := st.Get(store.Indexes, []byte(k)); err == nil {
				id = string(v)
				break
			}
		}
	}
	if err := st.GetValue(store.Profiles, []byte(id), &p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return p, ErrNoProfile
		}
		return p, fmt.Errorf("ingest: lookup: %w", err)
	}
	return p, nil
}

// Audit returns the merge audit lines of one profile.
func Audit(st *store.Store, profileID string) ([]profiles.MergeAudit, error) {
	var out []profiles.MergeAudit
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(auditPrefix+profileID+"/"), func(k, v []byte) error {
			var a profiles.MergeAudit
			if err := codec.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// Possible returns the possible duplicates of the last rebuild.
func Possible(st *store.Store) ([]profiles.PossibleDuplicate, error) {
	var out []profiles.PossibleDuplicate
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(possiblePrefix), func(k, v []byte) error {
			var p profiles.PossibleDuplicate
			if err := codec.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// QualityHistoryLimit is how many quality reports are kept (one per rebuild); older ones are
// pruned when a new one is written.
const QualityHistoryLimit = 1000

// qualityKey orders reports by time: fixed-width UTC, so byte order is time order
// (RFC3339Nano trims trailing zeros and would not sort).
func qualityKey(at time.Time) []byte {
	return []byte(at.UTC().Format("2006-01-02T15:04:05.000000000Z"))
}

func putQuality(tx *store.Tx, q profiles.Quality) error {
	if err := tx.PutValue(store.QualityHistory, qualityKey(q.At), q); err != nil {
		return err
	}
	var keys [][]byte
	err := tx.ForEach(store.QualityHistory, func(k, _ []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return err
	}
	for len(keys) > QualityHistoryLimit {
		if err := tx.Delete(store.QualityHistory, keys[0]); err != nil {
			return err
		}
		keys = keys[1:]
	}
	return nil
}

// LatestQuality returns the most recent quality report.
func LatestQuality(st *store.Store) (profiles.Quality, error) {
	h, err := QualityHistory(st, 1)
	if err != nil {
		return profiles.Quality{}, err
	}
	return h[0], nil
}

// QualityHistory returns the last n quality reports (all kept ones if n <= 0), oldest first.
func QualityHistory(st *store.Store, n int) ([]profiles.Quality, error) {
	var out []profiles.Quality
	err := st.View(func(tx *store.Tx) error {
		skip := 0
		if total := tx.Count(store.QualityHistory); n > 0 && total > n {
			skip = total - n
		}
		i := 0
		return tx.ForEach(store.QualityHistory, func(k, v []byte) error {
			if i++; i <= skip {
				return nil
			}
			var q profiles.Quality
			if err := codec.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("decode quality report %s: %w", k, err)
			}
			out = append(out, q)
			return nil
		})
	})
	if err == nil && len(out) == 0 {
		err = errNoQuality
	}
	return out, err
}

var errNoQuality = errors.New("no quality report yet: import records first")

// IsNoQuality reports whether err says that no rebuild has produced a quality report yet.
func IsNoQuality(err error) bool { return errors.Is(err, errNoQuality) }

// Unmerge splits a profile: every pair of its source records from different sides of the split
// becomes a cannot-link constraint, so later rebuilds keep them apart. With no split given,
// every source becomes its own profile.
func Unmerge(ctx context.Context, st *store.Store, profileID string) (int, error) {
	p, err := Lookup(st, profileID)
	if err != nil {
		return 0, err
	}
	if len(p.Sources) < 2 {
		return 0, fmt.Errorf("profile %s has a single source: nothing to unmerge", p.ID)
	}
	n := 0
	now := []byte(time.Now().UTC().Format(time.RFC3339))
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range p.Sources {
			for j := i + 1; j < len(p.Sources); j++ {
				k := unmergePrefix + p.Sources[i].Key() + "|" + p.Sources[j].Key()
				if err := tx.Put(store.MergeAudit, []byte(k), now); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ingest: unmerge %s: %w", p.ID, err)
	}
	return n, nil
}

func unmerges(st *store.Store) ([]identity.Constraint, error) {
	var out []identity.Constraint
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(unmergePrefix), func(k, _ []byte) error {
			a, b, ok := strings.Cut(strings.TrimPrefix(string(k), unmergePrefix), "|")
			if ok {
				out = append(out, identity.Constraint{A: a, B: b})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: load unmerges: %w", err)
	}
	return out, nil
}
