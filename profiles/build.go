package profiles

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/internal/parallel"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// BuildOptions configure a Build.
type BuildOptions struct {
	// BaseCurrency is the currency every total is also kept in.
	BaseCurrency string
	// Rates converts order money to BaseCurrency; nil means only BaseCurrency orders convert.
	Rates *normalize.Rates
	// Identity tunes identity resolution.
	Identity identity.Options
	// Location interprets dates without a zone. Default UTC.
	Location *time.Location
	// Sink, when set, receives each profile as it is made (profile i of n, called from
	// several goroutines at once, each i once) instead of BuildResult.Profiles holding them
	// all: a rebuild encodes them there, and never holds every profile decoded. An error
	// stops the build and is returned.
	Sink func(i, n int, p *Profile) error
	// Flush, when set with Sink, makes the profiles in profile-ID order, a window of them at a
	// time, and is called (from one goroutine, between windows) with the positions i of the
	// window's profiles in profile-ID order, once Sink has had every one of them: a rebuild
	// writes them out there, so that it holds one window of profiles at a time, and writes
	// them in key order. An error stops the build and is returned.
	Flush func(done []int) error
}

// flushWindow is how many profiles are made between two calls of BuildOptions.Flush (a
// variable for tests).
var flushWindow = 16384

// MergeAudit records why records were put together. It holds references and scores, never
// personal data, so it can be kept after an erasure.
type MergeAudit struct {
	ProfileID   string    `cbor:"1,keyasint" json:"profile_id"`
	A           SourceRef `cbor:"2,keyasint" json:"a"`
	B           SourceRef `cbor:"3,keyasint" json:"b"`
	Reason      string    `cbor:"4,keyasint" json:"reason"`
	Probability float64   `cbor:"5,keyasint" json:"probability"`
	Score       float64   `cbor:"6,keyasint" json:"score"`
	Decisive    []string  `cbor:"7,keyasint,omitempty" json:"decisive,omitempty"`
}

// PossibleDuplicate is a pair of profiles that scored between the thresholds: shown to the
// merchant, never merged automatically.
type PossibleDuplicate struct {
	A           string    `json:"a"` // profile ids
	B           string    `json:"b"`
	ARef        SourceRef `json:"a_ref"`
	BRef        SourceRef `json:"b_ref"`
	Probability float64   `json:"probability"`
}

// BuildResult is the outcome of one Build.
type BuildResult struct {
	Profiles   []Profile // nil when BuildOptions.Sink took them
	Audit      []MergeAudit
	Possible   []PossibleDuplicate
	Quality    Quality
	Candidates int // candidate pairs compared by identity resolution
}

// identityRec is one identity to resolve: a customer account, or the buyer of a guest order.
type identityRec struct {
	ref      SourceRef
	updated  time.Time
	trusted  int // 2 customer account, 1 guest order
	email    normalize.Email
	phone    normalize.Phone
	first    normalize.Name
	last     normalize.Name
	addr     CleanAddress
	locale   string
	birth    string
	consent  Consent
	tags     []string
	created  time.Time
	key      string      // ref.Key()
	sources  fieldOrigin // where the contact fields came from
	weak     identity.Evidence
	filledBy int // fields filled from orders
}

// fieldOrigin says where an identity's contact fields came from when not from the identity's
// own record ("" means its own record): "shop/order/1001 (billing)". A struct, not a map:
// millions of identities are held at once.
type fieldOrigin struct {
	first, last, email, phone, address string
}

// of returns the origin of a Profile.FieldSources field; "" for its own record or a field
// fieldOrigin does not track.
func (f *fieldOrigin) of(field string) string {
	switch field {
	case "first_name":
		return f.first
	case "last_name":
		return f.last
	case "email":
		return f.email
	case "phone":
		return f.phone
	case "address":
		return f.address
	}
	return ""
}

// Build cleans every record, resolves identities and merges each cluster into one Profile. It
// is deterministic: the same records and options give the same profiles and ids.
func Build(customers []CustomerRecord, orders []OrderRecord, opts BuildOptions) (*BuildResult, error) {
	d := NewOrderDigester(customers, opts)
	facts := make([]OrderFacts, len(orders))
	for i := range orders {
		facts[i] = d.Digest(&orders[i])
	}
	in, err := d.Digested(facts)
	if err != nil {
		return nil, err
	}
	return BuildDigested(in, opts)
}

