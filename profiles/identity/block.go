package identity

import "slices"

const (
	hashBits = 40
	recBits  = 24
	recMask  = 1<<recBits - 1
)

func keyHash(kind byte, parts ...string) uint64 {
	h := newHasher()
	h.writeByte(kind)
	for _, p := range parts {
		h.writeString(p)
		h.writeByte(0)
	}
	return uint64(kind)<<(hashBits-kindBits) | h.sum64()>>(64-hashBits+kindBits)
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Blocking key kinds. The kind sits in the top bits of every key hash so that the block-size cap
// can depend on it.
const (
	kLastPostcode  = 1  // surname prefix + postcode
	kFirstBirth    = 2  // first name + birth date
	kPostcodeNo    = 3  // postcode + street number
	kPhoneInitial  = 4  // phone + a name initial
	kEmail         = 5  // e-mail key
	kSoundexRegion = 6  // soundex(first) + soundex(last) (unordered) + region
	kBirthInitial  = 7  // birth date + surname initial
	kOther         = 9  // other id
	kDetBase       = 20 // deterministic keys: kDetBase + field
	kindBits       = 6
	// Keys built only from names (and a coarse place or a shared number) have a small cap:
	// their blocks grow with the population, not with the size of one person's cluster.
	looseBlockCap = 16
	// Other blocking keys (not the deterministic groups) are capped too: a postcode holds a
	// bounded number of people only for a bounded population.
	strongBlockCap = 32
)

// blockCap is the largest block kept for a key kind.
func blockCap(kind uint64, maxBlock int) int {
	switch {
	case kind >= kDetBase:
		return maxBlock
	case kind == kSoundexRegion || kind == kPhoneInitial || kind == kBirthInitial:
		return min(maxBlock, looseBlockCap)
	}
	return min(maxBlock, strongBlockCap)
}

// blockingKeys appends the blocking keys of record r (each already shifted over the record).
func (ft *features) blockingKeys(r int, dst []uint64) []uint64 {
	add := func(kind byte, parts ...string) {
		dst = append(dst, keyHash(kind, parts...)<<recBits|uint64(r))
	}
	var bf, bl, bp, bb, br, bv [maxValuesPerField]string
	firsts, lasts := ft.get(&bf, r, fFirst), ft.get(&bl, r, fLast)
	pcs, births := ft.get(&bp, r, fPostcode), ft.get(&bb, r, fBirth)
	for _, l := range lasts {
		for _, pc := range pcs {
			add(kLastPostcode, prefix(l, 4), pc)
		}
		for _, b := range births {
			add(kBirthInitial, b, l[:1])
		}
	}
	regions := ft.get(&br, r, fRegion)
	for _, f := range firsts {
		for _, b := range births {
			add(kFirstBirth, f, b)
		}
		if len(regions) == 0 {
			continue
		}
		for _, l := range lasts {
			sa, sb := soundex(f), soundex(l)
			if sa == "" || sb == "" {
				continue
			}
			if sa > sb {
				sa, sb = sb, sa
			}
			for _, rg := range regions {
				add(kSoundexRegion, sa, sb, rg)
			}
		}
	}
	for _, pc := range pcs {
		for _, sn := range ft.get(&bv, r, fStreetNo) {
			add(kPostcodeNo, pc, sn)
		}
	}
	for _, ph := range ft.get(&bv, r, fPhone) {
		ini := ""
		if len(lasts) > 0 {
			ini = lasts[0][:1]
		}
		add(kPhoneInitial, ph, ini)
		if len(firsts) > 0 {
			add(kPhoneInitial, ph, "f"+firsts[0][:1])
		}
	}
	for _, e := range ft.get(&bv, r, fEmail) {
		add(kEmail, e)
	}
	for _, o := range ft.get(&bv, r, fOther) {
		add(kOther, o)
	}
	return dst
}

// groupEntries sorts entries (hash<<recBits | record) and keeps only the blocks with 2..max
// distinct records, with duplicates (a record twice in one block) removed.
func groupEntries(entries []uint64, maxBlock int) []uint64 {
	slices.Sort(entries)
	entries = slices.Compact(entries)
	out := entries[:0]
	for i := 0; i < len(entries); {
		j := i + 1
		h := entries[i] >> recBits
		for j < len(entries) && entries[j]>>recBits == h {
			j++
		}
		if size := j - i; size >= 2 && size <= blockCap(h>>(hashBits-kindBits), maxBlock) {
			out = append(out, entries[i:j]...)
		}
		i = j
	}
	return out
}

// deterministicLinks links records sharing a normalised deterministic key, unless their names
// conflict; each record links to the first earlier record of the group it does not conflict with.
// The keys are hashed and the groups linked on every core: groups are independent, so they are
// cut into parts at group boundaries and the parts' links appended in order (the same links,
// in the same order, as one pass).
func deterministicLinks(ft *features, opts Options) []Pair {
	nw := workers(opts.Workers)
	var out []Pair
	for _, field := range opts.DeterministicKeys {
		f := slices.Index(AllFields, field)
		if f < 0 {
			continue
		}
		entries := groupEntries(deterministicEntries(ft, f, nw), opts.MaxBlockSize)
		reason := reasonDetPrefix + string(field)
		bounds := groupBounds(entries, detLinkPart)
		parts := make([][]Pair, len(bounds)-1)
		parallelChunks(len(parts), nw, func(c int) {
			parts[c] = ft.linkGroups(entries[bounds[c]:bounds[c+1]], f, reason)
		})
		for _, p := range parts {
			out = append(out, p...)
		}
	}
	return out
}

// detLinkPart is about how many entries of deterministic groups one part holds.
const detLinkPart = 1 << 14

// deterministicEntries returns the entries (hash<<recBits | record) of every record's values of
// field f, unsorted, hashed a chunk of records at a time on nw cores.
func deterministicEntries(ft *features, f, nw int) []uint64 {
	const chunk = 1 << 16
	parts := make([][]uint64, (ft.n+chunk-1)/chunk)
	parallelChunks(len(parts), nw, func(c int) {
		var dst []uint64
		var buf [maxValuesPerField]string
		for r := c * chunk; r < min(ft.n, (c+1)*chunk); r++ {
			for _, v := range ft.get(&buf, r, f) {
				if f == fPhone && len(v) < 7 {
					continue
				}
				dst = append(dst, keyHash(kDetBase+byte(f), v)<<recBits|uint64(r))
			}
		}
		parts[c] = dst
	})
	return joinParts(parts)
}

// joinParts returns the parts one after the other in one slice, dropping each part as it is
// copied.
func joinParts(parts [][]uint64) []uint64 {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	joined := make([]uint64, 0, total)
	for i, p := range parts {
		joined = append(joined, p...)
		parts[i] = nil
	}
	return joined
}

// groupBounds cuts grouped entries into parts of at least size entries (the last may be
// smaller), each cut at the start of a group: part c is entries[b[c]:b[c+1]].
func groupBounds(entries []uint64, size int) []int {
	b := []int{0}
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j]>>recBits == entries[i]>>recBits {
			j++
		}
		if j-b[len(b)-1] >= size || j == len(entries) {
			b = append(b, j)
		}
		i = j
	}
	return b
}

