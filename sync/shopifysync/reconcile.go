package shopifysync

import (
	"context"
	"fmt"

	"github.com/cohortd/cohortd/store"
)

// ReconcileReport compares the store's counts with what is held locally.
type ReconcileReport struct {
	RemoteCustomers, RemoteOrders int64
	LocalCustomers, LocalOrders   int64
	Reread                        bool // a full re-read ran because records were missing
	Backfill                      BackfillReport
}

// Reconcile compares Shopify's customer and order counts with the records held for the store
// and, when records are missing (webhooks lost while the daemon was down, a poll window
// missed), reads the whole store again. Records are newer-wins, so the re-read only adds
// what was missing and refreshes what is stale.
func (s *Syncer) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	done, err := s.BackfillDone()
	if err != nil || !done {
		return rep, err
	}
	counts, err := s.opts.Client.Counts(ctx, "", "")
	if err != nil {
		return rep, fmt.Errorf("shopifysync: %s: reconcile: %w", s.id, err)
	}
	rep.RemoteCustomers, rep.RemoteOrders = counts.Customers.Count, counts.Orders.Count
	rep.LocalCustomers, rep.LocalOrders, err = s.localCounts()
	if err != nil {
		return rep, err
	}
	s.log.Info().Int64("remote_customers", rep.RemoteCustomers).Int64("local_customers", rep.LocalCustomers).
		Int64("remote_orders", rep.RemoteOrders).Int64("local_orders", rep.LocalOrders).Msg("shopify: reconcile")
	if rep.LocalCustomers >= rep.RemoteCustomers && rep.LocalOrders >= rep.RemoteOrders {
		return rep, nil
	}
	rep.Reread = true
	if err := s.saveCheckpoint(ctx, checkpoint{Phase: phaseCustomers, Started: s.now()}); err != nil {
		return rep, err
	}
	rep.Backfill, err = s.Backfill(ctx)
	return rep, err
}

// localCounts counts the store's live customer records and its order records.
func (s *Syncer) localCounts() (customers, orders int64, err error) {
	err = s.opts.DB.View(func(tx *store.Tx) error {
		if err := tx.ForEachPrefix(store.SourceRecords, []byte("customer/"+s.id+"/"), func(_, _ []byte) error {
			customers++
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachPrefix(store.SourceRecords, []byte("order/"+s.id+"/"), func(_, _ []byte) error {
			orders++
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("shopifysync: %s: count local records: %w", s.id, err)
	}
	return customers, orders, nil
}

// Restart makes the next Backfill read the whole store again (records are newer-wins, so it
// only adds what is missing and refreshes what is stale).
func (s *Syncer) Restart(ctx context.Context) error {
	return s.saveCheckpoint(ctx, checkpoint{Phase: phaseCustomers, Started: s.now()})
}
