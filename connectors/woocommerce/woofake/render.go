package woofake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The structs below render records the fake creates, with the members in the order a real
// WooCommerce 10 answer has them (see testdata/).

var allowAll = targetHints{Allow: []string{"GET", "POST", "PUT", "PATCH", "DELETE"}}

type targetHints struct {
	Allow []string `json:"allow"`
}

type selfLink struct {
	Href        string      `json:"href"`
	TargetHints targetHints `json:"targetHints"`
}

type hrefLink struct {
	Href string `json:"href"`
}

type embeddableLink struct {
	Embeddable bool   `json:"embeddable"`
	Href       string `json:"href"`
}

type recordLinks struct {
	Self           []selfLink       `json:"self"`
	Collection     []hrefLink       `json:"collection"`
	EmailTemplates []embeddableLink `json:"email_templates,omitempty"`
	Customer       []hrefLink       `json:"customer,omitempty"`
	Up             []hrefLink       `json:"up,omitempty"`
}

// Address is a billing or shipping address (Email is used for billing only).
type Address struct {
	FirstName, LastName, Company, Address1, Address2, City, State, Postcode, Country, Email, Phone string
}

type customerBilling struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	State     string `json:"state"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type customerShipping struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	State     string `json:"state"`
	Phone     string `json:"phone"`
}

type orderBilling struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type orderShipping struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Phone     string `json:"phone"`
}

type metaJSON struct {
	ID    uint64          `json:"id"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type customerJSON struct {
	ID               uint64           `json:"id"`
	DateCreated      string           `json:"date_created"`
	DateCreatedGMT   string           `json:"date_created_gmt"`
	DateModified     string           `json:"date_modified"`
	DateModifiedGMT  string           `json:"date_modified_gmt"`
	Email            string           `json:"email"`
	FirstName        string           `json:"first_name"`
	LastName         string           `json:"last_name"`
	Role             string           `json:"role"`
	Username         string           `json:"username"`
	Billing          customerBilling  `json:"billing"`
	Shipping         customerShipping `json:"shipping"`
	IsPayingCustomer bool             `json:"is_paying_customer"`
	AvatarURL        string           `json:"avatar_url"`
	MetaData         []metaJSON       `json:"meta_data"`
	Links            recordLinks      `json:"_links"`
}

type lineItemJSON struct {
	ID          uint64          `json:"id"`
	Name        string          `json:"name"`
	ProductID   uint64          `json:"product_id"`
	VariationID uint64          `json:"variation_id"`
	Quantity    int             `json:"quantity"`
	TaxClass    string          `json:"tax_class"`
	Subtotal    string          `json:"subtotal"`
	SubtotalTax string          `json:"subtotal_tax"`
	Total       string          `json:"total"`
	TotalTax    string          `json:"total_tax"`
	Taxes       []any           `json:"taxes"`
	MetaData    []any           `json:"meta_data"`
	SKU         string          `json:"sku"`
	Price       json.Number     `json:"price"`
	Image       imageJSON       `json:"image"`
	ParentName  json.RawMessage `json:"parent_name"`
}

type imageJSON struct {
	ID  string `json:"id"`
	Src string `json:"src"`
}

type refundSummaryJSON struct {
	ID     uint64 `json:"id"`
	Reason string `json:"reason"`
	Total  string `json:"total"`
}

