package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
)

const shopifyUsage = "usage: cohortd shopify webhooks [--store ID] [--repair] [--json]"

// webhooksPlatform is the {platform} part of the daemon's webhook route for Shopify stores
// (POST /webhooks/shopify/<store id>, see sync/daemon).
const webhooksPlatform = "shopify"

func shopifyCommand() *command {
	var (
		storeID string
		repair  bool
		asJSON  bool
		timeout time.Duration
	)
	return &command{
		name:    "shopify",
		summary: "inspect and repair each Shopify store's webhook subscriptions",
		usage:   "webhooks [--store ID] [--repair] [--json]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&storeID, "store", "", "only this store (its id in the config)")
			fs.BoolVar(&repair, "repair", false, "subscribe every topic cohortd needs to http.public_url and remove cohortd's stale subscriptions (needs http.public_url)")
			fs.BoolVar(&asJSON, "json", false, "print JSON")
			fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 || args[0] != "webhooks" {
				return usageErr(shopifyUsage)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			stores, err := shopifyStores(cfg, storeID)
			if err != nil {
				return err
			}
			if repair && cfg.HTTP.PublicURL == "" {
				return usageErr("nothing can be repaired: http.public_url is not set, so there is no address " +
					"the stores could deliver webhooks to (cohortd then relies on polling). Set http.public_url to " +
					"the https address your stores reach this daemon at, e.g. https://cohortd.example.com")
			}
			log, err := e.logger()
			if err != nil {
				return err
			}
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return shopifyWebhooks(ctx, e.stdout, log, cfg, stores, repair, asJSON)
		},
	}
}

// shopifyStores returns the configured Shopify stores, or only the one named.
func shopifyStores(cfg *config.Config, id string) ([]config.Store, error) {
	var out []config.Store
	for _, s := range cfg.Stores {
		if s.Kind != config.KindShopify {
			if id != "" && s.ID == id {
				return nil, usageErr("store %q is a %s store, not a Shopify store", id, s.Kind)
			}
			continue
		}
		if id == "" || s.ID == id {
			out = append(out, s)
		}
	}
	switch {
	case id != "" && len(out) == 0:
		return nil, usageErr("no store %q in the configuration", id)
	case len(out) == 0:
		return nil, usageErr("no Shopify store in the configuration")
	}
	return out, nil
}

// webhookCallback is the URL the daemon receives a store's webhooks at, "" without a public
// URL.
func webhookCallback(publicURL, storeID string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/webhooks/" + webhooksPlatform + "/" + storeID
}

// Values of webhookRow.Target.
const (
	targetThis  = "this daemon" // exactly the store's callback
	targetStale = "stale"       // a wanted topic to another path of this daemon: --repair removes it
	targetOther = "other"       // another endpoint or topic: never touched
	targetNone  = "unknown"     // no http.public_url to compare with
	targetMiss  = "missing"     // a wanted topic with no subscription to this daemon
)

// repairNote is shown next to missing and stale rows.
const repairNote = "run with --repair"

// webhookRow is one subscription (or one missing topic) of a store.
type webhookRow struct {
	ID          string `json:"id,omitempty"`
	Topic       string `json:"topic"`
	CallbackURL string `json:"callback_url,omitempty"`
	Target      string `json:"target"`
}

// storeWebhooks is what `shopify webhooks` reports for one store.
type storeWebhooks struct {
	Store         string       `json:"store"`
	Callback      string       `json:"callback,omitempty"` // "" without http.public_url
	Subscriptions []webhookRow `json:"subscriptions"`
	Missing       []string     `json:"missing,omitempty"` // wanted topics not delivered to Callback
	Repaired      bool         `json:"repaired"`
	Created       int          `json:"created"`
	Removed       int          `json:"removed"`
	Error         string       `json:"error,omitempty"`
}

// webhookLister is the part of the Shopify client the command uses.
type webhookLister interface {
	WebhookSubscriptions(ctx context.Context) ([]shopify.WebhookSubscription, error)
	EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) (created, removed int, err error)
}

