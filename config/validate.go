package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cohortd/cohortd/segments/rules"
)

var (
	idRE           = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	segmentNameRE  = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	shopRE         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	apiVersionRE   = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	mailchimpKeyRE = regexp.MustCompile(`^[0-9A-Za-z]+-([a-z]{2,4}[0-9]{1,3})$`)
)

// applyDefaults fills in defaults that depend on other values or that belong
// to list items; top-level defaults come from Default().
func (d *decoder) applyDefaults(cfg *Config) {
	if _, set := d.vals["backup.dir"]; !set {
		cfg.Backup.Dir = defaultBackupDir(cfg.DataDir)
	}
	for i := range cfg.Stores {
		s := &cfg.Stores[i]
		if s.Kind == KindWooCommerce {
			if _, set := d.vals[fmt.Sprintf("stores[%d].write_tags", i)]; !set {
				s.WriteTags = true
			}
			if s.MetaKey == "" {
				s.MetaKey = DefaultMetaKey
			}
			if s.PollOverlap.Duration == 0 {
				s.PollOverlap.Duration = DefaultPollOverlap
			}
		}
		if s.Kind != KindShopify {
			continue
		}
		if _, set := d.vals[fmt.Sprintf("stores[%d].api_version", i)]; !set {
			s.APIVersion = DefaultShopifyAPIVersion
		}
		if _, set := d.vals[fmt.Sprintf("stores[%d].write_tags", i)]; !set {
			s.WriteTags = true
		}
		if s.Backfill == "" {
			s.Backfill = BackfillBulk
		}
		if s.PollOverlap.Duration == 0 {
			s.PollOverlap.Duration = DefaultPollOverlap
		}
	}
	for i := range cfg.Destinations {
		dst := &cfg.Destinations[i]
		if _, set := d.vals[fmt.Sprintf("destinations[%d].segments", i)]; !set {
			dst.Segments = []string{AllSegments}
		}
		if dst.Audience == "" {
			dst.Audience = AudienceSubscribers
		}
		if _, set := d.vals[fmt.Sprintf("destinations[%d].create_lists", i)]; !set && (dst.Kind == KindKlaviyo || dst.Kind == KindListmonk) {
			dst.CreateLists = true
		}
		if _, set := d.vals[fmt.Sprintf("destinations[%d].properties", i)]; !set {
			dst.Properties = slices.Clone(DefaultProperties)
		}
	}
	for i := range cfg.Segments.Custom {
		c := &cfg.Segments.Custom[i]
		if _, set := d.vals[fmt.Sprintf("segments.custom[%d].tag", i)]; !set && c.Name != "" {
			c.Tag = cfg.Tags.Prefix + c.Name
		}
	}
}

