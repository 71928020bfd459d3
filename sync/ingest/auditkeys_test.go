package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cohortd/cohortd/profiles"
)

// The audit's keys are the ones fmt made before ("%s%s/%06d"), in key order, each with its
// line.
func TestAuditKeysAsFormatted(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	audit := make([]profiles.MergeAudit, 3000)
	for i := range audit {
		audit[i].ProfileID = fmt.Sprintf("p%x", rng.Uint64N(1<<uint(rng.IntN(40)+1)))
	}
	keys := auditKeys(audit)
	if len(keys) != len(audit) {
		t.Fatalf("%d keys for %d lines", len(keys), len(audit))
	}
	seen := make([]bool, len(audit))
	for j, k := range keys {
		if want := fmt.Sprintf("%s%s/%06d", auditPrefix, audit[k.i].ProfileID, k.i); string(k.key) != want {
			t.Fatalf("key of line %d: %q, want %q", k.i, k.key, want)
		}
		if j > 0 && bytes.Compare(keys[j-1].key, k.key) >= 0 {
			t.Fatalf("keys %q and %q out of order", keys[j-1].key, k.key)
		}
		seen[k.i] = true
	}
	if slices.Contains(seen, false) {
		t.Fatal("a line has no key")
	}
	for _, i := range []int{0, 7, 99999, 999999, 1000000, 123456789} {
		if got, want := string(appendLineNumber([]byte("x"), i)), fmt.Sprintf("x%06d", i); got != want {
			t.Errorf("appendLineNumber(%d) = %q, want %q", i, got, want)
		}
	}
}
