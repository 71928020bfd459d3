package shopifyfake

import (
	"strconv"
	"strings"
	"time"
)

// source points at a record's original REST JSON line in the generator's files; n == 0
// means the record was created in the fake and its REST JSON is rendered from the struct.
type source struct {
	off int64
	n   int32
}

// address is a MailingAddress; "" stands for null.
type address struct {
	ID                                     uint64 // customer addresses only
	FirstName, LastName, Company           string
	Address1, Address2, City               string
	Province, ProvinceCode, Country, CCode string
	Zip, Phone                             string
}

// Marketing states and opt-in levels, indexes into the GraphQL enums below.
const (
	mNotSubscribed uint8 = iota
	mSubscribed
	mUnsubscribed
	mPending
)

var marketingStates = [...]string{"NOT_SUBSCRIBED", "SUBSCRIBED", "UNSUBSCRIBED", "PENDING"}
var restMarketingStates = [...]string{"not_subscribed", "subscribed", "unsubscribed", "pending"}
var optInLevels = [...]string{"SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN"}
var restOptInLevels = [...]string{"single_opt_in", "confirmed_opt_in", "unknown"}

// customer holds what the GraphQL Customer and the REST customer payload need.
type customer struct {
	ID                   uint64
	Email, Phone         string
	FirstName, LastName  string
	Locale               string
	Tags                 []string
	CreatedAt, UpdatedAt int64 // unix seconds
	ConsentAt            int64 // 0: null
	Spent                int64 // hundredths
	Orders               uint32
	Currency             [3]byte
	Marketing, OptIn     uint8
	Deleted              bool
	Addresses            []address
	src                  source
}

// lineItem is one order line; title, sku and vendor are interned.
type lineItem struct {
	ID, ProductID      uint64
	Title, SKU, Vendor string
	Qty                int32
	Price              int64 // unit price, hundredths
}

// refund is an order refund with its total (sum of refund transactions).
type refund struct {
	ID        uint64
	CreatedAt int64
	Amount    int64
	Note      string
}

// order holds what the GraphQL Order and the REST order payload need.
type order struct {
	ID                                 uint64
	Customer                           uint64 // 0: guest checkout
	Email, Phone                       string
	CreatedAt, UpdatedAt, ProcessedAt  int64
	CancelledAt, ClosedAt              int64 // 0: null
	Total, Subtotal, Tax               int64
	Number                             uint32
	Currency, Presentment              [3]byte
	Locale, ClientIP, SourceName       string
	CancelReason, Financial, UserAgent string // REST-only details kept for payloads of new orders
	Test                               bool
	Billing, Shipping                  *address
	Items                              []lineItem
	Refunds                            []refund
	restRefunds                        int // refunds present in the original REST line
	src                                source
}

// product is a catalogue entry (line items join productType through it).
type product struct {
	ID                  uint64
	Title, Vendor, Type string
}

func (o *order) refunded() int64 {
	var s int64
	for _, r := range o.Refunds {
		s += r.Amount
	}
	return s
}

func gid(kind string, id uint64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatUint(id, 10)
}

// parseGID returns the kind and number of "gid://shopify/Kind/N" (query strings ignored).
func parseGID(s string) (string, uint64, bool) {
	rest, ok := strings.CutPrefix(s, "gid://shopify/")
	if !ok {
		return "", 0, false
	}
	kind, num, ok := strings.Cut(rest, "/")
	if !ok {
		return "", 0, false
	}
	num, _, _ = strings.Cut(num, "?")
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return kind, n, true
}

// isoTime is Shopify's GraphQL DateTime: UTC, seconds, Z.
func isoTime(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05Z")
}

func timeOrNil(t int64) any {
	if t == 0 {
		return nil
	}
	return isoTime(t)
}

// zeroDecimals lists currencies without minor units among those the generator uses.
func currencyDecimals(c [3]byte) int {
	switch string(c[:]) {
	case "JPY", "KRW", "VND", "CLP", "ISK":
		return 0
	}
	return 2
}

// decimalString formats hundredths the way Shopify's GraphQL Decimal does: at least one
// decimal, trailing zeros trimmed ("12.34", "12.3", "12.0").
func decimalString(h int64) string {
	neg := h < 0
	if neg {
		h = -h
	}
	s := strconv.FormatInt(h/100, 10) + "." + strconv.FormatInt(h%100/10, 10)
	if d := h % 10; d != 0 {
		s += strconv.FormatInt(d, 10)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// restMoney formats hundredths like REST ("12.30", JPY "1230").
func restMoney(h int64, cur [3]byte) string {
	if currencyDecimals(cur) == 0 {
		return strconv.FormatInt(h/100, 10)
	}
	neg := ""
	if h < 0 {
		neg, h = "-", -h
	}
	return neg + strconv.FormatInt(h/100, 10) + "." + strconv.FormatInt(h%100/10, 10) + strconv.FormatInt(h%10, 10)
}

// parseMoney reads "12.3", "12.34" or "1230" into hundredths.
func parseMoney(s string) int64 {
	ip, fp, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(ip, "-")
	ip = strings.TrimPrefix(ip, "-")
	n, _ := strconv.ParseInt(ip, 10, 64)
	n *= 100
	if len(fp) > 0 {
		n += int64(fp[0]-'0') * 10
	}
	if len(fp) > 1 {
		n += int64(fp[1] - '0')
	}
	if neg {
		n = -n
	}
	return n
}

// splitTags splits a REST tag string ("a, b") into tags.
func splitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
