package storedump

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cohortd/cohortd/store"
)

func TestLinesListsBucketsInOrder(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(context.Background(), func(tx *store.Tx) error {
		for _, kv := range [][3]string{{string(store.Profiles), "b", "\x01"}, {string(store.Profiles), "a", "\xff"}, {string(store.Indexes), "k", "v"}} {
			if err := tx.Put(store.Bucket(kv[0]), []byte(kv[1]), []byte(kv[2])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := Lines(st, store.Indexes, store.Profiles)
	want := []string{"indexes k=76", "profiles a=ff", "profiles b=01"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Lines = %q, %v; want %q", got, err, want)
	}
}
