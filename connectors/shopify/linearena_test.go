package shopify

import (
	"bytes"
	"fmt"
	"testing"
)

// Lines kept in shared chunks stay as they were read: later lines (the reader's buffer is
// reused) and appends to a kept line change no other line, a line longer than a chunk
// included.
func TestLineArenaKeepsEachLineApart(t *testing.T) {
	var a lineArena
	buf := make([]byte, 0, 64)
	var kept [][]byte
	var want []string
	for i := range 5000 {
		buf = fmt.Appendf(buf[:0], `{"id":"gid://shopify/Order/%d","n":%d}`, i, i*i)
		if i == 2500 {
			buf = append(buf[:0], bytes.Repeat([]byte{'x'}, lineChunk+10)...)
		}
		k := a.keep(buf)
		kept, want = append(kept, k), append(want, string(buf))
	}
	for i := 0; i < len(kept); i += 7 {
		_ = append(kept[i], "garbage"...) // must not write into the next line
	}
	for i := range kept {
		if string(kept[i]) != want[i] {
			t.Fatalf("line %d changed: %.40q, want %.40q", i, kept[i], want[i])
		}
	}
	if len(kept[2500]) != lineChunk+10 {
		t.Fatalf("long line kept as %d bytes", len(kept[2500]))
	}
}
