// Package examples holds the documented example configuration. It is embedded in the binary so
// that `cohortd run` works on a fresh machine with no config file: the embedded default.
package examples

import _ "embed"

// Config is examples/cohortd.yaml, byte for byte.
//
//go:embed cohortd.yaml
var Config []byte

// ConfigName is how the embedded configuration is named in messages and status output.
const ConfigName = "embedded:examples/cohortd.yaml"
