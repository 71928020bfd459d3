package listmonk_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

// TestBench applies COHORTD_BENCH_EMAIL changes (one per contact, each adding 1-3 of 10
// lists; a fifth of the contacts already exist and also lose a list) in BatchSize batches,
// then replays them:
//
//	COHORTD_BENCH_EMAIL=100000 go test -run TestBench -v -timeout 30m ./connectors/listmonk/...
func TestBench(t *testing.T) {
	v := os.Getenv("COHORTD_BENCH_EMAIL")
	if v == "" {
		t.Skip("set COHORTD_BENCH_EMAIL=100000 to run")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("COHORTD_BENCH_EMAIL=%q is not a positive number", v)
	}
	runBench(t, n, true)
}

// TestManyChanges is the benchmark's path at a size every test run affords.
func TestManyChanges(t *testing.T) { runBench(t, 3000, false) }

type benchContact struct {
	addr       string
	seeded     map[string]string // list -> status at the start
	suppressed bool
	change     email.Change
}

func runBench(t *testing.T, n int, verbose bool) {
	const (
		lists = 10
		// The fake stands for a reverse proxy limiting listmonk to 5000 requests/s (listmonk
		// itself has no limit); the client is set just under it.
		proxyRate, clientRate = 5000, 4500
	)
	e := newEnv(t, listmonkfake.Options{RateLimit: proxyRate, Burst: 100},
		listmonk.Options{RequestsPerSecond: clientRate, Burst: 50, MaxConcurrency: 8})
	names := make([]string, lists)
	for i := range names {
		names[i] = fmt.Sprintf("cohort:segment-%02d", i)
		e.fake.SeedList(names[i], "private", "double")
	}

	rng := rand.New(rand.NewPCG(1, uint64(n)))
	contacts := make([]benchContact, n)
	memberships := 0
	for i := range contacts {
		c := &contacts[i]
		c.addr = fmt.Sprintf("u%07d@bench.example", i)
		want := pick(rng, names, 1+rng.IntN(3))
		c.change = email.Change{ProfileID: "p" + strconv.Itoa(i), Email: c.addr, FirstName: "U", LastName: strconv.Itoa(i),
			Props: map[string]string{email.PropRFMGroup: fmt.Sprintf("g%d", rng.IntN(5)), email.PropPredictedCLV: fmt.Sprintf("%.2f", rng.Float64()*500)}}
		if rng.IntN(5) == 0 { // an existing subscriber
			c.seeded = map[string]string{}
			for _, l := range pick(rng, names, 1+rng.IntN(2)) {
				c.seeded[l] = []string{"unconfirmed", "confirmed"}[rng.IntN(2)]
			}
			status := "enabled"
			switch r := rng.IntN(200); {
			case r < 2:
				c.seeded[names[0]], c.suppressed = "unsubscribed", true
			case r < 3:
				status, c.suppressed = "blocklisted", true
			}
			if _, err := e.fake.SeedSubscriber(c.addr, "Seeded", status, c.seeded); err != nil {
				t.Fatal(err)
			}
			for l := range c.seeded {
				if !contains(want, l) {
					c.change.Remove = append(c.change.Remove, l)
					break
				}
			}
		}
		for _, l := range want {
			if _, had := c.seeded[l]; !had {
				c.change.Add = append(c.change.Add, l)
			}
		}
		memberships += len(c.change.Add) + len(c.change.Remove)
	}

	batch := e.c.BatchSize()
	minCalls := minimumCalls(contacts, batch)
	e.fake.ResetStats()
	start := time.Now()
	applyAll(t, e, contacts, batch)
	wall := time.Since(start)
	st := e.fake.Stats()

	verifyBench(t, e, contacts)
	ratio := float64(st.Total) / float64(minCalls)

	before := e.fake.Snapshot()
	e.fake.ResetStats()
	replayStart := time.Now()
	applyAll(t, e, contacts, batch)
	replayWall := time.Since(replayStart)
	replay := e.fake.Stats()
	e.mustEqualSnapshot(before)
	replayMin := 0
	for from := 0; from < n; from += batch {
		replayMin += ceilDiv(min(batch, n-from), listmonk.DefaultLookupSize)
	}

	report := fmt.Sprintf("listmonk bench: %d changes (%d membership changes: adds+removes), %d contacts, batch %d\n"+
		"  first pass: %d calls, minimum %d (ratio %.4f), 429s %d, peak in flight %d, wall %v\n"+
		"    by endpoint: %v\n"+
		"  replay: %d calls (minimum %d: lookups only), state identical, 429s %d, wall %v",
		n, memberships, n, batch, st.Total, minCalls, ratio, st.TooMany, st.PeakInFlight, wall.Round(time.Millisecond),
		st.Requests, replay.Total, replayMin, replay.TooMany, replayWall.Round(time.Millisecond))
	if verbose {
		fmt.Println(report)
	} else {
		t.Log(report)
	}
	if ratio > 1.05 {
		t.Errorf("calls %d are %.1f%% over the minimum %d", st.Total, (ratio-1)*100, minCalls)
	}
	if st.TooMany > 5 || replay.TooMany > 5 {
		t.Errorf("429 storm: %d + %d", st.TooMany, replay.TooMany)
	}
	if replay.Total != replayMin {
		t.Errorf("replay cost %d calls, want %d (lookups only)", replay.Total, replayMin)
	}
}

