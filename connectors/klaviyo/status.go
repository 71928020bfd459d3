package klaviyo

import (
	"time"

	"github.com/cohortd/cohortd/connectors/email"
)

// Global suppression reasons, strongest first: when a profile carries several, the status
// reported is that of the first one present.
var suppressionOrder = []struct {
	reason string
	status email.Status
}{
	{"SPAM_COMPLAINT", email.StatusCompliance},
	{"USER_SUPPRESSED", email.StatusCompliance},
	{"HARD_BOUNCE", email.StatusCleaned},
	{"INVALID_EMAIL", email.StatusCleaned},
	{"UNSUBSCRIBE", email.StatusUnsubscribed},
}

// learned is what a read told the client about one address.
type learned struct {
	status  email.Status
	message string    // Klaviyo's words for a suppression, without the address
	at      time.Time // when the suppression was recorded, when known
}

// statusFromSubscriptions maps a profile's email marketing subscription to a status.
// listIDs are the lists the change would add the profile to: a list suppression on one of
// them (the person unsubscribed from that very list) counts as unsubscribed. A profile whose
// subscriptions are missing is treated as unknown, which the caller must not write to.
func statusFromSubscriptions(s *subscriptions, listIDs map[string]bool) (learned, bool) {
	if s == nil || s.Email.Marketing == nil {
		return learned{}, false
	}
	m := s.Email.Marketing
	for _, o := range suppressionOrder {
		for _, x := range m.Suppressions {
			if x.Reason == o.reason {
				return learned{status: o.status, message: "Klaviyo email suppression " + x.Reason, at: parseTime(x.Timestamp)}, true
			}
		}
	}
	if len(m.Suppressions) > 0 {
		x := m.Suppressions[0]
		return learned{status: email.StatusCompliance, message: "Klaviyo email suppression " + x.Reason, at: parseTime(x.Timestamp)}, true
	}
	if m.Consent == "UNSUBSCRIBED" {
		return learned{status: email.StatusUnsubscribed, message: "Klaviyo email marketing consent UNSUBSCRIBED"}, true
	}
	for _, x := range m.ListSuppressions {
		if listIDs[x.ListID] {
			return learned{status: email.StatusUnsubscribed, message: "Klaviyo list suppression " + x.Reason + " on list " + x.ListID, at: parseTime(x.Timestamp)}, true
		}
	}
	if m.Consent == "SUBSCRIBED" {
		return learned{status: email.StatusSubscribed}, true
	}
	return learned{status: email.StatusNonMarketing}, true
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-07:00", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
