package outbox

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cohortd/cohortd/store"
)

// rejectAll dead-letters keys of dest through a real Run whose destination rejects everything.
func rejectAll(t *testing.T, st *store.Store, ob *Outbox, dest string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := ob.Enqueue(context.Background(), item(dest, k, "payload-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error {
		return all(b, Permanent(errors.New("422 Unprocessable Entity: tag too long")))
	}}
	r := startRun(t, ob, dest, s, RunOptions{})
	waitFor(t, "dead letters", func() bool { return countPending(t, st, dest) == 0 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func deadKeys(t *testing.T, st *store.Store, dest string) []string {
	t.Helper()
	var out []string
	for _, dl := range deadLetters(t, st, dest) {
		out = append(out, dl.Item.Key)
	}
	return out
}

func TestRetryRequeuesDeadLetters(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	rejectAll(t, st, ob, "shop", "a", "b", "c")
	rejectAll(t, st, ob, "news", "a")
	// A newer change of c is pending: retrying the old c would undo it.
	if err := ob.Enqueue(ctx, item("shop", "c", "newer")); err != nil {
		t.Fatal(err)
	}

	if _, err := Retry(ctx, st, "shop", "a", "nope"); !errors.Is(err, ErrNoDeadLetter) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("retry of a missing key: %v", err)
	}
	if got := deadKeys(t, st, "shop"); len(got) != 3 {
		t.Fatalf("a failed retry changed the dead letters: %v", got)
	}

	res, err := Retry(ctx, st, "shop", "a")
	if err != nil || res != (RetryResult{Requeued: 1}) {
		t.Fatalf("retry a: %+v %v", res, err)
	}
	items := pending(t, st, "shop")
	if !slices.Equal(keysOf(items), []string{"c", "a"}) {
		t.Fatalf("pending %v, want c then a (requeued at the tail)", keysOf(items))
	}
	a := items[1]
	if string(a.Payload) != "payload-a" || a.Attempts != 0 || a.LastError != "" || a.NextAttempt.After(time.Now()) {
		t.Errorf("requeued item %+v: want its payload, no attempts, due now", a)
	}

	res, err = Retry(ctx, st, "shop")
	if err != nil || res != (RetryResult{Requeued: 1, Superseded: 1}) {
		t.Fatalf("retry all: %+v %v", res, err)
	}
	items = pending(t, st, "shop")
	if !slices.Equal(keysOf(items), []string{"c", "a", "b"}) || string(items[0].Payload) != "newer" {
		t.Errorf("pending %v (c=%q), want the newer c kept", keysOf(items), items[0].Payload)
	}
	if got := deadKeys(t, st, "shop"); len(got) != 0 {
		t.Errorf("dead letters left: %v", got)
	}
	if got := deadKeys(t, st, "news"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("retry of shop touched news: %v", got)
	}

	// A requeued item is delivered by the next Run.
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{})
	waitFor(t, "delivery", func() bool { return countPending(t, st, "shop") == 0 })
	if got := s.sentKeys(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Errorf("sent %v", got)
	}
}

func TestDeliveryOfANewerChangeRetiresTheDeadLetter(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	rejectAll(t, st, ob, "shop", "a", "b")
	if err := ob.Enqueue(context.Background(), item("shop", "a", "newer")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{})
	waitFor(t, "delivery", func() bool { return countPending(t, st, "shop") == 0 })
	if got := deadKeys(t, st, "shop"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("dead letters %v, want only b: a's newer change was delivered", got)
	}
}

func TestDropDeletesDeadLetters(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	rejectAll(t, st, ob, "shop", "a", "b", "c")
	rejectAll(t, st, ob, "shop-eu", "a") // a destination whose id extends another's

	if _, err := Drop(ctx, st, "shop", "a", "missing"); !errors.Is(err, ErrNoDeadLetter) {
		t.Fatalf("drop with a missing key: %v", err)
	}
	if got := deadKeys(t, st, "shop"); len(got) != 3 {
		t.Fatalf("a failed drop deleted something: %v", got)
	}
	if n, err := Drop(ctx, st, "shop", "b"); err != nil || n != 1 {
		t.Fatalf("drop b: %d %v", n, err)
	}
	if got := deadKeys(t, st, "shop"); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("after drop b: %v", got)
	}
	if n, err := Drop(ctx, st, "shop"); err != nil || n != 2 {
		t.Fatalf("drop all: %d %v", n, err)
	}
	if got := deadKeys(t, st, "shop"); len(got) != 0 {
		t.Errorf("after drop all: %v", got)
	}
	if got := deadKeys(t, st, "shop-eu"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("drop of shop touched shop-eu: %v", got)
	}
	if n := countPending(t, st, "shop"); n != 0 {
		t.Errorf("drop requeued %d items", n)
	}
}