func applyAll(t *testing.T, e *env, contacts []benchContact, batch int) {
	t.Helper()
	for from := 0; from < len(contacts); from += batch {
		part := contacts[from:min(from+batch, len(contacts))]
		changes := make([]email.Change, len(part))
		for i := range part {
			changes[i] = part[i].change
		}
		for i, o := range e.c.Apply(ctx(t), changes) {
			if o.Err != nil {
				t.Fatalf("%s: %v", part[i].addr, o.Err)
			}
			if o.Status.Suppressed() != part[i].suppressed {
				t.Fatalf("%s: status %q, suppressed should be %v", part[i].addr, o.Status, part[i].suppressed)
			}
		}
	}
}

// minimumCalls is the fewest requests the documented API allows for these batches:
//
//   - one GET /api/lists to map list names to ids (the lists exist);
//   - per batch, ceil(addresses/LookupSize) lookups: listmonk reads subscribers by address
//     only through GET /api/subscribers?query=..., and 100 addresses keep the URL under
//     nginx's 8 KiB default (DefaultLookupSize);
//   - one POST /api/subscribers per new contact: the API has no bulk create (the CSV import
//     is asynchronous and global);
//   - one PATCH per existing, unsuppressed contact whose attribs change: no bulk attribs;
//   - per batch, action (add, remove) and list, ceil(subscribers/MembershipChunk) PUT
//     /api/subscribers/lists: one call applies one action to one set of lists for all its
//     ids, and the contacts of a batch want different sets.
func minimumCalls(contacts []benchContact, batch int) int {
	calls := 1
	for from := 0; from < len(contacts); from += batch {
		part := contacts[from:min(from+batch, len(contacts))]
		calls += ceilDiv(len(part), listmonk.DefaultLookupSize)
		perList := map[string]int{}
		for _, c := range part {
			if c.suppressed {
				continue
			}
			if c.seeded == nil {
				calls++ // create, attribs included
			} else {
				calls++ // PATCH: every change carries new attribs for an existing contact
			}
			for _, l := range c.change.Add {
				perList["add "+l]++
			}
			for _, l := range c.change.Remove {
				perList["remove "+l]++
			}
		}
		for _, k := range perList {
			calls += ceilDiv(k, listmonk.DefaultMembershipChunk)
		}
	}
	return calls
}

func verifyBench(t *testing.T, e *env, contacts []benchContact) {
	t.Helper()
	for _, c := range contacts {
		m, ok := e.fake.Member(c.addr)
		if !ok {
			t.Fatalf("%s missing", c.addr)
		}
		want := map[string]string{}
		for l, st := range c.seeded {
			want[l] = st
		}
		if !c.suppressed {
			for _, l := range c.change.Add {
				want[l] = "unconfirmed"
			}
			for _, l := range c.change.Remove {
				delete(want, l)
			}
			if got := m.Attribs["cohortd"].(map[string]any)["rfm_group"]; got != c.change.Props[email.PropRFMGroup] {
				t.Fatalf("%s: rfm_group %v", c.addr, got)
			}
		} else if c.seeded != nil && m.Status == "blocklisted" {
			for l := range want {
				want[l] = "unsubscribed"
			}
		}
		if !reflect.DeepEqual(m.Lists, want) {
			t.Fatalf("%s: lists %v, want %v", c.addr, m.Lists, want)
		}
	}
}

func pick(rng *rand.Rand, names []string, k int) []string {
	idx := rng.Perm(len(names))[:k]
	sort.Ints(idx)
	out := make([]string, k)
	for i, j := range idx {
		out[i] = names[j]
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
