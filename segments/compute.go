package segments

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cohortd/cohortd/profiles"
)

// Membership is one profile's segments, sorted by name.
type Membership struct {
	ProfileID string
	Segments  []string
	Props     Properties
}

// Result is a full recompute: the fitted model, every profile's features (scored) and
// segments, in input order.
type Result struct {
	Model    *Model
	Features []Features
	Members  []Membership
}

// ExtractAll extracts the features of every profile, in parallel.
func ExtractAll(ps []*profiles.Profile, opts Options) []Features {
	feats := make([]Features, len(ps))
	opts = opts.withDefaults()
	parallel(len(ps), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			extractInto(&feats[i], ps[i], opts)
		}
	})
	return feats
}

// Compute is a full recompute: fit a model on the population's features and score everyone.
func Compute(ctx context.Context, feats []Features, now time.Time, opts Options) (*Result, error) {
	m := Fit(feats, now, opts)
	res := &Result{Model: m, Features: feats}
	members, err := m.ScoreAll(ctx, feats, now)
	if err != nil {
		return nil, err
	}
	res.Members = members
	return res, nil
}

// ScoreAll scores every profile against m at now, in parallel.
func (m *Model) ScoreAll(ctx context.Context, feats []Features, now time.Time) ([]Membership, error) {
	members := make([]Membership, len(feats))
	var (
		mu       sync.Mutex
		firstErr error
	)
	parallel(len(feats), func(lo, hi int) {
		var scratch []string
		var slab segmentSlab
		for i := lo; i < hi; i++ {
			if i%4096 == 0 && ctx.Err() != nil {
				return
			}
			segs, err := m.scoreInto(scratch[:0], &feats[i], now)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			scratch = segs
			members[i] = Membership{ProfileID: feats[i].ProfileID, Segments: slab.copy(segs), Props: feats[i].Properties()}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("segments: score: %w", err)
	}
	return members, firstErr
}

// segmentSlab hands out copies of segment lists from shared blocks: a full recompute keeps a
// list per profile, and one allocation of 16 names each was most of its allocations.
type segmentSlab struct{ block []string }

// slabBlock is how many names a block of a segmentSlab holds.
const slabBlock = 4096

// copy returns a copy of segs, non-nil even when empty (as Score's), whose capacity ends with
// it: appending to it cannot reach the next list of the block.
func (s *segmentSlab) copy(segs []string) []string {
	if s.block == nil || cap(s.block)-len(s.block) < len(segs) {
		s.block = make([]string, 0, max(slabBlock, len(segs)))
	}
	start := len(s.block)
	s.block = append(s.block, segs...)
	return s.block[start:len(s.block):len(s.block)]
}

// parallel runs fn over [0,n) in GOMAXPROCS contiguous chunks.
func parallel(n int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if n < 1024 || w == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}
