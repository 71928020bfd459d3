package tagpush

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Compute reads the profiles, the memberships and the applied state of a large store, one
// record of each per customer. Decoding whole records with the codec was most of its time,
// and it needs little of them: a profile's id and sources (its first two fields), a
// membership's segments (its first field), and the applied tag lists, of which a store has
// only a few distinct ones. The readers here take just those fields, and turn each distinct
// segment or tag list into tags once. A record they do not recognise is read by the codec,
// which reads it the same way or fails; what lies after the fields they read is not looked
// at (the rebuild and the segmenter, which decode whole profiles, report a damaged one).

// memberPrefix keys a profile's segments in the memberships bucket (segmenter.Record).
const memberPrefix = "m/"

// releaseEvery is how many records Compute reads between two releases of the mapped pages
// (as segmenter does for its scans).
const releaseEvery = 20_000

// pageReleaser drops the data file's mapped pages from the process's memory every
// releaseEvery records read (they stay in the page cache).
type pageReleaser struct {
	release func() error
	read    int
}

func newPageReleaser(tx *store.Tx) *pageReleaser { return &pageReleaser{release: tx.PageReleaser()} }

// readOne counts a record read.
func (p *pageReleaser) readOne() {
	if p.read++; p.read%releaseEvery == 0 {
		_ = p.release() // advisory: an error only leaves the pages mapped
	}
}

// memberTags is the tags one profile's segments map to.
type memberTags struct {
	profileID []byte // the memberships key's suffix: valid in its transaction only
	tags      []string
}

// customerTags is the tags one customer of the store should carry.
type customerTags struct {
	id   string
	tags []string
}

// tagLists turns stored segment lists into tag lists, once per distinct list: its tags
// sorted, without repeats. Lists it returns are shared: never modify one.
type tagLists struct {
	tagOf func(segment string) string
	known map[string][]string // a segment list's CBOR -> its tags
	tags  map[string]string   // segment -> tag
}

func newTagLists(tagOf func(string) string) *tagLists {
	return &tagLists{tagOf: tagOf, known: map[string][]string{}, tags: map[string]string{}}
}

// ofRecord returns the tags of a membership record (a codec-encoded segmenter.Record).
func (l *tagLists) ofRecord(v []byte) ([]string, error) {
	raw, ok := leadingTextList(v)
	if !ok {
		var r struct {
			Segments []string `cbor:"1,keyasint"`
		}
		if err := codec.Unmarshal(v, &r); err != nil {
			return nil, err
		}
		return l.tagsOf(r.Segments), nil
	}
	if tags, ok := l.known[string(raw)]; ok {
		return tags, nil
	}
	var segments [][]byte
	r := cborReader{Cursor: codec.Cursor{B: raw}}
	if !r.Null() {
		n, _ := r.Head(cborArray) // leadingTextList read it: an array of n texts
		for range n {
			segments = append(segments, r.text())
		}
	}
	var tags []string
	for _, s := range segments {
		tags = append(tags, l.tag(s))
	}
	tags = sortedSet(tags)
	l.known[string(raw)] = tags
	return tags, nil
}

// tag returns the tag of a segment.
func (l *tagLists) tag(segment []byte) string {
	if t, ok := l.tags[string(segment)]; ok {
		return t
	}
	t := l.tagOf(string(segment))
	l.tags[string(segment)] = t
	return t
}

func (l *tagLists) tagsOf(segments []string) []string {
	var tags []string
	for _, s := range segments {
		tags = append(tags, l.tagOf(s))
	}
	return sortedSet(tags)
}

// sortedSet sorts tags and drops repeats, in place.
func sortedSet(tags []string) []string {
	slices.Sort(tags)
	return slices.Clip(slices.Compact(tags))
}

// appliedLists decodes stored applied tag lists (codec-encoded []string), once per distinct
// value. Lists it returns are shared: never modify one.
type appliedLists map[string][]string

func (a appliedLists) decode(v []byte) ([]string, error) {
	if tags, ok := a[string(v)]; ok {
		return tags, nil
	}
	var tags []string
	if err := codec.Unmarshal(v, &tags); err != nil {
		return nil, err
	}
	tags = slices.Clip(tags)
	a[string(v)] = tags
	return tags, nil
}

