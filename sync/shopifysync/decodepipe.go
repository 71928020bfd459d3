package shopifysync

import (
	"runtime"
	"sync"

	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/sync/ingest"
)

// decodedNode is one bulk root decoded: a customer or an order, or why it could not be; and,
// when the pipe decoded it, the record encoded for the store (or why it could not be).
type decodedNode struct {
	customer profiles.CustomerRecord
	order    profiles.OrderRecord
	err      error
	encoded  *ingest.Encoded
	encErr   error
}

// decodePipe decodes (and encodes) the roots of a bulk download on every core and applies
// them (store, checkpoint) in the order they came, on one goroutine: decoding and encoding
// were most of a download's time, on one core while the other waited for commits. Roots are handed over in batches;
// at most a few batches per core are in flight, so a fast download waits for the decoders.
type decodePipe struct {
	decode  func(shopify.Root) decodedNode
	apply   func(shopify.Root, decodedNode) error
	batch   []shopify.Root
	jobs    chan *decodeJob // to the decoders
	order   chan *decodeJob // to the applier, in push order
	workers sync.WaitGroup
	applied chan struct{} // closed when the applier is done

	mu  sync.Mutex
	err error // the first error of apply: pushes fail with it, later batches are dropped
}

type decodeJob struct {
	roots []shopify.Root
	nodes []decodedNode
	done  chan struct{} // closed when nodes are decoded
}

// pipeBatch is the number of roots handed to a decoder at once.
const pipeBatch = 256

func startDecodePipe(decode func(shopify.Root) decodedNode, apply func(shopify.Root, decodedNode) error) *decodePipe {
	n := runtime.GOMAXPROCS(0)
	p := &decodePipe{decode: decode, apply: apply, jobs: make(chan *decodeJob, n),
		order: make(chan *decodeJob, 2*n+2), applied: make(chan struct{})}
	for range n {
		p.workers.Go(func() {
			for j := range p.jobs {
				j.nodes = make([]decodedNode, len(j.roots))
				for i, r := range j.roots {
					j.nodes[i] = p.decode(r)
				}
				close(j.done)
			}
		})
	}
	go func() {
		defer close(p.applied)
		for j := range p.order {
			<-j.done
			if p.failed() != nil {
				continue // drain
			}
			for i, r := range j.roots {
				if err := p.apply(r, j.nodes[i]); err != nil {
					p.fail(err)
					break
				}
			}
		}
	}()
	return p
}

// push queues one root; it returns the error that stopped the applier, if any.
func (p *decodePipe) push(r shopify.Root) error {
	if err := p.failed(); err != nil {
		return err
	}
	p.batch = append(p.batch, r)
	if len(p.batch) == pipeBatch {
		p.send()
	}
	return nil
}

func (p *decodePipe) send() {
	j := &decodeJob{roots: p.batch, done: make(chan struct{})}
	p.batch = nil
	p.order <- j // first, so the applier waits for jobs in push order
	p.jobs <- j
}

// close applies what was pushed and stops the goroutines; it returns the applier's error.
func (p *decodePipe) close() error {
	if len(p.batch) > 0 {
		p.send()
	}
	close(p.jobs)
	close(p.order)
	p.workers.Wait()
	<-p.applied
	return p.failed()
}

func (p *decodePipe) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *decodePipe) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
