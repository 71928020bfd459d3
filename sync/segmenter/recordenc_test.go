package segmenter

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store/codec"
)

// appendRecord and appendEvent write Record, Event and Properties field by field: this fails
// when one of those types changes, so that their encoders are changed with them.
func TestAppendRecordLayout(t *testing.T) {
	layout := codec.FieldLayout
	for _, c := range []struct {
		v    any
		want string
	}{
		{Record{}, `Segments []string "1,keyasint"
Since time.Time "2,keyasint"
Props segments.Properties "3,keyasint"
`},
		{Event{}, `At time.Time "1,keyasint"
ProfileID string "2,keyasint"
Entered []string "3,keyasint,omitempty"
Left []string "4,keyasint,omitempty"
Reason string "5,keyasint"
`},
		{segments.Properties{}, `RFMGroup string "1,keyasint,omitempty"
Lifecycle string "2,keyasint,omitempty"
ChurnRisk string "3,keyasint,omitempty"
PAlive float64 "4,keyasint"
ExpectedOrders float64 "5,keyasint"
PredictedCLV float64 "6,keyasint"
Affinity map[string]float64 "7,keyasint,omitempty"
`},
	} {
		if got := layout(c.v); got != c.want {
			t.Errorf("%T changed: update appendRecord or appendEvent, then this test.\ngot:\n%s\nwant:\n%s", c.v, got, c.want)
		}
	}
}

// checkAppendRecord compares appendRecord and marshalRecord with codec.Marshal: the same bytes,
// and a decline only for a record codec.Marshal refuses.
func checkAppendRecord(t *testing.T, r *Record) {
	t.Helper()
	want, wantErr := codec.Marshal(*r)
	got, ok := appendRecord([]byte{0xaa}, r) // appends after what dst holds
	switch {
	case ok && wantErr != nil:
		t.Fatalf("appendRecord(%+v) encoded a record codec.Marshal refuses (%v)", r, wantErr)
	case !ok && wantErr == nil:
		t.Fatalf("appendRecord(%+v) declined a record codec.Marshal encodes", r)
	case ok && (got[0] != 0xaa || !bytes.Equal(got[1:], want)):
		t.Fatalf("appendRecord(%+v)\n got %x\nwant %x", r, got[1:], want)
	}
	if b, err := marshalRecord(r); (err == nil) != (wantErr == nil) || !bytes.Equal(b, want) {
		t.Fatalf("marshalRecord(%+v) = %x, %v; codec.Marshal: %x, %v", r, b, err, want, wantErr)
	}
}

// checkAppendEvent is checkAppendRecord for an Event.
func checkAppendEvent(t *testing.T, e *Event) {
	t.Helper()
	want, wantErr := codec.Marshal(*e)
	got, ok := appendEvent([]byte{0xaa}, e)
	switch {
	case ok && wantErr != nil:
		t.Fatalf("appendEvent(%+v) encoded an event codec.Marshal refuses (%v)", e, wantErr)
	case !ok && wantErr == nil:
		t.Fatalf("appendEvent(%+v) declined an event codec.Marshal encodes", e)
	case ok && (got[0] != 0xaa || !bytes.Equal(got[1:], want)):
		t.Fatalf("appendEvent(%+v)\n got %x\nwant %x", e, got[1:], want)
	}
	if b, err := marshalEvent(e); (err == nil) != (wantErr == nil) || !bytes.Equal(b, want) {
		t.Fatalf("marshalEvent(%+v) = %x, %v; codec.Marshal: %x, %v", e, b, err, want, wantErr)
	}
}

// edgeFloats are the floats whose encodings differ in width or are special.
var edgeFloats = []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), -1, 1, 0.5, 0.25, 0.01,
	0.1, 0.07, 0.73, 65504, 65505, 65520, 1e6, 12345678, 1e15, 1e300, 0x1p-24, 0x1p-25, 0x1p-14, 0x1p-126,
	0x1p-149, math.SmallestNonzeroFloat64, math.MaxFloat64, math.MaxFloat32, float64(float32(0.1)),
	float64(float32(1.0 / 3)), 1.0 / 3, 2049, 4097, 16777217}

