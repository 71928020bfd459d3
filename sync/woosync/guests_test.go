package woosync

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce/woofake"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/webhook"
)

// A guest (customer_id 0) is a profile by billing email; when the same person registers
// later, the account joins that profile rather than making a second one. The
// customer.created + customer.updated pair WooCommerce fires for the registration is applied
// once.
func TestGuestWhoRegistersLaterIsLinkedNotDuplicated(t *testing.T) {
	e := newEnv(t, 200)
	ctx := context.Background()
	if _, err := e.s.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	oid, err := e.fake.AddOrder(woofake.NewOrder{Billing: woofake.Address{Email: "Gina.Guest@Example.test", FirstName: "Gina", LastName: "Guest"},
		Lines: []woofake.Line{{Name: "Mug", Quantity: 1, Price: "12.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Rebuild(ctx, e.st, profiles.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := res.Quality.Profiles
	guest := profiles.SourceRef{Store: "woo-b", Kind: profiles.KindGuestOrder, ID: strconv.FormatUint(oid, 10)}
	if p, err := ingest.Lookup(e.st, "gina.guest@example.test"); err != nil || !slices.Contains(p.Sources, guest) {
		t.Fatalf("guest profile = %+v, %v", p.Sources, err)
	}

	// She registers (with her address typed differently): created + updated fire.
	cid, err := e.fake.AddCustomer(woofake.NewCustomer{Email: "gina.guest@example.test", FirstName: "Gina", LastName: "Guest"})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := e.fake.Customer(cid)
	e.change = 0
	envs := []webhook.Envelope{
		{Seq: 1, Platform: Platform, Store: "woo-b", Topic: "customer.created", ReceivedAt: time.Now(), Body: cs.Raw},
		{Seq: 2, Platform: Platform, Store: "woo-b", Topic: "customer.updated", ReceivedAt: time.Now(), Body: cs.Raw},
	}
	if rej, err := e.s.Apply(ctx, envs); err != nil || len(rej) != 0 {
		t.Fatalf("apply: %v %v", rej, err)
	}
	if e.change != 1 {
		t.Fatalf("refresh asked %d times for one registration", e.change)
	}
	res, err = ingest.Rebuild(ctx, e.st, profiles.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality.Profiles != before {
		t.Fatalf("%d profiles after the registration, %d before: the account was not linked to the guest", res.Quality.Profiles, before)
	}
	account := profiles.SourceRef{Store: "woo-b", Kind: profiles.KindCustomer, ID: strconv.FormatUint(cid, 10)}
	p, err := ingest.Lookup(e.st, "gina.guest@example.test")
	if err != nil || !slices.Contains(p.Sources, guest) || !slices.Contains(p.Sources, account) {
		t.Fatalf("profile sources = %+v, %v", p.Sources, err)
	}
	if p.Summary.Orders < 1 {
		t.Fatalf("the guest order is not in the profile's summary: %+v", p.Summary)
	}
}
