//go:build race

package rules

// raceEnabled: the race detector makes sync.Pool drop items at random, so Match allocates.
const raceEnabled = true
