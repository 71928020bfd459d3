package privacy

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/segmenter"
)

var (
	t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

// Personal data of the fixture, searched for in audit lines and logs.
const (
	annEmail = "ann@example.org"
	annPhone = "4155550101"
	bobEmail = "bob@example.net"
)

// fixture is a store with two stores' records, rebuilt profiles, memberships, membership
// events, applied state for one destination and cannot-link entries:
//
//	Ann   shop-a customer 1 + order 500, shop-a guest order 501, woo-b customer 9 + order w-77
//	Bob   shop-a customer 2 + order 600
//	Dora  shop-a guest order 502
//	Carl  woo-b customer 5 + order w-80
type fixture struct {
	st   *store.Store
	opts Options
	logs *bytes.Buffer
	ann  string // profile ids
	bob  string
	carl string
}

func customers() []profiles.CustomerRecord {
	return []profiles.CustomerRecord{
		{Store: "shop-a", ID: "1", Email: "Ann@Example.org", Phone: "+1 415 555 0101", FirstName: "Ann", LastName: "Lee",
			Addresses: []profiles.Address{{Address1: "1 Market St", City: "San Francisco", Country: "US"}}, UpdatedAt: t1, CreatedAt: t0},
		{Store: "shop-a", ID: "2", Email: bobEmail, FirstName: "Bob", LastName: "Stone", UpdatedAt: t0, CreatedAt: t0},
		{Store: "woo-b", ID: "9", Email: annEmail, FirstName: "Ann", LastName: "Lee-Woo",
			Addresses: []profiles.Address{{Address1: "3 rue Neuve", City: "Lyon", Country: "FR"}}, UpdatedAt: t0, CreatedAt: t0},
		{Store: "woo-b", ID: "5", Email: "carl@example.com", FirstName: "Carl", LastName: "Marx", UpdatedAt: t0, CreatedAt: t0},
	}
}

func orders() []profiles.OrderRecord {
	o := func(st, id, cust, email string, total string) profiles.OrderRecord {
		return profiles.OrderRecord{Store: st, ID: id, CustomerID: cust, Email: email, CreatedAt: t0, UpdatedAt: t0,
			Currency: "USD", Total: decimal.RequireFromString(total)}
	}
	return []profiles.OrderRecord{
		o("shop-a", "500", "1", annEmail, "40"),
		o("shop-a", "501", "", " ANN@example.org", "15"),
		o("shop-a", "502", "", "dora@example.com", "22"),
		o("shop-a", "600", "2", bobEmail, "70"),
		o("woo-b", "w-77", "9", annEmail, "55"),
		o("woo-b", "w-80", "5", "carl@example.com", "30"),
	}
}

// newFixture builds the fixture with the configured build options, but with identity
// resolution's model fixed (merges by email only) unless fitted is set: fitting it samples
// 500,000 random pairs however few the records, half a second per rebuild under -race.
func newFixture(t *testing.T, fitted ...bool) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "cohortd.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	build, err := ingest.BuildOptions(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(fitted) == 0 || !fitted[0] {
		build.Identity.Model = &identity.Model{Lambda: 0.01}
	}
	logs := &bytes.Buffer{}
	f := &fixture{st: st, logs: logs, opts: Options{Build: build, Logger: zerolog.New(logs),
		Now: func() time.Time { return t1.Add(time.Hour) }}}

	w := ingest.NewWriter(st, 100)
	for _, c := range customers() {
		if err := w.AddCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range orders() {
		if err := w.AddOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Rebuild(ctx, st, build); err != nil {
		t.Fatal(err)
	}
	f.ann, f.bob, f.carl = f.profileOf(t, "shop-a/customer/1"), f.profileOf(t, "shop-a/customer/2"), f.profileOf(t, "woo-b/customer/5")
	if got := f.profileOf(t, "woo-b/customer/9"); got != f.ann {
		t.Fatalf("fixture: Ann's two stores are not one profile: %s and %s", f.ann, got)
	}
	if got := f.profileOf(t, "shop-a/guest_order/501"); got != f.ann {
		t.Fatalf("fixture: Ann's guest order is in profile %s, not %s", got, f.ann)
	}

	segOpts, err := segmenter.BuildOptions(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := segmenter.Recompute(ctx, st, segOpts, t1); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i, id := range []string{f.ann, f.bob, f.carl} {
			at := t1.Add(time.Duration(i) * time.Minute)
			ev := segmenter.Event{At: at, ProfileID: id, Entered: []string{"lifecycle-active"}, Reason: "profile changed"}
			if err := tx.PutValue(store.Memberships, []byte(eventPrefix+at.Format(auditTimeLayout)+"/"+id), ev); err != nil {
				return err
			}
			rec := segmenter.Record{Segments: []string{"lifecycle-active"}, Since: at}
			if err := tx.PutValue(store.Applied, []byte(appliedPrefix+"mailchimp/"+id), rec); err != nil {
				return err
			}
		}
		for _, k := range []string{"unmerge/shop-a/customer/2|woo-b/customer/5", "unmerge/shop-a/guest_order/502|woo-b/customer/5"} {
			if err := tx.Put(store.MergeAudit, []byte(k), []byte("2024-03-02T00:00:00Z")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	members, err := segmenter.Memberships(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.ann, f.bob, f.carl} {
		if _, ok := members[id]; !ok {
			t.Fatalf("fixture: no memberships stored for %s", id)
		}
	}
	return f
}

// profileOf is the profile the source index names for ref, "" when none.
func (f *fixture) profileOf(t *testing.T, ref string) string {
	t.Helper()
	v, err := f.st.Get(store.Indexes, []byte(sourceIndex+ref))
	if err != nil {
		return ""
	}
	return string(v)
}

// keys lists the keys of bucket b under prefix.
func (f *fixture) keys(t *testing.T, b store.Bucket, prefix string) []string {
	t.Helper()
	var out []string
	err := f.st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(b, []byte(prefix), func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// has reports whether key is in bucket b.
func (f *fixture) has(t *testing.T, b store.Bucket, key string) bool {
	t.Helper()
	_, err := f.st.Get(b, []byte(key))
	return err == nil
}

// profile reads a stored profile.
func (f *fixture) profile(t *testing.T, id string) profiles.Profile {
	t.Helper()
	var p profiles.Profile
	if err := f.st.GetValue(store.Profiles, []byte(id), &p); err != nil {
		t.Fatalf("profile %s: %v", id, err)
	}
	return p
}

// profileKeys lists what is keyed by one profile id outside the profiles bucket.
func (f *fixture) profileKeys(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	err := f.st.View(func(tx *store.Tx) error {
		for _, b := range []store.Bucket{store.Profiles, store.Indexes, store.Memberships, store.Applied, store.MergeAudit} {
			if err := tx.ForEach(b, func(k, v []byte) error {
				if bytes.Contains(k, []byte(id)) || (b == store.Indexes && string(v) == id) {
					out = append(out, fmt.Sprintf("%s:%s", b, k))
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
	slices.Sort(out)
	return out
}

func refKeys(rs []profiles.SourceRef) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key()
	}
	slices.Sort(out)
	return out
}

func orderIDs(os []profiles.OrderRecord) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Store + "/" + o.ID
	}
	slices.Sort(out)
	return out
}

// profileID is the id of a profile whose smallest source is ref ("store/kind/id").
func profileID(ref string) string {
	parts := strings.SplitN(ref, "/", 3)
	return profiles.ProfileID(profiles.SourceRef{Store: parts[0], Kind: parts[1], ID: parts[2]})
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}
