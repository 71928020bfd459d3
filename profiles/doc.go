// Package profiles will hold the canonical Profile and Order model, the normalizers (email,
// phone, names, country, currency, dates), identity resolution and merging, and data-quality
// metrics. It never touches bbolt directly: persistence goes through package store.
//
// Empty until the profiles issue; see docs/architecture.md.
package profiles