// Digested is what BuildDigested builds from (OrderDigester.Digested): the customer records,
// packed, and the facts of their orders made by an OrderDigester with the same options.
type Digested struct {
	Orders    []OrderFacts
	customers *CustomerPacker
	facts     *factArena // the records of Orders
}

// BuildDigested is Build from the orders' facts: the same profiles, without the whole orders
// in memory. It takes in's slices (leaving in empty) and drops them as it goes.
func BuildDigested(in *Digested, opts BuildOptions) (*BuildResult, error) {
	// Taken out of in, so that nothing else keeps them: the orders' facts are dropped before
	// identity resolution, the customers once their identities are made.
	customers, orders, facts := in.customers, in.Orders, in.facts
	in.customers, in.Orders, in.facts = nil, nil, nil
	if facts == nil || customers == nil {
		if len(orders) > 0 {
			return nil, errors.New("profiles: orders digested without their digester (use OrderDigester.Digested)")
		}
		facts, customers = newFactArena(), NewCustomerPacker(0)
	}
	ncust := len(customers.packs)
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	// Orders and identities are indexed by int32 (identity.Resolve takes fewer than 16M).
	if len(orders) > math.MaxInt32 || ncust > math.MaxInt32-len(orders) {
		return nil, fmt.Errorf("profiles: %d customers and %d orders: too many for one build", ncust, len(orders))
	}
	// The customers' slots in (store, id) order.
	byID := make([]int32, ncust)
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int {
		pa, pb := &customers.packs[a], &customers.packs[b]
		return cmp.Or(cmp.Compare(customers.arena.stores[pa.store], customers.arena.stores[pb.store]),
			bytes.Compare(customers.id(int(a)), customers.id(int(b))))
	})
	sortFunc(orders, func(a, b *OrderFacts) int {
		return cmp.Or(cmp.Compare(facts.stores[a.store], facts.stores[b.store]), bytes.Compare(facts.id(a), facts.id(b)))
	})

	// The orders grouped by identity key, and each group's account orders newest first, for
	// filling empty customer fields.
	byKey := groupOrders(orders, facts)
	byCustomer := newAccountOrders(byKey)
	// known holds, per group, whether the account with the group's key has its identity: set
	// for every customer record (a deleted one too: its orders make no stub), then for each
	// stub as it is made.
	known := make([]bool, byKey.len())
	customerGroup := make([]int32, ncust) // each customer's group (by position in byID), -1 when it has no orders
	for k, ci := range byID {
		grp := byKey.find(customers.key(int(ci)))
		customerGroup[k] = grp
		if grp >= 0 {
			known[grp] = true
		}
	}

	// Every identity, counted first so that its slices are allocated once: they are the
	// largest structures of a rebuild, and growing them by appends held two copies at a time.
	nids := 0
	for i := range customers.packs {
		if !customers.packs[i].deleted {
			nids++
		}
	}
	for i := range orders {
		if orders[i].guest {
			nids++
		}
	}
	for grp := range known {
		if !known[grp] && byCustomer.any(int32(grp)) {
			nids++
		}
	}
	// Per identity: its fields packed (identitypack.go: what merging and identity resolution
	// read, its source and so its key included), and the group of the orders with its key
	// (-1 for none).
	packed := make([][]byte, 0, nids)
	identityGroup := make([]int32, 0, nids)
	addIdentity := func(r *identityRec, grp int32) {
		packed = append(packed, packedIdentity(r))
		identityGroup = append(identityGroup, grp)
	}
	q := newQualityCounter()
	// The customers' identities are made on every core, each into its slot, then added in
	// order with their quality counts. A block of customers packs its identities into one
	// buffer: a million small allocations would be a million objects for the collector to
	// mark on each of its cycles while the rebuild runs.
	type customerSlot struct {
		packed  []byte
		quality identityQuality
	}
	slots := make([]customerSlot, len(byID))
	const identityBlock = 256
	err := parallel.For((len(byID)+identityBlock-1)/identityBlock, 1, func(blk int) error {
		lo, hi := blk*identityBlock, min((blk+1)*identityBlock, len(byID))
		var buf []byte
		ends := make([]int, hi-lo)
		for k := lo; k < hi; k++ {
			ends[k-lo] = len(buf)
			ci := int(byID[k])
			if customers.packs[ci].deleted {
				continue
			}
			c, err := customers.unpack(ci)
			if err != nil { // only a bug can get here: the customer was packed by this build's packer
				return err
			}
			r, iq, err := customerIdentity(c, orders, facts, byCustomer.of(customerGroup[k]))
			if err != nil {
				return err
			}
			buf = packIdentity(buf, &r)
			ends[k-lo] = len(buf)
			slots[k].quality = iq
		}
		start := 0
		for k := lo; k < hi; k++ {
			end := ends[k-lo]
			slots[k].packed = buf[start:end:end]
			start = end
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, ci := range byID {
		if customers.packs[ci].deleted {
			continue
		}
		packed = append(packed, slots[k].packed)
		identityGroup = append(identityGroup, customerGroup[k])
		q.identity(slots[k].quality)
		slots[k] = customerSlot{}
	}
	// customers, byID and customerGroup are not read past here: the customers' records go.
	// Customers known only through their orders (an orders export, or orders that arrived
	// before their customer record): the account identity comes from the newest order.
	for i := range orders {
		o := &orders[i]
		grp := byKey.groupOf[i]
		if o.guest || known[grp] {
			continue
		}
		known[grp] = true
		store := facts.stores[o.store]
		stub := CustomerRecord{Store: store, ID: strings.TrimPrefix(string(facts.key(o)), store+"/"+KindCustomer+"/")}
		r, iq, err := customerIdentity(stub, orders, facts, byCustomer.of(grp))
		if err != nil {
			return nil, err
		}
		q.identity(iq)
		addIdentity(&r, grp)
	}
	// The buyers of guest orders: their packed identities stay in the arena (a guest order's
	// key is its buyer's).
	for i := range orders {
		if !orders[i].guest {
			continue
		}
		rec, err := facts.record(&orders[i])
		if err != nil { // only a bug can get here: the record was written by this build's digester
			return nil, fmt.Errorf("profiles: order %d: %w", i, err)
		}
		bq, at, err := readBuyer(rec.rest)
		if err != nil {
			return nil, fmt.Errorf("profiles: buyer of order %d: %w", i, err)
		}
		b, err := facts.buyer(at)
		if err != nil {
			return nil, fmt.Errorf("profiles: buyer of order %d: %w", i, err)
		}
		packed = append(packed, b)
		identityGroup = append(identityGroup, byKey.groupOf[i])
		q.identity(bq)
	}
	// identityOf holds, per group, the last identity with the group's key (-1 for none).
	identityOf := make([]int32, byKey.len())
	for grp := range identityOf {
		identityOf[grp] = -1
	}
	for i, grp := range identityGroup {
		if grp >= 0 {
			identityOf[grp] = int32(i)
		}
	}
	// Weak evidence: the IP and user agent of each identity's orders, per day, and their
	// shipping addresses, hashed; the tokens of identity i are tokens[tokenStart[i]:
	// tokenStart[i+1]], in order of the orders.
	tokenStart := make([]int32, len(packed)+1)
	for j := range orders {
		if o := &orders[j]; o.ipua != 0 {
			if i := identityOf[byKey.groupOf[j]]; i >= 0 {
				tokenStart[i+1]++
				if o.shipping != 0 {
					tokenStart[i+1]++
				}
			}
		}
	}
	for i := range packed {
		tokenStart[i+1] += tokenStart[i]
	}
	tokens := make([]uint64, tokenStart[len(packed)])
	next := slices.Clone(tokenStart[:len(packed)])
	for j := range orders {
		o := &orders[j]
		if o.ipua == 0 {
			continue
		}
		i := identityOf[byKey.groupOf[j]]
		if i < 0 {
			continue
		}
		tokens[next[i]] = o.ipua
		next[i]++
		if o.shipping != 0 {
			tokens[next[i]] = o.shipping
			next[i]++
		}
	}
	next = nil
	byKey.groupOf = nil // not read past here
	// From here on an order is only its profile's: its date, "store/id" and money, read from
	// its record; the rest of its facts is dropped before identity resolution.
	merging := make([]mergeRef, len(orders))
	for i := range orders {
		merging[i] = mergeRef{at: orders[i].mergeAt, store: orders[i].store}
	}
	orders, byKey.orders, byKey.facts = nil, nil, nil
	facts.recs = byteArena{}

	res, err := identity.ResolveSource(&identitySource{packed: packed, tokenStart: tokenStart, tokens: tokens}, opts.Identity)
	tokenStart, tokens = nil, nil
	if err != nil {
		return nil, fmt.Errorf("profiles: resolve identities: %w", err)
	}

	// Group identities by cluster, in a deterministic order.
	clusters, err := newClusterTable(res.ClusterOf)
	if err != nil {
		return nil, fmt.Errorf("profiles: group identities: %w", err)
	}
	roots := clusters.roots
	// clusterPos returns the position in roots of identity i's cluster.
	clusterPos := func(i int) int32 { return clusters.position[res.ClusterOf[i]] }

	profileID := make([]string, len(roots)) // per cluster, its profile's id
	out := &BuildResult{Candidates: res.CandidatePairs}
	// minScore holds, per cluster, the lowest probability of its merged pairs, where scored.
	minScore := make([]float64, len(roots))
	scored := make([]bool, len(roots))
	for _, p := range res.Merged {
		c := clusterPos(p.A)
		if !scored[c] || p.Probability < minScore[c] {
			minScore[c], scored[c] = p.Probability, true
		}
	}
	// The profiles are independent of each other: they are made on every core, each into its
	// slot, with quality counts per worker added up after.
	if len(roots) > 0 && opts.Sink == nil {
		out.Profiles = make([]Profile, len(roots))
	}
	// makeProfile makes the profile of roots[i] and hands it on; sc is its worker's.
	makeProfile := func(i int, wq *qualityCounter, sc *mergeScratch) error {
		members := clusters.of(i)
		p, err := mergeCluster(packed, members, &sc.ids)
		if err != nil { // only a bug can get here: the identities were packed above
			return err
		}
		profileID[i] = p.ID
		oi := sc.orders[:0] // the profile's orders, indexes in merging
		for _, m := range members {
			oi = append(oi, byKey.of(identityGroup[m])...)
		}
		sc.orders = oi
		own := slices.Grow(sc.own[:0], len(oi))[:len(oi)]
		sc.own = own
		for j, o := range oi {
			if err := facts.mergeOrder(merging[o], wq.intern, &own[j]); err != nil { // only a bug can get here
				return fmt.Errorf("profiles: order %d of %s: %w", o, p.ID, err)
			}
		}
		p.Summary = summarize(own, opts, wq)
		p.Orders = compactOrders(own)
		if scored[i] {
			p.MergeScore = minScore[i]
		} else {
			p.MergeScore = 1
		}
		wq.profile(&p)
		if opts.Sink == nil {
			out.Profiles[i] = p
			return nil
		}
		return opts.Sink(i, len(roots), &p)
	}
	// The positions in roots, in the order the profiles are made: with Flush, in profile-ID
	// order, a window at a time.
	sequence := make([]int32, len(roots))
	for i := range sequence {
		sequence[i] = int32(i)
	}
	window := len(roots)
	if opts.Flush != nil && opts.Sink != nil {
		window = flushWindow
		pids := make([]string, len(roots))
		for i := range roots {
			pids[i] = clusterID(packed, clusters.of(i))
		}
		// Ties (none: a profile's id is its first source's) broken by position, as parallel
		// sorting needs.
		parallel.SortFunc(sequence, func(a, b int32) int { return cmp.Or(cmp.Compare(pids[a], pids[b]), cmp.Compare(a, b)) })
	}
	const chunk = 64
	workers := min(runtime.GOMAXPROCS(0), (len(roots)+chunk-1)/chunk)
	counts := make([]qualityCounter, workers)
	scratch := make([]mergeScratch, workers)
	done := make([]int, 0, min(window, len(roots)))
	for wlo := 0; wlo < len(roots); wlo += window {
		part := sequence[wlo:min(wlo+window, len(roots))]
		var (
			next    atomic.Int64 // next chunk of part
			wg      sync.WaitGroup
			errMu   sync.Mutex
			makeErr error
		)
		for w := range workers {
			wg.Go(func() {
				for {
					lo := int(next.Add(chunk)) - chunk
					if lo >= len(part) {
						return
					}
					for _, i := range part[lo:min(lo+chunk, len(part))] {
						if err := makeProfile(int(i), &counts[w], &scratch[w]); err != nil {
							errMu.Lock()
							makeErr = cmp.Or(makeErr, err)
							errMu.Unlock()
							next.Store(int64(len(part))) // no more chunks
							return
						}
					}
				}
			})
		}
		wg.Wait()
		if makeErr != nil {
			return nil, makeErr
		}
		if opts.Flush != nil && opts.Sink != nil {
			done = done[:0]
			for _, i := range part {
				done = append(done, int(i))
			}
			if err := opts.Flush(done); err != nil {
				return nil, err
			}
		}
	}
	facts.merges = byteArena{} // every profile is made
	for _, c := range counts {
		q.unconverted += c.unconverted
		q.withOrders += c.withOrders
	}
	// refs returns the sources of identities a and b.
	refs := func(a, b int) (SourceRef, SourceRef, error) {
		ra, err := packedRef(packed[a])
		if err != nil {
			return ra, ra, err
		}
		rb, err := packedRef(packed[b])
		return ra, rb, err
	}
	decisive := map[string][]string{} // one slice per list of fields, shared by its audit lines
	decisiveNames := func(fs []identity.Field) []string {
		var key strings.Builder
		for _, f := range fs {
			key.WriteString(string(f))
			key.WriteByte(0)
		}
		names, ok := decisive[key.String()]
		if !ok {
			names = fieldNames(fs)
			decisive[key.String()] = names
		}
		return names
	}
	// One audit line per pair: the first (strongest) reason that linked it. The lines are made
	// on every core, each into its slot; their decisive lists after, shared.
	first := firstOfPairs(res.Merged)
	out.Audit = make([]MergeAudit, len(first))
	err = parallel.For(len(first), 4096, func(j int) error {
		pr := &res.Merged[first[j]]
		a, b, err := refs(pr.A, pr.B)
		if err != nil {
			return err
		}
		out.Audit[j] = MergeAudit{
			ProfileID:   profileID[clusterPos(pr.A)],
			A:           a,
			B:           b,
			Reason:      pr.Reason,
			Probability: pr.Probability,
			Score:       pr.Score,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for j, m := range first {
		out.Audit[j].Decisive = decisiveNames(res.Merged[m].Decisive)
	}
	for _, pr := range res.Possible {
		a, b := profileID[clusterPos(pr.A)], profileID[clusterPos(pr.B)]
		if a == b {
			continue
		}
		aref, bref, err := refs(pr.A, pr.B)
		if err != nil {
			return nil, err
		}
		out.Possible = append(out.Possible, PossibleDuplicate{
			A: a, B: b, ARef: aref, BRef: bref,
			Probability: pr.Probability,
		})
	}
	out.Quality = q.result(len(packed), len(roots), len(out.Audit))
	return out, nil
}

// firstOfPairs returns the positions in merged of the first pair of each two identities (in
// either order), in ascending order.
func firstOfPairs(merged []identity.Pair) []int32 {
	type keyed struct {
		pair uint64 // low<<32 | high identity
		at   int32
	}
	ks := make([]keyed, len(merged))
	for i, p := range merged {
		ks[i] = keyed{uint64(min(p.A, p.B))<<32 | uint64(max(p.A, p.B)), int32(i)}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.pair, b.pair), cmp.Compare(a.at, b.at)) })
	first := make([]int32, 0, len(ks))
	for i, k := range ks {
		if i == 0 || k.pair != ks[i-1].pair {
			first = append(first, k.at)
		}
	}
	slices.Sort(first)
	return first
}

// mergeScratch is what one worker making profiles reuses from one profile to the next: a
// profile keeps none of it (its values are copied into the profile). Allocated afresh per
// profile they were 2.3 GB of a 1M rebuild's 12 GB of allocations while profiles are made.
type mergeScratch struct {
	ids    []identityRec // the cluster's identities, unpacked
	orders []int32       // the profile's orders
	own    []mergeOrder  // and what the merge reads of them
}

// sortFunc sorts s into the order slices.SortFunc gives (ties included: it sorts positions
// with the same algorithm and comparisons), moving each element once rather than swapping
// large records back and forth.
func sortFunc[T any](s []T, cmp func(a, b *T) int) {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp(&s[a], &s[b]) })
	permute(s, idx)
}

