// Command cohortd is the cohortd daemon and its operator commands.
//
// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// exitError carries an exit code through a command's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// command is one subcommand. Each lives in its own file.
type command struct {
	name    string
	summary string
	usage   string // arguments after the name, for --help
	// flags adds the command's own flags; the global flags are added for every command.
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: the global flags and the output streams.
type env struct {
	stdout, stderr io.Writer
	global         *globalFlags
}

func main() {
	setMemoryLimit()
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func commands() map[string]*command {
	cmds := []*command{runCommand(), configCommand(), statusCommand(), backupCommand(),
		restoreCommand(), versionCommand(), healthcheckCommand()}
	cmds = append(cmds, dedupeCommand(), importCommand(), profilesCommand(), qualityCommand(), segmentsCommand())
	cmds = append(cmds, predictCommand(), demoCommand())
	cmds = append(cmds, outboxCommand(), backfillCommand())
	cmds = append(cmds, shopifyCommand(), eraseCommand())
	m := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		m[c.name] = c
	}
	return m
}

// runMain parses the command line and runs one subcommand, returning the process exit code.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	g := &globalFlags{}
	top := flag.NewFlagSet("cohortd", flag.ContinueOnError)
	top.SetOutput(stderr)
	g.register(top)
	top.Usage = func() { topUsage(stderr, cmds) }
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			topUsage(stdout, cmds)
			return exitOK
		}
		return exitUsage
	}
	rest := top.Args()
	if len(rest) == 0 {
		topUsage(stderr, cmds)
		return exitUsage
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			if c, ok := cmds[rest[1]]; ok {
				cmdUsage(stdout, c, newCommandFlags(c, g, stdout))
				return exitOK
			}
		}
		topUsage(stdout, cmds)
		return exitOK
	}
	c, ok := cmds[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "cohortd: unknown command %q (run 'cohortd --help' for the list)\n", rest[0])
		return exitUsage
	}
	fs := newCommandFlags(c, g, stderr)
	positional, err := parseInterleaved(fs, rest[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cmdUsage(stdout, c, newCommandFlags(c, &globalFlags{}, stdout))
			return exitOK
		}
		return exitUsage
	}
	g.applyEnv()
	e := &env{stdout: stdout, stderr: stderr, global: g}
	if path := os.Getenv("COHORTD_CPUPROFILE"); path != "" { // for performance work
		if stop, err := startCPUProfile(path); err == nil {
			defer stop()
		} else {
			fmt.Fprintf(stderr, "cohortd: COHORTD_CPUPROFILE: %v\n", err)
		}
	}
	if err := c.run(ctx, e, positional); err != nil {
		var xe *exitError
		code := exitFailure
		if errors.As(err, &xe) {
			code = xe.code
		}
		fmt.Fprintf(stderr, "cohortd %s: %v\n", c.name, err)
		return code
	}
	return exitOK
}

// parseInterleaved parses flags that may stand before, between or after positional arguments
// (`cohortd config check --config x.yaml`, `cohortd backup FILE --addr A`) and returns the
// positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func newCommandFlags(c *command, g *globalFlags, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cohortd "+c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	g.register(fs)
	if c.flags != nil {
		c.flags(fs)
	}
	fs.Usage = func() { cmdUsage(out, c, fs) }
	return fs
}

func topUsage(w io.Writer, cmds map[string]*command) {
	fmt.Fprintln(w, "cohortd keeps clean, deduplicated customer profiles and segments for your store")
	fmt.Fprintln(w, "and pushes them back as tags and list memberships.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: cohortd [global flags] COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Global flags (accepted before or after the command):")
	fs := flag.NewFlagSet("cohortd", flag.ContinueOnError)
	fs.SetOutput(w)
	(&globalFlags{}).register(fs)
	fs.PrintDefaults()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cohortd COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.")
}

func cmdUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: cohortd %s [flags]%s\n\n%s\n\nFlags:\n", c.name, prefixSpace(c.usage), c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + strings.TrimSpace(s)
}

// writeJSON prints v as indented JSON (the --json output of the inspection commands).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// startCPUProfile writes a CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