// node returns the node to report a problem about path at: the value if it
// was written in the file, otherwise the closest enclosing mapping.
func (d *decoder) node(path string) *yaml.Node {
	for path != "" {
		if n := d.vals[path]; n != nil {
			return n
		}
		if n := d.maps[path]; n != nil {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return nil
}

// errAt reports a problem with the value at path, unless decoding that value
// already failed.
func (d *decoder) errAt(path, msg, hint string) {
	if d.failed[path] {
		return
	}
	d.add(d.node(path), msg, hint)
}

func (d *decoder) keyAt(path, msg, hint string) {
	if k := d.keys[path]; k != nil {
		d.add(k, msg, hint)
		return
	}
	d.errAt(path, msg, hint)
}

func (d *decoder) validate(cfg *Config) {
	if cfg.DataDir == "" {
		d.errAt("data_dir", "data_dir must not be empty", "default is "+DefaultDataDir)
	}
	d.validateCurrency(cfg.BaseCurrency)
	if cfg.Timezone == "" {
		d.errAt("timezone", "timezone must not be empty", "use an IANA zone name such as UTC or Europe/Berlin")
	} else if _, err := time.LoadLocation(cfg.Timezone); err != nil {
		d.errAt("timezone", fmt.Sprintf("unknown timezone %q", cfg.Timezone), "use an IANA zone name such as UTC, America/New_York or Europe/Berlin")
	}
	d.validateHTTP(cfg.HTTP)
	d.validateStores(cfg.Stores)
	destIDs := d.validateDestinations(cfg.Destinations)
	d.validateTags(cfg.Tags)
	d.validateSegments(cfg.Segments, cfg.Tags.Prefix, destIDs)
	d.validateThresholds(cfg.Segments)
	d.validateSchedule(cfg.Schedule)
	if cfg.Backup.Dir == "" {
		d.errAt("backup.dir", "backup.dir must not be empty", "leave it out to use <data_dir>/backups")
	}
	for i, r := range cfg.CurrencyRates {
		p := fmt.Sprintf("currency_rates[%d]", i)
		if !isoCurrencies[r.From] {
			d.errAt(p+".from", fmt.Sprintf("%s: from %q is not an ISO 4217 currency code", p, r.From), "e.g. EUR")
		}
		if f, err := strconv.ParseFloat(r.Rate, 64); err != nil || f <= 0 {
			d.errAt(p+".rate", fmt.Sprintf("%s: rate %q is not a positive decimal", p, r.Rate), `e.g. "1.0842": 1 from = rate base_currency`)
		}
		if _, err := time.Parse(time.DateOnly, r.Effective); err != nil {
			d.errAt(p+".effective", fmt.Sprintf("%s: effective %q is not a date", p, r.Effective), "use YYYY-MM-DD")
		}
	}
	id := cfg.Identity
	if id.MatchThreshold <= 0 || id.MatchThreshold > 1 {
		d.errAt("identity.match_threshold", fmt.Sprintf("identity.match_threshold must be in (0, 1], not %v", id.MatchThreshold), "default 0.9")
	}
	if id.PossibleThreshold <= 0 || id.PossibleThreshold > id.MatchThreshold {
		d.errAt("identity.possible_threshold", fmt.Sprintf("identity.possible_threshold must be in (0, match_threshold], not %v", id.PossibleThreshold), "default 0.5")
	}
	if cfg.Backup.Keep < 1 {
		d.errAt("backup.keep", fmt.Sprintf("backup.keep must be at least 1, not %d", cfg.Backup.Keep), "")
	}
}

func (d *decoder) validateCurrency(c string) {
	if isoCurrencies[c] {
		return
	}
	hint := "use an active ISO 4217 code such as USD, EUR or GBP"
	if up := strings.ToUpper(c); isoCurrencies[up] {
		hint = fmt.Sprintf("currency codes are upper case: %s", up)
	} else if r, ok := withdrawnCurrencies[up]; ok {
		hint = fmt.Sprintf("%s has been withdrawn; use %s", up, r)
	}
	d.errAt("base_currency", fmt.Sprintf("base_currency %q is not an ISO 4217 currency code", c), hint)
}

func (d *decoder) validateHTTP(h HTTP) {
	if err := checkListen(h.Listen); err != nil {
		d.errAt("http.listen", fmt.Sprintf("http.listen %q: %v", h.Listen, err), "use host:port, e.g. 127.0.0.1:8080 or :8080")
	}
	if h.MaxBodyBytes <= 0 {
		d.errAt("http.max_body_bytes", fmt.Sprintf("http.max_body_bytes must be greater than 0, not %d", h.MaxBodyBytes), "default is 5242880 (5 MiB)")
	}
	if h.ReadTimeout.Duration <= 0 {
		d.errAt("http.read_timeout", fmt.Sprintf("http.read_timeout must be greater than 0, not %s", h.ReadTimeout), "")
	}
	if h.WriteTimeout.Duration <= 0 {
		d.errAt("http.write_timeout", fmt.Sprintf("http.write_timeout must be greater than 0, not %s", h.WriteTimeout), "")
	}
	if h.PublicURL != "" {
		if err := checkURL(h.PublicURL); err != nil {
			d.errAt("http.public_url", fmt.Sprintf("http.public_url %q is %v", h.PublicURL, err), "the https address the platforms reach this daemon at, e.g. https://cohortd.example.com")
		}
	}
}

func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("not a host:port address")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535")
	}
	return nil
}

// checkURL reports whether s is an absolute http(s) URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("not an http(s) URL")
	}
	return nil
}

