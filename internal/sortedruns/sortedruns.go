// Package sortedruns sorts more key/value pairs than should be held in memory at once: pairs
// are added in any order, every few megabytes of them are sorted and written to a temporary
// file (a run), and Merge reads every run back as one sorted stream (a k-way merge).
//
// Pairs with equal keys come out in increasing order (a number given with each pair), then in
// the order they were added: a consumer that keeps the last of them keeps the highest order. The files are private (0600, in a 0700 directory):
// keys may hold personal data such as e-mail addresses.
package sortedruns

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Sorter collects pairs into sorted runs. It is not safe for concurrent use.
type Sorter struct {
	dir    string // the Sorter's own temporary directory
	limit  int    // bytes of pairs held before a run is written
	held   int
	arena  []byte // keys and values of the pairs held, back to back
	pairs  []pair
	seq    uint64
	runs   []string
	closed bool
}

type pair struct {
	off, klen, vlen int
	order, seq      uint64
}

// New returns a Sorter that writes its runs to a new directory inside parent and holds about
// limit bytes of pairs in memory (at least 1 MiB).
func New(parent string, limit int) (*Sorter, error) {
	dir, err := os.MkdirTemp(parent, "sortedruns-")
	if err != nil {
		return nil, fmt.Errorf("sortedruns: %w", err)
	}
	return &Sorter{dir: dir, limit: max(limit, 1<<20)}, nil
}

// Add adds a pair; key and value are copied. Among equal keys, order decides which comes
// out first (then the order added).
func (s *Sorter) Add(key []byte, order uint64, value []byte) error {
	if s.closed {
		return errors.New("sortedruns: add after close")
	}
	off := len(s.arena)
	s.arena = append(append(s.arena, key...), value...)
	s.pairs = append(s.pairs, pair{off: off, klen: len(key), vlen: len(value), order: order, seq: s.seq})
	s.seq++
	s.held += len(key) + len(value) + 48
	if s.held >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *Sorter) key(p *pair) []byte { return s.arena[p.off : p.off+p.klen] }

// spill sorts the pairs held and writes them to a new run.
func (s *Sorter) spill() error {
	if len(s.pairs) == 0 {
		return nil
	}
	slices.SortFunc(s.pairs, func(a, b pair) int {
		return cmp.Or(bytes.Compare(s.key(&a), s.key(&b)), cmp.Compare(a.order, b.order), cmp.Compare(a.seq, b.seq))
	})
	f, err := os.CreateTemp(s.dir, "run-")
	if err != nil {
		return fmt.Errorf("sortedruns: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr [4 * binary.MaxVarintLen64]byte
	for i := range s.pairs {
		p := &s.pairs[i]
		n := binary.PutUvarint(hdr[:], uint64(p.klen))
		n += binary.PutUvarint(hdr[n:], uint64(p.vlen))
		n += binary.PutUvarint(hdr[n:], p.order)
		n += binary.PutUvarint(hdr[n:], p.seq)
		w.Write(hdr[:n])
		w.Write(s.arena[p.off : p.off+p.klen+p.vlen])
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sortedruns: write run: %w", err)
	}
	s.runs = append(s.runs, f.Name())
	s.arena, s.pairs, s.held = s.arena[:0], s.pairs[:0], 0
	return nil
}

// Merge calls fn for every pair added, in key order (equal keys by order, then as added). The
// slices are valid only during the call. The Sorter takes no more pairs after Merge.
func (s *Sorter) Merge(fn func(key, value []byte) error) error {
	if s.closed {
		return errors.New("sortedruns: merge after close")
	}
	if err := s.spill(); err != nil {
		return err
	}
	s.arena, s.pairs = nil, nil
	h := &runHeap{}
	defer func() {
		for _, r := range h.runs {
			r.f.Close()
		}
	}()
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("sortedruns: %w", err)
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, 256<<10)}
		h.runs = append(h.runs, r)
		if ok, err := r.next(); err != nil {
			return err
		} else if !ok {
			h.runs = h.runs[:len(h.runs)-1]
			f.Close()
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		r := h.runs[0]
		if err := fn(r.key, r.value); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
			r.f.Close()
		}
	}
	return nil
}

// Close removes the runs and the Sorter's directory.
func (s *Sorter) Close() error {
	s.closed = true
	s.arena, s.pairs = nil, nil
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("sortedruns: %w", err)
	}
	return nil
}

// runReader reads one run back, a pair at a time.
type runReader struct {
	f          *os.File
	r          *bufio.Reader
	buf        []byte
	key, value []byte
	order, seq uint64
}

// next reads the next pair; false at the end of the run.
func (r *runReader) next() (bool, error) {
	klen, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sortedruns: read %s: %w", r.f.Name(), err)
	}
	vlen, err := binary.ReadUvarint(r.r)
	if err == nil {
		r.order, err = binary.ReadUvarint(r.r)
	}
	if err == nil {
		r.seq, err = binary.ReadUvarint(r.r)
	}
	if err == nil && klen+vlen > 1<<31 {
		err = errors.New("pair too large")
	}
	if err == nil {
		r.buf = slices.Grow(r.buf[:0], int(klen+vlen))[:klen+vlen]
		_, err = io.ReadFull(r.r, r.buf)
	}
	if err != nil {
		return false, fmt.Errorf("sortedruns: read %s: %w", r.f.Name(), noEOF(err))
	}
	r.key, r.value = r.buf[:klen], r.buf[klen:]
	return true, nil
}

// noEOF turns an end of file inside a pair into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// runHeap orders the runs by their current pair: key, then the order added.
type runHeap struct{ runs []*runReader }

func (h *runHeap) Len() int { return len(h.runs) }
func (h *runHeap) Less(i, j int) bool {
	a, b := h.runs[i], h.runs[j]
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	if a.order != b.order {
		return a.order < b.order
	}
	return a.seq < b.seq
}
func (h *runHeap) Swap(i, j int) { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *runHeap) Push(x any)    { h.runs = append(h.runs, x.(*runReader)) }
func (h *runHeap) Pop() any {
	r := h.runs[len(h.runs)-1]
	h.runs = h.runs[:len(h.runs)-1]
	return r
}
