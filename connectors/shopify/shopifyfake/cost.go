package shopifyfake

import (
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Query cost as Shopify documents it (https://shopify.dev/docs/api/usage/rate-limits):
// scalars and enums 0, objects 1, connections 2 plus first/last times the cost of one node
// (the node object plus its selection; pageInfo and edges are free), mutations 10.

func requestedCost(op *ast.OperationDefinition, vars map[string]any) int {
	if op.Operation == ast.Mutation {
		n := 0
		for _, s := range op.SelectionSet {
			if f, ok := s.(*ast.Field); ok && !strings.HasPrefix(f.Name, "__") {
				n += 10
			}
		}
		return n
	}
	return selectionCost(op.SelectionSet, vars)
}

func selectionCost(sel ast.SelectionSet, vars map[string]any) int {
	total := 0
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			total += fieldCost(s, vars)
		case *ast.InlineFragment:
			total += selectionCost(s.SelectionSet, vars)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += selectionCost(s.Definition.SelectionSet, vars)
			}
		}
	}
	return total
}

func fieldCost(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	typ := f.Definition.Type.Name()
	def := adminSchema().Types[typ]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return 0
	}
	if isConnectionType(typ) {
		args := f.ArgumentMap(vars)
		n, ok := argInt(args, "first")
		if !ok {
			n, _ = argInt(args, "last")
		}
		node := 0
		for _, s := range f.SelectionSet {
			c, ok := s.(*ast.Field)
			if !ok {
				continue
			}
			switch c.Name {
			case "nodes":
				node += 1 + selectionCost(c.SelectionSet, vars)
			case "edges":
				for _, e := range c.SelectionSet {
					if nf, ok := e.(*ast.Field); ok && nf.Name == "node" {
						node += 1 + selectionCost(nf.SelectionSet, vars)
					}
				}
			}
		}
		return 2 + n*node
	}
	return 1 + selectionCost(f.SelectionSet, vars)
}

func isConnectionType(name string) bool {
	return strings.HasSuffix(name, "Connection")
}

// bucket is the leaky bucket of one shop/app pair.
type bucket struct {
	mu    sync.Mutex
	plan  Plan
	avail float64
	last  time.Time
	now   func() time.Time
}

func newBucket(p Plan, now func() time.Time) *bucket {
	return &bucket{plan: p, avail: p.BucketSize, last: now(), now: now}
}

func (b *bucket) refill() {
	t := b.now()
	if dt := t.Sub(b.last).Seconds(); dt > 0 {
		b.avail = min(b.plan.BucketSize, b.avail+dt*b.plan.RestoreRate)
	}
	b.last = t
}

// take charges requested points; false (and nothing charged) when not enough are left.
func (b *bucket) take(requested int) (bool, float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if float64(requested) > b.avail {
		return false, b.avail
	}
	b.avail -= float64(requested)
	return true, b.avail
}

// refund returns points charged but not used.
func (b *bucket) refund(points int) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	b.avail = min(b.plan.BucketSize, b.avail+float64(points))
	return b.avail
}

func (b *bucket) available() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.avail
}

func (b *bucket) status(avail float64) map[string]any {
	return map[string]any{
		"maximumAvailable":   b.plan.BucketSize,
		"currentlyAvailable": int(avail),
		"restoreRate":        b.plan.RestoreRate,
	}
}
