package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/daemon"
)

// These tests build the real binary once and drive it as an operator would: signals, exit
// codes, a second process on the same data file, backups of a running daemon.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cohortd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cohortd")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cohortd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const adminToken = "s3cr3t-admin-token-do-not-log"

// writeConfig writes a config for a daemon with its data in dir and returns its path.
func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := fmt.Sprintf(`data_dir: %s
http:
  listen: 127.0.0.1:0
  admin_token: %s
schedule:
  store_stats: "@every 1s"
  backup: "@daily"
`, filepath.Join(dir, "data"), adminToken)
	path := filepath.Join(dir, "cohortd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type result struct {
	code           int
	stdout, stderr string
}

func cohortd(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "COHORTD_CONFIG=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		code = xe.ExitCode()
	} else if err != nil {
		t.Fatalf("run cohortd %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// daemonProc is a running `cohortd run`.
type daemonProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// startDaemon runs `cohortd run` and waits for its "cohortd started" log line.
func startDaemon(t *testing.T, cfgPath string) *daemonProc {
	t.Helper()
	cmd := exec.Command(binary, "--config", cfgPath, "run")
	pr, pw := io.Pipe()
	logs := &syncBuffer{mu: make(chan struct{}, 1)}
	cmd.Stderr = io.MultiWriter(pw, logs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &daemonProc{cmd: cmd, stderr: logs, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct {
				Message string `json:"message"`
				Addr    string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "cohortd started" {
				found <- line.Addr
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case p.addr = <-found:
	case err := <-p.done:
		t.Fatalf("daemon exited before starting: %v\n%s", err, logs.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("daemon did not start in 15s\n%s", logs.String())
	}
	return p
}

// stop sends SIGTERM and returns the exit code and how long the daemon took.
func (p *daemonProc) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("daemon still running 15s after SIGTERM\n%s", p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHelpForEveryCommand(t *testing.T) {
	for name := range commands() {
		r := cohortd(t, name, "--help")
		if r.code != 0 {
			t.Errorf("%s --help: exit %d, stderr %q", name, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "Usage: cohortd "+name) || !strings.Contains(r.stdout, "-config") {
			t.Errorf("%s --help: unexpected output %q", name, r.stdout)
		}
	}
	r := cohortd(t, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Exit codes: 0 ok, 1 runtime failure, 2 usage") {
		t.Errorf("--help: exit %d, %q", r.code, r.stdout)
	}
	if r := cohortd(t, "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", r.code, r.stderr)
	}
	if r := cohortd(t, "run", "--no-such-flag"); r.code != 2 {
		t.Errorf("bad flag: exit %d, want 2", r.code)
	}
	if r := cohortd(t); r.code != 2 {
		t.Errorf("no command: exit %d, want 2", r.code)
	}
}

func TestVersion(t *testing.T) {
	r := cohortd(t, "version")
	if r.code != 0 || !regexp.MustCompile(`^cohortd \S+ \(commit \S+, go1\.\d+`).MatchString(r.stdout) {
		t.Fatalf("version: exit %d, %q", r.code, r.stdout)
	}
}

func TestConfigCheck(t *testing.T) {
	r := cohortd(t, "config", "check", "--config", "../../examples/cohortd.yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "../../examples/cohortd.yaml: ok") {
		t.Fatalf("example config: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// Three different mistakes: an unknown key, a bad cron expression, a missing secret.
	bad := `data_dir: ./data
http:
  listne: 127.0.0.1:8080
stores:
  - id: main
    kind: shopify
    shop: example.myshopify.com
schedule:
  backup: "61 * * * *"
`
	path := filepath.Join(t.TempDir(), "cohortd.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cohortd(t, "config", "check", "--config", path)
	if r.code != 2 {
		t.Fatalf("bad config: exit %d, want 2; stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{
		path + ":3:3: unknown key \"listne\"",
		path + ":9:11: ",
		path + ":5:5: ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "access_token") || !strings.Contains(r.stderr, "schedule") && !strings.Contains(r.stderr, "cron") {
		t.Errorf("stderr does not name the secret and the schedule:\n%s", r.stderr)
	}
	if r := cohortd(t, "config", "check", "--config", filepath.Join(t.TempDir(), "missing.yaml")); r.code != 2 {
		t.Errorf("missing explicit config: exit %d, want 2", r.code)
	}
}

func TestRunServesAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	p := startDaemon(t, cfg)
	base := "http://" + p.addr

	if code, body := httpGet(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Errorf("/readyz: %d %q", code, body)
	}
	// store_stats runs every second; wait for a run to show in /metrics.
	deadline := time.Now().Add(5 * time.Second)
	var metrics string
	for time.Now().Before(deadline) {
		_, metrics = httpGet(t, base+"/metrics")
		if strings.Contains(metrics, `cohortd_job_runs_total{job="store_stats",result="success"}`) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []string{
		`cohortd_job_runs_total{job="store_stats",result="success"}`,
		`cohortd_store_bucket_keys{bucket="meta"}`,
		`cohortd_build_info{version=`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, adminToken) {
		t.Error("/metrics contains the admin token")
	}
	if code, _ := httpGet(t, base+"/admin/status"); code != http.StatusUnauthorized {
		t.Errorf("/admin/status without token: %d, want 401", code)
	}

	// status through the admin API.
	r := cohortd(t, "--config", cfg, "status", "--json", "--addr", p.addr)
	if r.code != 0 {
		t.Fatalf("status: exit %d: %s", r.code, r.stderr)
	}
	var st daemon.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, r.stdout)
	}
	if !st.Running || !st.Ready || st.SchemaVersion < 1 || len(st.Jobs) != 3 || st.Jobs[0].Name != "backup" || st.Jobs[1].Name != "segments" || st.Jobs[2].Name != "store_stats" {
		t.Errorf("status: %+v", st)
	}
	if strings.Contains(r.stdout, adminToken) {
		t.Error("status output contains the admin token")
	}

	code, took := p.stop(t)
	if code != 0 {
		t.Fatalf("exit code after SIGTERM: %d\n%s", code, p.stderr.String())
	}
	if took > 10*time.Second {
		t.Errorf("shutdown took %s, want < 10s", took)
	}
	if strings.Contains(p.stderr.String(), adminToken) {
		t.Error("logs contain the admin token")
	}
	if !strings.Contains(p.stderr.String(), `"message":"cohortd stopped"`) {
		t.Errorf("no clean stop logged:\n%s", p.stderr.String())
	}
	dataFile := filepath.Join(dir, "data", "cohortd.db")
	info, err := os.Stat(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("data file mode %v, want 0600", info.Mode().Perm())
	}
	sum, err := store.VerifyFile(dataFile)
	if err != nil {
		t.Fatalf("data file does not reopen cleanly: %v", err)
	}
	if sum.SchemaVersion < 1 {
		t.Errorf("schema version %d", sum.SchemaVersion)
	}

	// Offline status reads the file directly.
	r = cohortd(t, "--config", cfg, "status", "--addr", p.addr)
	if r.code != 0 || !strings.Contains(r.stdout, "not running") || !strings.Contains(r.stdout, "meta") {
		t.Errorf("offline status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestSecondRunOnSameDataDirExits2(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	p := startDaemon(t, cfg)
	start := time.Now()
	r := cohortd(t, "--config", cfg, "run")
	if r.code != 2 {
		t.Fatalf("second run: exit %d, want 2; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "data file is in use by another cohortd process") {
		t.Errorf("second run stderr: %q", r.stderr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("second run took %s to give up", took)
	}
	// restore refuses to overwrite the running daemon's file.
	backup := filepath.Join(dir, "b.db")
	if r := cohortd(t, "--config", cfg, "backup", "--addr", p.addr, backup); r.code != 0 {
		t.Fatalf("backup: exit %d: %s", r.code, r.stderr)
	}
	r = cohortd(t, "--config", cfg, "restore", backup)
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to restore") || !strings.Contains(r.stderr, "in use") {
		t.Errorf("restore over running daemon: exit %d, %q", r.code, r.stderr)
	}
	if code, _ := p.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	r = cohortd(t, "--config", cfg, "restore", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "restored") {
		t.Errorf("restore with daemon stopped: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestBackupOfRunningDaemonMatches(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	dataFile := filepath.Join(dir, "data", "cohortd.db")

	// Seed the data file with records so the copy has something to match.
	s, err := store.Open(dataFile, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Update(ctx, func(tx *store.Tx) error {
		for i := range 5000 {
			key := fmt.Appendf(nil, "record-%05d", i)
			if err := tx.Put(store.SourceRecords, key, bytes.Repeat([]byte{byte(i)}, 200)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	p := startDaemon(t, cfg)
	backup := filepath.Join(dir, "backup.db")
	r := cohortd(t, "--config", cfg, "backup", "--addr", p.addr, backup)
	if r.code != 0 || !strings.Contains(r.stdout, "from the running daemon and verified") {
		t.Fatalf("backup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	info, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", info.Mode().Perm())
	}
	if code, _ := p.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	got, err := store.VerifyFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.VerifyFile(dataFile)
	if err != nil {
		t.Fatal(err)
	}
	if got.Buckets["source_records"] != 5000 {
		t.Errorf("backup holds %d source records, want 5000", got.Buckets["source_records"])
	}
	if got.Checksum != want.Checksum {
		t.Errorf("backup checksum %s != data file %s", got.Checksum, want.Checksum)
	}

	// With no daemon running, backup reads the file directly.
	backup2 := filepath.Join(dir, "backup2.db")
	r = cohortd(t, "--config", cfg, "backup", "--addr", p.addr, backup2)
	if r.code != 0 || !strings.Contains(r.stdout, "no daemon running") || !strings.Contains(r.stdout, want.Checksum) {
		t.Errorf("offline backup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