// randomFloat is an edge float, a two-decimal value (as Properties hold), a whole CLV, or any
// bits at all.
func randomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(6) {
	case 0, 1:
		return edgeFloats[rng.IntN(len(edgeFloats))]
	case 2:
		return math.Round(float64(rng.IntN(20001)-10000)) / 100 // 0.01 steps
	case 3:
		return math.Round(rng.Float64() * math.Pow(10, float64(rng.IntN(12))))
	case 4:
		return -edgeFloats[rng.IntN(len(edgeFloats))]
	}
	return math.Float64frombits(rng.Uint64())
}

// randomText is a string of a length around the text head's boundaries (23/24, 255/256) or
// short, of ASCII, multi-byte UTF-8, NUL and invalid UTF-8.
func randomText(rng *rand.Rand) string {
	n := []int{0, 1, 5, 22, 23, 24, 25, 255, 256, rng.IntN(30)}[rng.IntN(10)]
	var b strings.Builder
	for b.Len() < n {
		b.WriteString([]string{"a", "b", "z", "é", "日", "\x00", "\xff", "-"}[rng.IntN(8)])
	}
	return b.String()[:n] // may cut a rune: invalid UTF-8 on purpose
}

// randomTime is zero, or any time within a few centuries, with nanoseconds to any precision,
// in UTC or an offset (sometimes one beyond ±23:59, which codec.Marshal refuses).
func randomTime(rng *rand.Rand) time.Time {
	if rng.IntN(5) == 0 {
		return time.Time{}
	}
	sec := rng.Int64N(300*365*24*3600) - 100*365*24*3600
	nsec := rng.Int64N(1e9) / []int64{1, 10, 1e3, 1e6, 1e9}[rng.IntN(5)] * []int64{1, 10, 1e3, 1e6, 1e9}[rng.IntN(5)] % 1e9
	t := time.Unix(sec, nsec)
	switch rng.IntN(4) {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("", (rng.IntN(48)-24)*1800))
	case 2:
		return t.In(time.FixedZone("X", rng.IntN(2*25*3600)-25*3600))
	}
	return t // local
}

func randomTexts(rng *rand.Rand) []string {
	switch rng.IntN(6) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	ss := make([]string, rng.IntN([]int{4, 40}[rng.IntN(2)]))
	for i := range ss {
		ss[i] = randomText(rng)
	}
	return ss
}

// wideRecord is a Record with every field drawn from wide ranges (randomRecord draws from a
// baseline's few values).
func wideRecord(rng *rand.Rand) Record {
	r := Record{Segments: randomTexts(rng), Since: randomTime(rng), Props: segments.Properties{
		PAlive: randomFloat(rng), ExpectedOrders: randomFloat(rng), PredictedCLV: randomFloat(rng),
	}}
	for _, s := range []*string{&r.Props.RFMGroup, &r.Props.Lifecycle, &r.Props.ChurnRisk} {
		if rng.IntN(2) == 0 {
			*s = randomText(rng)
		}
	}
	switch rng.IntN(4) {
	case 0: // nil
	case 1:
		r.Props.Affinity = map[string]float64{}
	default:
		r.Props.Affinity = map[string]float64{}
		for range rng.IntN(21) {
			key := strings.Repeat("k", 20+rng.IntN(8)) // around the 23/24-byte head boundary
			key = key[:rng.IntN(len(key)+1)] + string(rune('a'+rng.IntN(26)))
			r.Props.Affinity[key] = randomFloat(rng)
		}
	}
	return r
}

func TestAppendRecordMatchesCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 20000 {
		r := wideRecord(rng)
		checkAppendRecord(t, &r)
	}
	for range 5000 {
		r := randomRecord(rng)
		checkAppendRecord(t, &r)
	}
	// Each float edge in each float field, and the zero Record.
	checkAppendRecord(t, &Record{})
	for _, f := range edgeFloats {
		for _, s := range []float64{f, -f} {
			checkAppendRecord(t, &Record{Props: segments.Properties{PAlive: s, ExpectedOrders: 1, PredictedCLV: -1}})
			checkAppendRecord(t, &Record{Props: segments.Properties{ExpectedOrders: s, Affinity: map[string]float64{"x": s}}})
			checkAppendRecord(t, &Record{Props: segments.Properties{PredictedCLV: s}})
		}
	}
	// Affinity keys of every length from 0 to 40 together, so that 23 and 24 sort across the
	// head's boundary.
	aff := map[string]float64{}
	for n := range 41 {
		aff[strings.Repeat("z", n)] = float64(n) / 100
		aff[strings.Repeat("a", n)+"é"] = float64(n)
	}
	checkAppendRecord(t, &Record{Segments: []string{"a"}, Since: time.Now(), Props: segments.Properties{Affinity: aff}})
	// The record a recompute writes: UTC now, to the nanosecond.
	checkAppendRecord(t, &Record{Segments: segmentNames, Since: time.Now().UTC(), Props: segments.Properties{PAlive: 0.93}})
}

func TestAppendEventMatchesCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	checkAppendEvent(t, &Event{})
	for range 20000 {
		e := Event{At: randomTime(rng), ProfileID: randomText(rng), Entered: randomTexts(rng), Left: randomTexts(rng),
			Reason: randomText(rng)}
		checkAppendEvent(t, &e)
	}
}

// fuzzBytes hands out the fuzzer's bytes as values, zeros once they run out.
type fuzzBytes []byte

func (b *fuzzBytes) next(n int) []byte {
	out := make([]byte, n)
	*b = (*b)[copy(out, *b):]
	return out
}

func (b *fuzzBytes) byte() byte { return b.next(1)[0] }

func (b *fuzzBytes) text() string { return string(b.next(int(b.byte() % 40))) }

func (b *fuzzBytes) texts() []string {
	n := int(b.byte())
	if n == 0xff {
		return nil
	}
	ss := make([]string, n%12)
	for i := range ss {
		ss[i] = b.text()
	}
	return ss
}

func (b *fuzzBytes) float() float64 {
	if k := b.byte(); k < 128 {
		return edgeFloats[int(k)%len(edgeFloats)]
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b.next(8)))
}

func (b *fuzzBytes) time() time.Time {
	raw := b.next(14)
	if raw[0] == 0 {
		return time.Time{}
	}
	sec := int64(binary.LittleEndian.Uint64(raw[:8])) % (1 << 40)
	t := time.Unix(sec, int64(binary.LittleEndian.Uint32(raw[8:12])%1e9))
	return t.In(time.FixedZone("", int(int16(binary.LittleEndian.Uint16(raw[12:])))*60))
}

// FuzzAppendRecord compares appendRecord and appendEvent with codec.Marshal on records and
// events made of the fuzzer's bytes.
func FuzzAppendRecord(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{1, 2, 3, 0xff, 0x80, 24, 23}, 40))
	rng := rand.New(rand.NewPCG(15, 16))
	for range 8 {
		b := make([]byte, 400)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := fuzzBytes(data)
		r := Record{Segments: b.texts(), Since: b.time(), Props: segments.Properties{RFMGroup: b.text(),
			Lifecycle: b.text(), ChurnRisk: b.text(), PAlive: b.float(), ExpectedOrders: b.float(), PredictedCLV: b.float()}}
		if n := int(b.byte()); n != 0xff {
			r.Props.Affinity = map[string]float64{}
			for range n % 24 {
				r.Props.Affinity[b.text()] = b.float()
			}
		}
		checkAppendRecord(t, &r)
		e := Event{At: b.time(), ProfileID: b.text(), Entered: b.texts(), Left: b.texts(), Reason: b.text()}
		checkAppendEvent(t, &e)
	})
}

// BenchmarkEncodeRecord encodes records as a baseline writes them: a few segments, UTC now,
// two-decimal properties, sometimes an affinity map.
func BenchmarkEncodeRecord(b *testing.B) {
	rng := rand.New(rand.NewPCG(17, 18))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]Record, 1024)
	for i := range recs {
		recs[i] = randomRecord(rng)
		recs[i].Since = now
	}
	b.Run("marshalRecord", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := marshalRecord(&recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := codec.Marshal(recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
