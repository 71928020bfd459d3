package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/emailsync"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/shopifysync"
	"github.com/cohortd/cohortd/sync/webhook"
	"github.com/cohortd/cohortd/sync/woosync"
)

// platforms is the daemon's part that talks to stores: the webhook inbox and receiver, the
// outbox, and one Syncer per Shopify store. Profiles, segments and tag plans are refreshed
// by one goroutine when records changed (debounced), so a burst of webhooks costs one
// rebuild.
type platforms struct {
	inbox    *webhook.Inbox
	receiver *webhook.Receiver
	outbox   *outbox.Outbox
	shopify  []*shopifysync.Syncer
	byStore  map[string]*shopifysync.Syncer
	email    []*emailsync.Syncer // one per email destination
	woo      []*woosync.Syncer
	byWoo    map[string]*woosync.Syncer

	refreshCh chan struct{}
	// pipeline serialises rebuilds, segment recomputes and the jobs reading a store, which
	// must not interleave with a rebuild (privacy erasures included).
	pipeline sync.Mutex
	wg       sync.WaitGroup
	pollMu   sync.Mutex
	polls    map[string]*sync.Mutex // per store: one poll at a time

	refreshes   int64 // completed refreshes (under pipeline)
	lastRefresh RefreshReport
}

// RefreshReport is the outcome of the last refresh (rebuild, segments, tag plans).
type RefreshReport struct {
	At         time.Time     `json:"at"`
	Took       time.Duration `json:"took"`
	Profiles   int           `json:"profiles"`
	Identities int           `json:"identities"`
	Merged     int           `json:"merged"` // identities folded into another profile
	Segments   int           `json:"segments_changed"`
	TagChanges int           `json:"tag_changes_planned"`
	// EmailChanges counts the contact changes queued for the email destinations.
	EmailChanges int `json:"email_changes_planned"`
}

// RefreshDelay is how long after a change the refresh starts (changes arriving meanwhile
// join it).
var RefreshDelay = 3 * time.Second

func (d *Daemon) setupPlatforms() error {
	p := &platforms{byStore: map[string]*shopifysync.Syncer{}, byWoo: map[string]*woosync.Syncer{}, refreshCh: make(chan struct{}, 1)}
	d.platforms = p
	var err error
	p.inbox, err = webhook.OpenInbox(d.store, webhook.InboxOptions{Registerer: d.registry, Logger: d.log.With().Str("component", "inbox").Logger()})
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	p.receiver, err = webhook.NewReceiver(p.inbox, webhook.Options{MaxBodyBytes: d.cfg.HTTP.MaxBodyBytes, Registerer: d.registry,
		Logger: d.log.With().Str("component", "webhooks").Logger()})
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	p.receiver.Mount(d.server)
	metrics := outbox.NewMetrics(d.store)
	if err := d.registry.Register(metrics); err != nil {
		return fmt.Errorf("daemon: outbox metrics: %w", err)
	}
	olog := d.log.With().Str("component", "outbox").Logger()
	p.outbox = outbox.New(d.store, outbox.Options{Logger: olog, Metrics: metrics})
	build, err := ingest.BuildOptions(d.cfg)
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if err := d.setupEmail(p); err != nil {
		return err
	}
	if err := d.setupWoo(p); err != nil {
		return err
	}
	for _, sc := range d.cfg.Stores {
		if sc.Kind != config.KindShopify {
			continue
		}
		client, err := shopifysync.ClientFor(sc, shopify.Options{Logger: d.log.With().Str("component", "shopify").Str("store", sc.ID).Logger()})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		s, err := shopifysync.New(shopifysync.Options{Store: sc, Config: d.cfg, DB: d.store, Client: client, Outbox: p.outbox,
			Build: build, DataDir: d.cfg.DataDir, Changed: p.changed, OnErased: p.onErased, Logger: d.log.With().Str("component", "shopify").Logger()})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		if err := p.receiver.Register(shopifysync.Platform, sc.ID, shopify.WebhookSource{Secrets: shopifysync.Secrets(sc)}); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		p.shopify = append(p.shopify, s)
		p.byStore[sc.ID] = s
	}
	return nil
}

