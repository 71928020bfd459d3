package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "time/tzdata" // so Timezone works in a scratch container without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// Store kinds.
const (
	KindShopify     = "shopify"
	KindWooCommerce = "woocommerce"
	KindFile        = "file"
)

// Destination kinds.
const (
	KindMailchimp = "mailchimp"
	KindKlaviyo   = "klaviyo"
	KindListmonk  = "listmonk"
)

// Default values.
const (
	DefaultDataDir           = "./data"
	DefaultBaseCurrency      = "USD"
	DefaultTimezone          = "UTC"
	DefaultListen            = "127.0.0.1:8080"
	DefaultMaxBodyBytes      = 5 << 20 // 5 MiB
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultShopifyAPIVersion = "2025-04"
	DefaultPollOverlap       = 10 * time.Minute
	// Shopify backfill modes.
	BackfillBulk      = "bulk"
	BackfillPages     = "pages"
	DefaultTagPrefix  = "cohort:"
	DefaultBackupKeep = 7
	// DefaultMetaKey is the WooCommerce customer meta key of the segments.
	DefaultMetaKey = "cohort_segments"

	// AllSegments in a destination's segments list means every segment.
	AllSegments = "all"

	// Destination audiences.
	AudienceSubscribers = "subscribers"
	AudienceAll         = "all"
)

// DestinationProperties are the properties a destination may take, and DefaultProperties
// those it takes when it does not list them.
var (
	DestinationProperties = []string{"rfm_group", "lifecycle", "churn_risk", "predicted_clv", "p_alive", "expected_orders"}
	DefaultProperties     = []string{"rfm_group", "lifecycle", "predicted_clv", "churn_risk"}
)

// KnownJobs are the scheduler job names the schedule section accepts.
var KnownJobs = []string{"store_stats", "backup", "segments", "poll", "reconcile", "suppressions"}

// defaultSchedule returns the default cron expression of every known job.
func defaultSchedule() map[string]string {
	return map[string]string{
		"store_stats": "@every 1m",
		"backup":      "@daily",
		"segments":    "@every 6h",
		"poll":        "@every 5m",
		"reconcile":   "@daily",
		// The status pass: unsubscribes, bounces and compliance states at every email
		// destination, recorded as suppressions.
		"suppressions": "@hourly",
	}
}

// Config is the whole cohortd configuration.
type Config struct {
	// DataDir is where the database and other state live.
	DataDir string `yaml:"data_dir" json:"data_dir"`
	// BaseCurrency is the ISO 4217 code money amounts are reported in.
	BaseCurrency string `yaml:"base_currency" json:"base_currency"`
	// Timezone is the IANA zone name used for days, weeks and schedules.
	Timezone     string            `yaml:"timezone" json:"timezone"`
	HTTP         HTTP              `yaml:"http" json:"http"`
	Stores       []Store           `yaml:"stores" json:"stores"`
	Destinations []Destination     `yaml:"destinations" json:"destinations"`
	Tags         Tags              `yaml:"tags" json:"tags"`
	Segments     Segments          `yaml:"segments" json:"segments"`
	Schedule     map[string]string `yaml:"schedule" json:"schedule"`
	Backup       Backup            `yaml:"backup" json:"backup"`
	// CurrencyRates convert order money to BaseCurrency, date-effective.
	CurrencyRates []CurrencyRate `yaml:"currency_rates" json:"currency_rates"`
	// Identity tunes identity resolution.
	Identity Identity `yaml:"identity" json:"identity"`
}

// CurrencyRate says that from Effective on, 1 From is worth Rate units of the base currency.
type CurrencyRate struct {
	From      string `yaml:"from" json:"from"`
	Rate      string `yaml:"rate" json:"rate"`           // a decimal, e.g. "1.0842"
	Effective string `yaml:"effective" json:"effective"` // YYYY-MM-DD
}

// Identity tunes identity resolution. Probabilities are posterior match probabilities.
type Identity struct {
	// MatchThreshold: pairs at or above it are merged automatically.
	MatchThreshold float64 `yaml:"match_threshold" json:"match_threshold"`
	// PossibleThreshold: pairs between it and MatchThreshold are listed as possible duplicates.
	PossibleThreshold float64 `yaml:"possible_threshold" json:"possible_threshold"`
	// PhoneIsIdentity: the same valid E.164 phone links two records deterministically.
	PhoneIsIdentity bool `yaml:"phone_is_identity" json:"phone_is_identity"`
}

// HTTP configures the HTTP server (webhooks, admin API, metrics).
type HTTP struct {
	Listen       string   `yaml:"listen" json:"listen"`
	AdminToken   Secret   `yaml:"admin_token" json:"admin_token"`
	MaxBodyBytes int64    `yaml:"max_body_bytes" json:"max_body_bytes"`
	ReadTimeout  Duration `yaml:"read_timeout" json:"read_timeout"`
	WriteTimeout Duration `yaml:"write_timeout" json:"write_timeout"`
	// PublicURL is where the platforms reach this daemon's webhooks
	// (https://cohortd.example.com); empty means no webhook subscriptions.
	PublicURL string `yaml:"public_url" json:"public_url,omitempty"`
}

