package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/emailsync"
)

// setupEmail creates one Syncer per email destination.
func (d *Daemon) setupEmail(p *platforms) error {
	for _, dest := range d.cfg.Destinations {
		if !emailsync.IsEmail(dest.Kind) {
			continue
		}
		log := d.log.With().Str("component", dest.Kind).Logger()
		pl, err := emailsync.PlatformFor(dest, log)
		if err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
		p.email = append(p.email, emailsync.New(emailsync.Options{DB: d.store, Config: d.cfg, Dest: dest,
			Platform: pl, Outbox: p.outbox, Logger: log}))
	}
	if len(p.email) > 0 {
		if err := d.registry.Register(&destinationCollector{p: p}); err != nil {
			return fmt.Errorf("daemon: destination metrics: %w", err)
		}
	}
	return nil
}

// onErased queues, in an erasure's transaction, the deletion of the erased addresses at
// every email destination.
func (p *platforms) onErased(tx *store.Tx, addresses []string) error {
	for _, s := range p.email {
		if err := s.QueueErase(tx, addresses); err != nil {
			return err
		}
	}
	return nil
}

// planEmail queues every email destination's changes (after a segment recompute).
func (p *platforms) planEmail(ctx context.Context) (int, error) {
	n := 0
	for _, s := range p.email {
		plan, err := s.Plan(ctx)
		if err != nil {
			return n, err
		}
		n += len(plan.Changes)
	}
	return n, nil
}

// suppressionsJob is the status pass of every email destination.
func (d *Daemon) suppressionsJob(ctx context.Context) error {
	var errs []error
	for _, s := range d.platforms.email {
		if _, err := s.StatusPass(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkDestinations is a degraded readiness check: it names the email destinations whose
// last sends all failed.
func (d *Daemon) checkDestinations(context.Context) error {
	if d.platforms == nil {
		return nil
	}
	var failing []string
	for _, s := range d.platforms.email {
		if h := s.Health(); h.Failing {
			failing = append(failing, fmt.Sprintf("%s: %d sends failed in a row: %s", s.ID(), h.FailedSends, h.LastError))
		}
	}
	if len(failing) > 0 {
		return errors.New("destination failing: " + strings.Join(failing, "; "))
	}
	return nil
}

// EmailSyncers returns the email destinations' syncers (demo summary, status).
func (d *Daemon) EmailSyncers() []*emailsync.Syncer {
	if d.platforms == nil {
		return nil
	}
	return d.platforms.email
}

// destinationCollector exports each email destination's health.
type destinationCollector struct{ p *platforms }

var (
	destFailingDesc = prometheus.NewDesc("cohortd_destination_failing",
		"1 when the destination's last sends all failed (see cohortd status).", []string{"destination", "kind"}, nil)
	destFailedDesc = prometheus.NewDesc("cohortd_destination_failed_sends",
		"Sends in a row that failed entirely.", []string{"destination", "kind"}, nil)
	destSuppressedDesc = prometheus.NewDesc("cohortd_destination_suppressions_learned_total",
		"Addresses found suppressed at the destination while writing.", []string{"destination", "kind"}, nil)
	destDeletedDesc = prometheus.NewDesc("cohortd_destination_deleted_total",
		"Contacts deleted at the destination by privacy erasures.", []string{"destination", "kind"}, nil)
)

func (c *destinationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- destFailingDesc
	ch <- destFailedDesc
	ch <- destSuppressedDesc
	ch <- destDeletedDesc
}

func (c *destinationCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.p.email {
		h := s.Health()
		failing := 0.0
		if h.Failing {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(destFailingDesc, prometheus.GaugeValue, failing, s.ID(), s.Kind())
		ch <- prometheus.MustNewConstMetric(destFailedDesc, prometheus.GaugeValue, float64(h.FailedSends), s.ID(), s.Kind())
		ch <- prometheus.MustNewConstMetric(destSuppressedDesc, prometheus.CounterValue, float64(h.Suppressed), s.ID(), s.Kind())
		ch <- prometheus.MustNewConstMetric(destDeletedDesc, prometheus.CounterValue, float64(h.Deleted), s.ID(), s.Kind())
	}
}
