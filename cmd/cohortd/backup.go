package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/daemon"
)

func backupCommand() *command {
	var addr string
	return &command{
		name:    "backup",
		summary: "write a consistent, verified copy of the data file to FILE (hot, from the running daemon, or directly when none runs)",
		usage:   "FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "", "admin address of the daemon, overrides http.listen")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageErr("usage: cohortd backup [flags] FILE")
			}
			dst := args[0]
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			sum, err := backupFromDaemon(ctx, newAdminClient(cfg, addr), dst)
			how := "from the running daemon"
			if errors.Is(err, errNoDaemon) {
				how = "directly from the data file (no daemon running)"
				sum, err = backupFromFile(store.DefaultPath(cfg.DataDir), dst)
			}
			if err != nil {
				return err
			}
			keys := 0
			for _, n := range sum.Buckets {
				keys += n
			}
			fmt.Fprintf(e.stdout, "backup written to %s %s and verified: schema v%d, %d buckets, %d keys, sha256 %s\n",
				dst, how, sum.SchemaVersion, len(sum.Buckets), keys, sum.Checksum)
			return nil
		},
	}
}

// backupFromDaemon streams a hot copy from the daemon's admin API into dst, then checks that
// the copy is consistent and has the checksum the daemon computed in the same transaction.
func backupFromDaemon(ctx context.Context, c *adminClient, dst string) (store.Summary, error) {
	resp, err := c.do(ctx, "/admin/backup")
	if err != nil {
		return store.Summary{}, err
	}
	defer resp.Body.Close()
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return store.Summary{}, fmt.Errorf("create %s: %w", tmp, err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return store.Summary{}, fmt.Errorf("download backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return store.Summary{}, fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return store.Summary{}, fmt.Errorf("close %s: %w", tmp, err)
	}
	want := resp.Trailer.Get(daemon.BackupChecksumTrailer)
	if want == "" {
		return store.Summary{}, errors.New("download backup: the daemon did not confirm the copy (no checksum trailer); the stream was cut short")
	}
	sum, err := store.VerifyFile(tmp)
	if err != nil {
		return store.Summary{}, fmt.Errorf("verify backup: %w", err)
	}
	if sum.Checksum != want {
		return store.Summary{}, fmt.Errorf("verify backup: checksum %s does not match the daemon's %s", sum.Checksum, want)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return store.Summary{}, fmt.Errorf("backup: %w", err)
	}
	return sum, nil
}

func backupFromFile(src, dst string) (store.Summary, error) {
	s, err := store.Open(src, store.Options{ReadOnly: true})
	if err != nil {
		return store.Summary{}, fmt.Errorf("open data file: %w", err)
	}
	defer s.Close()
	return s.BackupToFile(dst)
}
