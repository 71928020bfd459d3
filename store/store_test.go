package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// openTest opens a fresh store in a temp dir; fsync is off unless sync.
func openTest(t testing.TB, sync bool) *Store {
	t.Helper()
	s, err := Open(DefaultPath(t.TempDir()), Options{NoSync: !sync})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := DefaultPath(dir)
	if want := filepath.Join(dir, "cohortd.db"); path != want {
		t.Fatalf("DefaultPath = %q, want %q", path, want)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Fatalf("Path() = %q", s.Path())
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("file mode %o, want 600", m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("dir mode %o, want 700", m)
	}
	v, err := s.SchemaVersion()
	if err != nil || v != LatestSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, LatestSchemaVersion)
	}
	err = s.View(func(tx *Tx) error {
		for _, b := range AllBuckets() {
			if err := tx.ForEach(b, func(k, v []byte) error { return nil }); err != nil {
				return err
			}
		}
		if tx.Get(Meta, []byte(MetaCreatedAt)) == nil || tx.Get(Meta, []byte(MetaEncoding)) == nil {
			return errors.New("meta created_at/encoding missing")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenTightensExistingFileMode(t *testing.T) {
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("file mode %o after reopen, want 600", m)
	}
}

func TestSecondOpenInSameProcessFails(t *testing.T) {
	t.Parallel()
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	start := time.Now()
	s2, err := Open(path, Options{})
	elapsed := time.Since(start)
	if err == nil {
		s2.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("err = %v, want ErrInUse", err)
	}
	if want := "open " + path + ": data file is in use by another cohortd process"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if elapsed > 2500*time.Millisecond {
		t.Fatalf("took %v, want < 2.5s", elapsed)
	}
	// Read-only opens (VerifyFile) are refused too while a writer holds it.
	if _, err := verifyFile(path, 200*time.Millisecond); !errors.Is(err, ErrInUse) {
		t.Fatalf("verify while open: %v, want ErrInUse", err)
	}
}

func TestPutGetDelete(t *testing.T) {
	s := openTest(t, false)
	ctx := context.Background()
	if _, err := s.Get(Profiles, []byte("p1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing = %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, Profiles, []byte("p1"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(Profiles, []byte("p1"))
	if err != nil || string(got) != "v1" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Get returns a copy: scribbling on it changes nothing.
	got[0] = 'X'
	again, _ := s.Get(Profiles, []byte("p1"))
	if string(again) != "v1" {
		t.Fatalf("Get after mutating returned slice = %q", again)
	}
	if err := s.Put(ctx, Profiles, []byte("empty"), nil); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(Profiles, []byte("empty")); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("empty value: %q, %v", v, err)
	}
	if err := s.Delete(ctx, Profiles, []byte("p1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(Profiles, []byte("p1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted = %v", err)
	}
	if err := s.Delete(ctx, Profiles, []byte("never")); err != nil {
		t.Fatalf("delete missing key: %v", err)
	}
	if err := s.Put(ctx, "nope", []byte("k"), []byte("v")); !errors.Is(err, ErrUnknownBucket) {
		t.Fatalf("unknown bucket: %v", err)
	}
	if err := s.Put(ctx, Profiles, nil, []byte("v")); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestPutValueGetValue(t *testing.T) {
	s := openTest(t, false)
	type rec struct {
		Name string    `cbor:"1,keyasint,omitempty"`
		At   time.Time `cbor:"2,keyasint,omitempty"`
	}
	in := rec{Name: "jane", At: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	if err := s.PutValue(context.Background(), Profiles, []byte("k"), in); err != nil {
		t.Fatal(err)
	}
	var out rec
	if err := s.GetValue(Profiles, []byte("k"), &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("got %+v want %+v", out, in)
	}
	if err := s.GetValue(Profiles, []byte("missing"), &out); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	s := openTest(t, false)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.Put(SourceRecords, []byte("r1"), []byte("a")); err != nil {
			return err
		}
		if err := tx.Put(Cursors, []byte("shopify"), []byte("c1")); err != nil {
			return err
		}
		if _, err := tx.NextSequence(Outbox); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want boom", err)
	}
	for _, bk := range []Bucket{SourceRecords, Cursors} {
		err := s.View(func(tx *Tx) error {
			if n := tx.Count(bk); n != 0 {
				return fmt.Errorf("%s has %d keys after rollback", bk, n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A successful Update commits everything, including the sequence.
	err = s.Update(ctx, func(tx *Tx) error {
		seq, err := tx.NextSequence(Outbox)
		if err != nil {
			return err
		}
		if seq != 1 {
			return fmt.Errorf("sequence %d, want 1 (rolled back sequence must not leak)", seq)
		}
		if err := tx.Put(SourceRecords, []byte("r1"), []byte("a")); err != nil {
			return err
		}
		return tx.Put(Cursors, []byte("shopify"), []byte("c1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(Cursors, []byte("shopify")); err != nil || string(v) != "c1" {
		t.Fatalf("cursor = %q, %v", v, err)
	}
}

func TestTxIteration(t *testing.T) {
	s := openTest(t, false)
	err := s.Update(context.Background(), func(tx *Tx) error {
		for _, k := range []string{"email:a", "email:b", "email:c", "phone:1", "zip:9"} {
			if err := tx.Put(Indexes, []byte(k), []byte("v-"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	err = s.View(func(tx *Tx) error {
		if n := tx.Count(Indexes); n != 5 {
			return fmt.Errorf("Count = %d", n)
		}
		if tx.Writable() {
			return errors.New("View tx is writable")
		}
		if err := tx.Put(Indexes, []byte("x"), []byte("y")); !errors.Is(err, ErrReadOnly) {
			return fmt.Errorf("Put in View: %v, want ErrReadOnly", err)
		}
		return tx.ForEachPrefix(Indexes, []byte("email:"), func(k, v []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys, ","); got != "email:a,email:b,email:c" {
		t.Fatalf("prefix keys = %s", got)
	}
	stop := errors.New("stop")
	n := 0
	err = s.View(func(tx *Tx) error {
		return tx.ForEach(Indexes, func(k, v []byte) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("ForEach stop: err %v n %d", err, n)
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(DefaultPath(t.TempDir()), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, Profiles, []byte("k"), []byte("v")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if err := s.Delete(ctx, Profiles, []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Delete after Close = %v", err)
	}
	if _, err := s.Get(Profiles, []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v", err)
	}
	if err := s.Update(ctx, func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close = %v", err)
	}
	if _, err := s.Summary(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Summary after Close = %v", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := openTest(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, Profiles, []byte("k"), []byte("v")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v", err)
	}
	if err := s.Update(ctx, func(*Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Update = %v", err)
	}
	if _, err := s.Get(Profiles, []byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("canceled Put was written: %v", err)
	}
}

// Close must commit every write that was queued before it, and every Put
// that returned nil must be on disk.
func TestCloseFlushesQueuedWrites(t *testing.T) {
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{MaxBatchDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := fmt.Sprintf("g%02d-%05d", g, i)
				err := s.Put(context.Background(), Inbox, []byte(k), []byte(k))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, k)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write acknowledged")
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, k := range acked {
		if v, err := s.Get(Inbox, []byte(k)); err != nil || string(v) != k {
			t.Fatalf("acked %s: %q, %v", k, v, err)
		}
	}
}

func TestGroupCommitBatches(t *testing.T) {
	s := openTest(t, true)
	const writers, per = 32, 20
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				k := fmt.Sprintf("%02d-%02d", g, i)
				if err := s.Put(context.Background(), Inbox, []byte(k), bytes.Repeat([]byte{'x'}, 200)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Writes != writers*per {
		t.Fatalf("Writes = %d, want %d", st.Writes, writers*per)
	}
	if st.Buckets[string(Inbox)] != writers*per {
		t.Fatalf("inbox keys = %d", st.Buckets[string(Inbox)])
	}
	if st.Commits == 0 || st.Commits > st.Writes/4 {
		t.Fatalf("Commits = %d for %d writes: group commit is not batching", st.Commits, st.Writes)
	}
	if st.FileSize <= 0 {
		t.Fatalf("FileSize = %d", st.FileSize)
	}
	t.Logf("%d writes in %d commits", st.Writes, st.Commits)
}

func TestCollector(t *testing.T) {
	s := openTest(t, false)
	if err := s.Put(context.Background(), Profiles, []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(s.Collector()); err != nil {
		t.Fatal(err)
	}
	// Before any Stats call the collector walks nothing: only the counters.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "cohortd_store_bucket_keys" {
			t.Errorf("bucket gauges reported before a Stats snapshot")
		}
	}
	if _, err := s.Stats(); err != nil {
		t.Fatal(err)
	}
	mfs, err = reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
		if mf.GetName() == "cohortd_store_bucket_keys" {
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == "profiles" && m.GetGauge().GetValue() != 1 {
					t.Errorf("profiles keys = %v", m.GetGauge().GetValue())
				}
			}
		}
	}
	for _, name := range []string{"cohortd_store_file_bytes", "cohortd_store_bucket_keys", "cohortd_store_commits_total", "cohortd_store_writes_total", "cohortd_store_commit_seconds"} {
		if !got[name] {
			t.Errorf("metric %s missing", name)
		}
	}
}

func TestReadOnly(t *testing.T) {
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), Profiles, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v, err := ro.Get(Profiles, []byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := ro.Put(context.Background(), Profiles, []byte("k"), []byte("w")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Put = %v, want ErrReadOnly", err)
	}
	if err := ro.Update(context.Background(), func(*Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update = %v, want ErrReadOnly", err)
	}
}

// Keys written in order (a backfill, a rebuild) fill their pages: the file stays close to
// the size of its data instead of twice it (bbolt's default split leaves pages half empty).
func TestOrderedWritesFillPages(t *testing.T) {
	s := openTest(t, false)
	const n, size = 20000, 300
	value := bytes.Repeat([]byte{'v'}, size)
	err := s.Update(context.Background(), func(tx *Tx) error {
		for i := range n {
			if err := tx.Put(SourceRecords, fmt.Appendf(nil, "order/shop/%08d", i), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.View(func(tx *Tx) error {
		st := tx.tx.Bucket([]byte(SourceRecords)).Stats()
		pages = st.LeafPageN + st.BranchPageN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	data := n * (size + len("order/shop/00000000"))
	if used := pages * 4096; float64(used) > 1.5*float64(data) { // 1.3 at 0.9 fill (element headers), 2.1 at 0.5
		t.Fatalf("%d pages (%d KB) for %d KB of keys and values: pages are not filled", pages, used>>10, data>>10)
	}
}
