package outbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
)

func TestRunRetriesTransientFailuresWithBackoffThenDeliversOnce(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{Rand: half})
	ctx := context.Background()
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(n int, _ context.Context, b []Item) []error {
		if n < 3 {
			return all(b, fmt.Errorf("shopify: 503 on try %d", n+1))
		}
		return all(b, nil)
	}}
	var applied []Item
	var appliedMu sync.Mutex
	bo := Backoff{Base: 20 * time.Millisecond, Max: time.Second, MaxAttempts: 10}
	startRun(t, ob, "shop", s, RunOptions{
		Backoff:      bo,
		PollInterval: time.Hour, // retries must come from the schedule, not from polling
		OnApplied: func(tx *store.Tx, delivered []Item) error {
			appliedMu.Lock()
			defer appliedMu.Unlock()
			applied = append(applied, delivered...)
			return tx.Put(store.Applied, []byte("seg/shop/customer/1"), delivered[0].Payload)
		},
	})
	waitFor(t, "delivery", func() bool { return countPending(t, st, "shop") == 0 })

	calls := s.snapshot()
	if len(calls) != 4 {
		t.Fatalf("%d sends, want 4 (3 failures, 1 success)", len(calls))
	}
	for i, c := range calls {
		it := c.batch[0]
		if it.Attempts != i {
			t.Errorf("send %d saw attempts %d, want %d", i+1, it.Attempts, i)
		}
		if i == 0 {
			continue
		}
		if want := fmt.Sprintf("shopify: 503 on try %d", i); it.LastError != want {
			t.Errorf("send %d saw last error %q, want %q", i+1, it.LastError, want)
		}
		// The schedule is exactly the jittered backoff (r = 0.5: 3/4 of the step), so it
		// grows 15, 30, 60 ms and stays within [step/2, step).
		wait := it.NextAttempt.Sub(it.LastAttempt)
		if step := bo.Step(i); wait != bo.Delay(i, 0.5) || wait < step/2 || wait >= step {
			t.Errorf("send %d was scheduled %v after the failure, want %v (step %v)", i+1, wait, bo.Delay(i, 0.5), step)
		}
		if gap := c.at.Sub(calls[i-1].at); gap < bo.Delay(i, 0.5) {
			t.Errorf("send %d came %v after the previous one, before its backoff %v", i+1, gap, bo.Delay(i, 0.5))
		}
	}
	appliedMu.Lock()
	defer appliedMu.Unlock()
	if len(applied) != 1 || applied[0].Key != "customer/1" {
		t.Errorf("OnApplied got %v, want customer/1 once", keysOf(applied))
	}
	if v, _ := st.Get(store.Applied, []byte("seg/shop/customer/1")); string(v) != "v1" {
		t.Errorf("applied state %q, want v1", v)
	}
	if dls := deadLetters(t, st, "shop"); len(dls) != 0 {
		t.Errorf("dead letters after a success: %+v", dls)
	}
}

