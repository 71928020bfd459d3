package identity

import (
	"fmt"
	"slices"
)

// DebugBlockStats prints per-kind block stats (temporary).
func DebugBlockStats(records []Record, maxBlock int) {
	ft := buildFeatures(records, 0)
	byKind := map[byte][]uint64{}
	for r := 0; r < ft.n; r++ {
		ft.kindHook = func(k byte, h uint64) { byKind[k] = append(byKind[k], h<<recBits|uint64(r)) }
		ft.blockingKeys(r, nil)
	}
	ft.kindHook = nil
	for k := byte(0); k < 20; k++ {
		e := byKind[k]
		if len(e) == 0 {
			continue
		}
		slices.Sort(e)
		e = slices.Compact(e)
		var pairs, skipped, blocks, big int
		for i := 0; i < len(e); {
			j := i + 1
			for j < len(e) && e[j]>>recBits == e[i]>>recBits {
				j++
			}
			s := j - i
			if s >= 2 && s <= maxBlock {
				pairs += s * (s - 1) / 2
				blocks++
			} else if s > maxBlock {
				skipped++
				big += s
			}
			i = j
		}
		fmt.Printf("kind %2d entries=%d blocks=%d pairs=%d skippedBlocks=%d recsInSkipped=%d\n", k, len(e), blocks, pairs, skipped, big)
	}
}
