package config

import "encoding/json"

const redacted = "[redacted]"

// Secret is a configuration value that must never be printed or logged:
// every formatting and marshalling method returns "[redacted]" (or "" when the
// secret is empty, so that "is it set?" stays visible). Use Value to get the
// real value.
//
// In the YAML file every secret key x may instead be given as x_file, naming
// a file (for example a Docker or Kubernetes secret) that holds the value.
type Secret string

// Value returns the secret itself.
func (s Secret) Value() string { return string(s) }

// String implements fmt.Stringer; it never returns the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer so %#v does not print the secret.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON implements json.Marshaler; it never returns the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText implements encoding.TextMarshaler; it never returns the secret.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML implements yaml.Marshaler; it never returns the secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
