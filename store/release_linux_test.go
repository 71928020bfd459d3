//go:build linux

package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// rssFileKB reads this process's resident file-backed memory.
func rssFileKB(t *testing.T) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			var kb int
			fmt.Sscan(rest, &kb)
			return kb
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// Reading a data file maps its pages into the process; ReleaseMappedPages drops them, and the
// data reads back the same.
func TestReleaseMappedPages(t *testing.T) {
	s := openTest(t, false)
	value := bytes.Repeat([]byte{'x'}, 1000)
	for part := range 8 {
		if err := s.Update(context.Background(), func(tx *Tx) error {
			for i := range 8000 {
				if err := tx.Put(SourceRecords, fmt.Appendf(nil, "order/shop/%d/%06d", part, i), value); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	scan := func() int {
		n := 0
		if err := s.View(func(tx *Tx) error {
			return tx.ForEach(SourceRecords, func(k, v []byte) error {
				if bytes.Equal(v, value) {
					n++
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := scan(); n != 64000 {
		t.Fatalf("%d values read, want 64000", n)
	}
	before := rssFileKB(t)
	if err := s.ReleaseMappedPages(); err != nil {
		t.Fatal(err)
	}
	after := rssFileKB(t)
	// 64 MB of values were read through the mapping; most of it must have left.
	if before-after < 40_000 {
		t.Fatalf("resident file memory %d KB before, %d KB after: the mapped pages were not released", before, after)
	}
	if n := scan(); n != 64000 {
		t.Fatalf("after the release, %d values read back, want 64000", n)
	}
}
