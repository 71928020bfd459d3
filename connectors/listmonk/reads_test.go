package listmonk_test

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
)

func TestSuppressionsPagesThroughEverything(t *testing.T) {
	// The client asks for 100 a page; listmonk caps per_page at 50 and the client follows.
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{PageSize: 100})
	want := map[string]email.Status{}
	for i := range 130 {
		addr := fmt.Sprintf("s%03d@example.com", i)
		switch i % 3 {
		case 0:
			mustSeed(t, e.fake, addr, "blocklisted", map[string]string{"news": "confirmed"})
			want[addr] = email.StatusCompliance
		case 1:
			mustSeed(t, e.fake, addr, "enabled", map[string]string{"news": "unsubscribed", "cohort:a": "confirmed"})
			want[addr] = email.StatusUnsubscribed
		default:
			mustSeed(t, e.fake, addr, "enabled", map[string]string{"news": "confirmed"}) // not suppressed
		}
	}
	e.fake.ResetStats()
	got, err := e.c.Suppressions(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	gotMap := map[string]email.Status{}
	for _, s := range got {
		gotMap[s.Email] = s.Status
		if s.At.IsZero() || s.Message == "" {
			t.Fatalf("suppression %+v: want a time and the platform's reason", s)
		}
	}
	if !reflect.DeepEqual(gotMap, want) {
		t.Fatalf("got %d suppressions, want %d: %v", len(gotMap), len(want), gotMap)
	}
	// 87 suppressed at 50 a page: 2 pages.
	if n := e.requests(listmonkfake.EndpointQuerySubscribers); n != 2 {
		t.Fatalf("%d pages read, want 2", n)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "Gone@Example.com", "enabled", map[string]string{"news": "unsubscribed"})
	mustSeed(t, e.fake, "stays@example.com", "enabled", nil)
	if err := e.c.Delete(ctx(t), "gone@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.fake.Member("gone@example.com"); ok {
		t.Fatal("still there")
	}
	if _, ok := e.fake.Member("stays@example.com"); !ok {
		t.Fatal("the other subscriber went too")
	}
	if err := e.c.Delete(ctx(t), "never@example.com"); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	if n := e.requests(listmonkfake.EndpointDeleteSubscriber); n != 1 {
		t.Fatalf("%d deletes, want 1", n)
	}
	if err := e.c.Delete(ctx(t), "nope"); err == nil {
		t.Fatal("Delete of a non-address succeeded")
	}
}

func TestSizesCountMembersNotUnsubscribed(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	mustSeed(t, e.fake, "a@example.com", "enabled", map[string]string{"cohort:a": "confirmed", "cohort:b": "unsubscribed"})
	mustSeed(t, e.fake, "b@example.com", "enabled", map[string]string{"cohort:a": "unconfirmed", "cohort:b": "unconfirmed"})
	mustSeed(t, e.fake, "c@example.com", "enabled", map[string]string{"cohort:a": "unsubscribed"})
	got, err := e.c.Sizes(ctx(t), []string{"cohort:a", "cohort:b", "cohort:none"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"cohort:a": 2, "cohort:b": 1, "cohort:none": 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sizes %v, want %v", got, want)
	}
}

func TestDuplicateListNamesResolveToTheLowestID(t *testing.T) {
	e := newEnv(t, listmonkfake.Options{}, listmonk.Options{})
	first := e.fake.SeedList("dup", "private", "double")
	e.fake.SeedList("dup", "public", "double")
	e.mustApply(email.Change{ProfileID: "p", Email: "a@example.com", Add: []string{"dup"}})
	var ids []int
	for _, l := range e.fake.Lists() {
		if l.Statuses["unconfirmed"] == 1 {
			ids = append(ids, l.ID)
		}
	}
	sort.Ints(ids)
	if !reflect.DeepEqual(ids, []int{first}) {
		t.Fatalf("member of lists %v, want [%d]", ids, first)
	}
}
