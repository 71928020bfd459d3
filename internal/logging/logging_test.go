package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestNewLevels(t *testing.T) {
	tests := []struct {
		level string
		want  zerolog.Level
	}{
		{"", zerolog.InfoLevel},
		{"trace", zerolog.TraceLevel},
		{"debug", zerolog.DebugLevel},
		{"info", zerolog.InfoLevel},
		{"warn", zerolog.WarnLevel},
		{"error", zerolog.ErrorLevel},
		{" DEBUG ", zerolog.DebugLevel},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			l, err := New(&bytes.Buffer{}, tt.level, "json")
			if err != nil {
				t.Fatalf("New(%q): %v", tt.level, err)
			}
			if got := l.GetLevel(); got != tt.want {
				t.Fatalf("level = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadValues(t *testing.T) {
	tests := []struct {
		level, format string
		wantSub       []string
	}{
		{"verbose", "json", []string{`"verbose"`, "trace, debug, info, warn, error"}},
		{"warning", "", []string{`"warning"`, "trace, debug, info, warn, error"}},
		{"info", "xml", []string{`"xml"`, "json, console"}},
	}
	for _, tt := range tests {
		_, err := New(&bytes.Buffer{}, tt.level, tt.format)
		if err == nil {
			t.Fatalf("New(%q, %q): want error", tt.level, tt.format)
		}
		for _, s := range tt.wantSub {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("New(%q, %q) error %q does not mention %s", tt.level, tt.format, err, s)
			}
		}
	}
	if _, err := New(nil, "", ""); err == nil {
		t.Fatal("New(nil writer): want error")
	}
}

func TestNewJSON(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "info", "")
	if err != nil {
		t.Fatal(err)
	}
	l.Debug().Msg("dropped")
	before := time.Now().UTC()
	l.Info().Str("k", "v").Msg("hello")
	after := time.Now().UTC()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1 (debug must be filtered): %q", len(lines), buf.String())
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, lines[0])
	}
	if m["level"] != "info" || m["message"] != "hello" || m["k"] != "v" {
		t.Fatalf("unexpected fields: %v", m)
	}
	ts := m["time"]
	if !strings.HasSuffix(ts, "Z") {
		t.Fatalf("time %q is not UTC", ts)
	}
	parsed, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatalf("time %q is not RFC3339Nano: %v", ts, err)
	}
	if parsed.Before(before) || parsed.After(after) {
		t.Fatalf("time %v outside [%v, %v]", parsed, before, after)
	}
}

func TestNewConsole(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "debug", "console")
	if err != nil {
		t.Fatal(err)
	}
	l.Debug().Str("job", "sync").Msg("hello console")
	out := buf.String()
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("console output to a non-terminal contains colour codes: %q", out)
	}
	for _, want := range []string{"DBG", "hello console", "job=sync"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output %q lacks %q", out, want)
		}
	}
	if strings.HasPrefix(out, "{") {
		t.Fatalf("console output looks like JSON: %q", out)
	}
	ts, _, _ := strings.Cut(out, " ")
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") {
		t.Fatalf("console timestamp %q is not RFC3339 UTC (%v)", ts, err)
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Jane.Doe@Example.com ", "j***@example.com"},
		{"a@x.com", "a***@x.com"},
		{"A@X.COM", "a***@x.com"},
		{"", ""},
		{"   ", ""},
		{"no-at-sign", "***"},
		{"@example.com", "***@example.com"},
		{"jane@", "j***@"},
		{`"a@b"@example.com`, `"***@example.com`},
		{"Élodie@Exämple.FR", "é***@exämple.fr"},
		{"用户@例子.公司", "用***@例子.公司"},
		{"\xff\xfe@x.com", "\uFFFD***@x.com"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+441234561234", "+44******1234"},
		{"+44 (0)1234 561234", "+44*******1234"},
		{"020 7946 0958", "02*****0958"},
		{"1234567", "12*4567"},
		{"123456", "****56"},
		{"+12345", "+***45"},
		{"123", "*23"},
		{"12", "**"},
		{"7", "*"},
		{"", ""},
		{"  ", ""},
		{"n/a", "***"},
		{"+٤٤١٢٣٤٥٦٧٨٩٠", "+٤٤******٧٨٩٠"}, // Arabic-Indic digits
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecret(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"shpat_abc123", "[redacted]"},
		{" ", "[redacted]"},
	}
	for _, tt := range tests {
		if got := Secret(tt.in); got != tt.want {
			t.Errorf("Secret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