// linkGroups links the records of whole groups of entries of field f, in order: each record
// to the first one before it in its group whose names allow it.
func (ft *features) linkGroups(entries []uint64, f int, reason string) []Pair {
	var (
		out   []Pair
		names []recordNames // the group's, looked up once: a pair of records is compared at most once each way
	)
	for i := 0; i < len(entries); {
		j := i + 1
		h := entries[i] >> recBits
		for j < len(entries) && entries[j]>>recBits == h {
			j++
		}
		if j-i > 1 {
			names = slices.Grow(names[:0], j-i)[:j-i]
			for k := range names {
				ft.names(&names[k], int(entries[i+k]&recMask))
			}
		}
		for k := i + 1; k < j; k++ {
			nb := &names[k-i]
			for l := i; l < k; l++ {
				na := &names[l-i]
				// A phone links only names that agree: tested first, as it fails first for
				// the strangers a shared number groups.
				if (f != fPhone || namesAgree(na, nb)) && !namesConflict(na, nb) {
					out = append(out, Pair{A: int(entries[l] & recMask), B: int(entries[k] & recMask), Probability: probabilityOfOne, Reason: reason})
					break
				}
			}
		}
		i = j
	}
	return out
}

// candidates are the deduplicated candidate pairs (a<<32 | b, a < b) and their vectors.
type candidates struct {
	pairs []uint64
	vecs  []uint64
}

