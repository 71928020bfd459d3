package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

func healthcheckCommand() *command {
	var addr string
	return &command{
		name:    "healthcheck",
		summary: "probe the running daemon's /healthz and exit 0 when it answers ok (for Docker HEALTHCHECK)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "", "address of the daemon, overrides http.listen")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			c := newAdminClient(cfg, addr)
			ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/healthz", nil)
			if err != nil {
				return err
			}
			resp, err := c.http.Do(req)
			if err != nil {
				return fmt.Errorf("healthz: %w", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthz: %s", resp.Status)
			}
			fmt.Fprint(e.stdout, string(body))
			return nil
		},
	}
}