func TestRunPermanentErrorGoesToDeadLettersWithReason(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	if err := ob.Enqueue(ctx, item("shop", "customer/bad", "x"), item("shop", "customer/good", "y")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error {
		errs := make([]error, len(b))
		for i, it := range b {
			if it.Key == "customer/bad" {
				errs[i] = Permanent(errors.New(`userErrors: [email] "Jane.Doe@Example.com" is invalid`))
			}
		}
		return errs
	}}
	var appliedKeys []string
	var mu sync.Mutex
	logs := &lockedBuffer{}
	ob = New(st, Options{Logger: zerolog.New(logs)})
	startRun(t, ob, "shop", s, RunOptions{Backoff: fastBackoff, PollInterval: 5 * time.Millisecond,
		OnApplied: func(_ *store.Tx, d []Item) error {
			mu.Lock()
			defer mu.Unlock()
			appliedKeys = append(appliedKeys, keysOf(d)...)
			return nil
		}})
	waitFor(t, "queue drained", func() bool { return countPending(t, st, "shop") == 0 })
	time.Sleep(30 * time.Millisecond) // several poll cycles: a dead letter must not be retried

	if got := s.sentKeys(); !slices.Equal(got, []string{"customer/bad", "customer/good"}) {
		t.Errorf("sent %v, want each key once", got)
	}
	dls := deadLetters(t, st, "shop")
	if len(dls) != 1 {
		t.Fatalf("dead letters %+v, want 1", dls)
	}
	dl := dls[0]
	if dl.Item.Key != "customer/bad" || !dl.Permanent || string(dl.Item.Payload) != "x" || dl.At.IsZero() {
		t.Errorf("dead letter %+v", dl)
	}
	if want := `userErrors: [email] "j***@example.com" is invalid`; dl.Reason != want {
		t.Errorf("reason %q, want the platform's message with the address masked: %q", dl.Reason, want)
	}
	line := logs.String()
	if !strings.Contains(line, `"key":"customer/bad"`) || !strings.Contains(line, "j***@example.com") ||
		strings.Contains(line, "Jane.Doe") || !strings.Contains(line, "dead letters") {
		t.Errorf("dead-letter log line: %s", line)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(appliedKeys, []string{"customer/good"}) {
		t.Errorf("applied %v, want only customer/good", appliedKeys)
	}
}

func TestRunGivesUpAfterMaxAttempts(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	if err := ob.Enqueue(context.Background(), item("news", "member/1", "x")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error {
		return all(b, errors.New("listmonk: read tcp: i/o timeout"))
	}}
	startRun(t, ob, "news", s, RunOptions{Backoff: Backoff{Base: time.Millisecond, Max: 2 * time.Millisecond, MaxAttempts: 3}})
	waitFor(t, "dead letter", func() bool { return len(deadLetters(t, st, "news")) == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := len(s.snapshot()); n != 3 {
		t.Errorf("%d sends, want 3", n)
	}
	dl := deadLetters(t, st, "news")[0]
	if dl.Reason != "gave up after 3 attempts: listmonk: read tcp: i/o timeout" || dl.Permanent || dl.Item.Attempts != 3 {
		t.Errorf("dead letter %+v", dl)
	}
	if n := countPending(t, st, "news"); n != 0 {
		t.Errorf("%d still pending", n)
	}
}

func TestRunHonoursRetryAfterAndMismatchedResults(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{Rand: half})
	if err := ob.Enqueue(context.Background(), item("shop", "a", "1"), item("shop", "b", "2")); err != nil {
		t.Fatal(err)
	}
	s := &fakeSender{fn: func(n int, _ context.Context, b []Item) []error {
		if n == 0 {
			return nil // a broken sender: no result per item
		}
		return all(b, RetryAfter(errors.New("429 throttled"), time.Hour))
	}}
	startRun(t, ob, "shop", s, RunOptions{Backoff: fastBackoff})
	waitFor(t, "second failure", func() bool {
		items := pending(t, st, "shop")
		return len(items) == 2 && items[0].Attempts == 2 && items[1].Attempts == 2
	})
	items := pending(t, st, "shop")
	for _, it := range items {
		if it.LastError != "429 throttled" || it.NextAttempt.Sub(it.LastAttempt) != time.Hour {
			t.Errorf("%s: last error %q, next attempt %v after the failure; want 429 and 1h", it.Key, it.LastError, it.NextAttempt.Sub(it.LastAttempt))
		}
	}
	first := s.snapshot()[0]
	if len(first.batch) != 2 {
		t.Errorf("first batch %v", keysOf(first.batch))
	}
}

func TestRunPausesDestinationWhenWholeBatchFails(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{Rand: half})
	for i := range 5 {
		if err := ob.Enqueue(context.Background(), item("shop", "k"+strconv.Itoa(i), "x")); err != nil {
			t.Fatal(err)
		}
	}
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, errors.New("connection refused")) }}
	bo := Backoff{Base: 40 * time.Millisecond, Max: time.Second, MaxAttempts: 100}
	startRun(t, ob, "shop", s, RunOptions{BatchSize: 1, Backoff: bo})
	waitFor(t, "three sends", func() bool { return len(s.snapshot()) >= 3 })
	calls := s.snapshot()
	// Without the pause the five queued items would go out back to back.
	for i := 1; i < 3; i++ {
		if gap := calls[i].at.Sub(calls[i-1].at); gap < bo.Delay(i, 0.5) {
			t.Errorf("send %d came %v after the previous failed one, want at least %v", i+1, gap, bo.Delay(i, 0.5))
		}
	}
	if calls[0].batch[0].Key != "k0" || calls[1].batch[0].Key != "k1" {
		t.Errorf("the pause should move on to the next items, sent %v", s.sentKeys())
	}
}

