package decode

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// restRefund is a REST Refund resource, as refunds/create sends it and as orders carry it in
// refunds[] (go-shopify's Refund type describes the same shape).
type restRefund struct {
	ID              scalar            `json:"id"`
	OrderID         scalar            `json:"order_id"`
	CreatedAt       string            `json:"created_at"`
	ProcessedAt     string            `json:"processed_at"`
	Transactions    []restTransaction `json:"transactions"`
	RefundLineItems []restRefundLine  `json:"refund_line_items"`
}

type restTransaction struct {
	Amount   scalar `json:"amount"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Currency string `json:"currency"`
}

type restRefundLine struct {
	Subtotal    scalar        `json:"subtotal"`
	TotalTax    scalar        `json:"total_tax"`
	SubtotalSet *restMoneyBag `json:"subtotal_set"`
	TotalTaxSet *restMoneyBag `json:"total_tax_set"`
}

// money returns what a refund gave back and its currency ("" when the payload does not say).
//
// A refund's money is its transactions: every transaction of kind "refund" whose status is
// "success" (or unset) counts; pending, failed and errored ones do not, and a later order
// update carries them once they succeed. Shopify creates refund transactions in the order's
// presentment currency (RefundInput.currency "must be the presentment currency"), so their sum
// is presentment money. A refund without any transaction (older payloads, or a refund recorded
// without a payment) is valued by its refund_line_items: subtotal plus tax, presentment side
// of subtotal_set/total_tax_set when present, else the plain subtotal/total_tax.
// Order adjustments (shipping refunds, discrepancies) are bookkeeping entries already covered
// by the transactions and are not added.
//
// path prefixes the field names in errors ("refunds[1]").
func (rf *restRefund) money(path string) (amount decimal.Decimal, currency string, field, reason string) {
	if len(rf.Transactions) > 0 {
		for i := range rf.Transactions {
			t := &rf.Transactions[i]
			if t.Kind != "refund" || (t.Status != "" && t.Status != "success") {
				continue
			}
			p := path + "transactions[" + strconv.Itoa(i) + "]"
			d, present, ok := t.Amount.money()
			if !present || !ok {
				return decimal.Decimal{}, "", p + ".amount", "not a decimal"
			}
			if t.Currency != "" {
				if currency != "" && currency != t.Currency {
					return decimal.Decimal{}, "", p + ".currency", "differs from the refund's other transactions"
				}
				currency = t.Currency
			}
			amount = amount.Add(d)
		}
		return amount, currency, "", ""
	}
	for i := range rf.RefundLineItems {
		l := &rf.RefundLineItems[i]
		p := path + "refund_line_items[" + strconv.Itoa(i) + "]"
		for _, part := range [...]struct {
			name  string
			plain scalar
			set   *restMoneyBag
		}{{"subtotal", l.Subtotal, l.SubtotalSet}, {"total_tax", l.TotalTax, l.TotalTaxSet}} {
			d, cur, present, ok := part.set.presentment()
			if !ok {
				return decimal.Decimal{}, "", p + "." + part.name + "_set.presentment_money.amount", "not a decimal"
			}
			if !present {
				if d, present, ok = part.plain.money(); !ok {
					return decimal.Decimal{}, "", p + "." + part.name, "not a decimal"
				}
				cur = ""
			}
			if !present {
				continue
			}
			if cur != "" {
				if currency != "" && currency != cur {
					return decimal.Decimal{}, "", p + "." + part.name + "_set.presentment_money.currency_code", "differs from the refund's other amounts"
				}
				currency = cur
			}
			amount = amount.Add(d)
		}
	}
	return amount, currency, "", ""
}

// RefundEvent is a refunds/create webhook: one refund to apply to a stored order (add Amount
// to its Refunded). Amount is presentment money; Currency is "" when the payload did not name
// it (then it is the order's currency).
type RefundEvent struct {
	Store     string
	OrderID   string
	RefundID  string
	Amount    decimal.Decimal
	Currency  string
	CreatedAt time.Time
}

func (RefundEvent) isEvent() {}

// restRefundEvent decodes a refunds/create body.
func restRefundEvent(storeID, topic string, body []byte) (RefundEvent, error) {
	var rf restRefund
	if err := json.Unmarshal(body, &rf); err != nil {
		return RefundEvent{}, jsonErr(topic, err)
	}
	id, ok := rf.ID.id()
	switch {
	case !ok:
		return RefundEvent{}, fieldErr(topic, "", "id", "not a numeric id")
	case id == "":
		return RefundEvent{}, fieldErr(topic, "", "id", "missing")
	}
	orderID, ok := rf.OrderID.id()
	switch {
	case !ok:
		return RefundEvent{}, fieldErr(topic, id, "order_id", "not a numeric id")
	case orderID == "":
		return RefundEvent{}, fieldErr(topic, id, "order_id", "missing")
	}
	ev := RefundEvent{Store: storeID, OrderID: orderID, RefundID: id}
	var field, reason string
	if ev.Amount, ev.Currency, field, reason = rf.money(""); field != "" {
		return RefundEvent{}, fieldErr(topic, id, field, reason)
	}
	created, ok := parseTime(rf.CreatedAt)
	if !ok {
		return RefundEvent{}, fieldErr(topic, id, "created_at", "not an ISO 8601 time")
	}
	processed, ok := parseTime(rf.ProcessedAt)
	if !ok {
		return RefundEvent{}, fieldErr(topic, id, "processed_at", "not an ISO 8601 time")
	}
	if ev.CreatedAt = created; ev.CreatedAt.IsZero() {
		ev.CreatedAt = processed
	}
	return ev, nil
}
