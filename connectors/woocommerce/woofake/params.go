package woofake

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WordPress validates query parameters against each route's schema before the permission
// callback runs (WP_REST_Request::has_valid_params): an invalid value is a 400
// rest_invalid_param naming every bad parameter, with WordPress's messages.

type paramKind int

const (
	pInt paramKind = iota
	pBool
	pEnum
	pEnumList // array of enum values, comma separated or name[]=…
	pDate
	pIDList
	pString
	pEmail
)

type paramSpec struct {
	name     string
	kind     paramKind
	def      string
	min, max int64 // for pInt; max 0 = unbounded
	enum     []string
}

var (
	specPage    = paramSpec{name: "page", kind: pInt, def: "1", min: 1}
	specPerPage = paramSpec{name: "per_page", kind: pInt, def: "10", min: 1, max: 100}
	specOffset  = paramSpec{name: "offset", kind: pInt}
	specInclude = paramSpec{name: "include", kind: pIDList}
	specExclude = paramSpec{name: "exclude", kind: pIDList}
	specSearch  = paramSpec{name: "search", kind: pString}
	specContext = paramSpec{name: "context", kind: pEnum, def: "view", enum: []string{"view", "edit"}}
)

func orderSpec(def string) paramSpec {
	return paramSpec{name: "order", kind: pEnum, def: def, enum: []string{"asc", "desc"}}
}

var customerRoles = []string{"all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager"}

var customerParams = []paramSpec{
	specContext, specPage, specPerPage, specSearch, specExclude, specInclude, specOffset, orderSpec("asc"),
	{name: "orderby", kind: pEnum, def: "name", enum: []string{"id", "include", "name", "registered_date"}},
	{name: "email", kind: pEmail},
	{name: "role", kind: pEnum, def: "customer", enum: customerRoles},
}

var orderStatuses = []string{"any", "trash", "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"}

var orderParams = []paramSpec{
	specContext, specPage, specPerPage, specSearch,
	{name: "after", kind: pDate}, {name: "before", kind: pDate},
	{name: "modified_after", kind: pDate}, {name: "modified_before", kind: pDate},
	{name: "dates_are_gmt", kind: pBool, def: "false"},
	specExclude, specInclude, specOffset, orderSpec("desc"),
	{name: "orderby", kind: pEnum, def: "date", enum: []string{"date", "id", "include", "title", "slug", "modified"}},
	{name: "status", kind: pEnumList, def: "any", enum: orderStatuses},
	{name: "customer", kind: pInt},
}

var refundParams = []paramSpec{
	specContext, specPage, specPerPage, specSearch, specExclude, specInclude, specOffset, orderSpec("desc"),
	{name: "orderby", kind: pEnum, def: "date", enum: []string{"date", "id", "include", "title", "slug", "modified"}},
}

var webhookParams = []paramSpec{
	specContext, specPage, specPerPage, specSearch,
	{name: "after", kind: pDate}, {name: "before", kind: pDate},
	specExclude, specInclude, specOffset, orderSpec("desc"),
	{name: "orderby", kind: pEnum, def: "date", enum: []string{"date", "id", "title"}},
	{name: "status", kind: pEnum, def: "all", enum: []string{"all", "active", "paused", "disabled"}},
}

// listQuery is a validated collection request.
type listQuery struct {
	vals    map[string]string
	lists   map[string][]string
	ids     map[string][]uint64
	page    int
	perPage int
	offset  int  // rows skipped
	hasOff  bool // offset given explicitly
}

func (q listQuery) str(name string) string { return q.vals[name] }

func (q listQuery) boolean(name string) bool {
	v := strings.ToLower(q.vals[name])
	return v == "true" || v == "1"
}

