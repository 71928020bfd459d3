package klaviyo

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

func TestThrottledCallWaitsRetryAfterThenSucceeds(t *testing.T) {
	c, f := pair(t, nil)
	f.CreateList("cohort:x")
	f.InjectFault(klaviyofake.Fault{Operation: opAddToList, Status: 429, RetryAfter: time.Second})
	start := time.Now()
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil)}))
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, before Retry-After", d)
	}
	if st := f.Stats(); st.ByOperation[opAddToList].Faults != 1 || st.Calls(opAddToList) != 2 {
		t.Errorf("add calls %d faults %d", st.Calls(opAddToList), st.ByOperation[opAddToList].Faults)
	}
	if got := join(f.ListMembers("cohort:x")); got != addr(1) {
		t.Errorf("members %s", got)
	}
}

func TestLongRetryAfterIsReturnedAsRateLimited(t *testing.T) {
	c, f := pair(t, func(o *Options) { o.MaxRetryWait = 500 * time.Millisecond })
	f.InjectFault(klaviyofake.Fault{Operation: opGetProfiles, Status: 429, RetryAfter: 2 * time.Second})
	outs := c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil), change(2, lists("cohort:x"), nil, nil)})
	for i, o := range outs {
		if got := email.RetryAfterOf(o.Err); got != 2*time.Second || email.IsPermanent(o.Err) {
			t.Errorf("outcome %d: %v (retry after %s)", i, o.Err, got)
		}
	}
	if f.ProfileCount() != 0 {
		t.Error("wrote without reading first")
	}
}

func TestServerErrorsAreRetriedThenTransient(t *testing.T) {
	c, f := pair(t, func(o *Options) { o.MaxRetries = 2 })
	f.CreateList("cohort:x")
	f.InjectFault(klaviyofake.Fault{Operation: opGetProfiles, Status: 503})
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil)}))

	// A call failing every attempt fails every change of that call with the same transient
	// error; changes in other calls are unaffected.
	f.InjectFault(klaviyofake.Fault{Operation: opAddToList, Status: 502, Count: 3})
	outs := c.Apply(ctxT(t), []email.Change{
		change(2, lists("cohort:x"), nil, nil),
		change(3, lists("cohort:x"), nil, nil),
		change(4, nil, nil, map[string]string{email.PropLifecycle: "new"}),
	})
	for i := 0; i < 2; i++ {
		err := outs[i].Err
		var ae *APIError
		if err == nil || email.IsPermanent(err) || email.RetryAfterOf(err) != 0 || !errors.As(err, &ae) || ae.StatusCode != 502 {
			t.Errorf("outcome %d: %v, want the transient 502", i, err)
		}
	}
	if outs[0].Err.Error() != outs[1].Err.Error() {
		t.Errorf("different errors for one call: %v / %v", outs[0].Err, outs[1].Err)
	}
	if outs[2].Err != nil {
		t.Errorf("unrelated change: %v", outs[2].Err)
	}
	if n := f.Stats().ByOperation[opAddToList].Faults; n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	// The engine's retry then applies it.
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(2, lists("cohort:x"), nil, nil), change(3, lists("cohort:x"), nil, nil)}))
	if len(f.ListMembers("cohort:x")) != 3 {
		t.Errorf("members %v", f.ListMembers("cohort:x"))
	}
}

func TestDeletedListIsForgottenAndRecreated(t *testing.T) {
	c, f := pair(t, nil)
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil)}))
	// Simulate the list vanishing: a cached id Klaviyo no longer knows answers 404.
	c.listMu.Lock()
	c.listIDs["cohort:x"] = "gone00"
	c.listMu.Unlock()
	outs := c.Apply(ctxT(t), []email.Change{change(2, lists("cohort:x"), nil, nil)})
	if outs[0].Err == nil || email.IsPermanent(outs[0].Err) || !strings.Contains(outs[0].Err.Error(), "no longer exists") {
		t.Fatalf("want a transient 'no longer exists', got %v", outs[0].Err)
	}
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(2, lists("cohort:x"), nil, nil)}))
	if got := len(f.ListMembers("cohort:x")); got != 2 {
		t.Errorf("members %d", got)
	}
}

func TestDelete(t *testing.T) {
	c, f := pair(t, nil)
	mustOK(t, c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil)}))
	if err := c.Delete(ctxT(t), addr(1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Member(addr(1)); ok {
		t.Error("profile still there")
	}
	if len(f.ListMembers("cohort:x")) != 0 {
		t.Error("still a list member")
	}
	if err := c.Delete(ctxT(t), "nobody@example.com"); err != nil {
		t.Errorf("unknown address: %v", err)
	}
	if got := join(f.Deleted()); got != addr(1) {
		t.Errorf("deleted %s", got)
	}
	f.InjectFault(klaviyofake.Fault{Operation: opDeleteProfile, Status: 403, Detail: "Missing scope data-privacy:write for nobody@example.com"})
	err := c.Delete(ctxT(t), "nobody@example.com")
	if !email.IsPermanent(err) || strings.Contains(err.Error(), "nobody@") || !strings.Contains(err.Error(), "data-privacy:write") {
		t.Errorf("refused delete: %v", err)
	}
}

func TestSizes(t *testing.T) {
	c, f := pair(t, nil)
	if err := f.AddToList("cohort:a", addr(1), addr(2), addr(3)); err != nil {
		t.Fatal(err)
	}
	f.CreateList("cohort:empty")
	got, err := c.Sizes(ctxT(t), []string{"cohort:a", "cohort:empty", "cohort:unknown"})
	if err != nil {
		t.Fatal(err)
	}
	if got["cohort:a"] != 3 || got["cohort:empty"] != 0 || got["cohort:unknown"] != 0 || len(got) != 3 {
		t.Errorf("sizes %v", got)
	}
	if n := f.Stats().Calls(opGetList); n != 2 {
		t.Errorf("get_list calls %d", n)
	}
	// No list is created by asking for its size.
	if join(f.ListNames()) != "cohort:a,cohort:empty" {
		t.Errorf("lists %v", f.ListNames())
	}
}

func TestNewValidatesOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "api_key is required"},
		{Options{APIKey: "pk x"}, "white space"},
		{Options{APIKey: "pk", Revision: "July"}, "revision"},
		{Options{APIKey: "pk", BaseURL: "ftp://x"}, "base_url"},
		{Options{APIKey: "pk", Concurrency: -1}, "negative"},
	} {
		_, err := New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
		if err != nil && tc.opts.APIKey != "" && strings.Contains(err.Error(), tc.opts.APIKey) {
			t.Errorf("error carries the key: %v", err)
		}
	}
	c, err := New(Options{APIKey: "pk_live"})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.BaseURL != DefaultBaseURL || c.opts.Revision != DefaultRevision || c.BatchSize() != DefaultBatchSize {
		t.Errorf("defaults %+v", c.opts)
	}
}

func TestBadKeyIsPermanent(t *testing.T) {
	c, _ := pair(t, func(o *Options) { o.APIKey = "pk_wrong" })
	outs := c.Apply(ctxT(t), []email.Change{change(1, lists("cohort:x"), nil, nil)})
	if !email.IsPermanent(outs[0].Err) || strings.Contains(outs[0].Err.Error(), "pk_wrong") {
		t.Errorf("got %v", outs[0].Err)
	}
}
