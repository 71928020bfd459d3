package profiles

import (
	"math/big"
	"testing"

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
