package klaviyofake

import (
	"fmt"
	"strings"
)

// condition is one term of a Klaviyo filter: op(field,value). Terms separated by commas at
// the top level are ANDed, as Klaviyo's filter syntax documents.
type condition struct {
	op, field string
	values    []string // one value, or the list of any(...)
}

// parseFilter parses expressions like
//
//	any(email,["a@x.com","b@y.com"]),greater-than(created,2024-01-01T00:00:00Z)
//
// String values are quoted with " or '; lists are bracketed; other values are bare tokens.
func parseFilter(s string) ([]condition, error) {
	p := &filterParser{s: s}
	var out []condition
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		c, err := p.term()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.skipSpace()
		if p.i < len(p.s) {
			if p.s[p.i] != ',' {
				return nil, fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
			}
			p.i++
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty filter")
	}
	return out, nil
}

type filterParser struct {
	s string
	i int
}

func (p *filterParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *filterParser) expect(b byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != b {
		return fmt.Errorf("expected %q at %d", b, p.i)
	}
	p.i++
	return nil
}

func (p *filterParser) term() (condition, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '(' {
		p.i++
	}
	c := condition{op: strings.TrimSpace(p.s[start:p.i])}
	if err := p.expect('('); err != nil {
		return c, err
	}
	start = p.i
	for p.i < len(p.s) && p.s[p.i] != ',' {
		p.i++
	}
	c.field = strings.TrimSpace(p.s[start:p.i])
	if err := p.expect(','); err != nil {
		return c, err
	}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '[' {
		p.i++
		for {
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				break
			}
			v, err := p.value()
			if err != nil {
				return c, err
			}
			c.values = append(c.values, v)
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
			}
		}
	} else {
		v, err := p.value()
		if err != nil {
			return c, err
		}
		c.values = []string{v}
	}
	if err := p.expect(')'); err != nil {
		return c, err
	}
	return c, nil
}

func (p *filterParser) value() (string, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return "", fmt.Errorf("missing value")
	}
	if q := p.s[p.i]; q == '"' || q == '\'' {
		end := strings.IndexByte(p.s[p.i+1:], q)
		if end < 0 {
			return "", fmt.Errorf("unterminated string at %d", p.i)
		}
		v := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",)]", rune(p.s[p.i])) {
		p.i++
	}
	return strings.TrimSpace(p.s[start:p.i]), nil
}

// allowedFilters lists, per resource, the field/operator pairs the fake implements; they
// are a subset of what the spec's x-klaviyo-filters allow.
var allowedFilters = map[string]map[string][]string{
	"profile": {
		"id":    {"equals", "any"},
		"email": {"equals", "any"},
		"subscriptions.email.marketing.suppression.timestamp": {"greater-than", "greater-or-equal", "less-than", "less-or-equal"},
		"subscriptions.email.marketing.suppression.reason":    {"equals"},
	},
	"list": {
		"id":   {"equals", "any"},
		"name": {"equals", "any"},
	},
}

// checkFilter parses the filter query parameter and rejects fields or operators the
// resource does not support, with Klaviyo's wording.
func checkFilter(raw, resource string) ([]condition, *reply) {
	if raw == "" {
		return nil, nil
	}
	conds, err := parseFilter(raw)
	if err != nil {
		r := paramError("invalid", "Invalid filter provided: "+err.Error()+".", "filter")
		return nil, &r
	}
	for _, c := range conds {
		ops, ok := allowedFilters[resource][c.field]
		if !ok {
			r := paramError("invalid", fmt.Sprintf("'%s' is not a valid field for the resource '%s'.", c.field, resource), "filter")
			return nil, &r
		}
		valid := false
		for _, o := range ops {
			valid = valid || o == c.op
		}
		if !valid {
			r := paramError("invalid", fmt.Sprintf("'%s' is not a valid operator for '%s'.", c.op, c.field), "filter")
			return nil, &r
		}
		if c.op == "any" && len(c.values) > 100 {
			r := paramError("invalid", "The 'any' operator accepts at most 100 values.", "filter")
			return nil, &r
		}
	}
	return conds, nil
}
