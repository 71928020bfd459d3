package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/outbox"
)

// outboxConfig has one configured destination in dry-run mode; the data file also holds a
// destination that is no longer configured ("shop").
const outboxConfig = `data_dir: %DATA%
http:
  listen: 127.0.0.1:0
destinations:
  - id: news
    kind: listmonk
    url: http://127.0.0.1:9
    username: u
    token: t
    dry_run: true
  - id: quiet
    kind: listmonk
    url: http://127.0.0.1:9
    username: u
    token: t
`

// prepareOutbox writes a data file with, for "shop": dead letters c1 (rejected, with an
// e-mail address in the platform's message) and c2 (gave up), and c3 pending; for "news": a
// planned dry-run change. It returns the config path and the data file path.
func prepareOutbox(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cohortd.yaml")
	cfg := strings.ReplaceAll(outboxConfig, "%DATA%", filepath.Join(dir, "data"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := store.DefaultPath(filepath.Join(dir, "data"))
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ob := outbox.New(st, outbox.Options{})
	ctx := context.Background()
	mk := func(dest, key, summary string) outbox.Item {
		return outbox.Item{Destination: dest, Key: key, Payload: []byte(`{"email":"jane@example.com"}`), Summary: summary}
	}
	if err := ob.Enqueue(ctx, mk("shop", "customer/1", "add cohort:vip"), mk("shop", "customer/2", "remove cohort:lost")); err != nil {
		t.Fatal(err)
	}
	reject := outbox.SenderFunc(func(_ context.Context, b []outbox.Item) []error {
		errs := make([]error, len(b))
		for i, it := range b {
			if it.Key == "customer/1" {
				errs[i] = outbox.Permanent(errors.New("userErrors: customer jane.doe@example.com: tag is too long"))
			} else {
				errs[i] = errors.New("503 Service Unavailable")
			}
		}
		return errs
	})
	runUntil(t, ob, st, "shop", reject, outbox.RunOptions{Backoff: outbox.Backoff{Base: time.Millisecond, MaxAttempts: 2}})
	if err := ob.Enqueue(ctx, mk("shop", "customer/3", "add cohort:new"), mk("news", "subscriber/9", "add to list vip")); err != nil {
		t.Fatal(err)
	}
	runUntil(t, ob, st, "news", nil, outbox.RunOptions{DryRun: true})
	return cfgPath, dbPath
}

// runUntil runs dest's loop until its queue is empty (or, for shop, until only customer/3
// could be left).
func runUntil(t *testing.T, ob *outbox.Outbox, st *store.Store, dest string, s outbox.Sender, opts outbox.RunOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx, dest, s, opts) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items, err := outbox.Pending(st, dest)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d items still pending", dest, len(items))
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func outboxJSON(t *testing.T, cfg string) outboxReport {
	t.Helper()
	r := cohortd(t, "--config", cfg, "outbox", "status", "--json", "--planned")
	if r.code != 0 {
		t.Fatalf("status --json: exit %d\n%s", r.code, r.stderr)
	}
	var rep outboxReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return rep
}

func destRow(t *testing.T, rep outboxReport, dest string) outbox.DestinationStatus {
	t.Helper()
	for _, s := range rep.Destinations {
		if s.Destination == dest {
			return s
		}
	}
	t.Fatalf("no status row for %s in %+v", dest, rep.Destinations)
	return outbox.DestinationStatus{}
}

func TestOutboxStatusRetryDrop(t *testing.T) {
	cfg, _ := prepareOutbox(t)

	r := cohortd(t, "--config", cfg, "outbox", "status", "--planned")
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"news (dry run)",
		"customer/1", "rejected (0 earlier failures): userErrors: customer j***@example.com: tag is too long",
		"customer/2", "gave up after 2 attempts: 503 Service Unavailable",
		"planned changes (dry run; nothing was sent):", "subscriber/9", "add to list vip",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "jane") || strings.Contains(r.stdout, "example.com\"") {
		t.Errorf("status prints personal data:\n%s", r.stdout)
	}
	if !regexpLine(r.stdout, `^quiet\s+0\s+0\s+0\s+0\s+0\s+-\s+-$`) || !regexpLine(r.stdout, `^shop\s+1\s+1\s+0\s+2\s+0\s+`) {
		t.Errorf("status table rows:\n%s", r.stdout)
	}

	rep := outboxJSON(t, cfg)
	if s := destRow(t, rep, "shop"); s.Pending != 1 || s.Dead != 2 || s.Due != 1 {
		t.Errorf("shop: %+v", s)
	}
	if s := destRow(t, rep, "news"); s.Planned != 1 || s.Pending != 0 {
		t.Errorf("news: %+v", s)
	}
	if len(rep.DeadLetters) != 2 || len(rep.Planned) != 1 || rep.Planned[0].Item.Key != "subscriber/9" {
		t.Errorf("json dead letters %+v planned %+v", rep.DeadLetters, rep.Planned)
	}
	raw := cohortd(t, "--config", cfg, "outbox", "status", "--json").stdout
	if strings.Contains(raw, "jane") || strings.Contains(raw, "payload") {
		t.Errorf("status --json prints payloads or addresses:\n%s", raw)
	}

	// retry: a key without a dead letter changes nothing and exits 1.
	r = cohortd(t, "--config", cfg, "outbox", "retry", "shop", "customer/1", "customer/404")
	if r.code != 1 || !strings.Contains(r.stderr, "no dead letter for customer/404; nothing was changed") {
		t.Errorf("retry of a missing key: exit %d %q", r.code, r.stderr)
	}
	r = cohortd(t, "--config", cfg, "outbox", "retry", "shop", "customer/1")
	if r.code != 0 || !strings.Contains(r.stdout, "requeued 1 dead letters of shop") {
		t.Errorf("retry: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	rep = outboxJSON(t, cfg)
	if s := destRow(t, rep, "shop"); s.Pending != 2 || s.Dead != 1 {
		t.Errorf("after retry: %+v", s)
	}

	// drop needs keys or --all.
	if r := cohortd(t, "--config", cfg, "outbox", "drop", "shop"); r.code != 2 || !strings.Contains(r.stderr, "--all") {
		t.Errorf("drop without keys: exit %d %q", r.code, r.stderr)
	}
	if r := cohortd(t, "--config", cfg, "outbox", "drop", "shop", "customer/2", "--all"); r.code != 2 {
		t.Errorf("drop with keys and --all: exit %d", r.code)
	}
	r = cohortd(t, "--config", cfg, "outbox", "drop", "shop", "--all")
	if r.code != 0 || !strings.Contains(r.stdout, "dropped 1 dead letters of shop") {
		t.Errorf("drop --all: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	rep = outboxJSON(t, cfg)
	if s := destRow(t, rep, "shop"); s.Pending != 2 || s.Dead != 0 || len(rep.DeadLetters) != 0 {
		t.Errorf("after drop: %+v, dead letters %+v", s, rep.DeadLetters)
	}
	if r := cohortd(t, "--config", cfg, "outbox", "retry", "quiet"); r.code != 0 || !strings.Contains(r.stdout, "nothing to retry") {
		t.Errorf("retry of a destination without dead letters: exit %d %q", r.code, r.stdout)
	}

	// Typos and bad usage.
	if r := cohortd(t, "--config", cfg, "outbox", "retry", "shpo"); r.code != 1 || !strings.Contains(r.stderr, `unknown destination "shpo"`) {
		t.Errorf("retry of an unknown destination: exit %d %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"outbox"}, {"outbox", "frob"}, {"outbox", "status", "extra"}, {"outbox", "retry"}} {
		if r := cohortd(t, append([]string{"--config", cfg}, args...)...); r.code != 2 || !strings.Contains(r.stderr, "usage: cohortd outbox") {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}

func TestOutboxRefusesADataFileInUse(t *testing.T) {
	cfg, dbPath := prepareOutbox(t)
	st, err := store.Open(dbPath, store.Options{}) // stands in for the running daemon
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// One command is enough (2 s lock timeout each): every subcommand opens the file the same way.
	r := cohortd(t, "--config", cfg, "outbox", "retry", "shop")
	if r.code != 1 || !strings.Contains(r.stderr, "stop the daemon first") {
		t.Errorf("outbox retry while the file is in use: exit %d %q", r.code, r.stderr)
	}
	if dls, err := outbox.DeadLetters(st, "shop"); err != nil || len(dls) != 2 {
		t.Errorf("dead letters after refused commands: %d %v", len(dls), err)
	}
}

func regexpLine(text, pattern string) bool {
	lines := strings.Split(text, "\n")
	re := regexp.MustCompile(pattern)
	return slices.ContainsFunc(lines, func(l string) bool { return re.MatchString(strings.TrimRight(l, " ")) })
}
