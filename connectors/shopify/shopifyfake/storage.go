package shopifyfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// storagePrefix serves bulk results like Shopify's signed Google Cloud Storage URLs.
const storagePrefix = "/storage/bulk-operation-outputs/"

func (f *Fake) sign(path string, expires int64) string {
	m := hmac.New(sha256.New, f.signKey)
	fmt.Fprintf(m, "%s\n%d", path, expires)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signedURL returns a fresh URL for an operation's final or partial output.
func (f *Fake) signedURL(id uint64, kind string) string {
	path := fmt.Sprintf("%s%d-%s", storagePrefix, id, kind)
	exp := f.opts.Now().Add(f.opts.URLTTL).Unix()
	if f.faults.expireURL(f) {
		exp = f.opts.Now().Add(-1e9).Unix() - 1
	}
	return fmt.Sprintf("%s%s?Expires=%d&Signature=%s&response-content-type=application%%2Fjsonl", f.url, path, exp, f.sign(path, exp))
}

func gcsError(w http.ResponseWriter, status int, code, msg, details string) {
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message><Details>%s</Details></Error>", code, msg, details)
}

func (f *Fake) serveStorage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		gcsError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
		return
	}
	exp, err := strconv.ParseInt(r.URL.Query().Get("Expires"), 10, 64)
	if err != nil || !hmac.Equal([]byte(r.URL.Query().Get("Signature")), []byte(f.sign(r.URL.Path, exp))) {
		gcsError(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", "")
		return
	}
	if f.opts.Now().Unix() > exp {
		gcsError(w, http.StatusForbidden, "AccessDenied", "Access denied.", fmt.Sprintf("Request has expired: %d", exp))
		return
	}
	name := strings.TrimPrefix(r.URL.Path, storagePrefix)
	idStr, kind, _ := strings.Cut(name, "-")
	id, _ := strconv.ParseUint(idStr, 10, 64)
	op := f.bulkByID(id)
	if op == nil {
		gcsError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "")
		return
	}
	f.bulkMu.Lock()
	path := op.path
	if kind == "partial" {
		path = op.partial
	}
	f.bulkMu.Unlock()
	file, err := os.Open(path)
	if path == "" || err != nil {
		gcsError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "")
		return
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		gcsError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "")
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bulk-%d.jsonl"`, id))
	if r.Method == http.MethodHead {
		return
	}
	if f.faults.truncate(f) {
		// Cut mid-line and drop the connection: the client sees an unexpected EOF.
		_, _ = io.CopyN(w, file, st.Size()/2+1)
		panic(http.ErrAbortHandler)
	}
	_, _ = io.Copy(w, file)
}
