package woofake

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"
)

var simAgents = []string{
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
}

// Simulate creates live store activity until ctx ends, about ratePerSecond events per
// second: orders by existing customers and by guests, customer profile and address changes,
// new customers, refunds and completions, each firing its webhooks. Used by `cohortd demo`.
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
	var cust, ord uint64
	var ordStatus string
	if n := len(f.data.customers); n > 0 {
		if c := f.data.customers[rng.IntN(n)]; c.role == "customer" {
			cust = c.id
		}
	}
	if n := len(f.data.orders); n > 0 {
		o := f.data.orders[rng.IntN(n)]
		ord, ordStatus = o.id, o.status
	}
	f.mu.RUnlock()
	lines := func() []Line {
		out := make([]Line, 1+rng.IntN(3))
		for i := range out {
			p := 10 + rng.IntN(30)
			out[i] = Line{Name: "Product " + strconv.Itoa(p), ProductID: uint64(p), SKU: "SKU-" + strconv.Itoa(1000+p),
				Quantity: 1 + rng.IntN(2), Price: strconv.Itoa(5+rng.IntN(90)) + ".99"}
		}
		return out
	}
	ua := simAgents[rng.IntN(len(simAgents))]
	switch r := rng.Float64(); {
	case r < 0.50 && cust != 0:
		_, _ = f.AddOrder(NewOrder{CustomerID: cust, Lines: lines(), IP: "203.0.113." + strconv.Itoa(1+rng.IntN(250)), UserAgent: ua, PaymentMethod: "stripe"})
	case r < 0.65:
		n := strconv.Itoa(rng.IntN(1_000_000))
		_, _ = f.AddOrder(NewOrder{Billing: Address{FirstName: "Guest", LastName: n, Country: "DE", Email: "guest" + n + "@example.com"},
			Lines: lines(), IP: "198.51.100." + strconv.Itoa(1+rng.IntN(250)), UserAgent: ua, PaymentMethod: "bacs"})
	case r < 0.80 && cust != 0:
		city := []string{"Berlin", "Hamburg", "Munich", "Cologne"}[rng.IntN(4)]
		phone := "030 23125" + strconv.Itoa(100+rng.IntN(900))
		st, _ := f.Customer(cust)
		_ = f.UpdateCustomer(cust, CustomerUpdate{Billing: &Address{City: city, Country: "DE", Phone: phone, Email: st.Email}})
	case r < 0.90:
		n := strconv.Itoa(rng.IntN(1_000_000))
		_, _ = f.AddCustomer(NewCustomer{Email: "new" + n + "@example.com", FirstName: "New", LastName: "Customer" + n})
	case r < 0.96 && ord != 0 && ordStatus != "refunded" && ordStatus != "trash":
		_ = f.UpdateOrder(ord, OrderUpdate{Refund: &Refund{Amount: "5.00", Reason: "Simulated refund"}})
	case ord != 0 && ordStatus == "processing":
		done := "completed"
		_ = f.UpdateOrder(ord, OrderUpdate{Status: &done})
	}
}
