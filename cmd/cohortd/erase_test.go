package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `cohortd erase EMAIL` erases through a running daemon (which holds the data file) and,
// with no daemon, on the data file itself; neither prints the address.
func TestEraseThroughTheDaemonAndOffline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cohortd.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\nhttp:\n  listen: "+addr+
		"\nstores:\n  - id: shop\n    kind: file\n    path: x.csv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cohortd(t, "--config", cfg, "import", "--store", "shop", "../../testdata/csvfile/shopify_customers_export.csv"); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cohortd(t, "--config", cfg, "profiles", "show", "alice.martin@example.com"); r.code != 0 {
		t.Fatalf("before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	d := startDaemon(t, cfg)
	r := cohortd(t, "--config", cfg, "erase", "alice.martin@example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "through the running daemon: 1 customer records") || strings.Contains(r.stdout+r.stderr, "alice.martin@") {
		t.Fatalf("erase through the daemon: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code, _ := d.stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	if r := cohortd(t, "--config", cfg, "profiles", "show", "alice.martin@example.com"); r.code == 0 || !strings.Contains(r.stderr, "no profile matches") {
		t.Fatalf("after: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = cohortd(t, "--config", cfg, "erase", "--no-push", "BOB.Nakamura@Example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "1 customer records") || strings.Contains(r.stdout, "through the running daemon") ||
		strings.Contains(strings.ToLower(r.stdout+r.stderr), "bob.nakamura@") {
		t.Fatalf("offline erase: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cohortd(t, "--config", cfg, "profiles", "show", "bob.nakamura@example.com"); r.code == 0 {
		t.Fatalf("Bob is still there:\n%s", r.stdout)
	}
}
