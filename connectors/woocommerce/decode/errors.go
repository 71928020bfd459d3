package decode

import (
	"errors"

	"github.com/cohortd/cohortd/connectors/payloaderr"
)

// ErrUnknownTopic is wrapped by the error Webhook returns for a topic it does not decode.
var ErrUnknownTopic = errors.New("unknown webhook topic")

// DecodeError reports a payload that cannot be turned into a record; see
// connectors/payloaderr. Its message starts "woocommerce decode:" and never quotes the payload.
type DecodeError = payloaderr.DecodeError

// fieldErr builds a DecodeError for one field.
func fieldErr(source, id, field, reason string) *DecodeError {
	return &DecodeError{Platform: platform, Source: source, ID: id, Field: field, Reason: reason}
}

// jsonErr turns an encoding/json error into a DecodeError that does not echo the input.
func jsonErr(source string, err error) *DecodeError {
	return payloaderr.FromJSON(platform, source, err)
}

// platform names this decoder in error messages.
const platform = "woocommerce"

// clip bounds a caller-supplied string quoted in an error (a topic header can be anything).
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