// readMemberships returns every profile's tags, in profile id order.
func readMemberships(tx *store.Tx, lists *tagLists, pages *pageReleaser) ([]memberTags, error) {
	var out []memberTags
	err := tx.ForEachPrefix(store.Memberships, []byte(memberPrefix), func(k, v []byte) error {
		pages.readOne()
		tags, err := lists.ofRecord(v)
		if err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		out = append(out, memberTags{profileID: k[len(memberPrefix):], tags: tags})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	return out, nil
}

// memberIndex finds profiles' tags among memberships in profile id order. Lookups in that
// order (profiles are read in it) walk the list; any other falls back to a binary search.
type memberIndex struct {
	members []memberTags
	next    int
}

// tags returns the tags of a profile (nil when it has no membership record).
func (m *memberIndex) tags(profileID []byte) []string {
	if m.next < len(m.members) && bytes.Equal(m.members[m.next].profileID, profileID) {
		m.next++
		return m.members[m.next-1].tags
	}
	i, found := slices.BinarySearchFunc(m.members, profileID, func(e memberTags, id []byte) int {
		return bytes.Compare(e.profileID, id)
	})
	m.next = i
	if !found {
		return nil
	}
	m.next++
	return m.members[i].tags
}

// wantedTags returns the tags each customer of the store should carry, in customer id order:
// those of the profile it is linked to. (A customer is linked to one profile; were it linked
// to several, it would carry the union of their tags.)
func wantedTags(tx *store.Tx, storeID string, members []memberTags, pages *pageReleaser) ([]customerTags, error) {
	index := memberIndex{members: members}
	match := sourceMatch{store: storeID, prefix: storeID + "/" + profiles.KindCustomer + "/"}
	var (
		out  []customerTags
		refs []sourceRef
	)
	err := tx.ForEach(store.Profiles, func(k, v []byte) error {
		pages.readOne()
		id, sources, err := profileSources(v, refs[:0])
		if err != nil {
			return fmt.Errorf("decode profile %s: %w", k, err)
		}
		refs = sources
		var tags []string
		looked := false
		for _, r := range sources {
			customer, ok := match.customerID(r)
			if !ok {
				continue
			}
			if !looked {
				tags, looked = index.tags(id), true
			}
			out = append(out, customerTags{id: customer, tags: tags})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	slices.SortFunc(out, func(a, b customerTags) int { return strings.Compare(a.id, b.id) })
	return mergeRepeats(out), nil
}

// mergeRepeats merges the entries of one customer (adjacent in sorted) into one with the union
// of their tags.
func mergeRepeats(sorted []customerTags) []customerTags {
	out := sorted[:0]
	for _, c := range sorted {
		if n := len(out); n > 0 && out[n-1].id == c.id {
			out[n-1].tags = union(out[n-1].tags, c.tags)
			continue
		}
		out = append(out, c)
	}
	return out
}

// sourceRef is a profile's source as stored (profiles.SourceRef), its text not copied.
type sourceRef struct{ store, kind, id []byte }

// sourceMatch picks the customers of one store among sources.
type sourceMatch struct {
	store  string
	prefix string // "<store>/customer/"
}

// customerID returns the customer id of r if it is a customer of the store: what follows
// the prefix in r's key "store/kind/id" (profiles.SourceRef.Key), which it builds only when
// a part holds a '/'. Without one, the key has the prefix exactly when the store and kind
// are the store's and "customer".
func (m sourceMatch) customerID(r sourceRef) (string, bool) {
	if !bytes.ContainsRune(r.store, '/') && !bytes.ContainsRune(r.kind, '/') && !strings.Contains(m.store, "/") {
		if string(r.store) == m.store && string(r.kind) == profiles.KindCustomer {
			return string(r.id), true
		}
		return "", false
	}
	key := profiles.SourceRef{Store: string(r.store), Kind: string(r.kind), ID: string(r.id)}.Key()
	return strings.CutPrefix(key, m.prefix)
}

// profileSources reads a stored profile's id and sources (fields 1 and 2 of
// profiles.Profile), appending the sources to refs.
func profileSources(v []byte, refs []sourceRef) ([]byte, []sourceRef, error) {
	if id, sources, ok := readProfileSources(v, refs); ok {
		return id, sources, nil
	}
	var p struct {
		ID      string               `cbor:"1,keyasint"`
		Sources []profiles.SourceRef `cbor:"2,keyasint"`
	}
	if err := codec.Unmarshal(v, &p); err != nil {
		return nil, nil, err
	}
	for _, s := range p.Sources {
		refs = append(refs, sourceRef{store: []byte(s.Store), kind: []byte(s.Kind), id: []byte(s.ID)})
	}
	return []byte(p.ID), refs, nil
}

// readProfileSources is profileSources for the codec's own encoding of a profile: a map
// whose first keys are 1 (the id, text) and 2 (the sources: null, or an array of maps of
// keys 1, 2 and 3 holding text). False for anything else.
func readProfileSources(v []byte, refs []sourceRef) ([]byte, []sourceRef, bool) {
	r := cborReader{Cursor: codec.Cursor{B: v, I: 1}}
	if len(v) == 0 || v[0] != codec.Version {
		return nil, nil, false
	}
	if n, ok := r.Head(cborMap); !ok || n < 2 {
		return nil, nil, false
	}
	if key, _ := r.Head(cborUint); key != 1 {
		return nil, nil, false
	}
	id := r.text()
	if key, _ := r.Head(cborUint); key != 2 || r.Bad {
		return nil, nil, false
	}
	if r.Null() {
		return id, refs, true
	}
	n, ok := r.Head(cborArray)
	if !ok || n > uint64(len(v)) { // each source takes bytes: a larger count is damage
		return nil, nil, false
	}
	for range n {
		ref, ok := r.sourceRef()
		if !ok {
			return nil, nil, false
		}
		refs = append(refs, ref)
	}
	return id, refs, !r.Bad
}

// sourceRef reads one source: a map of keys 1 (store), 2 (kind) and 3 (id), in that order.
func (r *cborReader) sourceRef() (sourceRef, bool) {
	var ref sourceRef
	if n, _ := r.Head(cborMap); n != 3 {
		return ref, false
	}
	for key, field := range []*[]byte{&ref.store, &ref.kind, &ref.id} {
		if k, _ := r.Head(cborUint); k != uint64(key+1) {
			return ref, false
		}
		*field = r.text()
	}
	return ref, !r.Bad
}

// leadingTextList returns the raw CBOR of a record's field 1 when it is the first key of the
// record's map and holds null or an array of text strings (segmenter.Record's segments).
func leadingTextList(v []byte) ([]byte, bool) {
	if len(v) == 0 || v[0] != codec.Version {
		return nil, false
	}
	r := cborReader{Cursor: codec.Cursor{B: v, I: 1}}
	if n, ok := r.Head(cborMap); !ok || n == 0 {
		return nil, false
	}
	if k, _ := r.Head(cborUint); k != 1 || r.Bad {
		return nil, false
	}
	start := r.I
	if !r.skipTextArray() {
		return nil, false
	}
	return v[start:r.I], true
}

// CBOR major types and the null simple value.
const (
	cborUint  byte = 0
	cborText  byte = 3
	cborArray byte = 4
	cborMap   byte = 5
	cborNull  byte = 0xf6
)

// cborReader reads the definite-length items of the records above (codec.Cursor: any other
// item, or running out of input, sets Bad).
type cborReader struct {
	codec.Cursor
}

// text reads a UTF-8 text string (the codec refuses any other), not copied.
func (r *cborReader) text() []byte {
	s := r.Bytes(cborText)
	if r.Bad {
		return nil
	}
	if !utf8.Valid(s) {
		r.Bad = true
		return nil
	}
	return s
}

// skipTextArray reads a null or an array of text strings.
func (r *cborReader) skipTextArray() bool {
	if r.Null() {
		return true
	}
	n, ok := r.Head(cborArray)
	if !ok || n > uint64(len(r.B)) {
		return false
	}
	for range n {
		r.text()
	}
	return !r.Bad
}
