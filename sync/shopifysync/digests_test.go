package shopifysync

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify/shopifyfake"
	"github.com/cohortd/cohortd/internal/storedump"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
)

// rebuilt returns what a rebuild writes: the profiles, indexes and merge audit buckets.
func rebuilt(t *testing.T, st *store.Store) []string {
	t.Helper()
	out, err := storedump.Lines(st, store.Profiles, store.Indexes, store.MergeAudit)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A backfill that keeps the digests of what it stores gives the rebuild after it the profiles
// Rebuild makes from the store, in bulk (with an export that failed half-way and was read
// again: every record of its first part stored twice) and in pages.
func TestBackfillDigestsRebuildAsTheStore(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{config.BackfillBulk, config.BackfillPages} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			e.syncer.opts.Store.Backfill = mode
			if mode == config.BackfillBulk { // the customers' export fails after 100 and is started again
				e.fake.InjectFault(shopifyfake.Fault{Kind: shopifyfake.FaultBulkFailed, AfterRoots: 100})
			}
			d := ingest.NewDigests(e.syncer.opts.Build)
			if _, err := e.syncer.BackfillDigests(ctx, d); err != nil {
				t.Fatal(err)
			}
			res, fromDigests, err := ingest.RebuildDigests(ctx, e.st, e.syncer.opts.Build, d)
			if err != nil || !fromDigests {
				t.Fatalf("RebuildDigests: from digests %v, %v", fromDigests, err)
			}
			got := rebuilt(t, e.st)
			full, err := ingest.Rebuild(ctx, e.st, e.syncer.opts.Build)
			if err != nil {
				t.Fatal(err)
			}
			want := rebuilt(t, e.st)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("from digests: %d keys, from the store: %d keys, or they differ", len(got), len(want))
			}
			res.Quality.At = full.Quality.At
			if fmt.Sprint(res.Quality) != fmt.Sprint(full.Quality) || full.Quality.Identities == full.Quality.Profiles {
				t.Errorf("quality from digests %+v, from the store %+v (want merges)", res.Quality, full.Quality)
			}
		})
	}
}

// A backfill run again over the records of an earlier one (`cohortd backfill --again`; a
// resumed one is the same: its first part is stored) cannot stand for the store: the rebuild
// reads it.
func TestBackfillDigestsGiveUpOverStoredRecords(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.syncer.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.syncer.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	d := ingest.NewDigests(e.syncer.opts.Build)
	if _, err := e.syncer.BackfillDigests(ctx, d); err != nil {
		t.Fatal(err)
	}
	if ok, why := d.Usable(); ok || why == "" {
		t.Fatalf("digests of a resumed backfill usable: %v %q", ok, why)
	}
	if _, fromDigests, err := ingest.RebuildDigests(ctx, e.st, e.syncer.opts.Build, d); err != nil || fromDigests {
		t.Fatalf("RebuildDigests: from digests %v, %v", fromDigests, err)
	}
}
