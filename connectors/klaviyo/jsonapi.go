package klaviyo

import (
	"net/url"
	"strings"
)

// Wire types: the parts of Klaviyo's JSON:API documents the client reads and writes.

type resourceID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type links struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

// nextCursor extracts page[cursor] from a next link. The client re-addresses the next page
// to its own BaseURL rather than following the link's host, so the API key only ever goes
// to the configured host.
func (l links) nextCursor() string {
	if l.Next == "" {
		return ""
	}
	u, err := url.Parse(l.Next)
	if err != nil {
		return ""
	}
	return u.Query().Get("page[cursor]")
}

type profileAttrs struct {
	Email         string         `json:"email"`
	Properties    map[string]any `json:"properties"`
	Subscriptions *subscriptions `json:"subscriptions"`
}

type profileResource struct {
	ID         string       `json:"id"`
	Attributes profileAttrs `json:"attributes"`
}

type subscriptions struct {
	Email struct {
		Marketing *struct {
			CanReceive   bool   `json:"can_receive_email_marketing"`
			Consent      string `json:"consent"`
			Suppressions []struct {
				Reason    string `json:"reason"`
				Timestamp string `json:"timestamp"`
			} `json:"suppression"`
			ListSuppressions []struct {
				ListID    string `json:"list_id"`
				Reason    string `json:"reason"`
				Timestamp string `json:"timestamp"`
			} `json:"list_suppressions"`
		} `json:"marketing"`
	} `json:"email"`
}

type profilePage struct {
	Data  []profileResource `json:"data"`
	Links links             `json:"links"`
}

type profileDoc struct {
	Data profileResource `json:"data"`
}

// profileWrite is a profile resource object for profile import and bulk import.
type profileWrite struct {
	Type       string          `json:"type"`
	ID         string          `json:"id,omitempty"`
	Attributes profileWriteAtt `json:"attributes"`
	Meta       *profileMeta    `json:"meta,omitempty"`
}

type profileWriteAtt struct {
	Email      string         `json:"email"`
	FirstName  string         `json:"first_name,omitempty"`
	LastName   string         `json:"last_name,omitempty"`
	Properties map[string]any `json:"properties,omitempty"`
}

type profileMeta struct {
	PatchProperties struct {
		Unset []string `json:"unset"`
	} `json:"patch_properties"`
}

type listResource struct {
	ID         string `json:"id"`
	Attributes struct {
		Name         string `json:"name"`
		Created      string `json:"created"`
		ProfileCount *int   `json:"profile_count"`
	} `json:"attributes"`
}

// filterString quotes s as a Klaviyo filter string value; ok is false for values the syntax
// cannot carry (a double quote).
func filterString(s string) (string, bool) {
	if strings.ContainsAny(s, "\"\r\n") {
		return "", false
	}
	return `"` + s + `"`, true
}

// anyFilter builds any(field,["a","b",...]) from values filterString accepted.
func anyFilter(field string, values []string) string {
	var b strings.Builder
	b.WriteString("any(" + field + ",[")
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + v + `"`)
	}
	b.WriteString("])")
	return b.String()
}
