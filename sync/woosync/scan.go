package woosync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/connectors/woocommerce"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// ScanReport is what one full customer scan found.
type ScanReport struct {
	Seen     int64 // customers listed
	Changed  int64 // stored because newer (date_modified_gmt) or new
	Deleted  int64 // stored customers no longer listed: tombstoned
	Bad      int64
	Pages    int
	Webhooks woocommerce.EnsureReport // when a public URL is configured
	Took     time.Duration
}

// Scan lists every customer (WooCommerce has no modified filter for them): a customer whose
// date_modified_gmt is newer than the stored one is stored (the ingest's newer-wins does the
// comparison), and a stored customer the store no longer lists is marked deleted. It catches
// what webhooks missed (WooCommerce never retries a failed delivery).
func (s *Syncer) Scan(ctx context.Context) (ScanReport, error) {
	start := time.Now()
	var rep ScanReport
	done, err := s.BackfillDone()
	if err != nil || !done {
		return rep, err
	}
	seen := map[string]bool{}
	w := s.newWriter()
	pr := PhaseReport{Phase: phaseCustomers}
	err = s.opts.Client.Walk(ctx, "customers", woocommerce.CustomersQuery(), 1, func(p woocommerce.Page) error {
		// staff accounts are listed too (role=all) but never stored: addItems skips them
		rep.Pages++
		s.stats.Requests.Add(1)
		for _, raw := range p.Items {
			var id struct {
				ID json.Number `json:"id"`
			}
			if json.Unmarshal(raw, &id) == nil && id.ID != "" {
				seen[id.ID.String()] = true
			}
		}
		rep.Seen += int64(len(p.Items))
		return s.addItems(ctx, w, phaseCustomers, p.Number, p.Items, &pr)
	})
	// What was read is kept even when the walk failed or was cancelled: the checkpoint
	// commits with it, so a restart resumes after the last page stored.
	if ferr := w.Flush(context.WithoutCancel(ctx)); err == nil {
		err = ferr
	}
	if err != nil {
		return rep, fmt.Errorf("woosync: %s: customer scan: %w", s.id, err)
	}
	rep.Changed, rep.Bad = int64(w.Written), pr.Bad
	// Deletions by absence: a listing that read every page is complete.
	var gone []profiles.CustomerRecord
	prefix := []byte("customer/" + s.id + "/")
	err = s.opts.DB.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.SourceRecords, prefix, func(k, v []byte) error {
			if seen[string(bytes.TrimPrefix(k, prefix))] {
				return nil
			}
			var c profiles.CustomerRecord
			if err := codec.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			if !c.Deleted {
				gone = append(gone, c)
			}
			return nil
		})
	})
	if err != nil {
		return rep, fmt.Errorf("woosync: %s: customer scan: %w", s.id, err)
	}
	if len(gone) > 0 {
		w := s.newWriter()
		now := s.now()
		for _, c := range gone {
			t := profiles.CustomerRecord{Store: s.id, ID: c.ID, Deleted: true, UpdatedAt: maxTime(now, c.UpdatedAt.Add(time.Second))}
			if err := w.AddCustomer(ctx, t); err != nil {
				return rep, err
			}
		}
		if err := w.Flush(ctx); err != nil {
			return rep, fmt.Errorf("woosync: %s: customer scan: %w", s.id, err)
		}
		rep.Deleted = int64(len(gone))
		s.stats.Deleted.Add(rep.Deleted)
	}
	if rep.Changed+rep.Deleted > 0 {
		s.opts.Changed()
	}
	rep.Took = time.Since(start)
	return rep, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// modifiedGMT is a raw record's date_modified_gmt (WooCommerce writes it without a zone).
func modifiedGMT(raw json.RawMessage) time.Time {
	var r struct {
		M string `json:"date_modified_gmt"`
	}
	if json.Unmarshal(raw, &r) != nil || r.M == "" {
		return time.Time{}
	}
	t, err := time.Parse("2006-01-02T15:04:05", r.M)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
