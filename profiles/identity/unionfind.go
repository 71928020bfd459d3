package identity

// unionFind with path compression and union by rank; unions that would put both ends of a
// CannotLink constraint into one cluster are refused.
type unionFind struct {
	parent []int32
	rank   []uint8
	// Only records named in constraints take part in the checks below.
	partners map[int][]int // record -> records it must not join
	members  map[int][]int // root -> its constrained records
}

func newUnionFind(n int, id func(i int) string, cons []Constraint) *unionFind {
	uf := &unionFind{parent: make([]int32, n), rank: make([]uint8, n)}
	for i := range uf.parent {
		uf.parent[i] = int32(i)
	}
	if len(cons) == 0 {
		return uf
	}
	ids := make(map[string][]int)
	for _, c := range cons {
		ids[c.A], ids[c.B] = nil, nil
	}
	for i := range n {
		if k := id(i); hasKey(ids, k) {
			ids[k] = append(ids[k], i)
		}
	}
	uf.partners = make(map[int][]int)
	uf.members = make(map[int][]int)
	for _, c := range cons {
		for _, a := range ids[c.A] {
			for _, b := range ids[c.B] {
				if a == b {
					continue
				}
				uf.partners[a] = append(uf.partners[a], b)
				uf.partners[b] = append(uf.partners[b], a)
			}
		}
	}
	for r := range uf.partners {
		uf.members[r] = []int{r}
	}
	return uf
}

func (uf *unionFind) find(x int) int {
	root := x
	for int(uf.parent[root]) != root {
		root = int(uf.parent[root])
	}
	for int(uf.parent[x]) != root {
		next := int(uf.parent[x])
		uf.parent[x] = int32(root)
		x = next
	}
	return root
}

// union joins the clusters of a and b; false if they already were one or a constraint forbids it.
func (uf *unionFind) union(a, b int) bool {
	ra, rb := uf.find(a), uf.find(b)
	if ra == rb {
		return false
	}
	if uf.members != nil {
		ma, mb := uf.members[ra], uf.members[rb]
		if len(ma) > len(mb) {
			ma, mb = mb, ma
			ra, rb = rb, ra
		}
		for _, x := range ma {
			for _, y := range uf.partners[x] {
				if uf.find(y) == rb {
					return false
				}
			}
		}
	}
	if uf.rank[ra] < uf.rank[rb] {
		ra, rb = rb, ra
	}
	uf.parent[rb] = int32(ra)
	if uf.rank[ra] == uf.rank[rb] {
		uf.rank[ra]++
	}
	if uf.members != nil {
		if m := uf.members[rb]; len(m) > 0 {
			uf.members[ra] = append(uf.members[ra], m...)
			delete(uf.members, rb)
		}
	}
	return true
}

func hasKey(m map[string][]int, k string) bool {
	_, ok := m[k]
	return ok
}
