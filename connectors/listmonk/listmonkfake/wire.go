package listmonkfake

import (
	"encoding/json"
	"net/http"
	"time"
)

// timeLayout is listmonk's timestamp format ("2019-01-01T09:00:00.000000+05:30").
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// subscriberOut is a subscriber as GET /api/subscribers answers it.
type subscriberOut struct {
	ID        int               `json:"id"`
	CreatedAt string            `json:"created_at"`
	UpdatedAt string            `json:"updated_at"`
	UUID      string            `json:"uuid"`
	Email     string            `json:"email"`
	Name      string            `json:"name"`
	Attribs   map[string]any    `json:"attribs"`
	Status    string            `json:"status"`
	Lists     []subscriptionOut `json:"lists"`
}

// subscriptionOut is one entry of a subscriber's "lists": the list's columns plus the
// subscription's (get-subscriber-lists-lazy).
type subscriptionOut struct {
	SubscriptionStatus    string         `json:"subscription_status"`
	SubscriptionCreatedAt string         `json:"subscription_created_at"`
	SubscriptionUpdatedAt string         `json:"subscription_updated_at"`
	SubscriptionMeta      map[string]any `json:"subscription_meta"`
	ID                    int            `json:"id"`
	UUID                  string         `json:"uuid"`
	Name                  string         `json:"name"`
	Type                  string         `json:"type"`
	Optin                 string         `json:"optin"`
	Tags                  []string       `json:"tags"`
	Description           string         `json:"description"`
	CreatedAt             string         `json:"created_at"`
	UpdatedAt             string         `json:"updated_at"`
}

// listOut is a list as GET /api/lists answers it.
type listOut struct {
	ID                 int            `json:"id"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	UUID               string         `json:"uuid"`
	Name               string         `json:"name"`
	Type               string         `json:"type"`
	Optin              string         `json:"optin"`
	Tags               []string       `json:"tags"`
	Description        string         `json:"description"`
	SubscriberCount    int            `json:"subscriber_count"`
	SubscriberStatuses map[string]int `json:"subscriber_statuses"`
}

// pageOut is listmonk's models.PageResults.
type pageOut struct {
	Results any    `json:"results"`
	Query   string `json:"query,omitempty"`
	Total   int    `json:"total"`
	PerPage int    `json:"per_page"`
	Page    int    `json:"page"`
}

// subscriberIn is the body of POST /api/subscribers and PUT/PATCH /api/subscribers/{id}.
// Pointers tell PATCH which fields were sent.
type subscriberIn struct {
	Email          *string         `json:"email"`
	Name           *string         `json:"name"`
	Status         *string         `json:"status"`
	Lists          *[]int          `json:"lists"`
	ListUUIDs      *[]string       `json:"list_uuids"`
	Attribs        json.RawMessage `json:"attribs"`
	PreconfirmSubs bool            `json:"preconfirm_subscriptions"`
}

// manageListsIn is the body of PUT /api/subscribers/lists (subQueryReq's fields).
type manageListsIn struct {
	IDs           []int  `json:"ids"`
	Action        string `json:"action"`
	TargetListIDs []int  `json:"target_list_ids"`
	Status        string `json:"status"`
}

// listIn is the body of POST /api/lists.
type listIn struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Optin       string   `json:"optin"`
	Tags        []string `json:"tags"`
	Description string   `json:"description"`
}

func writeData(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func fmtTime(t time.Time) string { return t.Format(timeLayout) }