// Store is one shop cohortd reads customers and orders from. Which fields
// apply depends on Kind (the kind struct tag); the others are always empty.
type Store struct {
	ID   string `yaml:"id" json:"id"`
	Kind string `yaml:"kind" json:"kind"`

	// Shopify.
	Shop           string   `yaml:"shop" json:"shop,omitempty" kind:"shopify"`
	AccessToken    Secret   `yaml:"access_token" json:"access_token,omitempty" kind:"shopify"`
	APIVersion     string   `yaml:"api_version" json:"api_version,omitempty" kind:"shopify"`
	WebhookSecrets []Secret `yaml:"webhook_secrets" json:"webhook_secrets,omitempty" kind:"shopify"`
	// Endpoint overrides https://SHOP as the API's base URL (a proxy, or the fake store
	// of `cohortd demo`).
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty" kind:"shopify"`
	// Backfill is how the first full read is done: "bulk" (bulk operations, the default)
	// or "pages" (paginated queries, for small stores or apps without bulk access).
	Backfill string `yaml:"backfill" json:"backfill,omitempty" kind:"shopify"`
	// PollOverlap is how far before the last poll cursor the next poll starts again, so
	// records committed out of order at the platform are not missed. Default 10m.
	PollOverlap Duration `yaml:"poll_overlap" json:"poll_overlap,omitzero" kind:"shopify,woocommerce"`
	// WriteTags turns the segment write-back to this store on (default) or off: customer
	// tags in Shopify, the customer meta field MetaKey in WooCommerce.
	WriteTags bool `yaml:"write_tags" json:"write_tags" kind:"shopify,woocommerce"`
	// DryRun records the planned write-back without calling the API.
	DryRun bool `yaml:"dry_run" json:"dry_run,omitempty" kind:"shopify,woocommerce"`

	// WooCommerce.
	URL            string `yaml:"url" json:"url,omitempty" kind:"woocommerce"`
	ConsumerKey    Secret `yaml:"consumer_key" json:"consumer_key,omitempty" kind:"woocommerce"`
	ConsumerSecret Secret `yaml:"consumer_secret" json:"consumer_secret,omitempty" kind:"woocommerce"`
	WebhookSecret  Secret `yaml:"webhook_secret" json:"webhook_secret,omitempty" kind:"woocommerce"`
	// MetaKey is the customer meta_data key the segments are written to (WooCommerce drops
	// keys that start with "_" on REST writes). Default DefaultMetaKey.
	MetaKey string `yaml:"meta_key" json:"meta_key,omitempty" kind:"woocommerce"`

	// File (a CSV export imported with `cohortd import`).
	Path string `yaml:"path" json:"path,omitempty" kind:"file"`
	// Mapping maps order fields to the columns of a generic orders CSV (see OrderMappingKeys).
	Mapping map[string]string `yaml:"mapping" json:"mapping,omitempty" kind:"file"`
}

// Destination is a marketing tool cohortd pushes segment membership to.
type Destination struct {
	ID   string `yaml:"id" json:"id"`
	Kind string `yaml:"kind" json:"kind"`
	// Segments are the segment names pushed to this destination, or
	// ["all"] (the default) for every segment.
	Segments []string `yaml:"segments" json:"segments"`

	// Mailchimp (APIKey is shared with Klaviyo).
	APIKey     Secret `yaml:"api_key" json:"api_key,omitempty" kind:"mailchimp,klaviyo"`
	AudienceID string `yaml:"audience_id" json:"audience_id,omitempty" kind:"mailchimp"`

	// Klaviyo.
	Revision string `yaml:"revision" json:"revision,omitempty" kind:"klaviyo"`

	// Listmonk.
	URL      string `yaml:"url" json:"url,omitempty" kind:"listmonk"`
	Username string `yaml:"username" json:"username,omitempty" kind:"listmonk"`
	Token    Secret `yaml:"token" json:"token,omitempty" kind:"listmonk"`

	// Endpoint replaces the platform's API address (Mailchimp, Klaviyo): a proxy, or the
	// demo's fake platforms.
	Endpoint string `yaml:"endpoint" json:"endpoint,omitempty" kind:"mailchimp,klaviyo"`
	// Audience says who is sent: "subscribers" (default: only people whose store recorded
	// marketing consent) or "all" (others too, as non-marketing contacts).
	Audience string `yaml:"audience" json:"audience,omitempty"`
	// CreateLists creates a missing list named from the segment (Klaviyo, listmonk; default
	// true). Off: a segment without its list is an error shown in status.
	CreateLists bool `yaml:"create_lists" json:"create_lists" kind:"klaviyo,listmonk"`
	// Properties are the profile properties sent as merge fields / properties / attribs.
	Properties []string `yaml:"properties" json:"properties,omitempty"`

	// DryRun records the planned changes without calling the API.
	DryRun bool `yaml:"dry_run" json:"dry_run,omitempty"`
}