func TestRunDryRunRecordsPlannedChangesWithoutSending(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	ctx := context.Background()
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v1"), item("shop", "customer/2", "v1")); err != nil {
		t.Fatal(err)
	}
	var hooked atomic.Int32
	dry := RunOptions{DryRun: true, OnApplied: func(*store.Tx, []Item) error { hooked.Add(1); return nil }}
	r := startRun(t, ob, "shop", nil, dry)
	waitFor(t, "planned", func() bool { return countPending(t, st, "shop") == 0 })
	// Applied state is untouched, so the next diff enqueues a change again: it replaces the plan.
	if err := ob.Enqueue(ctx, item("shop", "customer/1", "v2")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "planned again", func() bool { return countPending(t, st, "shop") == 0 })
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	plans, err := PlannedChanges(st, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[0].Item.Key != "customer/1" || string(plans[0].Item.Payload) != "v2" ||
		plans[0].Item.Summary != "change customer/1" || plans[1].Item.Key != "customer/2" || plans[0].At.IsZero() {
		t.Fatalf("plans %+v", plans)
	}
	if hooked.Load() != 0 {
		t.Errorf("OnApplied ran %d times in a dry run", hooked.Load())
	}
	if n := countKeys(t, st, store.Applied); n != 0 {
		t.Errorf("dry run wrote %d applied-state keys", n)
	}
	sts, err := Status(st, time.Now())
	if err != nil || len(sts) != 1 || sts[0].Planned != 2 || sts[0].Pending != 0 {
		t.Fatalf("status %+v %v", sts, err)
	}

	// Going live clears the plan: it described a dry run.
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{})
	waitFor(t, "plan cleared", func() bool {
		p, err := PlannedChanges(st, "shop")
		return err == nil && len(p) == 0
	})
	if n := len(s.snapshot()); n != 0 {
		t.Errorf("live run sent %d batches with nothing queued", n)
	}
}

func countKeys(t *testing.T, st *store.Store, b store.Bucket) int {
	t.Helper()
	n := 0
	if err := st.View(func(tx *store.Tx) error { n = tx.Count(b); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunOnAppliedSharesTheRemovalTransaction(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{Rand: half})
	if err := ob.Enqueue(context.Background(), item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	hookFailed := make(chan struct{})
	proceed := make(chan struct{})
	s := &fakeSender{fn: func(n int, _ context.Context, b []Item) []error {
		if n == 1 {
			<-proceed // hold the re-send until the test has looked at the store
		}
		return all(b, nil)
	}}
	var hookCalls atomic.Int32
	startRun(t, ob, "shop", s, RunOptions{Backoff: fastBackoff, OnApplied: func(tx *store.Tx, d []Item) error {
		if err := tx.Put(store.Applied, []byte("seg/shop/customer/1"), d[0].Payload); err != nil {
			return err
		}
		if hookCalls.Add(1) == 1 {
			close(hookFailed)
			return errors.New("applied state: disk says no")
		}
		return nil
	}})
	<-hookFailed
	waitFor(t, "re-send", func() bool { return len(s.snapshot()) == 2 })
	// The hook failed after writing: its write and the removal were rolled back together.
	items := pending(t, st, "shop")
	if len(items) != 1 || items[0].Attempts != 0 {
		t.Errorf("after the failed hook: pending %+v, want the item, with no attempt counted", items)
	}
	if _, err := st.Get(store.Applied, []byte("seg/shop/customer/1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("applied state written by the failed hook survived: %v", err)
	}
	close(proceed)
	waitFor(t, "delivery", func() bool { return countPending(t, st, "shop") == 0 })
	if v, _ := st.Get(store.Applied, []byte("seg/shop/customer/1")); string(v) != "v1" {
		t.Errorf("applied %q after the second commit", v)
	}
	if got := s.sentKeys(); len(got) != 2 {
		t.Errorf("sent %v: at least once means twice here", got)
	}
}

func TestRunCrashBetweenSendAndCommitResends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cohortd.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ob := New(st, Options{})
	if err := ob.Enqueue(context.Background(), item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	// The destination applies the change, then the process dies before the commit.
	crashing := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
		return all(b, nil)
	}}
	err = ob.Run(context.Background(), "shop", crashing, RunOptions{})
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Run on a store closed under it: %v, want ErrClosed", err)
	}

	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ob = New(st, Options{})
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{})
	waitFor(t, "re-delivery", func() bool { return countPending(t, st, "shop") == 0 })
	if got := s.sentKeys(); !slices.Equal(got, []string{"customer/1"}) {
		t.Errorf("after restart sent %v, want customer/1 again", got)
	}
	if string(s.snapshot()[0].batch[0].Payload) != "v1" {
		t.Errorf("re-sent payload %q", s.snapshot()[0].batch[0].Payload)
	}
}

