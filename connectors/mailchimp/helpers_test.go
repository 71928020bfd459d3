package mailchimp

import (
	"context"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
	"github.com/rs/zerolog"
)

// Platform is the interface sync/emailsync consumes (copied from the engine's declaration):
// the compile-time check below keeps Client in step with it.
type Platform interface {
	Apply(ctx context.Context, changes []email.Change) []email.Outcome
	Suppressions(ctx context.Context) ([]email.Suppression, error)
	Delete(ctx context.Context, address string) error
	Sizes(ctx context.Context, names []string) (map[string]int, error)
	BatchSize() int
}

var _ Platform = (*Client)(nil)

// env is a started fake and a client pointed at it, with fast polling and retries.
type env struct {
	fake   *mailchimpfake.Server
	client *Client
}

func newEnv(t *testing.T, fopts mailchimpfake.Options, tweak func(*Options)) *env {
	t.Helper()
	fake := mailchimpfake.New(fopts)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	opts := Options{
		APIKey:            mailchimpfake.DefaultAPIKey,
		AudienceID:        mailchimpfake.DefaultListID,
		BaseURL:           fake.URL(),
		Logger:            zerolog.Nop(),
		RequestsPerSecond: 1000,
		RetryBase:         5 * time.Millisecond,
		RetryMax:          50 * time.Millisecond,
		PollMin:           2 * time.Millisecond,
		PollMax:           50 * time.Millisecond,
		RequestTimeout:    10 * time.Second,
	}
	if tweak != nil {
		tweak(&opts)
	}
	client, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// Every request the client sent, and every answer, must match the published spec.
	t.Cleanup(func() {
		if v := fake.Violations(); len(v) > 0 {
			t.Errorf("%d spec violations, first: %s", len(v), v[0])
		}
	})
	return &env{fake: fake, client: client}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustApply applies changes and fails the test on any outcome error.
func (e *env) mustApply(t *testing.T, changes []email.Change) []email.Outcome {
	t.Helper()
	outs := e.client.Apply(ctxT(t), changes)
	if len(outs) != len(changes) {
		t.Fatalf("%d outcomes for %d changes", len(outs), len(changes))
	}
	for i, o := range outs {
		if o.Err != nil {
			t.Fatalf("change %d (%s): %v", i, changes[i].ProfileID, o.Err)
		}
	}
	return outs
}

func (e *env) member(t *testing.T, address string) mailchimpfake.Member {
	t.Helper()
	m, ok := e.fake.Member(address)
	if !ok {
		t.Fatalf("no member %s at the fake", address)
	}
	return m
}
