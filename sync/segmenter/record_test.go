package segmenter

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store/codec"
)

var segmentNames = []string{"aov-high", "churn-low", "country-gb", "lifecycle-active", "lifecycle-new", "rfm-champions",
	"affinity-café", "vip", "region-us-ca", "risk-high"}

// randomRecord is a stored membership: random segments (sometimes none, sometimes nil),
// properties whose floats take every CBOR width, sometimes an affinity map.
func randomRecord(rng *rand.Rand) Record {
	var segs []string
	if rng.IntN(8) > 0 {
		segs = []string{}
		for _, s := range segmentNames {
			if rng.IntN(3) == 0 {
				segs = append(segs, s)
			}
		}
		slices.Sort(segs)
	}
	pickF := func() float64 {
		return []float64{-1, 0, 0.5, 0.73, 0.07, 1, 12, 1234.56, 1e6, 3.25, math.Copysign(0, -1)}[rng.IntN(11)]
	}
	rec := Record{Segments: segs, Props: segments.Properties{
		RFMGroup:  []string{"", "champions", "at-risk"}[rng.IntN(3)],
		Lifecycle: []string{"", "new", "active", "lost"}[rng.IntN(4)],
		ChurnRisk: []string{"", "low", "high"}[rng.IntN(3)],
		PAlive:    pickF(), ExpectedOrders: pickF(), PredictedCLV: pickF(),
	}}
	if rng.IntN(3) == 0 {
		rec.Since = time.Date(2026, 1, 2, 3, 4, 5, rng.IntN(1e9), time.UTC)
	}
	if rng.IntN(3) == 0 {
		rec.Props.Affinity = map[string]float64{}
		for _, k := range []string{"Shoes", "Bags", "Café"}[:1+rng.IntN(3)] {
			rec.Props.Affinity[k] = pickF()
		}
	}
	return rec
}

// nearRecord is rec, or rec with one thing changed (a segment, a property, a share).
func nearRecord(rng *rand.Rand, rec Record) Record {
	out := Record{Segments: slices.Clone(rec.Segments), Since: rec.Since, Props: rec.Props}
	if rec.Props.Affinity != nil {
		out.Props.Affinity = map[string]float64{}
		for k, v := range rec.Props.Affinity {
			out.Props.Affinity[k] = v
		}
	}
	switch rng.IntN(10) {
	case 0:
		out.Segments = append(out.Segments, "zz-extra")
	case 1:
		if len(out.Segments) > 0 {
			out.Segments = out.Segments[1:]
		}
	case 2:
		out.Props.PAlive += 0.01
	case 3:
		out.Props.Lifecycle += "x"
	case 4:
		if out.Props.Affinity == nil {
			out.Props.Affinity = map[string]float64{}
		}
		out.Props.Affinity["Hats"] = 0.5
	case 5:
		for k := range out.Props.Affinity {
			out.Props.Affinity[k] += 0.25
		}
	case 6:
		out.Since = out.Since.Add(time.Hour) // not compared
	}
	return out
}

func TestRecordIsComparesAsApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	sameCount := 0
	for range 20000 {
		stored := randomRecord(rng)
		m := nearRecord(rng, stored)
		b, err := codec.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		same, ok := recordIs(b, m.Segments, &m.Props)
		if !ok {
			t.Fatalf("recordIs could not read codec's encoding of %+v", stored)
		}
		if want := slices.Equal(stored.Segments, m.Segments) && stored.Props.Equal(m.Props); same != want {
			t.Fatalf("stored %+v, member %+v: same %v, want %v", stored, m, same, want)
		}
		if same {
			sameCount++
		}
	}
	if sameCount < 5000 || sameCount > 15000 {
		t.Fatalf("%d of 20000 the same: the test does not check both ways", sameCount)
	}
}

func TestRecordReaderDecodesAsCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	rr := newRecordReader()
	for range 20000 {
		b, err := codec.Marshal(randomRecord(rng))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := rr.read(b)
		if !ok {
			t.Fatalf("refused codec's encoding % x", b)
		}
		var want Record
		if err := codec.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v", got, want)
		}
	}
}

// Damaged records are refused, or read exactly as codec reads them (never read when codec
// refuses them), by both recordIs and recordReader.
func TestRecordReadersOnDamagedRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	rr := newRecordReader()
	accepted := 0
	for range 4000 {
		stored := randomRecord(rng)
		m := nearRecord(rng, stored)
		b, err := codec.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			d := damage(rng, b)
			var want Record
			codecErr := codec.Unmarshal(d, &want)
			if got, ok := rr.read(d); ok {
				accepted++
				if codecErr != nil || !sameRecord(got, want) {
					t.Fatalf("% x: read %#v, codec %#v (%v)", d, got, want, codecErr)
				}
			}
			if same, ok := recordIs(d, m.Segments, &m.Props); ok {
				if codecErr != nil || same != (slices.Equal(want.Segments, m.Segments) && want.Props.Equal(m.Props)) {
					t.Fatalf("% x: recordIs %v, codec %#v (%v)", d, same, want, codecErr)
				}
			}
		}
	}
	if accepted < 2000 {
		t.Fatalf("only %d damaged records read: the test proves little", accepted)
	}
}

// damage returns a copy of b with a byte replaced, a bit flipped, a byte inserted or removed,
// or the end cut off.
func damage(rng *rand.Rand, b []byte) []byte {
	out := append([]byte(nil), b...)
	i := 1 + rng.IntN(len(out)-1)
	switch rng.IntN(5) {
	case 0:
		out[i] = byte(rng.IntN(256))
	case 1:
		out[i] ^= 1 << rng.IntN(8)
	case 2:
		out = append(out[:i], append([]byte{byte(rng.IntN(256))}, out[i:]...)...)
	case 3:
		out = append(out[:i], out[i+1:]...)
	case 4:
		out = out[:i]
	}
	return out
}

// sameRecord is reflect.DeepEqual with NaN equal to NaN (a damaged float may be one).
func sameRecord(a, b Record) bool {
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	pa, pb := a.Props, b.Props
	if !same(pa.PAlive, pb.PAlive) || !same(pa.ExpectedOrders, pb.ExpectedOrders) || !same(pa.PredictedCLV, pb.PredictedCLV) ||
		len(pa.Affinity) != len(pb.Affinity) || (pa.Affinity == nil) != (pb.Affinity == nil) {
		return false
	}
	for k, v := range pa.Affinity {
		if w, ok := pb.Affinity[k]; !ok || !same(v, w) {
			return false
		}
	}
	pa.PAlive, pa.ExpectedOrders, pa.PredictedCLV, pa.Affinity = 0, 0, 0, nil
	pb.PAlive, pb.ExpectedOrders, pb.PredictedCLV, pb.Affinity = 0, 0, 0, nil
	a.Props, b.Props = pa, pb
	return reflect.DeepEqual(a, b)
}
