package listmonk_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

func TestRetryAfterIsHonouredByEveryRequest(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	e.fake.FailNext(listmonkfake.EndpointQuerySubscribers, 1, http.StatusTooManyRequests, time.Second)
	start := time.Now()
	e.mustApply(email.Change{ProfileID: "p", Email: "a@example.com", Add: []string{"cohort:a"}})
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("applied after %v: the 1 s Retry-After was not waited for", d)
	}
	if st := e.fake.Stats(); st.TooMany != 1 || st.Requests[listmonkfake.EndpointQuerySubscribers] != 2 {
		t.Fatalf("stats %+v: want one 429 and one retried lookup", st)
	}
	if s := e.c.Stats(); s.RateLimited != 1 || s.Retries != 1 {
		t.Fatalf("client stats %+v", s)
	}
}

func TestLongRetryAfterBecomesRateLimited(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{MaxRetryAfter: 500 * time.Millisecond})
	e.fake.FailNext(listmonkfake.EndpointQuerySubscribers, 1, http.StatusTooManyRequests, 3*time.Second)
	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "a", Email: "a@example.com"}, {ProfileID: "b", Email: "b@example.com"}})
	for i, o := range out {
		if got := email.RetryAfterOf(o.Err); got != 3*time.Second {
			t.Fatalf("outcome %d %+v: RetryAfterOf = %v, want 3s", i, o, got)
		}
		if email.IsPermanent(o.Err) {
			t.Fatalf("outcome %d: a rate limit is not permanent", i)
		}
	}
}

func TestServerErrorsAreRetriedThenTransientPerCall(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{MaxAttempts: 3, MaxConcurrency: 1})
	e.fake.SeedList("cohort:a", "private", "double")
	e.fake.SeedList("cohort:b", "private", "double")
	mustSeed(t, e.fake, "a@example.com", "enabled", nil)
	mustSeed(t, e.fake, "b@example.com", "enabled", nil)

	// One 502 is absorbed by a retry.
	e.fake.FailNext(listmonkfake.EndpointManageLists, 1, http.StatusBadGateway, 0)
	e.mustApply(email.Change{ProfileID: "a", Email: "a@example.com", Add: []string{"cohort:a"}})
	if e.c.Stats().Retries != 1 {
		t.Fatalf("client stats %+v: want one retry", e.c.Stats())
	}

	// Three 503s exhaust the call that adds to cohort:a (sent first, one call at a time):
	// its change fails transiently, the change in the other call is applied.
	e.fake.FailNext(listmonkfake.EndpointManageLists, 3, http.StatusServiceUnavailable, 0)
	out := e.c.Apply(ctx(t), []email.Change{
		{ProfileID: "b", Email: "b@example.com", Add: []string{"cohort:a"}},
		{ProfileID: "a", Email: "a@example.com", Add: []string{"cohort:b"}},
	})
	if out[0].Err == nil || email.IsPermanent(out[0].Err) || email.RetryAfterOf(out[0].Err) != 0 {
		t.Fatalf("outcome 0 %+v: want a transient error", out[0])
	}
	var ae *listmonk.APIError
	if !errors.As(out[0].Err, &ae) || ae.Status != http.StatusServiceUnavailable {
		t.Fatalf("outcome 0 error %v: want the 503", out[0].Err)
	}
	if out[1].Err != nil {
		t.Fatalf("outcome 1: %v", out[1].Err)
	}
	if got := e.member("a@example.com").Lists["cohort:b"]; got != "unconfirmed" {
		t.Fatalf("a on cohort:b: %q", got)
	}
}

func TestPermanentErrorCarriesMaskedPlatformMessage(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{CreateLists: true})
	e.fake.FailNextWith(listmonkfake.EndpointCreateSubscriber, 1, http.StatusBadRequest, "Invalid email: jane.doe@example.com is blocklisted by domain.")
	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "p", Email: "jane.doe@example.com", Add: []string{"cohort:a"}}})
	err := out[0].Err
	if !email.IsPermanent(err) {
		t.Fatalf("outcome %+v: want permanent", out[0])
	}
	msg := err.Error()
	if strings.Contains(msg, "jane.doe") || !strings.Contains(msg, "j***@example.com") || !strings.Contains(msg, "is blocklisted by domain") {
		t.Fatalf("error %q: want the platform's words with the address masked", msg)
	}
}

func TestWrongTokenIsPermanentAndNotEchoed(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{Token: "right"}, listmonk.Options{Username: "cohortd", Token: "wrong-token-value"})
	out := e.c.Apply(ctx(t), []email.Change{{ProfileID: "p", Email: "a@example.com", Add: []string{"x"}}})
	if !email.IsPermanent(out[0].Err) || !strings.Contains(out[0].Err.Error(), "403") {
		t.Fatalf("outcome %+v: want permanent 403", out[0])
	}
	if strings.Contains(out[0].Err.Error(), "wrong-token-value") || strings.Contains(out[0].Err.Error(), "a@example.com") {
		t.Fatalf("error %q leaks the token or the address", out[0].Err)
	}
}

func TestEndedContextIsNotPermanent(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	c, cancel := context.WithCancel(context.Background())
	cancel()
	out := e.c.Apply(c, []email.Change{{ProfileID: "p", Email: "a@example.com", Add: []string{"x"}}})
	if out[0].Err == nil || email.IsPermanent(out[0].Err) || !errors.Is(out[0].Err, context.Canceled) {
		t.Fatalf("outcome %+v: want a retryable context.Canceled", out[0])
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	ok := listmonk.Options{URL: "https://lists.example.com", Username: "api", Token: "tok-secret"}
	cases := map[string]func(o *listmonk.Options){
		"url is required":            func(o *listmonk.Options) { o.URL = "" },
		"not an http(s) URL":         func(o *listmonk.Options) { o.URL = "ftp://x" },
		"must not carry credentials": func(o *listmonk.Options) { o.URL = "https://u:p@x" },
		"username is required":       func(o *listmonk.Options) { o.Username = " " },
		"token is required":          func(o *listmonk.Options) { o.Token = "" },
		"not single or double":       func(o *listmonk.Options) { o.NewListOptin = "triple" },
	}
	for want, mutate := range cases {
		o := ok
		mutate(&o)
		_, err := listmonk.New(o)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "tok-secret") {
			t.Errorf("%s: error %v", want, err)
		}
	}
	c, err := listmonk.New(ok)
	if err != nil || c.BatchSize() != listmonk.DefaultBatchSize {
		t.Fatalf("New(valid) = %v, %v", c, err)
	}
}
