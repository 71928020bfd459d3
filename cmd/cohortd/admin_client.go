package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/cohortd/cohortd/config"
)

// adminClient talks to a running daemon's admin API on the address its configuration gives.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

func newAdminClient(cfg *config.Config, override string) *adminClient {
	addr := cfg.HTTP.Listen
	if override != "" {
		addr = override
	}
	return &adminClient{
		base:  "http://" + dialAddr(addr),
		token: cfg.HTTP.AdminToken.Value(),
		http:  &http.Client{},
	}
}

// dialAddr turns a listen address into one to dial: an unspecified host means this machine.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// errNoDaemon means nothing listens on the admin address: no daemon is running there.
var errNoDaemon = errors.New("no cohortd daemon is listening")

// getJSON performs an admin GET with a timeout and decodes the JSON answer into v.
func (c *adminClient) getJSON(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.do(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("admin request %s: decode: %w", path, err)
	}
	return nil
}

// postJSON performs an admin POST of in as JSON and decodes the JSON answer into out.
func (c *adminClient) postJSON(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("admin request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return errNoDaemon
		}
		return fmt.Errorf("admin request %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("admin request %s: %s: %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin request %s: decode: %w", path, err)
	}
	return nil
}

// do performs an admin GET; the caller closes the body of the 200 response it returns.
func (c *adminClient) do(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("admin request: %w", err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errNoDaemon
		}
		return nil, fmt.Errorf("admin request %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			hint = " (check http.admin_token in the config)"
		case http.StatusForbidden:
			hint = " (set http.admin_token to use the admin API from another host)"
		}
		return nil, fmt.Errorf("admin request %s: %s: %s%s", path, resp.Status, strings.TrimSpace(string(msg)), hint)
	}
	return resp, nil
}
