package identity

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
)

func rec(id, first, last, pc, street string) Record {
	return Record{ID: id, Fields: map[Field][]string{FirstName: {first}, LastName: {last},
		Postcode: {pc}, Address1: {street}, StreetNumber: {"1"}}}
}

// population gives EM something to fit: n people, each with an exact and a typo duplicate.
func population(n int) []Record {
	var rs []Record
	firsts := []string{"anna", "bob", "carla", "dmitri", "eve", "farid", "gina", "hugo", "ines", "jon"}
	for i := 0; i < n; i++ {
		f, l := firsts[i%10], fmt.Sprintf("surname%dx", i)
		pc := fmt.Sprintf("%05d", 10000+i)
		rs = append(rs, rec(fmt.Sprintf("p%d-a", i), f, l, pc, fmt.Sprintf("%d main street", i)))
		rs = append(rs, rec(fmt.Sprintf("p%d-b", i), f, l, pc, fmt.Sprintf("%d main st", i)))
	}
	return rs
}

func TestResolveClustersAndCannotLink(t *testing.T) {
	rs := population(200)
	res, err := Resolve(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(rs); i += 2 {
		if res.ClusterOf[i] != i || res.ClusterOf[i+1] != i {
			t.Fatalf("records %d,%d: clusters %d,%d", i, i+1, res.ClusterOf[i], res.ClusterOf[i+1])
		}
	}
	res, err = Resolve(rs, Options{CannotLink: []Constraint{{A: "p3-a", B: "p3-b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ClusterOf[6] == res.ClusterOf[7] {
		t.Fatal("CannotLink not honoured")
	}
}

func TestDeterministicEmail(t *testing.T) {
	rs := population(100)
	rs = append(rs,
		Record{ID: "x1", Fields: map[Field][]string{Email: {" Jane.Doe+shop@GMail.com"}, FirstName: {"Jane"}}},
		Record{ID: "x2", Fields: map[Field][]string{Email: {"janedoe@googlemail.com"}, LastName: {"Doe"}}},
		// shared junk address with different names: not linked
		Record{ID: "j1", Fields: map[Field][]string{Email: {"test@example.com"}, FirstName: {"Ann"}, LastName: {"Lee"}}},
		Record{ID: "j2", Fields: map[Field][]string{Email: {"test@example.com"}, FirstName: {"Mark"}, LastName: {"Otto"}}},
	)
	res, err := Resolve(rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(rs)
	if res.ClusterOf[n-4] != res.ClusterOf[n-3] {
		t.Error("gmail variants not linked")
	}
	if res.ClusterOf[n-2] == res.ClusterOf[n-1] {
		t.Error("shared junk address linked two people")
	}
}

// fixedTestModel is a plausible hand-set model, so that the weak-evidence outcomes below do not
// depend on what EM fits on a toy population.
func fixedTestModel() *Model {
	name := FieldParams{M: []float64{0.03, 0.05, 0.01, 0.11, 0.80}, U: []float64{0.90, 0.06, 0.001, 0.03, 0.009}}
	first, last := name, name
	first.Field, last.Field = FirstName, LastName
	return &Model{Lambda: 0.0002, Fields: []FieldParams{first, last,
		{Field: Postcode, M: []float64{0.05, 0.05, 0.90}, U: []float64{0.95, 0.04, 0.01}},
		{Field: City, M: []float64{0.05, 0.05, 0.90}, U: []float64{0.80, 0.10, 0.10}},
		{Field: StreetNumber, M: []float64{0.05, 0.95}, U: []float64{0.90, 0.10}},
	}}
}

func findPair(res *Result, a, b int) (p Pair, merged, possible bool) {
	for _, q := range res.Merged {
		if q.A == a && q.B == b {
			return q, true, false
		}
	}
	for _, q := range res.Possible {
		if q.A == a && q.B == b {
			return q, false, true
		}
	}
	return Pair{}, false, false
}

func TestWeakEvidence(t *testing.T) {
	const ipua = "203.0.113.9|Mozilla/5.0 (Windows NT 10.0)|2025-01-02"
	people := func(weak bool) []Record {
		rs := population(100)
		f := func(first, last, pc, city, no string) map[Field][]string {
			m := map[Field][]string{FirstName: {first}, LastName: {last}, Postcode: {pc}}
			if city != "" {
				m[City] = []string{city}
			}
			if no != "" {
				m[StreetNumber] = []string{no}
			}
			return m
		}
		add := []Record{
			// (a) the same person, a first-name variant, same surname and postcode.
			{ID: "a1", Fields: f("katharina", "oberhuber", "99999", "", "")},
			{ID: "a2", Fields: f("katarina", "oberhuber", "99999", "", "")},
			// (b) two people of one household: same surname, postcode, city, street number.
			{ID: "b1", Fields: f("maria", "lindqvist", "88888", "springfield", "5")},
			{ID: "b2", Fields: f("thomas", "lindqvist", "88888", "springfield", "5")},
			// (c) nothing in common but the office network.
			{ID: "c1", Fields: f("zoe", "quist", "77777", "", "")},
		}
		if weak {
			add[0].Weak.IPUserAgent = []string{ipua}
			add[1].Weak.IPUserAgent = []string{" " + ipua}
			for _, i := range []int{2, 3} {
				add[i].Weak = Evidence{IPUserAgent: []string{ipua}, ShippingAddress: []string{"5 Elm Street 88888"}, PhoneLast4: "1111"}
			}
			add[3].Weak.ShippingAddress = []string{"5 elm st 88888"}
			add[4].Weak.IPUserAgent = []string{ipua}
		}
		return append(rs, add...)
	}
	opts := Options{Model: fixedTestModel()}
	without, err := Resolve(people(false), opts)
	if err != nil {
		t.Fatal(err)
	}
	with, err := Resolve(people(true), opts)
	if err != nil {
		t.Fatal(err)
	}
	n := len(population(100))
	a1, a2, b1, b2, c1 := n, n+1, n+2, n+3, n+4
	matchBits := math.Log2(0.9 / 0.1)

	// (a) gain: just below the threshold without, merged with the shared ip|ua|day.
	pa, merged, possible := findPair(without, a1, a2)
	if merged || !possible || pa.Probability >= 0.9 || pa.Score+weakIPUA < matchBits {
		t.Fatalf("(a) without weak evidence: %+v merged=%v possible=%v; want possible, within %v bits of the threshold", pa, merged, possible, weakIPUA)
	}
	qa, merged, _ := findPair(with, a1, a2)
	if !merged || qa.Score != pa.Score+weakIPUA || with.ClusterOf[a2] != with.ClusterOf[a1] {
		t.Fatalf("(a) with ip|ua: %+v merged=%v; want merged with score %v", qa, merged, pa.Score+weakIPUA)
	}

	// (b) guard: the household pair is possible without weak evidence, and the weak evidence
	// (capped at 4 bits, which would cross the threshold) is not added: first names differ.
	pb, merged, possible := findPair(without, b1, b2)
	if merged || !possible || pb.Score+weakCap < matchBits {
		t.Fatalf("(b) without weak evidence: %+v merged=%v possible=%v", pb, merged, possible)
	}
	qb, merged, possible := findPair(with, b1, b2)
	if merged || !possible || qb.Score != pb.Score || with.ClusterOf[b1] == with.ClusterOf[b2] {
		t.Fatalf("(b) household merged or weak evidence counted: %+v merged=%v (score without %v)", qb, merged, pb.Score)
	}

	// (c) weak evidence alone never links.
	for _, r := range []int{a1, b1, b2} {
		if with.ClusterOf[c1] == with.ClusterOf[r] {
			t.Fatalf("(c) record %d linked to c1 by weak evidence alone", r)
		}
	}
	if _, m, p := findPair(with, a1, c1); m || p {
		t.Fatal("(c) a1-c1 scored")
	}
	// Nothing else changed.
	for i := 0; i < n; i++ {
		if with.ClusterOf[i] != without.ClusterOf[i] {
			t.Fatalf("record %d: cluster %d with weak evidence, %d without", i, with.ClusterOf[i], without.ClusterOf[i])
		}
	}

	// The same evidence as pre-hashed Tokens scores the same.
	hashed := people(true)
	for i := range hashed {
		w := &hashed[i].Weak
		for _, t := range w.IPUserAgent {
			w.Tokens = append(w.Tokens, IPUserAgentToken(t))
		}
		for _, t := range w.ShippingAddress {
			w.Tokens = append(w.Tokens, ShippingToken(t))
		}
		w.IPUserAgent, w.ShippingAddress = nil, nil
	}
	tok, err := Resolve(hashed, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tok.ClusterOf, with.ClusterOf) || !reflect.DeepEqual(tok.Merged, with.Merged) || !reflect.DeepEqual(tok.Possible, with.Possible) {
		t.Fatal("evidence as Tokens resolves differently from the same evidence as strings")
	}
	if qt, _, _ := findPair(tok, a1, a2); qt.Score != qa.Score {
		t.Fatalf("(a) with tokens: score %v, want %v", qt.Score, qa.Score)
	}
}

func TestFixedModelErrors(t *testing.T) {
	rs := population(10)
	bad := []*Model{
		{Lambda: 0},
		{Lambda: 0.1, Fields: []FieldParams{{Field: "nope", M: []float64{1}, U: []float64{1}}}},
		{Lambda: 0.1, Fields: []FieldParams{{Field: Postcode, M: []float64{0.5, 0.5}, U: []float64{0.5, 0.5}}}},
		{Lambda: 0.1, Fields: []FieldParams{{Field: Postcode, M: []float64{0, 0.5, 0.5}, U: []float64{0.2, 0.3, 0.5}}}},
	}
	for i, m := range bad {
		if _, err := Resolve(rs, Options{Model: m}); err == nil {
			t.Errorf("model %d: no error", i)
		}
	}
}

func TestHelpers(t *testing.T) {
	if k, _ := emailKey(" J.Doe+x@GMAIL.con "); k != "jdoe@gmail.com" {
		t.Errorf("emailKey = %q", k)
	}
	for _, p := range []string{"(415) 555-0132", "+1 415 555 0132", "1-415-555-0132", "415.555.0132"} {
		if k := phoneKey(p); k != "4155550132" {
			t.Errorf("phoneKey(%q) = %q", p, k)
		}
	}
	if phoneKey("123") != "" || phoneKey("0044 7700 900123") != phoneKey("07700 900123") {
		t.Error("phoneKey junk/UK")
	}
	if fold("  José  MÜLLER ") != "jose muller" || soundex("robert") != "r163" || soundex("rupert") != "r163" {
		t.Error("fold/soundex")
	}
	if j := jaroWinkler("martha", "marhta"); j < 0.96 || j > 0.962 {
		t.Errorf("jw = %v", j)
	}
	if !oneEdit("4011", "4101") || oneEdit("4011", "4999") || birthLevel("19900213", "19901302") != 2 {
		t.Error("oneEdit/birthLevel")
	}
}

// TestDeterministicAcrossRuns resolves the same input in concurrent, independent runs (and
// through the compact Values form, with ReleaseInput) and expects identical clusters and merges.
func TestDeterministicAcrossRuns(t *testing.T) {
	base := population(300)
	base = append(base,
		Record{ID: "e1", Fields: map[Field][]string{Email: {"jane.doe@gmail.com"}, FirstName: {"Jane"}, Phone: {"+44 20 7946 0000"}}},
		Record{ID: "e2", Fields: map[Field][]string{Email: {"janedoe@googlemail.com"}, LastName: {"Doe"}, Phone: {"020 7946 0000"}}},
	)
	compact := func(rs []Record) []Record {
		out := make([]Record, len(rs))
		for i, r := range rs {
			var vs []FieldValue
			for _, f := range AllFields {
				for _, v := range r.Fields[f] {
					vs = append(vs, FieldValue{Field: f, Value: v})
				}
			}
			out[i] = NewRecord(r.ID, vs...)
		}
		return out
	}
	const runs = 4
	results := make([]*Result, runs)
	errs := make([]error, runs)
	done := make(chan int)
	for i := 0; i < runs; i++ {
		go func() {
			rs := base
			opts := Options{Workers: 1 + i%2}
			if i%2 == 1 {
				rs, opts.ReleaseInput = compact(base), true
			}
			results[i], errs[i] = Resolve(rs, opts)
			done <- i
		}()
	}
	for i := 0; i < runs; i++ {
		<-done
	}
	for i := 0; i < runs; i++ {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	for i := 1; i < runs; i++ {
		a, b := results[0], results[i]
		if fmt.Sprint(a.ClusterOf) != fmt.Sprint(b.ClusterOf) {
			t.Fatalf("run %d: ClusterOf differs", i)
		}
		if fmt.Sprint(a.Merged) != fmt.Sprint(b.Merged) || fmt.Sprint(a.Possible) != fmt.Sprint(b.Possible) {
			t.Fatalf("run %d: Merged or Possible differs", i)
		}
	}
	if results[0].ClusterOf[len(base)-1] != results[0].ClusterOf[len(base)-2] {
		t.Fatal("e1, e2 not merged")
	}
	// The hash is fixed across processes (maphash would not be): pinned values.
	if h, k := hashString("cohortd"), keyHash(kEmail, "jane.doe@gmail.com"); h != 0x3e0c26bb987beb0d || k != 0x16b46051f0 {
		t.Fatalf("hash values changed: %#x %#x", h, k)
	}
}

// NewRecord keeps the values of known fields, in order, and drops the others.
func TestNewRecordFieldValues(t *testing.T) {
	in := []FieldValue{{FirstName, "Ann"}, {"shoe_size", "38"}, {Email, "ann@example.org"}, {FirstName, "Anne"}, {OtherID, ""}}
	r := NewRecord("x", in...)
	want := []FieldValue{{FirstName, "Ann"}, {Email, "ann@example.org"}, {FirstName, "Anne"}, {OtherID, ""}}
	if got := r.FieldValues(); !reflect.DeepEqual(got, want) {
		t.Fatalf("FieldValues = %v, want %v", got, want)
	}
	if r.Values != nil || r.Fields != nil {
		t.Fatal("NewRecord filled Values or Fields")
	}
}

// countingSource makes each record on demand from a slice, counting the asks.
type countingSource struct {
	records []Record
	asks    []atomic.Int32
}

func (s *countingSource) Len() int            { return len(s.records) }
func (s *countingSource) ID(i int) string     { return s.records[i].ID }
func (s *countingSource) Record(i int) Record { s.asks[i].Add(1); return s.records[i] }

// ResolveSource resolves records made on demand exactly as Resolve resolves the slice, asks for
// each record once, and honours CannotLink through the source's IDs.
func TestResolveSourceMatchesResolve(t *testing.T) {
	base := population(300)
	opts := Options{CannotLink: []Constraint{{A: base[0].ID, B: base[1].ID}}}
	want, err := Resolve(slices.Clone(base), opts)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{records: slices.Clone(base), asks: make([]atomic.Int32, len(base))}
	got, err := ResolveSource(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ClusterOf, want.ClusterOf) || !reflect.DeepEqual(got.Merged, want.Merged) || !reflect.DeepEqual(got.Possible, want.Possible) {
		t.Fatal("ResolveSource differs from Resolve on the same records")
	}
	for i := range src.asks {
		if n := src.asks[i].Load(); n != 1 {
			t.Fatalf("record %d asked %d times, want once", i, n)
		}
	}
}