// permute moves s[idx[i]] to position i for every i, idx being a permutation of s's
// positions (left as the identity), walking each cycle of it in place: a copy of s would be
// hundreds of megabytes for a large store's orders.
func permute[T any](s []T, idx []int) {
	for i := range idx {
		if idx[i] == i {
			continue
		}
		held := s[i]
		j := i
		for idx[j] != i {
			next := idx[j]
			s[j] = s[next]
			idx[j] = j
			j = next
		}
		s[j] = held
		idx[j] = j
	}
}

func fieldNames(fs []identity.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// ProfileID is a profile's stable id: derived from the smallest source key of its cluster, so
// it survives rebuilds as long as that record stays with the person.
func ProfileID(firstSource SourceRef) string {
	return profileIDOfKey(firstSource.Key())
}

// profileIDOfKey is ProfileID of the source with this key.
func profileIDOfKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return "p_" + hex.EncodeToString(h[:8])
}

// customerIdentity is the cleaned identity of customer c, filled from its own account orders
// (newest first), and its quality counts.
func customerIdentity(c CustomerRecord, orders []OrderFacts, facts *factArena, own []int32) (identityRec, identityQuality, error) {
	r := identityRec{
		ref: c.Ref(), updated: c.UpdatedAt, trusted: 2, locale: c.Locale, birth: c.BirthDate,
		consent: c.Consent, tags: c.Tags, created: c.CreatedAt,
	}
	r.key = r.ref.Key()
	var addr Address
	if len(c.Addresses) > 0 {
		addr = c.Addresses[0]
	}
	first, last, email, phone := c.FirstName, c.LastName, c.Email, c.Phone
	// Fill what the customer record leaves empty from the most recent order that has it.
	for _, oi := range own {
		o := &orders[oi]
		if !o.fill {
			continue
		}
		rec, err := facts.record(o)
		if err != nil { // only a bug can get here: the record was written by this build's digester
			return r, identityQuality{}, fmt.Errorf("profiles: order %d: %w", oi, err)
		}
		f, err := readFill(rec.rest)
		if err != nil {
			return r, identityQuality{}, fmt.Errorf("profiles: order %d: %w", oi, err)
		}
		osrc := "" // the order's source, made when a field is taken from it
		from := func(tag string) string {
			if osrc == "" {
				osrc = facts.stores[o.store] + "/order/" + string(rec.id)
			}
			if tag == "" {
				return osrc
			}
			return osrc + " (" + tag + ")"
		}
		if first == "" && f.first != "" {
			first, r.sources.first = f.first, from(f.firstTag)
			r.filledBy++
		}
		if last == "" && f.last != "" {
			last, r.sources.last = f.last, from(f.lastTag)
			r.filledBy++
		}
		if phone == "" && f.phone != "" {
			phone, r.sources.phone = f.phone, from(f.phoneTag)
			r.filledBy++
		}
		if addr.IsZero() && !f.addr.IsZero() {
			addr, r.sources.address = f.addr, from(f.addrTag)
			r.filledBy++
		}
		if email == "" && f.email != "" {
			email, r.sources.email = f.email, from("")
			r.filledBy++
		}
	}
	present, valid := fillIdentity(&r, first, last, email, phone, addr)
	return r, qualityOf(&r, present, valid), nil
}

