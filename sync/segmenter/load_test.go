package segmenter

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/segments"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// LoadFeatures gives, in key order, what Extract gives for every stored profile: those the
// fast decoder reads and those it leaves to codec (here, a key written in a longer head than
// codec writes, which codec reads all the same).
func TestLoadFeaturesIsExtractOfEveryProfile(t *testing.T) {
	var ps []profiles.Profile
	st := openStore(t)
	for i := range 1200 { // more than one chunk per goroutine
		p := prof(profileID(i), "c@example.com", i%300, "10", "25.5")
		p.Summary.Devices = map[string]int{"mobile": i % 3, "desktop": 1}
		ps = append(ps, p)
		stored, err := codec.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if stored[2] != 0x01 { // the profile map's first key, the id
				t.Fatalf("unexpected encoding % x", stored[:4])
			}
			stored = append(stored[:2:2], append([]byte{0x18, 0x01}, stored[3:]...)...)
		}
		if err := st.Put(context.Background(), store.Profiles, []byte(p.ID), stored); err != nil {
			t.Fatal(err)
		}
	}
	opts := segments.Options{Location: t0.Location()}
	feats, err := LoadFeatures(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) != len(ps) {
		t.Fatalf("%d features for %d profiles", len(feats), len(ps))
	}
	for i, p := range ps {
		if want := segments.Extract(&p, opts); !reflect.DeepEqual(feats[i], want) {
			t.Fatalf("profile %s:\n got %#v\nwant %#v", p.ID, feats[i], want)
		}
	}
	if feats[0].ProfileID != "p00000" || feats[0].Device != "desktop" || feats[2].Device != "mobile" || feats[3].Device != "desktop" {
		t.Errorf("%s %q %q %q", feats[0].ProfileID, feats[0].Device, feats[2].Device, feats[3].Device)
	}
}

func TestLoadFeaturesNamesTheProfileItCannotDecode(t *testing.T) {
	st := openStore(t, prof("p1", "a@example.com", 3, "10"))
	bad, err := codec.Marshal(map[int]string{1: "p2", 14: "not a summary"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), store.Profiles, []byte("p2"), bad); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFeatures(st, segments.Options{}); err == nil || !strings.Contains(err.Error(), "decode profile p2") {
		t.Fatalf("error %v, want one naming p2", err)
	}
}

func profileID(i int) string { return "p" + strings.Repeat("0", 5-len(itoa(i))) + itoa(i) }

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// With COHORTD_REAL_STORE naming a data file (a copy: it is opened read-only), every stored
// profile must be read by the fast decoder, with the features codec and Extract give.
func TestFeatureDecoderOnRealStore(t *testing.T) {
	path := os.Getenv("COHORTD_REAL_STORE")
	if path == "" {
		t.Skip("COHORTD_REAL_STORE is not set")
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := segments.Options{Location: time.FixedZone("UTC-7", -7*3600)}
	d := segments.NewFeatureDecoder(opts)
	n := 0
	err = st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Profiles, func(k, v []byte) error {
			n++
			var got segments.Features
			if !d.Decode(v, &got) {
				t.Fatalf("profile %s: refused", k)
			}
			var p profiles.Profile
			if err := codec.Unmarshal(v, &p); err != nil {
				t.Fatalf("profile %s: %v", k, err)
			}
			if want := segments.Extract(&p, opts); !reflect.DeepEqual(got, want) {
				t.Fatalf("profile %s:\n got %#v\nwant %#v", k, got, want)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d profiles read alike", n)
}
