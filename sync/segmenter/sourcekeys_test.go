package segmenter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// sourceProfile is a profile with n sources of varied text (empty, non-ASCII) and the other
// fields a stored profile has, which readSourceKeys skips.
func sourceProfile(rng *rand.Rand, i int) profiles.Profile {
	p := prof(fmt.Sprintf("p%04d", i), "a@example.com", i%90, "12.5", "30")
	p.Locale, p.FieldSources = "en-GB", map[string]string{"email": "shop/customer/1"}
	p.Phones = []profiles.PhoneValue{{E164: "+441234567890", Valid: true}}
	p.MergeScore = 0.93
	for range rng.IntN(4) {
		p.Sources = append(p.Sources, profiles.SourceRef{Store: []string{"shop", "", "ünï"}[rng.IntN(3)],
			Kind: []string{"customer", "guest_order"}[rng.IntN(2)], ID: fmt.Sprint(rng.IntN(1e6))})
	}
	return p
}

func TestSourceKeysAsCodecDecodesThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	st := openStore(t)
	want := map[string][]string{}
	for i := range 500 {
		p := sourceProfile(rng, i)
		b := mustMarshal(p)
		if i%9 == 0 { // a longer head than codec writes: left to codec
			b = append(b[:2:2], append([]byte{0x18, 0x01}, b[3:]...)...)
		}
		if err := st.Put(context.Background(), store.Profiles, []byte(p.ID), b); err != nil {
			t.Fatal(err)
		}
		keys := []string{}
		for _, s := range p.Sources {
			keys = append(keys, s.Store+"/"+s.Kind+"/"+s.ID)
		}
		want[p.ID] = keys
	}
	got, err := SourceKeys(st)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("source keys differ")
	}
}

// Damaged profiles are refused, or read as codec reads them (never read when codec refuses
// them).
func TestReadSourceKeysOnDamagedProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	var scratch []byte
	accepted := 0
	for i := range 3000 {
		b := mustMarshal(sourceProfile(rng, i))
		for range 20 {
			d := damage(rng, b)
			id, keys, ok := readSourceKeys(d, &scratch)
			if !ok {
				continue
			}
			accepted++
			wantID, wantKeys, err := decodeSourceKeys([]byte("k"), d)
			if err != nil || id != wantID || !reflect.DeepEqual(keys, wantKeys) {
				t.Fatalf("% x: read %q %q, codec %q %q (%v)", d, id, keys, wantID, wantKeys, err)
			}
		}
	}
	if accepted < 10000 {
		t.Fatalf("only %d damaged profiles read: the test proves little", accepted)
	}
}

func TestSourceKeysNamesTheProfileItCannotDecode(t *testing.T) {
	st := openStore(t)
	if err := st.Put(context.Background(), store.Profiles, []byte("p9"), mustMarshal(map[int]int{1: 5})); err != nil {
		t.Fatal(err)
	}
	if _, err := SourceKeys(st); err == nil || !strings.HasPrefix(err.Error(), "decode profile p9:") {
		t.Fatalf("error %v", err)
	}
	var p profiles.Profile
	if err := codec.Unmarshal(mustMarshal(map[int]int{1: 5}), &p); err == nil {
		t.Fatal("codec reads an id that is a number")
	}
}

// A scan decodes on every core but reports the first undecodable record in key order, as a
// sequential scan did.
func TestMembershipsNamesTheFirstUndecodableRecord(t *testing.T) {
	st := openStore(t)
	err := st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range 3000 {
			v := mustMarshal(Record{Segments: []string{"lifecycle-new"}})
			if i == scanChunk-1 || i == scanChunk { // the end of one chunk, the start of the next: the second is usually read first
				v = []byte{codec.Version, 0xa1, 0x01, 0x01} // segments that are a number
			}
			if err := tx.Put(store.Memberships, []byte(fmt.Sprintf("%sp%04d", memberPrefix, i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := Memberships(st); err == nil || !strings.HasPrefix(err.Error(), "decode m/p0255:") {
			t.Fatalf("error %v, want one naming m/p0255", err)
		}
	}
	got, err := Memberships(openStore(t))
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty store: %v %v", got, err)
	}
}
