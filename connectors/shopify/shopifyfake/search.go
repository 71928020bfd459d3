package shopifyfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// filter is a parsed Shopify search query: a conjunction of clauses. Supported fields:
// updated_at, created_at (times), id (numbers), email, tag (strings). Terms joined by
// AND/whitespace; unsupported fields are ignored like Shopify ignores unknown search fields.
type filter struct {
	clauses []clause
}

type clause struct {
	field string
	op    string // "", ">", ">=", "<", "<="
	t     int64
	n     uint64
	s     string
	neg   bool
}

// splitTerms splits on spaces outside quotes.
func splitTerms(q string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			cur.WriteByte(c)
		case c == ' ' || c == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func parseSearchTime(v string) (int64, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("invalid time %q in search query", v)
}

func parseFilter(q string) (filter, error) {
	var f filter
	for _, term := range splitTerms(q) {
		if term == "AND" {
			continue
		}
		name, val, ok := strings.Cut(term, ":")
		if !ok {
			continue // free text: not modelled
		}
		c := clause{field: strings.ToLower(name)}
		if strings.HasPrefix(c.field, "-") {
			c.neg, c.field = true, c.field[1:]
		}
		for _, op := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(val, op) {
				c.op, val = op, val[len(op):]
				break
			}
		}
		val = strings.Trim(val, `'"`)
		switch c.field {
		case "updated_at", "created_at":
			t, err := parseSearchTime(val)
			if err != nil {
				return f, err
			}
			c.t = t
		case "id":
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return f, fmt.Errorf("invalid id %q in search query", val)
			}
			c.n = n
		case "email", "tag":
			c.s = strings.ToLower(val)
		default:
			continue
		}
		f.clauses = append(f.clauses, c)
	}
	return f, nil
}

func cmpOp(op string, a, b int64) bool {
	switch op {
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	}
	return a == b
}

// match tests one record given its fields; tags is nil for orders.
func (f *filter) match(id uint64, created, updated int64, email string, tags []string) bool {
	for _, c := range f.clauses {
		var ok bool
		switch c.field {
		case "updated_at":
			ok = cmpOp(c.op, updated, c.t)
		case "created_at":
			ok = cmpOp(c.op, created, c.t)
		case "id":
			ok = cmpOp(c.op, int64(id), int64(c.n))
		case "email":
			ok = strings.EqualFold(strings.TrimSpace(email), c.s)
		case "tag":
			for _, t := range tags {
				if strings.EqualFold(t, c.s) {
					ok = true
					break
				}
			}
		}
		if ok == c.neg {
			return false
		}
	}
	return true
}

// updatedLowerBound is the smallest updated_at a match can have (for a binary search start).
func (f *filter) updatedLowerBound() (int64, bool) {
	var lo int64
	found := false
	for _, c := range f.clauses {
		if c.field != "updated_at" || c.neg {
			continue
		}
		v := c.t
		switch c.op {
		case ">":
			v++
		case ">=", "":
		default:
			continue
		}
		if !found || v > lo {
			lo, found = v, true
		}
	}
	return lo, found
}
