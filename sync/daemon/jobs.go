package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/sync/emailsync"
)

// Job names, as they appear in the config's schedule section, in status and in metrics.
const (
	JobStoreStats = "store_stats"
	JobBackup     = "backup"
	JobSegments   = "segments"
	JobPoll       = "poll"
	JobReconcile  = "reconcile"
	// JobSuppressions is the status pass of the email destinations.
	JobSuppressions = "suppressions"
)

// registerJobs adds every job whose schedule is configured. A job with an empty schedule is
// off.
func (d *Daemon) registerJobs() error {
	jobs := map[string]func(context.Context) error{
		JobStoreStats:   d.refreshStoreStats,
		JobBackup:       d.backupJob,
		JobSegments:     d.recomputeSegments,
		JobPoll:         d.pollJob,
		JobReconcile:    d.reconcileJob,
		JobSuppressions: d.suppressionsJob,
	}
	if !hasEmailDestinations(d.cfg) {
		delete(jobs, JobSuppressions)
	}
	if !hasPlatformStores(d.cfg) { // nothing to poll or reconcile
		delete(jobs, JobPoll)
		delete(jobs, JobReconcile)
	}
	names := make([]string, 0, len(jobs))
	for name := range jobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		spec := d.cfg.Schedule[name]
		if spec == "" {
			continue
		}
		if err := d.scheduler.Register(name, spec, jobs[name]); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	return nil
}

// refreshStoreStats takes a snapshot of the store's size and key counts (and publishes the
// latest data-quality report), which the store's
// collector reports on /metrics: counting keys walks bucket pages, cheap on a demo store and not
// on a million profiles, so scrapes never do it.
func (d *Daemon) refreshStoreStats(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := d.store.Stats(); err != nil {
		return fmt.Errorf("store stats: %w", err)
	}
	return d.refreshQuality(ctx)
}

// backupPrefix and backupSuffix frame the timestamp in scheduled backup file names, so that
// pruning only ever touches files this job wrote.
const (
	backupPrefix = "cohortd-"
	backupSuffix = ".db"
)

// backupJob writes a verified hot copy of the data file into the backup directory and keeps
// the newest Backup.Keep copies.
func (d *Daemon) backupJob(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := d.cfg.Backup.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: create %s: %w", dir, err)
	}
	name := backupPrefix + time.Now().UTC().Format("20060102T150405Z") + backupSuffix
	path := filepath.Join(dir, name)
	sum, err := d.store.BackupToFile(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	d.log.Info().Str("file", path).Str("checksum", sum.Checksum).Msg("backup written and verified")
	return pruneBackups(dir, d.cfg.Backup.Keep)
}

// pruneBackups removes all but the newest keep scheduled backups in dir. Names sort by time.
func pruneBackups(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup: list %s: %w", dir, err)
	}
	var ours []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			ours = append(ours, n)
		}
	}
	sort.Strings(ours)
	for len(ours) > keep {
		if err := os.Remove(filepath.Join(dir, ours[0])); err != nil {
			return fmt.Errorf("backup: prune: %w", err)
		}
		ours = ours[1:]
	}
	return nil
}

// hasPlatformStores reports whether a store is read through a platform API.
func hasPlatformStores(cfg *config.Config) bool {
	for _, s := range cfg.Stores {
		if s.Kind == config.KindShopify || s.Kind == config.KindWooCommerce {
			return true
		}
	}
	return false
}

func hasEmailDestinations(cfg *config.Config) bool {
	for _, d := range cfg.Destinations {
		if emailsync.IsEmail(d.Kind) {
			return true
		}
	}
	return false
}
