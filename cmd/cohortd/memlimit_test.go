package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cohortd/cohortd/sync/daemon"
)

// GOMEMLIMIT wins over the container's limit, and status reports the limit in force.
func TestStatusReportsTheMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cohortd.yaml")
	if err := os.WriteFile(cfg, []byte("data_dir: "+filepath.Join(dir, "data")+"\nhttp:\n  listen: 127.0.0.1:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMEMLIMIT", "300MiB") // inherited by the daemon
	p := startDaemon(t, cfg)
	r := cohortd(t, "--config", cfg, "status", "--json", "--addr", p.addr)
	var st daemon.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("status: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if st.MemoryLimit != 300<<20 {
		t.Fatalf("memory limit = %d, want %d", st.MemoryLimit, 300<<20)
	}
}