// guestIdentity is the cleaned identity behind a guest order, and whether its raw country
// was present and recognised (for the quality counts).
func guestIdentity(o *OrderRecord) (r identityRec, countryPresent, countryValid bool) {
	r = identityRec{
		ref: o.Ref(), updated: cmp.Or(o.UpdatedAt, o.CreatedAt), trusted: 1, locale: o.Locale,
		created: o.CreatedAt,
	}
	r.key = r.ref.Key()
	addr := o.Billing
	if addr.IsZero() {
		addr = o.Shipping
	}
	phone := cmp.Or(o.Phone, o.Billing.Phone, o.Shipping.Phone)
	countryPresent, countryValid = fillIdentity(&r, addr.FirstName, addr.LastName, o.Email, phone, addr)
	return r, countryPresent, countryValid
}

// fillIdentity runs the normalizers over one identity's raw fields. It reports whether the
// raw country was present, and whether it was recognised (or absent).
func fillIdentity(r *identityRec, first, last, email, phone string, addr Address) (countryPresent, countryValid bool) {
	country, _ := normalize.ParseCountry(addr.Country)
	r.addr = CleanAddress{
		Address1:    strings.TrimSpace(addr.Address1),
		Address2:    strings.TrimSpace(addr.Address2),
		City:        normalize.FormatPersonName(addr.City),
		Postcode:    strings.ToUpper(strings.TrimSpace(addr.Postcode)),
		CountryCode: country.Code,
		Continent:   country.Continent,
	}
	if reg, ok := normalize.ParseRegion(country.Code, addr.Region); ok {
		r.addr.Region = reg.Code
	} else {
		r.addr.Region = strings.TrimSpace(addr.Region)
	}
	r.first = normalize.ParseName(first)
	r.last = normalize.ParseName(last)
	if strings.TrimSpace(email) != "" {
		r.email = normalize.ParseEmail(email)
	}
	if strings.TrimSpace(phone) != "" {
		r.phone = normalize.ParsePhone(phone, country.Code)
		r.weak.PhoneLast4 = r.phone.Last4
	}
	return addr.Country != "", country.Code != "" || addr.Country == ""
}

