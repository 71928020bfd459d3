package shopify

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestShopTarget(t *testing.T) {
	for _, tc := range []struct {
		in, name, base string
		bad            bool
	}{
		{in: "acme", name: "acme"},
		{in: "Acme-Store.myshopify.com", name: "acme-store.myshopify.com"},
		{in: "http://127.0.0.1:8080/", name: localShopName, base: "http://127.0.0.1:8080"},
		{in: "https://acme.myshopify.com", name: localShopName, base: "https://acme.myshopify.com"},
		{in: "", bad: true},
		{in: "acme/evil", bad: true},
		{in: "ftp://x", bad: true},
	} {
		name, base, err := shopTarget(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want an error", tc.in)
			}
			continue
		}
		got := ""
		if base != nil {
			got = base.String()
		}
		if err != nil || name != tc.name || got != tc.base {
			t.Errorf("%q: got (%q, %q, %v), want (%q, %q)", tc.in, name, got, err, tc.name, tc.base)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Shop: "acme"},
		{Shop: "acme", AccessToken: "x", APIVersion: "2025-4"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): want an error", o)
		}
	}
}

func TestDoSendsVersionAndToken(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer {
		return okCost(`{"shop":{"name":"Acme","myshopifyDomain":"acme.myshopify.com","currencyCode":"EUR","ianaTimezone":"Europe/Paris","plan":{"displayName":"Basic","shopifyPlus":false}}}`, 1, 1, 1999)
	})
	c := newTestClient(t, s, func(o *Options) { o.APIVersion = "2024-10" })
	shop, err := c.Shop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if shop.Name != "Acme" || shop.CurrencyCode != "EUR" || shop.IanaTimezone != "Europe/Paris" || shop.Plan.DisplayName != "Basic" {
		t.Errorf("shop = %+v", shop)
	}
	if s.paths["/admin/api/2024-10/graphql.json"] != 1 || len(s.paths) != 1 {
		t.Errorf("paths = %v, want only /admin/api/2024-10/graphql.json", s.paths)
	}
	st := c.Stats()
	if st.Requests != 1 || st.PointsUsed != 1 || !st.Bucket.Known || st.Bucket.MaximumAvailable != 2000 || st.Bucket.RestoreRate != 100 {
		t.Errorf("stats = %+v", st)
	}
}

func TestConcurrentDoKeepsOneRequestInFlight(t *testing.T) {
	s := newTestShop(t)
	var n atomic.Int64
	s.handle("Shop", func(map[string]any) answer {
		n.Add(1)
		time.Sleep(200 * time.Microsecond)
		return okCost(`{"shop":{"name":"Acme"}}`, 1, 1, 2000)
	})
	c := newTestClient(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				shop, err := c.Shop(context.Background())
				if err == nil && shop.Name != "Acme" {
					err = errors.New("wrong shop " + shop.Name)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n.Load() != 400 || c.Stats().Requests != 400 {
		t.Errorf("server saw %d, client counted %d, want 400", n.Load(), c.Stats().Requests)
	}
	if s.maxInFl != 1 {
		t.Errorf("max requests in flight = %d, want 1", s.maxInFl)
	}
}

func TestRetries5xxThenSucceeds(t *testing.T) {
	s := newTestShop(t)
	var n atomic.Int64
	s.handle("Shop", func(map[string]any) answer {
		switch n.Add(1) {
		case 1:
			return answer{502, `<html><body>Bad Gateway</body></html>`}
		case 2:
			return answer{503, `{"errors":"Service Unavailable"}`}
		}
		return ok(`{"shop":{"name":"Acme"}}`)
	})
	c := newTestClient(t, s)
	shop, err := c.Shop(context.Background())
	if err != nil || shop.Name != "Acme" {
		t.Fatalf("Shop = %+v, %v", shop, err)
	}
	if n.Load() != 3 || c.Stats().Retries != 2 {
		t.Errorf("requests %d retries %d, want 3 and 2", n.Load(), c.Stats().Retries)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer { return answer{500, `{"errors":"Internal Server Error"}`} })
	c := newTestClient(t, s, func(o *Options) { o.MaxAttempts = 3 })
	_, err := c.Shop(context.Background())
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if s.count("Shop") != 3 {
		t.Errorf("%d requests, want 3", s.count("Shop"))
	}
}

func TestUnauthorizedIsPermanentAndHidesToken(t *testing.T) {
	s := newTestShop(t)
	var logs bytes.Buffer
	c := newTestClient(t, s, func(o *Options) { o.AccessToken = "shpat_wrong_secret_token" }, logTo(&logs))
	_, err := c.Shop(context.Background())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "shopify: access token rejected (401)") {
		t.Errorf("err = %q", err)
	}
	if len(s.paths) != 1 || s.paths["/admin/api/2025-04/graphql.json"] != 1 {
		t.Errorf("requests = %v, want exactly one (no retry)", s.paths)
	}
	if strings.Contains(err.Error(), "shpat_wrong_secret_token") || strings.Contains(logs.String(), "shpat_wrong_secret_token") {
		t.Errorf("token leaked: %q / %q", err, logs.String())
	}
}

func TestNotFoundNamesTheVersion(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer { return answer{404, `{"errors":"Not Found"}`} })
	c := newTestClient(t, s, func(o *Options) { o.APIVersion = "2019-01" })
	_, err := c.Shop(context.Background())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "shopify: API version 2019-01 not found (404)") {
		t.Fatalf("err = %v", err)
	}
	if s.count("Shop") != 1 {
		t.Errorf("%d requests, want 1", s.count("Shop"))
	}
}

