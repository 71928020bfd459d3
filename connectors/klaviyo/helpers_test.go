package klaviyo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

// Platform is the interface sync/emailsync consumes, copied here as a compile-time check.
type Platform interface {
	Apply(ctx context.Context, changes []email.Change) []email.Outcome
	Suppressions(ctx context.Context) ([]email.Suppression, error)
	Delete(ctx context.Context, address string) error
	Sizes(ctx context.Context, names []string) (map[string]int, error)
	BatchSize() int
}

var _ Platform = (*Client)(nil)

// pair starts a fake and a client pointed at it. Every test using it fails if the client
// sent a request (or the fake produced a response) that does not match the OpenAPI spec, or
// if anything ever wrote consent.
func pair(t *testing.T, tune func(*Options), fopts ...func(*klaviyofake.Options)) (*Client, *klaviyofake.Server) {
	t.Helper()
	fo := klaviyofake.Options{}
	for _, f := range fopts {
		f(&fo)
	}
	fake := klaviyofake.New(fo)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	opts := Options{APIKey: klaviyofake.DefaultAPIKey, BaseURL: fake.URL(), CreateLists: true, JobPollInterval: 10 * time.Millisecond}
	if tune != nil {
		tune(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fake.Close()
		for _, v := range fake.Violations() {
			t.Errorf("spec violation: %+v", v)
		}
		if n := fake.Stats().ConsentWrites; n != 0 {
			t.Errorf("consent written %d times", n)
		}
	})
	return c, fake
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func addr(i int) string { return fmt.Sprintf("person%05d@example.com", i) }

func change(i int, add, remove []string, props map[string]string) email.Change {
	return email.Change{ProfileID: fmt.Sprintf("p%05d", i), Email: addr(i), Add: add, Remove: remove, Props: props}
}

func mustOK(t *testing.T, outs []email.Outcome) {
	t.Helper()
	for i, o := range outs {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
}

func lists(names ...string) []string { return names }

func member(t *testing.T, f *klaviyofake.Server, address string) klaviyofake.Member {
	t.Helper()
	m, ok := f.Member(address)
	if !ok {
		t.Fatalf("no profile for %s", address)
	}
	return m
}

func join(s []string) string { return strings.Join(s, ",") }