// identitySource hands identity resolution each identity's Record as it asks, made from the
// packed identity and its weak-evidence tokens: a Record for each of millions of identities
// held at once was the largest part of the rebuild's heap during resolution.
type identitySource struct {
	packed     [][]byte
	tokenStart []int32
	tokens     []uint64
}

func (s *identitySource) Len() int { return len(s.packed) }

// ID returns identity i's key; "" for a corrupt identity (only a bug can make one).
func (s *identitySource) ID(i int) string { return string(packedKey(nil, s.packed[i])) }

func (s *identitySource) Record(i int) identity.Record {
	var r identityRec
	if err := unpackIdentity(s.packed[i], &r); err != nil {
		// Only a bug can get here (the identity was packed by this build): resolve it with
		// no values rather than fail; merging reports the corrupt identity.
		return identity.Record{ID: s.ID(i)}
	}
	rec := identityRecord(&r)
	rec.Weak.Tokens = s.tokens[s.tokenStart[i]:s.tokenStart[i+1]:s.tokenStart[i+1]]
	return rec
}

// identityRecord is r in identity's compact form (its values packed, no map per record).
func identityRecord(r *identityRec) identity.Record {
	var buf [11]identity.FieldValue
	f := buf[:0]
	add := func(k identity.Field, v string) {
		if v != "" {
			f = append(f, identity.FieldValue{Field: k, Value: v})
		}
	}
	add(identity.FirstName, r.first.Key)
	add(identity.LastName, r.last.Key)
	if !r.email.Flags.Has(normalize.EmailInvalid) {
		add(identity.Email, r.email.Key)
	}
	if r.phone.Valid {
		add(identity.Phone, r.phone.E164)
	}
	add(identity.Address1, strings.ToLower(r.addr.Address1))
	add(identity.Address2, strings.ToLower(r.addr.Address2))
	add(identity.City, strings.ToLower(r.addr.City))
	add(identity.Postcode, r.addr.Postcode)
	add(identity.Region, r.addr.Region)
	add(identity.Country, r.addr.CountryCode)
	add(identity.BirthDate, r.birth)
	rec := identity.NewRecord(r.key, f...)
	rec.Weak = r.weak
	return rec
}