// label names a list item in messages: `store "main"` once it has a valid
// id, else its path.
func label(noun, id, path string) string {
	if idRE.MatchString(id) {
		return fmt.Sprintf("%s %q", noun, id)
	}
	return path
}

// validateID checks the id and kind of a store or destination and returns
// false if the kind is unusable.
func (d *decoder) validateIDKind(noun, path, id, kind string, kinds []string, firstSeen map[string]string) bool {
	switch {
	case d.failed[path+".id"]:
	case id == "":
		d.errAt(path+".id", fmt.Sprintf("%s: missing required id", path), fmt.Sprintf("give every %s a unique id", noun))
	case !idRE.MatchString(id):
		d.errAt(path+".id", fmt.Sprintf("%s: invalid id %q", path, id), "ids are 1-32 characters a-z, 0-9, _ and -")
	default:
		if first, dup := firstSeen[id]; dup {
			hint := ""
			if n := d.vals[first+".id"]; n != nil {
				hint = fmt.Sprintf("first used at line %d", n.Line)
			}
			d.errAt(path+".id", fmt.Sprintf("duplicate %s id %q", noun, id), hint)
		} else {
			firstSeen[id] = path
		}
	}
	lbl := label(noun, id, path)
	switch {
	case d.failed[path+".kind"]:
		return false
	case kind == "":
		d.errAt(path+".kind", fmt.Sprintf("%s: missing required kind", lbl), "kind is one of "+strings.Join(kinds, ", "))
		return false
	case !slices.Contains(kinds, kind):
		hint := "kind is one of " + strings.Join(kinds, ", ")
		if s := suggest(kind, kinds); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		d.errAt(path+".kind", fmt.Sprintf("%s: unknown kind %q", lbl, kind), hint)
		return false
	}
	return true
}

// require reports a missing required value at its parent mapping.
func (d *decoder) require(lbl, path, key, value, hint string) bool {
	if value != "" {
		return true
	}
	if d.failed[path+"."+key] {
		return false
	}
	if _, set := d.vals[path+"."+key]; set {
		d.errAt(path+"."+key, fmt.Sprintf("%s: %s must not be empty", lbl, key), hint)
		return false
	}
	d.add(d.node(path), fmt.Sprintf("%s: missing required %s", lbl, key), hint)
	return false
}

func (d *decoder) requireSecret(lbl, path, key string, value Secret) bool {
	return d.require(lbl, path, key, value.Value(), fmt.Sprintf("set %s or %s_file", key, key))
}