// newShopifyClient builds a store's client the way the daemon does: the endpoint (a proxy or
// a fake store) when set, else the shop domain. Retries are fewer than the daemon's: an
// operator waits for the answer.
func newShopifyClient(sc config.Store, log zerolog.Logger) (*shopify.Client, error) {
	shop := sc.Shop
	if sc.Endpoint != "" {
		shop = sc.Endpoint
	}
	c, err := shopify.New(shopify.Options{Shop: shop, AccessToken: sc.AccessToken.Value(), APIVersion: sc.APIVersion,
		Logger: log.With().Str("store", sc.ID).Logger(), MaxAttempts: 3, RetryBase: 500 * time.Millisecond, RetryMax: 5 * time.Second,
		RequestTimeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", sc.ID, err)
	}
	return c, nil
}

// shopifyWebhooks lists (and with repair, first repairs) each store's subscriptions. A store
// that fails does not stop the others; the command then exits 1.
func shopifyWebhooks(ctx context.Context, w io.Writer, log zerolog.Logger, cfg *config.Config, stores []config.Store, repair, asJSON bool) error {
	var (
		reports []storeWebhooks
		errs    []error
	)
	for _, sc := range stores {
		rep := storeWebhooks{Store: sc.ID, Callback: webhookCallback(cfg.HTTP.PublicURL, sc.ID)}
		client, err := newShopifyClient(sc, log)
		if err == nil {
			err = inspectWebhooks(ctx, client, &rep, repair)
		}
		if err != nil {
			rep.Error = err.Error()
			errs = append(errs, err)
		}
		reports = append(reports, rep)
	}
	if asJSON {
		if err := writeJSON(w, reports); err != nil {
			return err
		}
	} else {
		printWebhooks(w, reports, cfg.HTTP.PublicURL == "")
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// inspectWebhooks fills rep for one store: repair first (when asked), then list, so the list
// shows the state the store is left in.
func inspectWebhooks(ctx context.Context, c webhookLister, rep *storeWebhooks, repair bool) error {
	if repair {
		created, removed, err := c.EnsureWebhooks(ctx, rep.Callback, shopify.DefaultTopics)
		rep.Created, rep.Removed = created, removed
		if err != nil {
			return fmt.Errorf("store %s: repair: %w", rep.Store, err)
		}
		rep.Repaired = true
	}
	subs, err := c.WebhookSubscriptions(ctx)
	if err != nil {
		return fmt.Errorf("store %s: %w", rep.Store, err)
	}
	rep.Subscriptions, rep.Missing = classifyWebhooks(subs, rep.Callback)
	return nil
}

// classifyWebhooks marks each subscription against callback (as EnsureWebhooks would treat
// it) and lists the wanted topics with no subscription to callback.
func classifyWebhooks(subs []shopify.WebhookSubscription, callback string) (rows []webhookRow, missing []string) {
	cb, _ := url.Parse(callback)
	have := map[string]bool{}
	rows = []webhookRow{}
	for _, s := range subs {
		row := webhookRow{ID: s.ID, Topic: s.Topic, CallbackURL: s.CallbackURL, Target: targetOther}
		switch {
		case callback == "":
			row.Target = targetNone
		case s.CallbackURL == callback:
			row.Target = targetThis
			have[s.Topic] = true
		case sameOrigin(s.CallbackURL, cb) && slices.Contains(shopify.DefaultTopics, s.Topic):
			row.Target = targetStale
		}
		rows = append(rows, row)
	}
	if callback == "" {
		return rows, nil
	}
	for _, t := range shopify.DefaultTopics {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	return rows, missing
}

func sameOrigin(raw string, cb *url.URL) bool {
	u, err := url.Parse(raw)
	return raw != "" && err == nil && cb != nil && u.Scheme == cb.Scheme && u.Host == cb.Host
}

func printWebhooks(w io.Writer, reports []storeWebhooks, noPublicURL bool) {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "store %s\n", r.Store)
		if r.Callback != "" {
			fmt.Fprintf(w, "  callback: %s\n", r.Callback)
		}
		if r.Repaired {
			fmt.Fprintf(w, "  repaired: %d created, %d removed\n", r.Created, r.Removed)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
			continue
		}
		if len(r.Subscriptions) == 0 && len(r.Missing) == 0 {
			fmt.Fprintln(w, "  no webhook subscriptions")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  TOPIC\tCALLBACK URL\tPOINTS AT")
		for _, s := range r.Subscriptions {
			target := s.Target
			if target == targetStale {
				target += " (another path of this daemon; " + repairNote + " to remove it)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Topic, orDash(s.CallbackURL), target)
		}
		for _, t := range r.Missing {
			fmt.Fprintf(tw, "  %s\t-\t%s (%s)\n", t, targetMiss, repairNote)
		}
		_ = tw.Flush()
		switch {
		case r.Callback != "" && len(r.Missing) == 0 && !slices.ContainsFunc(r.Subscriptions, func(s webhookRow) bool { return s.Target == targetStale }):
			fmt.Fprintf(w, "  ok: all %d topics are delivered to this daemon\n", len(shopify.DefaultTopics))
		case r.Callback != "":
			fmt.Fprintf(w, "  %d of %d topics missing\n", len(r.Missing), len(shopify.DefaultTopics))
		}
	}
	if noPublicURL {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "http.public_url is not set: cohortd does not subscribe to webhooks and relies on polling;")
		fmt.Fprintln(w, "nothing can be repaired. Set it to the https address your stores reach this daemon at.")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
