package decode

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine, orders per CPU-second
// measure the decoder, where orders per wall-second also measure the neighbours.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Skip("getrusage:", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOrderBulk decodes one bulk-export order with its three line-item lines, the
// backfill's hot path. It reports orders/s; the backfill needs well over 100k/s per core.
func BenchmarkOrderBulk(b *testing.B) {
	orders, children := bulkOrders(b)
	node, lines := orders[0], children[0]
	size := len(node)
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start, cpu := time.Now(), cpuTime(b)
	for b.Loop() {
		if _, err := Order("shop1", node, lines); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
	b.ReportMetric(float64(b.N)/(cpuTime(b)-cpu).Seconds(), "orders/cpu-s")
}

// BenchmarkCustomer decodes one customer node with two addresses.
func BenchmarkCustomer(b *testing.B) {
	node := json.RawMessage(readTestdata(b, "graphql/customer.json"))
	b.SetBytes(int64(len(node)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Customer("shop1", node); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWebhookOrder decodes a full orders/create body (6 KB, REST shape).
func BenchmarkWebhookOrder(b *testing.B) {
	body := readTestdata(b, "webhooks/orders_create.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Webhook("shop1", TopicOrdersCreate, time.Time{}, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHMAC verifies a 6 KB body against two secrets (the second matches).
func BenchmarkVerifyHMAC(b *testing.B) {
	body := readTestdata(b, "webhooks/orders_create.json")
	keys := secrets("old-secret", ownSecret)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !VerifyHMAC(body, ownFileHMAC, keys) {
			b.Fatal("did not verify")
		}
	}
}
