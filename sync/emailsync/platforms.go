package emailsync

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/connectors/klaviyo"
	"github.com/cohortd/cohortd/connectors/listmonk"
	"github.com/cohortd/cohortd/connectors/mailchimp"
)

// PlatformFor returns the connector of an email destination from its configuration.
func PlatformFor(dest config.Destination, log zerolog.Logger) (Platform, error) {
	var (
		p   Platform
		err error
	)
	switch dest.Kind {
	case config.KindMailchimp:
		p, err = mailchimp.New(mailchimp.Options{APIKey: dest.APIKey.Value(), AudienceID: dest.AudienceID,
			BaseURL: dest.Endpoint, Logger: log})
	case config.KindKlaviyo:
		p, err = klaviyo.New(klaviyo.Options{APIKey: dest.APIKey.Value(), Revision: dest.Revision,
			BaseURL: dest.Endpoint, CreateLists: dest.CreateLists, Logger: log})
	case config.KindListmonk:
		// Lists it creates are single opt-in only when every contact sent has recorded
		// consent (audience: subscribers); otherwise double opt-in, so nobody without consent
		// is mailed a campaign (the connector refuses such an add to a single opt-in list).
		optin := "double"
		if dest.Audience == config.AudienceSubscribers {
			optin = "single"
		}
		p, err = listmonk.New(listmonk.Options{URL: dest.URL, Username: dest.Username, Token: dest.Token.Value(),
			CreateLists: dest.CreateLists, NewListOptin: optin, Logger: log})
	default:
		return nil, fmt.Errorf("emailsync: destination %s: kind %q is not an email platform", dest.ID, dest.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("emailsync: destination %s: %w", dest.ID, err)
	}
	return p, nil
}

// IsEmail reports whether a destination kind is an email platform this package drives.
func IsEmail(kind string) bool {
	return kind == config.KindMailchimp || kind == config.KindKlaviyo || kind == config.KindListmonk
}
