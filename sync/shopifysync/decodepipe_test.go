package shopifysync

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify"
)

// Roots are applied once each, in the order they were pushed, however the decoders finish.
func TestDecodePipeAppliesInPushOrder(t *testing.T) {
	const n = 5*pipeBatch + 17
	var got []int64
	p := startDecodePipe(func(r shopify.Root) decodedNode {
		if rand.IntN(50) == 0 {
			time.Sleep(time.Millisecond) // decoders finish out of order
		}
		return decodedNode{err: errors.New(strconv.FormatInt(r.Line, 10))}
	}, func(r shopify.Root, d decodedNode) error {
		if d.err.Error() != strconv.FormatInt(r.Line, 10) {
			t.Errorf("root %d got the node of %v", r.Line, d.err)
		}
		got = append(got, r.Line)
		return nil
	})
	for i := range n {
		if err := p.push(shopify.Root{Line: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("applied %d roots, pushed %d", len(got), n)
	}
	for i, l := range got {
		if l != int64(i+1) {
			t.Fatalf("root %d applied at position %d", l, i)
		}
	}
}

// The first apply error stops the pipe: later pushes return it, nothing after it is applied,
// and close returns it.
func TestDecodePipeStopsAtTheFirstApplyError(t *testing.T) {
	boom := errors.New("disk full")
	var applied int64
	p := startDecodePipe(func(shopify.Root) decodedNode { return decodedNode{} }, func(r shopify.Root, _ decodedNode) error {
		if r.Line == 300 {
			return boom
		}
		applied = r.Line
		return nil
	})
	var pushErr error
	for i := range 20 * pipeBatch {
		if pushErr = p.push(shopify.Root{Line: int64(i + 1)}); pushErr != nil {
			break
		}
	}
	if err := p.close(); !errors.Is(err, boom) {
		t.Fatalf("close: %v, want %v", err, boom)
	}
	if applied != 299 {
		t.Fatalf("last root applied %d, want 299", applied)
	}
	if pushErr != nil && !errors.Is(pushErr, boom) {
		t.Fatalf("push: %v", pushErr)
	}
}
