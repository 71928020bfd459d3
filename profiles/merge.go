package profiles

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// mergeCluster builds one Profile from the identities of a cluster, field by field:
//
//   - names, locale, birth date: the most trusted source (customer account over guest order),
//     then the most recently updated, then the most frequent value;
//   - emails and phones: every distinct valid value, the primary chosen the same way;
//   - addresses: every distinct one, most recent first;
//   - consent and merchant tags: kept per source, exactly as reported.
//
// The identities are packed[m] for m in members (keys[m] their keys); they are unpacked here,
// into *scratch (grown as needed; the profile keeps none of it).
func mergeCluster(packed [][]byte, members []int32, scratch *[]identityRec) (Profile, error) {
	// ids holds the cluster's identities unpacked, ms their positions in survivorship order.
	ids := slices.Grow((*scratch)[:0], len(members))[:len(members)]
	*scratch = ids
	ms := make([]int, len(members))
	for j, m := range members {
		if err := unpackIdentity(packed[m], &ids[j]); err != nil {
			return Profile{}, fmt.Errorf("%w (identity %d)", err, m)
		}
		ms[j] = j
	}
	// Survivorship order: trust, then recency, then source key for determinism.
	slices.SortFunc(ms, func(a, b int) int {
		ra, rb := &ids[a], &ids[b]
		return cmp.Or(
			cmp.Compare(rb.trusted, ra.trusted),
			rb.updated.Compare(ra.updated),
			cmp.Compare(ra.key, rb.key),
		)
	})
	p := Profile{FieldSources: map[string]string{}, ID: clusterID(packed, members)}

	pick := func(field string, get func(*identityRec) string) string {
		// Most trusted, most recent non-empty value; ties between equally ranked sources go to
		// the most frequent value. The values are counted only when a tie needs it: most
		// clusters have one or two identities, and a map per field and profile was a million
		// maps for the collector.
		var counts map[string]int
		count := func(v string) int {
			if counts == nil {
				counts = map[string]int{}
				for _, m := range ms {
					if v := get(&ids[m]); v != "" {
						counts[v]++
					}
				}
			}
			return counts[v]
		}
		for _, m := range ms {
			r := &ids[m]
			v := get(r)
			if v == "" {
				continue
			}
			best := v
			for _, m2 := range ms {
				r2 := &ids[m2]
				if r2.trusted != r.trusted || !r2.updated.Equal(r.updated) {
					continue
				}
				if v2 := get(r2); v2 != "" && v2 != best && count(v2) > count(best) {
					best = v2
				}
			}
			p.FieldSources[field] = cmp.Or(r.sources.of(field), r.key)
			return best
		}
		return ""
	}
	p.FirstName = pick("first_name", func(r *identityRec) string { return r.first.Display })
	p.LastName = pick("last_name", func(r *identityRec) string { return r.last.Display })
	p.Locale = pick("locale", func(r *identityRec) string { return r.locale })
	p.BirthDate = pick("birth_date", func(r *identityRec) string { return r.birth })

	var seenEmail, seenPhone valueSet[string]
	var seenAddr valueSet[CleanAddress]
	if len(ms) > 0 {
		p.Sources = make([]SourceRef, 0, len(ms)) // one per identity
	}
	for _, m := range ms {
		r := &ids[m]
		p.Sources = append(p.Sources, r.ref)
		if r.email.Address != "" && seenEmail.add(r.email.Address) {
			if len(p.Emails) == 0 {
				p.FieldSources["email"] = cmp.Or(r.sources.email, r.key)
			}
			p.Emails = append(p.Emails, EmailValue{Address: r.email.Address, Key: r.email.Key, Flags: flagString(r)})
		}
		pv := PhoneValue{E164: r.phone.E164, Raw: r.phone.Raw, Valid: r.phone.Valid}
		if key := cmp.Or(pv.E164, pv.Raw); key != "" && seenPhone.add(key) {
			if len(p.Phones) == 0 {
				p.FieldSources["phone"] = cmp.Or(r.sources.phone, r.key)
			}
			p.Phones = append(p.Phones, pv)
		}
		if r.addr != (CleanAddress{}) && seenAddr.add(r.addr) {
			if len(p.Addresses) == 0 {
				p.FieldSources["address"] = cmp.Or(r.sources.address, r.key)
			}
			p.Addresses = append(p.Addresses, r.addr)
		}
		if r.consent != (Consent{}) {
			if p.Consent == nil {
				p.Consent = map[string]Consent{}
			}
			p.Consent[r.key] = r.consent
		}
		if len(r.tags) > 0 {
			if p.MerchantTags == nil {
				p.MerchantTags = map[string][]string{}
			}
			p.MerchantTags[r.key] = r.tags
		}
		if !r.created.IsZero() && (p.FirstSeen.IsZero() || r.created.Before(p.FirstSeen)) {
			p.FirstSeen = r.created.UTC()
		}
	}
	// Valid phones before invalid ones, keeping the survivorship order otherwise.
	slices.SortStableFunc(p.Phones, func(a, b PhoneValue) int {
		switch {
		case a.Valid == b.Valid:
			return 0
		case a.Valid:
			return -1
		}
		return 1
	})
	// Sources in key order; the identities' keys are already made.
	slices.SortFunc(ms, func(a, b int) int { return cmp.Compare(ids[a].key, ids[b].key) })
	for i, m := range ms {
		p.Sources[i] = ids[m].ref
	}
	return p, nil
}

// valueSet is the set of the values a profile has taken: a scan of a short list for the few
// values of a typical cluster (a million maps per field were a million objects for the
// collector), a map past smallSet of them.
type valueSet[K comparable] struct {
	list []K
	m    map[K]bool
}

const smallSet = 32

// add adds k and reports whether it was new.
func (s *valueSet[K]) add(k K) bool {
	if s.m != nil {
		if s.m[k] {
			return false
		}
		s.m[k] = true
		return true
	}
	if slices.Contains(s.list, k) {
		return false
	}
	s.list = append(s.list, k)
	if len(s.list) > smallSet {
		s.m = make(map[K]bool, 2*smallSet)
		for _, x := range s.list {
			s.m[x] = true
		}
		s.list = nil
	}
	return true
}

func flagString(r *identityRec) string {
	if r.email.Flags == 0 {
		return ""
	}
	return r.email.Flags.String()
}

// clusterID is the id of the profile of a cluster: from its smallest source key (keys[m] for
// m in members).
func clusterID(packed [][]byte, members []int32) string {
	var firstBuf, keyBuf [128]byte
	first := packedKey(firstBuf[:0], packed[members[0]])
	for _, m := range members[1:] {
		if k := packedKey(keyBuf[:0], packed[m]); bytes.Compare(k, first) < 0 {
			first = append(first[:0], k...)
		}
	}
	return profileIDOfKey(string(first))
}
