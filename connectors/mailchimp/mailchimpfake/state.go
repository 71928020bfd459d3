package mailchimpfake

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Member statuses, as Mailchimp names them. StatusArchived is what GET answers for a member the
// merchant archived (DELETE .../members/{hash}).
const (
	StatusSubscribed    = "subscribed"
	StatusUnsubscribed  = "unsubscribed"
	StatusCleaned       = "cleaned"
	StatusPending       = "pending"
	StatusTransactional = "transactional"
	StatusArchived      = "archived"
)

// SubscriberHash is Mailchimp's member id: the hex MD5 of the lower-cased address.
func SubscriberHash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

// list is one audience.
type list struct {
	id, name  string
	created   time.Time
	members   map[string]*member // by subscriber hash
	forgotten map[string]bool    // hashes deleted permanently
	tags      map[string]*tag    // by name
	tagByID   map[int]*tag
	merge     []*mergeField
	nextTagID int
	nextMerge int
	nextWebID int
}

type tag struct {
	id      int
	name    string
	created time.Time
	updated time.Time
}

type mergeField struct {
	id           int
	tag, name    string
	typ          string
	displayOrder int
}

type member struct {
	email       string
	hash        string
	webID       int
	status      string
	before      string // status before archiving, while status is archived
	merge       map[string]any
	tags        map[string]time.Time // tag name -> date added
	signup      time.Time
	changed     time.Time
	unsubReason string
}

func newList(id, name string, now time.Time) *list {
	l := &list{
		id: id, name: name, created: now,
		members:   map[string]*member{},
		forgotten: map[string]bool{},
		tags:      map[string]*tag{},
		tagByID:   map[int]*tag{},
		nextTagID: 1000,
		nextMerge: 1,
		nextWebID: 1,
	}
	for _, f := range []struct{ tag, name, typ string }{
		{"FNAME", "First Name", "text"}, {"LNAME", "Last Name", "text"},
		{"ADDRESS", "Address", "address"}, {"PHONE", "Phone Number", "phone"},
		{"BIRTHDAY", "Birthday", "birthday"},
	} {
		l.addMergeField(f.tag, f.name, f.typ)
	}
	return l
}

func (l *list) addMergeField(tagName, name, typ string) *mergeField {
	f := &mergeField{id: l.nextMerge, tag: tagName, name: name, typ: typ, displayOrder: l.nextMerge + 1}
	l.nextMerge++
	l.merge = append(l.merge, f)
	return f
}

func (l *list) mergeField(tagName string) *mergeField {
	for _, f := range l.merge {
		if f.tag == tagName {
			return f
		}
	}
	return nil
}

// tagNamed returns the tag, creating it (as Mailchimp does on first use) when create is set.
func (l *list) tagNamed(name string, create bool, now time.Time) *tag {
	t := l.tags[name]
	if t == nil && create {
		t = &tag{id: l.nextTagID, name: name, created: now, updated: now}
		l.nextTagID++
		l.tags[name] = t
		l.tagByID[t.id] = t
	}
	return t
}

func (l *list) newMember(email, status string, now time.Time) *member {
	m := &member{
		email: strings.TrimSpace(email), hash: SubscriberHash(email), webID: l.nextWebID,
		status: status, merge: map[string]any{}, tags: map[string]time.Time{},
		signup: now, changed: now,
	}
	l.nextWebID++
	l.members[m.hash] = m
	return m
}

// setMergeValue stores v (already checked against the field's type).
func (m *member) setMergeValue(tagName string, v any) { m.merge[tagName] = v }

// mergeString renders a stored merge value the way Member reports it.
func mergeString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// Member is a snapshot of one member, as tests and the demo read it.
type Member struct {
	Email  string
	Status string
	// StatusBeforeArchive is the status an archived member had.
	StatusBeforeArchive string
	// Tags are the member's tag names, sorted.
	Tags []string
	// MergeFields holds every non-empty merge value by tag, numbers rendered without
	// trailing zeros.
	MergeFields map[string]string
}

func (m *member) snapshot() Member {
	out := Member{Email: m.email, Status: m.status, StatusBeforeArchive: m.before, MergeFields: map[string]string{}}
	for name := range m.tags {
		out.Tags = append(out.Tags, name)
	}
	sort.Strings(out.Tags)
	for k, v := range m.merge {
		if s := mergeString(v); s != "" {
			out.MergeFields[k] = s
		}
	}
	return out
}

func (s *Server) defaultList() *list { return s.lists[s.opts.ListID] }

// Member returns the member with this address in the default audience.
func (s *Server) Member(email string) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.defaultList().members[SubscriberHash(email)]
	if m == nil {
		return Member{}, false
	}
	return m.snapshot(), true
}

// Members returns every member of the default audience (archived ones included), by
// lower-cased address.
func (s *Server) Members() map[string]Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Member, len(s.defaultList().members))
	for _, m := range s.defaultList().members {
		out[strings.ToLower(m.email)] = m.snapshot()
	}
	return out
}

// Forgotten reports whether the address was deleted permanently.
func (s *Server) Forgotten(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defaultList().forgotten[SubscriberHash(email)]
}

// SetStatus seeds or changes a member's status directly, as a remote event would (the person
// unsubscribing from a campaign, an address bouncing, an admin import): "subscribed",
// "unsubscribed", "cleaned", "pending", "transactional" or "archived". A forgotten address
// becomes known again (as after the person re-subscribes through a signup form).
func (s *Server) SetStatus(email, status string) error {
	switch status {
	case StatusSubscribed, StatusUnsubscribed, StatusCleaned, StatusPending, StatusTransactional, StatusArchived:
	default:
		return fmt.Errorf("mailchimpfake: unknown status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.defaultList()
	now := s.opts.Now()
	h := SubscriberHash(email)
	delete(l.forgotten, h)
	m := l.members[h]
	if m == nil {
		m = l.newMember(email, status, now)
	}
	if status == StatusArchived && m.status != StatusArchived {
		m.before = m.status
	}
	if status != StatusArchived {
		m.before = ""
	}
	if status == StatusUnsubscribed && m.status != StatusUnsubscribed {
		m.unsubReason = "N/A (Unsubscribed by the contact)"
	}
	m.status = status
	m.changed = now
	return nil
}

// SetTags gives an existing member these tags (added to the ones it has).
func (s *Server) SetTags(email string, tags ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.defaultList()
	m := l.members[SubscriberHash(email)]
	if m == nil {
		return fmt.Errorf("mailchimpfake: no member %s", SubscriberHash(email))
	}
	now := s.opts.Now()
	for _, name := range tags {
		l.tagNamed(name, true, now)
		if _, ok := m.tags[name]; !ok {
			m.tags[name] = now
		}
	}
	return nil
}

// MergeFieldTags returns the audience's merge field tags in creation order.
func (s *Server) MergeFieldTags() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.defaultList().merge {
		out = append(out, f.tag)
	}
	return out
}

// TagCounts returns how many members (archived ones excluded) carry each tag.
func (s *Server) TagCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, m := range s.defaultList().members {
		if m.status == StatusArchived {
			continue
		}
		for name := range m.tags {
			out[name]++
		}
	}
	return out
}