// rfc3339RE is rest_parse_date's pattern.
var rfc3339RE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}(?::\d{2})?)?$`)

// validate checks get against the specs and fills defaults.
func validate(specs []paramSpec, get phpParams) (listQuery, *wpError) {
	q := listQuery{vals: map[string]string{}, lists: map[string][]string{}, ids: map[string][]uint64{}}
	var bad []paramProblem
	for _, s := range specs {
		var raw string
		var list []string
		present := false
		for _, e := range get {
			if e.key != s.name {
				continue
			}
			present = true
			if e.isArr {
				for _, x := range e.arr {
					list = append(list, x.val)
				}
				raw = strings.Join(list, ",")
			} else {
				raw = e.val
				list = splitList(raw)
			}
		}
		if !present {
			q.vals[s.name] = s.def
			if s.def != "" {
				q.lists[s.name] = []string{s.def}
			}
			continue
		}
		if p := checkParam(s, raw, list); p != nil {
			bad = append(bad, *p)
			continue
		}
		q.vals[s.name] = raw
		q.lists[s.name] = list
		if s.kind == pIDList {
			for _, x := range list {
				n, _ := strconv.ParseUint(x, 10, 64)
				q.ids[s.name] = append(q.ids[s.name], n)
			}
		}
	}
	if len(bad) > 0 {
		return q, invalidParams(bad)
	}
	q.page, _ = strconv.Atoi(q.vals["page"])
	q.perPage, _ = strconv.Atoi(q.vals["per_page"])
	if v := q.vals["offset"]; v != "" && v != "0" {
		q.offset, _ = strconv.Atoi(v)
		q.hasOff = true
	} else {
		q.offset = (q.page - 1) * q.perPage
	}
	return q, nil
}

// splitList is wp_parse_list.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func checkParam(s paramSpec, raw string, list []string) *paramProblem {
	switch s.kind {
	case pInt:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || f != math.Trunc(f) {
			return &paramProblem{s.name, "rest_invalid_type", s.name + " is not of type integer."}
		}
		n := int64(f)
		if s.max > 0 && (n < s.min || n > s.max) {
			return &paramProblem{s.name, "rest_out_of_bounds", s.name + " must be between " + strconv.FormatInt(s.min, 10) + " (inclusive) and " + strconv.FormatInt(s.max, 10) + " (inclusive)"}
		}
		if s.min > 0 && n < s.min {
			return &paramProblem{s.name, "rest_out_of_bounds", s.name + " must be greater than or equal to " + strconv.FormatInt(s.min, 10)}
		}
	case pBool:
		switch strings.ToLower(raw) {
		case "true", "false", "1", "0", "":
		default:
			return &paramProblem{s.name, "rest_invalid_type", s.name + " is not of type boolean."}
		}
	case pEnum:
		if !contains(s.enum, raw) {
			return &paramProblem{s.name, "rest_not_in_enum", s.name + " is not one of " + strings.Join(s.enum, ", ") + "."}
		}
	case pEnumList:
		for i, v := range list {
			if !contains(s.enum, v) {
				name := s.name + "[" + strconv.Itoa(i) + "]"
				return &paramProblem{s.name, "rest_not_in_enum", name + " is not one of " + strings.Join(s.enum, ", ") + "."}
			}
		}
	case pDate:
		if !rfc3339RE.MatchString(raw) {
			return &paramProblem{s.name, "rest_invalid_date", "Invalid date."}
		}
	case pIDList:
		for i, v := range list {
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return &paramProblem{s.name, "rest_invalid_type", s.name + "[" + strconv.Itoa(i) + "] is not of type integer."}
			}
		}
	case pEmail:
		if !strings.Contains(raw, "@") {
			return &paramProblem{s.name, "rest_invalid_email", "Invalid email address."}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dateThreshold turns a validated date parameter into the UTC instant WooCommerce compares
// the column with. WP_Date_Query reads a value with a "T" through date_create() in the site
// time zone and converts it to the site time zone; the resulting wall clock is compared with
// the GMT column when dates_are_gmt is set, with the local column otherwise. So with
// dates_are_gmt=true a value without offset is GMT, and a value with an offset ("Z",
// "+02:00") is shifted by the site's offset: send GMT without a zone.
func dateThreshold(raw string, gmt bool, loc *time.Location) time.Time {
	v := strings.Replace(strings.Replace(raw, "t", "T", 1), " ", "T", 1)
	var wall time.Time
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		wall = t.In(loc)
	} else if t, err := time.Parse("2006-01-02T15:04:05-07", v); err == nil {
		wall = t.In(loc)
	} else if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, loc); err == nil {
		wall = t
	}
	naive := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
	if gmt {
		return naive
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc).UTC()
}
