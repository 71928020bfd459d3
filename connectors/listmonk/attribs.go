package listmonk

import (
	"maps"
	"reflect"
	"strconv"

	"github.com/cohortd/cohortd/connectors/email"
)

// propAttribs maps the engine's property names to keys of the connector's attribs object
// ({"cohortd": {"rfm_group": "champions", "predicted_clv": 412.5}}); numeric properties
// become JSON numbers so listmonk's SQL segmentation can compare them
// (subscribers.attribs->'cohortd'->>'predicted_clv')::numeric > 100).
var propAttribs = map[string]struct {
	key     string
	numeric bool
}{
	email.PropRFMGroup:       {"rfm_group", false},
	email.PropLifecycle:      {"lifecycle", false},
	email.PropChurnRisk:      {"churn_risk", false},
	email.PropPredictedCLV:   {"predicted_clv", true},
	email.PropPAlive:         {"p_alive", true},
	email.PropExpectedOrders: {"expected_orders", true},
}

// attribsValue is the JSON value a property is stored as; ok is false for an empty value
// (the key is removed).
func attribsValue(numeric bool, v string) (any, bool) {
	if v == "" {
		return nil, false
	}
	if numeric {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f, true
		}
	}
	return v, true
}

// nextAttribs applies props to a subscriber's attribs and reports whether anything
// changed. Only the connector's key (Options.AttribsKey) is touched; unknown property
// names are skipped. The result holds every top-level key of current, so it is right
// whether the server merges or replaces attribs.
func nextAttribs(key string, current map[string]any, props map[string]string) (map[string]any, bool) {
	if len(props) == 0 {
		return current, false
	}
	old, _ := current[key].(map[string]any)
	ns := maps.Clone(old)
	if ns == nil {
		ns = map[string]any{}
	}
	for name, v := range props {
		p, known := propAttribs[name]
		if !known {
			continue
		}
		if val, ok := attribsValue(p.numeric, v); ok {
			ns[p.key] = val
		} else {
			delete(ns, p.key)
		}
	}
	_, had := current[key]
	if reflect.DeepEqual(ns, old) && (had || len(ns) == 0) {
		return current, false
	}
	next := maps.Clone(current)
	if next == nil {
		next = map[string]any{}
	}
	next[key] = ns
	return next, true
}
