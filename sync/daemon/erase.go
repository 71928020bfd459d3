package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/ingest"
	"github.com/cohortd/cohortd/sync/privacy"
)

// EraseResult is what POST /admin/erase answers: counts only, never the address.
type EraseResult struct {
	Customers       int `json:"customers"`
	Orders          int `json:"orders"`
	ProfilesRemoved int `json:"profiles_removed"`
	DeadLetters     int `json:"dead_letters"`
	// Destinations are the email destinations the deletion was queued at (their pushers
	// deliver it; `cohortd outbox status` shows it until then).
	Destinations []string `json:"destinations"`
}

// Erase erases a person by address: locally (privacy.EraseEmail, serialised with refreshes)
// and, queued in the erasure's own transaction, at every email destination. The address
// itself is queued even when no local profile held it any more (a destination may still
// have it from an earlier push).
func (d *Daemon) Erase(ctx context.Context, address string) (EraseResult, error) {
	address = strings.TrimSpace(address)
	if address == "" || !strings.Contains(address, "@") {
		return EraseResult{}, fmt.Errorf("erase: %w: want an e-mail address", errBadRequest)
	}
	build, err := ingest.BuildOptions(d.cfg)
	if err != nil {
		return EraseResult{}, err
	}
	p := d.platforms
	p.pipeline.Lock()
	defer p.pipeline.Unlock()
	res, err := privacy.EraseEmail(ctx, d.store, privacy.Options{Build: build, Logger: d.log, OnErased: p.onErased}, address)
	if err != nil {
		return EraseResult{}, err
	}
	if !slices.ContainsFunc(res.Erased, func(a string) bool { return strings.EqualFold(a, address) }) {
		if err := d.store.Update(ctx, func(tx *store.Tx) error { return p.onErased(tx, []string{address}) }); err != nil {
			return EraseResult{}, fmt.Errorf("erase: queue deletions: %w", err)
		}
	}
	out := EraseResult{Customers: res.Customers, Orders: res.Orders, ProfilesRemoved: len(res.ProfilesRemoved), DeadLetters: res.DeadLetters}
	for _, s := range p.email {
		out.Destinations = append(out.Destinations, s.ID())
		p.outbox.Notify(s.ID())
	}
	d.segmenter = nil // profiles changed under it
	p.changed()
	return out, nil
}

var errBadRequest = errors.New("bad request")

func (d *Daemon) handleErase(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, `{"error":"want a JSON body {\"email\": \"...\"}"}`, http.StatusBadRequest)
		return
	}
	res, err := d.Erase(r.Context(), req.Email)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, errBadRequest) {
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(res)
}
