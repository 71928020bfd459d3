package decode

import (
	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/profiles"
)

// restMoneyBag is a REST *_set object: the same amount in shop and presentment currency.
// Records keep the presentment side (see the package doc); an order's total is also kept in
// the shop currency.
type restMoneyBag struct {
	PresentmentMoney *restMoney `json:"presentment_money"`
	ShopMoney        *restMoney `json:"shop_money"`
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

// shop returns the bag's shop-currency amount and currency, like presentment.
func (b *restMoneyBag) shop() (amount decimal.Decimal, currency string, present, ok bool) {
	if b == nil || b.ShopMoney == nil {
		return decimal.Decimal{}, "", false, true
	}
	d, present, ok := b.ShopMoney.Amount.money()
	return d, b.ShopMoney.CurrencyCode, present, ok
}

// shopMoney is the order's total in the shop currency when it differs from the presentment
// currency (nil otherwise, or when the payload has none). Refunded is the shop side when the
// payload gives it (refundedPresent), else the presentment refunds converted at the order's
// own rate (shop total / presentment total), as Shopify converts a refund of that order.
func shopMoney(r *profiles.OrderRecord, total decimal.Decimal, currency string, refunded decimal.Decimal, refundedPresent bool) *profiles.ShopMoney {
	if currency == "" || currency == r.Currency {
		return nil
	}
	if !refundedPresent {
		refunded = decimal.Zero
		if !r.Refunded.IsZero() && !r.Total.IsZero() {
			refunded = r.Refunded.Mul(total).Div(r.Total).Round(2)
		}
	}
	return &profiles.ShopMoney{Currency: currency, Total: total, Refunded: refunded}
}
