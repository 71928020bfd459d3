package emailsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/privacy"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// FailingAfter is how many sends in a row must fail before the destination counts as
// failing (status, /readyz, metrics).
const FailingAfter = 3

// Options configure a Syncer.
type Options struct {
	DB       *store.Store
	Config   *config.Config
	Dest     config.Destination
	Platform Platform
	Outbox   *outbox.Outbox
	Logger   zerolog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Backoff is the retry schedule of transient failures (outbox defaults when zero).
	Backoff outbox.Backoff
}

// Syncer keeps one email destination in step with the segments.
type Syncer struct {
	opts Options
	log  zerolog.Logger

	mu      sync.Mutex
	learned map[string]learnedStatus // item key -> suppression learned by the last send
	health  Health
}

type learnedStatus struct {
	rev    uint64
	status email.Status
	msg    string
}

// Health is how the destination's deliveries are going.
type Health struct {
	// Failing is true after FailingAfter sends in a row failed entirely.
	Failing bool `json:"failing"`
	// FailedSends counts the sends in a row that failed (0 after a success).
	FailedSends int       `json:"failed_sends"`
	LastError   string    `json:"last_error,omitempty"` // addresses masked
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Delivered   int64     `json:"delivered"`
	Suppressed  int64     `json:"suppressed_learned"`
	Deleted     int64     `json:"deleted"`
}

// payload is an outbox item of an email destination.
type payload struct {
	Op     string            `cbor:"1,keyasint"` // opChange or opDelete
	Change email.Change      `cbor:"2,keyasint"`
	Want   []string          `cbor:"3,keyasint,omitempty"`
	Props  map[string]string `cbor:"4,keyasint,omitempty"`
}

const (
	opChange = "change"
	opDelete = "delete"
)

// New returns the Syncer of opts.Dest.
func New(opts Options) *Syncer {
	return &Syncer{opts: opts, log: opts.Logger.With().Str("destination", opts.Dest.ID).Logger(),
		learned: map[string]learnedStatus{}}
}

// ID is the destination id (and its outbox destination).
func (s *Syncer) ID() string { return s.opts.Dest.ID }

// Kind is the destination's platform.
func (s *Syncer) Kind() string { return s.opts.Dest.Kind }

func (s *Syncer) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now().UTC()
	}
	return time.Now().UTC()
}

// Plan computes the destination's changes from a read snapshot and queues them in the
// outbox (a pending change of an address is replaced by the newer one). The plan is read in
// a read-only transaction, so a large plan never holds the write lock that webhook
// deliveries commit under; a delivery applied in between at most makes one change be sent
// again, which is idempotent.
func (s *Syncer) Plan(ctx context.Context) (*Plan, error) {
	plan, err := Compute(s.opts.DB, s.opts.Config, s.opts.Dest)
	if err != nil {
		return nil, err
	}
	const chunk = 5000 // items per enqueue transaction
	items := make([]outbox.Item, 0, min(len(plan.Changes), chunk))
	flush := func() error {
		if len(items) == 0 {
			return nil
		}
		if err := s.opts.Outbox.Enqueue(ctx, items...); err != nil {
			return fmt.Errorf("emailsync: %s: queue plan: %w", s.ID(), err)
		}
		items = items[:0]
		return nil
	}
	for _, e := range plan.Changes {
		b, err := codec.Marshal(payload{Op: opChange, Change: e.Change, Want: e.Want, Props: e.Props})
		if err != nil {
			return nil, fmt.Errorf("emailsync: %s: encode change: %w", s.ID(), err)
		}
		items = append(items, outbox.Item{Destination: s.ID(), Key: e.Key, Payload: b, Summary: summary(e.Change)})
		if len(items) == chunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return plan, nil
}

func summary(c email.Change) string {
	var parts []string
	if len(c.Add) > 0 {
		parts = append(parts, "add "+strings.Join(c.Add, ", "))
	}
	if len(c.Remove) > 0 {
		parts = append(parts, "remove "+strings.Join(c.Remove, ", "))
	}
	if c.Props != nil {
		parts = append(parts, "properties")
	}
	return strings.Join(parts, "; ")
}

// QueueErase queues, in tx, the deletion of each address at the destination: it replaces
// any pending change of the address. privacy.Options.OnErased calls it.
func (s *Syncer) QueueErase(tx *store.Tx, addresses []string) error {
	items := make([]outbox.Item, 0, len(addresses))
	for _, a := range addresses {
		b, err := codec.Marshal(payload{Op: opDelete, Change: email.Change{Email: a}})
		if err != nil {
			return fmt.Errorf("emailsync: %s: encode deletion: %w", s.ID(), err)
		}
		items = append(items, outbox.Item{Destination: s.ID(), Key: ItemKey(a), Payload: b, Summary: "delete (privacy)"})
	}
	return s.opts.Outbox.EnqueueTx(tx, items...)
}

// Run delivers the destination's queue until ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	return s.opts.Outbox.Run(ctx, s.ID(), outbox.SenderFunc(s.send), outbox.RunOptions{
		BatchSize: max(s.opts.Platform.BatchSize(), 1),
		Backoff:   s.opts.Backoff,
		DryRun:    s.opts.Dest.DryRun,
		OnApplied: s.onApplied,
	})
}

