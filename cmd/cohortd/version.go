package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion is set by the linker: -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version, the commit it was built from and the Go version",
		run: func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageErr("unexpected arguments %q", args)
			}
			commit := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						commit = s.Value
					}
				}
			}
			fmt.Fprintf(e.stdout, "cohortd %s (commit %s, %s, %s/%s)\n", version(), commit,
				runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
