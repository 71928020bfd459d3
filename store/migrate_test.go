package store

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "regenerate testdata/store fixtures")

const v1Fixture = "../testdata/store/v1.db"

// fixtureProfile is the record type stored in the v1 fixture.
type fixtureProfile struct {
	ID     string   `cbor:"1,keyasint,omitempty"`
	Emails []string `cbor:"2,keyasint,omitempty"`
	Spent  string   `cbor:"3,keyasint,omitempty"`
}

var fixtureProfiles = map[string]fixtureProfile{
	"prof_1": {ID: "prof_1", Emails: []string{"ada@example.com"}, Spent: "120.50"},
	"prof_2": {ID: "prof_2", Emails: []string{"bob@example.com", "bob@work.example"}, Spent: "0.00"},
}

var fixtureRaw = map[Bucket]map[string]string{
	Cursors: {"shopify:customers": "2024-05-01T00:00:00Z", "woocommerce:orders": "4821"},
	Inbox:   {"0000000001": "raw-webhook-1", "0000000002": "raw-webhook-2"},
}

// TestGenerateV1Fixture regenerates testdata/store/v1.db: a file that has
// run only migration 1, plus a few records. Run:
//
//	go test ./store -run TestGenerateV1Fixture -args -update
func TestGenerateV1Fixture(t *testing.T) {
	if !*update {
		t.Skip("run with -args -update to regenerate " + v1Fixture)
	}
	tmp := filepath.Join(t.TempDir(), "v1.db")
	db, err := openBolt(tmp, time.Second, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(db, tmp, false, 1, time.Now); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{tx: btx}
		for k, p := range fixtureProfiles {
			if err := tx.PutValue(Profiles, []byte(k), p); err != nil {
				return err
			}
		}
		for b, kv := range fixtureRaw {
			for k, v := range kv {
				if err := tx.Put(b, []byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(tmp, v1Fixture); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(v1Fixture, 0o644); err != nil { // readable in the repo
		t.Fatal(err)
	}
}

func TestMigratesV1Fixture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cohortd.db")
	if err := copyFile(v1Fixture, path); err != nil {
		t.Fatal(err)
	}
	before, err := VerifyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if before.SchemaVersion != 1 {
		t.Fatalf("fixture schema version %d, want 1", before.SchemaVersion)
	}
	if _, ok := before.Buckets[string(Jobs)]; ok {
		t.Fatal("v1 fixture already has the jobs bucket")
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err == nil {
		ro.Close()
		t.Fatal("read-only Open of a v1 file should ask for a read-write open first")
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.SchemaVersion()
	if err != nil || v != LatestSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, LatestSchemaVersion)
	}
	for k, want := range fixtureProfiles {
		var got fixtureProfile
		if err := s.GetValue(Profiles, []byte(k), &got); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if got.ID != want.ID || got.Spent != want.Spent || len(got.Emails) != len(want.Emails) {
			t.Fatalf("%s = %+v, want %+v", k, got, want)
		}
	}
	for b, kv := range fixtureRaw {
		for k, want := range kv {
			if got, err := s.Get(b, []byte(k)); err != nil || string(got) != want {
				t.Fatalf("%s/%s = %q, %v; want %q", b, k, got, err, want)
			}
		}
	}
	err = s.View(func(tx *Tx) error {
		if _, err := time.Parse(time.RFC3339, string(tx.Get(Meta, []byte(MetaCreatedAt)))); err != nil {
			return err
		}
		if enc := tx.Get(Meta, []byte(MetaEncoding)); len(enc) != 8 || enc[7] != 1 {
			return errors.New("meta encoding missing")
		}
		return tx.ForEach(Jobs, func(k, v []byte) error { return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), Jobs, []byte("nightly"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationListMatchesConst(t *testing.T) {
	if latestVersion() != LatestSchemaVersion {
		t.Fatalf("LatestSchemaVersion = %d but the last migration is %d", LatestSchemaVersion, latestVersion())
	}
	for i, m := range migrations {
		if m.version != i+1 {
			t.Fatalf("migration %d has version %d", i, m.version)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx *Tx) error {
		return tx.Put(Meta, []byte(MetaSchemaVersion), be64(9))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a file with a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	want := "open " + path + ": data file schema version 9 is newer than this cohortd (2); upgrade cohortd"
	if err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	// The refused file must be untouched and openable again (not locked).
	if sum, err := VerifyFile(path); err != nil || sum.SchemaVersion != 9 {
		t.Fatalf("VerifyFile = %+v, %v", sum, err)
	}
}
