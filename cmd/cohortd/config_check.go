package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cohortd/cohortd/config"
)

func configCommand() *command {
	return &command{
		name:    "config",
		summary: "config check: validate the configuration and print every problem with file:line:col",
		usage:   "check",
		run: func(_ context.Context, e *env, args []string) error {
			if len(args) != 1 || args[0] != "check" {
				return usageErr("usage: cohortd config check [--config FILE]")
			}
			cfg, source, err := e.loadConfig()
			if err != nil {
				var probs config.Problems
				if errors.As(err, &probs) {
					for _, p := range probs {
						fmt.Fprintln(e.stderr, p.Error())
					}
					return &exitError{code: exitUsage, err: fmt.Errorf("%s: %d problem(s)", source, len(probs))}
				}
				return err
			}
			fmt.Fprintf(e.stdout, "%s: ok (data_dir %s, %d store(s), %d destination(s), %d custom segment(s), %d scheduled job(s))\n",
				source, cfg.DataDir, len(cfg.Stores), len(cfg.Destinations), len(cfg.Segments.Custom), len(cfg.Schedule))
			return nil
		},
	}
}