// compareCandidates blocks, deduplicates candidate pairs per record and compares them, in
// parallel over record chunks.
func compareCandidates(ft *features, opts Options) *candidates {
	n := ft.n
	nw := workers(opts.Workers)
	const chunk = 4096
	nChunks := (n + chunk - 1) / chunk
	rep := ft.identicalRecords(nw)
	keyParts := make([][]uint64, nChunks)
	parallelChunks(nChunks, nw, func(c int) {
		var dst []uint64
		for r := c * chunk; r < min(n, (c+1)*chunk); r++ {
			if rep[r] == int32(r) {
				dst = ft.blockingKeys(r, dst)
			}
		}
		keyParts[c] = dst
	})
	entries := groupEntries(joinParts(keyParts), opts.MaxBlockSize)

	// CSR: positions of each record's entries.
	cnt := make([]uint32, n+1)
	for _, e := range entries {
		cnt[e&recMask+1]++
	}
	for i := 1; i <= n; i++ {
		cnt[i] += cnt[i-1]
	}
	pos := make([]uint32, len(entries))
	fill := slices.Clone(cnt[:n])
	for p, e := range entries {
		r := e & recMask
		pos[fill[r]] = uint32(p)
		fill[r]++
	}
	fill = nil
	// blockStart per entry position.
	bstart := make([]uint32, len(entries))
	for i := 0; i < len(entries); {
		j := i + 1
		h := entries[i] >> recBits
		for j < len(entries) && entries[j]>>recBits == h {
			j++
		}
		for k := i; k < j; k++ {
			bstart[k] = uint32(i)
		}
		i = j
	}

	type part struct{ pairs, vecs []uint64 }
	parts := make([]part, nChunks)
	stamps := make(chan []int32, nw)
	for w := 0; w < nw; w++ {
		s := make([]int32, n)
		for i := range s {
			s[i] = -1
		}
		stamps <- s
	}
	parallelChunks(nChunks, nw, func(c int) {
		stamp := <-stamps
		defer func() { stamps <- stamp }()
		var pp part
		for a := c * chunk; a < min(n, (c+1)*chunk); a++ {
			if r := int(rep[a]); r != a { // an identical copy: paired with its representative only
				pp.pairs = append(pp.pairs, uint64(r)<<32|uint64(a))
				pp.vecs = append(pp.vecs, ft.compare(r, a))
				continue
			}
			for _, p := range pos[cnt[a]:cnt[a+1]] {
				s := bstart[p]
				h := entries[s] >> recBits
				for j := int(s); j < len(entries) && entries[j]>>recBits == h; j++ {
					b := int(entries[j] & recMask)
					if b <= a || stamp[b] == int32(a) {
						continue
					}
					stamp[b] = int32(a)
					pp.pairs = append(pp.pairs, uint64(a)<<32|uint64(b))
					pp.vecs = append(pp.vecs, ft.compare(a, b))
				}
			}
		}
		parts[c] = pp
	})
	total := 0
	for _, p := range parts {
		total += len(p.pairs)
	}
	cand := &candidates{pairs: make([]uint64, 0, total), vecs: make([]uint64, 0, total)}
	for i, p := range parts {
		cand.pairs = append(cand.pairs, p.pairs...)
		cand.vecs = append(cand.vecs, p.vecs...)
		parts[i] = part{}
	}
	return cand
}

// identicalRecords maps each record to the lowest-numbered record with exactly the same
// normalised values, if it carries enough to identify a person (an e-mail, phone or other id,
// or first and last name with a postcode or an address line); otherwise to itself. Copies (a
// customer's repeated guest orders) then take part in blocking through that representative
// only, and are compared with it alone: a cluster of k identical records costs k-1 pairs, not
// k(k-1)/2 in every block it falls into. Weak evidence is not part of the comparison.
func (ft *features) identicalRecords(nw int) []int32 {
	n := ft.n
	rep := make([]int32, n)
	fp := make([]uint64, n) // 0: not identifying
	const chunk = 8192
	parallelChunks((n+chunk-1)/chunk, nw, func(c int) {
		for r := c * chunk; r < min(n, (c+1)*chunk); r++ {
			rep[r] = int32(r)
			if !ft.identifying(r) {
				continue
			}
			h := newHasher()
			var buf [maxValuesPerField]string
			for f := 0; f < nF; f++ {
				for _, v := range ft.get(&buf, r, f) {
					h.writeString(v)
					h.writeByte(0)
				}
				h.writeByte(1)
			}
			fp[r] = h.sum64() | 1 // 0 = not identifying
		}
	})
	idx := make([]int32, 0, n)
	for r := range fp {
		if fp[r] != 0 {
			idx = append(idx, int32(r))
		}
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if fp[a] != fp[b] {
			if fp[a] < fp[b] {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && fp[idx[j]] == fp[idx[i]] {
			j++
		}
		first := int(idx[i])
		for k := i + 1; k < j; k++ {
			if r := int(idx[k]); ft.sameValues(first, r) {
				rep[r] = int32(first)
			}
		}
		i = j
	}
	return rep
}

func (ft *features) identifying(r int) bool {
	if ft.count(r, fEmail) > 0 || ft.count(r, fPhone) > 0 || ft.count(r, fOther) > 0 {
		return true
	}
	return ft.count(r, fFirst) > 0 && ft.count(r, fLast) > 0 &&
		(ft.count(r, fPostcode) > 0 || ft.count(r, fAddr1) > 0)
}

func (ft *features) sameValues(a, b int) bool {
	var ba, bb [maxValuesPerField]string
	for f := 0; f < nF; f++ {
		if !slices.Equal(ft.get(&ba, a, f), ft.get(&bb, b, f)) {
			return false
		}
	}
	return true
}
