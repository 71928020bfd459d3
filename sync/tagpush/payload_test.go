package tagpush

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cohortd/cohortd/store/codec"
)

func TestAppendPayloadIsTheCodecs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	list := func() []string {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, r.IntN(30))
		for i := range out {
			out[i] = "cohort:" + strings.Repeat("x", r.IntN(300))
		}
		return out
	}
	changes := []Change{
		{},
		{Store: "shop-a", CustomerID: "7000000000001", Add: []string{"cohort:vip"}, Want: []string{"cohort:vip"}},
		{Store: strings.Repeat("s", 70000), CustomerID: "\xff", Remove: make([]string, 24)}, // long, not UTF-8, 24 entries
	}
	for range 2000 {
		changes = append(changes, Change{Store: "shop-" + strings.Repeat("a", r.IntN(30)), CustomerID: strings.Repeat("9", r.IntN(40)),
			Add: list(), Remove: list(), Want: list()})
	}
	for i, c := range changes {
		want, err := codec.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got := c.AppendPayload([]byte("x"))
		if string(got[:1]) != "x" || !bytes.Equal(got[1:], want) {
			t.Fatalf("change %d: payload\n%x\nwant %x", i, got[1:], want)
		}
		if !utf8.ValidString(c.CustomerID) {
			continue // written as the codec writes it, which will not read it back
		}
		var back Change
		if err := codec.Unmarshal(got[1:], &back); err != nil || back.CustomerID != c.CustomerID || len(back.Remove) != len(c.Remove) {
			t.Fatalf("change %d reads back as %+v, %v", i, back, err)
		}
	}
}
