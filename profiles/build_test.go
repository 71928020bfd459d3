package profiles

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func defaultOpts(t *testing.T) BuildOptions {
	t.Helper()
	rates, err := normalize.NewRates("USD", []normalize.Rate{
		{From: "EUR", To: "USD", Rate: dec("1.10"), Effective: day("2024-01-01")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return BuildOptions{
		BaseCurrency: "USD",
		Rates:        rates,
		Identity: identity.Options{
			MatchThreshold: 0.9, PossibleThreshold: 0.5,
			DeterministicKeys: []identity.Field{identity.Email, identity.Phone, identity.OtherID},
		},
	}
}

// fixture: Jane has an account in shop-a, a guest order there under a differently typed email,
// and an account in woo-b under a Gmail dot variant. Bob is someone else.
func fixture() ([]CustomerRecord, []OrderRecord) {
	customers := []CustomerRecord{
		{Store: "shop-a", ID: "101", Email: " Jane.Doe@Gmail.com ", FirstName: "JANE", LastName: "doe",
			Phone: "(415) 555-0132", Addresses: []Address{{Address1: "1 Main St", City: "san francisco", Region: "California", Postcode: "94105", Country: "USA"}},
			Consent: Consent{State: "subscribed"}, Tags: []string{"vip"}, CreatedAt: day("2023-05-01"), UpdatedAt: day("2024-06-01")},
		{Store: "woo-b", ID: "7", Email: "janedoe+shop@gmail.com", FirstName: "Jane", LastName: "Doe",
			CreatedAt: day("2022-01-10"), UpdatedAt: day("2024-01-01")},
		{Store: "shop-a", ID: "102", Email: "bob@example.org", CreatedAt: day("2024-02-01"), UpdatedAt: day("2024-02-01")},
	}
	orders := []OrderRecord{
		{Store: "shop-a", ID: "1001", CustomerID: "101", CreatedAt: day("2024-03-01"), Currency: "USD", Total: dec("100.00"), Refunded: dec("20.00"),
			UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", Shipping: Address{Country: "US"},
			Lines: []LineItem{{ProductType: "Shoes", Quantity: 2, Price: dec("50.00")}}},
		{Store: "shop-a", ID: "1002", Email: "JANE.DOE@gmail.com", CreatedAt: day("2024-04-01"), Currency: "EUR", Total: dec("50.00"),
			Billing: Address{FirstName: "Jane", LastName: "Doe", Country: "United States"}},
		{Store: "shop-a", ID: "1003", CustomerID: "101", CreatedAt: day("2024-05-01"), CancelledAt: day("2024-05-02"), Currency: "USD", Total: dec("999.00")},
		{Store: "shop-a", ID: "1004", CustomerID: "102", CreatedAt: day("2024-02-03"), Currency: "GBP", Total: dec("10.00"),
			Billing: Address{FirstName: "Bob", LastName: "Stone", Phone: "+44 7700 900123", Country: "U.K."}},
	}
	return customers, orders
}

func byEmail(t *testing.T, res *BuildResult, email string) Profile {
	t.Helper()
	for _, p := range res.Profiles {
		for _, e := range p.Emails {
			if e.Address == email {
				return p
			}
		}
	}
	t.Fatalf("no profile with email %s", email)
	return Profile{}
}

func TestBuildMergesGuestAndCrossStore(t *testing.T) {
	customers, orders := fixture()
	res, err := Build(customers, orders, defaultOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) != 2 {
		t.Fatalf("%d profiles, want 2 (Jane, Bob): %+v", len(res.Profiles), res.Profiles)
	}
	jane := byEmail(t, res, "jane.doe@gmail.com")
	wantSources := []SourceRef{
		{Store: "shop-a", Kind: KindCustomer, ID: "101"},
		{Store: "shop-a", Kind: KindGuestOrder, ID: "1002"},
		{Store: "woo-b", Kind: KindCustomer, ID: "7"},
	}
	if !reflect.DeepEqual(jane.Sources, wantSources) {
		t.Errorf("jane sources = %v, want %v", jane.Sources, wantSources)
	}
	if jane.FirstName != "Jane" || jane.LastName != "Doe" {
		t.Errorf("jane name = %q %q", jane.FirstName, jane.LastName)
	}
	if jane.Emails[0].Address != "jane.doe@gmail.com" {
		t.Errorf("primary email %q (the most recently updated account's)", jane.Emails[0].Address)
	}
	if len(jane.Phones) != 1 || jane.Phones[0].E164 != "+14155550132" {
		t.Errorf("phones = %+v", jane.Phones)
	}
	if a := jane.Addresses[0]; a.CountryCode != "US" || a.Region != "CA" || a.Continent != "NA" {
		t.Errorf("address = %+v", a)
	}
	// Orders: 1001 (100 - 20 refund) and guest 1002 (50 EUR at 1.10); 1003 cancelled.
	s := jane.Summary
	if s.Orders != 2 || s.Cancellations != 1 || s.Refunds != 1 {
		t.Errorf("summary counts = %+v", s)
	}
	if !s.TotalBase.Equal(dec("135")) {
		t.Errorf("total in base = %s, want 135 (80 USD + 50 EUR x 1.10)", s.TotalBase)
	}
	if len(s.ConvertedBase) != 1 || !s.ConvertedBase["EUR"].Equal(dec("55")) {
		t.Errorf("converted = %v, want EUR 50 recorded as 55 USD", s.ConvertedBase)
	}
	if !s.Totals["USD"].Equal(dec("80")) || !s.Totals["EUR"].Equal(dec("50")) {
		t.Errorf("totals per currency = %v", s.Totals)
	}
	if !s.FirstOrder.Equal(day("2024-03-01")) || !s.LastOrder.Equal(day("2024-04-01")) {
		t.Errorf("first/last = %s %s", s.FirstOrder, s.LastOrder)
	}
	if s.Devices["mobile"] != 1 || s.ShipTo["US"] != 1 || s.Items != 2 {
		t.Errorf("devices %v ship-to %v items %d", s.Devices, s.ShipTo, s.Items)
	}
	if !s.ProductTypes["Shoes"].Equal(dec("80")) {
		t.Errorf("product types = %v (spend net of the refund)", s.ProductTypes)
	}
	if len(jane.Orders) != 3 || jane.Orders[0].ID != "shop-a/1001" || !jane.Orders[1].NetBase.Equal(dec("55")) || !jane.Orders[2].Cancelled {
		t.Errorf("compact orders = %+v", jane.Orders)
	}
	if !jane.FirstSeen.Equal(day("2022-01-10")) {
		t.Errorf("first seen %s", jane.FirstSeen)
	}
	// Consent and tags as reported, per source; none invented for the others.
	if len(jane.Consent) != 1 || jane.Consent["shop-a/customer/101"].State != "subscribed" {
		t.Errorf("consent = %v", jane.Consent)
	}
	if !slices.Equal(jane.MerchantTags["shop-a/customer/101"], []string{"vip"}) {
		t.Errorf("merchant tags = %v", jane.MerchantTags)
	}
	if len(res.Audit) < 2 {
		t.Errorf("audit lines = %+v, want at least the 2 links that join Jane's 3 records", res.Audit)
	}
	for _, a := range res.Audit {
		if a.ProfileID != jane.ID || a.Reason == "" {
			t.Errorf("audit %+v", a)
		}
	}
}

func TestBuildFillsFromOrdersAndRecordsWhere(t *testing.T) {
	customers, orders := fixture()
	res, err := Build(customers, orders, defaultOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	bob := byEmail(t, res, "bob@example.org")
	if bob.FirstName != "Bob" || bob.LastName != "Stone" {
		t.Errorf("bob's name not filled from his order: %q %q", bob.FirstName, bob.LastName)
	}
	if got := bob.FieldSources["first_name"]; got != "shop-a/order/1004 (billing)" {
		t.Errorf("first_name source = %q", got)
	}
	if len(bob.Phones) != 1 || bob.Phones[0].E164 != "+447700900123" {
		t.Errorf("bob phones = %+v", bob.Phones)
	}
	if bob.Summary.Unconverted != 1 || !bob.Summary.TotalBase.IsZero() {
		t.Errorf("GBP order without a rate must be counted unconverted: %+v", bob.Summary)
	}
	if bob.Consent != nil {
		t.Errorf("consent invented: %v", bob.Consent)
	}
	q := res.Quality
	if q.Identities != 4 || q.Profiles != 2 || q.Unconverted != 1 || q.FilledFromOrds < 3 {
		t.Errorf("quality = %+v", q)
	}
	if f := q.Fields["email"]; f.Present != 4 || f.Valid != 4 || f.Completeness != 100 {
		t.Errorf("email quality = %+v", f)
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	customers, orders := fixture()
	first, err := Build(slices.Clone(customers), slices.Clone(orders), defaultOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		c, o := slices.Clone(customers), slices.Clone(orders)
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		r.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		again, err := Build(c, o, defaultOpts(t))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first.Profiles, again.Profiles) {
			t.Fatalf("shuffled input changed the profiles:\n%+v\n%+v", first.Profiles, again.Profiles)
		}
	}
}

func TestBuildHonoursCannotLink(t *testing.T) {
	customers, orders := fixture()
	opts := defaultOpts(t)
	opts.Identity.CannotLink = []identity.Constraint{{A: "shop-a/customer/101", B: "woo-b/customer/7"}}
	res, err := Build(customers, orders, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) != 3 {
		t.Fatalf("%d profiles, want 3 once Jane's two accounts must stay apart", len(res.Profiles))
	}
}

func TestDeviceClass(t *testing.T) {
	for ua, want := range map[string]string{
		"": "",
		"Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)":                     "tablet",
		"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36":       "tablet",
		"Mozilla/5.0 (Linux; Android 13; Pixel 7) Mobile Safari/537.36":     "mobile",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)":            "mobile",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edge": "desktop",
	} {
		if got := DeviceClass(ua); got != want {
			t.Errorf("DeviceClass(%q) = %q, want %q", ua, got, want)
		}
	}
}

// An order the platform also gave in the shop currency is counted in the base currency with
// the platform's own figures when the base is the shop currency (no rate needed, none used);
// without them the rates table converts, and an order no rate covers stays unconverted.
func TestBuildUsesTheShopCurrencyAmounts(t *testing.T) {
	opts := defaultOpts(t) // base USD, EUR rates only
	customers := []CustomerRecord{{Store: "s", ID: "1", Email: "cad@example.com", UpdatedAt: day("2024-01-01")}}
	orders := []OrderRecord{
		{Store: "s", ID: "10", CustomerID: "1", CreatedAt: day("2024-02-01"), Currency: "CAD", Total: dec("283.47"), Refunded: dec("28.35"),
			Shop: &ShopMoney{Currency: "USD", Total: dec("209.97"), Refunded: dec("21.00")}},
		{Store: "s", ID: "11", CustomerID: "1", CreatedAt: day("2024-02-02"), Currency: "CAD", Total: dec("100.00")},
	}
	res, err := Build(customers, orders, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := byEmail(t, res, "cad@example.com")
	if !p.Summary.TotalBase.Equal(dec("188.97")) || p.Summary.Unconverted != 1 || !p.Summary.RefundedBase.Equal(dec("21.00")) {
		t.Fatalf("summary: total base %s, refunded base %s, unconverted %d", p.Summary.TotalBase, p.Summary.RefundedBase, p.Summary.Unconverted)
	}
	if o := p.Orders[0]; !o.Converted || !o.NetBase.Equal(dec("188.97")) || !o.Net.Equal(dec("255.12")) {
		t.Fatalf("compact order: %+v", o)
	}
}

// A Sink receives every profile Build would return, each once at its position, and
// BuildResult.Profiles stays empty; a Sink error stops the build.
func TestBuildSinkReceivesTheProfiles(t *testing.T) {
	customers, orders := fixture()
	want, err := Build(slices.Clone(customers), slices.Clone(orders), defaultOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := defaultOpts(t)
	var mu sync.Mutex
	var got []Profile
	opts.Sink = func(i, n int, p *Profile) error {
		mu.Lock()
		defer mu.Unlock()
		if got == nil {
			got = make([]Profile, n)
		}
		if got[i].ID != "" {
			t.Errorf("profile %d sunk twice", i)
		}
		got[i] = *p
		return nil
	}
	res, err := Build(slices.Clone(customers), slices.Clone(orders), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Profiles != nil || res.Quality.Profiles != len(want.Profiles) || !reflect.DeepEqual(got, want.Profiles) {
		t.Fatalf("sink got %d profiles (result kept %d, quality %d), want %d equal to Build's",
			len(got), len(res.Profiles), res.Quality.Profiles, len(want.Profiles))
	}
	boom := errors.New("disk full")
	opts.Sink = func(int, int, *Profile) error { return boom }
	if _, err := Build(slices.Clone(customers), slices.Clone(orders), opts); !errors.Is(err, boom) {
		t.Fatalf("Build with a failing sink: %v", err)
	}
}

// With Flush, the profiles are made a window at a time in profile-ID order: every position
// once, each window flushed after all its profiles reached the Sink, and the same profiles as
// without; a Flush error stops the build.
func TestBuildFlushWindowsInProfileIDOrder(t *testing.T) {
	var customers []CustomerRecord
	for i := range 50 {
		customers = append(customers, CustomerRecord{Store: "shop", ID: fmt.Sprint(1000 + i),
			Email: fmt.Sprintf("person%d@example.org", i), FirstName: "P", LastName: fmt.Sprint("N", i), UpdatedAt: day("2024-01-02")})
	}
	want, err := Build(slices.Clone(customers), nil, defaultOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func(w int) { flushWindow = w }(flushWindow)
	flushWindow = 8
	opts := defaultOpts(t)
	var (
		mu      sync.Mutex
		got     []Profile
		flushed []int
	)
	opts.Sink = func(i, n int, p *Profile) error {
		mu.Lock()
		defer mu.Unlock()
		if got == nil {
			got = make([]Profile, n)
		}
		got[i] = *p
		return nil
	}
	opts.Flush = func(done []int) error {
		if len(done) == 0 || len(done) > flushWindow {
			t.Errorf("a window of %d profiles", len(done))
		}
		for _, i := range done {
			if got[i].ID == "" {
				t.Errorf("profile %d flushed before it reached the sink", i)
			}
		}
		flushed = append(flushed, done...)
		return nil
	}
	if _, err := Build(slices.Clone(customers), nil, opts); err != nil {
		t.Fatal(err)
	}
	if len(want.Profiles) != 50 || !reflect.DeepEqual(got, want.Profiles) {
		t.Fatalf("%d profiles through the sink, want the 50 of Build", len(got))
	}
	if len(flushed) != 50 {
		t.Fatalf("%d positions flushed, want 50", len(flushed))
	}
	for k := 1; k < len(flushed); k++ {
		if got[flushed[k-1]].ID >= got[flushed[k]].ID {
			t.Fatalf("flushed out of profile-ID order at %d: %s then %s", k, got[flushed[k-1]].ID, got[flushed[k]].ID)
		}
	}
	boom := errors.New("disk full")
	calls := 0
	opts.Flush = func([]int) error { calls++; return boom }
	if _, err := Build(slices.Clone(customers), nil, opts); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("Build with a failing flush: %v after %d calls", err, calls)
	}
}

// sortFunc orders like slices.SortFunc, equal elements included, moving elements in place.
func TestSortFuncMatchesSlicesSortFunc(t *testing.T) {
	type rec struct{ k, v int }
	for n := range 200 {
		in := make([]rec, n)
		for i := range in {
			in[i] = rec{k: (i * 7919) % 13, v: i}
		}
		want := slices.Clone(in)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return want[a].k - want[b].k })
		for i, j := range idx {
			want[i] = in[j]
		}
		got := slices.Clone(in)
		sortFunc(got, func(a, b *rec) int { return a.k - b.k })
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: %v, want %v", n, got, want)
		}
	}
}

// BuildDigested takes the orders' facts out of its input and drops them before it makes the
// profiles (a large store's facts are hundreds of megabytes): by the first Flush, the facts'
// array has been collected.
func TestBuildDigestedDropsTheOrderFacts(t *testing.T) {
	customers, orders := fixture()
	opts := defaultOpts(t)
	d := NewOrderDigester(customers, opts)
	facts := make([]OrderFacts, len(orders))
	for i := range orders {
		facts[i] = d.Digest(&orders[i])
	}
	in, err := d.Digested(facts)
	if err != nil {
		t.Fatal(err)
	}
	var freed atomic.Bool
	runtime.SetFinalizer(&in.Orders[0], func(*OrderFacts) { freed.Store(true) })
	opts.Sink = func(int, int, *Profile) error { return nil }
	opts.Flush = func([]int) error {
		for range 50 {
			if freed.Load() {
				break
			}
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	}
	res, err := BuildDigested(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if in.Orders != nil || in.customers != nil {
		t.Fatal("BuildDigested left its input's slices in place")
	}
	if !freed.Load() {
		t.Fatal("the orders' facts were still reachable while the profiles were made")
	}
	if res.Quality.Profiles == 0 {
		t.Fatal("no profiles")
	}
}

// firstOfPairs keeps what one pass with a set of pairs seen kept: the first pair of each two
// identities, whichever way round, in order.
func TestFirstOfPairsKeepsTheFirstOfEachPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	merged := make([]identity.Pair, 20_000)
	for i := range merged {
		a, b := rng.IntN(3000), rng.IntN(3000)
		merged[i] = identity.Pair{A: a, B: b}
	}
	var want []int32
	seen := map[[2]int]bool{}
	for i, p := range merged {
		k := [2]int{min(p.A, p.B), max(p.A, p.B)}
		if !seen[k] {
			seen[k] = true
			want = append(want, int32(i))
		}
	}
	got := firstOfPairs(merged)
	if len(want) == len(merged) || !slices.Equal(got, want) {
		t.Fatalf("%d of %d pairs kept, want %d (or in another order)", len(got), len(merged), len(want))
	}
	if got := firstOfPairs(nil); len(got) != 0 {
		t.Fatalf("pairs of nothing: %v", got)
	}
}
