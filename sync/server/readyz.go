package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz runs every check concurrently, each with Options.CheckTimeout, and
// answers 200 {"status":"ready","checks":{"name":"ok",...}} or 503 with
// "status":"not ready" and each failing check's error message. Failing Degraded checks
// give 200 with "status":"degraded" and their messages.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	type result struct {
		name     string
		err      error
		degraded bool
	}
	results := make(chan result, len(s.opts.Checks))
	for i, c := range s.opts.Checks {
		name := c.Name
		if name == "" {
			name = "check" + strconv.Itoa(i)
		}
		go func() {
			results <- result{name, s.runCheck(r.Context(), c), c.Degraded}
		}()
	}
	resp := readiness{Status: "ready", Checks: make(map[string]string, len(s.opts.Checks))}
	for range s.opts.Checks {
		res := <-results
		if res.err != nil && res.degraded {
			if resp.Status == "ready" {
				resp.Status = "degraded"
			}
			resp.Checks[res.name] = res.err.Error()
		} else if res.err != nil {
			resp.Status = "not ready"
			resp.Checks[res.name] = res.err.Error()
			s.log.Warn().Str("check", res.name).Err(res.err).Str("request_id", RequestID(r.Context())).Msg("readiness check failed")
		} else {
			resp.Checks[res.name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if resp.Status == "not ready" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// runCheck runs one check with the timeout. A check that ignores its context
// is abandoned (reported as timed out); a panicking one is reported as failed.
func (s *Server) runCheck(parent context.Context, c Check) error {
	ctx, cancel := context.WithTimeout(parent, s.opts.CheckTimeout)
	defer cancel()
	if c.Fn == nil {
		return fmt.Errorf("no check function")
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("panic: %v", p)
			}
		}()
		done <- c.Fn(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("timed out after %v: %w", s.opts.CheckTimeout, ctx.Err())
	}
}
