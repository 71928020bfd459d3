package decode

import (
	"bytes"
	"encoding/json"
	"strings"
)

// wcMeta is one meta_data entry. Values are any JSON; only the ones this package reads are
// decoded.
type wcMeta struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// metaString returns the value of key as a string (a JSON string, number or boolean), and
// whether the key was present with such a value. The last entry wins, as in WordPress.
func metaString(meta []wcMeta, key string) (string, bool) {
	val, ok := "", false
	for _, m := range meta {
		if m.Key != key {
			continue
		}
		v := bytes.TrimSpace(m.Value)
		var s string
		switch {
		case len(v) > 0 && v[0] == '"':
			if json.Unmarshal(v, &s) != nil {
				continue
			}
		case bytes.Equal(v, []byte("true")), bytes.Equal(v, []byte("false")):
			s = string(v)
		case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
			s = string(v)
		default:
			continue
		}
		val, ok = s, true
	}
	return val, ok
}

// MailchimpSubscribedMeta is the user meta the Mailchimp for WooCommerce plugin keeps a
// customer's newsletter opt-in in. It is the only consent signal this package reads.
const MailchimpSubscribedMeta = "mailchimp_woocommerce_is_subscribed"

// consentState reads MailchimpSubscribedMeta: "subscribed", "not_subscribed" or "" (unknown).
func consentState(meta []wcMeta) string {
	v, ok := metaString(meta, MailchimpSubscribedMeta)
	if !ok {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true":
		return "subscribed"
	case "0", "no", "false":
		return "not_subscribed"
	}
	return ""
}

// SegmentsMeta reads the value cohortd wrote under key into a customer's meta_data (a JSON
// array of segment names) from a customer resource or a customer.updated body. found is false
// when the key is absent or holds null. A comma-separated string is accepted too (a merchant
// editing the value by hand in wp-admin leaves one). It lets the daemon recognise the
// customer.updated webhook its own write caused: same canonical record, and the segments it
// wrote.
func SegmentsMeta(raw []byte, key string) (segments []string, found bool, err error) {
	var c struct {
		ID   wcID     `json:"id"`
		Meta []wcMeta `json:"meta_data"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, jsonErr("customer", err)
	}
	id, _ := c.ID.id()
	var value json.RawMessage
	for _, m := range c.Meta {
		if m.Key == key {
			value = bytes.TrimSpace(m.Value)
		}
	}
	if len(value) == 0 || bytes.Equal(value, []byte("null")) {
		return nil, false, nil
	}
	switch value[0] {
	case '[':
		if err := json.Unmarshal(value, &segments); err != nil {
			return nil, true, fieldErr("customer", id, "meta_data."+clip(key), "not an array of strings")
		}
	case '"':
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return nil, true, fieldErr("customer", id, "meta_data."+clip(key), "malformed string")
		}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				segments = append(segments, part)
			}
		}
	default:
		return nil, true, fieldErr("customer", id, "meta_data."+clip(key), "neither an array nor a string")
	}
	if segments == nil {
		segments = []string{}
	}
	return segments, true, nil
}
