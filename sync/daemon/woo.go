package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/sync/woosync"
)

// setupWoo creates one Syncer per WooCommerce store and registers its webhook source.
func (d *Daemon) setupWoo(p *platforms) error {
	for _, sc := range d.cfg.Stores {
		if sc.Kind != config.KindWooCommerce {
			continue
		}
		log := d.log.With().Str("component", "woocommerce").Logger()
		client, err := woosync.ClientFor(sc, log.With().Str("store", sc.ID).Logger())
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		s, err := woosync.New(woosync.Options{Store: sc, Config: d.cfg, DB: d.store, Client: client, Outbox: p.outbox,
			Changed: p.changed, Logger: log})
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		if err := p.receiver.Register(woosync.Platform, sc.ID, woocommerce.WebhookSource{Secrets: woosync.Secrets(sc)}); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		p.woo = append(p.woo, s)
		p.byWoo[sc.ID] = s
	}
	return nil
}

// runWoo backfills a WooCommerce store (retrying with backoff until it completes), then
// checks its webhook subscriptions and runs the meta write-back.
func (d *Daemon) runWoo(ctx context.Context, s *woosync.Syncer) {
	if !d.backfillUntilDone(ctx, s.ID(), "woocommerce", func(ctx context.Context) (bool, time.Duration, error) {
		rep, err := s.Backfill(ctx)
		return rep.Skipped, rep.Took, err
	}) {
		return
	}
	d.platforms.changed()
	d.checkWooWebhooks(ctx, s)
}

// checkWooWebhooks makes the store's subscriptions exist and be active. WooCommerce disables a
// webhook after more than 5 failed deliveries and never retries them: a re-enabled webhook
// means lost deliveries, so the store is polled and its customers scanned at once.
func (d *Daemon) checkWooWebhooks(ctx context.Context, s *woosync.Syncer) {
	url := d.cfg.HTTP.PublicURL
	if url == "" {
		return
	}
	callback := strings.TrimRight(url, "/") + "/webhooks/" + woosync.Platform + "/" + s.ID()
	rep, err := s.EnsureWebhooks(ctx, callback)
	if err != nil {
		d.log.Warn().Err(err).Str("store", s.ID()).Msg("woocommerce: webhook subscriptions not checked; polling and scans continue")
		return
	}
	ev := d.log.Info()
	if len(rep.Reenabled)+len(rep.Paused) > 0 {
		ev = d.log.Warn()
	}
	ev.Str("store", s.ID()).Int("active", len(rep.Active)).Int("created", len(rep.Created)).
		Int("reenabled", len(rep.Reenabled)).Int("paused", len(rep.Paused)).Msg("woocommerce: webhook subscriptions checked")
	if len(rep.Reenabled) > 0 {
		// Deliveries were lost while it was disabled: read what they would have carried.
		if _, err := s.Poll(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Str("store", s.ID()).Msg("woocommerce: poll after re-enabling webhooks failed")
		}
		d.platforms.pipeline.Lock()
		_, err := s.Scan(ctx)
		d.platforms.pipeline.Unlock()
		if err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Str("store", s.ID()).Msg("woocommerce: customer scan after re-enabling webhooks failed")
		}
	}
}

// pollWoo polls every WooCommerce store's orders and checks its webhooks.
func (d *Daemon) pollWoo(ctx context.Context) error {
	var errs []error
	for _, s := range d.platforms.woo {
		mu := d.platforms.pollLock(s.ID())
		mu.Lock()
		rep, err := s.Poll(ctx)
		mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.log.Debug().Str("store", s.ID()).Int64("orders", rep.Orders).Msg("poll")
		if done, _ := s.BackfillDone(); done {
			d.checkWooWebhooks(ctx, s)
		}
	}
	return errors.Join(errs...)
}

// scanWoo is the reconciliation of WooCommerce stores: a full customer scan (changes by
// date_modified_gmt, deletions by absence).
func (d *Daemon) scanWoo(ctx context.Context) error {
	var errs []error
	for _, s := range d.platforms.woo {
		d.platforms.pipeline.Lock()
		rep, err := s.Scan(ctx)
		d.platforms.pipeline.Unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.log.Info().Str("store", s.ID()).Int64("customers", rep.Seen).Int64("changed", rep.Changed).
			Int64("deleted", rep.Deleted).Msg("woocommerce: customer scan")
	}
	return errors.Join(errs...)
}

// planWoo queues every WooCommerce store's meta write-back and counts its guest-only
// profiles.
func (p *platforms) planWoo(ctx context.Context) (int, error) {
	n := 0
	for _, s := range p.woo {
		plan, err := s.PlanMeta(ctx)
		if err != nil {
			return n, err
		}
		n += len(plan.Changes)
		if _, err := s.CountGuestOnly(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}

// WooSyncers returns the WooCommerce syncers (demo summary, status).
func (d *Daemon) WooSyncers() []*woosync.Syncer {
	if d.platforms == nil {
		return nil
	}
	return d.platforms.woo
}
