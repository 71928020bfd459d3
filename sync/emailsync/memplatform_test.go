package emailsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/cohortd/cohortd/connectors/email"
)

// memPlatform is a platform with the consent behaviour every real one has: a contact it
// holds as suppressed gets nothing written, a new contact is subscribed only with consent.
// The real fakes (connectors/*/…fake) run the same engine tests in platforms_test.go.
type memPlatform struct {
	mu       sync.Mutex
	contacts map[string]*memContact
	applied  [][]email.Change // every Apply call
	deleted  []string
	failNext int   // Apply calls to fail with failErr
	failErr  error // transient by default
	batch    int
}

type memContact struct {
	status email.Status
	names  map[string]bool
	props  map[string]string
}

func newMemPlatform() *memPlatform {
	return &memPlatform{contacts: map[string]*memContact{}, batch: 50}
}

func (m *memPlatform) BatchSize() int { return m.batch }

func (m *memPlatform) Apply(_ context.Context, changes []email.Change) []email.Outcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied = append(m.applied, slices.Clone(changes))
	out := make([]email.Outcome, len(changes))
	if m.failNext > 0 {
		m.failNext--
		for i := range out {
			out[i].Err = m.failErr
		}
		return out
	}
	for i, c := range changes {
		a := strings.ToLower(c.Email)
		ct := m.contacts[a]
		if ct != nil && ct.status.Suppressed() {
			out[i] = email.Outcome{Status: ct.status, Message: "Member In Compliance State"}
			continue
		}
		if ct == nil {
			st := email.StatusNonMarketing
			if c.Consent {
				st = email.StatusSubscribed
			}
			ct = &memContact{status: st, names: map[string]bool{}}
			m.contacts[a] = ct
		}
		for _, n := range c.Add {
			ct.names[n] = true
		}
		for _, n := range c.Remove {
			delete(ct.names, n)
		}
		if c.Props != nil {
			ct.props = maps.Clone(c.Props)
		}
		out[i].Status = ct.status
	}
	return out
}

func (m *memPlatform) Suppressions(context.Context) ([]email.Suppression, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []email.Suppression
	for a, c := range m.contacts {
		if c.status.Suppressed() {
			out = append(out, email.Suppression{Email: a, Status: c.status})
		}
	}
	return out, nil
}

func (m *memPlatform) Delete(_ context.Context, address string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := strings.ToLower(address)
	m.deleted = append(m.deleted, a)
	if c, ok := m.contacts[a]; ok {
		c.status = email.StatusForgotten
		c.names = map[string]bool{}
		c.props = nil
	}
	return nil
}

func (m *memPlatform) Sizes(_ context.Context, names []string) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, n := range names {
		for _, c := range m.contacts {
			if c.names[n] {
				out[n]++
			}
		}
	}
	return out, nil
}

// set seeds a contact with a status (a remote unsubscribe).
func (m *memPlatform) set(address string, st email.Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := strings.ToLower(address)
	if m.contacts[a] == nil {
		m.contacts[a] = &memContact{names: map[string]bool{}}
	}
	m.contacts[a].status = st
}

// contact returns a copy of the contact's status and names.
func (m *memPlatform) contact(address string) (email.Status, []string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.contacts[strings.ToLower(address)]
	if !ok {
		return email.StatusAbsent, nil, false
	}
	return c.status, slices.Sorted(maps.Keys(c.names)), true
}

// sent returns every change sent for address.
func (m *memPlatform) sent(address string) []email.Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []email.Change
	for _, call := range m.applied {
		for _, c := range call {
			if strings.EqualFold(c.Email, address) {
				out = append(out, c)
			}
		}
	}
	return out
}

var errUnavailable = errors.New("503 Service Unavailable")

func (m *memPlatform) String() string { return fmt.Sprintf("mem(%d contacts)", len(m.contacts)) }
