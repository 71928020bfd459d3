package daemon

import (
	"encoding/json"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/emailsync"
	"github.com/cohortd/cohortd/sync/outbox"
	"github.com/cohortd/cohortd/sync/scheduler"
	"github.com/cohortd/cohortd/sync/shopifysync"
	"github.com/cohortd/cohortd/sync/woosync"
)

// Status is what `cohortd status` prints and GET /admin/status returns. It names stores and
// destinations by id and kind only: never a secret, never a customer.
type Status struct {
	Version       string    `json:"version"`
	Running       bool      `json:"running"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	Uptime        string    `json:"uptime,omitempty"`
	Config        string    `json:"config,omitempty"`
	Listen        string    `json:"listen,omitempty"`
	DataFile      string    `json:"data_file"`
	SchemaVersion int       `json:"schema_version"`
	FileBytes     int64     `json:"file_bytes"`
	// MemoryLimit is the Go runtime's soft memory limit in bytes (GOMEMLIMIT, or 90% of the
	// container's memory limit); 0 when there is none.
	MemoryLimit  int64                 `json:"memory_limit,omitempty"`
	Buckets      map[string]int        `json:"buckets"`
	Ready        bool                  `json:"ready"`
	Problems     []string              `json:"problems,omitempty"`
	Jobs         []scheduler.JobStatus `json:"jobs"`
	Stores       []Endpoint            `json:"stores"`
	Destinations []Endpoint            `json:"destinations"`
	// Sync is each platform store's backfill and poll state; Queues the webhook inbox and
	// the destinations' outboxes; Refresh the last profile/segment refresh.
	Sync    []shopifysync.State `json:"sync,omitempty"`
	Queues  *Queues             `json:"queues,omitempty"`
	Refresh *RefreshReport      `json:"refresh,omitempty"`
	// Email is each email destination's suppressions and (in a running daemon) delivery
	// health.
	Email []EmailStatus `json:"email,omitempty"`
	// Woo is each WooCommerce store's sync state.
	Woo []woosync.State `json:"woocommerce,omitempty"`
}

// WooStatus reads the WooCommerce stores' sync state from a data file.
func WooStatus(st *store.Store, cfg *config.Config) ([]woosync.State, error) {
	var out []woosync.State
	for _, sc := range cfg.Stores {
		if sc.Kind != config.KindWooCommerce {
			continue
		}
		s, err := woosync.ReadState(st, sc.ID)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// EmailStatus is one email destination's state.
type EmailStatus struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	Suppressions map[string]int    `json:"suppressions"` // by status
	Health       *emailsync.Health `json:"health,omitempty"`
}

// EmailStatuses reads the email destinations' suppressions from a data file.
func EmailStatuses(st *store.Store, cfg *config.Config) ([]EmailStatus, error) {
	var out []EmailStatus
	for _, d := range cfg.Destinations {
		if !emailsync.IsEmail(d.Kind) {
			continue
		}
		counts, err := emailsync.SuppressionCounts(st, d.ID)
		if err != nil {
			return out, err
		}
		es := EmailStatus{ID: d.ID, Kind: d.Kind, Suppressions: map[string]int{}}
		for k, n := range counts {
			es.Suppressions[string(k)] = n
		}
		out = append(out, es)
	}
	return out, nil
}

// Queues are the durable queues' depths.
type Queues struct {
	Inbox  int                        `json:"inbox"`
	Outbox []outbox.DestinationStatus `json:"outbox,omitempty"`
}

// SyncStatus reads the platform stores' sync state and the queues from a data file.
func SyncStatus(st *store.Store, cfg *config.Config, now time.Time) ([]shopifysync.State, *Queues, error) {
	var states []shopifysync.State
	for _, sc := range cfg.Stores {
		if sc.Kind != config.KindShopify {
			continue
		}
		s, err := shopifysync.ReadState(st, sc.ID)
		if err != nil {
			return nil, nil, err
		}
		states = append(states, s)
	}
	q := &Queues{}
	var err error
	if q.Outbox, err = outbox.Status(st, now); err != nil {
		return states, nil, err
	}
	_ = st.View(func(tx *store.Tx) error { q.Inbox = inboxEntries(tx); return nil })
	return states, q, nil
}

// inboxEntries counts the webhook deliveries not yet applied (sync/webhook keeps them under
// "e/").
func inboxEntries(tx *store.Tx) int {
	n := 0
	_ = tx.ForEachPrefix(store.Inbox, []byte("e/"), func(_, _ []byte) error { n++; return nil })
	return n
}

// Endpoint names one configured store or destination.
type Endpoint struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// BackupChecksumTrailer carries the checksum of the data streamed by GET /admin/backup, taken in
// the same read transaction, so the client can verify the copy it wrote.
const BackupChecksumTrailer = "Cohortd-Backup-Checksum"

func (d *Daemon) mountAdmin() {
	d.server.HandleAdmin("GET /admin/status", http.HandlerFunc(d.handleStatus))
	d.server.HandleAdmin("GET /admin/backup", http.HandlerFunc(d.handleBackup))
	d.server.HandleAdmin("POST /admin/erase", http.HandlerFunc(d.handleErase))
}

// Status reports the daemon's state.
func (d *Daemon) Status() Status {
	s := Status{
		Version:   d.opts.Version,
		Running:   true,
		StartedAt: d.started.UTC(),
		Uptime:    time.Since(d.started).Round(time.Second).String(),
		Config:    d.opts.ConfigSource,
		Listen:    d.Addr(),
		DataFile:  d.store.Path(),
		Jobs:      d.scheduler.Status(),
		Ready:     true,
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		s.MemoryLimit = l
	}
	for _, st := range d.cfg.Stores {
		s.Stores = append(s.Stores, Endpoint{ID: st.ID, Kind: st.Kind})
	}
	for _, ds := range d.cfg.Destinations {
		s.Destinations = append(s.Destinations, Endpoint{ID: ds.ID, Kind: ds.Kind})
	}
	if v, err := d.store.SchemaVersion(); err == nil {
		s.SchemaVersion = v
	} else {
		s.Ready = false
		s.Problems = append(s.Problems, err.Error())
	}
	if st, err := d.store.Stats(); err == nil {
		s.FileBytes = st.FileSize
		s.Buckets = st.Buckets
	} else {
		s.Problems = append(s.Problems, err.Error())
	}
	if err := d.scheduler.Healthy(); err != nil {
		s.Ready = false
		s.Problems = append(s.Problems, err.Error())
	}
	if sync, q, err := SyncStatus(d.store, d.cfg, time.Now()); err == nil {
		s.Sync, s.Queues = sync, q
		if d.platforms != nil {
			q.Inbox = d.platforms.inbox.Depth()
		}
	} else {
		s.Problems = append(s.Problems, err.Error())
	}
	if rep, n := d.LastRefresh(); n > 0 {
		s.Refresh = &rep
	}
	for _, w := range d.WooSyncers() {
		ws, err := w.State()
		if err != nil {
			s.Problems = append(s.Problems, err.Error())
			continue
		}
		s.Woo = append(s.Woo, ws)
	}
	if es, err := EmailStatuses(d.store, d.cfg); err == nil {
		for i := range es {
			for _, sy := range d.EmailSyncers() {
				if sy.ID() == es[i].ID {
					h := sy.Health()
					es[i].Health = &h
					if h.Failing {
						s.Problems = append(s.Problems, "destination "+sy.ID()+" is failing: "+h.LastError)
					}
				}
			}
		}
		s.Email = es
	} else {
		s.Problems = append(s.Problems, err.Error())
	}
	return s
}

func (d *Daemon) handleStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.Status()); err != nil {
		d.log.Warn().Err(err).Msg("write status")
	}
}

// handleBackup streams a consistent hot copy of the data file. The checksum of what was
// streamed arrives as an HTTP trailer; a client that does not get it must treat the copy as
// incomplete.
func (d *Daemon) handleBackup(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Trailer", BackupChecksumTrailer)
	sum, n, err := d.store.WriteBackup(w)
	if err != nil {
		// Headers are gone once bytes were written; the missing trailer tells the client.
		d.log.Error().Err(err).Int64("bytes", n).Msg("backup stream failed")
		if n == 0 {
			http.Error(w, "backup failed", http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set(BackupChecksumTrailer, sum.Checksum)
	d.log.Info().Str("bytes", strconv.FormatInt(n, 10)).Msg("backup streamed")
}
