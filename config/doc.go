// Package config loads and validates the cohortd configuration file.
//
// The file is a single YAML document. Every key is optional except inside
// stores, destinations and custom segments; an empty file means "all
// defaults, no stores" (the same as Default). Unknown keys are errors at
// every level, so typos are caught instead of silently ignored. A complete,
// commented example lives in examples/cohortd.yaml; the top-level sections
// are:
//
//	data_dir:      ./data          # database and state
//	base_currency: USD             # ISO 4217 code reports are converted to
//	timezone:      UTC             # IANA zone for days, weeks and schedules
//	http:          {listen, admin_token, max_body_bytes, read_timeout, write_timeout}
//	stores:        [{id, kind: shopify|woocommerce|file, ...}]
//	destinations:  [{id, kind: mailchimp|klaviyo|listmonk, segments, ...}]
//	tags:          {prefix}
//	segments:      {custom: [{name, when, tag, destinations}]}
//	schedule:      {job name: cron expression or @descriptor}
//	backup:        {dir, keep}
//
// # Environment variables
//
// Any value (never a key) may reference the environment as ${VAR} or
// ${VAR:-default}; the default is used when VAR is unset or empty. "$$" is a
// literal "$". Referencing an unset variable without a default is an error.
//
// # Secrets
//
// Tokens, API keys and webhook secrets have type Secret, which prints and
// marshals as "[redacted]". Every secret key x can instead be given as
// x_file, the path of a file holding the value (Docker and Kubernetes
// secrets); one trailing newline is removed. webhook_secrets_file holds one
// secret per line. Relative paths are relative to the working directory.
//
// # Errors
//
// Load and Parse report every problem at once as a Problems error, one
// "file:line:col: message (hint)" per problem, so a merchant can fix the
// whole file in one go. Secret values never appear in messages.
package config
