package klaviyofake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Status is a consent state a test or the demo gives a profile with SetStatus.
type Status string

// Statuses SetStatus understands, each with the consent and global suppression Klaviyo
// records for it.
const (
	StatusNeverSubscribed Status = "never_subscribed" // NEVER_SUBSCRIBED, no suppression
	StatusSubscribed      Status = "subscribed"       // SUBSCRIBED, no suppression
	StatusUnsubscribed    Status = "unsubscribed"     // UNSUBSCRIBED + UNSUBSCRIBE suppression
	StatusBounced         Status = "bounced"          // HARD_BOUNCE suppression
	StatusInvalidEmail    Status = "invalid_email"    // INVALID_EMAIL suppression
	StatusSpamComplaint   Status = "spam_complaint"   // UNSUBSCRIBED + SPAM_COMPLAINT suppression
	StatusUserSuppressed  Status = "user_suppressed"  // USER_SUPPRESSED suppression (manual)
)

// SetStatus gives the profile with this email the consent state st, creating the profile
// when missing (as a sign-up form or an unsubscribe link would), and returns its id.
func (s *Server) SetStatus(email string, st Status) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now().UTC()
	p := s.st.profileByEmail(email)
	if p == nil {
		if !validEmail(strings.TrimSpace(email)) {
			return "", fmt.Errorf("klaviyofake: invalid email")
		}
		p = s.st.newProfile(email, now)
	}
	p.suppressions = nil
	p.consentAt = now
	switch st {
	case StatusNeverSubscribed:
		p.consent, p.consentAt = consentNeverSubscribed, now
	case StatusSubscribed:
		p.consent = consentSubscribed
	case StatusUnsubscribed:
		p.consent = consentUnsubscribed
		p.suppressions = []suppression{{reason: reasonUnsubscribe, at: now}}
	case StatusBounced:
		p.suppressions = []suppression{{reason: reasonHardBounce, at: now}}
	case StatusInvalidEmail:
		p.suppressions = []suppression{{reason: reasonInvalidEmail, at: now}}
	case StatusSpamComplaint:
		p.consent = consentUnsubscribed
		p.suppressions = []suppression{{reason: reasonSpamComplaint, at: now}}
	case StatusUserSuppressed:
		p.suppressions = []suppression{{reason: reasonUserSupressed, at: now}}
	default:
		return "", fmt.Errorf("klaviyofake: unknown status %q", st)
	}
	return p.id, nil
}

// SuppressFromList records a list-level suppression (the person unsubscribed from that list
// only) for the profile with this email, creating profile and list when missing.
func (s *Server) SuppressFromList(email, listName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now().UTC()
	p := s.st.profileByEmail(email)
	if p == nil {
		if !validEmail(strings.TrimSpace(email)) {
			return fmt.Errorf("klaviyofake: invalid email")
		}
		p = s.st.newProfile(email, now)
	}
	l := s.st.listByName(listName)
	if l == nil {
		l = s.st.newList(listName, now)
	}
	delete(l.members, p.id)
	p.listSuppressions = append(p.listSuppressions, listSuppression{listID: l.id, reason: reasonUserSupressed, at: now})
	return nil
}

// AddProfile creates (or updates the properties of) a plain profile and returns its id.
func (s *Server) AddProfile(email string, props map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.profileByEmail(email)
	if p == nil {
		if !validEmail(strings.TrimSpace(email)) {
			return "", fmt.Errorf("klaviyofake: invalid email")
		}
		p = s.st.newProfile(email, s.opts.Now().UTC())
	}
	for k, v := range props {
		p.props[k] = v
	}
	return p.id, nil
}

// CreateList creates a list with this name (Klaviyo allows duplicates) and returns its id.
func (s *Server) CreateList(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.newList(name, s.opts.Now().UTC()).id
}

// AddToList makes the profiles with these emails members of the (oldest) list with this
// name, creating list and profiles as needed.
func (s *Server) AddToList(listName string, emails ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now().UTC()
	l := s.st.listByName(listName)
	if l == nil {
		l = s.st.newList(listName, now)
	}
	for _, e := range emails {
		p := s.st.profileByEmail(e)
		if p == nil {
			if !validEmail(strings.TrimSpace(e)) {
				return fmt.Errorf("klaviyofake: invalid email")
			}
			p = s.st.newProfile(e, now)
		}
		l.members[p.id] = now
	}
	return nil
}

// Member is a snapshot of one profile.
type Member struct {
	ID, Email           string
	FirstName, LastName string
	Consent             string   // SUBSCRIBED, UNSUBSCRIBED, NEVER_SUBSCRIBED
	Suppressions        []string // global suppression reasons
	ListSuppressions    []string // names of lists the profile is suppressed from
	Lists               []string // names of lists it belongs to, sorted
	Properties          map[string]any
}

// Member returns the profile with this email, or false.
func (s *Server) Member(email string) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(s.opts.Now().UTC())
	p := s.st.profileByEmail(email)
	if p == nil {
		return Member{}, false
	}
	return s.memberOf(p), true
}

func (s *Server) memberOf(p *profile) Member {
	m := Member{ID: p.id, Email: p.email, FirstName: p.firstName, LastName: p.lastName, Consent: p.consent, Properties: copyProps(p.props)}
	for _, x := range p.suppressions {
		m.Suppressions = append(m.Suppressions, x.reason)
	}
	for _, x := range p.listSuppressions {
		if l := s.st.lists[x.listID]; l != nil {
			m.ListSuppressions = append(m.ListSuppressions, l.name)
		}
	}
	for _, l := range s.st.lists {
		if _, ok := l.members[p.id]; ok {
			m.Lists = append(m.Lists, l.name)
		}
	}
	sort.Strings(m.Lists)
	return m
}

// ListMembers returns the emails (sorted) of the members of the oldest list with this name.
func (s *Server) ListMembers(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(s.opts.Now().UTC())
	l := s.st.listByName(name)
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.members))
	for id := range l.members {
		out = append(out, s.st.profiles[id].email)
	}
	sort.Strings(out)
	return out
}

// ListNames returns the names of every list, sorted (duplicates kept).
func (s *Server) ListNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.st.lists {
		out = append(out, l.name)
	}
	sort.Strings(out)
	return out
}

// ProfileCount returns how many profiles the account holds.
func (s *Server) ProfileCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(s.opts.Now().UTC())
	return len(s.st.profiles)
}

// Deleted returns the emails erased by data-privacy deletion jobs, in order.
func (s *Server) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.deleted...)
}

// Digest is a hash of the account's content (profiles with their consent, suppressions,
// names and properties; lists with their members), without timestamps: equal digests before
// and after a replay prove the replay changed nothing.
func (s *Server) Digest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleJobs(s.opts.Now().UTC())
	h := sha256.New()
	for _, p := range s.st.sortedProfiles() {
		props, _ := json.Marshal(p.props) // map keys are sorted by encoding/json
		fmt.Fprintf(h, "P|%s|%s|%s|%s|%s|%s\n", p.id, strings.ToLower(p.email), p.firstName, p.lastName, p.consent, props)
		for _, x := range p.suppressions {
			fmt.Fprintf(h, "S|%s\n", x.reason)
		}
		for _, x := range p.listSuppressions {
			fmt.Fprintf(h, "LS|%s|%s\n", x.listID, x.reason)
		}
	}
	for _, l := range s.st.sortedLists() {
		ids := make([]string, 0, len(l.members))
		for id := range l.members {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		fmt.Fprintf(h, "L|%s|%s|%s\n", l.id, l.name, strings.Join(ids, ","))
	}
	return hex.EncodeToString(h.Sum(nil))
}
