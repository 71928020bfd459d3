package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Allowed values for New's level and format arguments.
var (
	Levels  = []string{"trace", "debug", "info", "warn", "error"}
	Formats = []string{"json", "console"}
)

var levelByName = map[string]zerolog.Level{
	"trace": zerolog.TraceLevel,
	"debug": zerolog.DebugLevel,
	"info":  zerolog.InfoLevel,
	"warn":  zerolog.WarnLevel,
	"error": zerolog.ErrorLevel,
}

// New returns a logger writing to w.
//
// level is one of trace, debug, info, warn, error ("" means info); format is
// json ("" means json) or console (human-readable zerolog.ConsoleWriter,
// without colour unless w is a terminal). Both are matched case-insensitively
// after trimming spaces; any other value is an error naming the allowed values.
//
// Every event carries zerolog's default "time", "level" and "message" fields.
// "time" is RFC 3339 with nanoseconds, always in UTC. It is added by a hook on
// this logger rather than through zerolog.TimeFieldFormat/TimestampFunc, so New
// never mutates zerolog's package-level globals (which would race with other
// goroutines that are already logging).
func New(w io.Writer, level, format string) (zerolog.Logger, error) {
	if w == nil {
		return zerolog.Nop(), fmt.Errorf("logging: nil writer")
	}
	lvlName := strings.ToLower(strings.TrimSpace(level))
	if lvlName == "" {
		lvlName = "info"
	}
	lvl, ok := levelByName[lvlName]
	if !ok {
		return zerolog.Nop(), fmt.Errorf("logging: unknown level %q (allowed: %s)", level, strings.Join(Levels, ", "))
	}

	var out io.Writer
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "json":
		out = w
	case "console":
		out = zerolog.ConsoleWriter{
			Out:          w,
			NoColor:      !isTerminal(w),
			TimeFormat:   time.RFC3339Nano,
			TimeLocation: time.UTC,
		}
	default:
		return zerolog.Nop(), fmt.Errorf("logging: unknown format %q (allowed: %s)", format, strings.Join(Formats, ", "))
	}
	return zerolog.New(out).Level(lvl).Hook(utcTimestamp{}), nil
}

// utcTimestamp adds the "time" field (RFC 3339, nanoseconds, UTC) to each
// event that is actually written.
type utcTimestamp struct{}

func (utcTimestamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().UTC().Format(time.RFC3339Nano))
}

// isTerminal reports whether w is a character device such as a TTY.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
