// Package segments will turn profiles into features (RFM, lifecycle, frequency, order value,
// geography, device, risk, affinity), predictive scores (BG/NBD, Gamma-Gamma) and rule-based
// segment memberships and their diffs. It never calls a platform API.
//
// Empty until the segments issue; see docs/architecture.md.
package segments
