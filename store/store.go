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
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cohortd/cohortd/store/codec"
	"github.com/prometheus/client_golang/prometheus"
)

// ErrInUse is wrapped by Open, VerifyFile and Restore when another process
// (or another Store in this process) holds the data file's lock.
var ErrInUse = errors.New("data file is in use by another cohortd process")

// ErrNotFound is returned by Get and GetValue when the key does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("store: closed")

// ErrReadOnly is returned by write operations on a Store opened ReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// ErrSchemaTooNew is matched (errors.Is) by the error Open returns for a data
// file written by a newer cohortd.
var ErrSchemaTooNew = errors.New("data file schema version is newer than this cohortd")

// ErrUnknownBucket is wrapped when a Bucket name is not one of AllBuckets.
var ErrUnknownBucket = errors.New("store: unknown bucket")

// FileName is the name of the data file inside the data directory.
const FileName = "cohortd.db"

// Default option values.
const (
	DefaultLockTimeout   = 2 * time.Second
	DefaultMaxBatchDelay = 5 * time.Millisecond
	DefaultMaxBatchSize  = 1000
)

// Bucket names a top-level bucket of the data file.
type Bucket string

// The buckets of the current schema.
const (
	Inbox          Bucket = "inbox"
	SourceRecords  Bucket = "source_records"
	Profiles       Bucket = "profiles"
	Indexes        Bucket = "indexes"
	Memberships    Bucket = "memberships"
	Applied        Bucket = "applied_state"
	Outbox         Bucket = "outbox"
	DeadLetters    Bucket = "dead_letters"
	Suppressions   Bucket = "suppressions"
	MergeAudit     Bucket = "merge_audit"
	QualityHistory Bucket = "quality_history"
	Cursors        Bucket = "cursors"
	Meta           Bucket = "meta"
	// Jobs holds scheduler state (added by schema version 2).
	Jobs Bucket = "jobs"
)

var allBuckets = []Bucket{
	Inbox, SourceRecords, Profiles, Indexes, Memberships, Applied, Outbox,
	DeadLetters, Suppressions, MergeAudit, QualityHistory, Cursors, Meta, Jobs,
}

var knownBuckets = func() map[Bucket]bool {
	m := make(map[Bucket]bool, len(allBuckets))
	for _, b := range allBuckets {
		m[b] = true
	}
	return m
}()

// AllBuckets returns every bucket of the current schema version.
func AllBuckets() []Bucket {
	return append([]Bucket(nil), allBuckets...)
}

// Options configures Open. The zero value is valid.
type Options struct {
	// LockTimeout bounds how long Open waits for the file lock; default 2s.
	LockTimeout time.Duration
	// MaxBatchDelay is the group-commit window: how long the writer waits
	// for Puts that are already in flight to join a batch. It never delays
	// a lone writer. Default 5ms; negative disables waiting.
	MaxBatchDelay time.Duration
	// MaxBatchSize caps the records per group commit; default 1000.
	MaxBatchSize int
	// ReadOnly opens the file with a shared lock; writes fail with ErrReadOnly.
	ReadOnly bool
	// NoSync skips fsync on commit. Tests and benchmarks only: it voids the
	// durability guarantee.
	NoSync bool
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.MaxBatchDelay == 0 {
		o.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = DefaultMaxBatchSize
	}
	return o
}

// Store is an open data file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	opts Options

	// Group commit. mu guards closed and the send side of queue.
	mu         sync.RWMutex
	closed     bool
	queue      chan *writeOp
	poke       chan struct{}
	inflight   atomic.Int64
	writerDone chan struct{}

	closeOnce sync.Once
	closeErr  error

	commits atomic.Uint64
	writes  atomic.Uint64
	// lastStats is the snapshot of the last Stats call, reported by Collector.
	lastStats atomic.Pointer[Stats]
	metrics   *storeMetrics
}

// DefaultPath returns the data file path inside dataDir.
func DefaultPath(dataDir string) string {
	return filepath.Join(dataDir, FileName)
}

// Open opens (creating if needed) the data file at path, runs forward
// migrations and starts the group-commit writer.
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: open %s: create data directory: %w", path, err)
		}
	}
	db, err := openBolt(path, opts.LockTimeout, opts.ReadOnly, opts.NoSync)
	if err != nil {
		return nil, err
	}
	if !opts.ReadOnly {
		if err := os.Chmod(path, 0o600); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: open %s: chmod 0600: %w", path, err)
		}
	}
	if err := migrate(db, path, opts.ReadOnly, latestVersion(), time.Now); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Store{
		db:         db,
		path:       path,
		opts:       opts,
		queue:      make(chan *writeOp, opts.MaxBatchSize),
		poke:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
	}
	s.metrics = newStoreMetrics(s)
	if opts.ReadOnly {
		close(s.writerDone)
	} else {
		go s.writer()
	}
	return s, nil
}

