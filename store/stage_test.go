package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// keys returns b's keys and values as "k=v" strings, in order.
func keys(t *testing.T, s *Store, b Bucket) []string {
	t.Helper()
	var out []string
	if err := s.View(func(tx *Tx) error {
		return tx.ForEach(b, func(k, v []byte) error {
			out = append(out, string(k)+"="+string(v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func put(t *testing.T, s *Store, b Bucket, kv ...string) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx *Tx) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Put(b, []byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestStageReplacesPrefixesAndKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, false)
	put(t, s, Indexes, "email/a@x", "p1", "email/b@x", "p1", "phone/+1", "p9", "source/s/customer/1", "p1", "zz", "keep")
	put(t, s, Profiles, "p1", "old")
	put(t, s, MergeAudit, "privacy/1", "line", "merge/p1/000000", "old")
	var seq uint64
	if err := s.Update(ctx, func(tx *Tx) error {
		var err error
		seq, err = tx.NextSequence(MergeAudit)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	g, err := s.Stage(ctx,
		Replace{Bucket: Profiles, Prefixes: []string{""}},
		Replace{Bucket: Indexes, Prefixes: []string{"email/", "source/"}},
		Replace{Bucket: MergeAudit, Prefixes: []string{"merge/"}})
	if err != nil {
		t.Fatal(err)
	}
	// Several transactions.
	for i := range 3 {
		if err := g.Update(ctx, func(tx *StageTx) error {
			if err := tx.Put(Profiles, fmt.Appendf(nil, "p%d", i+2), []byte("new")); err != nil {
				return err
			}
			return tx.Put(Indexes, fmt.Appendf(nil, "email/%d@y", i), fmt.Appendf(nil, "p%d", i+2))
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the staged prefixes, or an unstaged bucket: refused, and the transaction with it.
	for _, c := range []struct {
		b   Bucket
		key string
	}{{Indexes, "phone/+2"}, {MergeAudit, "privacy/2"}, {Memberships, "x"}} {
		err := g.Update(ctx, func(tx *StageTx) error {
			if err := tx.Put(Profiles, []byte("p_rolled_back"), []byte("x")); err != nil {
				return err
			}
			return tx.Put(c.b, []byte(c.key), []byte("x"))
		})
		if err == nil || !strings.Contains(err.Error(), string(c.b)) {
			t.Fatalf("put %s/%s into the stage: %v, want an error naming the bucket", c.b, c.key, err)
		}
	}
	// Readers still see the old generation.
	if got := strings.Join(keys(t, s, Profiles), " "); got != "p1=old" {
		t.Fatalf("profiles before commit: %s", got)
	}
	if err := g.Commit(ctx, func(tx *Tx) error { return tx.Put(QualityHistory, []byte("q"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}

	if got, want := strings.Join(keys(t, s, Profiles), " "), "p2=new p3=new p4=new"; got != want {
		t.Fatalf("profiles: %s, want %s", got, want)
	}
	if got, want := strings.Join(keys(t, s, Indexes), " "), "email/0@y=p2 email/1@y=p3 email/2@y=p4 phone/+1=p9 zz=keep"; got != want {
		t.Fatalf("indexes: %s, want %s", got, want)
	}
	if got, want := strings.Join(keys(t, s, MergeAudit), " "), "privacy/1=line"; got != want {
		t.Fatalf("merge_audit: %s, want %s", got, want)
	}
	if got := strings.Join(keys(t, s, QualityHistory), " "); got != "q=1" {
		t.Fatalf("commit's own writes: %q", got)
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		next, err := tx.NextSequence(MergeAudit)
		if err == nil && next != seq+1 {
			err = fmt.Errorf("sequence after the swap: %d, want %d", next, seq+1)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(tx *Tx) error {
		if tx.tx.Bucket([]byte(stageRoot)) != nil {
			return errors.New("the stage bucket outlived its commit")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A committed stage takes no more writes.
	if err := g.Update(ctx, func(tx *StageTx) error { return nil }); !errors.Is(err, errStageGone) {
		t.Fatalf("update after commit: %v", err)
	}
}

func TestStageAbortAndLeftovers(t *testing.T) {
	ctx := context.Background()
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, Profiles, "p1", "old")
	g, err := s.Stage(ctx, Replace{Bucket: Profiles, Prefixes: []string{""}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Update(ctx, func(tx *StageTx) error { return tx.Put(Profiles, []byte("p2"), []byte("new")) }); err != nil {
		t.Fatal(err)
	}
	// A second stage discards the first: its writes and its commit are refused.
	g2, err := s.Stage(ctx, Replace{Bucket: Profiles, Prefixes: []string{""}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Update(ctx, func(tx *StageTx) error { return tx.Put(Profiles, []byte("p3"), []byte("x")) }); !errors.Is(err, errStageGone) {
		t.Fatalf("update of a discarded stage: %v", err)
	}
	if err := g.Commit(ctx, nil); !errors.Is(err, errStageGone) {
		t.Fatalf("commit of a discarded stage: %v", err)
	}
	if err := g.Abort(); err != nil { // not its stage any more: leaves g2's alone
		t.Fatal(err)
	}
	if err := g2.Update(ctx, func(tx *StageTx) error { return tx.Put(Profiles, []byte("p4"), []byte("new")) }); err != nil {
		t.Fatal(err)
	}
	// A crash: the stage stays in the file, the old generation in place.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := strings.Join(keys(t, s, Profiles), " "); got != "p1=old" {
		t.Fatalf("profiles after a crashed stage: %s", got)
	}
	g3, err := s.Stage(ctx, Replace{Bucket: Profiles, Prefixes: []string{""}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g3.Update(ctx, func(tx *StageTx) error { return tx.Put(Profiles, []byte("p5"), []byte("new")) }); err != nil {
		t.Fatal(err)
	}
	if err := g3.Commit(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(t, s, Profiles), " "); got != "p5=new" { // nothing of the crashed stage
		t.Fatalf("profiles: %s, want p5=new", got)
	}
	// Abort keeps the old generation.
	g4, err := s.Stage(ctx, Replace{Bucket: Profiles, Prefixes: []string{""}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g4.Update(ctx, func(tx *StageTx) error { return tx.Put(Profiles, []byte("p6"), []byte("new")) }); err != nil {
		t.Fatal(err)
	}
	if err := g4.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keys(t, s, Profiles), " "); got != "p5=new" {
		t.Fatalf("profiles after abort: %s", got)
	}
	if err := s.View(func(tx *Tx) error {
		if tx.tx.Bucket([]byte(stageRoot)) != nil {
			return errors.New("abort left the stage bucket")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestStageRefusesUnknownOrRepeatedBuckets(t *testing.T) {
	s := openTest(t, false)
	if _, err := s.Stage(context.Background(), Replace{Bucket: "nope", Prefixes: []string{""}}); !errors.Is(err, ErrUnknownBucket) {
		t.Fatalf("unknown bucket: %v", err)
	}
	if _, err := s.Stage(context.Background(), Replace{Bucket: Profiles}, Replace{Bucket: Profiles}); err == nil {
		t.Fatal("a bucket named twice was accepted")
	}
}

func TestPrefixEnd(t *testing.T) {
	for p, want := range map[string]string{"email/": "email0", "a\xff": "b", "\xff\xff": ""} {
		if got := string(prefixEnd(p)); got != want {
			t.Errorf("prefixEnd(%q) = %q, want %q", p, got, want)
		}
	}
}

// A generation of many pages, written over several transactions, replaces one of many pages.
func TestStageLargeGeneration(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, false)
	value := strings.Repeat("v", 200)
	if err := s.Update(ctx, func(tx *Tx) error {
		for i := range 30000 {
			if err := tx.Put(Indexes, fmt.Appendf(nil, "email/%06d", i), []byte(value)); err != nil {
				return err
			}
		}
		return tx.Put(Indexes, []byte("other"), []byte("kept"))
	}); err != nil {
		t.Fatal(err)
	}
	g, err := s.Stage(ctx, Replace{Bucket: Indexes, Prefixes: []string{"email/"}})
	if err != nil {
		t.Fatal(err)
	}
	for part := range 10 {
		if err := g.Update(ctx, func(tx *StageTx) error {
			for i := part * 5000; i < (part+1)*5000; i++ {
				if err := tx.Put(Indexes, fmt.Appendf(nil, "email/n%06d", i), []byte(value)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Commit(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := keys(t, s, Indexes)
	if len(got) != 50001 || got[0] != "email/n000000="+value || got[49999] != "email/n049999="+value || got[50000] != "other=kept" {
		t.Fatalf("%d keys after the swap, first %.20q, last %.20q", len(got), got[0], got[len(got)-1])
	}
}
