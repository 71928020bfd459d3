package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Summary describes a data file's logical content. Two files with equal
// Summaries hold the same buckets, keys and values.
type Summary struct {
	SchemaVersion int
	// Buckets maps each top-level bucket to its number of keys.
	Buckets map[string]int
	// Checksum is the hex SHA-256 over every bucket name, key and value in
	// byte order (each length-prefixed, so the encoding is unambiguous).
	Checksum string
}

// Equal reports whether two summaries are identical.
func (s Summary) Equal(o Summary) bool {
	return s.SchemaVersion == o.SchemaVersion && s.Checksum == o.Checksum && maps.Equal(s.Buckets, o.Buckets)
}

// Summary computes the Summary of the current state.
func (s *Store) Summary() (Summary, error) {
	var sum Summary
	err := s.View(func(tx *Tx) error {
		var err error
		sum, err = summarize(tx.tx)
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("store: summary: %w", err)
	}
	return sum, nil
}

func summarize(tx *bolt.Tx) (Summary, error) {
	v, err := readVersion(tx)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{SchemaVersion: v, Buckets: map[string]int{}}
	h := sha256.New()
	err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		n, err := hashBucket(h, name, b)
		sum.Buckets[string(name)] = n
		return err
	})
	if err != nil {
		return Summary{}, err
	}
	sum.Checksum = hex.EncodeToString(h.Sum(nil))
	return sum, nil
}

// hashBucket feeds 'B' name, then per key 'K' key 'V' value (or a nested
// bucket, recursively), then 'E'; it returns the number of keys of b.
func hashBucket(h hash.Hash, name []byte, b *bolt.Bucket) (int, error) {
	writeChunk(h, 'B', name)
	n := 0
	err := b.ForEach(func(k, v []byte) error {
		n++
		writeChunk(h, 'K', k)
		if v == nil {
			if child := b.Bucket(k); child != nil {
				_, err := hashBucket(h, k, child)
				return err
			}
		}
		writeChunk(h, 'V', v)
		return nil
	})
	writeChunk(h, 'E', nil)
	return n, err
}

func writeChunk(h hash.Hash, tag byte, data []byte) {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = tag
	n := binary.PutUvarint(hdr[1:], uint64(len(data)))
	h.Write(hdr[:1+n])
	h.Write(data)
}

// WriteBackup writes a consistent copy of the data file to w from one read
// transaction while writers keep going. It returns the Summary of what it
// wrote, taken in the same transaction, and the bytes written.
// (Writers that need to grow the file's memory map wait for it to finish.)
func (s *Store) WriteBackup(w io.Writer) (Summary, int64, error) {
	var (
		sum Summary
		n   int64
	)
	err := s.View(func(tx *Tx) error {
		var err error
		if sum, err = summarize(tx.tx); err != nil {
			return err
		}
		n, err = tx.tx.WriteTo(w)
		return err
	})
	if err != nil {
		return Summary{}, n, fmt.Errorf("store: backup: %w", err)
	}
	return sum, n, nil
}

// BackupToFile writes a hot backup to path: it writes path+".tmp" (mode
// 0600), fsyncs it, checks it with VerifyFile against a Summary taken in the
// same read transaction as the copy, and only then renames it over path.
// It returns that Summary.
func (s *Store) BackupToFile(path string) (Summary, error) {
	sum, err := s.backupToFile(path)
	if err != nil {
		return Summary{}, fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return sum, nil
}

func (s *Store) backupToFile(path string) (sum Summary, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Summary{}, err
	}
	tmp := path + ".tmp"
	f, err := createPrivate(tmp)
	if err != nil {
		return Summary{}, err
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if sum, _, err = s.WriteBackup(f); err != nil {
		return Summary{}, err
	}
	if err := f.Sync(); err != nil {
		return Summary{}, err
	}
	cerr := f.Close()
	f = nil
	if cerr != nil {
		return Summary{}, cerr
	}
	got, err := VerifyFile(tmp)
	if err != nil {
		return Summary{}, err
	}
	if !got.Equal(sum) {
		return Summary{}, fmt.Errorf("verify %s: summary %+v does not match source %+v", tmp, got, sum)
	}
	if err := os.Rename(tmp, path); err != nil {
		return Summary{}, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// createPrivate creates path (replacing a stale one) with mode 0600.
func createPrivate(path string) (*os.File, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil { // in case of an unusual umask/ACL
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// VerifyFile opens path read-only (waiting up to DefaultLockTimeout for
// the lock; ErrInUse if a running cohortd holds it), runs bbolt's
// consistency check and returns the file's Summary.
func VerifyFile(path string) (Summary, error) {
	sum, err := verifyFile(path, DefaultLockTimeout)
	if err != nil {
		if errors.Is(err, ErrInUse) {
			return Summary{}, err
		}
		return Summary{}, fmt.Errorf("store: verify %s: %w", path, err)
	}
	return sum, nil
}

func verifyFile(path string, timeout time.Duration) (Summary, error) {
	if _, err := os.Stat(path); err != nil {
		return Summary{}, err
	}
	db, err := openBolt(path, timeout, true, false)
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	var sum Summary
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for cerr := range tx.Check() {
			if len(errs) < 10 {
				errs = append(errs, cerr)
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("consistency check failed: %w", errors.Join(errs...))
		}
		if tx.Bucket([]byte(Meta)) == nil {
			return errors.New("no meta bucket: not a cohortd data file")
		}
		var err error
		sum, err = summarize(tx)
		if err == nil && sum.SchemaVersion == 0 {
			err = errors.New("no schema version: not a cohortd data file")
		}
		return err
	})
	return sum, err
}

// Restore replaces the data file dst with a verified copy of the backup
// src. It refuses (ErrInUse) while a running process holds dst. The
// previous dst, if any, is kept as dst+".bak". The copy is written to
// dst+".tmp" with mode 0600, fsync'd, verified against src's Summary and
// renamed over dst. Open the restored file with Open to migrate it.
func Restore(src, dst string) error {
	if err := restore(src, dst); err != nil {
		return fmt.Errorf("store: restore %s to %s: %w", src, dst, err)
	}
	return nil
}

func restore(src, dst string) (err error) {
	want, err := VerifyFile(src)
	if err != nil {
		return err
	}
	unlock, err := lockFile(dst, DefaultLockTimeout)
	if err != nil {
		return err
	}
	defer unlock()

	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := copyFile(src, tmp); err != nil {
		return err
	}
	got, err := verifyFile(tmp, DefaultLockTimeout)
	if err != nil {
		return fmt.Errorf("verify copy %s: %w", tmp, err)
	}
	if !got.Equal(want) {
		return fmt.Errorf("copy %s does not match %s", tmp, src)
	}
	if _, err := os.Stat(dst); err == nil {
		if err := keepBackup(dst, dst+".bak"); err != nil {
			return fmt.Errorf("keep previous file: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// keepBackup makes bak a copy of path while path stays in place, so there
// is never a moment without a data file: a hard link if possible, a full
// copy otherwise.
func keepBackup(path, bak string) error {
	if err := os.Remove(bak); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Link(path, bak); err == nil {
		if err := os.Chmod(bak, 0o600); err != nil {
			return err
		}
		return syncDir(filepath.Dir(bak))
	}
	return copyFile(path, bak)
}

// copyFile copies src to a new file dst (mode 0600) and fsyncs it.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := createPrivate(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}
