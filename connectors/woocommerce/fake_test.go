package woocommerce_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
)

// Requests the client signs are accepted by the fake's OAuth 1.0a verifier (written
// independently from WooCommerce's PHP), and Basic works over TLS only; a wrong secret is
// refused with WooCommerce's own error.
func TestClientAgainstTheFakesIndependentVerifier(t *testing.T) {
	for _, tls := range []bool{false, true} {
		fake := woofake.New(woofake.Options{TLS: tls})
		if err := fake.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = fake.Close() }()
		for i := range 130 {
			if _, err := fake.AddCustomer(woofake.NewCustomer{Email: "c" + string(rune('a'+i%26)) + "+" + string(rune('a'+i/26)) + "@example.test",
				FirstName: "Zoë & Co", LastName: "O'Brien"}); err != nil {
				t.Fatal(err)
			}
		}
		client, err := woocommerce.New(woocommerce.Options{URL: fake.URL(), ConsumerKey: woofake.DefaultConsumerKey,
			ConsumerSecret: woofake.DefaultConsumerSecret, HTTPClient: fake.HTTPClient(), Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		n := 0
		q := woocommerce.CustomersQuery()
		q.Set("search", "example.test") // a value with a dot, signed like the rest
		if err := client.Walk(ctx, "customers", q, 1, func(p woocommerce.Page) error { n += len(p.Items); return nil }); err != nil {
			t.Fatalf("tls=%v: walk: %v", tls, err)
		}
		if n < 130 {
			t.Fatalf("tls=%v: %d customers listed, want 130+", tls, n)
		}
		errs, err := client.UpdateCustomerMeta(ctx, []woocommerce.MetaUpdate{{CustomerID: int64(fake.CustomerIDs()[1]), Key: "cohort_segments", Value: []string{"cohort:vip"}}})
		if err != nil || len(errs) != 1 || errs[0] != nil {
			t.Fatalf("tls=%v: meta write: %v %v", tls, errs, err)
		}
		if v := fake.Violations(); len(v) > 0 {
			t.Fatalf("tls=%v: violations: %+v", tls, v)
		}
		bad, _ := woocommerce.New(woocommerce.Options{URL: fake.URL(), ConsumerKey: woofake.DefaultConsumerKey,
			ConsumerSecret: "cs_wrong", HTTPClient: fake.HTTPClient(), Logger: zerolog.Nop()})
		if _, err := bad.ListPage(ctx, "customers", woocommerce.CustomersQuery(), 1); !errors.Is(err, woocommerce.ErrUnauthorized) {
			t.Fatalf("tls=%v: wrong secret: %v", tls, err)
		}
	}
}
