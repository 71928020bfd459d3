package shopifyfake

import (
	"context"
	"math/rand/v2"
	"time"
)

// Simulate creates live activity until ctx ends, about ratePerSecond events per second:
// mostly new orders from existing customers (some guests), plus customer updates, new
// customers, refunds and cancellations, each emitting its webhooks. Used by `cohortd demo`.
func (f *Fake) Simulate(ctx context.Context, ratePerSecond float64) error {
	if ratePerSecond <= 0 {
		ratePerSecond = 1
	}
	rng := rand.New(rand.NewPCG(f.opts.Seed, 0x51a))
	tick := time.NewTicker(time.Duration(float64(time.Second) / ratePerSecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		f.simulateOne(rng)
	}
}

func (f *Fake) simulateOne(rng *rand.Rand) {
	f.mu.RLock()
	nc, no := len(f.data.customers), len(f.data.orders)
	var cust, ord uint64
	if nc > 0 {
		if c := &f.data.customers[rng.IntN(nc)]; !c.Deleted {
			cust = c.ID
		}
	}
	if no > 0 {
		ord = f.data.orders[rng.IntN(no)].ID
	}
	var prods []uint64
	for id := range f.data.products {
		prods = append(prods, id)
	}
	f.mu.RUnlock()
	pickLines := func() []NewLine {
		n := 1 + rng.IntN(3)
		lines := make([]NewLine, n)
		for i := range lines {
			var pid uint64
			if len(prods) > 0 {
				pid = prods[rng.IntN(len(prods))]
			}
			lines[i] = NewLine{ProductID: pid, Quantity: 1 + rng.IntN(2), Price: int64(999 + 1000*rng.IntN(8))}
		}
		return lines
	}
	switch r := rng.Float64(); {
	case r < 0.55 && cust != 0:
		_, _ = f.CreateOrder(NewOrder{CustomerID: cust, Lines: pickLines(), ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (fake)"})
	case r < 0.70:
		_, _ = f.CreateOrder(NewOrder{Email: "guest" + itoa(uint64(rng.IntN(1e6))) + "@example.com", Lines: pickLines(), ClientIP: "198.51.100.9", UserAgent: "Mozilla/5.0 (fake)"})
	case r < 0.85 && cust != 0:
		sub := rng.IntN(2) == 0
		_ = f.UpdateCustomer(cust, CustomerUpdate{Subscribed: &sub})
	case r < 0.93:
		n := itoa(uint64(rng.IntN(1e6)))
		_, _ = f.CreateCustomer(NewCustomer{Email: "new" + n + "@example.com", FirstName: "New", LastName: "Customer" + n, Subscribed: rng.IntN(2) == 0})
	case r < 0.97 && ord != 0:
		_ = f.RefundOrder(ord, 0, "Simulated refund")
	case ord != 0:
		_ = f.CancelOrder(ord, "customer")
	}
}
