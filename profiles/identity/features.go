package identity

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// Field indexes in comparison order (same order as AllFields).
const (
	fFirst = iota
	fLast
	fEmail
	fPhone
	fStreetNo
	fAddr1
	fAddr2
	fCity
	fPostcode
	fRegion
	fCountry
	fBirth
	fOther
	nF
)

const (
	maxValuesPerField = 8
	featChunkBits     = 13 // records are normalised in chunks of 8192
)

// features holds the normalised values of every record in flat arrays, the values per chunk of
// 8192 records: record r's values of field f are the values at
// chunks[r>>featChunkBits].refs[start[r]+cum[r*(nF+1)+f] : start[r]+cum[r*(nF+1)+f+1]].
// A big store has tens of millions of values: they are kept as the bytes of each chunk's
// distinct values and uint32 references, with no pointer per value (as strings, their
// headers alone were 300 MB at 1M customers, and the collector marked every one).
type features struct {
	n      int
	chunks []valueChunk
	start  []uint32
	cum    []uint8
	// weak evidence
	weakStart []uint32 // into weak, n+1
	weak      []uint64 // hashed tokens; ip|ua|day tokens have the top bit set
	last4     []int16  // phone last 4 + 1, 0 = none
}

// valueChunk holds the values of a chunk of records: value slot i is distinct value refs[i],
// data[bounds[refs[i]]:bounds[refs[i]+1]].
type valueChunk struct {
	data   []byte
	bounds []uint32
	refs   []uint32
}

// get returns record r's values of field f, in buf: the strings share the chunk's bytes,
// which are never changed once built.
func (ft *features) get(buf *[maxValuesPerField]string, r, f int) []string {
	base := r * (nF + 1)
	c := &ft.chunks[r>>featChunkBits]
	s := ft.start[r]
	refs := c.refs[s+uint32(ft.cum[base+f]) : s+uint32(ft.cum[base+f+1])]
	for i, u := range refs {
		buf[i] = c.value(u)
	}
	return buf[:len(refs)]
}

// count returns how many values of field f record r has.
func (ft *features) count(r, f int) int {
	base := r * (nF + 1)
	return int(ft.cum[base+f+1]) - int(ft.cum[base+f])
}

// value returns distinct value u.
func (c *valueChunk) value(u uint32) string {
	lo, hi := c.bounds[u], c.bounds[u+1]
	if lo == hi {
		return ""
	}
	return unsafe.String(&c.data[lo], int(hi-lo))
}

type chunkFeatures struct {
	vals  valueChunk
	start []uint32
	cum   []uint8
	weak  []uint64
	wst   []uint32
	last4 []int16
}

func workers(w int) int {
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return w
}

// buildFeatures normalises every record of src, in parallel chunks, asking src for each once.
// Equal normalised values within a chunk share one string.
func buildFeatures(src Source, nWorkers int) *features {
	n := src.Len()
	const chunk = 1 << featChunkBits
	nChunks := (n + chunk - 1) / chunk
	parts := make([]chunkFeatures, nChunks)
	parallelChunks(nChunks, workers(nWorkers), func(c int) {
		lo, hi := c*chunk, min(n, (c+1)*chunk)
		p := &parts[c]
		p.start = make([]uint32, 0, hi-lo)
		p.cum = make([]uint8, 0, (hi-lo)*(nF+1))
		p.wst = make([]uint32, 0, hi-lo)
		p.last4 = make([]int16, 0, hi-lo)
		var tmp [nF][]string
		intern := make(map[string]uint32) // value -> its index in p.vals
		p.vals.bounds = append(p.vals.bounds, 0)
		for r := lo; r < hi; r++ {
			rec := src.Record(r)
			normaliseRecord(&rec, &tmp)
			p.start = append(p.start, uint32(len(p.vals.refs)))
			p.cum = append(p.cum, 0)
			for f := 0; f < nF; f++ {
				for _, v := range tmp[f] {
					u, ok := intern[v]
					if !ok {
						u = uint32(len(p.vals.bounds) - 1)
						intern[v] = u
						p.vals.data = append(p.vals.data, v...)
						p.vals.bounds = append(p.vals.bounds, uint32(len(p.vals.data)))
					}
					p.vals.refs = append(p.vals.refs, u)
				}
				p.cum = append(p.cum, uint8(int(p.cum[len(p.cum)-1])+len(tmp[f])))
			}
			p.wst = append(p.wst, uint32(len(p.weak)))
			w := &rec.Weak
			for _, t := range w.IPUserAgent {
				if h := IPUserAgentToken(t); h != 0 {
					p.weak = append(p.weak, h)
				}
			}
			for _, t := range w.ShippingAddress {
				if h := ShippingToken(t); h != 0 {
					p.weak = append(p.weak, h)
				}
			}
			for _, h := range w.Tokens {
				if h != 0 {
					p.weak = append(p.weak, h)
				}
			}
			l4 := int16(0)
			if d := digits(w.PhoneLast4); len(d) >= 4 {
				d = d[len(d)-4:]
				l4 = int16((int(d[0]-'0')*1000 + int(d[1]-'0')*100 + int(d[2]-'0')*10 + int(d[3]-'0')) + 1)
			}
			p.last4 = append(p.last4, l4)
		}
		// No append slack kept for the whole run.
		p.vals = valueChunk{data: slices.Clone(p.vals.data), bounds: slices.Clone(p.vals.bounds), refs: slices.Clone(p.vals.refs)}
	})
	ft := &features{n: n}
	var nv, nw int
	for i := range parts {
		nv += len(parts[i].vals.refs)
		nw += len(parts[i].weak)
	}
	ft.start = make([]uint32, 0, n)
	ft.cum = make([]uint8, 0, n*(nF+1))
	ft.weak = make([]uint64, 0, nw)
	ft.weakStart = make([]uint32, 0, n+1)
	ft.last4 = make([]int16, 0, n)
	for i := range parts {
		p := &parts[i]
		wb := uint32(len(ft.weak))
		ft.start = append(ft.start, p.start...)
		for _, s := range p.wst {
			ft.weakStart = append(ft.weakStart, s+wb)
		}
		ft.chunks = append(ft.chunks, p.vals) // kept per chunk: no copy of all the values
		ft.cum = append(ft.cum, p.cum...)
		ft.weak = append(ft.weak, p.weak...)
		ft.last4 = append(ft.last4, p.last4...)
		parts[i] = chunkFeatures{}
	}
	ft.weakStart = append(ft.weakStart, uint32(len(ft.weak)))
	return ft
}

