package decode

import (
	"sync"
	"testing"

	"github.com/cohortd/cohortd/profiles"
)

// Decoding shares pooled arenas between goroutines: records decoded concurrently, and checked
// only after many more decodes have reused the pool, must equal a serial decode's (run with
// -race).
func TestConcurrentDecode(t *testing.T) {
	orders, children := bulkOrders(t)
	customer := readTestdata(t, "graphql/customer.json")
	sig := func(o profiles.OrderRecord) string {
		return o.ID + "|" + o.Email + "|" + o.Billing.City + "|" + o.Lines[0].Title + "|" + o.Total.String()
	}
	want := make([]string, len(orders))
	for i := range orders {
		o, err := Order("shop1", orders[i], children[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = sig(o)
	}
	wantCustomer, err := Customer("shop1", customer)
	if err != nil {
		t.Fatal(err)
	}

	const workers, rounds = 8, 200
	type result struct {
		order    profiles.OrderRecord
		i        int
		customer profiles.CustomerRecord
	}
	results := make([][]result, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for n := range rounds {
				i := (g + n) % len(orders)
				o, oerr := Order("shop1", orders[i], children[i])
				c, cerr := Customer("shop1", customer)
				if oerr != nil || cerr != nil {
					t.Errorf("decode: %v, %v", oerr, cerr)
					return
				}
				results[g] = append(results[g], result{o, i, c})
			}
		})
	}
	wg.Wait()
	for _, rs := range results {
		for _, r := range rs {
			if got := sig(r.order); got != want[r.i] {
				t.Fatalf("order decoded concurrently: %s, want %s", got, want[r.i])
			}
			if r.customer.Email != wantCustomer.Email || r.customer.Addresses[1] != wantCustomer.Addresses[1] || r.customer.Tags[2] != "cohort:champions" {
				t.Fatalf("customer decoded concurrently: %+v", r.customer)
			}
		}
	}
}
