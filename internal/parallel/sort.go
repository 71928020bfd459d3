package parallel

import (
	"runtime"
	"slices"
	"sync"
)

// minSortPart is the smallest part SortFunc sorts on a goroutine of its own.
const minSortPart = 1 << 15

// SortFunc sorts s by cmp as slices.SortFunc does, in parts sorted side by side on every core
// and then merged. cmp must be a strict total order (two different elements never compare
// equal: break ties by position), so that there is one sorted order whatever the parts.
func SortFunc[T any](s []T, cmp func(a, b T) int) {
	parts := min(runtime.GOMAXPROCS(0), len(s)/minSortPart)
	if parts < 2 {
		slices.SortFunc(s, cmp)
		return
	}
	runs := make([]int, parts+1) // run i is s[runs[i]:runs[i+1]]
	for i := range runs {
		runs[i] = i * len(s) / parts
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { slices.SortFunc(s[runs[i]:runs[i+1]], cmp) })
	}
	wg.Wait()
	src, dst := s, make([]T, len(s))
	for len(runs) > 2 { // merge neighbouring runs, two by two, until one is left
		next := []int{0}
		for i := 0; i+1 < len(runs); i += 2 {
			if i+2 == len(runs) { // an odd run out: copied as it is
				copy(dst[runs[i]:runs[i+1]], src[runs[i]:runs[i+1]])
				next = append(next, runs[i+1])
				continue
			}
			lo, mid, hi := runs[i], runs[i+1], runs[i+2]
			wg.Go(func() { merge(dst[lo:hi], src[lo:mid], src[mid:hi], cmp) })
			next = append(next, hi)
		}
		wg.Wait()
		src, dst, runs = dst, src, next
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}

// merge merges the sorted a and b into dst (len(a)+len(b) long), a's element first of two
// that compare equal.
func merge[T any](dst, a, b []T, cmp func(a, b T) int) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if cmp(b[j], a[i]) < 0 {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}
