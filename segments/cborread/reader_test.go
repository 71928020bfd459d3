package cborread

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store/codec"
)

// encode is codec's encoding of v without the version byte.
func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := codec.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b[1:]
}

func TestParseTimeIsTimeParse(t *testing.T) {
	inputs := []string{
		"2026-03-01T10:00:00Z", "2026-03-01T10:00:00.5Z", "2026-03-01T10:00:00.123456789Z",
		"2026-03-01T10:00:00.1234567891Z", "2026-03-01T10:00:00.Z", "2026-03-01T10:00:00,5Z",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2000-02-29T23:59:59Z",
		"2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "0000-01-01T00:00:00Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2026-01-01t00:00:00Z",
		"2026-01-01T00:00:00z", "2026-01-01T00:00:00+02:00", "2026-01-01T00:00:00-00:00",
		"2026-01-01T00:00:00.25+05:30", "2026-01-01 00:00:00Z", "+026-01-01T00:00:00Z", "2026-1-01T00:00:00Z",
		"", "Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00ZZ", "2026-01-01T0a:00:00Z",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		tm := time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)).UTC()
		if rng.IntN(2) == 0 {
			tm = tm.Truncate(time.Second)
		}
		inputs = append(inputs, tm.Format(time.RFC3339Nano))
	}
	for _, s := range inputs {
		checkParseTime(t, s)
	}
}

func checkParseTime(t *testing.T, s string) {
	t.Helper()
	got, ok := parseTime([]byte(s))
	want, err := time.Parse(time.RFC3339, s)
	gotZone, gotOffset := got.Zone()
	wantZone, wantOffset := want.Zone()
	if ok != (err == nil) || !got.Equal(want) || gotZone != wantZone || gotOffset != wantOffset ||
		want.Location() == time.UTC && got != want {
		t.Fatalf("%q: got %v (ok %v), time.Parse %v (%v)", s, got, ok, want, err)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-01T10:00:00Z", "2026-03-01T10:00:00.123456789Z", "2024-02-29T00:00:00+01:00"} {
		f.Add(s)
	}
	f.Fuzz(checkParseTime)
}

func TestFloatsAsCodecDecodesThem(t *testing.T) {
	check := func(item []byte) {
		var want float64
		if err := codec.Unmarshal(append([]byte{codec.Version}, item...), &want); err != nil {
			t.Fatalf("% x: %v", item, err)
		}
		r := NewReader(item)
		got := r.Float()
		if !r.Done() || math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("% x: got %v (done %v), codec %v", item, got, r.Done(), want)
		}
	}
	for h := range 1 << 16 { // every half-precision value
		check([]byte{valFloat16, byte(h >> 8), byte(h)})
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, v := range []float64{0, math.Copysign(0, -1), 1, 0.5, 0.1, 1e300, -2.5e-310, math.Inf(1), 65504, 65520, 1.0 / 3, 0.07} {
		check(encode(t, v))
	}
	for range 10000 {
		check(encode(t, math.Round(rng.NormFloat64()*1e4)/100))
		check(encode(t, math.Float64frombits(rng.Uint64())))
	}
}

func TestReaderReadsCodecValues(t *testing.T) {
	type inner struct {
		A string  `cbor:"1,keyasint,omitempty"`
		B int     `cbor:"2,keyasint"`
		C bool    `cbor:"30,keyasint"`
		D float64 `cbor:"300,keyasint"`
	}
	v := struct {
		Text  string           `cbor:"1,keyasint"`
		Neg   int              `cbor:"2,keyasint"`
		Big   int              `cbor:"3,keyasint"`
		Bytes []byte           `cbor:"4,keyasint"`
		List  []inner          `cbor:"5,keyasint"`
		Map   map[string]int   `cbor:"6,keyasint"`
		When  time.Time        `cbor:"7,keyasint"`
		Never time.Time        `cbor:"8,keyasint"`
		Nil   []string         `cbor:"9,keyasint"`
		Deep  map[string][]any `cbor:"10,keyasint"`
	}{"Zoë", math.MinInt, math.MaxInt, []byte{1, 2}, []inner{{"x", 7, true, 0.25}, {B: 300}},
		map[string]int{"b": 2, "aa": 3, "a": 1}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), time.Time{}, nil,
		map[string][]any{"k": {1, "two", 3.5, nil, false, map[string]any{"z": []any{}}}}}
	b := encode(t, v)
	r := NewReader(b)
	var key uint64
	if n := r.Map(); n != 10 {
		t.Fatalf("map of %d", n)
	}
	expect := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) || !r.Ok() {
			t.Fatalf("%s: got %v, want %v (ok %v)", what, got, want, r.Ok())
		}
	}
	expect("key", r.FieldKey(&key), uint64(1))
	expect("text", string(r.Text()), "Zoë")
	expect("key", r.FieldKey(&key), uint64(2))
	expect("neg", r.Int(), math.MinInt)
	r.FieldKey(&key)
	expect("big", r.Int(), math.MaxInt)
	r.FieldKey(&key)
	expect("bytes", r.Bytes(), []byte{1, 2})
	r.FieldKey(&key)
	expect("list", r.Array(), 2)
	for i := range 2 {
		var k uint64
		for range r.Map() {
			switch r.FieldKey(&k) {
			case 1:
				expect("A", string(r.Text()), "x")
			case 2:
				expect("B", r.Int(), []int{7, 300}[i])
			case 30:
				expect("C", r.Bool(), i == 0)
			case 300:
				expect("D", r.Float(), []float64{0.25, 0}[i])
			}
		}
	}
	r.FieldKey(&key)
	var prev []byte
	var keys []string
	for range r.Map() {
		keys = append(keys, string(r.TextKey(&prev)))
		r.Int()
	}
	expect("map keys in encoding order", keys, []string{"a", "b", "aa"})
	r.FieldKey(&key)
	expect("time", r.Time(), v.When)
	r.FieldKey(&key)
	expect("zero time", r.Time().IsZero(), true)
	r.FieldKey(&key)
	expect("nil slice", r.Null(), true)
	r.FieldKey(&key)
	r.Skip()
	if !r.Done() {
		t.Fatalf("not done: ok %v", r.Ok())
	}
}

