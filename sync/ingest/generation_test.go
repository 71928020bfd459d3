package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// A rebuild replaces its own keys of merge_audit and indexes, and keeps the others (privacy
// audit lines, unmerges, other indexes) and the bucket's sequence.
func TestRebuildKeepsTheKeysItDoesNotOwn(t *testing.T) {
	ctx := context.Background()
	st := rebuiltStore(t)
	var seq uint64
	if err := st.Update(ctx, func(tx *store.Tx) error {
		var err error
		if seq, err = tx.NextSequence(store.MergeAudit); err != nil {
			return err
		}
		if err := tx.Put(store.MergeAudit, []byte("privacy/2026/1"), []byte("line")); err != nil {
			return err
		}
		if err := tx.Put(store.Indexes, []byte("phone/+15550100"), []byte("p_x")); err != nil {
			return err
		}
		// A stale entry of the rebuild's own: gone after the next rebuild.
		return tx.Put(store.Indexes, []byte(emailIndex+"gone@example.org"), []byte("p_old"))
	}); err != nil {
		t.Fatal(err)
	}
	res, err := Rebuild(ctx, st, buildOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality.Profiles != 1 {
		t.Fatalf("%d profiles, want 1 (Ann merged across stores)", res.Quality.Profiles)
	}
	if v, err := st.Get(store.MergeAudit, []byte("privacy/2026/1")); err != nil || string(v) != "line" {
		t.Fatalf("privacy audit line after a rebuild: %q, %v", v, err)
	}
	if v, err := st.Get(store.Indexes, []byte("phone/+15550100")); err != nil || string(v) != "p_x" {
		t.Fatalf("other index after a rebuild: %q, %v", v, err)
	}
	if _, err := st.Get(store.Indexes, []byte(emailIndex+"gone@example.org")); err == nil {
		t.Fatal("a stale email index entry survived the rebuild")
	}
	p, err := Lookup(st, "ann@example.org")
	if err != nil || len(p.Sources) != 2 {
		t.Fatalf("lookup after the rebuild: %d sources, %v", len(p.Sources), err)
	}
	audit, err := Audit(st, p.ID)
	if err != nil || len(audit) != 1 {
		t.Fatalf("merge audit after the rebuild: %d lines, %v", len(audit), err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		next, err := tx.NextSequence(store.MergeAudit)
		if err == nil && next != seq+1 {
			t.Errorf("merge_audit sequence %d after the rebuild, want %d", next, seq+1)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// A rebuild that stops half way (here: after writing a window, before the swap) leaves the
// profiles as they were and no sorted runs on disk; runs left by an earlier process are
// deleted by the next rebuild.
func TestUnfinishedGenerationChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := rebuiltStore(t)
	before, err := Lookup(st, "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(st.Path())
	stale := filepath.Join(dir, "sortedruns-crashed")
	if err := mkdirOld(stale); err != nil {
		t.Fatal(err)
	}
	w, err := newGenerationWriter(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("runs of an earlier process were not removed: %v", err)
	}
	p := profiles.Profile{ID: "p_new", Emails: []profiles.EmailValue{{Address: "ann@example.org", Key: "ann@example.org"}}}
	if err := w.sink(0, 1, &p); err != nil {
		t.Fatal(err)
	}
	if err := w.flush([]int{0}); err != nil {
		t.Fatal(err)
	}
	w.close()
	after, err := Lookup(st, "ann@example.org")
	if err != nil || after.ID != before.ID {
		t.Fatalf("after an unfinished rebuild: %s, %v; want the old profile %s", after.ID, err, before.ID)
	}
	if _, err := Lookup(st, "p_new"); err == nil {
		t.Fatal("a profile of the unfinished generation is visible")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sortedruns-*")); len(left) != 0 {
		t.Fatalf("sorted runs left behind: %v", left)
	}
	// And the next rebuild works.
	if _, err := Rebuild(ctx, st, buildOpts(t)); err != nil {
		t.Fatal(err)
	}
}

// A window is written while the next is made: a window that fails to write fails the next
// flush or the finish, and the old generation stays.
func TestFailedWindowWriteFailsTheBuild(t *testing.T) {
	st := rebuiltStore(t)
	before, err := Lookup(st, "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := newGenerationWriter(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	p := profiles.Profile{ID: "p_new", Emails: []profiles.EmailValue{{Address: "ann@example.org", Key: "ann@example.org"}}}
	if err := w.sink(0, 2, &p); err != nil {
		t.Fatal(err)
	}
	cancel() // the window's transaction cannot start
	if err := w.flush([]int{0}); err != nil {
		t.Fatalf("flush returned %v before its window was written", err)
	}
	if err := w.flush(nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("the flush after a failed window returned %v, want context.Canceled", err)
	}
	if err := w.finish(&profiles.BuildResult{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("finish after a failed window returned %v, want context.Canceled", err)
	}
	w.close()
	if after, err := Lookup(st, "ann@example.org"); err != nil || after.ID != before.ID {
		t.Fatalf("after a failed rebuild: %s, %v; want the old profile %s", after.ID, err, before.ID)
	}
}

// mkdirOld makes a directory dated before this process started.
func mkdirOld(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	old := processStart.Add(-time.Hour)
	return os.Chtimes(dir, old, old)
}

// rebuiltStore is a store with the test records, rebuilt once.
func rebuiltStore(t *testing.T) *store.Store {
	t.Helper()
	st := openStore(t)
	cs, orders := records()
	write(t, st, cs, orders)
	if _, err := Rebuild(context.Background(), st, buildOpts(t)); err != nil {
		t.Fatal(err)
	}
	return st
}

// A rebuild that makes no profile (every record gone) writes no window: the index entries and
// the merge audit of the last generation are replaced by none all the same.
func TestRebuildOfNoRecordsEmptiesTheGeneration(t *testing.T) {
	ctx := context.Background()
	st := rebuiltStore(t)
	if _, err := Lookup(st, "ann@example.org"); err != nil {
		t.Fatalf("lookup before: %v", err)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error {
		var keys [][]byte
		if err := tx.ForEach(store.SourceRecords, func(k, _ []byte) error {
			keys = append(keys, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(store.SourceRecords, k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := Rebuild(ctx, st, buildOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality.Profiles != 0 {
		t.Fatalf("%d profiles from no records", res.Quality.Profiles)
	}
	counts := map[store.Bucket]int{}
	if err := st.View(func(tx *store.Tx) error {
		for _, b := range []store.Bucket{store.Profiles, store.Indexes, store.MergeAudit} {
			if err := tx.ForEach(b, func(_, _ []byte) error { counts[b]++; return nil }); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if counts[store.Profiles]+counts[store.Indexes]+counts[store.MergeAudit] != 0 {
		t.Fatalf("left after a rebuild of nothing: %v", counts)
	}
}
