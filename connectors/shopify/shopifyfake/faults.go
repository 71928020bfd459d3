package shopifyfake

import (
	"net/http"
	"sync"
	"time"
)

// FaultKind selects what goes wrong.
type FaultKind int

// Faults the fake can inject.
const (
	// FaultServerError answers the next Count GraphQL requests with Status (default 503) and
	// Shopify's JSON error body.
	FaultServerError FaultKind = iota + 1
	// FaultHang holds the next Count GraphQL requests for Delay (default 2 minutes) or until
	// the client gives up, then answers 504.
	FaultHang
	// FaultBulkFailed makes the next bulk query stop after AfterRoots root objects (default 1)
	// with FAILED / INTERNAL_SERVER_ERROR and a partialDataUrl.
	FaultBulkFailed
	// FaultTruncatedDownload cuts the next Count result downloads mid-line.
	FaultTruncatedDownload
	// FaultExpiredURL makes the next Count issued result URLs already expired.
	FaultExpiredURL
	// FaultBulkSlow keeps the next Count bulk operations RUNNING for Delay before they
	// export anything (to test polling and OPERATION_IN_PROGRESS).
	FaultBulkSlow
)

// Fault is one injected fault.
type Fault struct {
	Kind       FaultKind
	Count      int // how many times it fires, default 1
	Status     int
	Delay      time.Duration
	AfterRoots int64
}

type faults struct {
	mu     sync.Mutex
	active []Fault
}

// InjectFault arms a fault; faults of different kinds are independent.
func (f *Fake) InjectFault(ft Fault) {
	if ft.Count <= 0 {
		ft.Count = 1
	}
	f.faults.mu.Lock()
	f.faults.active = append(f.faults.active, ft)
	f.faults.mu.Unlock()
}

// ClearFaults disarms every fault.
func (f *Fake) ClearFaults() {
	f.faults.mu.Lock()
	f.faults.active = nil
	f.faults.mu.Unlock()
}

// take consumes one firing of a fault of kind k.
func (fs *faults) take(k FaultKind) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.active {
		if fs.active[i].Kind == k {
			ft := fs.active[i]
			fs.active[i].Count--
			if fs.active[i].Count <= 0 {
				fs.active = append(fs.active[:i], fs.active[i+1:]...)
			}
			return ft, true
		}
	}
	return Fault{}, false
}

// http applies request faults; true when the response was written.
func (fs *faults) http(w http.ResponseWriter, r *http.Request, f *Fake) bool {
	if ft, ok := fs.take(FaultServerError); ok {
		f.faultsFired.Add(1)
		st := ft.Status
		if st == 0 {
			st = http.StatusServiceUnavailable
		}
		writeJSON(w, st, []byte(`{"errors":"`+http.StatusText(st)+`"}`))
		return true
	}
	if ft, ok := fs.take(FaultHang); ok {
		f.faultsFired.Add(1)
		d := ft.Delay
		if d == 0 {
			d = 2 * time.Minute
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-f.ctx.Done():
		}
		writeJSON(w, http.StatusGatewayTimeout, []byte(`{"errors":"Gateway Timeout"}`))
		return true
	}
	return false
}

func (fs *faults) bulkFailure(f *Fake) int64 {
	ft, ok := fs.take(FaultBulkFailed)
	if !ok {
		return 0
	}
	f.faultsFired.Add(1)
	return max(1, ft.AfterRoots)
}

func (fs *faults) truncate(f *Fake) bool {
	_, ok := fs.take(FaultTruncatedDownload)
	if ok {
		f.faultsFired.Add(1)
	}
	return ok
}

func (fs *faults) expireURL(f *Fake) bool {
	_, ok := fs.take(FaultExpiredURL)
	if ok {
		f.faultsFired.Add(1)
	}
	return ok
}

// bulkDelay is how long the next bulk operation idles (0: none).
func (fs *faults) bulkDelay(f *Fake) time.Duration {
	ft, ok := fs.take(FaultBulkSlow)
	if !ok {
		return 0
	}
	f.faultsFired.Add(1)
	return ft.Delay
}
