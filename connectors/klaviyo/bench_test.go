package klaviyo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
)

// TestBench applies COHORTD_BENCH_EMAIL membership changes (list additions plus removals)
// through Apply, in BatchSize chunks, against the fake with Klaviyo's real rate limits, then
// replays them:
//
//	COHORTD_BENCH_EMAIL=100000 go test -run TestBench -v -timeout 30m ./connectors/klaviyo/...
//
// Workload: contacts join 1-3 of 10 lists; 30% already exist at Klaviyo in one or two lists
// and leave one of them; half carry a property change; 1% are suppressed at Klaviyo (their
// changes must be refused, not counted as applied).
func TestBench(t *testing.T) {
	target, _ := strconv.Atoi(os.Getenv("COHORTD_BENCH_EMAIL"))
	if target <= 0 {
		t.Skip("set COHORTD_BENCH_EMAIL=100000 to run")
	}
	fake := klaviyofake.New(klaviyofake.Options{})
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c, err := New(Options{APIKey: klaviyofake.DefaultAPIKey, BaseURL: fake.URL(), CreateLists: true})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("cohort:segment-%d", i)
	}

	// Generate.
	rng := rand.New(rand.NewPCG(6, 2026))
	want := map[string]*benchExpect{}
	var changes []email.Change
	applied, refused := 0, 0
	seedLists := map[string][]string{}
	for i := 0; applied < target; i++ {
		a := fmt.Sprintf("bench%06d@example.com", i)
		ex := &benchExpect{lists: map[string]bool{}}
		want[a] = ex
		ch := email.Change{ProfileID: fmt.Sprintf("p%06d", i), Email: a, FirstName: "F", LastName: "L"}
		perm := rng.Perm(len(names))
		if rng.IntN(100) < 30 { // exists with 1-2 lists, leaves one
			k := 1 + rng.IntN(2)
			for _, j := range perm[:k] {
				seedLists[names[j]] = append(seedLists[names[j]], a)
				ex.lists[names[j]] = true
			}
			ch.Remove = []string{names[perm[0]]}
			perm = perm[k:]
		}
		for _, j := range perm[:1+rng.IntN(3)] {
			ch.Add = append(ch.Add, names[j])
		}
		if rng.IntN(2) == 0 {
			ch.Props = map[string]string{email.PropRFMGroup: []string{"Champions", "Loyal", "At Risk"}[rng.IntN(3)], email.PropPredictedCLV: strconv.Itoa(rng.IntN(500))}
		}
		n := len(ch.Add) + len(ch.Remove)
		if rng.IntN(100) == 0 {
			ex.suppressed = true
			if _, err := fake.SetStatus(a, klaviyofake.StatusUnsubscribed); err != nil {
				t.Fatal(err)
			}
			refused += n
		} else {
			applied += n
			for _, r := range ch.Remove {
				delete(ex.lists, r)
			}
			for _, l := range ch.Add {
				ex.lists[l] = true
			}
		}
		changes = append(changes, ch)
	}
	for _, n := range names {
		if list := seedLists[n]; len(list) > 0 {
			if err := fake.AddToList(n, list...); err != nil {
				t.Fatal(err)
			}
		}
	}
	for a, ex := range want { // suppressed contacts keep what they had
		if ex.suppressed {
			m, ok := fake.Member(a)
			ex.lists = map[string]bool{}
			if ok {
				for _, l := range m.Lists {
					ex.lists[l] = true
				}
			}
		}
	}
	fake.ResetStats()

	minimum := minimumCalls(changes, c.BatchSize(), fake, names)
	run := func() (time.Duration, []email.Outcome) {
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
		defer cancel()
		start := time.Now()
		var outs []email.Outcome
		for s := 0; s < len(changes); s += c.BatchSize() {
			outs = append(outs, c.Apply(ctx, changes[s:min(s+c.BatchSize(), len(changes))])...)
		}
		return time.Since(start), outs
	}
	check := func(outs []email.Outcome) {
		for i, o := range outs {
			ex := want[changes[i].Email]
			if o.Err != nil || o.Status.Suppressed() != ex.suppressed {
				t.Fatalf("change %d: %+v (suppressed %v)", i, o, ex.suppressed)
			}
		}
		for a, ex := range want {
			m, _ := fake.Member(a)
			got := map[string]bool{}
			for _, l := range m.Lists {
				got[l] = true
			}
			if fmt.Sprint(sortedSet(got)) != fmt.Sprint(sortedSet(ex.lists)) {
				t.Fatalf("%s: lists %v, want %v", a, sortedSet(got), sortedSet(ex.lists))
			}
		}
	}

	wall, outs := run()
	first := fake.Stats()
	check(outs)
	digest := fake.Digest()
	replayWall, outs := run()
	second := fake.Stats()
	check(outs)
	if fake.Digest() != digest {
		t.Fatal("replay changed the account")
	}
	calls := first.Calls()
	replayCalls := second.Calls() - calls
	t.Logf("changes: %d membership changes applied (%d contacts, %d Apply calls of <= %d), %d refused for %d suppressed contacts",
		applied, len(changes), (len(changes)+c.BatchSize()-1)/c.BatchSize(), c.BatchSize(), refused, countSuppressed(want))
	t.Logf("first run: %d calls, minimum %d (%.2f%% over), %d answered 429, wall %s", calls, minimum, 100*float64(calls-minimum)/float64(minimum), first.Throttled, wall.Round(time.Millisecond))
	for _, op := range sortedOps(first.ByOperation) {
		t.Logf("  %-40s %6d", op, first.ByOperation[op].Requests)
	}
	t.Logf("replay: %d calls (%d reads, %d list calls, %d profile writes), %d answered 429, wall %s, state unchanged",
		replayCalls, second.Calls(opGetProfiles)-first.Calls(opGetProfiles),
		second.Calls(opAddToList, opRemoveFromList)-first.Calls(opAddToList, opRemoveFromList),
		second.Calls(opProfileImport, opBulkImport)-first.Calls(opProfileImport, opBulkImport),
		second.Throttled-first.Throttled, replayWall.Round(time.Millisecond))
	t.Logf("fake: %d memberships added, %d removed, %d profiles created, %d updated, %d writes to suppressed, %d consent writes, %d violations",
		second.MembershipsAdded, second.MembershipsRemoved, second.ProfilesCreated, second.ProfilesUpdated, second.WritesToSuppressed, second.ConsentWrites, second.Violations)
	if float64(calls) > 1.05*float64(minimum) {
		t.Errorf("%d calls, more than 5%% over the minimum %d", calls, minimum)
	}
	if second.Throttled > 5 {
		t.Errorf("%d 429s", second.Throttled)
	}
	if second.WritesToSuppressed != 0 || second.ConsentWrites != 0 || second.Violations != 0 {
		t.Errorf("suppressed writes %d, consent writes %d, violations %d", second.WritesToSuppressed, second.ConsentWrites, second.Violations)
	}
	if second.Calls(opProfileImport, opBulkImport) != first.Calls(opProfileImport, opBulkImport) {
		t.Error("the replay wrote profiles")
	}
}

