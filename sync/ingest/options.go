package ingest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/identity"
	"github.com/cohortd/cohortd/profiles/normalize"
)

// BuildOptions turns the configuration into profile build options: base currency, the rates
// table and the identity thresholds.
func BuildOptions(cfg *config.Config) (profiles.BuildOptions, error) {
	opts := profiles.BuildOptions{BaseCurrency: cfg.BaseCurrency, Location: cfg.Location()}
	rates := make([]normalize.Rate, 0, len(cfg.CurrencyRates))
	for i, r := range cfg.CurrencyRates {
		v, err := decimal.NewFromString(r.Rate)
		if err != nil {
			return opts, fmt.Errorf("currency_rates[%d]: rate %q: %w", i, r.Rate, err)
		}
		eff, err := time.ParseInLocation(time.DateOnly, r.Effective, cfg.Location())
		if err != nil {
			return opts, fmt.Errorf("currency_rates[%d]: effective %q: %w", i, r.Effective, err)
		}
		rates = append(rates, normalize.Rate{From: r.From, To: cfg.BaseCurrency, Rate: v, Effective: eff})
	}
	rt, err := normalize.NewRates(cfg.BaseCurrency, rates)
	if err != nil {
		return opts, fmt.Errorf("currency_rates: %w", err)
	}
	opts.Rates = rt
	opts.Identity = identity.Options{
		MatchThreshold:    cfg.Identity.MatchThreshold,
		PossibleThreshold: cfg.Identity.PossibleThreshold,
		DeterministicKeys: []identity.Field{identity.Email, identity.OtherID},
	}
	if cfg.Identity.PhoneIsIdentity {
		opts.Identity.DeterministicKeys = append(opts.Identity.DeterministicKeys, identity.Phone)
	}
	return opts, nil
}
