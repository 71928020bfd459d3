package outbox

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/store/codec"
)

// codecItems are Items at the edges of the encoding: every head size, nil and empty payloads,
// omitted and present optional fields, times in and out of UTC, text that is not UTF-8.
func codecItems() []Item {
	at := time.Date(2025, 3, 1, 10, 0, 0, 120_000_000, time.UTC)
	var items []Item
	for _, n := range []int{0, 1, 23, 24, 255, 256, 65535, 65536} {
		items = append(items, Item{Destination: "tags-shop", Key: strings.Repeat("k", max(n, 1)),
			Payload: bytes.Repeat([]byte{0xa1}, n), Summary: strings.Repeat("s", n), LastError: strings.Repeat("e", n),
			Enqueued: at, NextAttempt: at.Add(time.Duration(n)), Seq: uint64(n), Rev: uint64(n) + 1, Attempts: n, Replaced: n})
	}
	for _, u := range []uint64{23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		items = append(items, Item{Destination: "d", Key: "k", Enqueued: at, NextAttempt: at, Seq: u, Rev: u})
	}
	items = append(items,
		Item{},
		Item{Destination: "d", Key: "k", Payload: []byte{}, Enqueued: at, NextAttempt: at},
		Item{Destination: "d", Key: "k", Attempts: -1, Replaced: math.MinInt, Enqueued: at, NextAttempt: at},
		Item{Destination: "d", Key: "k", Attempts: math.MaxInt, Replaced: -25, LastAttempt: at},
		Item{Destination: "d", Key: "k", Enqueued: at.In(time.FixedZone("", 2*3600)), NextAttempt: at.In(time.FixedZone("", -23*3600-59*60))},
		Item{Destination: "d", Key: "k", Enqueued: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), NextAttempt: time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC)},
		Item{Destination: "d", Key: "k", Summary: "caf\xe9", LastError: "\xff"}, // not UTF-8: written as is
	)
	return items
}

// refused are Items the codec will not write (times RFC 3339 cannot hold).
func refused() []Item {
	return []Item{
		{Destination: "d", Key: "k", Enqueued: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Destination: "d", Key: "k", NextAttempt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Destination: "d", Key: "k", LastAttempt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
	}
}

func randomItem(r *rand.Rand) Item {
	text := func() string {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	moment := func() time.Time {
		if r.IntN(4) == 0 {
			return time.Time{}
		}
		return time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()
	}
	it := Item{Destination: "tags-" + text(), Key: "customer/" + text(), Summary: text(), LastError: text(),
		Enqueued: moment(), NextAttempt: moment(), LastAttempt: moment(), Seq: r.Uint64() >> r.IntN(64),
		Rev: r.Uint64() >> r.IntN(64), Attempts: r.IntN(20) - 2, Replaced: r.IntN(5)}
	if r.IntN(5) > 0 {
		it.Payload = []byte(text())
	}
	return it
}

func TestItemEncodingIsTheCodecs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	items := codecItems()
	for range 2000 {
		items = append(items, randomItem(r))
	}
	var e itemEncoder
	for i, it := range items {
		want, err := codec.Marshal(&it)
		if err != nil {
			t.Fatalf("item %d: codec: %v", i, err)
		}
		got, ok := e.append([]byte("prefix"), &it)
		if !ok || !bytes.Equal(got[len("prefix"):], want) || string(got[:len("prefix")]) != "prefix" {
			t.Fatalf("item %d %+v:\n got %x (ok %v)\nwant %x", i, it, got, ok, want)
		}
	}
	for _, it := range refused() {
		if _, err := codec.Marshal(&it); err == nil {
			t.Fatalf("the codec wrote %+v; this test expects it to refuse", it)
		}
		if got, ok := e.append(nil, &it); ok || len(got) != 0 {
			t.Errorf("%+v: encoded %x, want it left to the codec", it, got)
		}
	}
}

func TestItemDecodingIsTheCodecs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	items := codecItems()
	for range 2000 {
		items = append(items, randomItem(r))
	}
	var d itemDecoder
	for i, it := range items {
		data, err := codec.Marshal(&it)
		if err != nil {
			t.Fatal(err)
		}
		var want Item
		wantErr := codec.Unmarshal(data, &want)
		var got Item
		scratch := bytes.Clone(data)
		ok := d.decode(scratch, &got)
		clear(scratch) // the decoded item must not point into its input
		if wantErr != nil {
			if ok {
				t.Errorf("item %d: decoded %x, which the codec refuses (%v)", i, data, wantErr)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("item %d: decoded (ok %v)\n%+v\nwant %+v", i, ok, got, want)
		}
	}
}

func TestItemDecodingLeavesTheUnusualToTheCodec(t *testing.T) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	valid, err := codec.Marshal(&Item{Destination: "d", Key: "k", Enqueued: at, NextAttempt: at, Seq: 7, Rev: 7})
	if err != nil {
		t.Fatal(err)
	}
	var d itemDecoder
	var it Item
	if !d.decode(valid, &it) || it.Seq != 7 || !it.Enqueued.Equal(at) {
		t.Fatalf("valid item: %+v", it)
	}
	// A newer binary's extra key 13: the codec ignores it; the fast path leaves it.
	extra := append([]byte{codec.Version, 0xa9}, valid[2:]...)
	extra = append(extra, 0x0d, 0x01)
	cases := map[string][]byte{
		"empty":          nil,
		"other version":  append([]byte{2}, valid[1:]...),
		"trailing byte":  append(append([]byte{}, valid...), 0x00),
		"truncated":      valid[:len(valid)-1],
		"unknown key":    extra,
		"not a map":      {codec.Version, 0x80},
		"indefinite map": {codec.Version, 0xbf, 0xff},
		"text not UTF-8": {codec.Version, 0xa1, 0x01, 0x61, 0xff},
		"tagged time":    {codec.Version, 0xa1, 0x05, 0xc0, 0x74, '2', '0', '2', '5', '-', '0', '3', '-', '0', '1', 'T', '1', '0', ':', '0', '0', ':', '0', '0', 'Z'},
		"keys unsorted":  {codec.Version, 0xa2, 0x02, 0x61, 'k', 0x01, 0x61, 'd'},
		"negative seq":   {codec.Version, 0xa1, 0x0a, 0x20},
		"huge attempts":  {codec.Version, 0xa1, 0x06, 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, data := range cases {
		if d.decode(data, &it) {
			t.Errorf("%s: decoded %x as %+v, want it left to the codec", name, data, it)
		}
	}
	var viaCodec Item
	if err := codec.Unmarshal(extra, &viaCodec); err != nil || viaCodec.Seq != 7 {
		t.Errorf("the codec reads the extra key's item as %+v, %v", viaCodec, err)
	}
}

// FuzzItemDecoding: whatever the fast decoder accepts, the codec reads the same way.
func FuzzItemDecoding(f *testing.F) {
	for _, it := range codecItems() {
		data, err := codec.Marshal(&it)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d itemDecoder
		var got Item
		if !d.decode(data, &got) {
			return
		}
		var want Item
		if err := codec.Unmarshal(data, &want); err != nil {
			t.Fatalf("decoded %x, which the codec refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %x as\n%+v\nthe codec reads\n%+v", data, got, want)
		}
	})
}
