package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// A destination that keeps failing (here: listmonk refusing the token) must not stall
// silently: status names it, /readyz says degraded (and stays 200 so webhooks still come
// in), and /metrics has cohortd_destination_failing 1.
func TestFailingDestinationShowsInStatusReadyzAndMetrics(t *testing.T) {
	var calls atomic.Int64
	lm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"invalid API credentials"}`)
	}))
	defer lm.Close()

	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Schedule = map[string]string{}
	cfg.Destinations = []config.Destination{{ID: "lists", Kind: config.KindListmonk, URL: lm.URL, Username: "cohortd",
		Token: "wrong", Segments: []string{config.AllSegments}, Audience: config.AudienceAll, CreateLists: true}}

	st, err := store.Open(store.DefaultPath(dir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := profiles.Profile{ID: "p1", Emails: []profiles.EmailValue{{Address: "ann@example.com"}}}
	if err := st.PutValue(ctx, store.Profiles, []byte("p1"), p); err != nil {
		t.Fatal(err)
	}
	if err := st.PutValue(ctx, store.Memberships, []byte("m/p1"), segmenter.Record{Segments: []string{"rfm-champions"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	d, err := New(Options{Config: cfg, Logger: zerolog.Nop(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	for d.Addr() == "" {
		time.Sleep(5 * time.Millisecond)
	}

	// Three refreshes plan the change again; each send is refused.
	for i := range 3 {
		if _, err := d.platforms.planEmail(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			dead, err := outbox.DeadLetters(d.store, "lists")
			if err != nil {
				t.Fatal(err)
			}
			if h := d.platforms.email[0].Health(); h.FailedSends == i+1 && len(dead) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("send %d: health %+v, dead letters %d", i+1, d.platforms.email[0].Health(), len(dead))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	s := d.Status()
	if len(s.Email) != 1 || s.Email[0].Health == nil || !s.Email[0].Health.Failing ||
		!strings.Contains(strings.Join(s.Problems, ";"), "destination lists is failing") ||
		!strings.Contains(s.Email[0].Health.LastError, "invalid API credentials") {
		t.Fatalf("status = %+v problems %v", s.Email, s.Problems)
	}
	resp, err := http.Get("http://" + d.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || r.Status != "degraded" || !strings.Contains(r.Checks["destinations"], "lists: 3 sends failed in a row") {
		t.Fatalf("readyz %d %+v %v", resp.StatusCode, r, err)
	}
	resp, err = http.Get("http://" + d.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `cohortd_destination_failing{destination="lists",kind="listmonk"} 1`) {
		t.Fatalf("metrics lack the failing destination:\n%s", grep(string(body), "cohortd_destination"))
	}
	if strings.Contains(string(body), "wrong") {
		t.Fatal("the token appears in /metrics")
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