// WantsSegment reports whether the destination receives the named segment,
// either because it lists it or because it lists "all".
func (d Destination) WantsSegment(name string) bool {
	for _, s := range d.Segments {
		if s == AllSegments || s == name {
			return true
		}
	}
	return false
}

// MailchimpDC returns the Mailchimp data center ("us21") taken from the
// suffix of the API key, or "" if the key has none.
func (d Destination) MailchimpDC() string {
	m := mailchimpKeyRE.FindStringSubmatch(d.APIKey.Value())
	if m == nil {
		return ""
	}
	return m[1]
}

// Tags configures the customer tags cohortd writes back to the store.
type Tags struct {
	// Prefix is put in front of every tag cohortd manages, so it can tell
	// its own tags from the merchant's.
	Prefix string `yaml:"prefix" json:"prefix"`
}

// Segments configures the built-in segments' thresholds and merchant-defined segments.
// Zero values mean the defaults (docs/segments.md).
type Segments struct {
	Lifecycle SegmentLifecycle `yaml:"lifecycle" json:"lifecycle"`
	Frequency SegmentFrequency `yaml:"frequency" json:"frequency"`
	AOV       SegmentAOV       `yaml:"aov" json:"aov"`
	Risk      SegmentRisk      `yaml:"risk" json:"risk"`
	Affinity  SegmentAffinity  `yaml:"affinity" json:"affinity"`
	Predict   SegmentPredict   `yaml:"predict" json:"predict"`
	// Clusters > 0 adds k-means clusters (cluster-1 ... cluster-K) on log-RFM; 0 is off.
	Clusters int             `yaml:"clusters" json:"clusters"`
	Custom   []CustomSegment `yaml:"custom" json:"custom"`
}

// SegmentLifecycle: new within NewDays of the first order or signup, active with an order
// within ActiveDays, dormant up to LostDays, lost beyond.
type SegmentLifecycle struct {
	NewDays    int `yaml:"new_days" json:"new_days"`
	ActiveDays int `yaml:"active_days" json:"active_days"`
	LostDays   int `yaml:"lost_days" json:"lost_days"`
}

// SegmentFrequency: frequency tiers by number of orders.
type SegmentFrequency struct {
	High   int `yaml:"high" json:"high"`
	Medium int `yaml:"medium" json:"medium"`
}

// SegmentAOV: order-value tiers by quantile, or by fixed amounts when High is set.
type SegmentAOV struct {
	HighQuantile float64 `yaml:"high_quantile" json:"high_quantile"`
	LowQuantile  float64 `yaml:"low_quantile" json:"low_quantile"`
	High         float64 `yaml:"high" json:"high"`
	Low          float64 `yaml:"low" json:"low"`
}

// SegmentRisk: refund or cancellation rate above Rate with at least MinOrders orders.
type SegmentRisk struct {
	Rate      float64 `yaml:"rate" json:"rate"`
	MinOrders int     `yaml:"min_orders" json:"min_orders"`
}

// SegmentAffinity: product-type affinity segments.
type SegmentAffinity struct {
	Top          int     `yaml:"top" json:"top"`
	MinShare     float64 `yaml:"min_share" json:"min_share"`
	HalfLifeDays float64 `yaml:"half_life_days" json:"half_life_days"`
}

// SegmentPredict: BG/NBD and Gamma-Gamma settings.
type SegmentPredict struct {
	MinRepeatBuyers int     `yaml:"min_repeat_buyers" json:"min_repeat_buyers"`
	ExpectedDays    int     `yaml:"expected_days" json:"expected_days"`
	CLVMonths       int     `yaml:"clv_months" json:"clv_months"`
	DiscountMonthly float64 `yaml:"discount_monthly" json:"discount_monthly"`
	ChurnHigh       float64 `yaml:"churn_high" json:"churn_high"`
	ChurnMedium     float64 `yaml:"churn_medium" json:"churn_medium"`
}

// CustomSegment is a merchant-defined segment.
type CustomSegment struct {
	Name string `yaml:"name" json:"name"`
	// When is the membership expression; it is type-checked elsewhere.
	When string `yaml:"when" json:"when"`
	// Tag is the full customer tag; it defaults to Tags.Prefix + Name.
	Tag string `yaml:"tag" json:"tag"`
	// Destinations are destination ids this segment is pushed to in
	// addition to the destinations that list it (or "all").
	Destinations []string `yaml:"destinations" json:"destinations"`
}