func parallelChunks(nChunks, nWorkers int, fn func(c int)) {
	if nWorkers > nChunks {
		nWorkers = nChunks
	}
	var wg sync.WaitGroup
	next := make(chan int, nChunks)
	for c := 0; c < nChunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < nWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fn(c)
			}
		}()
	}
	wg.Wait()
}

func addUnique(dst []string, v string) []string {
	if v == "" || len(dst) >= maxValuesPerField {
		return dst
	}
	for _, d := range dst {
		if d == v {
			return dst
		}
	}
	return append(dst, v)
}

// normaliseRecord fills tmp with the normalised, de-duplicated values of each field.
func normaliseRecord(r *Record, tmp *[nF][]string) {
	for f := range tmp {
		tmp[f] = tmp[f][:0]
	}
	var fromValues [nF]bool
	if len(r.Values) > 0 {
		for _, fv := range r.Values {
			if f := fieldIndex(fv.Field); f >= 0 {
				fromValues[f] = true
			}
		}
	}
	for f, field := range AllFields {
		for _, raw := range r.Fields[field] {
			tmp[f] = addUnique(tmp[f], normaliseValue(f, raw))
		}
		if fromValues[f] {
			for _, fv := range r.Values {
				if fv.Field == field {
					tmp[f] = addUnique(tmp[f], normaliseValue(f, fv.Value))
				}
			}
		}
	}
	// NewRecord's values come after, field by field in their order.
	r.eachPacked(func(f int, v []byte) { tmp[f] = addUnique(tmp[f], normaliseValue(f, string(v))) })
	// A full name typed into one name field: split off the last token.
	if len(tmp[fLast]) == 0 {
		for _, v := range tmp[fFirst] {
			if i := strings.LastIndexByte(v, ' '); i > 0 {
				first, last := v[:i], v[i+1:]
				tmp[fFirst] = addUnique(tmp[fFirst], first)
				tmp[fLast] = addUnique(tmp[fLast], last)
				break
			}
		}
	} else if len(tmp[fFirst]) == 0 {
		for _, v := range tmp[fLast] {
			if i := strings.IndexByte(v, ' '); i > 0 {
				tmp[fFirst] = addUnique(tmp[fFirst], v[:i])
				tmp[fLast] = addUnique(tmp[fLast], v[i+1:])
				break
			}
		}
	}
}

// fieldIndex is the index of field in AllFields, or -1.
func fieldIndex(field Field) int {
	for f, x := range AllFields {
		if x == field {
			return f
		}
	}
	return -1
}

// normaliseValue normalises one raw value of field f.
func normaliseValue(f int, raw string) string {
	var v string
	switch f {
	case fFirst, fLast:
		v = foldName(raw)
	case fEmail:
		v, _ = emailKey(raw)
	case fPhone:
		v = phoneKey(raw)
	case fStreetNo:
		v = strings.ReplaceAll(fold(raw), " ", "")
	case fAddr1, fAddr2:
		v = addressKey(raw)
	case fCity:
		v = fold(raw)
	case fPostcode:
		v = postcodeKey(raw)
	case fRegion:
		v = strings.ReplaceAll(fold(raw), " ", "")
	case fCountry:
		v = countryKey(raw)
	case fBirth:
		v = digits(raw)
	case fOther:
		v = strings.ReplaceAll(fold(raw), " ", "")
	}
	return v
}
