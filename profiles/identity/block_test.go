package identity

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// serialDeterministicLinks is deterministicLinks in one pass over each field's groups, on one
// goroutine: the reference the parallel version must equal, link for link and in order.
func serialDeterministicLinks(ft *features, opts Options) []Pair {
	var out []Pair
	for _, field := range opts.DeterministicKeys {
		f := slices.Index(AllFields, field)
		if f < 0 {
			continue
		}
		var entries []uint64
		var buf [maxValuesPerField]string
		for r := 0; r < ft.n; r++ {
			for _, v := range ft.get(&buf, r, f) {
				if f == fPhone && len(v) < 7 {
					continue
				}
				entries = append(entries, keyHash(kDetBase+byte(f), v)<<recBits|uint64(r))
			}
		}
		entries = groupEntries(entries, opts.MaxBlockSize)
		out = append(out, ft.linkGroups(entries, f, reasonDetPrefix+string(field))...)
	}
	return out
}

// sharedKeys is a population where e-mails, phones and other ids are shared by small groups
// of records (some of whose names conflict), enough groups to fill many parts.
func sharedKeys(n int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	firsts := []string{"anna", "ann", "bob", "robert", "carla", "dmitri", "eve", "farid", "gina", "hugo"}
	rs := make([]Record, n)
	for i := range rs {
		fs := map[Field][]string{
			FirstName: {firsts[rng.IntN(len(firsts))]},
			LastName:  {fmt.Sprintf("surname%d", rng.IntN(n/3))},
			Email:     {fmt.Sprintf("person%d@example.com", rng.IntN(n/3))},
			Phone:     {fmt.Sprintf("+4420794%05d", rng.IntN(n/4))},
		}
		if rng.IntN(4) == 0 {
			fs[OtherID] = []string{fmt.Sprintf("loyalty-%d", rng.IntN(n/5))}
		}
		if rng.IntN(10) == 0 { // a second e-mail: a record in two groups of one field
			fs[Email] = append(fs[Email], fmt.Sprintf("person%d@example.com", rng.IntN(n/3)))
		}
		rs[i] = Record{ID: fmt.Sprintf("r%d", i), Fields: fs}
	}
	return rs
}

func TestDeterministicLinksMatchOnePass(t *testing.T) {
	recs := sharedKeys(60_000, 7)
	for _, workers := range []int{1, 2, 5} {
		opts := Options{Workers: workers}
		opts.defaults()
		ft := buildFeatures(&sliceSource{records: recs}, workers)
		want := serialDeterministicLinks(ft, opts)
		got := deterministicLinks(ft, opts)
		if len(want) < 15_000 {
			t.Fatalf("only %d links: the population does not exercise many parts", len(want))
		}
		if !slices.EqualFunc(got, want, func(a, b Pair) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Fatalf("workers %d: %d links, want %d (or in another order)", workers, len(got), len(want))
		}
	}
	// The groups are cut into many parts, each at a group's start.
	opts := Options{}
	opts.defaults()
	ft := buildFeatures(&sliceSource{records: recs}, 2)
	entries := groupEntries(deterministicEntries(ft, fEmail, 2), opts.MaxBlockSize)
	b := groupBounds(entries, detLinkPart)
	if len(b) < 4 || b[0] != 0 || b[len(b)-1] != len(entries) {
		t.Fatalf("bounds %v over %d entries", b, len(entries))
	}
	for _, i := range b[1 : len(b)-1] {
		if entries[i]>>recBits == entries[i-1]>>recBits {
			t.Fatalf("part cut inside a group at %d", i)
		}
		if i < detLinkPart {
			t.Fatalf("part ends at %d, under %d entries", i, detLinkPart)
		}
	}
	if got := groupBounds(nil, detLinkPart); !slices.Equal(got, []int{0}) {
		t.Fatalf("bounds of no entries: %v", got)
	}
}
