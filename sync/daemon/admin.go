package daemon

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cohortd/cohortd/sync/scheduler"
)

// Status is what `cohortd status` prints and GET /admin/status returns. It names stores and
// destinations by id and kind only: never a secret, never a customer.
type Status struct {
	Version       string                `json:"version"`
	Running       bool                  `json:"running"`
	StartedAt     time.Time             `json:"started_at,omitzero"`
	Uptime        string                `json:"uptime,omitempty"`
	Config        string                `json:"config,omitempty"`
	Listen        string                `json:"listen,omitempty"`
	DataFile      string                `json:"data_file"`
	SchemaVersion int                   `json:"schema_version"`
	FileBytes     int64                 `json:"file_bytes"`
	Buckets       map[string]int        `json:"buckets"`
	Ready         bool                  `json:"ready"`
	Problems      []string              `json:"problems,omitempty"`
	Jobs          []scheduler.JobStatus `json:"jobs"`
	Stores        []Endpoint            `json:"stores"`
	Destinations  []Endpoint            `json:"destinations"`
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
