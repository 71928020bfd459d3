package klaviyofake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// apiError is one entry of Klaviyo's JSON:API "errors" array.
type apiError struct {
	ID     string         `json:"id"`
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source map[string]any `json:"source,omitempty"`
	Links  map[string]any `json:"links"`
	Meta   map[string]any `json:"meta"`
}

type errorDoc struct {
	Errors []apiError `json:"errors"`
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// errorReply is Klaviyo's error shape with a pointer source.
func errorReply(status int, code, title, detail, pointer string) reply {
	e := apiError{ID: uuid(), Status: status, Code: code, Title: title, Detail: detail, Links: map[string]any{}, Meta: map[string]any{}}
	if pointer != "" {
		e.Source = map[string]any{"pointer": pointer}
	}
	return reply{status: status, body: errorDoc{Errors: []apiError{e}}}
}

// paramError is Klaviyo's error shape for a bad query parameter.
func paramError(code, detail, param string) reply {
	e := apiError{ID: uuid(), Status: http.StatusBadRequest, Code: code, Title: "Invalid input.", Detail: detail,
		Source: map[string]any{"parameter": param}, Links: map[string]any{}, Meta: map[string]any{}}
	return reply{status: http.StatusBadRequest, body: errorDoc{Errors: []apiError{e}}}
}

// throttled is the 429 Klaviyo answers when a burst or steady window is full.
func throttled(wait time.Duration) reply {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	rep := errorReply(http.StatusTooManyRequests, "throttled", "Request was throttled.",
		fmt.Sprintf("Request was throttled. Expected available in %d %s.", secs, unit), "/data/")
	rep.header = http.Header{"Retry-After": []string{strconv.Itoa(secs)}}
	return rep
}

// invalidRequest turns a kin-openapi validation error into Klaviyo's 400, pointing at the
// parameter or body field at fault.
func invalidRequest(err error) reply {
	detail := err.Error()
	if i := strings.IndexByte(detail, '\n'); i > 0 {
		detail = detail[:i]
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.Parameter != nil {
		return paramError("invalid", detail, re.Parameter.Name)
	}
	pointer := "/data/"
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if p := se.JSONPointer(); len(p) > 0 {
			pointer = "/" + strings.Join(p, "/")
		}
	}
	return errorReply(http.StatusBadRequest, "invalid", "Invalid input.", detail, pointer)
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

// relLinks is a relationship's links object.
func relLinks(base, path string) map[string]any {
	return map[string]any{"links": map[string]any{"self": base + path, "related": base + strings.Replace(path, "/relationships/", "/", 1)}}
}

// cursor is an opaque keyset cursor: the id after which the next page starts.
func encodeCursor(afterID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + afterID))
}

func decodeCursor(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "after:") {
		return "", false
	}
	return strings.TrimPrefix(string(b), "after:"), true
}

// pageSize reads page[size] (already range-checked by the spec) with its default.
func pageSize(q url.Values, def int) int {
	if v := q.Get("page[size]"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// collectionLinks builds self/next/prev links of a page; next is empty on the last page.
func collectionLinks(c *call, next string) map[string]any {
	self := c.base + c.r.URL.Path
	if c.r.URL.RawQuery != "" {
		self += "?" + c.r.URL.RawQuery
	}
	links := map[string]any{"self": self}
	if next != "" {
		q := c.r.URL.Query()
		q.Set("page[cursor]", next)
		links["next"] = c.base + c.r.URL.Path + "?" + q.Encode()
	}
	return links
}

// sparse returns the requested sparse fieldset of a resource type (nil: every field).
func sparse(q url.Values, typ string) map[string]bool {
	v := q.Get("fields[" + typ + "]")
	if v == "" {
		return nil
	}
	out := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		if i := strings.IndexByte(f, '.'); i > 0 {
			f = f[:i]
		}
		out[f] = true
	}
	return out
}

func hasValue(q url.Values, param, value string) bool {
	for _, v := range q[param] {
		for _, p := range strings.Split(v, ",") {
			if p == value {
				return true
			}
		}
	}
	return false
}