// openBolt opens the bbolt file, translating a lock timeout into ErrInUse.
func openBolt(path string, timeout time.Duration, readOnly, noSync bool) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      timeout,
		ReadOnly:     readOnly,
		NoSync:       noSync,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// Path returns the data file path.
func (s *Store) Path() string { return s.path }

// Close flushes queued group-commit writes, then closes the file. It is
// idempotent; later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if !s.opts.ReadOnly {
			close(s.queue)
		}
		s.mu.Unlock()
		<-s.writerDone
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// mapErr turns bbolt's lifecycle errors into this package's sentinels.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return ErrClosed
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return err
}

// SchemaVersion returns the schema version recorded in the file.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.View(func(tx *Tx) error {
		var err error
		v, err = readVersion(tx.tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

func checkWrite(b Bucket, key, value []byte) error {
	if !knownBuckets[b] {
		return fmt.Errorf("%w %q", ErrUnknownBucket, string(b))
	}
	if len(key) == 0 {
		return fmt.Errorf("store: %s: %w", b, berrors.ErrKeyRequired)
	}
	if len(key) > bolt.MaxKeySize {
		return fmt.Errorf("store: %s: %w", b, berrors.ErrKeyTooLarge)
	}
	if int64(len(value)) > int64(bolt.MaxValueSize) {
		return fmt.Errorf("store: %s: %w", b, berrors.ErrValueTooLarge)
	}
	return nil
}

// Put stores value under key in bucket b. It is group-committed with other
// concurrent Puts/Deletes and returns nil only once the commit is durable.
// key and value must not be modified until Put returns.
//
// If ctx ends before the record has been picked up by the writer, Put
// returns ctx.Err() and the record is not written; once the writer has it,
// Put waits for the commit regardless of ctx.
func (s *Store) Put(ctx context.Context, b Bucket, key, value []byte) error {
	if err := checkWrite(b, key, value); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return s.submit(ctx, &writeOp{bucket: b, key: key, value: value})
}

// Delete removes key from bucket b (no error if absent); group-committed
// like Put.
func (s *Store) Delete(ctx context.Context, b Bucket, key []byte) error {
	if err := checkWrite(b, key, nil); err != nil {
		return err
	}
	return s.submit(ctx, &writeOp{bucket: b, key: key, del: true})
}

// Get returns a copy of the value stored under key, or ErrNotFound.
func (s *Store) Get(b Bucket, key []byte) ([]byte, error) {
	var out []byte
	err := s.View(func(tx *Tx) error {
		bk := tx.tx.Bucket([]byte(b))
		if bk == nil {
			return fmt.Errorf("store: get: %w %q", ErrUnknownBucket, string(b))
		}
		k, v := bk.Cursor().Seek(key)
		if k == nil || !bytes.Equal(k, key) || v == nil {
			return ErrNotFound
		}
		out = bytes.Clone(v)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, err
}

// PutValue encodes v with package codec and Puts it.
func (s *Store) PutValue(ctx context.Context, b Bucket, key []byte, v any) error {
	data, err := codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: put %s/%q: %w", b, key, err)
	}
	return s.Put(ctx, b, key, data)
}

// GetValue Gets key and decodes it into v (a pointer) with package codec.
func (s *Store) GetValue(b Bucket, key []byte, v any) error {
	return s.View(func(tx *Tx) error { return tx.GetValue(b, key, v) })
}

// Update runs fn in one read-write transaction, committed (and fsync'd)
// if fn returns nil and rolled back entirely otherwise. fn's error is
// returned unchanged. Use it for multi-record atomic writes. Update does not
// go through group commit: each call pays its own fsync.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	if s.isClosed() {
		return ErrClosed
	}
	return mapErr(s.db.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) }))
}

// View runs fn in a read-only transaction (a consistent snapshot).
func (s *Store) View(fn func(tx *Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	return mapErr(s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx}) }))
}

// Collector returns the store's Prometheus collector (the same one on every
// call; register it once).
func (s *Store) Collector() prometheus.Collector { return s.metrics }
