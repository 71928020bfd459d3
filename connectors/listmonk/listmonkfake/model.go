package listmonkfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/cohortd/cohortd/internal/logging"
)

// Subscriber (account) statuses and subscription (per-list) statuses, as listmonk names them.
const (
	StatusEnabled     = "enabled"
	StatusDisabled    = "disabled"
	StatusBlocklisted = "blocklisted"

	SubUnconfirmed  = "unconfirmed"
	SubConfirmed    = "confirmed"
	SubUnsubscribed = "unsubscribed"
)

type subscriber struct {
	id      int
	uuid    string
	email   string
	name    string
	status  string
	attribs map[string]any
	created time.Time
	updated time.Time
	subs    map[int]*subscription // by list id
	writes  int
}

type subscription struct {
	status  string
	created time.Time
	updated time.Time
}

type list struct {
	id          int
	uuid        string
	name        string
	typ         string
	optin       string
	tags        []string
	description string
	created     time.Time
	updated     time.Time
}

func fakeUUID(kind, id int) string {
	return fmt.Sprintf("%08x-0000-4000-8%03x-%012x", id, kind, id)
}

// Subscriber is a copy of one subscriber's state, for tests and the demo.
type Subscriber struct {
	ID      int
	Email   string
	Name    string
	Status  string // enabled, disabled, blocklisted
	Attribs map[string]any
	// Lists maps list name to subscription status.
	Lists map[string]string
	// Writes counts the writes that touched this subscriber or its rows (a replay that
	// changes nothing leaves it alone).
	Writes int
}

// List is a copy of one list's state.
type List struct {
	ID    int
	Name  string
	Type  string // public, private
	Optin string // single, double
	Tags  []string
	// Statuses counts rows by subscription status.
	Statuses map[string]int
}

// Snapshot is the whole state in a deterministic order (lists by id, subscribers by id),
// for "a replay changes nothing" checks.
type Snapshot struct {
	Lists       []List
	Subscribers []Subscriber
}

// SeedList creates a list (type public|private, optin single|double) and returns its id.
func (s *Server) SeedList(name, typ, optin string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addListLocked(name, typ, optin, nil, "").id
}

func (s *Server) addListLocked(name, typ, optin string, tags []string, desc string) *list {
	now := s.opts.Now()
	l := &list{id: s.nextListID, name: name, typ: typ, optin: optin, tags: tags, description: desc, created: now, updated: now}
	l.uuid = fakeUUID(1, l.id)
	if l.tags == nil {
		l.tags = []string{}
	}
	s.nextListID++
	s.lists[l.id] = l
	return l
}

func (s *Server) listByNameLocked(name string) *list {
	var found *list
	for _, l := range s.lists {
		if l.name == name && (found == nil || l.id < found.id) {
			found = l
		}
	}
	return found
}

// SeedSubscriber creates a subscriber with an account status (enabled, disabled,
// blocklisted) and subscriptions (list name -> unconfirmed|confirmed|unsubscribed); lists
// that do not exist are created private and double opt-in. It returns the id.
func (s *Server) SeedSubscriber(email, name, status string, lists map[string]string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(strings.TrimSpace(email))
	if _, dup := s.byEmail[key]; dup {
		return 0, fmt.Errorf("listmonkfake: %s already exists", logging.MaskEmail(email))
	}
	if status == "" {
		status = StatusEnabled
	}
	now := s.opts.Now()
	sub := &subscriber{id: s.nextSubID, email: email, name: name, status: status,
		attribs: map[string]any{}, created: now, updated: now, subs: map[int]*subscription{}}
	sub.uuid = fakeUUID(2, sub.id)
	s.nextSubID++
	for lname, st := range lists {
		l := s.listByNameLocked(lname)
		if l == nil {
			l = s.addListLocked(lname, "private", "double", nil, "")
		}
		if status == StatusBlocklisted {
			st = SubUnsubscribed
		}
		sub.subs[l.id] = &subscription{status: st, created: now, updated: now}
	}
	s.subs[sub.id] = sub
	s.byEmail[key] = sub.id
	return sub.id, nil
}

// SetStatus sets a subscriber's account status. Blocklisting also marks every
// subscription unsubscribed, as listmonk's blocklist-subscribers query does.
func (s *Server) SetStatus(email, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byEmailLocked(email)
	if sub == nil {
		return fmt.Errorf("listmonkfake: no subscriber %s", logging.MaskEmail(email))
	}
	s.blocklistOrSetLocked(sub, status)
	return nil
}

func (s *Server) blocklistOrSetLocked(sub *subscriber, status string) {
	now := s.opts.Now()
	sub.status = status
	sub.updated = now
	sub.writes++
	if status == StatusBlocklisted {
		for _, r := range sub.subs {
			r.status = SubUnsubscribed
			r.updated = now
		}
	}
}

