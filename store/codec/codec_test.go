package codec

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTripProfile(t *testing.T) {
	p := realisticProfile()
	data, err := Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	if data[0] != Version {
		t.Fatalf("first byte = %d, want format version %d", data[0], Version)
	}
	var got testProfile
	if err := Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, got) {
		t.Fatalf("round trip mismatch:\n got %+v\nwant %+v", got, p)
	}
}

func TestTimeKeepsOffsetAndNanos(t *testing.T) {
	in := time.Date(2024, 1, 2, 22, 30, 0, 123456789, time.FixedZone("", -5*3600))
	data, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out time.Time
	if err := Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in) {
		t.Fatalf("got %v, want %v", out, in)
	}
	if _, off := out.Zone(); off != -5*3600 {
		t.Fatalf("offset = %d, want -18000", off)
	}
}

func TestDeterministic(t *testing.T) {
	m := map[string]int{}
	for i, k := range strings.Fields("delta alpha charlie bravo echo foxtrot golf hotel") {
		m[k] = i
	}
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("encoding of the same map differs between calls")
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := Marshal(map[int]string{1: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var v map[int]string

	if err := Unmarshal(nil, &v); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: got %v, want ErrEmpty", err)
	}

	bad := append([]byte{9}, good[1:]...)
	err = Unmarshal(bad, &v)
	if !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("version 9: got %v, want ErrUnknownVersion", err)
	} else if !strings.Contains(err.Error(), "unknown format version 9") {
		t.Errorf("version 9: unclear message %q", err)
	}

	if err := Unmarshal(append(bytes.Clone(good), 0x01), &v); err == nil {
		t.Error("trailing bytes accepted")
	}
	if err := Unmarshal([]byte{Version, 0xa2, 0x01, 0x61, 'a', 0x01, 0x61, 'b'}, &v); err == nil {
		t.Error("duplicate map key accepted")
	}
	if err := Unmarshal([]byte{Version, 0xbf}, &v); err == nil {
		t.Error("truncated input accepted")
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	type v2 struct {
		A string `cbor:"1,keyasint,omitempty"`
		B string `cbor:"2,keyasint,omitempty"`
	}
	type v1 struct {
		A string `cbor:"1,keyasint,omitempty"`
	}
	data, err := Marshal(v2{A: "a", B: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var old v1
	if err := Unmarshal(data, &old); err != nil {
		t.Fatalf("older reader must ignore new fields: %v", err)
	}
	if old.A != "a" {
		t.Fatalf("A = %q", old.A)
	}
}

func FuzzUnmarshal(f *testing.F) {
	p := realisticProfile()
	good, err := Marshal(&p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{Version})
	f.Add([]byte{Version, 0xbf, 0xff})
	f.Add([]byte{Version, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{2, 0xa0})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		var prof testProfile
		if err := Unmarshal(data, &prof); err == nil {
			if _, err := Marshal(&prof); err != nil {
				t.Fatalf("decoded profile does not re-encode: %v", err)
			}
		}
		var anyv any
		_ = Unmarshal(data, &anyv)
		var m map[string]any
		_ = Unmarshal(data, &m)
	})
}