func TestRunCancelledDuringSendKeepsItemUncounted(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	if err := ob.Enqueue(context.Background(), item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	inSend := make(chan struct{})
	s := &fakeSender{fn: func(_ int, ctx context.Context, b []Item) []error {
		close(inSend)
		<-ctx.Done()
		return all(b, ctx.Err())
	}}
	r := startRun(t, ob, "shop", s, RunOptions{})
	<-inSend
	if err := r.stop(t); err != nil {
		t.Fatalf("Run after cancel: %v, want nil", err)
	}
	items := pending(t, st, "shop")
	if len(items) != 1 || items[0].Attempts != 0 || items[0].LastError != "" {
		t.Errorf("after a cancelled send: %+v, want the item untouched", items)
	}
}

func TestRunCommitsASendThatCompletedAfterCancel(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	if err := ob.Enqueue(context.Background(), item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error {
		cancel() // shutdown arrives while the request is answered
		return all(b, nil)
	}}
	var applied atomic.Int32
	err := ob.Run(ctx, "shop", s, RunOptions{OnApplied: func(*store.Tx, []Item) error { applied.Add(1); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if n := countPending(t, st, "shop"); n != 0 || applied.Load() != 1 {
		t.Errorf("pending %d, applied %d: a delivered item must be committed, not sent again", n, applied.Load())
	}
}

func TestRunOneLoopPerDestination(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{})
	waitFor(t, "first loop registered", func() bool {
		ob.mu.Lock()
		defer ob.mu.Unlock()
		return ob.running["shop"]
	})
	if err := ob.Run(context.Background(), "shop", s, RunOptions{}); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	if err := ob.Run(context.Background(), "a/b", s, RunOptions{}); !errors.Is(err, ErrInvalidItem) {
		t.Errorf("Run with a bad destination: %v", err)
	}
}

func TestRunWakesOnEnqueue(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	s := &fakeSender{fn: func(_ int, _ context.Context, b []Item) []error { return all(b, nil) }}
	startRun(t, ob, "shop", s, RunOptions{PollInterval: time.Hour})
	time.Sleep(10 * time.Millisecond) // let Run go to sleep on an empty queue
	start := time.Now()
	if err := ob.Enqueue(context.Background(), item("shop", "customer/1", "v1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", func() bool { return countPending(t, st, "shop") == 0 })
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("delivery took %v", took)
	}
	// EnqueueTx + Notify wakes it too.
	err := st.Update(context.Background(), func(tx *store.Tx) error { return ob.EnqueueTx(tx, item("shop", "customer/2", "v1")) })
	if err != nil {
		t.Fatal(err)
	}
	ob.Notify("shop")
	waitFor(t, "delivery after Notify", func() bool { return countPending(t, st, "shop") == 0 })
	if got := s.sentKeys(); !slices.Equal(got, []string{"customer/1", "customer/2"}) {
		t.Errorf("sent %v", got)
	}
}

// Many goroutines enqueue successive versions of their keys while Run drains with a sender
// that sometimes fails: every key ends with its latest version delivered, no version is
// delivered twice and none after a newer one.
func TestRunConcurrentEnqueueLosesAndDuplicatesNothing(t *testing.T) {
	st, _ := openStore(t)
	ob := New(st, Options{})
	const writers, keys, versions = 8, 40, 3
	var mu sync.Mutex
	delivered := map[string][]int{}
	applied := map[string]int{}
	s := &fakeSender{fn: func(n int, _ context.Context, b []Item) []error {
		errs := make([]error, len(b))
		for i, it := range b {
			if (n+i)%7 == 3 {
				errs[i] = errors.New("flaky")
				continue
			}
			v, _ := strconv.Atoi(strings.TrimPrefix(string(it.Payload), "v"))
			mu.Lock()
			delivered[it.Key] = append(delivered[it.Key], v)
			mu.Unlock()
		}
		return errs
	}}
	startRun(t, ob, "shop", s, RunOptions{BatchSize: 7, Backoff: fastBackoff, OnApplied: func(_ *store.Tx, d []Item) error {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range d {
			v, _ := strconv.Atoi(strings.TrimPrefix(string(it.Payload), "v"))
			applied[it.Key] = v
		}
		return nil
	}})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for v := 1; v <= versions; v++ {
				for k := range keys {
					key := fmt.Sprintf("w%d/k%d", w, k)
					if err := ob.Enqueue(context.Background(), item("shop", key, "v"+strconv.Itoa(v))); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "drained", func() bool { return countPending(t, st, "shop") == 0 })

	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != writers*keys {
		t.Fatalf("%d keys delivered, want %d", len(delivered), writers*keys)
	}
	for key, vs := range delivered {
		if vs[len(vs)-1] != versions || applied[key] != versions {
			t.Errorf("%s: delivered %v, applied v%d; want the latest (v%d) last", key, vs, applied[key], versions)
		}
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("%s: delivered %v: a version twice or out of order", key, vs)
			}
		}
	}
	if dls := deadLetters(t, st, "shop"); len(dls) != 0 {
		t.Errorf("%d dead letters", len(dls))
	}
}
