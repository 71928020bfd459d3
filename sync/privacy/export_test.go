package privacy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExportHoldsThatCustomerOnly(t *testing.T) {
	f := newFixture(t)
	e, err := Export(f.st, Request{Store: "shop-a", CustomerID: "1", OrderIDs: []string{"500"}, RequestID: "dr 42/x"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Customer == nil || e.Customer.Store != "shop-a" || e.Customer.ID != "1" {
		t.Fatalf("customer = %+v, want shop-a/1", e.Customer)
	}
	if got, want := orderIDs(e.Orders), []string{"shop-a/500", "shop-a/501"}; !slices.Equal(got, want) {
		t.Fatalf("orders = %v, want %v (own order and the guest order with the same address)", got, want)
	}
	if len(e.Profiles) != 1 || e.Profiles[0].Profile.ID != f.ann {
		t.Fatalf("profiles = %d, want Ann's %s only", len(e.Profiles), f.ann)
	}
	pe := e.Profiles[0]
	if got, want := refKeys(pe.RequestSources), []string{"shop-a/customer/1", "shop-a/guest_order/501"}; !slices.Equal(got, want) {
		t.Fatalf("request sources = %v, want %v", got, want)
	}
	if got, want := refKeys(pe.OtherSources), []string{"woo-b/customer/9"}; !slices.Equal(got, want) {
		t.Fatalf("other sources = %v, want %v", got, want)
	}
	if pe.Segments == nil || len(pe.Segments.Segments) == 0 {
		t.Fatalf("segments = %+v, want the stored memberships", pe.Segments)
	}
	if len(pe.SegmentHistory) != 1 || pe.SegmentHistory[0].ProfileID != f.ann {
		t.Fatalf("segment history = %+v, want Ann's one event", pe.SegmentHistory)
	}
	if len(pe.Destinations) != 1 || pe.Destinations[0].Destination != "mailchimp" {
		t.Fatalf("destinations = %+v, want mailchimp", pe.Destinations)
	}
	if e.RequestID != "dr-42-x" {
		t.Fatalf("request id = %q, want it made safe", e.RequestID)
	}

	dataDir := t.TempDir()
	path, err := WriteExport(dataDir, e)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != filepath.Join(dataDir, "privacy") {
		t.Fatalf("export written to %s, want under DATA_DIR/privacy", path)
	}
	name := filepath.Base(path)
	if !strings.HasPrefix(name, "export_shop-a_1_") || !strings.HasSuffix(name, "_dr-42-x.json") {
		t.Fatalf("file name %q", name)
	}
	for _, pii := range []string{"@", "ann", "Ann", "Lee"} {
		if strings.Contains(name, pii) {
			t.Fatalf("file name %q holds %q", name, pii)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, want 0700", di.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{bobEmail, "dora@example.com", "carl@example.com", "Stone", "Marx"} {
		if strings.Contains(string(data), other) {
			t.Fatalf("export holds someone else's data: %q", other)
		}
	}
	var back DataExport
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Format != ExportFormat || !slices.Equal(orderIDs(back.Orders), orderIDs(e.Orders)) || back.Profiles[0].Profile.ID != f.ann {
		t.Fatalf("export does not read back: format %q orders %v", back.Format, orderIDs(back.Orders))
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("privacy dir holds %d files, want the export only (no temp file left)", len(entries))
	}
}

func TestExportOfUnknownCustomerIsEmpty(t *testing.T) {
	f := newFixture(t)
	e, err := Export(f.st, Request{Store: "shop-a", CustomerID: "404"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Customer != nil || len(e.Orders) != 0 || len(e.Profiles) != 0 {
		t.Fatalf("export of an unknown customer = %+v, want nothing", e)
	}
	// A request naming a guest order only (Shopify lists orders_requested).
	e, err = Export(f.st, Request{Store: "shop-a", OrderIDs: []string{"502"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := orderIDs(e.Orders); !slices.Equal(got, []string{"shop-a/502"}) || e.Customer != nil {
		t.Fatalf("orders = %v, customer %+v; want the listed guest order only", got, e.Customer)
	}
	if len(e.Profiles) != 1 || !slices.Equal(refKeys(e.Profiles[0].RequestSources), []string{"shop-a/guest_order/502"}) {
		t.Fatalf("profiles = %+v, want Dora's guest profile", e.Profiles)
	}
	if _, err := Export(f.st, Request{Store: "shop-a"}); err == nil {
		t.Fatal("a request naming no customer was accepted")
	}
	if _, err := Export(f.st, Request{Store: "shop-a", CustomerID: "../woo-b/9"}); err == nil {
		t.Fatal("a customer id with '/' was accepted")
	}
}