// Whatever produces the error (a server echoing the token, a dead server), its text and the
// logs never hold the token.
func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer {
		return answer{400, `{"errors":"bad header X-Shopify-Access-Token: ` + testToken + `"}`}
	})
	s.handle("Counts", func(map[string]any) answer {
		return answer{500, `{"errors":"boom ` + testToken + `"}`}
	})
	var logs bytes.Buffer
	c := newTestClient(t, s, logTo(&logs), func(o *Options) { o.MaxAttempts = 2 })
	_, err1 := c.Shop(context.Background())
	_, err2 := c.Counts(context.Background(), "", "")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c2, _ := New(Options{Shop: dead, AccessToken: testToken, MaxAttempts: 2, RetryBase: time.Millisecond})
	_, err3 := c2.Shop(context.Background())
	for i, err := range []error{err1, err2, err3} {
		if err == nil {
			t.Fatalf("call %d: want an error", i)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("call %d: token in error %q", i, err)
		}
	}
	if !strings.Contains(err1.Error(), "[REDACTED]") {
		t.Errorf("err1 = %q, want the token replaced", err1)
	}
	if logs.Len() == 0 || strings.Contains(logs.String(), testToken) {
		t.Errorf("logs (%d bytes) hold the token or nothing: %s", logs.Len(), logs.String())
	}
}

func TestCancelInterruptsBackoffPromptly(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer { return answer{503, `{"errors":"Unavailable"}`} })
	c := newTestClient(t, s, func(o *Options) { o.RetryBase = 10 * time.Second; o.RetryMax = 10 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Shop(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v, want promptly after the cancel", d)
	}
}

func TestGraphQLErrorsAreTyped(t *testing.T) {
	s := newTestShop(t)
	s.handle("Shop", func(map[string]any) answer {
		return answer{200, `{"errors":[{"message":"Field 'bogus' doesn't exist on type 'Shop'","locations":[{"line":2,"column":3}],"path":["query Shop","shop","bogus"],"extensions":{"code":"undefinedField","typeName":"Shop","fieldName":"bogus"}}]}`}
	})
	c := newTestClient(t, s)
	_, err := c.Shop(context.Background())
	var ge *GraphQLError
	if !errors.As(err, &ge) || !ge.HasCode("undefinedField") || ge.Operation != "Shop" {
		t.Fatalf("err = %v, want *GraphQLError undefinedField", err)
	}
	if s.count("Shop") != 1 {
		t.Errorf("retried a GraphQL error: %d requests", s.count("Shop"))
	}
}

func TestUserErrorsAreTypedAndPermanent(t *testing.T) {
	s := newTestShop(t)
	s.handle("TagsAdd", func(v map[string]any) answer {
		return ok(`{"tagsAdd":{"node":null,"userErrors":[{"field":["id"],"message":"Customer does not exist"}]}}`)
	})
	c := newTestClient(t, s)
	err := c.TagsAdd(context.Background(), "gid://shopify/Customer/404", []string{"cohort:vip"})
	var ue *UserErrors
	if !errors.As(err, &ue) || len(ue.Errors) != 1 || ue.Errors[0].Message != "Customer does not exist" {
		t.Fatalf("err = %v, want *UserErrors", err)
	}
	if s.count("TagsAdd") != 1 {
		t.Errorf("%d requests, want 1", s.count("TagsAdd"))
	}
	if err := c.TagsRemove(context.Background(), "gid://shopify/Customer/1", nil); err != nil || s.count("TagsRemove") != 0 {
		t.Errorf("empty TagsRemove: %v, %d requests", err, s.count("TagsRemove"))
	}
}
