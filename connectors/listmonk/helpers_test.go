package listmonk_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

// platform is sync/emailsync.Platform, copied so the connector cannot drift from it.
type platform interface {
	Apply(ctx context.Context, changes []email.Change) []email.Outcome
	Suppressions(ctx context.Context) ([]email.Suppression, error)
	Delete(ctx context.Context, address string) error
	Sizes(ctx context.Context, names []string) (map[string]int, error)
	BatchSize() int
}

var _ platform = (*listmonk.Client)(nil)

type env struct {
	t    *testing.T
	fake *listmonkfake.Server
	c    *listmonk.Client
	// allowConsentEvents lets a test that provokes them (on purpose, through the fake's
	// helpers or a misbehaving raw request) skip the final check.
	allowConsentEvents bool
}

// newEnv starts a fake listmonk and a client on it. At cleanup it checks that the client
// sent only documented requests, never PUT a subscriber and upgraded nobody's consent.
func newEnv(t *testing.T, fo listmonkfake.Options, co listmonk.Options) *env {
	t.Helper()
	fake := listmonkfake.New(fo)
	fake.Start()
	co.URL = fake.URL()
	if co.Username == "" {
		co.Username, co.Token = "cohortd", "secret"
	}
	if co.RetryBase == 0 {
		co.RetryBase, co.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	}
	if co.RequestsPerSecond == 0 {
		co.RequestsPerSecond = -1
	}
	c, err := listmonk.New(co)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, fake: fake, c: c}
	t.Cleanup(func() {
		defer fake.Close()
		if v := fake.Violations(); len(v) > 0 {
			t.Errorf("requests not following listmonk's API: %q", v)
		}
		if n := fake.Stats().Requests[listmonkfake.EndpointPutSubscriber]; n != 0 {
			t.Errorf("client sent PUT /api/subscribers/{id} %d times; it must PATCH", n)
		}
		if ev := fake.ConsentEvents(); len(ev) > 0 && !e.allowConsentEvents {
			t.Errorf("consent upgraded or erased: %+v", ev)
		}
	})
	return e
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// mustApply applies changes and fails the test on any outcome error.
func (e *env) mustApply(changes ...email.Change) []email.Outcome {
	e.t.Helper()
	out := e.c.Apply(ctx(e.t), changes)
	if len(out) != len(changes) {
		e.t.Fatalf("Apply returned %d outcomes for %d changes", len(out), len(changes))
	}
	for i, o := range out {
		if o.Err != nil {
			e.t.Fatalf("change %d (%s): %v", i, changes[i].Email, o.Err)
		}
	}
	return out
}

func (e *env) member(addr string) listmonkfake.Subscriber {
	e.t.Helper()
	m, ok := e.fake.Member(addr)
	if !ok {
		e.t.Fatalf("%s not at the fake", addr)
	}
	return m
}

func (e *env) requests(endpoint string) int { return e.fake.Stats().Requests[endpoint] }

func (e *env) mustEqualSnapshot(before listmonkfake.Snapshot) {
	e.t.Helper()
	if after := e.fake.Snapshot(); !reflect.DeepEqual(before, after) {
		e.t.Fatalf("state changed:\nbefore %+v\nafter  %+v", before, after)
	}
}
