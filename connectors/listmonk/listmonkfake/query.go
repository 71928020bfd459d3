package listmonkfake

import (
	"errors"
	"fmt"
	"strings"
)

// GET /api/subscribers?query= takes an arbitrary SQL WHERE expression in listmonk (it is
// pasted into query-subscribers). The fake understands the expressions cohortd's connector
// sends, OR-ed together, each optionally in parentheses:
//
//	LOWER(subscribers.email) IN ('a@x.com', 'o''brien@y.org')
//	subscribers.email IN ('a@x.com')
//	subscribers.status = 'blocklisted'
//	subscribers.id IN (SELECT subscriber_id FROM subscriber_lists WHERE subscriber_lists.status = 'unsubscribed')
//
// Keywords and column names are case-insensitive, string literals use SQL quoting ('' is
// a quote). Anything else is an error, which the server answers like a Postgres syntax
// error (400) and records as a violation.

type predicate func(sub *subscriber) bool

// parsedQuery is a query's predicate and, when it only names addresses
// (LOWER(subscribers.email) IN ...), those lower-cased addresses, so the server can use its
// email index instead of scanning every subscriber.
type parsedQuery struct {
	match  predicate
	emails []string // nil unless every term is a LOWER(subscribers.email) IN list
}

func parseQueryIndexed(q string) (parsedQuery, error) {
	match, err := parseQuery(q)
	if err != nil {
		return parsedQuery{}, err
	}
	pq := parsedQuery{match: match}
	terms, _ := splitTopLevel(strings.TrimSpace(q), " or ")
	var emails []string
	for _, t := range terms {
		t = strings.TrimSpace(t)
		for strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") && enclosed(t) {
			t = strings.TrimSpace(t[1 : len(t)-1])
		}
		norm := strings.ToLower(strings.Join(strings.Fields(t), " "))
		if !strings.HasPrefix(norm, "lower(subscribers.email) in (") {
			return pq, nil
		}
		open := strings.Index(strings.ToLower(t), " in (")
		vals, err := parseStringList(t[open+len(" in (") : len(t)-1])
		if err != nil {
			return pq, nil
		}
		emails = append(emails, vals...)
	}
	if strings.TrimSpace(q) != "" {
		pq.emails = emails
	}
	return pq, nil
}

func parseQuery(q string) (predicate, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return func(*subscriber) bool { return true }, nil
	}
	terms, err := splitTopLevel(q, " or ")
	if err != nil {
		return nil, err
	}
	preds := make([]predicate, 0, len(terms))
	for _, t := range terms {
		p, err := parseTerm(t)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	return func(sub *subscriber) bool {
		for _, p := range preds {
			if p(sub) {
				return true
			}
		}
		return false
	}, nil
}

// splitTopLevel splits s on sep (matched case-insensitively) outside quotes and parentheses.
func splitTopLevel(s, sep string) ([]string, error) {
	var (
		out   []string
		depth int
		inStr bool
		start int
		lower = strings.ToLower(s)
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if c == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				inStr = false
			}
		case c == '\'':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, errors.New("syntax error at or near \")\"")
			}
		case depth == 0 && strings.HasPrefix(lower[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	if inStr {
		return nil, errors.New("unterminated quoted string")
	}
	if depth != 0 {
		return nil, errors.New("syntax error at end of input")
	}
	return append(out, s[start:]), nil
}

func parseTerm(t string) (predicate, error) {
	t = strings.TrimSpace(t)
	for strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") && enclosed(t) {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	norm := strings.ToLower(strings.Join(strings.Fields(t), " "))
	switch {
	case strings.HasPrefix(norm, "lower(subscribers.email) in ("), strings.HasPrefix(norm, "subscribers.email in ("):
		lowered := strings.HasPrefix(norm, "lower(")
		open := strings.Index(strings.ToLower(t), " in (")
		if open < 0 || !strings.HasSuffix(t, ")") {
			return nil, fmt.Errorf("syntax error in %q", t)
		}
		vals, err := parseStringList(t[open+len(" in (") : len(t)-1])
		if err != nil {
			return nil, err
		}
		set := make(map[string]bool, len(vals))
		for _, v := range vals {
			set[v] = true
		}
		return func(sub *subscriber) bool {
			if lowered {
				return set[strings.ToLower(sub.email)]
			}
			return set[sub.email]
		}, nil
	case strings.HasPrefix(norm, "subscribers.status = '"):
		v, err := parseOneString(t[strings.Index(t, "'"):])
		if err != nil {
			return nil, err
		}
		return func(sub *subscriber) bool { return sub.status == v }, nil
	case strings.HasPrefix(norm, "subscribers.id in (select subscriber_id from subscriber_lists where subscriber_lists.status = '") && strings.HasSuffix(norm, "')"):
		v, err := parseOneString(strings.TrimSuffix(t[strings.Index(t, "'"):], ")"))
		if err != nil {
			return nil, err
		}
		return func(sub *subscriber) bool {
			for _, r := range sub.subs {
				if r.status == v {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, fmt.Errorf("unsupported expression %q", t)
}

// enclosed reports whether the parenthesis opening t closes at its last byte.
func enclosed(t string) bool {
	depth, inStr := 0, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case inStr:
			if c == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					i++
					continue
				}
				inStr = false
			}
		case c == '\'':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 && i != len(t)-1 {
				return false
			}
		}
	}
	return true
}

func parseStringList(s string) ([]string, error) {
	var out []string
	s = strings.TrimSpace(s)
	for s != "" {
		v, rest, err := readString(s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		rest = strings.TrimSpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("syntax error at or near %q", rest)
		}
		s = strings.TrimSpace(rest[1:])
		if s == "" {
			return nil, errors.New("syntax error at end of input")
		}
	}
	if len(out) == 0 {
		return nil, errors.New("syntax error at or near \")\"")
	}
	return out, nil
}

func parseOneString(s string) (string, error) {
	v, rest, err := readString(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(rest) != "" {
		return "", fmt.Errorf("syntax error at or near %q", rest)
	}
	return v, nil
}

// readString reads one SQL string literal from the start of s.
func readString(s string) (val, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		return "", "", fmt.Errorf("syntax error at or near %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), s[i+1:], nil
		}
		b.WriteByte(s[i])
	}
	return "", "", errors.New("unterminated quoted string")
}
