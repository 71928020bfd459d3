package decode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// sample reads a file of testdata/ (real WooCommerce 10.0.2 output, see SOURCE.md).
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// delivery is one entry of webhook-deliveries.json.
type delivery struct {
	Headers map[string]string `json:"headers"`
	RawBody string            `json:"raw_body"`
}

func deliveries(t testing.TB) map[string]delivery {
	t.Helper()
	var d map[string]delivery
	if err := json.Unmarshal(sample(t, "webhook-deliveries.json"), &d); err != nil {
		t.Fatal(err)
	}
	if len(d) != 6 {
		t.Fatalf("webhook-deliveries.json: %d entries, want 6", len(d))
	}
	return d
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// same compares two records through their JSON form (decimals as numbers, times as
// RFC 3339), and prints both on a difference.
func same(t testing.TB, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}
