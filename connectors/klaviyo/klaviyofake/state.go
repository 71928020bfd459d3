package klaviyofake

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Klaviyo's email marketing consent values.
const (
	consentSubscribed      = "SUBSCRIBED"
	consentUnsubscribed    = "UNSUBSCRIBED"
	consentNeverSubscribed = "NEVER_SUBSCRIBED"
)

// Global email suppression reasons (EmailMarketingSuppression.reason).
const (
	reasonHardBounce    = "HARD_BOUNCE"
	reasonInvalidEmail  = "INVALID_EMAIL"
	reasonSpamComplaint = "SPAM_COMPLAINT"
	reasonUnsubscribe   = "UNSUBSCRIBE"
	reasonUserSupressed = "USER_SUPPRESSED"
)

type suppression struct {
	reason string
	at     time.Time
}

type listSuppression struct {
	listID, reason string
	at             time.Time
}

type profile struct {
	id                  string
	email               string
	firstName, lastName string
	props               map[string]any
	consent             string
	consentAt           time.Time
	suppressions        []suppression
	listSuppressions    []listSuppression
	created, updated    time.Time
}

// suppressed reports whether email marketing to p is forbidden: unsubscribed or carrying a
// global suppression.
func (p *profile) suppressed() bool {
	return p.consent == consentUnsubscribed || len(p.suppressions) > 0
}

type list struct {
	id, name         string
	optIn            string
	created, updated time.Time
	members          map[string]time.Time // profile id -> joined
}

type importError struct {
	id, code, title, detail, pointer string
	payload                          map[string]any
}

type importJob struct {
	id                 string
	created, readyAt   time.Time
	started, completed time.Time
	status             string
	profiles           []map[string]any // raw resource objects, processed when ready
	total, done, fail  int
	errors             []importError
	profileIDs         []string
}

// state is everything the fake account holds. Guarded by Server.mu.
type state struct {
	seq      int64
	profiles map[string]*profile // id -> profile
	byEmail  map[string]string   // lower-case email -> id
	lists    map[string]*list    // id -> list
	jobs     map[string]*importJob
	pending  []*importJob // jobs not yet processed
	deleted  []string     // lower-case emails erased by deletion jobs, in order
}

func newState() state {
	return state{
		profiles: map[string]*profile{},
		byEmail:  map[string]string{},
		lists:    map[string]*list{},
		jobs:     map[string]*importJob{},
	}
}

const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford base32, as in Klaviyo's ULIDs

// nextID returns a 26-character (with its 4-character prefix), ULID-shaped, increasing id.
func (st *state) nextID(prefix string) string {
	st.seq++
	n := st.seq
	var b [22]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = idAlphabet[n%32]
		n /= 32
	}
	return prefix + string(b[:])
}

// nextListID returns a six-character list id like Klaviyo's ("Y6nRLr").
func (st *state) nextListID() string {
	const alpha = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	st.seq++
	n := st.seq*7919 + 100000
	b := make([]byte, 6)
	for i := range b {
		b[i] = alpha[n%int64(len(alpha))]
		n /= int64(len(alpha))
	}
	return string(b)
}

func (st *state) profileByEmail(email string) *profile {
	if id, ok := st.byEmail[strings.ToLower(strings.TrimSpace(email))]; ok {
		return st.profiles[id]
	}
	return nil
}

func (st *state) newProfile(email string, now time.Time) *profile {
	p := &profile{
		id:      st.nextID("01K9"),
		email:   strings.TrimSpace(email),
		props:   map[string]any{},
		consent: consentNeverSubscribed,
		created: now,
		updated: now,
	}
	st.profiles[p.id] = p
	st.byEmail[strings.ToLower(p.email)] = p.id
	return p
}

func (st *state) listByName(name string) *list {
	var found *list
	for _, l := range st.lists {
		if l.name == name && (found == nil || l.created.Before(found.created) || (l.created.Equal(found.created) && l.id < found.id)) {
			found = l
		}
	}
	return found
}

func (st *state) newList(name string, now time.Time) *list {
	l := &list{id: st.nextListID(), name: name, optIn: "single_opt_in", created: now, updated: now, members: map[string]time.Time{}}
	st.lists[l.id] = l
	return l
}

func (st *state) deleteProfile(p *profile) {
	for _, l := range st.lists {
		delete(l.members, p.id)
	}
	delete(st.byEmail, strings.ToLower(p.email))
	delete(st.profiles, p.id)
	st.deleted = append(st.deleted, strings.ToLower(p.email))
}

// sortedProfiles returns the profiles ordered by id (creation order), the order pages use.
func (st *state) sortedProfiles() []*profile {
	out := make([]*profile, 0, len(st.profiles))
	for _, p := range st.profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (st *state) sortedLists() []*list {
	out := make([]*list, 0, len(st.lists))
	for _, l := range st.lists {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// validEmail is the fake's version of Klaviyo's address check: one '@', a non-empty local
// part, a dotted domain, no spaces.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n,;<>\"") || strings.Count(s, "@") != 1 {
		return false
	}
	dom := s[at+1:]
	return strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".")
}

func (e importError) String() string { return fmt.Sprintf("%s: %s", e.code, e.detail) }
