package profiles

import (
	"math/big"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func sameDecimal(a, b decimal.Decimal) bool {
	return a.Exponent() == b.Exponent() && a.Coefficient().Cmp(b.Coefficient()) == 0
}

// Packing keeps every decimal exactly (coefficient and exponent), from zero values to
// coefficients beyond 64 bits, and every other field.
func TestPackedMoneyRoundTrips(t *testing.T) {
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	div := decimal.RequireFromString("12.5").Mul(decimal.RequireFromString("40.00")).Div(decimal.RequireFromString("49.95"))
	in := orderMoneyFacts{
		compact: CompactOrder{
			Currency: "EUR", Net: decimal.RequireFromString("39.95"), NetBase: decimal.Decimal{},
			Converted: true, Refunded: true, Items: 3, Device: "mobile",
			Types: []TypeSpend{{Type: "Hats", Spend: decimal.RequireFromString("10.0100")}, {Type: "Scarves", Spend: decimal.NewFromBigInt(huge, -4)}},
		},
		refBase: decimal.RequireFromString("-0.000001"),
		types:   []TypeSpend{{Type: "Hats", Spend: div}},
		shipTo:  "GB",
	}
	out, err := unpackMoney(packMoney(nil, &in), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, w := out.compact, in.compact
	if c.Currency != w.Currency || c.Converted != w.Converted || c.Cancelled != w.Cancelled || c.Refunded != w.Refunded ||
		c.Zero != w.Zero || c.Items != w.Items || c.Device != w.Device || out.shipTo != in.shipTo {
		t.Fatalf("fields: got %+v, want %+v", out, in)
	}
	pairs := [][2]decimal.Decimal{{c.Net, w.Net}, {c.NetBase, w.NetBase}, {out.refBase, in.refBase}}
	if len(c.Types) != 2 || len(out.types) != 1 {
		t.Fatalf("types %v %v", c.Types, out.types)
	}
	for i := range w.Types {
		pairs = append(pairs, [2]decimal.Decimal{c.Types[i].Spend, w.Types[i].Spend})
	}
	pairs = append(pairs, [2]decimal.Decimal{out.types[0].Spend, div})
	for i, p := range pairs {
		if !sameDecimal(p[0], p[1]) {
			t.Errorf("decimal %d: got %s (exp %d), want %s (exp %d)", i, p[0], p[0].Exponent(), p[1], p[1].Exponent())
		}
	}
	// Cut short anywhere, it is an error, not a panic.
	b := packMoney(nil, &in)
	for n := range len(b) {
		if _, err := unpackMoney(b[:n], nil); err == nil {
			t.Fatalf("unpacking %d of %d bytes gave no error", n, len(b))
		}
	}
}

// A merge order, read from its order's record, keeps its date with its zone, its store/id
// and its money.
func TestMergeOrderFromTheRecord(t *testing.T) {
	money := orderMoneyFacts{compact: CompactOrder{Currency: "USD", Net: decimal.RequireFromString("12.50"), Converted: true, Items: 2}, shipTo: "US"}
	facts := newFactArena()
	for _, created := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999, time.FixedZone("", -7*3600)),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		store, _, at, err := facts.addOrder("shop-a", appendFactRecord(nil, "5001", "shop-a/customer/7", nil),
			appendMergeRecord(nil, created, "5001", packMoney(nil, &money)), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got mergeOrder
		if err := facts.mergeOrder(mergeRef{at: at, store: store}, nil, &got); err != nil {
			t.Fatal(err)
		}
		_, gotOff := got.created.Zone()
		_, wantOff := created.Zone()
		if !got.created.Equal(created) || gotOff != wantOff || got.ref != "shop-a/5001" ||
			got.money.compact.Currency != "USD" || !got.money.compact.Net.Equal(money.compact.Net) || got.money.shipTo != "US" {
			t.Fatalf("got %+v (created %v), want created %v", got, got.created, created)
		}
	}
}
