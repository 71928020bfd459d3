package main

import (
	"fmt"
	"strings"
)

// mapPair is one FIELD=COLUMN of a --map flag.
type mapPair struct{ field, column string }

// parseMapPairs splits --map values ("a=X,b=Y", repeatable) into pairs, in order; empty items
// are skipped, and an item without both sides is an error.
func parseMapPairs(specs []string) ([]mapPair, error) {
	var out []mapPair
	for _, spec := range specs {
		for _, item := range strings.Split(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			k, v, ok := strings.Cut(item, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" || v == "" {
				return nil, fmt.Errorf("%q is not FIELD=COLUMN", item)
			}
			out = append(out, mapPair{k, v})
		}
	}
	return out, nil
}
