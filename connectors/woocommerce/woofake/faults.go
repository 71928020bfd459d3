package woofake

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind selects what goes wrong with the next REST requests.
type FaultKind int

// Faults the fake can inject.
const (
	// FaultServerError answers with Status (default 500). 500 is WordPress's JSON
	// "critical error" body; 502, 503 and 504 are a proxy's HTML page.
	FaultServerError FaultKind = iota + 1
	// FaultHTML answers an HTML page instead of JSON: Page selects which (default a login
	// page with status 200); Status overrides the page's usual status.
	FaultHTML
	// FaultTimeout holds the request for Delay (default 2 minutes) or until the client gives
	// up, then answers 504.
	FaultTimeout
	// FaultRateLimit answers 429 with Retry-After (seconds of Delay, default 1) from the
	// host's rate limiter (WooCommerce itself does not rate-limit wc/v3).
	FaultRateLimit
	// FaultNoRoute answers rest_no_route (404 JSON), as a site with WooCommerce deactivated
	// or its REST namespace removed does.
	FaultNoRoute
)

// HTMLPage is the page a FaultHTML answers.
type HTMLPage int

// Pages a site can answer instead of JSON.
const (
	PageLogin       HTMLPage = iota // wp-login.php (a security plugin redirecting the API), 200
	PageMaintenance                 // WordPress maintenance mode, 503 with Retry-After: 600
	PageChallenge                   // a CDN bot challenge, 403
	PageNotFound                    // the theme's 404 page (wrong URL), 404
)

// Fault is one injected fault; it fires for the next Count REST requests (default 1) whose
// path starts with PathPrefix (for example "/wp-json/wc/v3/orders"; empty: any).
type Fault struct {
	Kind       FaultKind
	Count      int
	Status     int
	Page       HTMLPage
	Delay      time.Duration
	PathPrefix string
}

type faultState struct {
	mu     sync.Mutex
	active []Fault
}

// InjectFault arms a fault. Faults fire in the order they were armed.
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

func (fs *faultState) take(path string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.active {
		if !strings.HasPrefix(path, fs.active[i].PathPrefix) {
			continue
		}
		ft := fs.active[i]
		fs.active[i].Count--
		if fs.active[i].Count <= 0 {
			fs.active = append(fs.active[:i], fs.active[i+1:]...)
		}
		return ft, true
	}
	return Fault{}, false
}

// applyFault answers the request when a fault fires; true when it did.
func (f *Fake) applyFault(w http.ResponseWriter, r *http.Request) bool {
	ft, ok := f.faults.take(r.URL.Path)
	if !ok {
		return false
	}
	f.stats.faults.Add(1)
	switch ft.Kind {
	case FaultServerError:
		st := ft.Status
		if st == 0 {
			st = http.StatusInternalServerError
		}
		if st == http.StatusInternalServerError {
			writeJSON(w, st, []byte(criticalErrorBody))
		} else {
			writeHTML(w, st, strings.ReplaceAll(gatewayPage, "502 Bad Gateway", strconv.Itoa(st)+" "+http.StatusText(st)))
		}
	case FaultHTML:
		f.writePage(w, ft)
	case FaultTimeout:
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
		writeHTML(w, http.StatusGatewayTimeout, strings.ReplaceAll(gatewayPage, "502 Bad Gateway", "504 Gateway Time-out"))
	case FaultRateLimit:
		secs := int(ft.Delay / time.Second)
		if secs <= 0 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeHTML(w, http.StatusTooManyRequests, "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>\n")
	case FaultNoRoute:
		writeJSON(w, http.StatusNotFound, errNoRoute.body())
	default:
		return false
	}
	return true
}

func (f *Fake) writePage(w http.ResponseWriter, ft Fault) {
	status, body := http.StatusOK, loginPage
	switch ft.Page {
	case PageMaintenance:
		status, body = http.StatusServiceUnavailable, maintenancePage
		w.Header().Set("Retry-After", "600")
	case PageChallenge:
		status, body = http.StatusForbidden, challengePage
	case PageNotFound:
		status, body = http.StatusNotFound, themeNotFoundPage(f.opts.SiteName)
	}
	if ft.Status != 0 {
		status = ft.Status
	}
	writeHTML(w, status, body)
}
