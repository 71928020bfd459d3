package rules

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/cohortd/cohortd/segments"
)

// FieldDoc documents one field rules can use.
type FieldDoc struct {
	Name string // the name in rules, from the field's expr tag: orders_count
	Type string // the type as expr names it in messages: int, float64, string, bool, []string, map[string]float64
	Doc  string // what it means
}

// fieldDocs documents every field of segments.Features by its expr name. A test fails when a
// field has no entry here, or an entry names no field.
var fieldDocs = map[string]string{
	"profile_id": "The profile's id.",

	"has_orders":             "true when the customer has at least one order.",
	"orders_count":           "Number of orders, cancelled orders excluded.",
	"total_spent":            "Money spent, in the base currency, net of refunds; cancelled orders excluded.",
	"average_order_value":    "total_spent / orders_count; 0 without orders.",
	"days_since_last_order":  "Whole days from the last order to the time segments are computed; -1 without orders.",
	"days_since_first_seen":  "Whole days since the first order or the signup, whichever is earlier; -1 when unknown.",
	"days_since_first_order": "Whole days since the first order; -1 without orders.",
	"cancellations":          "Number of cancelled orders.",
	"refunded_orders":        "Number of orders with a refund.",
	"refund_rate":            "refunded_orders / orders_count, from 0 to 1; 0 without orders.",
	"cancel_rate":            "cancellations / (orders_count + cancellations), from 0 to 1; 0 without either.",
	"items":                  "Number of items bought.",

	"has_email":         "true when the customer has a syntactically valid email address.",
	"email_domain":      `Domain of that address, e.g. "gmail.com"; "" without one.`,
	"accepts_marketing": "true when some linked store reported the customer subscribed to marketing.",
	"country":           `ISO 3166-1 alpha-2 country code of the first address (else the country most shipped to), e.g. "FR"; "" when unknown.`,
	"region":            `Region code of the first address, e.g. "CA" for California; "" when unknown.`,
	"continent":         `Continent code of the first address: "AF", "AN", "AS", "EU", "NA", "OC" or "SA"; "" when unknown.`,
	"locale":            `The customer's locale as the store reports it, e.g. "fr-CA"; "" when unknown.`,
	"language":          `The locale's language, lower case, e.g. "fr"; "" when unknown.`,
	"currency":          `ISO 4217 code of the currency the customer spent most in, e.g. "EUR".`,
	"device":            `"mobile", "desktop" or "tablet": the device of most orders; "" when unknown.`,
	"tags":              `The merchant's own customer tags, sorted, without duplicates: "vip" in tags.`,
	"stores":            "Ids of the configured stores the customer is known in.",

	"rfm_r":     "Recency score, 1 to 5 (quintile of the population), 5 = ordered most recently; 0 without orders.",
	"rfm_f":     "Frequency score, 1 to 5, 5 = most orders; 0 without orders.",
	"rfm_m":     "Monetary score, 1 to 5, 5 = most spent; 0 without orders.",
	"rfm_group": "RFM group of the three scores: " + quoted(segments.RFMGroups) + `; "" without orders.`,
	"lifecycle": `"new" (first order or signup within segments.lifecycle.new_days), "prospect" (no order), ` +
		`then by days since the last order "active", "dormant" or "lost".`,
	"frequency_tier": `"high", "medium" or "low" by number of orders (segments.frequency); "" without orders.`,
	"aov_tier":       `"high", "medium" or "low" by average order value (segments.aov); "" without orders.`,
	"risk":           "true when the refund or cancellation rate is above segments.risk.rate with at least segments.risk.min_orders orders.",

	"affinity":     `Share of spend per product type or vendor, weighted towards recent orders; the shares sum to 1. affinity["Shoes"] is 0 for a type never bought.`,
	"top_affinity": "The strongest product types or vendors (segments.affinity), strongest first.",

	"p_alive":         "Probability that the customer is still active (BG/NBD), 0 to 1; -1 when the store's history allows no fit.",
	"expected_orders": "Expected number of orders in the next segments.predict.expected_days days (default 90); -1 without a fit.",
	"predicted_clv":   "Predicted customer lifetime value in the base currency; -1 without a fit.",
	"churn_risk":      `"low", "medium" or "high", from p_alive; "" without a fit.`,
}

// quoted lists names as "a", "b" or "c".
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

var (
	fieldsOnce sync.Once
	fieldList  []FieldDoc
	nameList   []string
)

// Fields lists the fields rules can use, in the order segments.Features declares them: every
// exported field not tagged expr:"-", named by its expr tag (by its Go name without one, as
// expr does).
func Fields() []FieldDoc {
	fieldsOnce.Do(loadFields)
	return append([]FieldDoc(nil), fieldList...)
}

// fieldNames are the names of Fields.
func fieldNames() []string {
	fieldsOnce.Do(loadFields)
	return nameList
}

func loadFields() {
	for i := range featuresType.NumField() {
		sf := featuresType.Field(i)
		name := sf.Tag.Get("expr")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fieldList = append(fieldList, FieldDoc{Name: name, Type: typeName(sf.Type), Doc: fieldDocs[name]})
		nameList = append(nameList, name)
	}
}

// typeName names a field's type as expr's messages do (mismatched types float64 and string).
func typeName(t reflect.Type) string {
	return t.String()
}
