package klaviyofake

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Revision is the API revision of the embedded document (its info.version).
const Revision = "2026-07-15"

//go:embed testdata/openapi-stable.json
var specJSON []byte

// spec is the loaded OpenAPI document, its router and the rate limits it publishes. Loading
// takes about half a second, so it happens once per process.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	// limits by operationId; variants by operationId+"|"+param+"="+value for the heavier
	// limits Klaviyo publishes for some additional-fields values.
	limits   map[string]Limit
	variants map[string][]limitVariant
}

// Limit is one published rate limit: requests per 1 s window (burst), per 1 min window
// (steady) and, where published, per day.
type Limit struct {
	Burst, Steady, Daily int
}

type limitVariant struct {
	param, value string
	limit        Limit
}

var (
	specOnce   sync.Once
	loadedSpec *spec
	specErr    error
)

func loadSpec() (*spec, error) {
	specOnce.Do(func() { loadedSpec, specErr = parseSpec(specJSON) })
	return loadedSpec, specErr
}

// Limits returns the rate limits the embedded document publishes, keyed by operationId, plus
// the additional-fields variants keyed "operationId|param=value" (for example
// "get_list|additional-fields[list]=profile_count").
func Limits() (map[string]Limit, error) {
	s, err := loadSpec()
	if err != nil {
		return nil, err
	}
	out := make(map[string]Limit, len(s.limits))
	for k, v := range s.limits {
		out[k] = v
	}
	for op, vs := range s.variants {
		for _, v := range vs {
			out[op+"|"+v.param+"="+v.value] = v.limit
		}
	}
	return out, nil
}

var variantRE = regexp.MustCompile("Rate limits when using the `([^`=]+)=([^`]+)` parameter in your API request:<br>Burst: `(\\d+)/s`<br>Steady: `(\\d+)/m`")

func parseSpec(raw []byte) (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("klaviyofake: load spec: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("klaviyofake: route spec: %w", err)
	}
	s := &spec{doc: doc, router: router, limits: map[string]Limit{}, variants: map[string][]limitVariant{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			if op.OperationID == "" {
				continue
			}
			if raw, ok := op.Extensions["x-klaviyo-ratelimit"].(map[string]any); ok {
				s.limits[op.OperationID] = Limit{
					Burst:  perUnit(raw["burst"], "/s"),
					Steady: perUnit(raw["steady"], "/m"),
					Daily:  perUnit(raw["daily"], "/d"),
				}
			}
			for _, m := range variantRE.FindAllStringSubmatch(op.Description, -1) {
				b, _ := strconv.Atoi(m[3])
				st, _ := strconv.Atoi(m[4])
				s.variants[op.OperationID] = append(s.variants[op.OperationID],
					limitVariant{param: m[1], value: m[2], limit: Limit{Burst: b, Steady: st}})
			}
		}
	}
	return s, nil
}

func perUnit(v any, unit string) int {
	str, _ := v.(string)
	n, err := strconv.Atoi(strings.TrimSuffix(str, unit))
	if err != nil {
		return 0
	}
	return n
}

// route finds the operation of a request. The document's only server is
// https://a.klaviyo.com, so the lookup uses a copy of the request addressed there.
func (s *spec) route(r *http.Request) (*routers.Route, map[string]string, error) {
	cp := r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = "https", "a.klaviyo.com"
	cp.URL, cp.Host = &u, "a.klaviyo.com"
	return s.router.FindRoute(cp)
}

// limitKey picks the limit that applies to a request: a published additional-fields variant
// when the query asks for that value, else the operation's own.
func (s *spec) limitKey(op string, q map[string][]string) (string, Limit, bool) {
	for _, v := range s.variants[op] {
		for _, val := range q[v.param] {
			for _, part := range strings.Split(val, ",") {
				if part == v.value {
					return op + "|" + v.param + "=" + v.value, v.limit, true
				}
			}
		}
	}
	l, ok := s.limits[op]
	return op, l, ok
}

var validationOptions = &openapi3filter.Options{
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
	MultiError:          false,
}

func (s *spec) validateRequest(ctx context.Context, in *openapi3filter.RequestValidationInput) error {
	in.Options = validationOptions
	return openapi3filter.ValidateRequest(ctx, in)
}

func (s *spec) validateResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, status int, h http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 h,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(ctx, out)
}

// windowsFor turns a Limit into the fixed windows the fake counts.
func windowsFor(l Limit) []window {
	var ws []window
	if l.Burst > 0 {
		ws = append(ws, window{size: time.Second, limit: l.Burst})
	}
	if l.Steady > 0 {
		ws = append(ws, window{size: time.Minute, limit: l.Steady})
	}
	if l.Daily > 0 {
		ws = append(ws, window{size: 24 * time.Hour, limit: l.Daily})
	}
	return ws
}
