package codec

// Cursor reads the definite-length CBOR items of a record from B, at I: the one cursor of the
// hand-written readers (a rebuild's records, the outbox's items, the tag push's memberships).
// An item of another type, or running out of input, sets Bad; reads after that return zero
// values, and what was read is of no use.
type Cursor struct {
	B   []byte
	I   int
	Bad bool
}

// Head reads an item head of major type m with a definite argument.
func (c *Cursor) Head(m byte) (uint64, bool) {
	if c.Bad {
		return 0, false
	}
	n, next, _, ok := ReadHead(c.B, c.I, m)
	if !ok {
		c.Bad = true
		return 0, false
	}
	c.I = next
	return n, true
}

// Bytes reads the content of a byte or text string (major type m), not copied.
func (c *Cursor) Bytes(m byte) []byte {
	n, ok := c.Head(m)
	if !ok || n > uint64(len(c.B)-c.I) {
		c.Bad = true
		return nil
	}
	c.I += int(n)
	return c.B[c.I-int(n) : c.I]
}

// Null reads a null if one is next.
func (c *Cursor) Null() bool {
	if !c.Bad && c.I < len(c.B) && c.B[c.I] == cborNull {
		c.I++
		return true
	}
	return false
}