func (d *decoder) validateStores(stores []Store) {
	seen := map[string]string{}
	for i, s := range stores {
		path := fmt.Sprintf("stores[%d]", i)
		if !d.validateIDKind("store", path, s.ID, s.Kind, validKinds[storeType], seen) {
			continue
		}
		lbl := label("store", s.ID, path)
		switch s.Kind {
		case KindShopify:
			if d.require(lbl, path, "shop", s.Shop, "set shop to your-store.myshopify.com") && !shopRE.MatchString(s.Shop) {
				hint := "use the bare your-store.myshopify.com domain"
				if strings.Contains(s.Shop, "://") {
					hint += ", without https://"
				}
				d.errAt(path+".shop", fmt.Sprintf("%s: shop %q is not a name.myshopify.com domain", lbl, s.Shop), hint)
			}
			d.requireSecret(lbl, path, "access_token", s.AccessToken)
			if !apiVersionRE.MatchString(s.APIVersion) {
				d.errAt(path+".api_version", fmt.Sprintf("%s: api_version %q is not of the form YYYY-MM", lbl, s.APIVersion), "default is "+DefaultShopifyAPIVersion)
			}
			if s.Endpoint != "" {
				if err := checkURL(s.Endpoint); err != nil {
					d.errAt(path+".endpoint", fmt.Sprintf("%s: endpoint %q is %v", lbl, s.Endpoint, err), "e.g. http://127.0.0.1:8081, or leave it out to use https://SHOP")
				}
			}
			if s.Backfill != BackfillBulk && s.Backfill != BackfillPages {
				d.errAt(path+".backfill", fmt.Sprintf("%s: backfill %q is neither %q nor %q", lbl, s.Backfill, BackfillBulk, BackfillPages), "bulk is the default")
			}
			if s.PollOverlap.Duration < 0 {
				d.errAt(path+".poll_overlap", fmt.Sprintf("%s: poll_overlap is negative", lbl), "e.g. 10m")
			}
			for j, w := range s.WebhookSecrets {
				if w == "" {
					d.errAt(fmt.Sprintf("%s.webhook_secrets[%d]", path, j), fmt.Sprintf("%s: webhook_secrets[%d] is empty", lbl, j), "")
				}
			}
		case KindWooCommerce:
			if d.require(lbl, path, "url", s.URL, "set url to your shop's address, e.g. https://shop.example.com") {
				if err := checkURL(s.URL); err != nil {
					d.errAt(path+".url", fmt.Sprintf("%s: url %q is %v", lbl, s.URL, err), "e.g. https://shop.example.com")
				}
			}
			d.requireSecret(lbl, path, "consumer_key", s.ConsumerKey)
			d.requireSecret(lbl, path, "consumer_secret", s.ConsumerSecret)
			switch {
			case strings.HasPrefix(s.MetaKey, "_"):
				d.errAt(path+".meta_key", fmt.Sprintf("%s: meta_key %q starts with an underscore", lbl, s.MetaKey),
					"WooCommerce silently drops meta keys starting with _ on REST writes; use e.g. "+DefaultMetaKey)
			case strings.ContainsAny(s.MetaKey, " \t\n"):
				d.errAt(path+".meta_key", fmt.Sprintf("%s: meta_key %q contains white space", lbl, s.MetaKey), "e.g. "+DefaultMetaKey)
			}
			if s.PollOverlap.Duration < 0 {
				d.errAt(path+".poll_overlap", fmt.Sprintf("%s: poll_overlap is negative", lbl), "e.g. 10m")
			}
		case KindFile:
			d.require(lbl, path, "path", s.Path, "set path to the export file to read")
			for _, k := range slices.Sorted(maps.Keys(s.Mapping)) {
				if !slices.Contains(OrderMappingKeys, k) {
					d.errAt(path+".mapping."+k, fmt.Sprintf("%s: unknown mapping key %q", lbl, k),
						"valid keys: "+strings.Join(OrderMappingKeys, ", "))
				}
			}
		}
	}
}

func (d *decoder) validateDestinations(dests []Destination) []string {
	seen := map[string]string{}
	var ids []string
	for i, dst := range dests {
		path := fmt.Sprintf("destinations[%d]", i)
		if idRE.MatchString(dst.ID) {
			ids = append(ids, dst.ID)
		}
		lbl := label("destination", dst.ID, path)
		d.validateSegmentList(lbl, path, dst.Segments)
		if !d.validateIDKind("destination", path, dst.ID, dst.Kind, validKinds[destinationType], seen) {
			continue
		}
		switch dst.Audience {
		case AudienceSubscribers, AudienceAll:
		default:
			d.errAt(path+".audience", fmt.Sprintf("%s: audience %q is not valid", lbl, dst.Audience), `use "subscribers" (people who gave marketing consent) or "all"`)
		}
		for j, p := range dst.Properties {
			if !slices.Contains(DestinationProperties, p) {
				d.errAt(fmt.Sprintf("%s.properties[%d]", path, j), fmt.Sprintf("%s: unknown property %q", lbl, p), "valid properties: "+strings.Join(DestinationProperties, ", "))
			}
		}
		if dst.Endpoint != "" {
			if err := checkURL(dst.Endpoint); err != nil {
				d.errAt(path+".endpoint", fmt.Sprintf("%s: endpoint %q is %v", lbl, dst.Endpoint, err), "e.g. http://127.0.0.1:8090, or leave it out for the platform's own address")
			}
		}
		switch dst.Kind {
		case KindMailchimp:
			if d.requireSecret(lbl, path, "api_key", dst.APIKey) && !mailchimpKeyRE.MatchString(dst.APIKey.Value()) {
				d.errAt(path+".api_key", fmt.Sprintf("%s: api_key is not a Mailchimp API key", lbl), "Mailchimp keys end in their data center, e.g. -us21")
			}
			d.require(lbl, path, "audience_id", dst.AudienceID, "set audience_id to the Mailchimp audience (list) id")
		case KindKlaviyo:
			d.requireSecret(lbl, path, "api_key", dst.APIKey)
		case KindListmonk:
			if d.require(lbl, path, "url", dst.URL, "set url to the listmonk address, e.g. https://lists.example.com") {
				if err := checkURL(dst.URL); err != nil {
					d.errAt(path+".url", fmt.Sprintf("%s: url %q is %v", lbl, dst.URL, err), "e.g. https://lists.example.com")
				}
			}
			d.require(lbl, path, "username", dst.Username, "set username to a listmonk API user")
			d.requireSecret(lbl, path, "token", dst.Token)
		}
	}
	return ids
}