// orderMoney is an order's net total (total minus refunds) and what toBase makes of it,
// worked out once for summarize and compactOrders.
type orderMoney struct {
	net, netBase, refBase decimal.Decimal
	ok                    bool // converted
}

func moneyOf(o *OrderRecord, opts BuildOptions) orderMoney {
	m := orderMoney{net: o.Total.Sub(o.Refunded)}
	m.netBase, m.refBase, m.ok = toBase(o, m.net, opts)
	return m
}

// summarize folds a profile's orders into its summary. Cancelled orders count as
// cancellations, not spend; refunds reduce spend.
func summarize(own []mergeOrder, opts BuildOptions, q *qualityCounter) OrderSummary {
	s := OrderSummary{BaseCurrency: opts.BaseCurrency}
	for j := range own {
		o := &own[j]
		m := &o.money
		c := &m.compact
		if c.Cancelled {
			s.Cancellations++
			continue
		}
		if c.Zero {
			s.ZeroValue++
			continue
		}
		s.Orders++
		if s.FirstOrder.IsZero() || o.created.Before(s.FirstOrder) {
			s.FirstOrder = o.created
		}
		if o.created.After(s.LastOrder) {
			s.LastOrder = o.created
		}
		if c.Refunded {
			s.Refunds++
		}
		if s.Totals == nil {
			s.Totals = map[string]decimal.Decimal{}
		}
		s.Totals[c.Currency] = s.Totals[c.Currency].Add(c.Net)
		if !c.Converted {
			s.Unconverted++
			q.unconverted++
		} else {
			s.TotalBase = s.TotalBase.Add(c.NetBase)
			s.RefundedBase = s.RefundedBase.Add(m.refBase)
			if c.Currency != opts.BaseCurrency && opts.BaseCurrency != "" {
				if s.ConvertedBase == nil {
					s.ConvertedBase = map[string]decimal.Decimal{}
				}
				s.ConvertedBase[c.Currency] = s.ConvertedBase[c.Currency].Add(c.NetBase)
			}
		}
		s.Items += c.Items
		for _, t := range m.types {
			if s.ProductTypes == nil {
				s.ProductTypes = map[string]decimal.Decimal{}
			}
			s.ProductTypes[t.Type] = s.ProductTypes[t.Type].Add(t.Spend)
		}
		if c.Device != "" {
			if s.Devices == nil {
				s.Devices = map[string]int{}
			}
			s.Devices[c.Device]++
		}
		if m.shipTo != "" {
			if s.ShipTo == nil {
				s.ShipTo = map[string]int{}
			}
			s.ShipTo[m.shipTo]++
		}
	}
	return s
}

