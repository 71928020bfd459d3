package shopifyfake

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// connection is one page of a Relay connection.
type connection struct {
	typ     string // e.g. CustomerConnection
	nodes   []object
	cursors []string
	hasNext bool
	hasPrev bool
}

func (c *connection) typeName() string { return c.typ }
func (c *connection) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "nodes":
		return c.nodes
	case "edges":
		out := make([]object, len(c.nodes))
		for i := range c.nodes {
			out[i] = edgeObj{typ: c.typ[:len(c.typ)-len("Connection")] + "Edge", node: c.nodes[i], cursor: c.cursors[i]}
		}
		return out
	case "pageInfo":
		p := pageInfoObj{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.cursors) > 0 {
			p.start, p.end = c.cursors[0], c.cursors[len(c.cursors)-1]
		}
		return p
	}
	return unknownField
}

type edgeObj struct {
	typ    string
	node   object
	cursor string
}

func (e edgeObj) typeName() string { return e.typ }
func (e edgeObj) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "node":
		return e.node
	case "cursor":
		return e.cursor
	}
	return unknownField
}

type pageInfoObj struct {
	hasNext, hasPrev bool
	start, end       string
}

func (p pageInfoObj) typeName() string { return "PageInfo" }
func (p pageInfoObj) field(_ *execCtx, name string, _ map[string]any) any {
	switch name {
	case "hasNextPage":
		return p.hasNext
	case "hasPreviousPage":
		return p.hasPrev
	case "startCursor":
		if p.start == "" {
			return nil
		}
		return p.start
	case "endCursor":
		if p.end == "" {
			return nil
		}
		return p.end
	}
	return unknownField
}

// cursorKey is what a cursor encodes, like Shopify's {"last_id":…,"last_value":…}.
type cursorKey struct {
	LastID    uint64 `json:"last_id"`
	LastValue string `json:"last_value"`
}

func encodeCursor(id uint64, value string) string {
	b, _ := json.Marshal(cursorKey{LastID: id, LastValue: value})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorKey, bool) {
	var k cursorKey
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return k, false
	}
	if json.Unmarshal(b, &k) != nil || k.LastID == 0 {
		return k, false
	}
	return k, true
}

// pageArgs are the connection arguments after validation.
type pageArgs struct {
	first   int
	after   *cursorKey
	reverse bool
	sortKey string
	filter  filter
	all     bool // bulk: no limit
}

// parsePageArgs checks first/last like Shopify (one of them, at most 250).
func parsePageArgs(args map[string]any, bulk bool) (pageArgs, *fieldError) {
	p := pageArgs{sortKey: "ID"}
	first, hasFirst := argInt(args, "first")
	last, hasLast := argInt(args, "last")
	switch {
	case bulk:
		p.all = true
	case !hasFirst && !hasLast:
		return p, &fieldError{msg: "you must provide one of first or last", code: "BAD_REQUEST"}
	case hasFirst && first > MaxPageSize, hasLast && last > MaxPageSize:
		return p, &fieldError{msg: "The maximum number of records that can be returned is " + strconv.Itoa(MaxPageSize) + ".", code: "BAD_REQUEST"}
	case hasFirst && first < 0, hasLast && last < 0:
		return p, &fieldError{msg: "first and last must be non-negative", code: "BAD_REQUEST"}
	}
	p.first = first
	if hasLast && !hasFirst {
		p.first = last
		p.reverse = true
	}
	if r, ok := args["reverse"].(bool); ok && r {
		p.reverse = !p.reverse
	}
	if s := argString(args, "sortKey"); s != "" {
		p.sortKey = s
	}
	for _, name := range []string{"after", "before"} {
		if c := argString(args, name); c != "" {
			k, ok := decodeCursor(c)
			if !ok {
				return p, &fieldError{msg: "Invalid cursor for current pagination sort.", code: "BAD_REQUEST"}
			}
			p.after = &k
		}
	}
	var err error
	if p.filter, err = parseFilter(argString(args, "query")); err != nil {
		return p, &fieldError{msg: err.Error(), code: "BAD_REQUEST"}
	}
	return p, nil
}
