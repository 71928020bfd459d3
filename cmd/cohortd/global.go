package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/config"
	"github.com/cohortd/cohortd/examples"
	"github.com/cohortd/cohortd/internal/logging"
)

// defaultConfigPath is used when neither --config nor COHORTD_CONFIG names a file.
const defaultConfigPath = "./cohortd.yaml"

// globalFlags are accepted before or after the subcommand name. They are registered with their
// current value as default, so that `cohortd --config a.yaml run` keeps a.yaml when the
// subcommand's flag set registers the same flags again.
type globalFlags struct {
	config    string
	dataDir   string
	logLevel  string
	logFormat string
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config,
		"config file (env COHORTD_CONFIG; default "+defaultConfigPath+", or the embedded example when that file does not exist)")
	fs.StringVar(&g.dataDir, "data-dir", g.dataDir, "data directory, overrides data_dir in the config")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log level: trace, debug, info, warn, error (default info)")
	fs.StringVar(&g.logFormat, "log-format", g.logFormat, "log format: json or console (default json)")
}

// applyEnv fills what the flags left empty from the environment and the defaults.
func (g *globalFlags) applyEnv() {
	if g.config == "" {
		g.config = os.Getenv("COHORTD_CONFIG")
	}
	if g.logLevel == "" {
		g.logLevel = "info"
	}
	if g.logFormat == "" {
		g.logFormat = "json"
	}
}

// loadConfig loads the configuration the flags name. With no --config and no COHORTD_CONFIG,
// ./cohortd.yaml is used if it exists and the embedded example otherwise. Problems in the file
// are a usage error (exit 2).
func (e *env) loadConfig() (*config.Config, string, error) {
	path := e.global.config
	explicit := path != ""
	if !explicit {
		path = defaultConfigPath
	}
	var (
		cfg    *config.Config
		source string
		err    error
	)
	data, readErr := os.ReadFile(path)
	switch {
	case readErr == nil:
		source = path
		cfg, err = config.Parse(path, data)
	case !explicit && errors.Is(readErr, fs.ErrNotExist):
		source = examples.ConfigName
		cfg, err = config.Parse(source, examples.Config)
	default:
		return nil, "", &exitError{code: exitUsage, err: fmt.Errorf("read config: %w", readErr)}
	}
	if err != nil {
		return nil, source, &exitError{code: exitUsage, err: err}
	}
	if e.global.dataDir != "" {
		cfg.SetDataDir(e.global.dataDir)
	}
	return cfg, source, nil
}

func (e *env) logger() (zerolog.Logger, error) {
	l, err := logging.New(e.stderr, e.global.logLevel, e.global.logFormat)
	if err != nil {
		return zerolog.Nop(), &exitError{code: exitUsage, err: err}
	}
	return l, nil
}
