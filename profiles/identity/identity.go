// Package identity resolves which customer records belong to the same person.
//
// Resolve runs, in order:
//
//  1. a deterministic pass: records sharing a normalised e-mail key, phone number (>= 7 digits,
//     compared on the last 9) or other_id are linked without scoring, unless both their first
//     and last names clearly disagree (a shared junk address such as test@example.com);
//  2. blocking on several keys (surname prefix + postcode, postcode + street number, e-mail key,
//     other_id, first name + birth date, and the looser phone + name initial, birth date +
//     surname initial, soundex pair + region); a block larger than MaxBlockSize, capped at 32
//     (16 for the looser keys) because blocks grow with the population, is skipped, so each
//     record brings a bounded number of pairs per key and candidate pairs grow linearly.
//     Records with identical normalised values (repeated guest orders) are blocked through
//     one representative and paired with it alone. Candidate pairs are the deduplicated union;
//  3. a comparison vector per candidate pair with a few agreement levels per field
//     (missing = neutral);
//  4. a Fellegi-Sunter model whose m and u probabilities and match prior lambda are fitted by
//     EM without labels over the distinct comparison patterns of (a sample of at most 2M)
//     candidate pairs, u starting from random record pairs; or a fixed Options.Model;
//  5. capped weak evidence (same ip|ua|day, shipping address, phone last 4) that only counts
//     when a name or a strong identifier already agrees and neither name clearly disagrees
//     (a household shares a network, a browser and an address);
//  6. union-find (path compression, union by rank) over merged pairs, honouring CannotLink.
//
// Everything is deterministic for a given input and Seed: hashes use a fixed seed, so the
// same input gives the same clusters in every process.
//
// Memory: build large inputs with NewRecord (the values packed in one allocation, no
// per-record map) and set Options.ReleaseInput when the values are not needed afterwards, or
// keep the records in a compact form of your own and hand them over one at a time through a
// Source (ResolveSource): a Record per record is ~160 bytes before its values.
// Most of the peak otherwise is GC headroom (GOGC=100 lets the heap grow to twice the live
// heap): run the daemon with a soft limit, e.g. GOMEMLIMIT=1800MiB, to bound it.
package identity

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Field names a comparable attribute of a person.
type Field string

// The fields Resolve understands. Other keys in Record.Fields are ignored.
const (
	FirstName    Field = "first_name"
	LastName     Field = "last_name"
	Email        Field = "email"
	Phone        Field = "phone"
	StreetNumber Field = "street_number"
	Address1     Field = "address1"
	Address2     Field = "address2"
	City         Field = "city"
	Postcode     Field = "postcode"
	Region       Field = "region"
	Country      Field = "country"
	BirthDate    Field = "birth_date"
	OtherID      Field = "other_id"
)

// AllFields lists the fields in comparison order.
var AllFields = []Field{FirstName, LastName, Email, Phone, StreetNumber, Address1, Address2,
	City, Postcode, Region, Country, BirthDate, OtherID}

// Record is one source record (a customer account, a guest order's billing identity, a CSV row).
type Record struct {
	ID string
	// Fields holds one or more raw values per field. Values are normalised inside the package
	// (case, spaces, accents, digits of phones, e-mail keys); already-normalised values are fine.
	Fields map[Field][]string
	// Values is a compact alternative to Fields (one slice instead of a map): its values are
	// used after those of Fields, field by field, in slice order.
	Values []FieldValue
	Weak   Evidence
	// packed holds NewRecord's values (after Values): per value its field's index in
	// AllFields, its length (uvarint) and its bytes.
	packed []byte
}

// FieldValue is one raw value of a field.
type FieldValue struct {
	Field Field
	Value string
}

// NewRecord builds a record from field values in one allocation of their bytes, the smallest
// form when millions of records are held in memory (a FieldValue slice is 32 bytes a value
// before its strings; a map far more). Values of fields Resolve does not know are dropped.
// FieldValues lists them back.
func NewRecord(id string, values ...FieldValue) Record {
	n := 0
	for _, v := range values {
		n += 2 + len(v.Value)
	}
	packed := make([]byte, 0, n)
	for _, v := range values {
		f := fieldIndex(v.Field)
		if f < 0 {
			continue
		}
		packed = append(packed, byte(f))
		packed = binary.AppendUvarint(packed, uint64(len(v.Value)))
		packed = append(packed, v.Value...)
	}
	return Record{ID: id, packed: packed}
}

