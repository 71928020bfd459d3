package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in YAML as a Go duration string such
// as "10s", "1m30s" or "2h".
type Duration struct {
	time.Duration
}

// UnmarshalYAML implements yaml.Unmarshaler. The error names the position of
// the bad value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d col %d: duration must be a string like \"30s\"", n.Line, n.Column)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d col %d: %w", n.Line, n.Column, err)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler ("30s"), so Duration
// marshals readably to JSON and YAML.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use a Go duration such as 500ms, 30s, 5m or 1h30m", s)
	}
	return v, nil
}
