package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cohortd/cohortd/store"
)

func restoreCommand() *command {
	return &command{
		name:    "restore",
		summary: "replace the data file with a verified backup FILE (refuses while a daemon runs; keeps the old file as .bak)",
		usage:   "FILE",
		run: func(_ context.Context, e *env, args []string) error {
			if len(args) != 1 {
				return usageErr("usage: cohortd restore [flags] FILE")
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			dst := store.DefaultPath(cfg.DataDir)
			if err := store.Restore(args[0], dst); err != nil {
				if errors.Is(err, store.ErrInUse) {
					return fmt.Errorf("refusing to restore over %s: %w (stop the daemon first)", dst, err)
				}
				return err
			}
			sum, err := store.VerifyFile(dst)
			if err != nil {
				return fmt.Errorf("verify restored file: %w", err)
			}
			fmt.Fprintf(e.stdout, "restored %s from %s: schema v%d, sha256 %s\n", dst, args[0], sum.SchemaVersion, sum.Checksum)
			return nil
		},
	}
}
