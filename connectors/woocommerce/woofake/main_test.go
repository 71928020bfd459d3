package woofake

import (
	"os"
	"testing"
)

var sharedTmp string

func tempDirShared() (string, error) {
	d, err := os.MkdirTemp("", "woofake-gen-")
	sharedTmp = d
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedTmp != "" {
		_ = os.RemoveAll(sharedTmp)
	}
	os.Exit(code)
}