// FieldValues returns the record's Values followed by the values NewRecord packed.
func (r *Record) FieldValues() []FieldValue {
	out := slices.Clone(r.Values)
	r.eachPacked(func(f int, v []byte) { out = append(out, FieldValue{Field: AllFields[f], Value: string(v)}) })
	return out
}

// eachPacked calls fn with the field index and value of each packed value, in order.
func (r *Record) eachPacked(fn func(f int, v []byte)) {
	b := r.packed
	for len(b) > 0 {
		f := int(b[0])
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) || f >= nF {
			return // only NewRecord writes it
		}
		fn(f, b[1+k:1+k+int(n)])
		b = b[1+k+int(n):]
	}
}

// Evidence is weak evidence: it adds a capped amount of weight to a pair that already agrees on
// a name or a strong identifier, and can never link two records on its own.
type Evidence struct {
	IPUserAgent     []string // "ip|ua|day" tokens
	ShippingAddress []string
	PhoneLast4      string
	// Tokens holds IPUserAgent and ShippingAddress values already hashed by IPUserAgentToken
	// and ShippingToken (8 bytes each instead of a string): for callers that hold millions.
	Tokens []uint64
}

// IPUserAgentToken is an "ip|ua|day" token as Resolve compares it; 0 for an empty one.
func IPUserAgentToken(s string) uint64 {
	if s = strings.TrimSpace(s); s == "" {
		return 0
	}
	return hashString(strings.ToLower(s)) | 1<<63
}

// ShippingToken is a shipping address as Resolve compares it; 0 for an empty one.
func ShippingToken(s string) uint64 {
	if s = addressKey(s); s == "" {
		return 0
	}
	return hashString(s) &^ (1 << 63)
}

// Constraint names two record IDs that must not end up in one cluster (a remembered unmerge).
type Constraint struct{ A, B string }

// Options tune Resolve. The zero value gives the documented defaults.
type Options struct {
	// MatchThreshold is the posterior match probability at or above which a pair is merged.
	// Default 0.9.
	MatchThreshold float64
	// PossibleThreshold is the probability at or above which a pair below MatchThreshold is
	// reported as a possible duplicate (not merged). Default 0.5.
	PossibleThreshold float64
	// DeterministicKeys are linked without scoring when their normalised values are equal.
	// Default Email, Phone, OtherID. Set NoDeterministic to disable the pass.
	DeterministicKeys []Field
	NoDeterministic   bool
	// MaxBlockSize: deterministic groups with more records are skipped for that key, like stop
	// words; so are blocking-key blocks larger than min(MaxBlockSize, 32), or 16 for the
	// looser keys. Default 200.
	MaxBlockSize int
	// EMIterations caps the EM iterations (default 30; it stops earlier on convergence).
	EMIterations int
	// Seed drives the random pairs used to initialise u. Default 1.
	Seed int64
	// CannotLink lists record-ID pairs that must stay in different clusters.
	CannotLink []Constraint
	// Workers is the number of comparison goroutines; default GOMAXPROCS.
	Workers int
	// ReleaseInput lets Resolve clear Fields, Values and Weak of every input record (IDs are
	// kept) as soon as they are normalised, so that their memory can be reclaimed during the
	// rest of the run. The caller must not need them afterwards.
	ReleaseInput bool
	// Model, if set, is used as is instead of fitting m, u and lambda by EM (tests, or a model
	// fitted on an earlier run). Fields are matched by name; a listed field must give M and U
	// for every level; fields not listed are ignored (weight 0).
	Model *Model
}

// Pair is a scored link between two records (indexes into the input slice, A < B).
type Pair struct {
	A, B int
	// Score is the match weight in log2 odds, prior and weak evidence included.
	Score       float64
	Probability float64
	// Decisive lists the fields that agreed with the largest weights (at most 3).
	Decisive []Field
	// Reason is "deterministic:<field>", "probabilistic", or "refused:cannot-link" for a pair
	// above the threshold whose union would have broken a CannotLink constraint.
	Reason string
}

// Result is the outcome of Resolve.
type Result struct {
	// ClusterOf gives, per record, its cluster id: the lowest record index in its cluster.
	ClusterOf []int
	// Merged holds the deterministic links and the pairs at or above MatchThreshold that
	// were united.
	Merged []Pair
	// Possible holds pairs between PossibleThreshold and MatchThreshold (and refused merges).
	Possible       []Pair
	CandidatePairs int
	Params         Model
}

