package privacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
	"github.com/cohortd/cohortd/sync/segmenter"
)

// ExportFormat names the layout of DataExport; it changes when a field changes meaning.
const ExportFormat = "cohortd-privacy-export/1"

// ExportDir is the folder of the data directory exports are written to.
const ExportDir = "privacy"

// DataExport is everything cohortd holds about one customer of one store (Shopify's
// customers/data_request). Records are as the platform reported them; profiles are as held,
// which can include data from other stores merged into the same person: each ProfileExport
// says which of its sources the request covers and which it does not, and the profile's
// FieldSources says which source each surviving field came from.
type DataExport struct {
	Format      string    `json:"format"`
	GeneratedAt time.Time `json:"generated_at"`
	RequestID   string    `json:"request_id,omitempty"`
	Store       string    `json:"store"`
	CustomerID  string    `json:"customer_id,omitempty"`
	// Customer is the stored customer record, nil when none is held.
	Customer *profiles.CustomerRecord `json:"customer"`
	// Orders are the customer's orders, the orders the request lists and the store's guest
	// orders with one of the customer's addresses.
	Orders   []profiles.OrderRecord `json:"orders"`
	Profiles []ProfileExport        `json:"profiles"`
}

// ProfileExport is one profile linked to the customer, with what is derived from it.
type ProfileExport struct {
	Profile profiles.Profile `json:"profile"`
	// RequestSources are the profile's sources the request covers (this store's customer and
	// guest orders); OtherSources are the rest, merged in as the same person.
	RequestSources []profiles.SourceRef `json:"request_sources"`
	OtherSources   []profiles.SourceRef `json:"other_sources,omitempty"`
	// MergeAudit says why the sources were put together.
	MergeAudit []profiles.MergeAudit `json:"merge_audit,omitempty"`
	// Segments are the profile's current segment memberships, nil when none is stored.
	Segments *segmenter.Record `json:"segments"`
	// SegmentHistory are the recorded entries into and exits from segments, oldest first.
	SegmentHistory []segmenter.Event `json:"segment_history,omitempty"`
	// Destinations is what each destination was last told about the profile.
	Destinations []DestinationState `json:"destinations,omitempty"`
}

// DestinationState is what one destination was last told about a profile.
type DestinationState struct {
	Destination string           `json:"destination"`
	State       segmenter.Record `json:"state"`
}

// Export gathers, from one consistent snapshot, everything held about the customer req
// names. It changes nothing.
func Export(st *store.Store, req Request) (DataExport, error) {
	e := DataExport{Format: ExportFormat, GeneratedAt: time.Now().UTC(), RequestID: safeToken(req.RequestID),
		Store: req.Store, CustomerID: req.CustomerID, Orders: []profiles.OrderRecord{}, Profiles: []ProfileExport{}}
	err := st.View(func(tx *store.Tx) error {
		sel, err := selectCustomer(tx, req)
		if err != nil {
			return err
		}
		for i := range sel.customers {
			if c := sel.customers[i]; c.Store == req.Store && c.ID == req.CustomerID {
				e.Customer = &c
			}
		}
		e.Orders = append(e.Orders, sel.orders...)
		slices.SortFunc(e.Orders, func(a, b profiles.OrderRecord) int { return strings.Compare(a.ID, b.ID) })
		ids := make([]string, 0, len(sel.profiles))
		for id := range sel.profiles {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			pe, ok, err := exportProfile(tx, id, sel.target)
			if err != nil {
				return err
			}
			if ok {
				e.Profiles = append(e.Profiles, pe)
			}
		}
		return nil
	})
	if err != nil {
		return DataExport{}, fmt.Errorf("privacy: export: %w", err)
	}
	return e, nil
}

func exportProfile(tx *store.Tx, id string, t target) (ProfileExport, bool, error) {
	var pe ProfileExport
	if err := tx.GetValue(store.Profiles, []byte(id), &pe.Profile); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return pe, false, nil
		}
		return pe, false, err
	}
	pe.RequestSources = []profiles.SourceRef{}
	for _, s := range pe.Profile.Sources {
		if t.has(s.Key()) {
			pe.RequestSources = append(pe.RequestSources, s)
		} else {
			pe.OtherSources = append(pe.OtherSources, s)
		}
	}
	if err := tx.ForEachPrefix(store.MergeAudit, []byte(mergePrefix+id+"/"), func(k, v []byte) error {
		var a profiles.MergeAudit
		if err := codec.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		pe.MergeAudit = append(pe.MergeAudit, a)
		return nil
	}); err != nil {
		return pe, false, err
	}
	if v := tx.Get(store.Memberships, []byte(memberPrefix+id)); v != nil {
		var r segmenter.Record
		if err := codec.Unmarshal(v, &r); err != nil {
			return pe, false, fmt.Errorf("decode memberships of %s: %w", id, err)
		}
		pe.Segments = &r
	}
	if err := tx.ForEachPrefix(store.Memberships, []byte(eventPrefix), func(k, v []byte) error {
		if lastElem(k) != id {
			return nil
		}
		var ev segmenter.Event
		if err := codec.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		pe.SegmentHistory = append(pe.SegmentHistory, ev)
		return nil
	}); err != nil {
		return pe, false, err
	}
	if err := tx.ForEachPrefix(store.Applied, []byte(appliedPrefix), func(k, v []byte) error {
		if lastElem(k) != id {
			return nil
		}
		var r segmenter.Record
		if err := codec.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		dest := string(k[len(appliedPrefix) : len(k)-len(id)-1])
		pe.Destinations = append(pe.Destinations, DestinationState{Destination: dest, State: r})
		return nil
	}); err != nil {
		return pe, false, err
	}
	return pe, true, nil
}

// WriteExport writes e as JSON to DATA_DIR/privacy/ (created 0700) in a file of mode 0600,
// atomically (a reader never sees half a file), and returns its path. The file name holds
// no personal data: export_STORE_CUSTOMER_TIME_REQUEST.json.
func WriteExport(dataDir string, e DataExport) (path string, err error) {
	dir := filepath.Join(dataDir, ExportDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("privacy: write export: create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("privacy: write export: chmod %s: %w", dir, err)
	}
	customer := e.CustomerID
	if customer == "" {
		customer = "guest"
	}
	name := fmt.Sprintf("export_%s_%s_%s", safeToken(e.Store), safeToken(customer),
		e.GeneratedAt.UTC().Format("20060102T150405.000000000Z"))
	if e.RequestID != "" {
		name += "_" + safeToken(e.RequestID)
	}
	path = filepath.Join(dir, name+".json")

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return "", fmt.Errorf("privacy: write export: encode: %w", err)
	}
	f, err := os.CreateTemp(dir, ".export-*.tmp") // created 0600
	if err != nil {
		return "", fmt.Errorf("privacy: write export: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err == nil {
		if _, err = f.Write(buf.Bytes()); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("privacy: write export %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("privacy: write export %s: %w", path, err)
	}
	return path, nil
}
