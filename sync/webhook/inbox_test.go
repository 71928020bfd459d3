package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
)

func appendN(t *testing.T, in *Inbox, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		_, dup, err := in.Append(context.Background(), Envelope{Platform: "shopify", Store: "s1", Topic: "orders/create",
			EventID: fmt.Sprintf("ev-%04d", i), Body: orderBody(i)})
		if err != nil || dup {
			t.Fatalf("append %d: dup %v err %v", i, dup, err)
		}
	}
}

func eventIDs(envs []Envelope) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.EventID
	}
	return out
}

func TestNextReturnsArrivalOrderInBatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	ctx := context.Background()
	appendN(t, h.inbox, 0, 7)
	first, err := h.inbox.Next(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.inbox.Next(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := eventIDs(append(first, second...))
	want := []string{"ev-0000", "ev-0001", "ev-0002", "ev-0003", "ev-0004", "ev-0005", "ev-0006"}
	if len(first) != 4 || !slices.Equal(got, want) {
		t.Fatalf("batches %v + %v, want %v split 4+3", eventIDs(first), eventIDs(second), want)
	}
	for i, e := range append(first, second...) {
		if e.Seq != uint64(i+1) || string(e.Body) != string(orderBody(i)) {
			t.Errorf("entry %d: seq %d body %q", i, e.Seq, e.Body)
		}
	}
	// Done on some, then a new arrival: Next continues after the cursor.
	if err := h.inbox.Done(ctx, first...); err != nil {
		t.Fatal(err)
	}
	appendN(t, h.inbox, 7, 1)
	third, err := h.inbox.Next(ctx, 10)
	if err != nil || !slices.Equal(eventIDs(third), []string{"ev-0007"}) {
		t.Fatalf("after Done: %v, %v; want [ev-0007]", eventIDs(third), err)
	}
	if h.inbox.Depth() != 4 {
		t.Errorf("depth %d, want 4", h.inbox.Depth())
	}
	// Rewind re-delivers what is not done yet, still in order.
	h.inbox.Rewind()
	again, err := h.inbox.Next(ctx, 10)
	if err != nil || !slices.Equal(eventIDs(again), []string{"ev-0004", "ev-0005", "ev-0006", "ev-0007"}) {
		t.Fatalf("after Rewind: %v, %v", eventIDs(again), err)
	}
}

func TestNextBlocksUntilAnAppendWakesIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	got := make(chan []Envelope, 1)
	errs := make(chan error, 1)
	go func() {
		envs, err := h.inbox.Next(context.Background(), 10)
		errs <- err
		got <- envs
	}()
	select {
	case err := <-errs:
		t.Fatalf("Next returned on an empty inbox (err %v)", err)
	case <-time.After(150 * time.Millisecond):
	}
	// A webhook arrives through the receiver.
	d := delivery{topic: "orders/create", eventID: "ev-wake", body: orderBody(1), secret: secretA}
	if code := send(t, d.request(t, h.url)); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	select {
	case err := <-errs:
		envs := <-got
		if err != nil || len(envs) != 1 || envs[0].EventID != "ev-wake" {
			t.Fatalf("woken Next = %v, %v", eventIDs(envs), err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next not woken by the commit")
	}
	// A duplicate does not wake a waiter.
	go func() {
		envs, err := h.inbox.Next(context.Background(), 10)
		errs <- err
		got <- envs
	}()
	if code := send(t, d.request(t, h.url)); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	select {
	case err := <-errs:
		t.Fatalf("Next returned after a duplicate: %v %v", eventIDs(<-got), err)
	case <-time.After(150 * time.Millisecond):
	}
	// Close wakes it with ErrClosed.
	if err := h.inbox.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not wake Next")
	}
}

func TestNextHonoursContext(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	envs, err := h.inbox.Next(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || envs != nil {
		t.Fatalf("Next = %v, %v; want DeadlineExceeded", envs, err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func TestRestartRedeliversUnfinishedEntries(t *testing.T) {
	t.Parallel()
	path := store.DefaultPath(t.TempDir())
	ctx := context.Background()
	func() {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		in, err := OpenInbox(st, InboxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		appendN(t, in, 0, 5)
		envs, err := in.Next(ctx, 5)
		if err != nil || len(envs) != 5 {
			t.Fatalf("Next = %d, %v", len(envs), err)
		}
		if err := in.Done(ctx, envs[:2]...); err != nil { // "crash" before the rest is done
			t.Fatal(err)
		}
	}()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in, err := OpenInbox(st, InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Depth() != 3 {
		t.Errorf("depth after reopen %d, want 3", in.Depth())
	}
	envs, err := in.Next(ctx, 10)
	if err != nil || !slices.Equal(eventIDs(envs), []string{"ev-0002", "ev-0003", "ev-0004"}) {
		t.Fatalf("after restart: %v, %v", eventIDs(envs), err)
	}
	// The sequence survives: new entries come after the old ones.
	appendN(t, in, 5, 1)
	more, err := in.Next(ctx, 10)
	if err != nil || len(more) != 1 || more[0].Seq != 6 {
		t.Fatalf("new entry after restart: %+v, %v; want seq 6", more, err)
	}
	// Done ids still deduplicate after the restart.
	_, dup, err := in.Append(ctx, Envelope{Platform: "shopify", Store: "s1", EventID: "ev-0000", Body: []byte("{}")})
	if err != nil || !dup {
		t.Errorf("consumed id after restart: dup %v err %v; want duplicate", dup, err)
	}
}

func TestRejectMovesEntryToDeadLetters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	ctx := context.Background()
	appendN(t, h.inbox, 0, 3)
	envs, err := h.inbox.Next(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	long := string(make([]byte, MaxReasonLen+100))
	if err := h.inbox.Reject(ctx, envs[1], "decode order: unexpected end of JSON input"); err != nil {
		t.Fatal(err)
	}
	if err := h.inbox.Reject(ctx, envs[1], long); err != nil { // already finished: no-op
		t.Fatal(err)
	}
	if err := h.inbox.Done(ctx, envs...); err != nil { // Done after Reject ignores the rejected one
		t.Fatal(err)
	}
	dls, err := h.inbox.DeadLetters(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Seq != 2 || dls[0].Envelope.EventID != "ev-0001" ||
		dls[0].Reason != "decode order: unexpected end of JSON input" || string(dls[0].Envelope.Body) != string(orderBody(1)) {
		t.Fatalf("dead letters %+v", dls)
	}
	if h.inbox.Depth() != 0 {
		t.Errorf("depth %d, want 0", h.inbox.Depth())
	}
	// A platform retry of the rejected event is a duplicate, not a new entry.
	_, dup, err := h.inbox.Append(ctx, Envelope{Platform: "shopify", Store: "s1", EventID: "ev-0001", Body: []byte("{}")})
	if err != nil || !dup {
		t.Errorf("retry of rejected: dup %v err %v", dup, err)
	}
}

func TestConsumeMarksDoneAndRedeliversOnError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	appendN(t, h.inbox, 0, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	boom := errors.New("profiles store busy")
	var seen []string
	err := h.inbox.Consume(ctx, 2, func(_ context.Context, envs []Envelope) error {
		seen = append(seen, eventIDs(envs)...)
		if len(seen) > 2 {
			return boom // second batch fails
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Consume = %v, want %v", err, boom)
	}
	if h.inbox.Depth() != 3 {
		t.Fatalf("depth %d after one good batch, want 3", h.inbox.Depth())
	}
	// The failed batch comes again, then the rest; stop once empty.
	seen = nil
	err = h.inbox.Consume(ctx, 2, func(_ context.Context, envs []Envelope) error {
		seen = append(seen, eventIDs(envs)...)
		if len(seen) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume = %v, want Canceled", err)
	}
	if !slices.Equal(seen, []string{"ev-0002", "ev-0003", "ev-0004"}) || h.inbox.Depth() != 0 {
		t.Fatalf("second run saw %v, depth %d", seen, h.inbox.Depth())
	}
}

func TestCorruptEntryIsParked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noSync: true})
	ctx := context.Background()
	appendN(t, h.inbox, 0, 1)
	if err := h.st.Put(ctx, store.Inbox, entryKey(1), []byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	appendN(t, h.inbox, 1, 1)
	envs, err := h.inbox.Next(ctx, 10)
	if err != nil || !slices.Equal(eventIDs(envs), []string{"ev-0001"}) {
		t.Fatalf("Next = %v, %v; want the good entry only", eventIDs(envs), err)
	}
	dls, err := h.inbox.DeadLetters(0)
	if err != nil || len(dls) != 1 || dls[0].Seq != 1 || string(dls[0].Raw) != "\xff\x00" {
		t.Fatalf("dead letters %+v, %v", dls, err)
	}
	if h.inbox.Depth() != 1 {
		t.Errorf("depth %d, want 1", h.inbox.Depth())
	}
}

func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{}) // fsync on
	const n = 200
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			_, _, err := h.inbox.Append(context.Background(), Envelope{Platform: "shopify", Store: "s1", EventID: fmt.Sprintf("g-%d", i), Body: orderBody(i)})
			errs <- err
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := h.inbox.Stats()
	if st.Depth != n || st.Writes != n {
		t.Fatalf("stats %+v, want %d writes and depth", st, n)
	}
	// 200 concurrent appends must share transactions (one fsync per
	// commit); one commit per append would mean no group commit.
	if st.Commits > n/2 {
		t.Errorf("%d commits for %d concurrent appends: not group-committed", st.Commits, n)
	}
	t.Logf("%d appends in %d commits", st.Writes, st.Commits)
}
