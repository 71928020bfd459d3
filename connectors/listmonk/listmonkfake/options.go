package listmonkfake

import "time"

// Options configure a Server. The zero value is a listmonk v6.1+ with API user
// "cohortd" / token "secret", no rate limit and opt-in confirmation mails switched on.
type Options struct {
	// Username and Token are the API user's credentials, accepted as
	// "Authorization: token Username:Token" or HTTP basic auth. Defaults "cohortd", "secret".
	Username, Token string
	// MaxPerPage caps per_page (except "all"); default 50, listmonk's paginator limit.
	MaxPerPage int
	// RateLimit, when > 0, is the requests per second the server accepts (a token bucket of
	// Burst tokens, default 2*RateLimit rounded up); excess requests get 429 with
	// Retry-After. listmonk has no API rate limit; this stands for a reverse proxy in front.
	RateLimit float64
	Burst     int
	// RetryAfter is the Retry-After sent with a rate-limit 429; default 1 s.
	RetryAfter time.Duration
	// NoPatch answers PATCH /api/subscribers/{id} with 405, like listmonk before v6.1.0.
	NoPatch bool
	// NoOptinMails switches off app.send_optin_confirmation (default on, as in listmonk).
	NoOptinMails bool
	// Now is the clock for created_at/updated_at; default time.Now.
	Now func() time.Time
}

func (o *Options) withDefaults() {
	if o.Username == "" {
		o.Username = "cohortd"
	}
	if o.Token == "" {
		o.Token = "secret"
	}
	if o.MaxPerPage <= 0 {
		o.MaxPerPage = 50
	}
	if o.RateLimit > 0 && o.Burst <= 0 {
		o.Burst = int(2*o.RateLimit + 0.999)
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}
