package shopifysync

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/tagpush"
)

// joinedSummary is how PlanTags wrote summaries before appendSummary: the model it must match.
func joinedSummary(c tagpush.Change) string {
	var parts []string
	if len(c.Add) > 0 {
		parts = append(parts, "add "+strings.Join(c.Add, ", "))
	}
	if len(c.Remove) > 0 {
		parts = append(parts, "remove "+strings.Join(c.Remove, ", "))
	}
	return strings.Join(parts, "; ")
}

func TestOutboxItemsCarryTheEncodedChangeAndItsSummary(t *testing.T) {
	tags := [][]string{nil, {}, {"cohort:vip"}, {"cohort:VIP", "cohort:lifecycle-new", "cohort:rfm-champions"}}
	var changes []tagpush.Change
	for i := range 200 {
		changes = append(changes, tagpush.Change{Store: "shop-a", CustomerID: fmt.Sprint(7000000000000 + i),
			Add: tags[i%4], Remove: tags[(i/4)%4], Want: tags[(i/16)%4]})
	}
	items := outboxItems("tags-shop-a", changes, &summaryTexts{known: map[string]string{}})
	if len(items) != len(changes) {
		t.Fatalf("%d items for %d changes", len(items), len(changes))
	}
	for i, it := range items {
		c := changes[i]
		payload, err := codec.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if it.Destination != "tags-shop-a" || it.Key != "customer/"+c.CustomerID || !bytes.Equal(it.Payload, payload) {
			t.Fatalf("item %d: %s %s %x, want customer/%s %x", i, it.Destination, it.Key, it.Payload, c.CustomerID, payload)
		}
		if want := joinedSummary(c); it.Summary != want {
			t.Fatalf("item %d: summary %q, want %q", i, it.Summary, want)
		}
	}
	if items[0].Summary != "" || items[10].Summary != "add cohort:vip; remove cohort:vip" {
		t.Errorf("summaries %q and %q", items[0].Summary, items[10].Summary)
	}
	// Payloads do not share memory: the outbox keeps each until its transaction commits.
	items[1].Payload[len(items[1].Payload)-1] ^= 0xff
	if p, _ := codec.Marshal(changes[2]); !bytes.Equal(items[2].Payload, p) {
		t.Error("changing one payload changed another")
	}
}
