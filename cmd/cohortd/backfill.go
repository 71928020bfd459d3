package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/shopify"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/segmenter"
	"github.com/cohortd/cohortd/sync/shopifysync"
)

func backfillCommand() *command {
	var storeID string
	var again bool
	return &command{
		name:    "backfill",
		summary: "read every customer and order of the platform stores (resuming an interrupted read), then rebuild profiles, segments and tag plans",
		usage:   "[--store ID] [--again]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&storeID, "store", "", "only this store (default: every Shopify store)")
			fs.BoolVar(&again, "again", false, "read the whole store again even if it was backfilled (records are newer-wins)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			cfg, _, err := e.loadConfig()
			if err != nil {
				return err
			}
			log, err := e.logger()
			if err != nil {
				return err
			}
			var stores []config.Store
			for _, s := range cfg.Stores {
				if s.Kind == config.KindShopify && (storeID == "" || s.ID == storeID) {
					stores = append(stores, s)
				}
			}
			if len(stores) == 0 {
				return usageErr("no Shopify store%s in the config", map[bool]string{true: " " + storeID, false: ""}[storeID != ""])
			}
			return withStore(cfg, false, func(st *store.Store) error {
				build, err := ingest.BuildOptions(cfg)
				if err != nil {
					return err
				}
				ob := outbox.New(st, outbox.Options{Logger: log})
				var syncers []*shopifysync.Syncer
				// What the rebuild reads of each record, kept as the records are stored: when
				// the store was empty and one store is read, the rebuild need not read the
				// data file back (ingest.Digests gives itself up otherwise).
				digests := ingest.NewDigests(build)
				for _, sc := range stores {
					client, err := shopifysync.ClientFor(sc, shopify.Options{Logger: log})
					if err != nil {
						return err
					}
					s, err := shopifysync.New(shopifysync.Options{Store: sc, Config: cfg, DB: st, Client: client, Outbox: ob,
						Build: build, DataDir: cfg.DataDir, Logger: log})
					if err != nil {
						return err
					}
					if again {
						if err := s.Restart(ctx); err != nil {
							return err
						}
					}
					start := time.Now()
					rep, err := s.BackfillDigests(ctx, digests)
					for _, p := range rep.Phases {
						fmt.Fprintf(e.stdout, "%s %s (%s): expected %d, received %d, records %d, bad %d, resumed %v; waited %s for the export, read it in %s\n",
							sc.ID, p.Phase, p.Mode, p.Expected, p.Received, p.Records, p.Bad, p.Resumed,
							p.Waited.Round(time.Millisecond), p.Read.Round(time.Millisecond))
					}
					if err != nil {
						return err
					}
					if rep.Skipped {
						digests.Void("a store backfilled before")
						fmt.Fprintf(e.stdout, "%s: backfilled before (use --again to read it again)\n", sc.ID)
					} else {
						fmt.Fprintf(e.stdout, "%s: read in %s\n", sc.ID, time.Since(start).Round(time.Millisecond))
					}
					syncers = append(syncers, s)
				}
				start := time.Now()
				if ok, why := digests.Usable(); !ok {
					log.Debug().Str("reason", why).Msg("rebuild reads the records back from the data file")
				}
				res, fromDigests, err := ingest.RebuildDigests(ctx, st, build, digests)
				if err != nil {
					return err
				}
				q := res.Quality
				how := "records read back"
				if fromDigests {
					how = "records as read"
				}
				fmt.Fprintf(e.stdout, "profiles: %d from %d identities (%d merged) in %s (%s)\n", q.Profiles, q.Identities,
					q.Identities-q.Profiles, time.Since(start).Round(time.Millisecond), how)
				start = time.Now()
				sopts, err := segmenter.BuildOptions(cfg)
				if err != nil {
					return err
				}
				srep, err := segmenter.Recompute(ctx, st, sopts, time.Now())
				if err != nil {
					return err
				}
				tm := srep.Model.Timings
				fmt.Fprintf(e.stdout, "segments: %d profiles changed segments in %s (load %s, compute %s, store %s)\n", srep.Changed,
					time.Since(start).Round(time.Millisecond), tm["load"].Round(time.Millisecond), tm["compute"].Round(time.Millisecond),
					tm["store"].Round(time.Millisecond))
				for _, s := range syncers {
					start = time.Now()
					plan, err := s.PlanTags(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "%s tags: %d customers to change (+%d -%d tags), queued for the daemon in %s\n",
						s.ID(), len(plan.Changes), plan.Adds, plan.Removes, time.Since(start).Round(time.Millisecond))
				}
				return nil
			})
		},
	}
}
