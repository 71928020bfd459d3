package mailchimp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
)

func twoChanges() []email.Change {
	return []email.Change{
		{ProfileID: "p1", Email: "ann@shop.test", Add: []string{"cohort:a"}},
		{ProfileID: "p2", Email: "bob@shop.test", Add: []string{"cohort:a"}},
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	e.fake.FailNext(1, http.StatusTooManyRequests, time.Second)
	start := time.Now()
	e.mustApply(t, twoChanges())
	if took := time.Since(start); took < time.Second {
		t.Fatalf("Apply took %s: the 1 s Retry-After was not honoured", took)
	}
	if st := e.fake.Stats(); st.Injected != 1 || st.Requests["postBatches"] != 2 {
		t.Fatalf("stats %+v", st)
	}
	if got := e.member(t, "bob@shop.test").Tags; len(got) != 1 {
		t.Fatalf("tags %v", got)
	}
}

func TestPersistent429IsRateLimitedOnEveryChange(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, func(o *Options) { o.MaxAttempts = 3 })
	e.fake.FailNext(3, http.StatusTooManyRequests, time.Second)
	start := time.Now()
	outs := e.client.Apply(ctxT(t), twoChanges())
	for i, o := range outs {
		var rl *email.RateLimitError
		if !errors.As(o.Err, &rl) || email.RetryAfterOf(o.Err) != time.Second || email.IsPermanent(o.Err) {
			t.Fatalf("change %d: %v", i, o.Err)
		}
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("3 attempts with Retry-After 1 s took only %s", took)
	}
	if _, ok := e.fake.Member("ann@shop.test"); ok {
		t.Fatal("nothing should have been written")
	}
}

func TestServerErrorsAreRetriedThenTransient(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, func(o *Options) { o.MaxAttempts = 3 })
	e.fake.FailNext(2, http.StatusInternalServerError, 0)
	e.mustApply(t, twoChanges()) // two failures, third attempt succeeds
	if st := e.fake.Stats(); st.Injected != 2 {
		t.Fatalf("injected %d", st.Injected)
	}

	e.fake.FailNext(3, http.StatusServiceUnavailable, 0)
	outs := e.client.Apply(ctxT(t), []email.Change{{ProfileID: "p3", Email: "carl@shop.test", Add: []string{"cohort:a"}}, {ProfileID: "p4", Email: "dora@shop.test", Add: []string{"cohort:a"}}})
	for i, o := range outs {
		if o.Err == nil || email.IsPermanent(o.Err) || email.RetryAfterOf(o.Err) != 0 {
			t.Fatalf("change %d: want a transient error, got %v", i, o.Err)
		}
		if !strings.Contains(o.Err.Error(), "503") {
			t.Fatalf("change %d: error %q should name the status", i, o.Err)
		}
	}
	if outs[0].Err.Error() != outs[1].Err.Error() {
		t.Fatalf("a failed call is the same error on every change: %v / %v", outs[0].Err, outs[1].Err)
	}
}

// TestOperationFailureIsPerChange: one operation failing inside a batch fails its change only.
func TestOperationFailureIsPerChange(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	e.fake.FailOperations(1, http.StatusInternalServerError)
	outs := e.client.Apply(ctxT(t), twoChanges())
	if outs[0].Err == nil || email.IsPermanent(outs[0].Err) || outs[1].Err != nil {
		t.Fatalf("outcomes %+v", outs)
	}
	if _, ok := e.fake.Member("ann@shop.test"); ok {
		t.Fatal("the failed change wrote something")
	}
	if got := e.member(t, "bob@shop.test").Tags; len(got) != 1 {
		t.Fatalf("bob tags %v", got)
	}
	// The retry by the engine applies it.
	e.mustApply(t, twoChanges()[:1])
}

// TestPermanentErrorsCarryThePlatformMessageMasked: Mailchimp names the address in its
// messages; the outcome keeps the message, with the address masked.
func TestPermanentErrorsCarryThePlatformMessageMasked(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	outs := e.client.Apply(ctxT(t), []email.Change{
		{ProfileID: "p1", Email: "robert.smith@fake.invalid", Add: []string{"cohort:a"}},
		{ProfileID: "p2", Email: "ok@shop.test", Add: []string{"cohort:a"}},
	})
	err := outs[0].Err
	if !email.IsPermanent(err) || outs[1].Err != nil {
		t.Fatalf("outcomes %+v", outs)
	}
	msg := err.Error()
	if !strings.Contains(msg, "looks fake or invalid") || !strings.Contains(msg, "r***@fake.invalid") || strings.Contains(msg, "robert.smith") {
		t.Fatalf("error %q: want Mailchimp's message with the address masked", msg)
	}
}

func TestWrongAudienceAndKeyArePermanent(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, func(o *Options) { o.AudienceID = "nosuchlist" })
	for i, o := range e.client.Apply(ctxT(t), twoChanges()) {
		if !email.IsPermanent(o.Err) || !strings.Contains(o.Err.Error(), "Resource Not Found") {
			t.Fatalf("change %d: %v", i, o.Err)
		}
	}
	e2 := newEnv(t, mailchimpfake.Options{}, func(o *Options) { o.APIKey = "wrongkey-us1" })
	outs := e2.client.Apply(ctxT(t), twoChanges())
	if !email.IsPermanent(outs[0].Err) || !strings.Contains(outs[0].Err.Error(), "401") {
		t.Fatalf("bad key: %v", outs[0].Err)
	}
	if strings.Contains(outs[0].Err.Error(), "wrongkey") {
		t.Fatalf("error leaks the key: %v", outs[0].Err)
	}
	if st := e2.fake.Stats(); st.Requests["postBatches"] != 0 {
		t.Fatal("a 401 must not be retried or reach the handler")
	}
}

func TestBatchTimeoutIsTransient(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{OperationDelay: 300 * time.Millisecond}, func(o *Options) { o.BatchTimeout = 100 * time.Millisecond })
	outs := e.client.Apply(ctxT(t), twoChanges())
	for i, o := range outs {
		if o.Err == nil || email.IsPermanent(o.Err) || !strings.Contains(o.Err.Error(), "not finished") {
			t.Fatalf("change %d: %v", i, o.Err)
		}
	}
}