func TestStatusSummarisesEveryDestination(t *testing.T) {
	st, _ := openStore(t)
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := t0
	ob := New(st, Options{Now: func() time.Time { return clock }, Rand: half})
	ctx := context.Background()
	rejectAll(t, st, ob, "news", "m1") // dead letter at t0
	if err := ob.Enqueue(ctx, item("shop", "c1", "x"), item("shop", "c2", "x")); err != nil {
		t.Fatal(err)
	}
	clock = t0.Add(time.Minute)
	if err := ob.Enqueue(ctx, item("shop", "c3", "x")); err != nil {
		t.Fatal(err)
	}
	// c1 fails once and waits; c2 and c3 stay due.
	err := st.Update(ctx, func(tx *store.Tx) error {
		cur, _, err := pendingByKey(tx, "shop", "c1")
		if err != nil {
			return err
		}
		cur.Attempts, cur.LastError, cur.LastAttempt = 1, "503", clock
		return reschedule(tx, &cur, t0.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		return tx.PutValue(store.Outbox, planKey("klaviyo", "p1"), &Planned{Item: item("klaviyo", "p1", "x"), At: t0})
	}); err != nil {
		t.Fatal(err)
	}

	sts, err := Status(st, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []DestinationStatus{
		{Destination: "klaviyo", Planned: 1},
		{Destination: "news", Dead: 1, LastError: "422 Unprocessable Entity: tag too long", LastErrorAt: t0},
		{Destination: "shop", Pending: 3, Due: 2, Retrying: 1, OldestEnqueued: t0, NextAttempt: t0,
			LastError: "503", LastErrorAt: t0.Add(time.Minute)},
	}
	if len(sts) != len(want) {
		t.Fatalf("status %+v", sts)
	}
	for i := range want {
		g, w := sts[i], want[i]
		if g.Destination != w.Destination || g.Pending != w.Pending || g.Due != w.Due || g.Retrying != w.Retrying ||
			g.Dead != w.Dead || g.Planned != w.Planned || !g.OldestEnqueued.Equal(w.OldestEnqueued) ||
			!g.NextAttempt.Equal(w.NextAttempt) || g.LastError != w.LastError || !g.LastErrorAt.Equal(w.LastErrorAt) {
			t.Errorf("status[%d]\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestMetricsCountSendsFailuresAndQueues(t *testing.T) {
	st, _ := openStore(t)
	m := NewMetrics(st)
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	ob := New(st, Options{Metrics: m})
	if err := ob.Enqueue(context.Background(), item("shop", "ok", "x"), item("shop", "bad", "x"), item("shop", "flaky", "x")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(n int, _ context.Context, b []Item) []error {
		errs := make([]error, len(b))
		for i, it := range b {
			switch {
			case it.Key == "bad":
				errs[i] = Permanent(errors.New("400"))
			case it.Key == "flaky" && n == 0:
				errs[i] = errors.New("503")
			}
		}
		return errs
	}}
	r := startRun(t, ob, "shop", s, RunOptions{Backoff: fastBackoff})
	waitFor(t, "drained", func() bool { return countPending(t, st, "shop") == 0 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]float64{
		"sent":      {testutil.ToFloat64(m.sent.WithLabelValues("shop")), 2},
		"transient": {testutil.ToFloat64(m.failures.WithLabelValues("shop", "transient")), 1},
		"permanent": {testutil.ToFloat64(m.failures.WithLabelValues("shop", "permanent")), 1},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %v, want %v", name, pair[0], pair[1])
		}
	}
	expected := `
# HELP cohortd_outbox_dead_letters Outbox items given up on, waiting for an operator (cohortd outbox retry|drop).
# TYPE cohortd_outbox_dead_letters gauge
cohortd_outbox_dead_letters{destination="shop"} 1
# HELP cohortd_outbox_pending Outbox items waiting to be delivered.
# TYPE cohortd_outbox_pending gauge
cohortd_outbox_pending{destination="shop"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), "cohortd_outbox_pending", "cohortd_outbox_dead_letters"); err != nil {
		t.Error(err)
	}
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", probs, err)
	}
}