// changed asks for a refresh (non-blocking).
func (p *platforms) changed() {
	select {
	case p.refreshCh <- struct{}{}:
	default:
	}
}

// start runs the platform goroutines until ctx ends; stop waits for them.
func (d *Daemon) startPlatforms(ctx context.Context) {
	p := d.platforms
	for _, s := range p.shopify {
		p.wg.Add(2)
		go func() { defer p.wg.Done(); d.runStore(ctx, s) }()
		go func() {
			defer p.wg.Done()
			if err := s.RunPush(ctx); err != nil && ctx.Err() == nil {
				d.log.Error().Err(err).Str("store", s.ID()).Msg("tag push stopped")
			}
		}()
	}
	for _, s := range p.woo {
		p.wg.Add(2)
		go func() { defer p.wg.Done(); d.runWoo(ctx, s) }()
		go func() {
			defer p.wg.Done()
			if err := s.RunPush(ctx); err != nil && ctx.Err() == nil {
				d.log.Error().Err(err).Str("store", s.ID()).Msg("meta write-back stopped")
			}
		}()
	}
	for _, s := range p.email {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if err := s.Run(ctx); err != nil && ctx.Err() == nil {
				d.log.Error().Err(err).Str("destination", s.ID()).Msg("email destination push stopped")
			}
		}()
	}
	p.wg.Add(3)
	go func() { defer p.wg.Done(); d.pruneInbox(ctx) }()
	go func() { defer p.wg.Done(); d.consumeInbox(ctx) }()
	go func() { defer p.wg.Done(); d.refreshLoop(ctx) }()
}

// stopPlatforms waits for the platform goroutines until ctx ends. A profile rebuild does not
// stop half-way (profiles.Build runs to its end): rather than overrun the shutdown window, the
// daemon then exits without it; the rebuild writes in one transaction, so nothing half-written
// is left, and the next start refreshes again.
func (d *Daemon) stopPlatforms(ctx context.Context) {
	if d.platforms == nil {
		return
	}
	done := make(chan struct{})
	go func() { d.platforms.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.log.Warn().Msg("a profile refresh is still running; stopping without it (the next start refreshes again)")
	}
	_ = d.platforms.inbox.Close()
}

// runStore backfills a store (retrying with backoff until it completes), registers its
// webhooks, then polls early whenever a webhook asks for it. Scheduled polls and
// reconciliations are jobs.
func (d *Daemon) runStore(ctx context.Context, s *shopifysync.Syncer) {
	if !d.backfillUntilDone(ctx, s.ID(), "shopify", func(ctx context.Context) (bool, time.Duration, error) {
		rep, err := s.Backfill(ctx)
		return rep.Skipped, rep.Took, err
	}) {
		return
	}
	log := d.log.With().Str("store", s.ID()).Logger()
	d.platforms.changed()
	if url := d.cfg.HTTP.PublicURL; url != "" {
		d.ensureWebhooks(ctx, s, url)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.PollWake():
			if _, err := d.pollStore(ctx, s); err != nil && ctx.Err() == nil {
				log.Warn().Err(err).Msg("shopify: poll failed")
			}
		}
	}
}

func (d *Daemon) ensureWebhooks(ctx context.Context, s *shopifysync.Syncer, publicURL string) {
	callback := strings.TrimRight(publicURL, "/") + "/webhooks/" + shopifysync.Platform + "/" + s.ID()
	created, removed, err := s.EnsureWebhooks(ctx, callback)
	if err != nil {
		d.log.Warn().Err(err).Str("store", s.ID()).Msg("shopify: webhook subscriptions not repaired; polling continues")
		return
	}
	d.log.Info().Str("store", s.ID()).Int("created", created).Int("removed", removed).Msg("shopify: webhook subscriptions checked")
}

