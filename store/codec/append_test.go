package codec

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestAppendFloatExhaustive compares AppendFloat with Marshal for every single-precision value
// (a sample of them in -short mode) and every half-precision value and its successor.
func TestAppendFloatExhaustive(t *testing.T) {
	step := uint32(1)<<12 + 1
	if testing.Short() {
		step = 1<<20 + 7
	}
	for u := uint64(0); u <= math.MaxUint32; u += uint64(step) {
		checkAppendFloat(t, float64(math.Float32frombits(uint32(u))))
	}
	for u := range uint32(1 << 16) {
		h := halfToFloat(uint16(u))
		checkAppendFloat(t, h)
		checkAppendFloat(t, math.Nextafter(h, math.Inf(1)))
	}
	for _, f := range []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), -1, 0.01, 0.1, 1e300,
		5.5, 5555.5, 65504, 65505, 65520, 65536, 1e-7, 0x1p-24, 0x1p-25, 0x3p-25, 0x1p-14, 0x1.ffcp-15, 0x1p-126,
		0x1p-149, 0x1p-150, math.SmallestNonzeroFloat64, math.MaxFloat64, math.MaxFloat32} {
		checkAppendFloat(t, f)
		checkAppendFloat(t, -f)
	}
}

func checkAppendFloat(t *testing.T, f float64) {
	t.Helper()
	want, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendFloat([]byte{Version}, f); !bytes.Equal(got, want) {
		t.Fatalf("AppendFloat(%v = %#x) = %x, want %x", f, math.Float64bits(f), got, want)
	}
}

// halfToFloat decodes IEEE 754 half-precision bits.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

// AppendTime writes Marshal's bytes for the times Marshal takes and declines the others.
func TestAppendTimeMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(0, 0).UTC(), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("", -(23*3600+59*60))),
		time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60+30))}
	for range 5000 {
		zone := time.UTC
		if r.IntN(2) == 0 {
			zone = time.FixedZone("z", r.IntN(2*26*3600)-26*3600)
		}
		sec := r.Int64N(400*365*24*3600) - 100*365*24*3600
		times = append(times, time.Unix(sec, r.Int64N(1e9)/[]int64{1, 1e3, 1e6, 1e9}[r.IntN(4)]).In(zone))
	}
	for _, tm := range times {
		want, err := Marshal(tm)
		got, ok := AppendTime([]byte{Version}, tm)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("AppendTime(%v) = %x, %v; Marshal: %x, %v", tm, got, ok, want, err)
		}
	}
}

// Text keys sorted by CompareTextKeys are in Marshal's order, across the 23/24 and 255/256
// byte boundaries of the text head.
func TestCompareTextKeysMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		m := map[string]int{}
		for range r.IntN(20) {
			b := make([]byte, []int{0, 1, 22, 23, 24, 25, 255, 256}[r.IntN(8)])
			for i := range b {
				b[i] = "ab\x00\xff"[r.IntN(4)]
			}
			m[string(b)] = len(m)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, CompareTextKeys)
		got := AppendHead([]byte{Version}, 5, uint64(len(keys)))
		for _, k := range keys {
			got = AppendHead(AppendText(got, k), 0, uint64(m[k]))
		}
		want, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("keys %q: got %x, want %x", keys, got, want)
		}
	}
}
