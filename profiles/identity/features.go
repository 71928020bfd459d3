package identity

import (
	"runtime"
	"slices"
	"strings"
	"sync"
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
// 8192 records: record r's values of field f are
// vals[r>>featChunkBits][start[r]+cum[r*(nF+1)+f] : start[r]+cum[r*(nF+1)+f+1]].
type features struct {
	n     int
	vals  [][]string
	start []uint32
	cum   []uint8
	// weak evidence
	weakStart []uint32 // into weak, n+1
	weak      []uint64 // hashed tokens; ip|ua|day tokens have the top bit set
	last4     []int16  // phone last 4 + 1, 0 = none
}

func (ft *features) get(r, f int) []string {
	base := r * (nF + 1)
	s, vals := ft.start[r], ft.vals[r>>featChunkBits]
	return vals[s+uint32(ft.cum[base+f]) : s+uint32(ft.cum[base+f+1])]
}

type chunkFeatures struct {
	vals  []string
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
		intern := make(map[string]string)
		for r := lo; r < hi; r++ {
			rec := src.Record(r)
			normaliseRecord(&rec, &tmp)
			p.start = append(p.start, uint32(len(p.vals)))
			p.cum = append(p.cum, 0)
			for f := 0; f < nF; f++ {
				for _, v := range tmp[f] {
					if s, ok := intern[v]; ok {
						v = s
					} else {
						intern[v] = v
					}
					p.vals = append(p.vals, v)
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
		p.vals = slices.Clone(p.vals) // no append slack kept for the whole run
	})
	ft := &features{n: n}
	var nv, nw int
	for i := range parts {
		nv += len(parts[i].vals)
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
		ft.vals = append(ft.vals, p.vals) // kept per chunk: no copy of all the strings
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
