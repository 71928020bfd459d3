package klaviyo

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cohortd/cohortd/connectors/email"
)

// propertyNames maps the engine's property names to Klaviyo custom profile property names
// (after the prefix). Names not listed are skipped.
var propertyNames = map[string]string{
	email.PropRFMGroup:       "rfm_group",
	email.PropLifecycle:      "lifecycle",
	email.PropChurnRisk:      "churn_risk",
	email.PropPredictedCLV:   "predicted_clv",
	email.PropPAlive:         "p_alive",
	email.PropExpectedOrders: "expected_orders",
}

// numericProps are written as JSON numbers when they parse as one, so that Klaviyo segments
// can compare them ("predicted_clv greater than 200").
var numericProps = map[string]bool{
	email.PropChurnRisk:      true,
	email.PropPredictedCLV:   true,
	email.PropPAlive:         true,
	email.PropExpectedOrders: true,
}

// desiredProps is what a contact's properties should become: values to set and keys to
// unset (an empty value clears the property).
type desiredProps struct {
	set   map[string]any
	unset map[string]bool
}

func (c *Client) mapProps(in map[string]string, into *desiredProps) {
	for name, v := range in {
		remote, ok := propertyNames[name]
		if !ok {
			continue
		}
		key := c.opts.PropertyPrefix + remote
		if into.set == nil {
			into.set, into.unset = map[string]any{}, map[string]bool{}
		}
		v = strings.TrimSpace(v)
		if v == "" {
			delete(into.set, key)
			into.unset[key] = true
			continue
		}
		delete(into.unset, key)
		if numericProps[name] {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				into.set[key] = f
				continue
			}
		}
		into.set[key] = v
	}
}

// diff returns what must be written for the remote properties to match: the values that
// differ and the keys to unset that exist.
func (d desiredProps) diff(remote map[string]any) (map[string]any, []string) {
	var set map[string]any
	for k, v := range d.set {
		if old, ok := remote[k]; ok && sameJSON(old, v) {
			continue
		}
		if set == nil {
			set = map[string]any{}
		}
		set[k] = v
	}
	var unset []string
	for k := range d.unset {
		if _, ok := remote[k]; ok {
			unset = append(unset, k)
		}
	}
	return set, unset
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
