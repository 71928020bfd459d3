package codec

import (
	"bytes"
	"testing"
)

// A Cursor reads what Marshal wrote, item by item, and stops at the first item it was not
// asked for, at a string longer than the input, or at the end.
func TestCursorReadsMarshalsItems(t *testing.T) {
	type rec struct {
		A string `cbor:"1,keyasint"`
		B []byte `cbor:"2,keyasint"`
		C []int  `cbor:"3,keyasint"`
	}
	b, err := Marshal(rec{A: "héllo", B: []byte{1, 2}, C: nil})
	if err != nil {
		t.Fatal(err)
	}
	c := Cursor{B: b, I: 1}
	if n, ok := c.Head(5); !ok || n != 3 {
		t.Fatalf("map head %d, %v", n, ok)
	}
	if k, _ := c.Head(0); k != 1 || string(c.Bytes(3)) != "héllo" {
		t.Fatal("key 1 or its text")
	}
	if k, _ := c.Head(0); k != 2 || !bytes.Equal(c.Bytes(2), []byte{1, 2}) {
		t.Fatal("key 2 or its bytes")
	}
	if k, _ := c.Head(0); k != 3 || !c.Null() || c.Null() {
		t.Fatal("key 3: one null")
	}
	if c.Bad || c.I != len(b) {
		t.Fatalf("bad %v at %d of %d", c.Bad, c.I, len(b))
	}
	if c.Null() || c.Bytes(3) != nil || !c.Bad {
		t.Fatal("read past the end without going bad")
	}
	short := Cursor{B: []byte{0x65, 'a', 'b'}} // a 5-byte text with 2 bytes
	if short.Bytes(3) != nil || !short.Bad {
		t.Fatal("a string longer than the input was read")
	}
	wrong := Cursor{B: []byte{0x01}}
	if _, ok := wrong.Head(3); ok || !wrong.Bad || wrong.Null() {
		t.Fatal("an unsigned integer read as text, or a null read after bad")
	}
}