// compactOrders keeps what segments need of each order, oldest first.
func compactOrders(own []mergeOrder) []CompactOrder {
	out := make([]CompactOrder, 0, len(own))
	for j := range own {
		c := own[j].money.compact
		c.ID = own[j].ref
		c.At = own[j].created.UTC()
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CompactOrder) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	return out
}

// isPurchase reports whether an order bought something: a positive total, or at least one line
// with a positive quantity and price. Free orders (samples, zero-price adjustments) are counted
// apart and left out of frequency and spend.
func isPurchase(o *OrderRecord) bool {
	if o.Total.IsPositive() {
		return true
	}
	for _, l := range o.Lines {
		if l.Quantity > 0 && l.Price.IsPositive() {
			return true
		}
	}
	return false
}

// toBase converts an order's net and refunded amounts to the base currency.
func toBase(o *OrderRecord, net decimal.Decimal, opts BuildOptions) (decimal.Decimal, decimal.Decimal, bool) {
	if o.Currency == opts.BaseCurrency || opts.BaseCurrency == "" {
		return net, o.Refunded, true
	}
	// The platform's own conversion at the time of the order, when the base currency is the
	// shop's: exact, and needs no rates table.
	if o.Shop != nil && o.Shop.Currency == opts.BaseCurrency {
		return o.Shop.Total.Sub(o.Shop.Refunded), o.Shop.Refunded, true
	}
	if opts.Rates == nil {
		return decimal.Zero, decimal.Zero, false
	}
	conv, err := opts.Rates.Convert(normalize.Money{Amount: net, Currency: o.Currency}, o.CreatedAt)
	if err != nil {
		return decimal.Zero, decimal.Zero, false
	}
	return conv.To.Amount, o.Refunded.Mul(conv.Rate), true
}

// DeviceClass tells mobile, tablet or desktop from a browser user agent; "" when unknown.
func DeviceClass(ua string) string {
	if ua == "" {
		return ""
	}
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") ||
		(strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		return "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone") || strings.Contains(l, "ipod"):
		return "mobile"
	default:
		return "desktop"
	}
}
