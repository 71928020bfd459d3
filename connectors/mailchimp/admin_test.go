package mailchimp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
)

func TestSuppressionsPagesThroughEverything(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	want := map[string]email.Status{}
	for i := range 1200 {
		addr := fmt.Sprintf("u%04d@shop.test", i)
		want[addr] = email.StatusUnsubscribed
		if err := e.fake.SetStatus(addr, mailchimpfake.StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1001 {
		addr := fmt.Sprintf("c%04d@shop.test", i)
		want[addr] = email.StatusCleaned
		if err := e.fake.SetStatus(addr, mailchimpfake.StatusCleaned); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if err := e.fake.SetStatus(fmt.Sprintf("s%d@shop.test", i), mailchimpfake.StatusSubscribed); err != nil {
			t.Fatal(err)
		}
	}
	sup, err := e.client.Suppressions(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sup) != len(want) {
		t.Fatalf("%d suppressions, want %d", len(sup), len(want))
	}
	for _, s := range sup {
		if want[s.Email] != s.Status || s.Message == "" {
			t.Fatalf("suppression %+v", s)
		}
		delete(want, s.Email)
	}
	if len(want) != 0 {
		t.Fatalf("%d missing", len(want))
	}
	// ceil(1200/1000) + ceil(1001/1000) = 2 + 2 pages.
	if n := e.fake.Stats().Requests["getListsIdMembers"]; n != 4 {
		t.Fatalf("%d list calls, want 4", n)
	}
}

func TestDeleteForgetsTheAddress(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	e.mustApply(t, []email.Change{{ProfileID: "p1", Email: "Erase.Me@shop.test", Consent: true, Add: []string{"cohort:a"}}})
	if err := e.client.Delete(ctxT(t), "erase.me@shop.test"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.fake.Member("erase.me@shop.test"); ok || !e.fake.Forgotten("erase.me@shop.test") {
		t.Fatal("member not deleted permanently")
	}
	// Deleting what the platform does not have is not an error.
	if err := e.client.Delete(ctxT(t), "erase.me@shop.test"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := e.client.Delete(ctxT(t), "never@shop.test"); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	// A later sync cannot bring it back: the refusal is learned as forgotten.
	outs := e.mustApply(t, []email.Change{{ProfileID: "p1", Email: "erase.me@shop.test", Consent: true, Add: []string{"cohort:b"}}})
	if outs[0].Status != email.StatusForgotten || !strings.HasPrefix(outs[0].Message, "Forgotten Email Not Subscribed") || strings.Contains(outs[0].Message, "erase.me") {
		t.Fatalf("outcome %+v", outs[0])
	}
	if _, ok := e.fake.Member("erase.me@shop.test"); ok {
		t.Fatal("forgotten address re-created")
	}
}

func TestDeleteOtherErrorsAreReported(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, func(o *Options) { o.MaxAttempts = 1 })
	e.fake.FailNext(1, 500, 0)
	err := e.client.Delete(ctxT(t), "x@shop.test")
	if err == nil || email.IsPermanent(err) || strings.Contains(err.Error(), "x@shop.test") {
		t.Fatalf("err %v", err)
	}
}

func TestSizesCountsEveryStatus(t *testing.T) {
	e := newEnv(t, mailchimpfake.Options{}, nil)
	var changes []email.Change
	for i := range 30 {
		ch := email.Change{ProfileID: fmt.Sprint(i), Email: fmt.Sprintf("m%d@shop.test", i), Add: []string{"cohort:all"}}
		if i%3 == 0 {
			ch.Add = append(ch.Add, "cohort:third")
		}
		ch.Consent = i%2 == 0
		changes = append(changes, ch)
	}
	e.mustApply(t, changes)
	if err := e.fake.SetStatus("m0@shop.test", mailchimpfake.StatusUnsubscribed); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.Sizes(ctxT(t), []string{"cohort:all", "cohort:third", "cohort:none"})
	if err != nil {
		t.Fatal(err)
	}
	if got["cohort:all"] != 30 || got["cohort:third"] != 10 || got["cohort:none"] != 0 || len(got) != 3 {
		t.Fatalf("sizes %v", got)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "api_key is required"},
		{Options{APIKey: "abc-us1"}, "audience_id is required"},
		{Options{APIKey: "abc", AudienceID: "l1"}, "data-center suffix"},
		{Options{APIKey: "abc-us1", AudienceID: "l 1"}, "not a Mailchimp list id"},
		{Options{APIKey: "abc-us1", AudienceID: "l1", MaxConnections: 11}, "max_connections 11"},
		{Options{APIKey: "abc-us1", AudienceID: "l1", BatchSize: 5000}, "batch_size 5000"},
		{Options{APIKey: "abc-us1", AudienceID: "l1", BaseURL: "ftp://x"}, "base_url"},
	} {
		_, err := New(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.opts, err, tc.want)
		}
		if err != nil && tc.opts.APIKey != "" && strings.Contains(err.Error(), tc.opts.APIKey) {
			t.Errorf("error leaks the key: %v", err)
		}
	}
	c, err := New(Options{APIKey: "0123abcd-us21", AudienceID: "a1b2c3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.BaseURL != "https://us21.api.mailchimp.com/3.0" || c.BatchSize() != 500 || c.opts.MaxConnections != 10 {
		t.Fatalf("defaults %+v", c.opts)
	}
}

func TestMaskAddresses(t *testing.T) {
	got := maskAddresses("ann.lee@Shop.test is already a list member; so is bob@x.org.")
	if strings.Contains(got, "ann.lee") || strings.Contains(got, "bob@") || !strings.Contains(got, "a***@shop.test") {
		t.Fatalf("%q", got)
	}
}