// minimumCalls is the fewest calls the documented limits allow for this workload, applied
// in chunks of batch changes with read before write:
//
//   - lists: one GET /api/lists page (10 names, 10 per page) and one POST /api/lists per
//     missing list;
//   - reads: ceil(addresses/100) GET /api/profiles per chunk (100 per page, the filter's
//     100 values);
//   - profile writes (new contacts, changed properties), per chunk: ceil(n/10000) bulk
//     import jobs, one status read each (at least), and ceil(new/100) reads of the new ids
//     (list membership takes ids);
//   - memberships, per chunk and list: ceil(adds/1000) POST + ceil(removes/1000) DELETE on
//     /api/lists/{id}/relationships/profiles.
//
// Suppressed addresses cost their read only.
func minimumCalls(changes []email.Change, batch int, fake *klaviyofake.Server, names []string) int64 {
	ceil := func(a, b int) int64 { return int64((a + b - 1) / b) }
	existing := map[string]bool{}
	for _, n := range fake.ListNames() {
		existing[n] = true
	}
	total := int64(1)
	for _, n := range names {
		if !existing[n] {
			total++
		}
	}
	for s := 0; s < len(changes); s += batch {
		chunk := changes[s:min(s+batch, len(changes))]
		adds, removes := map[string]int{}, map[string]int{}
		writes, fresh := 0, 0
		for _, ch := range chunk {
			m, exists := fake.Member(ch.Email)
			if exists && (m.Consent == "UNSUBSCRIBED" || len(m.Suppressions) > 0) {
				continue
			}
			if !exists {
				fresh++
				writes++
			} else if ch.Props != nil {
				writes++
			}
			for _, l := range ch.Add {
				adds[l]++
			}
			for _, l := range ch.Remove {
				if exists {
					removes[l]++
				}
			}
		}
		total += ceil(len(chunk), 100)
		if writes > 0 {
			total += 2*ceil(writes, 10000) + ceil(fresh, 100)
		}
		for _, n := range names {
			total += ceil(adds[n], 1000) + ceil(removes[n], 1000)
		}
	}
	return total
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedOps(m map[string]klaviyofake.OpStats) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// benchExpect is what one bench contact must look like at the end.
type benchExpect struct {
	lists      map[string]bool
	suppressed bool
}

func countSuppressed(want map[string]*benchExpect) int {
	n := 0
	for _, ex := range want {
		if ex.suppressed {
			n++
		}
	}
	return n
}
