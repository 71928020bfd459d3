package emailsync

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
)

// PlatformFor returns the connector of an email destination from its configuration.
func PlatformFor(dest config.Destination, log zerolog.Logger) (Platform, error) {
	switch dest.Kind {
	}
	return nil, fmt.Errorf("emailsync: destination %s: kind %q is not an email platform", dest.ID, dest.Kind)
}

// IsEmail reports whether a destination kind is an email platform this package drives.
func IsEmail(kind string) bool {
	return kind == config.KindMailchimp || kind == config.KindKlaviyo || kind == config.KindListmonk
}
