package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHotBackupWhileWriting(t *testing.T) {
	s := openTest(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg     sync.WaitGroup
		writes atomic.Int64
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			val := bytes.Repeat([]byte{byte('a' + g)}, 200)
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				if i%10 == 9 {
					err = s.Update(ctx, func(tx *Tx) error {
						if err := tx.Put(SourceRecords, fmt.Appendf(nil, "u%d-%06d", g, i), val); err != nil {
							return err
						}
						return tx.Put(Cursors, fmt.Appendf(nil, "src%d", g), fmt.Appendf(nil, "%d", i))
					})
				} else {
					err = s.Put(ctx, Inbox, fmt.Appendf(nil, "g%d-%06d", g, i), val)
				}
				if err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	for writes.Load() < 500 {
		time.Sleep(5 * time.Millisecond)
	}
	backup := filepath.Join(t.TempDir(), "backups", "b1.db")
	sum, err := s.BackupToFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Buckets[string(Inbox)] == 0 || sum.SchemaVersion != LatestSchemaVersion || len(sum.Checksum) != 64 {
		t.Fatalf("implausible summary %+v", sum)
	}
	if m := mode(t, backup); m != 0o600 {
		t.Fatalf("backup mode %o, want 600", m)
	}
	if _, err := os.Stat(backup + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp file left behind: %v", err)
	}
	got, err := VerifyFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(sum) {
		t.Fatalf("VerifyFile summary %+v != backup summary %+v", got, sum)
	}
	b, err := Open(backup, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mustKeys(t, b, Inbox)); n != sum.Buckets[string(Inbox)] {
		t.Fatalf("backup has %d inbox keys, summary says %d", n, sum.Buckets[string(Inbox)])
	}
	b.Close()

	// Writes continue after the backup.
	after := writes.Load()
	deadline := time.Now().Add(5 * time.Second)
	for writes.Load() < after+100 {
		if time.Now().After(deadline) {
			t.Fatal("writes stalled after backup")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	live, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if live.Buckets[string(Inbox)] <= sum.Buckets[string(Inbox)] {
		t.Fatalf("live inbox %d not past backup %d", live.Buckets[string(Inbox)], sum.Buckets[string(Inbox)])
	}

	// WriteBackup streams the same kind of copy.
	var buf bytes.Buffer
	streamedSum, n, err := s.WriteBackup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("WriteBackup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	streamed := filepath.Join(t.TempDir(), "streamed.db")
	if err := os.WriteFile(streamed, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := VerifyFile(streamed); err != nil || !got.Equal(live) || !got.Equal(streamedSum) {
		t.Fatalf("streamed backup: %+v, %v; want %+v and the summary WriteBackup returned %+v", got, err, live, streamedSum)
	}
}

func mustKeys(t *testing.T, s *Store, b Bucket) []string {
	t.Helper()
	var keys []string
	if err := s.View(func(tx *Tx) error {
		return tx.ForEach(b, func(k, _ []byte) error { keys = append(keys, string(k)); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := DefaultPath(dir)
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, Profiles, []byte("p1"), []byte("backed-up")); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	want, err := s.BackupToFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, Profiles, []byte("p1"), []byte("changed-after-backup")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, Profiles, []byte("p2"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	liveBefore, err := s.Summary()
	if err != nil {
		t.Fatal(err)
	}

	// Refused while the destination is open.
	start := time.Now()
	err = Restore(backup, path)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Restore onto open store = %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("refusal took %v", d)
	}
	if v, _ := s.Get(Profiles, []byte("p1")); string(v) != "changed-after-backup" {
		t.Fatal("refused restore changed the live file")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A corrupt source is refused before anything is touched.
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, bytes.Repeat([]byte{0xAB}, 64*1024), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(bad, path); err == nil {
		t.Fatal("restored a corrupt file")
	}

	if err := Restore(backup, path); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("restored mode %o", m)
	}
	got, err := VerifyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("restored summary %+v, want %+v", got, want)
	}
	prev, err := VerifyFile(path + ".bak")
	if err != nil || !prev.Equal(liveBefore) {
		t.Fatalf(".bak summary %+v, %v; want previous live %+v", prev, err, liveBefore)
	}
	if m := mode(t, path+".bak"); m != 0o600 {
		t.Fatalf(".bak mode %o", m)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Get(Profiles, []byte("p1")); err != nil || string(v) != "backed-up" {
		t.Fatalf("restored p1 = %q, %v", v, err)
	}
	if _, err := s.Get(Profiles, []byte("p2")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("p2 after restore: %v", err)
	}
}

func TestVerifyFileRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, []byte("definitely not bbolt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(bad); err == nil {
		t.Fatal("garbage verified")
	}
	if _, err := VerifyFile(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
