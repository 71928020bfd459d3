package ingest

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
)

// A checkpoint is committed with the records added before it, and only with them.
func TestCheckpointCommittedWithItsRecords(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	w := NewWriter(st, 2)
	cs, _ := records()
	if err := w.AddCustomer(ctx, cs[0]); err != nil {
		t.Fatal(err)
	}
	w.Checkpoint([]byte("bulk/shop-a"), []byte("line 1"))
	if got, _ := st.Get(store.Cursors, []byte("bulk/shop-a")); got != nil {
		t.Fatalf("checkpoint visible before its batch committed: %q", got)
	}
	if err := w.AddCustomer(ctx, cs[1]); err != nil { // fills the batch: committed with it
		t.Fatal(err)
	}
	w.Checkpoint([]byte("bulk/shop-a"), []byte("line 2")) // next batch
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(store.Cursors, []byte("bulk/shop-a"))
	if err != nil || string(got) != "line 2" {
		t.Fatalf("checkpoint = %q, %v; want line 2", got, err)
	}
	if w.Written != 2 {
		t.Fatalf("written %d, want 2", w.Written)
	}
}

// A platform order seen twice in one run (page overlap) replaces, never joins.
func TestReplaceOrdersDoesNotJoin(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	o := profiles.OrderRecord{Store: "shop-a", ID: "500", CustomerID: "1", CreatedAt: t0, UpdatedAt: t0,
		Currency: "USD", Total: decimal.RequireFromString("40"),
		Lines: []profiles.LineItem{{Title: "Mug", Quantity: 1, Price: decimal.RequireFromString("40")}}}
	w := NewWriter(st, 1)
	w.ReplaceOrders = true
	for range 2 {
		if err := w.AddOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_, orders, err := LoadRecords(st)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders %d, %v", len(orders), err)
	}
	if len(orders[0].Lines) != 1 || !orders[0].Total.Equal(decimal.RequireFromString("40")) {
		t.Fatalf("order joined: %d lines, total %s", len(orders[0].Lines), orders[0].Total)
	}
}