// backfillUntilDone runs a store's backfill under the pipeline lock, retrying with backoff
// (each attempt resumes from the checkpoint) until it completes; false when ctx ended first.
func (d *Daemon) backfillUntilDone(ctx context.Context, storeID, platform string, backfill func(context.Context) (skipped bool, took time.Duration, err error)) bool {
	log := d.log.With().Str("store", storeID).Logger()
	backoff := 5 * time.Second
	for {
		d.platforms.pipeline.Lock()
		skipped, took, err := backfill(ctx)
		d.platforms.pipeline.Unlock()
		if err == nil {
			if !skipped {
				log.Info().Dur("took", took).Msg(platform + ": backfill complete")
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Error().Err(err).Dur("retry_in", backoff).Msg(platform + ": backfill failed; it resumes from its checkpoint")
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

// pollStore polls one store. Polls only add records (newer-wins) and run alongside rebuilds
// and webhook deliveries; two polls of one store never overlap (the scheduler skips an
// overlapping run, and an early poll waits for the running one).
func (d *Daemon) pollStore(ctx context.Context, s *shopifysync.Syncer) (shopifysync.PollReport, error) {
	mu := d.platforms.pollLock(s.ID())
	mu.Lock()
	defer mu.Unlock()
	return s.Poll(ctx)
}

func (p *platforms) pollLock(store string) *sync.Mutex {
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	if p.polls == nil {
		p.polls = map[string]*sync.Mutex{}
	}
	if p.polls[store] == nil {
		p.polls[store] = &sync.Mutex{}
	}
	return p.polls[store]
}

// pollJob and reconcileJob are the scheduled jobs.
func (d *Daemon) pollJob(ctx context.Context) error {
	var errs []error
	for _, s := range d.platforms.shopify {
		rep, err := d.pollStore(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.log.Debug().Str("store", s.ID()).Int64("customers", rep.Customers).Int64("orders", rep.Orders).Msg("poll")
	}
	if err := d.pollWoo(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (d *Daemon) reconcileJob(ctx context.Context) error {
	var errs []error
	for _, s := range d.platforms.shopify {
		d.platforms.pipeline.Lock()
		_, err := s.Reconcile(ctx)
		d.platforms.pipeline.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if url := d.cfg.HTTP.PublicURL; url != "" {
			d.ensureWebhooks(ctx, s, url)
		}
	}
	if err := d.scanWoo(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// InboxPruneInterval is how often the webhook event ids older than the inbox's retention
// (7 days: Shopify retries for 48 hours) are forgotten.
var InboxPruneInterval = time.Hour

func (d *Daemon) pruneInbox(ctx context.Context) {
	t := time.NewTicker(InboxPruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := d.platforms.inbox.Prune(ctx)
			if err != nil && ctx.Err() == nil {
				d.log.Warn().Err(err).Msg("inbox: pruning old event ids failed")
			} else if n > 0 {
				d.log.Debug().Int("event_ids", n).Msg("inbox: old event ids pruned")
			}
		}
	}
}

// consumeInbox applies webhook deliveries as they are committed.
func (d *Daemon) consumeInbox(ctx context.Context) {
	p := d.platforms
	for {
		envs, err := p.inbox.Next(ctx, 500)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, webhook.ErrClosed) {
				return
			}
			d.log.Error().Err(err).Msg("inbox: read failed")
			time.Sleep(time.Second)
			continue
		}
		if err := d.applyDeliveries(ctx, envs); err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Error().Err(err).Int("deliveries", len(envs)).Msg("inbox: apply failed; retrying")
			p.inbox.Rewind()
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func (d *Daemon) applyDeliveries(ctx context.Context, envs []webhook.Envelope) error {
	p := d.platforms
	groups := map[string][]webhook.Envelope{}
	var order []string
	for _, e := range envs {
		k := e.Platform + "/" + e.Store
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	// Record deliveries run alongside a rebuild (the next refresh picks them up); privacy
	// requests rebuild profiles themselves and must not interleave with a refresh.
	for _, e := range envs {
		if shopifysync.IsPrivacyTopic(e.Topic) {
			p.pipeline.Lock()
			defer p.pipeline.Unlock()
			break
		}
	}
	for _, k := range order {
		batch := groups[k]
		var apply func(context.Context, []webhook.Envelope) (map[uint64]error, error)
		switch batch[0].Platform {
		case shopifysync.Platform:
			if s := p.byStore[batch[0].Store]; s != nil {
				apply = s.Apply
			}
		case woosync.Platform:
			if s := p.byWoo[batch[0].Store]; s != nil {
				apply = s.Apply
			}
		}
		if apply == nil {
			for _, e := range batch {
				if err := p.inbox.Reject(ctx, e, "no store "+k+" in the configuration"); err != nil {
					return err
				}
			}
			continue
		}
		rejected, err := apply(ctx, batch)
		if err != nil {
			return err
		}
		var done []webhook.Envelope
		for _, e := range batch {
			if rerr, bad := rejected[e.Seq]; bad {
				d.log.Warn().Str("store", e.Store).Str("topic", e.Topic).Uint64("seq", e.Seq).Err(rerr).Msg("webhook delivery dead-lettered")
				if err := p.inbox.Reject(ctx, e, rerr.Error()); err != nil {
					return err
				}
				continue
			}
			done = append(done, e)
		}
		if err := p.inbox.Done(ctx, done...); err != nil {
			return err
		}
	}
	return nil
}

// refreshLoop rebuilds profiles, recomputes segments and plans tag pushes after changes.
func (d *Daemon) refreshLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.platforms.refreshCh:
		}
		// Wait for more changes to join, and at least a few times the last refresh's cost:
		// under a continuous stream of webhooks, back-to-back rebuilds would take the cores
		// the webhook receiver needs.
		wait := RefreshDelay
		if last, _ := d.LastRefresh(); 5*last.Took > wait {
			wait = min(5*last.Took, 10*time.Minute)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if err := d.refresh(ctx); err != nil && ctx.Err() == nil {
			d.log.Error().Err(err).Msg("refresh failed")
		}
	}
}

// refresh is one rebuild of profiles from the source records, a full segment recompute and
// a tag plan per store.
func (d *Daemon) refresh(ctx context.Context) error {
	p := d.platforms
	p.pipeline.Lock()
	defer p.pipeline.Unlock()
	start := time.Now()
	build, err := ingest.BuildOptions(d.cfg)
	if err != nil {
		return err
	}
	res, err := ingest.Rebuild(ctx, d.store, build)
	if err != nil {
		return err
	}
	d.segmenter = nil // profiles were replaced: the next recompute reloads them
	changed, err := d.recompute(ctx)
	if err != nil {
		return err
	}
	rep := RefreshReport{At: time.Now().UTC(), Profiles: res.Quality.Profiles, Identities: res.Quality.Identities,
		Merged: res.Quality.Identities - res.Quality.Profiles, Segments: changed}
	for _, s := range p.shopify {
		plan, err := s.PlanTags(ctx)
		if err != nil {
			return err
		}
		rep.TagChanges += len(plan.Changes)
	}
	woo, err := p.planWoo(ctx)
	if err != nil {
		return err
	}
	rep.TagChanges += woo
	if rep.EmailChanges, err = p.planEmail(ctx); err != nil {
		return err
	}
	if err := d.refreshQuality(ctx); err != nil {
		d.log.Warn().Err(err).Msg("quality metrics")
	}
	rep.Took = time.Since(start)
	p.lastRefresh = rep
	p.refreshes++
	d.log.Info().Int("profiles", rep.Profiles).Int("merged", rep.Merged).Int("segments_changed", rep.Segments).
		Int("tag_changes", rep.TagChanges).Dur("took", rep.Took).Msg("profiles, segments and tag plans refreshed")
	return nil
}

// LastRefresh returns the last refresh and how many ran.
func (d *Daemon) LastRefresh() (RefreshReport, int64) {
	if d.platforms == nil {
		return RefreshReport{}, 0
	}
	d.platforms.pipeline.Lock()
	defer d.platforms.pipeline.Unlock()
	return d.platforms.lastRefresh, d.platforms.refreshes
}

// Syncers returns the Shopify syncers (for the demo's summary and status).
func (d *Daemon) Syncers() []*shopifysync.Syncer {
	if d.platforms == nil {
		return nil
	}
	return d.platforms.shopify
}

// InboxDepth is the number of webhook deliveries waiting.
func (d *Daemon) InboxDepth() int {
	if d.platforms == nil {
		return 0
	}
	return d.platforms.inbox.Depth()
}

var _ http.Handler = (*webhook.Receiver)(nil)

// Store is the daemon's data file, for in-process readers (the demo's summary).
func (d *Daemon) Store() *store.Store { return d.store }
