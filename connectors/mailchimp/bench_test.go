package mailchimp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
	"github.com/rs/zerolog"
)

// TestBenchMembershipChanges applies COHORTD_BENCH_EMAIL membership changes (tag adds and
// removes) through Apply in BatchSize chunks against the fake, with Mailchimp's real limits
// (10 connections; Mailchimp publishes no request rate, so the fake needs no RateScale), then
// replays them all:
//
//	COHORTD_BENCH_EMAIL=100000 go test -run TestBench -v -timeout 30m ./connectors/mailchimp/
//
// Workload: "new" contacts get 1-3 of 10 tags (a fifth also get an RFM group merge field);
// "existing" contacts, seeded at the fake with two tags as if by an earlier sync, lose one and
// gain one or two. Changes are interleaved, and the last change is trimmed so the membership
// changes total exactly N.
//
// Minimum calls, from the documented limits. A change's tags can only be written after its
// member's status is known (read before write) and a new member exists, and batch operations
// run in no guaranteed order, so an Apply needs one read batch and, when anything is to be
// written, one write batch. A batch is one POST /batches plus at least one GET /batches/{id}
// (the results exist only once it reports finished). The /batches endpoint documents no
// operation limit, so the number of Applies is set by BatchSize (500, the list endpoints'
// member limit): A = ceil(changes / 500).
//
//	first pass: 2A (read) + 2W (write, W = Applies with a write, here A) + 1 (read merge
//	            fields) + 1 (create the one missing merge field, CRFM)
//	replay:     2A (read only: the read shows nothing is missing; merge fields are cached)
//
// The result archive downloads (one per batch) go to Mailchimp's storage host, not the API:
// they are reported apart and not counted as calls.
func TestBenchMembershipChanges(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COHORTD_BENCH_EMAIL"))
	if n <= 0 {
		t.Skip("set COHORTD_BENCH_EMAIL=100000 to run the benchmark")
	}
	fake := mailchimpfake.New(mailchimpfake.Options{})
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	client, err := New(Options{
		APIKey: mailchimpfake.DefaultAPIKey, AudienceID: mailchimpfake.DefaultListID, BaseURL: fake.URL(),
		Logger:  zerolog.Nop(),
		PollMin: 5 * time.Millisecond, PollMax: 2 * time.Second, // the fake runs a batch in well under a second
	})
	if err != nil {
		t.Fatal(err)
	}

	changes, want := benchWorkload(t, fake, n)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	fake.ResetStats()
	size := client.BatchSize()
	applies := (len(changes) + size - 1) / size

	run := func(label string) (mailchimpfake.Stats, time.Duration) {
		fake.ResetStats()
		start := time.Now()
		for lo := 0; lo < len(changes); lo += size {
			batch := changes[lo:min(lo+size, len(changes))]
			for i, o := range client.Apply(ctx, batch) {
				if o.Err != nil {
					t.Fatalf("%s: change %s: %v", label, batch[i].ProfileID, o.Err)
				}
			}
		}
		return fake.Stats(), time.Since(start)
	}

	first, took := run("first pass")
	got := fake.Members()
	checkBenchState(t, got, want)
	minFirst := 4*applies + 2
	report(t, "first pass", n, len(changes), applies, first, minFirst, took)

	replay, replayTook := run("replay")
	if !reflect.DeepEqual(got, fake.Members()) {
		t.Fatal("replay changed the fake's state")
	}
	if w := replay.Operations["postListMemberTags"] + replay.Operations["patchListsIdMembersId"]; w != 0 {
		t.Fatalf("replay sent %d write operations", w)
	}
	report(t, "replay", n, len(changes), applies, replay, 2*applies, replayTook)
	if v := fake.Violations(); len(v) > 0 {
		t.Fatalf("%d spec violations, first: %s", len(v), v[0])
	}
}

func report(t *testing.T, label string, n, changes, applies int, st mailchimpfake.Stats, minimum int, took time.Duration) {
	t.Helper()
	ratio := float64(st.Calls) / float64(minimum)
	t.Logf("%s: %d membership changes in %d changes, %d Applies of <= %d; API calls %d (minimum %d, ratio %.3f): %v; "+
		"batch operations %v; result downloads %d; 429 answered %d; max in flight %d; wall %s (%.0f membership changes/s)",
		label, n, changes, applies, DefaultBatchSize, st.Calls, minimum, ratio, st.Requests, st.Operations,
		st.Downloads, st.TooManyRequests, st.MaxInFlight, took.Round(time.Millisecond), float64(n)/took.Seconds())
	if ratio > 1.05 {
		t.Errorf("%s: %d calls, more than 5%% over the minimum %d", label, st.Calls, minimum)
	}
	if st.TooManyRequests > 5 {
		t.Errorf("%s: %d 429s", label, st.TooManyRequests)
	}
}

// benchWorkload seeds the "existing" contacts at the fake and returns the changes and the
// tags every contact must end with.
func benchWorkload(t *testing.T, fake *mailchimpfake.Server, n int) ([]email.Change, map[string][]string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 2026))
	tags := make([]string, 10)
	for i := range tags {
		tags[i] = fmt.Sprintf("cohort:bench-%d", i)
	}
	pick := func(k int, not map[string]bool) []string {
		var out []string
		for _, i := range rng.Perm(len(tags)) {
			if len(out) == k {
				break
			}
			if !not[tags[i]] {
				out = append(out, tags[i])
			}
		}
		return out
	}
	want := map[string][]string{}
	var changes []email.Change
	total := 0
	for i := 0; total < n; i++ {
		addr := fmt.Sprintf("bench%06d@shop.test", i)
		ch := email.Change{ProfileID: fmt.Sprintf("b%06d", i), Email: addr, Consent: i%2 == 0}
		if i%4 == 3 {
			// Existing contact: two tags from an earlier sync; drop one, gain one or two.
			had := pick(2, nil)
			if err := fake.SetStatus(addr, mailchimpfake.StatusTransactional); err != nil {
				t.Fatal(err)
			}
			if err := fake.SetTags(addr, had...); err != nil {
				t.Fatal(err)
			}
			ch.Remove = had[:1]
			ch.Add = pick(1+rng.IntN(2), map[string]bool{had[0]: true, had[1]: true})
			want[addr] = append([]string{had[1]}, ch.Add...)
		} else {
			ch.Add = pick(1+rng.IntN(3), nil)
			if i%5 == 0 {
				ch.Props = map[string]string{email.PropRFMGroup: "champions"}
			}
			want[addr] = slices.Clone(ch.Add)
		}
		if over := total + len(ch.Add) + len(ch.Remove) - n; over > 0 {
			ch.Add = ch.Add[:len(ch.Add)-over] // trim to exactly n membership changes
			want[addr] = want[addr][:len(want[addr])-over]
		}
		total += len(ch.Add) + len(ch.Remove)
		changes = append(changes, ch)
	}
	for _, v := range want {
		slices.Sort(v)
	}
	return changes, want
}

func checkBenchState(t *testing.T, got map[string]mailchimpfake.Member, want map[string][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("fake has %d members, want %d", len(got), len(want))
	}
	for addr, tags := range want {
		m := got[addr]
		if !slices.Equal(m.Tags, tags) && !(len(tags) == 0 && len(m.Tags) == 0) {
			t.Fatalf("%s: tags %v, want %v", addr, m.Tags, tags)
		}
	}
}
