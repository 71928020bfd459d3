package privacy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/webhook"
)

func TestRedactCustomerKeepsTheOtherStoresData(t *testing.T) {
	f := newFixture(t, true) // identity model fitted, as the daemon runs it
	ctx := context.Background()
	before := f.profile(t, f.ann)
	if before.LastName != "Lee" {
		t.Fatalf("fixture: merged last name %q, want shop-a's newer %q", before.LastName, "Lee")
	}
	res, err := RedactCustomer(ctx, f.st, f.opts, Request{Store: "shop-a", CustomerID: "1", Email: annEmail,
		OrderIDs: []string{"500"}, RequestID: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 1 || res.Orders != 2 {
		t.Fatalf("erased %d customers, %d orders; want 1 and 2 (500 and guest 501)", res.Customers, res.Orders)
	}
	for _, k := range []string{"customer/shop-a/1", "order/shop-a/500", "order/shop-a/501"} {
		if f.has(t, store.SourceRecords, k) {
			t.Errorf("%s is still stored", k)
		}
	}
	for _, k := range []string{"customer/shop-a/2", "order/shop-a/502", "order/shop-a/600", "customer/woo-b/9", "order/woo-b/w-77"} {
		if !f.has(t, store.SourceRecords, k) {
			t.Errorf("%s was erased: it is not the customer's", k)
		}
	}

	now, err := ingest.Lookup(f.st, annEmail)
	if err != nil {
		t.Fatalf("Ann's woo-b profile is gone: %v", err)
	}
	if got := refKeys(now.Sources); !slices.Equal(got, []string{"woo-b/customer/9"}) {
		t.Fatalf("sources = %v, want woo-b's only", got)
	}
	if now.LastName != "Lee-Woo" || len(now.Addresses) != 1 || now.Addresses[0].City != "Lyon" {
		t.Fatalf("fields = %q %+v, want woo-b's (Lee-Woo, Lyon)", now.LastName, now.Addresses)
	}
	for field, src := range now.FieldSources {
		if strings.HasPrefix(src, "shop-a/") {
			t.Fatalf("field %s still comes from %s", field, src)
		}
	}
	if len(now.Phones) != 0 {
		t.Fatalf("phones = %+v: shop-a's phone survived", now.Phones)
	}
	if len(now.Orders) != 1 || now.Orders[0].ID != "woo-b/w-77" {
		t.Fatalf("orders = %+v, want woo-b/w-77 only", now.Orders)
	}
	for _, ref := range []string{"shop-a/customer/1", "shop-a/guest_order/501"} {
		if id := f.profileOf(t, ref); id != "" {
			t.Errorf("source index still maps %s to %s", ref, id)
		}
	}

	// The profile id derives from the smallest source key: shop-a's is gone, so is the id.
	if now.ID == f.ann {
		t.Fatalf("profile kept id %s derived from an erased record", f.ann)
	}
	if !slices.Equal(res.ProfilesRemoved, []string{f.ann}) || !slices.Equal(res.ProfilesChanged, []string{now.ID}) {
		t.Fatalf("removed %v changed %v, want [%s] [%s]", res.ProfilesRemoved, res.ProfilesChanged, f.ann, now.ID)
	}
	if keys := f.profileKeys(t, f.ann); len(keys) != 0 {
		t.Fatalf("still keyed by the removed profile: %v", keys)
	}
	if len(res.Applied) != 1 {
		t.Fatalf("applied rows removed = %+v, want mailchimp's row of %s", res.Applied, f.ann)
	}
	a := res.Applied[0]
	if a.Destination != "mailchimp" || a.ProfileID != f.ann || !slices.Equal(a.Segments, []string{"lifecycle-active"}) ||
		!slices.Contains(a.Emails, annEmail) || a.Successor != now.ID {
		t.Fatalf("applied row = %+v", a)
	}
	if res.Memberships != 1 || res.Events != 1 {
		t.Fatalf("memberships %d events %d removed, want 1 and 1", res.Memberships, res.Events)
	}
	// Bob and Carl are untouched.
	for _, id := range []string{f.bob, f.carl} {
		if !f.has(t, store.Memberships, memberPrefix+id) || !f.has(t, store.Applied, appliedPrefix+"mailchimp/"+id) {
			t.Errorf("memberships or applied state of %s removed", id)
		}
	}
}

func TestRedactSingleStorePersonDeletesTheProfile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if keys := f.profileKeys(t, f.bob); len(keys) < 5 {
		t.Fatalf("fixture: Bob's profile is keyed by %v only", keys)
	}
	res, err := RedactCustomer(ctx, f.st, f.opts, Request{Store: "shop-a", CustomerID: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 1 || res.Orders != 1 || !slices.Equal(res.ProfilesRemoved, []string{f.bob}) || len(res.ProfilesChanged) != 0 {
		t.Fatalf("result = %+v", res)
	}
	if _, err := ingest.Lookup(f.st, f.bob); !errors.Is(err, ingest.ErrNoProfile) {
		t.Fatalf("Bob's profile: %v, want ErrNoProfile", err)
	}
	if keys := f.profileKeys(t, f.bob); len(keys) != 0 {
		t.Fatalf("still keyed by Bob's profile: %v", keys)
	}
	for _, k := range []string{"email/" + bobEmail, "source/shop-a/customer/2"} {
		if f.has(t, store.Indexes, k) {
			t.Errorf("index %s survived", k)
		}
	}
	if f.has(t, store.MergeAudit, "unmerge/shop-a/customer/2|woo-b/customer/5") || res.Unmerges != 1 {
		t.Errorf("cannot-link entry naming Bob survived (%d removed)", res.Unmerges)
	}
	if !f.has(t, store.MergeAudit, "unmerge/shop-a/guest_order/502|woo-b/customer/5") {
		t.Errorf("cannot-link entry of Dora removed")
	}
	if len(res.Applied) != 1 || res.Applied[0].ProfileID != f.bob || res.Applied[0].Successor != "" {
		t.Fatalf("applied = %+v", res.Applied)
	}
	// Everyone else keeps their profile, memberships and history.
	for _, id := range []string{f.ann, f.carl} {
		f.profile(t, id)
		if !f.has(t, store.Memberships, memberPrefix+id) {
			t.Errorf("memberships of %s removed", id)
		}
	}
	if evs := f.keys(t, store.Memberships, eventPrefix); len(evs) != 2 {
		t.Fatalf("events left = %v, want Ann's and Carl's", evs)
	}
}

func TestRedactIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := Request{Store: "shop-a", CustomerID: "1", Email: annEmail, OrderIDs: []string{"500"}}
	if res, err := RedactCustomer(ctx, f.st, f.opts, req); err != nil || res.Customers != 1 {
		t.Fatalf("first redact: %+v, %v", res, err)
	}
	snapshot := func() []string {
		var out []string
		for _, b := range []store.Bucket{store.SourceRecords, store.Profiles, store.Indexes, store.Memberships, store.Applied} {
			for _, k := range f.keys(t, b, "") {
				out = append(out, string(b)+":"+k)
			}
		}
		return out
	}
	before := snapshot()
	for range 2 {
		res, err := RedactCustomer(ctx, f.st, f.opts, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Customers != 0 || res.Orders != 0 || len(res.ProfilesRemoved) != 0 || len(res.ProfilesChanged) != 0 ||
			len(res.Applied) != 0 || res.Memberships != 0 || res.Events != 0 {
			t.Fatalf("repeated redact = %+v, want zero counts", res)
		}
	}
	if after := snapshot(); !slices.Equal(before, after) {
		t.Fatalf("a repeated redact changed the store:\n before %v\n after  %v", before, after)
	}
	lines, err := AuditLines(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0].Customers != 1 || lines[1].Customers != 0 || lines[2].Orders != 0 {
		t.Fatalf("audit lines = %+v, want one with counts then two with zeros", lines)
	}
	if res, err := RedactShop(ctx, f.st, f.opts, "shop-a"); err != nil || res.Customers != 1 {
		t.Fatalf("shop redact after: %+v, %v (Bob is left)", res, err)
	}
	if res, err := RedactShop(ctx, f.st, f.opts, "shop-a"); err != nil || res.Customers+res.Orders+len(res.ProfilesRemoved) != 0 {
		t.Fatalf("repeated shop redact: %+v, %v", res, err)
	}
}

func TestRedactShopErasesThatStoreOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wooBefore := slices.Concat(f.keys(t, store.SourceRecords, "customer/woo-b/"), f.keys(t, store.SourceRecords, "order/woo-b/"))
	carl := f.profile(t, f.carl)
	res, err := RedactShop(ctx, f.st, f.opts, "shop-a")
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 2 || res.Orders != 4 {
		t.Fatalf("erased %d customers %d orders, want 2 and 4", res.Customers, res.Orders)
	}
	if left := slices.Concat(f.keys(t, store.SourceRecords, "customer/shop-a/"), f.keys(t, store.SourceRecords, "order/shop-a/")); len(left) != 0 {
		t.Fatalf("shop-a records left: %v", left)
	}
	wooAfter := slices.Concat(f.keys(t, store.SourceRecords, "customer/woo-b/"), f.keys(t, store.SourceRecords, "order/woo-b/"))
	if !slices.Equal(wooBefore, wooAfter) || len(wooAfter) != 4 {
		t.Fatalf("woo-b records %v, want %v", wooAfter, wooBefore)
	}
	if left := f.keys(t, store.Indexes, "source/shop-a/"); len(left) != 0 {
		t.Fatalf("source index entries of shop-a left: %v", left)
	}
	var ids []string
	err = f.st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Profiles, func(k, v []byte) error {
			ids = append(ids, string(k))
			if bytes.Contains(v, []byte("shop-a")) {
				t.Errorf("profile %s still mentions shop-a", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || !slices.Contains(ids, f.carl) {
		t.Fatalf("profiles = %v, want Carl's %s and Ann's woo-b one", ids, f.carl)
	}
	if got := f.profile(t, f.carl); got.LastName != carl.LastName || !slices.Equal(refKeys(got.Sources), refKeys(carl.Sources)) {
		t.Fatalf("Carl's profile changed: %+v", got)
	}
	if !slices.Equal(res.ProfilesRemoved, sorted(f.ann, f.bob, profileID("shop-a/guest_order/502"))) {
		t.Fatalf("removed %v", res.ProfilesRemoved)
	}
	if len(f.keys(t, store.MergeAudit, "unmerge/")) != 0 || res.Unmerges != 2 {
		t.Fatalf("cannot-link entries naming shop-a left (%d removed)", res.Unmerges)
	}
}

func TestEraseEmailAcrossStores(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := EraseEmail(ctx, f.st, f.opts, " ANN@example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 2 || res.Orders != 3 {
		t.Fatalf("erased %d customers %d orders, want 2 (shop-a/1, woo-b/9) and 3 (500, 501, w-77)", res.Customers, res.Orders)
	}
	for _, k := range []string{"customer/shop-a/1", "customer/woo-b/9", "order/shop-a/500", "order/shop-a/501", "order/woo-b/w-77"} {
		if f.has(t, store.SourceRecords, k) {
			t.Errorf("%s survived", k)
		}
	}
	if n := len(f.keys(t, store.SourceRecords, "")); n != 5 {
		t.Fatalf("%d records left, want Bob's, Dora's and Carl's 5", n)
	}
	if _, err := ingest.Lookup(f.st, annEmail); !errors.Is(err, ingest.ErrNoProfile) {
		t.Fatalf("lookup by address after erasure: %v", err)
	}
	if keys := f.profileKeys(t, f.ann); len(keys) != 0 {
		t.Fatalf("still keyed by Ann's profile: %v", keys)
	}
	if !slices.Equal(res.ProfilesRemoved, []string{f.ann}) || len(res.ProfilesChanged) != 0 {
		t.Fatalf("removed %v changed %v", res.ProfilesRemoved, res.ProfilesChanged)
	}
	if again, err := EraseEmail(ctx, f.st, f.opts, annEmail); err != nil || again.Customers+again.Orders+len(again.ProfilesRemoved) != 0 {
		t.Fatalf("second erasure: %+v, %v", again, err)
	}
	if _, err := EraseEmail(ctx, f.st, f.opts, "  "); err == nil {
		t.Fatal("an empty address was accepted")
	}
}

func TestEraseEmailTakesTheWholeProfile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Eve's woo-b account holds no address: it joins her shop-a one through the address of
	// its order. Erasing by that address must take the account too: the profile is the person.
	w := ingest.NewWriter(f.st, 10)
	for _, err := range []error{
		w.AddCustomer(ctx, profiles.CustomerRecord{Store: "shop-a", ID: "7", Email: "eve@example.com", FirstName: "Eve", UpdatedAt: t0}),
		w.AddCustomer(ctx, profiles.CustomerRecord{Store: "woo-b", ID: "12", FirstName: "Eve", UpdatedAt: t0}),
		w.AddOrder(ctx, profiles.OrderRecord{Store: "woo-b", ID: "w-90", CustomerID: "12", Email: "eve@example.com",
			CreatedAt: t0, Currency: "USD", Total: decimal.RequireFromString("9")}),
		w.Flush(ctx),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ingest.Rebuild(ctx, f.st, f.opts.Build); err != nil {
		t.Fatal(err)
	}
	eve := f.profileOf(t, "shop-a/customer/7")
	if eve == "" || f.profileOf(t, "woo-b/customer/12") != eve {
		t.Fatalf("fixture: Eve's accounts are in profiles %q and %q", eve, f.profileOf(t, "woo-b/customer/12"))
	}
	res, err := EraseEmail(ctx, f.st, f.opts, "eve@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers != 2 || res.Orders != 1 || f.has(t, store.SourceRecords, "customer/woo-b/12") {
		t.Fatalf("erasure left the account without an address: %+v", res)
	}
	if keys := f.profileKeys(t, eve); len(keys) != 0 {
		t.Fatalf("still keyed by Eve's profile: %v", keys)
	}
	if n := len(f.keys(t, store.SourceRecords, "")); n != 10 {
		t.Fatalf("%d records left, want the fixture's 10", n)
	}
}

func TestAuditLinesAndLogsHoldNoPersonalData(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := RedactCustomer(ctx, f.st, f.opts, Request{Store: "shop-a", CustomerID: "1", Email: annEmail, RequestID: "r-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := EraseEmail(ctx, f.st, f.opts, annEmail); err != nil {
		t.Fatal(err)
	}
	if _, err := RedactShop(ctx, f.st, f.opts, "shop-a"); err != nil {
		t.Fatal(err)
	}
	lines, err := AuditLines(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d audit lines, want 3", len(lines))
	}
	want := []AuditLine{
		{Action: ActionRedactCustomer, Store: "shop-a", Subject: subjectHash("customer", "shop-a/1"), RequestID: "r-1", Customers: 1, Orders: 2},
		{Action: ActionEraseEmail, Subject: subjectHash("email", annEmail), Customers: 1, Orders: 1},
		{Action: ActionRedactShop, Store: "shop-a", Customers: 1, Orders: 2},
	}
	for i, w := range want {
		l := lines[i]
		if l.Action != w.Action || l.Store != w.Store || l.Subject != w.Subject || l.RequestID != w.RequestID ||
			l.Customers != w.Customers || l.Orders != w.Orders || l.At.IsZero() {
			t.Errorf("audit line %d = %+v, want %+v", i, l, w)
		}
	}
	if len(lines[0].Subject) != 16 {
		t.Errorf("subject %q is not a 16-hex-digit hash prefix", lines[0].Subject)
	}

	pii := []string{annEmail, "Ann@Example.org", "ann@", "example.org", bobEmail, "dora@", "carl@", annPhone, "555", "Ann", "Lee", "Bob", "Stone", "Market St"}
	err = f.st.View(func(tx *store.Tx) error {
		for _, b := range []store.Bucket{store.MergeAudit, store.Meta} {
			if err := tx.ForEach(b, func(k, v []byte) error {
				for _, s := range pii {
					if bytes.Contains(k, []byte(s)) || bytes.Contains(v, []byte(s)) {
						t.Errorf("%s/%s holds %q", b, k, s)
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.keys(t, store.Meta, pendingPrefix)); n != 0 {
		t.Fatalf("%d pending markers left", n)
	}
	logs := f.logs.String()
	if strings.Count(logs, "privacy: erasure done") != 3 {
		t.Fatalf("logs = %s, want three lines", logs)
	}
	for _, s := range pii {
		if strings.Contains(logs, s) {
			t.Errorf("logs hold %q", s)
		}
	}
}

func TestResumeFinishesAnInterruptedErasure(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	line := AuditLine{At: f.opts.now(), Action: ActionRedactCustomer, Store: "shop-a", Subject: subjectHash("customer", "shop-a/2")}
	key, _, err := begin(ctx, f.st, line, func(tx *store.Tx) (*selection, error) {
		return selectCustomer(tx, Request{Store: "shop-a", CustomerID: "2"})
	})
	if err != nil || key == nil {
		t.Fatalf("begin: %q, %v", key, err)
	}
	// The process dies here: Bob's records are gone, his profile is not.
	f.profile(t, f.bob)
	if f.has(t, store.SourceRecords, "customer/shop-a/2") {
		t.Fatal("records not deleted by the first step")
	}
	// The next erasure of anyone finishes Bob's first.
	if _, err := RedactCustomer(ctx, f.st, f.opts, Request{Store: "woo-b", CustomerID: "5"}); err != nil {
		t.Fatal(err)
	}
	if keys := f.profileKeys(t, f.bob); len(keys) != 0 {
		t.Fatalf("still keyed by Bob's profile: %v", keys)
	}
	lines, err := AuditLines(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !lines[0].Resumed || lines[0].Customers != 1 || lines[0].ProfilesRemoved != 1 || lines[1].Resumed {
		t.Fatalf("audit lines = %+v", lines)
	}
	if rs, err := Resume(ctx, f.st, f.opts); err != nil || len(rs) != 0 {
		t.Fatalf("resume with nothing pending: %v, %v", rs, err)
	}
}

func TestConcurrentErasures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, req := range []Request{{Store: "shop-a", CustomerID: "2"}, {Store: "woo-b", CustomerID: "5"}, {Store: "shop-a", Email: "dora@example.com"}} {
		wg.Go(func() {
			_, errs[i] = RedactCustomer(ctx, f.st, f.opts, req)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := f.st.View(func(tx *store.Tx) error {
		return tx.ForEach(store.Profiles, func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{f.ann}) {
		t.Fatalf("profiles left %v, want Ann's only", ids)
	}
}

// A dead-lettered webhook delivery keeps its raw body: the erasure of a person deletes their
// store's dead letters that hold their address, and a shop's erasure all of that shop's.
func TestErasureDeletesDeadLetteredDeliveriesOfThePerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	put := func(seq uint64, storeID, body string) {
		dl := webhook.DeadLetter{Envelope: webhook.Envelope{Platform: "shopify", Store: storeID, Topic: "customers/update",
			EventID: fmt.Sprint(seq), Body: []byte(body)}, Reason: "undecodable", RejectedAt: t0, Seq: seq}
		if err := f.st.PutValue(ctx, store.DeadLetters, []byte(deadKey(seq)), dl); err != nil {
			t.Fatal(err)
		}
	}
	put(1, "shop-a", `{"id":2,"email":"BOB@example.net","first_name":"Bob"}`) // Bob's, in his store
	put(2, "shop-a", `{"id":1,"email":"ann@example.org"}`)                    // Ann's
	put(3, "woo-b", `{"billing":{"email":"bob@example.net"}}`)                // another store
	res, err := RedactCustomer(ctx, f.st, f.opts, Request{Store: "shop-a", CustomerID: "2"})
	if err != nil || res.DeadLetters != 1 {
		t.Fatalf("redact: %+v, %v", res, err)
	}
	if left := f.keys(t, store.DeadLetters, "webhook/"); len(left) != 2 || f.has(t, store.DeadLetters, deadKey(1)) {
		t.Fatalf("dead letters left: %v", left)
	}
	res, err = RedactShop(ctx, f.st, f.opts, "woo-b")
	if err != nil || res.DeadLetters != 1 || f.has(t, store.DeadLetters, deadKey(3)) {
		t.Fatalf("shop redact: %+v, %v", res, err)
	}
	if !f.has(t, store.DeadLetters, deadKey(2)) {
		t.Fatal("Ann's dead letter went too")
	}
	lines, _ := AuditLines(f.st)
	if last := lines[len(lines)-1]; last.DeadLetters != 1 {
		t.Fatalf("audit line = %+v", last)
	}
}

// deadKey is sync/webhook's dead-letter key: "webhook/" and the sequence, 8 bytes big endian.
func deadKey(seq uint64) string {
	return "webhook/" + string(binary.BigEndian.AppendUint64(nil, seq))
}
