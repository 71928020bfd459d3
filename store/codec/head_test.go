package codec

import (
	"bytes"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// AppendHead writes what the deterministic encoder writes, and ReadHead reads it back, at
// every boundary of the head's sizes.
func TestHeadsMatchTheEncoder(t *testing.T) {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{0, 1, 23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1<<64 - 1} {
		want, err := em.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendHead([]byte{9}, 0, n)
		if !bytes.Equal(got[1:], want) {
			t.Fatalf("AppendHead(%d) = %x, want %x", n, got[1:], want)
		}
		back, next, minimal, ok := ReadHead(got, 1, 0)
		if !ok || !minimal || back != n || next != len(got) {
			t.Fatalf("ReadHead(%x) = %d, %d, %v, %v", got, back, next, minimal, ok)
		}
		if _, _, _, ok := ReadHead(got[:len(got)-1], 1, 0); ok {
			t.Fatalf("a head of %d cut short was read", n)
		}
		if _, _, _, ok := ReadHead(got, 1, 3); ok {
			t.Fatalf("a uint head of %d was read as text", n)
		}
	}
	if _, _, minimal, ok := ReadHead([]byte{0x18, 5}, 0, 0); !ok || minimal {
		t.Fatal("a one-byte argument under 24 was not reported as not minimal")
	}
	if _, _, minimal, ok := ReadHead([]byte{0x19, 0, 200}, 0, 0); !ok || minimal {
		t.Fatal("a two-byte argument under 256 was not reported as not minimal")
	}
	for _, b := range [][]byte{{0x5f}, {0x1c}, {}} {
		if _, _, _, ok := ReadHead(b, 0, b0(b)>>5); ok {
			t.Fatalf("%x was read", b)
		}
	}
}

func b0(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