type orderJSON struct {
	ID                 uint64              `json:"id"`
	ParentID           uint64              `json:"parent_id"`
	Status             string              `json:"status"`
	Currency           string              `json:"currency"`
	Version            string              `json:"version"`
	PricesIncludeTax   bool                `json:"prices_include_tax"`
	DateCreated        string              `json:"date_created"`
	DateModified       string              `json:"date_modified"`
	DiscountTotal      string              `json:"discount_total"`
	DiscountTax        string              `json:"discount_tax"`
	ShippingTotal      string              `json:"shipping_total"`
	ShippingTax        string              `json:"shipping_tax"`
	CartTax            string              `json:"cart_tax"`
	Total              string              `json:"total"`
	TotalTax           string              `json:"total_tax"`
	CustomerID         uint64              `json:"customer_id"`
	OrderKey           string              `json:"order_key"`
	Billing            orderBilling        `json:"billing"`
	Shipping           orderShipping       `json:"shipping"`
	PaymentMethod      string              `json:"payment_method"`
	PaymentMethodTitle string              `json:"payment_method_title"`
	TransactionID      string              `json:"transaction_id"`
	CustomerIPAddress  string              `json:"customer_ip_address"`
	CustomerUserAgent  string              `json:"customer_user_agent"`
	CreatedVia         string              `json:"created_via"`
	CustomerNote       string              `json:"customer_note"`
	DateCompleted      *string             `json:"date_completed"`
	DatePaid           *string             `json:"date_paid"`
	CartHash           string              `json:"cart_hash"`
	Number             string              `json:"number"`
	MetaData           []any               `json:"meta_data"`
	LineItems          []lineItemJSON      `json:"line_items"`
	TaxLines           []any               `json:"tax_lines"`
	ShippingLines      []any               `json:"shipping_lines"`
	FeeLines           []any               `json:"fee_lines"`
	CouponLines        []any               `json:"coupon_lines"`
	Refunds            []refundSummaryJSON `json:"refunds"`
	PaymentURL         string              `json:"payment_url"`
	IsEditable         bool                `json:"is_editable"`
	NeedsPayment       bool                `json:"needs_payment"`
	NeedsProcessing    bool                `json:"needs_processing"`
	DateCreatedGMT     string              `json:"date_created_gmt"`
	DateModifiedGMT    string              `json:"date_modified_gmt"`
	DateCompletedGMT   *string             `json:"date_completed_gmt"`
	DatePaidGMT        *string             `json:"date_paid_gmt"`
	CurrencySymbol     string              `json:"currency_symbol"`
	Links              recordLinks         `json:"_links"`
}

type refundJSON struct {
	ID              uint64      `json:"id"`
	DateCreated     string      `json:"date_created"`
	DateCreatedGMT  string      `json:"date_created_gmt"`
	Amount          string      `json:"amount"`
	Reason          string      `json:"reason"`
	RefundedBy      uint64      `json:"refunded_by"`
	RefundedPayment bool        `json:"refunded_payment"`
	MetaData        []any       `json:"meta_data"`
	LineItems       []any       `json:"line_items"`
	ShippingLines   []any       `json:"shipping_lines"`
	TaxLines        []any       `json:"tax_lines"`
	FeeLines        []any       `json:"fee_lines"`
	Links           refundLinks `json:"_links"`
}

type refundLinks struct {
	Self       []selfLink `json:"self"`
	Collection []hrefLink `json:"collection"`
	Up         []hrefLink `json:"up"`
}

// marshalJSON encodes without HTML escaping ("&" stays "&", as PHP writes it).
func marshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func (f *Fake) localTime(t time.Time) string { return t.In(f.opts.Location).Format(gmtLayout) }
func gmtTime(t time.Time) string             { return t.UTC().Format(gmtLayout) }

func gravatar(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "https://secure.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=96&d=mm&r=g"
}

func (f *Fake) selfLinks(kind string, id uint64) recordLinks {
	base := f.restURL("/wc/v3/" + kind)
	return recordLinks{
		Self:       []selfLink{{Href: base + "/" + strconv.FormatUint(id, 10), TargetHints: allowAll}},
		Collection: []hrefLink{{Href: base}},
	}
}

func custBilling(a Address) customerBilling {
	return customerBilling{a.FirstName, a.LastName, a.Company, a.Address1, a.Address2, a.City, a.Postcode, a.Country, a.State, a.Email, a.Phone}
}

func custShipping(a Address) customerShipping {
	return customerShipping{a.FirstName, a.LastName, a.Company, a.Address1, a.Address2, a.City, a.Postcode, a.Country, a.State, a.Phone}
}

func ordBilling(a Address) orderBilling {
	return orderBilling(a)
}

func ordShipping(a Address) orderShipping {
	return orderShipping{a.FirstName, a.LastName, a.Company, a.Address1, a.Address2, a.City, a.State, a.Postcode, a.Country, a.Phone}
}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "CAD": "$", "AUD": "$", "JPY": "¥", "CHF": "CHF"}

func strPtr(s string) *string { return &s }
