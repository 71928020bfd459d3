package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cohortd/cohortd/store/codec"
)

// Keys of the meta bucket.
const (
	MetaSchemaVersion = "schema_version" // big-endian uint64
	MetaCreatedAt     = "created_at"     // RFC 3339 (schema >= 2)
	MetaEncoding      = "encoding"       // big-endian uint64 codec.Version (schema >= 2)
)

// migration upgrades the file from version-1 to version. It runs inside
// one write transaction together with the version bump.
type migration struct {
	version int
	name    string
	up      func(tx *bolt.Tx, now time.Time) error
}

// migrations is append-only: once a migration has shipped, never change it.
var migrations = []migration{
	{1, "create buckets", migrateV1},
	{2, "meta created_at and encoding; jobs bucket", migrateV2},
}

// LatestSchemaVersion is the schema version this build writes: the version
// of the last entry of migrations (a test keeps the two in step).
const LatestSchemaVersion = 2

func latestVersion() int { return migrations[len(migrations)-1].version }

// v1Buckets is frozen: it is what schema version 1 created, not whatever
// AllBuckets returns today.
var v1Buckets = []string{
	"inbox", "source_records", "profiles", "indexes", "memberships",
	"applied_state", "outbox", "dead_letters", "suppressions", "merge_audit",
	"quality_history", "cursors", "meta",
}

func migrateV1(tx *bolt.Tx, _ time.Time) error {
	for _, name := range v1Buckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

func migrateV2(tx *bolt.Tx, now time.Time) error {
	meta := tx.Bucket([]byte(Meta))
	if meta == nil {
		return errors.New("meta bucket missing")
	}
	// The creation time of older files is unknown; use the migration time.
	if meta.Get([]byte(MetaCreatedAt)) == nil {
		if err := meta.Put([]byte(MetaCreatedAt), []byte(now.UTC().Format(time.RFC3339))); err != nil {
			return err
		}
	}
	if err := meta.Put([]byte(MetaEncoding), be64(uint64(codec.Version))); err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists([]byte(Jobs)); err != nil {
		return fmt.Errorf("create bucket %s: %w", Jobs, err)
	}
	return nil
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// readVersion returns the recorded schema version; 0 for a file without a
// meta bucket (a brand-new file).
func readVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(Meta))
	if meta == nil {
		return 0, nil
	}
	v := meta.Get([]byte(MetaSchemaVersion))
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("meta/%s has %d bytes, want 8: not a cohortd data file or corrupted", MetaSchemaVersion, len(v))
	}
	n := binary.BigEndian.Uint64(v)
	if n > 1<<31 {
		return 0, fmt.Errorf("meta/%s is %d: corrupted", MetaSchemaVersion, n)
	}
	return int(n), nil
}

func writeVersion(tx *bolt.Tx, v int) error {
	meta := tx.Bucket([]byte(Meta))
	if meta == nil {
		return errors.New("meta bucket missing")
	}
	return meta.Put([]byte(MetaSchemaVersion), be64(uint64(v)))
}

// SchemaError is returned by Open for a file whose schema this build cannot
// use. errors.Is(err, ErrSchemaTooNew) reports a file from a newer cohortd.
type SchemaError struct {
	Path    string
	File    int // version recorded in the file
	Binary  int // LatestSchemaVersion
	tooNew  bool
	message string
}

func (e *SchemaError) Error() string { return e.message }

// Is lets errors.Is match ErrSchemaTooNew.
func (e *SchemaError) Is(target error) bool { return e.tooNew && target == ErrSchemaTooNew }

// migrate brings the file up to target, one write transaction per step.
func migrate(db *bolt.DB, path string, readOnly bool, target int, now func() time.Time) error {
	var current int
	if err := db.View(func(tx *bolt.Tx) error {
		var err error
		current, err = readVersion(tx)
		return err
	}); err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if current > latestVersion() {
		return &SchemaError{Path: path, File: current, Binary: latestVersion(), tooNew: true,
			message: fmt.Sprintf("open %s: data file schema version %d is newer than this cohortd (%d); upgrade cohortd",
				path, current, latestVersion())}
	}
	if current >= target {
		return nil
	}
	if readOnly {
		return &SchemaError{Path: path, File: current, Binary: latestVersion(),
			message: fmt.Sprintf("open %s: data file schema version %d needs migrating to %d; open it read-write once first",
				path, current, target)}
	}
	for _, m := range migrations {
		if m.version <= current || m.version > target {
			continue
		}
		err := db.Update(func(tx *bolt.Tx) error {
			v, err := readVersion(tx)
			if err != nil {
				return err
			}
			if v != m.version-1 {
				return fmt.Errorf("schema version is %d, want %d", v, m.version-1)
			}
			if err := m.up(tx, now()); err != nil {
				return err
			}
			return writeVersion(tx, m.version)
		})
		if err != nil {
			return fmt.Errorf("store: open %s: migration %d (%s): %w", path, m.version, m.name, err)
		}
	}
	return nil
}
