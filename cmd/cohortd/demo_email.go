package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/connectors/klaviyo/klaviyofake"
	"github.com/cohortd/cohortd/connectors/listmonk/listmonkfake"
	"github.com/cohortd/cohortd/connectors/mailchimp/mailchimpfake"
	"github.com/cohortd/cohortd/sync/daemon"
)

// demoPlatforms are the fake email platforms the demo pushes segments to.
type demoPlatforms struct {
	mailchimp *mailchimpfake.Server
	klaviyo   *klaviyofake.Server
	listmonk  *listmonkfake.Server
	// unsubscribed counts the remote opt-outs the demo simulated.
	unsubscribed atomic.Int64
}

const (
	demoListmonkUser  = "cohortd"
	demoListmonkToken = "demo-listmonk-token"
)

func startDemoPlatforms(log zerolog.Logger) (*demoPlatforms, error) {
	p := &demoPlatforms{
		mailchimp: mailchimpfake.New(mailchimpfake.Options{}),
		klaviyo:   klaviyofake.New(klaviyofake.Options{Logger: log.With().Str("component", "fake-klaviyo").Logger()}),
		listmonk:  listmonkfake.New(listmonkfake.Options{Username: demoListmonkUser, Token: demoListmonkToken}),
	}
	if err := p.mailchimp.Start(); err != nil {
		return nil, fmt.Errorf("demo: fake Mailchimp: %w", err)
	}
	if err := p.klaviyo.Start(); err != nil {
		p.mailchimp.Close()
		return nil, fmt.Errorf("demo: fake Klaviyo: %w", err)
	}
	p.listmonk.Start()
	return p, nil
}

func (p *demoPlatforms) Close() {
	p.mailchimp.Close()
	p.klaviyo.Close()
	p.listmonk.Close()
}

// config is the destinations section of the demo's configuration: each platform gets
// different segments, the way a merchant splits them.
func (p *demoPlatforms) config() string {
	return fmt.Sprintf(`destinations:
  - id: newsletter
    kind: mailchimp
    api_key: %s
    audience_id: %s
    endpoint: %q
    audience: subscribers
    segments: [rfm-champions, rfm-loyal, rfm-at-risk, rfm-new, lifecycle-new]
  - id: klaviyo
    kind: klaviyo
    api_key: %s
    endpoint: %q
    audience: all
    segments: [churn-high, churn-medium, churn-low, aov-high]
  - id: lists
    kind: listmonk
    url: %q
    username: %s
    token: %s
    audience: subscribers
    segments: [lifecycle-new, lifecycle-active, lifecycle-dormant, lifecycle-lost]
`, mailchimpfake.DefaultAPIKey, mailchimpfake.DefaultListID, p.mailchimp.URL(),
		klaviyofake.DefaultAPIKey, p.klaviyo.URL(), p.listmonk.URL(), demoListmonkUser, demoListmonkToken)
}

// simulateOptOuts makes one contact at each platform opt out every interval, as people do
// from campaigns: the status pass and the next writes learn it, and cohortd never writes to
// them again (the summary's email.*.suppressed figures).
func (p *demoPlatforms) simulateOptOuts(ctx context.Context, seed uint64, every time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 7))
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ms := slices.Sorted(maps.Keys(p.mailchimp.Members())); len(ms) > 0 {
			if p.mailchimp.SetStatus(ms[rng.IntN(len(ms))], mailchimpfake.StatusUnsubscribed) == nil {
				p.unsubscribed.Add(1)
			}
		}
		var kl []string
		for _, l := range p.klaviyo.ListNames() {
			kl = append(kl, p.klaviyo.ListMembers(l)...)
		}
		if len(kl) > 0 {
			if _, err := p.klaviyo.SetStatus(kl[rng.IntN(len(kl))], klaviyofake.StatusUnsubscribed); err == nil {
				p.unsubscribed.Add(1)
			}
		}
		if subs := p.listmonk.Snapshot().Subscribers; len(subs) > 0 {
			if p.listmonk.Unsubscribe(subs[rng.IntN(len(subs))].Email) == nil {
				p.unsubscribed.Add(1)
			}
		}
	}
}

// summary adds each email destination's figures: list or tag sizes as the platform counts
// them, deliveries, suppressions learned.
func (p *demoPlatforms) summary(ctx context.Context, d *daemon.Daemon, set func(string, any)) {
	set("email_opt_outs_simulated", p.unsubscribed.Load())
	for _, s := range d.EmailSyncers() {
		h := s.Health()
		set("email."+s.ID()+".delivered", h.Delivered)
		set("email."+s.ID()+".suppressions_learned", h.Suppressed)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		sizes, err := s.Sizes(sctx)
		cancel()
		if err != nil {
			set("email."+s.ID()+".error", err)
			continue
		}
		total := 0
		for _, name := range s.Names() {
			set("list."+s.ID()+"."+name, sizes[name])
			total += sizes[name]
		}
		set("email."+s.ID()+".memberships", total)
	}
}
