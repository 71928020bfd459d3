package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, 0},
		{"bad flag", []string{"--nope"}, 2},
		{"bad int", []string{"--customers", "x"}, 2},
		{"negative", []string{"--customers", "-1"}, 2},
		{"bad format", []string{"--formats", "xml"}, 2},
		{"bad date", []string{"--start", "2024-13-01"}, 2},
		{"end before start", []string{"--start", "2025-01-01", "--end", "2024-01-01"}, 2},
		{"orders without people", []string{"--customers", "0", "--orders", "3"}, 2},
		{"positional", []string{"extra"}, 2},
		{"unwritable", []string{"--customers", "10", "--out", filepath.Join(dir, "file", "x")}, 1},
		{"ok", []string{"--customers", "200", "--orders", "500", "--out", filepath.Join(dir, "ok"), "--progress", "--formats", "csv,shopify"}, 0},
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		if got := run(context.Background(), tc.args, &out, &errb); got != tc.want {
			t.Errorf("%s: exit %d, want %d; stderr: %s", tc.name, got, tc.want, errb.String())
		}
		if tc.name == "help" && !strings.Contains(errb.String(), "-seed") {
			t.Errorf("help output lacks flags: %s", errb.String())
		}
		if tc.name == "ok" && !strings.Contains(errb.String(), "200/200 people") {
			t.Errorf("no progress output: %q", errb.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ok", "woocommerce")); err == nil {
		t.Error("woocommerce written though not requested")
	}
	for _, f := range []string{"orders.csv", "truth.csv", "manifest.json", "shopify/orders.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, "ok", f)); err != nil {
			t.Error(err)
		}
	}
}
