package decode

import "github.com/shopspring/decimal"

// restMoneyBag is a REST *_set object: the same amount in shop and presentment currency.
// Only the presentment side is decoded (see the package doc).
type restMoneyBag struct {
	PresentmentMoney *restMoney `json:"presentment_money"`
}

// restMoney is one side of a money bag. The amount is a string in current payloads; older
// ones (and refund_line_items' subtotal) use numbers.
type restMoney struct {
	Amount       scalar `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

// presentment returns the bag's presentment amount and currency; present is false when the
// bag, its presentment money or its amount is null.
func (b *restMoneyBag) presentment() (amount decimal.Decimal, currency string, present, ok bool) {
	if b == nil || b.PresentmentMoney == nil {
		return decimal.Decimal{}, "", false, true
	}
	d, present, ok := b.PresentmentMoney.Amount.money()
	return d, b.PresentmentMoney.CurrencyCode, present, ok
}