// Backup configures periodic database backups (run by the "backup" job).
type Backup struct {
	Dir  string `yaml:"dir" json:"dir"`
	Keep int    `yaml:"keep" json:"keep"`
}

// Default returns a configuration with every default applied and no stores
// or destinations.
func Default() *Config {
	return &Config{
		DataDir:      DefaultDataDir,
		BaseCurrency: DefaultBaseCurrency,
		Timezone:     DefaultTimezone,
		HTTP: HTTP{
			Listen:       DefaultListen,
			MaxBodyBytes: DefaultMaxBodyBytes,
			ReadTimeout:  Duration{DefaultReadTimeout},
			WriteTimeout: Duration{DefaultWriteTimeout},
		},
		Tags:     Tags{Prefix: DefaultTagPrefix},
		Schedule: defaultSchedule(),
		Backup: Backup{
			Dir:  defaultBackupDir(DefaultDataDir),
			Keep: DefaultBackupKeep,
		},
		Identity: Identity{
			MatchThreshold:    DefaultMatchThreshold,
			PossibleThreshold: DefaultPossibleThreshold,
			PhoneIsIdentity:   true,
		},
		Segments: DefaultSegments(),
	}
}

// DefaultSegments are the built-in segments' default thresholds (package segments has the
// same defaults; a test in sync/segmenter keeps them equal).
func DefaultSegments() Segments {
	return Segments{
		Lifecycle: SegmentLifecycle{NewDays: 30, ActiveDays: 90, LostDays: 180},
		Frequency: SegmentFrequency{High: 5, Medium: 2},
		AOV:       SegmentAOV{HighQuantile: 0.667, LowQuantile: 0.333},
		Risk:      SegmentRisk{Rate: 0.3, MinOrders: 2},
		Affinity:  SegmentAffinity{Top: 3, MinShare: 0.25, HalfLifeDays: 180},
		Predict: SegmentPredict{MinRepeatBuyers: 100, ExpectedDays: 90, CLVMonths: 12, DiscountMonthly: 0.01,
			ChurnHigh: 0.3, ChurnMedium: 0.7},
	}
}

func defaultBackupDir(dataDir string) string { return filepath.Join(dataDir, "backups") }

var locations sync.Map // zone name -> *time.Location

// Location returns the configured time zone, or UTC if Timezone does not
// name a zone (Load and Parse reject such configurations).
func (c *Config) Location() *time.Location {
	if c == nil || c.Timezone == "" {
		return time.UTC
	}
	if l, ok := locations.Load(c.Timezone); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	locations.Store(c.Timezone, l)
	return l
}

// StoreByID returns the store with the given id.
func (c *Config) StoreByID(id string) (Store, bool) {
	for _, s := range c.Stores {
		if s.ID == id {
			return s, true
		}
	}
	return Store{}, false
}

// DestinationByID returns the destination with the given id.
func (c *Config) DestinationByID(id string) (Destination, bool) {
	for _, d := range c.Destinations {
		if d.ID == id {
			return d, true
		}
	}
	return Destination{}, false
}

var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a schedule expression the way the schedule section is
// validated: five-field cron ("*/5 * * * *") or a descriptor ("@daily",
// "@every 5m"). The scheduler must use it so that what validates also runs.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", spec, err)
	}
	return s, nil
}

// Load reads the file at path, expands ${VAR} references, decodes it, applies
// defaults and validates the result. On any problem it returns a nil Config
// and a Problems error holding every problem found.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Msg: fmt.Sprintf("cannot read config file: %v", err)}}
	}
	return Parse(path, data)
}

// Parse is Load for a file already in memory; path is only used in messages.
// Environment variables come from the process environment and *_file
// secrets are read from disk.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, os.LookupEnv, os.ReadFile)
}

// SetDataDir points the configuration at another data directory (the --data-dir flag). A backup
// directory that was the default under the old data directory moves with it.
func (c *Config) SetDataDir(dir string) {
	if filepath.Clean(c.Backup.Dir) == filepath.Clean(defaultBackupDir(c.DataDir)) {
		c.Backup.Dir = defaultBackupDir(dir)
	}
	c.DataDir = dir
}

// Identity resolution defaults.
const (
	DefaultMatchThreshold    = 0.9
	DefaultPossibleThreshold = 0.5
)

// OrderMappingKeys are the keys a file store's mapping accepts: canonical order fields mapped
// to CSV columns, plus default_currency, date_layout and cancelled_prefix, which hold values.
var OrderMappingKeys = []string{
	"order_id", "customer_id", "email", "phone", "first_name", "last_name", "date", "total",
	"quantity", "unit_price", "product_id", "title", "product_type", "vendor", "currency",
	"country", "city", "postcode", "user_agent", "default_currency", "date_layout",
	"cancelled_prefix",
}
