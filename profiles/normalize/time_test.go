package normalize

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600) // no tzdata: January is EST anyway
	}
	tests := []struct {
		raw  string
		loc  *time.Location
		want string
	}{
		{"2024-01-15T10:30:00Z", nil, "2024-01-15T10:30:00Z"},
		{"2024-01-15T10:30:00.123456789+02:00", nil, "2024-01-15T08:30:00.123456789Z"},
		{"2024-01-15T10:30:00-05:00", time.UTC, "2024-01-15T15:30:00Z"},
		{"2024-01-15T10:30:00", ny, "2024-01-15T15:30:00Z"},
		{"2024-01-15T10:30:00", time.UTC, "2024-01-15T10:30:00Z"},
		{"2024-01-15 10:30:00", ny, "2024-01-15T15:30:00Z"},
		{"2024-01-15 10:30:00.5", nil, "2024-01-15T10:30:00.5Z"},
		{"2024-01-15 10:30:00 -0500", time.UTC, "2024-01-15T15:30:00Z"},
		{"2024-01-15 10:30:00 +0100", ny, "2024-01-15T09:30:00Z"},
		{"2024-01-15", ny, "2024-01-15T05:00:00Z"},
		{"2024-01-15", nil, "2024-01-15T00:00:00Z"},
		{"01/02/2024 15:04", nil, "2024-01-02T15:04:00Z"},
		{"1/2/2024 15:04", ny, "2024-01-02T20:04:00Z"},
		{"12/31/2023 23:59", nil, "2023-12-31T23:59:00Z"},
		{"1705314600", ny, "2024-01-15T10:30:00Z"},
		{"99999999999", nil, "5138-11-16T09:46:39Z"},
		{" 2024-01-15T10:30:00Z ", nil, "2024-01-15T10:30:00Z"},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.raw, tt.loc)
		if err != nil || got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "yesterday", "2024-13-01", "2024-02-30", "31/12/2023 10:00", "2024-01-15T25:00:00Z", "123456789012", "-5", "0", "20240115", "0000-00-00 00:00:00"} {
		_, err := ParseTime(raw, nil)
		if err == nil {
			t.Errorf("ParseTime(%q) succeeded", raw)
		} else if !strings.Contains(err.Error(), raw) || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("error %q does not name the input and layouts", err)
		}
	}
}

func TestParseBirthDate(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{"19081209", "1908-12-09", true},
		{"1908-12-09", "1908-12-09", true},
		{" 1908/12/09 ", "1908-12-09", true},
		{"09/12/1908", "", false},
		{"13/12/1908", "1908-12-13", true},
		{"12/13/1908", "1908-12-13", true},
		{"5/5/1990", "1990-05-05", true},
		{"1/30/1990", "1990-01-30", true},
		{"2000-02-29", "2000-02-29", true},
		{"1900-02-29", "", false},
		{"19900230", "", false},
		{"1990-13-01", "", false},
		{"1990-00-10", "", false},
		{"1700-01-01", "", false},
		{"31/31/1990", "", false},
		{"13/13/1990", "", false},
		{"", "", false},
		{"abc", "", false},
		{"1990-1-1", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseBirthDate(tt.raw)
		if ok != tt.ok || (ok && got.Format("2006-01-02") != tt.want) || (!ok && !got.IsZero()) {
			t.Errorf("ParseBirthDate(%q) = %v, %v; want %s, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2024-01-15T10:30:00Z", "2024-01-15 10:30:00 -0500", "2024-01-15", "1/2/2024 15:04",
		"1705314600", "", "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "99999999999",
	} {
		f.Add(s)
	}
	ny := time.FixedZone("X", -5*3600)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, loc := range []*time.Location{nil, ny} {
			tm, err := ParseTime(raw, loc)
			if err != nil {
				continue
			}
			if tm.Location() != time.UTC {
				t.Fatalf("not UTC: %v", tm)
			}
			s := tm.Format(time.RFC3339Nano)
			again, err := ParseTime(s, loc)
			if err != nil || !again.Equal(tm) {
				t.Fatalf("not idempotent: %q -> %s -> %v, %v", raw, s, again, err)
			}
		}
		if b, ok := ParseBirthDate(raw); ok {
			if again, ok2 := ParseBirthDate(b.Format("2006-01-02")); !ok2 || !again.Equal(b) {
				t.Fatalf("birth date not idempotent: %q -> %v", raw, b)
			}
		}
	})
}
