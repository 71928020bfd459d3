package listmonk

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"unicode"
)

// maxLookupQueryBytes bounds the encoded query of one lookup, whatever the addresses'
// lengths: with the path and headers the request line stays under nginx's default 8 KiB.
const maxLookupQueryBytes = 6000

// normAddress is the key an address is matched by: listmonk treats addresses
// case-insensitively (a unique index on LOWER(email)), so the whole address is lower-cased.
func normAddress(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validAddress rejects what cannot be an address before it reaches a SQL literal or a URL.
func validAddress(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return fmt.Errorf("listmonk: empty address")
	}
	if len(s) > 1000 {
		return fmt.Errorf("listmonk: address longer than 1000 bytes")
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return fmt.Errorf("listmonk: %q is not an address", maskAddresses(s))
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("listmonk: address contains a space or control character")
		}
	}
	return nil
}

// sqlString quotes s as a Postgres string literal (standard_conforming_strings: only the
// quote is special).
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// emailQuery is the SQL expression matching these (normalised) addresses.
func emailQuery(addrs []string) string {
	var b strings.Builder
	b.WriteString("LOWER(subscribers.email) IN (")
	for i, a := range addrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlString(a))
	}
	b.WriteString(")")
	return b.String()
}

// lookupChunks splits addresses into lookups of at most LookupSize addresses and
// maxLookupQueryBytes of encoded query.
func (c *Client) lookupChunks(addrs []string) [][]string {
	var (
		out  [][]string
		cur  []string
		size = len(url.QueryEscape("LOWER(subscribers.email) IN ()"))
	)
	for _, a := range addrs {
		n := len(url.QueryEscape(sqlString(a) + ", "))
		if len(cur) > 0 && (len(cur) >= c.opts.LookupSize || size+n > maxLookupQueryBytes) {
			out = append(out, cur)
			cur, size = nil, len(url.QueryEscape("LOWER(subscribers.email) IN ()"))
		}
		cur = append(cur, a)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// lookup reads the subscribers with these addresses (normalised, distinct) and their
// subscriptions: one GET /api/subscribers?query=...&per_page=all per chunk, chunks in
// parallel. The map is keyed by normalised address; absent addresses have no entry. errs
// holds, per address whose chunk failed, that chunk's error.
func (c *Client) lookup(ctx context.Context, addrs []string) (found map[string]*subscriber, errs map[string]error) {
	chunks := c.lookupChunks(addrs)
	found = make(map[string]*subscriber, len(addrs))
	errs = map[string]error{}
	var mu sync.Mutex
	parallel(len(chunks), c.opts.MaxConcurrency, func(i int) {
		subs, err := c.lookupChunk(ctx, chunks[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			for _, a := range chunks[i] {
				errs[a] = err
			}
			return
		}
		for _, s := range subs {
			s := s
			found[normAddress(s.Email)] = &s
		}
	})
	return found, errs
}

func (c *Client) lookupChunk(ctx context.Context, addrs []string) ([]subscriber, error) {
	q := url.Values{"query": {emailQuery(addrs)}, "per_page": {"all"}}
	var p page[subscriber]
	if err := c.do(ctx, "GET", "/api/subscribers", q, nil, &p); err != nil {
		return nil, fmt.Errorf("listmonk: look up %d addresses: %w", len(addrs), err)
	}
	return p.Results, nil
}

// lookupOne reads one address; nil when the platform does not have it.
func (c *Client) lookupOne(ctx context.Context, addr string) (*subscriber, error) {
	subs, err := c.lookupChunk(ctx, []string{addr})
	if err != nil {
		return nil, err
	}
	for i := range subs {
		if normAddress(subs[i].Email) == addr {
			return &subs[i], nil
		}
	}
	return nil, nil
}