func (d *decoder) validateSegmentList(lbl, path string, segs []string) {
	if len(segs) == 0 {
		d.errAt(path+".segments", fmt.Sprintf("%s: segments must not be empty", lbl), `list segment names, or use "all"`)
		return
	}
	seen := map[string]bool{}
	for j, s := range segs {
		p := fmt.Sprintf("%s.segments[%d]", path, j)
		switch {
		case s == AllSegments && len(segs) > 1:
			d.errAt(p, fmt.Sprintf("%s: %q cannot be combined with other segment names", lbl, AllSegments), `use either "all" or a list of names`)
		case !segmentNameRE.MatchString(s):
			d.errAt(p, fmt.Sprintf("%s: invalid segment name %q", lbl, s), "segment names are 1-64 characters a-z, 0-9, _ and -")
		case seen[s]:
			d.errAt(p, fmt.Sprintf("%s: segment %q is listed twice", lbl, s), "")
		}
		seen[s] = true
	}
}

func (d *decoder) validateTags(t Tags) {
	p := t.Prefix
	switch {
	case p == "":
		d.errAt("tags.prefix", "tags.prefix must not be empty", "cohortd uses it to tell its tags from yours; default is "+DefaultTagPrefix)
	case strings.Contains(p, ","):
		d.errAt("tags.prefix", fmt.Sprintf("tags.prefix %q must not contain a comma", p), "Shopify tags are comma-separated")
	case strings.TrimSpace(p) != p:
		d.errAt("tags.prefix", fmt.Sprintf("tags.prefix %q must not start or end with a space", p), "Shopify trims spaces around tags")
	}
}

func (d *decoder) validateSegments(s Segments, prefix string, destIDs []string) {
	seen := map[string]string{}
	for i, c := range s.Custom {
		path := fmt.Sprintf("segments.custom[%d]", i)
		lbl := path
		switch {
		case c.Name == "":
			d.require(path, path, "name", c.Name, "give every custom segment a unique name")
		case !segmentNameRE.MatchString(c.Name):
			d.errAt(path+".name", fmt.Sprintf("%s: invalid segment name %q", path, c.Name), "segment names are 1-64 characters a-z, 0-9, _ and -")
		case c.Name == AllSegments:
			d.errAt(path+".name", fmt.Sprintf("%s: %q is reserved", path, AllSegments), "it means every segment in destination lists")
		default:
			lbl = fmt.Sprintf("segment %q", c.Name)
			if first, dup := seen[c.Name]; dup {
				hint := ""
				if n := d.vals[first+".name"]; n != nil {
					hint = fmt.Sprintf("first used at line %d", n.Line)
				}
				d.errAt(path+".name", fmt.Sprintf("duplicate segment name %q", c.Name), hint)
			} else {
				seen[c.Name] = path
			}
		}
		if strings.TrimSpace(c.When) == "" {
			d.require(lbl, path, "when", "", "set when to an expression, e.g. orders_count >= 5")
		} else if !d.failed[path+".when"] {
			d.validateRule(lbl, path+".when", c.Name, c.When)
		}
		if d.vals[path+".tag"] != nil { // the default tag is checked through tags.prefix
			switch {
			case c.Tag == "":
				d.errAt(path+".tag", fmt.Sprintf("%s: tag must not be empty", lbl), "leave it out to use the prefix plus the segment name")
			case strings.Contains(c.Tag, ","):
				d.errAt(path+".tag", fmt.Sprintf("%s: tag %q must not contain a comma", lbl, c.Tag), "Shopify tags are comma-separated")
			case strings.TrimSpace(c.Tag) != c.Tag:
				d.errAt(path+".tag", fmt.Sprintf("%s: tag %q must not start or end with a space", lbl, c.Tag), "")
			case prefix != "" && !strings.HasPrefix(strings.ToLower(c.Tag), strings.ToLower(prefix)):
				d.errAt(path+".tag", fmt.Sprintf("%s: tag %q is outside the tags prefix %q", lbl, c.Tag, prefix),
					fmt.Sprintf("cohortd only writes tags that start with the prefix, so it never touches your own tags: use %q", prefix+c.Name))
			}
		}
		for j, id := range c.Destinations {
			if slices.Contains(destIDs, id) {
				continue
			}
			hint := "no destinations are configured"
			if len(destIDs) > 0 {
				hint = "configured destinations: " + strings.Join(destIDs, ", ")
				if s := suggest(id, destIDs); s != "" {
					hint = fmt.Sprintf("did you mean %q? %s", s, hint)
				}
			}
			d.errAt(fmt.Sprintf("%s.destinations[%d]", path, j), fmt.Sprintf("%s: unknown destination %q", lbl, id), hint)
		}
	}
}

