package sortedruns

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMergeSortsAcrossRunsKeepingTheOrderOfEqualKeys(t *testing.T) {
	parent := t.TempDir()
	s, err := New(parent, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	type kv struct {
		k, v string
		i    int // the order given
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var want []kv
	for i := range 60000 {
		k := fmt.Sprintf("email/%d@example.com", rng.IntN(40000)) // duplicates on purpose
		v := fmt.Sprintf("p_%d", i)
		order := rng.IntN(3)
		want = append(want, kv{k, v, order})
		if err := s.Add([]byte(k), uint64(order), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.runs) < 3 {
		t.Fatalf("%d runs: the test should spill several", len(s.runs))
	}
	for _, name := range s.runs {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("run %s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	slices.SortStableFunc(want, func(a, b kv) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.i, b.i)) })
	var got []kv
	if err := s.Merge(func(k, v []byte) error {
		got = append(got, kv{k: string(k), v: string(v)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d pairs out, %d in", len(got), len(want))
	}
	for i := range want {
		if got[i].k != want[i].k || got[i].v != want[i].v {
			t.Fatalf("pair %d: %s=%s, want %s=%s", i, got[i].k, got[i].v, want[i].k, want[i].v)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, "*")); len(left) != 0 {
		t.Fatalf("Close left %v", left)
	}
}

func TestMergeInMemoryAndEmpty(t *testing.T) {
	s, err := New(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	if err := s.Merge(func(k, v []byte) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("empty sorter: %d pairs, %v", n, err)
	}
	s2, _ := New(t.TempDir(), 0)
	defer s2.Close()
	for _, k := range []string{"b", "a", "c", "a", "a"} {
		s2.Add([]byte(k), uint64(5-n), []byte(strings.ToUpper(k)+fmt.Sprint(n)))
		n++
	}
	var out []string
	if err := s2.Merge(func(k, v []byte) error { out = append(out, string(k)+"="+string(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out, " "); got != "a=A4 a=A3 a=A1 b=B0 c=C2" {
		t.Fatalf("got %s", got)
	}
}

func TestTruncatedRunIsAnError(t *testing.T) {
	s, err := New(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 40000 {
		s.Add(fmt.Appendf(nil, "key-%08d", i), 0, bytes.Repeat([]byte{'v'}, 20))
	}
	if len(s.runs) == 0 {
		t.Fatal("no run spilled")
	}
	fi, _ := os.Stat(s.runs[0])
	if err := os.Truncate(s.runs[0], fi.Size()-7); err != nil {
		t.Fatal(err)
	}
	err = s.Merge(func(k, v []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("merge of a truncated run: %v", err)
	}
}