// send delivers one batch: deletions one by one, changes through Apply. A change whose
// address is suppressed locally is not sent at all (the plan skipped it, but a change queued
// before the suppression was learned may still be pending).
func (s *Syncer) send(ctx context.Context, batch []outbox.Item) []error {
	errs := make([]error, len(batch))
	pays := make([]payload, len(batch))
	var changeIdx []int
	err := s.opts.DB.View(func(tx *store.Tx) error {
		for i, it := range batch {
			if err := codec.Unmarshal(it.Payload, &pays[i]); err != nil {
				errs[i] = outbox.Permanent(fmt.Errorf("decode %s: %w", it.Key, err))
				continue
			}
			if pays[i].Op != opChange {
				continue
			}
			if sup, ok, err := Suppressed(tx, s.ID(), pays[i].Change.Email); err != nil {
				return err
			} else if ok {
				s.learn(it, sup.Status, sup.Message)
				continue
			}
			changeIdx = append(changeIdx, i)
		}
		return nil
	})
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, it := range batch {
		if errs[i] == nil && pays[i].Op == opDelete {
			if err := s.opts.Platform.Delete(ctx, pays[i].Change.Email); err != nil {
				errs[i] = classify(err)
			}
			_ = it
		}
	}
	size := max(s.opts.Platform.BatchSize(), 1)
	for lo := 0; lo < len(changeIdx); lo += size {
		idx := changeIdx[lo:min(lo+size, len(changeIdx))]
		changes := make([]email.Change, len(idx))
		for j, i := range idx {
			changes[j] = pays[i].Change
		}
		outs := s.opts.Platform.Apply(ctx, changes)
		for j, i := range idx {
			if j >= len(outs) {
				errs[i] = fmt.Errorf("%s: platform returned %d outcomes for %d changes", s.ID(), len(outs), len(changes))
				continue
			}
			o := outs[j]
			if o.Status.Suppressed() {
				s.learn(batch[i], o.Status, o.Message)
				continue
			}
			if o.Err != nil {
				errs[i] = classify(o.Err)
			}
		}
	}
	s.recordHealth(errs)
	return errs
}

func classify(err error) error {
	switch {
	case email.IsPermanent(err):
		return outbox.Permanent(err)
	case email.RetryAfterOf(err) > 0:
		return outbox.RetryAfter(err, email.RetryAfterOf(err))
	}
	return err
}

func (s *Syncer) learn(it outbox.Item, st email.Status, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learned[it.Key] = learnedStatus{rev: it.Rev, status: st, msg: msg}
}

func (s *Syncer) recordHealth(errs []error) {
	failed := 0
	var last error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			failed++
			last = err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if failed > 0 {
		s.health.LastError = logging.MaskEmailsIn(last.Error())
		s.health.LastErrorAt = now
	}
	if failed == len(errs) && failed > 0 {
		s.health.FailedSends++
	} else {
		s.health.FailedSends = 0
		s.health.LastSuccess = now
	}
	s.health.Failing = s.health.FailedSends >= FailingAfter
}

// Health returns how deliveries are going.
func (s *Syncer) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health
}

// onApplied records, in the delivery's transaction, what the destination now has.
func (s *Syncer) onApplied(tx *store.Tx, delivered []outbox.Item) error {
	now := s.now()
	var nDelivered, nSuppressed, nDeleted int64
	for _, it := range delivered {
		var p payload
		if err := codec.Unmarshal(it.Payload, &p); err != nil {
			return fmt.Errorf("decode %s: %w", it.Key, err)
		}
		addr := p.Change.Email
		s.mu.Lock()
		l, ok := s.learned[it.Key]
		if ok && l.rev == it.Rev {
			delete(s.learned, it.Key)
		} else {
			ok = false
		}
		s.mu.Unlock()
		switch {
		case ok:
			if err := Suppress(tx, s.ID(), addr, Suppression{Status: l.status, Message: l.msg, At: now, Via: "write"}); err != nil {
				return err
			}
			nSuppressed++
		case p.Op == opDelete:
			if err := tx.Delete(store.Applied, appliedKey(s.ID(), addr)); err != nil {
				return err
			}
			if err := privacy.PutDestinationDelete(tx, s.ID(), addr, now); err != nil {
				return err
			}
			nDeleted++
		case len(p.Want) == 0:
			if err := tx.Delete(store.Applied, appliedKey(s.ID(), addr)); err != nil {
				return err
			}
			nDelivered++
		default:
			c := Contact{Email: addr, ProfileID: p.Change.ProfileID, Names: p.Want, Props: p.Props, At: now}
			if err := tx.PutValue(store.Applied, appliedKey(s.ID(), addr), c); err != nil {
				return err
			}
			nDelivered++
		}
	}
	s.mu.Lock()
	s.health.Delivered += nDelivered
	s.health.Suppressed += nSuppressed
	s.health.Deleted += nDeleted
	s.mu.Unlock()
	return nil
}

