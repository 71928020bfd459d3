package profiles

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cohortd/cohortd/profiles/normalize"
)

// A tie between equally ranked identities goes to the most frequent value; the sources come
// in key order, and repeated e-mails, phones and addresses are kept once, in survivorship
// order, also past the size where valueSet turns into a map.
func TestMergeClusterTiesAndRepeats(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := func(id, first, email string) identityRec {
		r := identityRec{ref: SourceRef{Store: "shop", Kind: KindGuestOrder, ID: id}, updated: at, trusted: 1,
			first: normalize.Name{Display: first, Key: first}, email: normalize.Email{Address: email, Key: email},
			addr: CleanAddress{City: "Lyon", CountryCode: "FR"}}
		r.key = r.ref.Key()
		return r
	}
	// Keys sort 1, 2, 3: "Ann" comes first in survivorship order, "Anne" is more frequent.
	recs := []identityRec{rec("3", "Anne", "b@example.com"), rec("1", "Ann", "a@example.com"), rec("2", "Anne", "a@example.com")}
	for i := range 40 {
		recs = append(recs, rec(fmt.Sprintf("9%02d", i), "", fmt.Sprintf("m%d@example.com", i%35)))
	}
	packed := make([][]byte, len(recs))
	members := make([]int32, len(recs))
	for i := range recs {
		packed[i], members[i] = packedIdentity(&recs[i]), int32(i)
	}
	var scratch []identityRec
	p, err := mergeCluster(packed, members, &scratch)
	if err != nil {
		t.Fatal(err)
	}
	if p.FirstName != "Anne" {
		t.Errorf("first name %q, want the most frequent of the tie, Anne", p.FirstName)
	}
	var sources []string
	for _, s := range p.Sources {
		sources = append(sources, s.ID)
	}
	if !slices.IsSorted(sources) || len(sources) != 43 || sources[0] != "1" {
		t.Errorf("sources %v, want the 43 in key order", sources)
	}
	var emails []string
	for _, e := range p.Emails {
		emails = append(emails, e.Address)
	}
	if len(emails) != 37 || emails[0] != "a@example.com" || emails[1] != "b@example.com" || emails[2] != "m0@example.com" ||
		emails[36] != "m34@example.com" {
		t.Errorf("%d emails %v, want a, b, then m0..m34 once each", len(emails), emails)
	}
	if len(p.Addresses) != 1 {
		t.Errorf("addresses %v, want one", p.Addresses)
	}
}

func TestValueSetPastItsList(t *testing.T) {
	var s valueSet[int]
	for round := range 2 {
		for i := range 3 * smallSet {
			if got := s.add(i); got != (round == 0) {
				t.Fatalf("round %d: add(%d) = %v", round, i, got)
			}
		}
	}
}