// SetAttribs replaces a subscriber's attribs, as an admin editing the profile would.
func (s *Server) SetAttribs(email string, attribs map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byEmailLocked(email)
	if sub == nil {
		return fmt.Errorf("listmonkfake: no subscriber %s", logging.MaskEmail(email))
	}
	sub.attribs = cloneAttribs(attribs)
	sub.updated = s.opts.Now()
	sub.writes++
	return nil
}

// SetSubscription sets (or creates) the subscriber's row on the named list, which must exist.
func (s *Server) SetSubscription(email, listName, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byEmailLocked(email)
	l := s.listByNameLocked(listName)
	if sub == nil || l == nil {
		return fmt.Errorf("listmonkfake: no subscriber %s or list %s", logging.MaskEmail(email), listName)
	}
	now := s.opts.Now()
	if r := sub.subs[l.id]; r != nil {
		r.status, r.updated = status, now
	} else {
		sub.subs[l.id] = &subscription{status: status, created: now, updated: now}
	}
	sub.writes++
	return nil
}

// Unsubscribe marks the subscriber's rows on the named lists (all rows when none are named)
// unsubscribed, as the unsubscribe link of a campaign does.
func (s *Server) Unsubscribe(email string, lists ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byEmailLocked(email)
	if sub == nil {
		return fmt.Errorf("listmonkfake: no subscriber %s", logging.MaskEmail(email))
	}
	now := s.opts.Now()
	for id, r := range sub.subs {
		if len(lists) == 0 || contains(lists, s.lists[id].name) {
			r.status = SubUnsubscribed
			r.updated = now
		}
	}
	sub.writes++
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) byEmailLocked(email string) *subscriber {
	id, ok := s.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return nil
	}
	return s.subs[id]
}

// Member returns a copy of the subscriber with this address (case-insensitive).
func (s *Server) Member(email string) (Subscriber, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.byEmailLocked(email)
	if sub == nil {
		return Subscriber{}, false
	}
	return s.copySubscriberLocked(sub), true
}

func (s *Server) copySubscriberLocked(sub *subscriber) Subscriber {
	out := Subscriber{ID: sub.id, Email: sub.email, Name: sub.name, Status: sub.status,
		Attribs: cloneAttribs(sub.attribs), Lists: map[string]string{}, Writes: sub.writes}
	for id, r := range sub.subs {
		out.Lists[s.lists[id].name] = r.status
	}
	return out
}

func cloneAttribs(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}

// Lists returns every list, by id.
func (s *Server) Lists() []List {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listsLocked()
}

func (s *Server) listsLocked() []List {
	counts := s.countsLocked()
	out := make([]List, 0, len(s.lists))
	for _, l := range s.lists {
		st := counts[l.id]
		if st == nil {
			st = map[string]int{}
		}
		out = append(out, List{ID: l.id, Name: l.name, Type: l.typ, Optin: l.optin, Tags: append([]string(nil), l.tags...), Statuses: st})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Server) countsLocked() map[int]map[string]int {
	counts := map[int]map[string]int{}
	for _, sub := range s.subs {
		for id, r := range sub.subs {
			if counts[id] == nil {
				counts[id] = map[string]int{}
			}
			counts[id][r.status]++
		}
	}
	return counts
}

// Snapshot returns the whole state, deterministically ordered.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Lists: s.listsLocked()}
	ids := make([]int, 0, len(s.subs))
	for id := range s.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		snap.Subscribers = append(snap.Subscribers, s.copySubscriberLocked(s.subs[id]))
	}
	return snap
}

// Count returns how many subscribers exist.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

func (s *Server) consentEventLocked(kind string, sub *subscriber, listID int) {
	name := ""
	if l := s.lists[listID]; l != nil {
		name = l.name
	}
	s.consent = append(s.consent, ConsentEvent{Kind: kind, Email: sub.email, List: name})
}

func (s *Server) subscriberOutLocked(sub *subscriber) subscriberOut {
	out := subscriberOut{ID: sub.id, CreatedAt: fmtTime(sub.created), UpdatedAt: fmtTime(sub.updated),
		UUID: sub.uuid, Email: sub.email, Name: sub.name, Attribs: maps.Clone(sub.attribs), Status: sub.status,
		Lists: []subscriptionOut{}}
	if out.Attribs == nil {
		out.Attribs = map[string]any{}
	}
	ids := make([]int, 0, len(sub.subs))
	for id := range sub.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		r, l := sub.subs[id], s.lists[id]
		out.Lists = append(out.Lists, subscriptionOut{
			SubscriptionStatus: r.status, SubscriptionCreatedAt: fmtTime(r.created),
			SubscriptionUpdatedAt: fmtTime(r.updated), SubscriptionMeta: map[string]any{},
			ID: l.id, UUID: l.uuid, Name: l.name, Type: l.typ, Optin: l.optin, Tags: l.tags,
			Description: l.description, CreatedAt: fmtTime(l.created), UpdatedAt: fmtTime(l.updated)})
	}
	return out
}
