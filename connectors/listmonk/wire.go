package listmonk

import "time"

// listmonk's JSON shapes, as far as the connector reads them (docs/apis/subscribers.md,
// docs/apis/lists.md, models/models.go).

// Subscriber (account) statuses and subscription (per-list) statuses.
const (
	subEnabled     = "enabled"
	subBlocklisted = "blocklisted"

	rowUnconfirmed  = "unconfirmed"
	rowConfirmed    = "confirmed"
	rowUnsubscribed = "unsubscribed"
)

// timeLayout is listmonk's timestamp format.
const timeLayout = "2006-01-02T15:04:05.999999Z07:00"

type subscriber struct {
	ID        int            `json:"id"`
	Email     string         `json:"email"`
	Name      string         `json:"name"`
	Status    string         `json:"status"`
	Attribs   map[string]any `json:"attribs"`
	Lists     []subscription `json:"lists"`
	UpdatedAt string         `json:"updated_at"`
}

// subscription is one entry of a subscriber's "lists".
type subscription struct {
	ID                    int    `json:"id"`
	Name                  string `json:"name"`
	Optin                 string `json:"optin"`
	SubscriptionStatus    string `json:"subscription_status"`
	SubscriptionUpdatedAt string `json:"subscription_updated_at"`
}

type listJSON struct {
	ID                 int            `json:"id"`
	Name               string         `json:"name"`
	Type               string         `json:"type"`
	Optin              string         `json:"optin"`
	SubscriberCount    int            `json:"subscriber_count"`
	SubscriberStatuses map[string]int `json:"subscriber_statuses"`
}

// page is models.PageResults.
type page[T any] struct {
	Results []T `json:"results"`
	Total   int `json:"total"`
	PerPage int `json:"per_page"`
	Page    int `json:"page"`
}

// createSubscriberBody is POST /api/subscribers. It never carries lists (listmonk mails an
// opt-in confirmation when a created subscriber joins a double opt-in list) nor
// preconfirm_subscriptions.
type createSubscriberBody struct {
	Email   string         `json:"email"`
	Name    string         `json:"name"`
	Status  string         `json:"status"`
	Attribs map[string]any `json:"attribs,omitempty"`
}

// patchSubscriberBody is PATCH /api/subscribers/{id} (listmonk v6.1+): attribs only, so
// email, name, status and the list set stay as they are.
type patchSubscriberBody struct {
	Attribs map[string]any `json:"attribs"`
}

// manageListsBody is PUT /api/subscribers/lists. Status is never sent: an "add" without it
// inserts missing rows as unconfirmed and leaves existing rows (unsubscribed ones included)
// untouched, where any status would overwrite them.
type manageListsBody struct {
	IDs           []int  `json:"ids"`
	Action        string `json:"action"`
	TargetListIDs []int  `json:"target_list_ids"`
}

// createListBody is POST /api/lists.
type createListBody struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Optin       string   `json:"optin"`
	Tags        []string `json:"tags"`
	Description string   `json:"description"`
}

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
