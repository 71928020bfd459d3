package outbox

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
)

// call is one Send as the fake sender saw it.
type call struct {
	at    time.Time
	batch []Item
}

// fakeSender answers each Send with fn(call number from 0, batch) and records the calls.
type fakeSender struct {
	mu    sync.Mutex
	calls []call
	fn    func(n int, ctx context.Context, batch []Item) []error
}

func (f *fakeSender) Send(ctx context.Context, batch []Item) []error {
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, call{at: time.Now(), batch: append([]Item(nil), batch...)})
	f.mu.Unlock()
	return f.fn(n, ctx, batch)
}

func (f *fakeSender) snapshot() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// sentKeys lists the keys of every item sent, in order.
func (f *fakeSender) sentKeys() []string {
	var out []string
	for _, c := range f.snapshot() {
		out = append(out, keysOf(c.batch)...)
	}
	return out
}

// all returns the same error for every item of a batch.
func all(batch []Item, err error) []error {
	errs := make([]error, len(batch))
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// running is a Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func startRun(t *testing.T, ob *Outbox, dest string, s Sender, opts RunOptions) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- ob.Run(ctx, dest, s, opts) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the Run and returns its result (once; later calls return nil).
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func countPending(t *testing.T, st *store.Store, dest string) int {
	t.Helper()
	return len(pending(t, st, dest))
}

func deadLetters(t *testing.T, st *store.Store, dest string) []DeadLetter {
	t.Helper()
	dls, err := DeadLetters(st, dest)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}

// fastBackoff keeps retries in milliseconds.
var fastBackoff = Backoff{Base: time.Millisecond, Max: 4 * time.Millisecond, MaxAttempts: 100}

// lockedBuffer is a log sink safe for the Run goroutine and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// half makes the jitter deterministic: every delay is 3/4 of its step.
func half() float64 { return 0.5 }