// Each of these is something codec's encoder never writes; the reader must refuse it.
func TestReaderRefuses(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		read func(r *Reader)
	}{
		{"non-minimal head", []byte{0x18, 0x05}, func(r *Reader) { r.Uint() }},
		{"non-minimal 16-bit head", []byte{0x19, 0x00, 0xff}, func(r *Reader) { r.Uint() }},
		{"indefinite array", []byte{0x9f, 0xff}, func(r *Reader) { r.Array() }},
		{"truncated text", []byte{0x63, 'a', 'b'}, func(r *Reader) { r.Text() }},
		{"invalid UTF-8", []byte{0x62, 0xc3, 0x28}, func(r *Reader) { r.Text() }},
		{"text for bytes", []byte{0x61, 'a'}, func(r *Reader) { r.Bytes() }},
		{"int beyond int64", []byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, func(r *Reader) { r.Int() }},
		{"negative beyond int64", []byte{0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}, func(r *Reader) { r.Int() }},
		{"repeated field key", []byte{0xa2, 0x01, 0x00, 0x01, 0x00}, func(r *Reader) {
			var k uint64
			for range r.Map() {
				r.FieldKey(&k)
				r.Int()
			}
		}},
		{"unsorted text keys", []byte{0xa2, 0x61, 'b', 0x00, 0x61, 'a', 0x00}, func(r *Reader) {
			var prev []byte
			for range r.Map() {
				r.TextKey(&prev)
				r.Int()
			}
		}},
		{"repeated text key", []byte{0xa2, 0x61, 'a', 0x00, 0x61, 'a', 0x00}, func(r *Reader) {
			var prev []byte
			for range r.Map() {
				r.TextKey(&prev)
				r.Int()
			}
		}},
		{"tag", []byte{0xc0, 0x61, 'a'}, func(r *Reader) { r.Skip() }},
		{"undefined", []byte{0xf7}, func(r *Reader) { r.Skip() }},
		{"too many elements", []byte{0x9a, 0x00, 0x02, 0x00, 0x01}, func(r *Reader) { r.Array() }},
		{"count beyond the data", []byte{0x83, 0x01}, func(r *Reader) { r.Array() }},
		{"bad time", []byte{0x64, '2', '0', '2', '6'}, func(r *Reader) { r.Time() }},
		{"int for bool", []byte{0x01}, func(r *Reader) { r.Bool() }},
		{"int for float", []byte{0x01}, func(r *Reader) { r.Float() }},
		{"deep nesting", append(repeat(0x81, maxSkipDepth+2), 0x00), func(r *Reader) { r.Skip() }},
	}
	for _, c := range cases {
		r := NewReader(c.data)
		c.read(&r)
		if r.Done() {
			t.Errorf("%s: read % x", c.name, c.data)
		}
	}
}

// Skip, like codec skipping a field it does not decode, takes text that is not UTF-8 and map
// keys in any order: codec reads a value around them.
func TestSkipIsCodecSkipping(t *testing.T) {
	item := []byte{0xa2, 0x01, 0x62, 0xc3, 0x28, 0x02, 0xa2, 0x61, 'b', 0x00, 0x61, 'a', 0x00} // {1: bad text, 2: {"b": 0, "a": 0}}
	var v struct {
		Other int `cbor:"3,keyasint"`
	}
	if err := codec.Unmarshal(append([]byte{codec.Version}, item...), &v); err != nil {
		t.Fatalf("codec: %v", err)
	}
	r := NewReader(item)
	var key uint64
	for range r.Map() {
		r.FieldKey(&key)
		r.Skip()
	}
	if !r.Done() {
		t.Fatal("Skip refused what codec skips")
	}
}

func repeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}
