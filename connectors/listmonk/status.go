package listmonk

import (
	"fmt"
	"sort"

	"github.com/cohortd/cohortd/connectors/email"
)

// statusOf is what a subscriber's listmonk state means for consent:
//
//   - no subscriber: email.StatusAbsent;
//   - account status "blocklisted": email.StatusCompliance (listmonk never mails it and
//     has marked every subscription unsubscribed);
//   - any subscription "unsubscribed", on any list: email.StatusUnsubscribed. The person
//     opted out of mail from this install; adding them to another list would mail them
//     again (a single opt-in list mails unconfirmed members), so the whole address is
//     suppressed, and the unsubscribed row is never removed or re-added;
//   - any subscription "confirmed": email.StatusSubscribed;
//   - otherwise (unconfirmed rows only, or none): email.StatusNonMarketing.
//
// The message is listmonk's own words for it, without the address.
func statusOf(s *subscriber) (email.Status, string) {
	if s == nil {
		return email.StatusAbsent, ""
	}
	if s.Status == subBlocklisted {
		return email.StatusCompliance, "subscriber status blocklisted"
	}
	rows := append([]subscription(nil), s.Lists...)
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	confirmed := false
	for _, r := range rows {
		switch r.SubscriptionStatus {
		case rowUnsubscribed:
			return email.StatusUnsubscribed, fmt.Sprintf("subscription_status unsubscribed on list %q", r.Name)
		case rowConfirmed:
			confirmed = true
		}
	}
	if confirmed {
		return email.StatusSubscribed, ""
	}
	return email.StatusNonMarketing, ""
}
