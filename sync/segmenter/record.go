package segmenter

import (
	"fmt"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/segments/cborread"
	"github.com/cohortd/cohortd/store/codec"
)

// Stored membership records are read with cborread rather than codec's reflection where a
// scan reads every one of them (a recompute compares each with the new memberships; a tag or
// email plan reads them all). As for profiles, the reader takes only the encoding codec
// writes of a Record and falls back to codec for anything else.

// recordIs reports whether the stored Record has these segments and properties
// (slices.Equal and Properties.Equal, as apply compares them), and ok false when it cannot
// tell: the bytes are not codec's encoding of a Record as it knows it.
func recordIs(stored []byte, segs []string, props *segments.Properties) (same, ok bool) {
	if len(stored) == 0 || stored[0] != codec.Version {
		return false, false
	}
	r := cborread.NewReader(stored[1:])
	segsSame, propsSame := len(segs) == 0, props.Equal(segments.Properties{}) // as when the field is absent
	var key uint64
	for range r.Map() {
		switch r.FieldKey(&key) {
		case 1:
			segsSame = segmentsAre(&r, segs)
		case 2:
			r.Time()
		case 3:
			propsSame = propertiesAre(&r, props)
		default:
			r.Fail()
		}
	}
	if !r.Done() {
		return false, false
	}
	return segsSame && propsSame, true
}

// segmentsAre reads a list of segment names and reports whether it equals segs.
func segmentsAre(r *cborread.Reader, segs []string) bool {
	if r.Null() {
		return len(segs) == 0
	}
	n := r.Array()
	same := n == len(segs)
	for i := range n {
		s := r.Text()
		same = same && string(s) == segs[i]
	}
	return same
}

// propertiesAre reads stored Properties and reports whether they equal q (Properties.Equal).
func propertiesAre(r *cborread.Reader, q *segments.Properties) bool {
	var rfm, lifecycle, churn []byte
	var pAlive, expected, clv float64
	affinitySame := len(q.Affinity) == 0
	var key uint64
	for range r.Map() {
		switch r.FieldKey(&key) {
		case 1:
			rfm = r.Text()
		case 2:
			lifecycle = r.Text()
		case 3:
			churn = r.Text()
		case 4:
			pAlive = r.Float()
		case 5:
			expected = r.Float()
		case 6:
			clv = r.Float()
		case 7:
			affinitySame = affinityIs(r, q.Affinity)
		default:
			r.Fail()
		}
	}
	return string(rfm) == q.RFMGroup && string(lifecycle) == q.Lifecycle && string(churn) == q.ChurnRisk &&
		pAlive == q.PAlive && expected == q.ExpectedOrders && clv == q.PredictedCLV && affinitySame
}

// affinityIs reads a stored affinity map and reports whether it holds exactly q's shares.
func affinityIs(r *cborread.Reader, q map[string]float64) bool {
	if r.Null() {
		return len(q) == 0
	}
	n := r.Map()
	same := n == len(q)
	var prev []byte
	for range n {
		k := r.TextKey(&prev)
		v := r.Float()
		w, ok := q[string(k)]
		same = same && ok && w == v
	}
	return same
}

// recordReader decodes stored Records; the segment names, a few dozen distinct values over
// millions of records, are shared rather than copied per record. Not safe for concurrent use.
type recordReader struct {
	names map[string]string
}

func newRecordReader() *recordReader { return &recordReader{names: map[string]string{}} }

// decode decodes a stored Record: with cborread when it is codec's encoding as recordIs
// knows it, else with codec.
func (rr *recordReader) decode(key, stored []byte) (Record, error) {
	if rec, ok := rr.read(stored); ok {
		return rec, nil
	}
	var rec Record
	if err := codec.Unmarshal(stored, &rec); err != nil {
		return Record{}, fmt.Errorf("decode %s: %w", key, err)
	}
	return rec, nil
}

// read decodes what recordIs reads; ok false for anything else.
func (rr *recordReader) read(stored []byte) (rec Record, ok bool) {
	if len(stored) == 0 || stored[0] != codec.Version {
		return Record{}, false
	}
	r := cborread.NewReader(stored[1:])
	var key uint64
	for range r.Map() {
		switch r.FieldKey(&key) {
		case 1:
			rec.Segments = rr.segments(&r)
		case 2:
			rec.Since = r.Time()
		case 3:
			rec.Props = rr.properties(&r)
		default:
			r.Fail()
		}
	}
	if !r.Done() {
		return Record{}, false
	}
	return rec, true
}

func (rr *recordReader) segments(r *cborread.Reader) []string {
	if r.Null() {
		return nil
	}
	out := make([]string, r.Array())
	for i := range out {
		out[i] = rr.name(r.Text())
	}
	return out
}

func (rr *recordReader) properties(r *cborread.Reader) segments.Properties {
	var p segments.Properties
	var key uint64
	for range r.Map() {
		switch r.FieldKey(&key) {
		case 1:
			p.RFMGroup = rr.name(r.Text())
		case 2:
			p.Lifecycle = rr.name(r.Text())
		case 3:
			p.ChurnRisk = rr.name(r.Text())
		case 4:
			p.PAlive = r.Float()
		case 5:
			p.ExpectedOrders = r.Float()
		case 6:
			p.PredictedCLV = r.Float()
		case 7:
			p.Affinity = rr.affinity(r)
		default:
			r.Fail()
		}
	}
	return p
}

func (rr *recordReader) affinity(r *cborread.Reader) map[string]float64 {
	if r.Null() {
		return nil
	}
	n := r.Map()
	out := make(map[string]float64, n)
	var prev []byte
	for range n {
		k := rr.name(r.TextKey(&prev))
		out[k] = r.Float()
	}
	return out
}

// maxNames bounds the names a recordReader keeps (affinity types are the merchant's product
// types: there may be many).
const maxNames = 1 << 14

func (rr *recordReader) name(b []byte) string {
	if s, ok := rr.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(rr.names) < maxNames {
		rr.names[s] = s
	}
	return s
}
