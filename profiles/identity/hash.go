package identity

// A fixed-seed 64-bit hash (FNV-1a over the bytes, then a splitmix64 finaliser so that the top
// bits, which blocking keys use, are well mixed). Unlike hash/maphash it gives the same value in
// every process, so the rare collisions between blocking keys, and thus the segments, do not
// change from one run to the next.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

type hasher uint64

func newHasher() hasher { return fnvOffset }

func (h *hasher) writeByte(b byte) { *h = (*h ^ hasher(b)) * fnvPrime }

func (h *hasher) writeString(s string) {
	x := *h
	for i := 0; i < len(s); i++ {
		x = (x ^ hasher(s[i])) * fnvPrime
	}
	*h = x
}

func (h hasher) sum64() uint64 {
	z := uint64(h)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// hashString hashes one string with the fixed seed.
func hashString(s string) uint64 {
	h := newHasher()
	h.writeString(s)
	return h.sum64()
}