// StatusPass reads every suppressed address from the platform and records the
// suppressions; it returns how many were new.
func (s *Syncer) StatusPass(ctx context.Context) (int, error) {
	sups, err := s.opts.Platform.Suppressions(ctx)
	if err != nil {
		return 0, fmt.Errorf("emailsync: %s: status pass: %w", s.ID(), err)
	}
	added := 0
	now := s.now()
	err = s.opts.DB.Update(ctx, func(tx *store.Tx) error {
		added = 0
		for _, sp := range sups {
			if !sp.Status.Suppressed() || sp.Email == "" {
				continue
			}
			k := suppressionKey(s.ID(), sp.Email)
			if tx.Get(store.Suppressions, k) != nil {
				continue
			}
			at := sp.At
			if at.IsZero() {
				at = now
			}
			if err := tx.PutValue(store.Suppressions, k, Suppression{Status: sp.Status, Message: sp.Message, At: at, Via: "status pass"}); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("emailsync: %s: record suppressions: %w", s.ID(), err)
	}
	s.log.Info().Int("suppressed_at_platform", len(sups)).Int("new", added).Msg("status pass")
	return added, nil
}

// Names are the remote tag or list names of the segments the destination receives (custom
// segments included), whether or not anyone is in them yet.
func (s *Syncer) Names() []string {
	nameOf := tagpush.TagNames(s.opts.Config)
	var out []string
	for _, seg := range s.opts.Dest.Segments {
		if seg != config.AllSegments {
			out = append(out, nameOf(seg))
		}
	}
	for _, c := range s.opts.Config.Segments.Custom {
		if slices.Contains(c.Destinations, s.ID()) {
			out = append(out, nameOf(c.Name))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Sizes returns how many contacts carry each remote name the destination receives, as the
// platform counts them.
func (s *Syncer) Sizes(ctx context.Context) (map[string]int, error) {
	plan, err := Compute(s.opts.DB, s.opts.Config, s.opts.Dest)
	if err != nil {
		return nil, err
	}
	names := plan.Names
	if !slices.Contains(s.opts.Dest.Segments, config.AllSegments) {
		names = append(slices.Clone(names), s.Names()...)
		slices.Sort(names)
		names = slices.Compact(names)
	}
	return s.opts.Platform.Sizes(ctx, names)
}

// Drain delivers what is due now and returns when nothing is due any more (every item
// delivered, dead-lettered, or waiting for a retry) or ctx ends. It returns how many items
// are still pending. For one-shot pushes (`cohortd push`) and tests; the daemon uses Run.
func (s *Syncer) Drain(ctx context.Context) (int, error) {
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			cancel()
			if err == nil {
				err = ctx.Err()
			}
			return -1, err
		case <-tick.C:
		}
		sts, err := outbox.Status(s.opts.DB, time.Now())
		if err != nil {
			cancel()
			<-done
			return -1, err
		}
		pending, due := 0, 0
		for _, d := range sts {
			if d.Destination == s.ID() {
				pending, due = d.Pending, d.Due
			}
		}
		if due == 0 {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				return pending, err
			}
			return pending, nil
		}
	}
}

// Resync forgets what the destination was told and plans everything again (after the
// platform was edited by hand, or to repair drift). Suppressions stay: a resync never
// re-subscribes anyone.
func (s *Syncer) Resync(ctx context.Context) (*Plan, error) {
	err := s.opts.DB.Update(ctx, func(tx *store.Tx) error {
		var keys [][]byte
		if err := tx.ForEachPrefix(store.Applied, []byte(appliedPrefix+s.ID()+"/"), func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
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
	})
	if err != nil {
		return nil, fmt.Errorf("emailsync: %s: resync: %w", s.ID(), err)
	}
	return s.Plan(ctx)
}
