package klaviyofake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Fault makes the next Count requests to an operation fail (before rate limits and
// validation, as a load balancer or an overloaded backend would).
type Fault struct {
	// Operation is the operationId to hit (e.g. "add_profiles_to_list"); "" hits any.
	Operation string
	// Status is the answer: 5xx (Klaviyo's server error shape), 429 (throttled, with
	// Retry-After), 409 (duplicate_profile naming the profile that has the request's email).
	Status int
	// RetryAfter is the 429 wait, default 1 s.
	RetryAfter time.Duration
	// Count is how many requests it answers, default 1.
	Count int
	// Detail is the error detail of other 4xx statuses, default "Injected fault.".
	Detail string
}

// InjectFault arms a fault. Faults fire in the order they were armed.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Second
	}
	s.statsMu.Lock()
	s.faults = append(s.faults, f)
	s.statsMu.Unlock()
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.statsMu.Lock()
	s.faults = nil
	s.statsMu.Unlock()
}

func (s *Server) takeFault(op string) (Fault, bool) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.Operation != "" && f.Operation != op {
			continue
		}
		out := *f
		f.Count--
		if f.Count == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

func (f Fault) reply(s *Server, c *call) reply {
	switch {
	case f.Status == http.StatusTooManyRequests:
		r := throttled(f.RetryAfter)
		r.header.Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		return r
	case f.Status == http.StatusConflict:
		var doc struct {
			Data profileInput `json:"data"`
		}
		_ = json.Unmarshal(c.body, &doc)
		id := "01K9NOSUCHPROFILE000000000"
		if doc.Data.Attributes.Email != nil {
			s.mu.Lock()
			if p := s.st.profileByEmail(*doc.Data.Attributes.Email); p != nil {
				id = p.id
			}
			s.mu.Unlock()
		}
		return duplicateProfile(id, "/data/attributes")
	case f.Status >= 500:
		return errorReply(f.Status, "error", "A server error occurred.", "A server error occurred.", "")
	default:
		detail := f.Detail
		if detail == "" {
			detail = "Injected fault."
		}
		return errorReply(f.Status, "invalid", "Invalid input.", detail, "/data/")
	}
}