// Model is the fitted Fellegi-Sunter model.
type Model struct {
	Lambda     float64 // prior match probability among candidate pairs
	Iterations int
	Converged  bool
	Fields     []FieldParams
}

// FieldParams holds m and u per agreement level of one field; level 0 (missing) is neutral
// and not listed. Levels are ordered from disagreement to full agreement.
type FieldParams struct {
	Field  Field
	Levels []string
	M, U   []float64
	Weight []float64 // log2(m/u)
}

const (
	defaultMatch     = 0.9
	defaultPossible  = 0.5
	defaultMaxBlock  = 200
	defaultEMIter    = 30
	maxRecords       = 1 << 24
	reasonProb       = "probabilistic"
	reasonRefused    = "refused:cannot-link"
	reasonDetPrefix  = "deterministic:"
	weakCap          = 4.0 // bits
	weakIPUA         = 3.0
	weakShipping     = 2.0
	weakPhoneLast4   = 1.0
	maxDecisive      = 3
	probabilityOfOne = 1.0
)

func (o *Options) defaults() {
	if o.MatchThreshold <= 0 {
		o.MatchThreshold = defaultMatch
	}
	if o.PossibleThreshold <= 0 {
		o.PossibleThreshold = defaultPossible
	}
	if o.PossibleThreshold > o.MatchThreshold {
		o.PossibleThreshold = o.MatchThreshold
	}
	if o.DeterministicKeys == nil {
		o.DeterministicKeys = []Field{Email, Phone, OtherID}
	}
	if o.MaxBlockSize <= 0 {
		o.MaxBlockSize = defaultMaxBlock
	}
	if o.EMIterations <= 0 {
		o.EMIterations = defaultEMIter
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// Resolve clusters records into people.
func Resolve(records []Record, opts Options) (*Result, error) {
	return ResolveSource(&sliceSource{records: records, release: opts.ReleaseInput}, opts)
}

// Source gives ResolveSource its records on demand, for a caller that keeps millions of them
// in a compact form of its own rather than a Record each: Record(i) is asked once per record,
// from several goroutines at once, while the features are extracted; ID(i) only when
// CannotLink is set. Options.ReleaseInput does not apply.
type Source interface {
	Len() int
	Record(i int) Record
	ID(i int) string
}

// sliceSource is a slice of records as a Source; with release, each record's values are
// cleared (its ID kept) as it is handed out, so that the input's memory is reclaimed while
// the features grow.
type sliceSource struct {
	records []Record
	release bool
}

func (s *sliceSource) Len() int        { return len(s.records) }
func (s *sliceSource) ID(i int) string { return s.records[i].ID }
func (s *sliceSource) Record(i int) Record {
	r := s.records[i]
	if s.release {
		s.records[i] = Record{ID: r.ID}
	}
	return r
}

// ResolveSource is Resolve over the records of src.
func ResolveSource(src Source, opts Options) (*Result, error) {
	opts.defaults()
	if opts.MatchThreshold > 1 {
		return nil, errors.New("identity: MatchThreshold must be a probability in (0, 1]")
	}
	n := src.Len()
	if n >= maxRecords {
		return nil, errors.New("identity: too many records (limit 16M)")
	}
	res := &Result{ClusterOf: make([]int, n)}
	if n == 0 {
		return res, nil
	}
	ft := buildFeatures(src, opts.Workers)

	// Deterministic links.
	var det []Pair
	if !opts.NoDeterministic {
		det = deterministicLinks(ft, opts)
	}

	// Blocking and comparison.
	cand := compareCandidates(ft, opts)
	res.CandidatePairs = len(cand.pairs)

	// EM, unless a model is given.
	var model *fsModel
	if opts.Model != nil {
		var err error
		if model, err = fixedModel(opts.Model); err != nil {
			return nil, err
		}
	} else {
		model = fitEM(ft, cand, opts)
	}
	res.Params = model.export()

	// Scoring.
	merged, possible := scorePairs(ft, cand, model, opts)
	// A deterministic link that the other fields strongly contradict (below -10 bits without
	// the key itself: a shared work or junk address, a recycled number) is dropped and left to
	// the model.
	// The links' comparison vectors and scores are made on every core.
	vecs := make([]uint64, len(det))
	const detChunk = 1 << 14
	parallelChunks((len(det)+detChunk-1)/detChunk, workers(opts.Workers), func(c int) {
		for i := c * detChunk; i < min(len(det), (c+1)*detChunk); i++ {
			vecs[i] = ft.compare(det[i].A, det[i].B)
			det[i].Score = model.score(vecs[i])
		}
	})
	keptDet := det[:0]
	decisive := map[uint64][]Field{} // one slice per comparison vector, shared by its pairs
	for i, d := range det {
		v := vecs[i]
		if d.Decisive = decisive[v]; d.Decisive == nil {
			d.Decisive = slices.Clip(model.decisive(v))
			decisive[v] = d.Decisive
		}
		key := slices.Index(AllFields, Field(strings.TrimPrefix(d.Reason, reasonDetPrefix)))
		rest := d.Score - model.prior
		if key >= 0 {
			rest -= model.w[key][level(v, key)]
		}
		if rest >= -10 {
			keptDet = append(keptDet, d)
		}
	}
	det = keptDet
	if len(det) > 0 {
		merged = append(det, merged...)
	}

	// Union-find.
	uf := newUnionFind(n, src.ID, opts.CannotLink)
	if len(opts.CannotLink) > 0 {
		// Strongest links first, so that a constraint refuses the weakest bridge.
		sort.SliceStable(merged, func(i, j int) bool { return merged[i].Probability > merged[j].Probability })
	}
	kept := merged[:0]
	for _, p := range merged {
		if uf.union(p.A, p.B) {
			kept = append(kept, p)
			continue
		}
		if uf.find(p.A) != uf.find(p.B) { // refused by a constraint
			p.Reason = reasonRefused
			possible = append(possible, p)
			continue
		}
		kept = append(kept, p) // redundant link inside an existing cluster
	}
	res.Merged = kept
	slices.SortFunc(possible, func(a, b Pair) int {
		if a.A != b.A {
			return a.A - b.A
		}
		return a.B - b.B
	})
	res.Possible = possible
	low := make([]int, n)
	for i := range low {
		low[i] = -1
	}
	for i := 0; i < n; i++ {
		r := uf.find(i)
		if low[r] < 0 {
			low[r] = i
		}
		res.ClusterOf[i] = low[r]
	}
	return res, nil
}

// probability converts a log2-odds score to a probability.
func probability(score float64) float64 {
	if score > 60 {
		return 1
	}
	if score < -60 {
		return 0
	}
	return 1 / (1 + math.Exp2(-score))
}

// fixedModel converts an exported Model back into the scoring form.
func fixedModel(m *Model) (*fsModel, error) {
	if !(m.Lambda > 0 && m.Lambda < 1) {
		return nil, errors.New("identity: Model.Lambda must be in (0, 1)")
	}
	md := &fsModel{lambda: m.Lambda, iterations: m.Iterations, converged: m.Converged}
	for f := 0; f < nF; f++ {
		L := nLevels(f)
		md.m[f], md.u[f], md.w[f] = make([]float64, L+1), make([]float64, L+1), make([]float64, L+1)
		for l := 1; l <= L; l++ { // unlisted field: neutral
			md.m[f][l], md.u[f][l] = 1, 1
		}
	}
	for _, fp := range m.Fields {
		f := slices.Index(AllFields, fp.Field)
		if f < 0 {
			return nil, fmt.Errorf("identity: Model: unknown field %q", fp.Field)
		}
		L := nLevels(f)
		if len(fp.M) != L || len(fp.U) != L {
			return nil, fmt.Errorf("identity: Model: field %s needs %d levels of M and U", fp.Field, L)
		}
		for l := 1; l <= L; l++ {
			if !(fp.M[l-1] > 0 && fp.U[l-1] > 0) {
				return nil, fmt.Errorf("identity: Model: field %s: M and U must be > 0", fp.Field)
			}
			md.m[f][l], md.u[f][l] = fp.M[l-1], fp.U[l-1]
		}
	}
	for f := 0; f < nF; f++ {
		for l := 1; l < len(md.m[f]); l++ {
			md.w[f][l] = math.Log2(md.m[f][l] / md.u[f][l])
		}
	}
	md.prior = math.Log2(md.lambda / (1 - md.lambda))
	return md, nil
}
