package mailchimp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cohortd/cohortd/connectors/email"
)

// propField maps one cohortd property to the audience merge field that carries it. Merge tags
// are at most 10 characters (Mailchimp's limit), hence the short names.
type propField struct {
	tag, name, typ string
}

// propFields are the properties the connector writes; a Change's other props are skipped.
// Scores are "number" fields so merchants can segment on them in Mailchimp (CCLV > 200).
var propFields = map[string]propField{
	email.PropRFMGroup:       {"CRFM", "cohortd RFM group", "text"},
	email.PropLifecycle:      {"CLIFE", "cohortd lifecycle", "text"},
	email.PropChurnRisk:      {"CCHURN", "cohortd churn risk", "text"},
	email.PropPredictedCLV:   {"CCLV", "cohortd predicted CLV", "number"},
	email.PropPAlive:         {"CPALIVE", "cohortd P(alive)", "number"},
	email.PropExpectedOrders: {"CEXPORD", "cohortd expected orders", "number"},
}

// Merge tags of the name fields every new Mailchimp audience has.
const (
	tagFirstName = "FNAME"
	tagLastName  = "LNAME"
)

// mergeValues turns a change's props into merge values (numbers as JSON numbers). Unknown
// props and numbers that do not parse are skipped; "" clears a field.
func mergeValues(props map[string]string) map[string]any {
	out := map[string]any{}
	for name, v := range props {
		f, ok := propFields[name]
		if !ok {
			continue
		}
		if f.typ == "number" && v != "" {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				continue
			}
			out[f.tag] = json.Number(strconv.FormatFloat(n, 'f', -1, 64))
			continue
		}
		out[f.tag] = v
	}
	return out
}

// sameMergeValue reports whether the member's current value already equals want, so a replay
// writes nothing: numbers compare as numbers, everything else as text.
func sameMergeValue(current any, want any) bool {
	cs := mergeText(current)
	ws := mergeText(want)
	if cs == ws {
		return true
	}
	cf, err1 := strconv.ParseFloat(cs, 64)
	wf, err2 := strconv.ParseFloat(ws, 64)
	return err1 == nil && err2 == nil && math.Abs(cf-wf) <= 1e-9*math.Max(1, math.Abs(wf))
}

func mergeText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ensureMergeFields makes sure the audience has the merge fields of these tags, creating
// missing ones. The audience's tags are read once per Client and cached; forgetMergeFields
// drops the cache when a write says a field is missing after all.
func (c *Client) ensureMergeFields(ctx context.Context, tags map[string]propField) error {
	c.mergeMu.Lock()
	defer c.mergeMu.Unlock()
	if c.mergeTags == nil {
		have, err := c.readMergeTags(ctx)
		if err != nil {
			return err
		}
		c.mergeTags = have
	}
	for tag, f := range tags {
		if c.mergeTags[tag] {
			continue
		}
		body := map[string]any{"tag": f.tag, "name": f.name, "type": f.typ, "public": false}
		err := c.call(ctx, "create merge field "+f.tag, http.MethodPost, c.listPath()+"/merge-fields", nil, body, nil)
		var apiErr *APIError
		if err != nil && !(errors.As(err, &apiErr) && strings.Contains(apiErr.Detail, "already exists")) {
			return err
		}
		c.log.Info().Str("merge_tag", f.tag).Msg("created merge field")
		c.mergeTags[tag] = true
	}
	return nil
}

func (c *Client) readMergeTags(ctx context.Context) (map[string]bool, error) {
	have := map[string]bool{}
	for offset := 0; ; {
		var page struct {
			MergeFields []struct {
				Tag string `json:"tag"`
			} `json:"merge_fields"`
			TotalItems int `json:"total_items"`
		}
		q := url.Values{"count": {"1000"}, "offset": {strconv.Itoa(offset)}, "fields": {"merge_fields.tag,total_items"}}
		if err := c.call(ctx, fmt.Sprintf("list merge fields at offset %d", offset), http.MethodGet, c.listPath()+"/merge-fields", q, nil, &page); err != nil {
			return nil, err
		}
		for _, f := range page.MergeFields {
			have[f.Tag] = true
		}
		offset += len(page.MergeFields)
		if len(page.MergeFields) == 0 || offset >= page.TotalItems {
			return have, nil
		}
	}
}

func (c *Client) forgetMergeFields() {
	c.mergeMu.Lock()
	c.mergeTags = nil
	c.mergeMu.Unlock()
}