// validateRule compiles a custom segment's when and reports a mistake at its position in
// the file.
func (d *decoder) validateRule(lbl, path, name, when string) {
	_, err := rules.Compile(name, when)
	if err == nil {
		return
	}
	var re *rules.Error
	if !errors.As(err, &re) {
		d.errAt(path, fmt.Sprintf("%s: when: %v", lbl, err), "")
		return
	}
	msg := fmt.Sprintf("%s: when: %s", lbl, re.Msg)
	line, col := rulePosition(d.vals[path], d.keys[path], when, re.Line, re.Column)
	if line == 0 {
		d.errAt(path, msg, re.Hint)
		return
	}
	d.add(&yaml.Node{Line: line, Column: col}, msg, re.Hint)
}

// rulePosition maps a 1-based position within a rule to its position in the file, given the
// rule's value node n and key node key. It returns n's own position when the exact one cannot
// be known: the value was changed by ${VAR} expansion, has a tag, or is a plain or quoted
// scalar written over several lines. Block scalars (| and >) start on the line after n, at an
// indentation yaml.Node does not record: it is taken to be the key's plus two, the usual
// layout. In a folded (>) scalar, lines that YAML folds into one shift later positions.
func rulePosition(n, key *yaml.Node, when string, line, col int) (int, int) {
	switch {
	case n == nil:
		return 0, 0
	case n.Value != when || n.Style&yaml.TaggedStyle != 0:
		return n.Line, n.Column
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		indent := n.Column + 1
		if key != nil {
			indent = key.Column + 2
		}
		return n.Line + line, indent + col - 1
	case line > 1:
		return n.Line, n.Column
	}
	before := []rune(strings.SplitN(when, "\n", 2)[0])
	before = before[:max(0, min(col-1, len(before)))]
	escaped := 0 // characters written as two in the file
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for _, r := range before {
			if r == '"' || r == '\\' {
				escaped++
			}
		}
		return n.Line, n.Column + 1 + col - 1 + escaped
	case n.Style&yaml.SingleQuotedStyle != 0:
		for _, r := range before {
			if r == '\'' {
				escaped++
			}
		}
		return n.Line, n.Column + 1 + col - 1 + escaped
	}
	return n.Line, n.Column + col - 1
}

func (d *decoder) validateSchedule(sched map[string]string) {
	for job, spec := range sched {
		path := "schedule." + job
		if !slices.Contains(KnownJobs, job) {
			hint := "known jobs: " + strings.Join(KnownJobs, ", ")
			if s := suggest(job, KnownJobs); s != "" {
				hint = fmt.Sprintf("did you mean %q? %s", s, hint)
			}
			d.keyAt(path, fmt.Sprintf("unknown job %q in schedule", job), hint)
			continue
		}
		if _, err := scheduleParser.Parse(spec); err != nil {
			d.errAt(path, fmt.Sprintf("schedule.%s: invalid schedule %q: %v", job, spec, err),
				`use 5-field cron ("*/5 * * * *") or a descriptor ("@daily", "@every 5m")`)
		}
	}
}
