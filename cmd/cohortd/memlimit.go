package main

import (
	"log/slog"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// setMemoryLimit makes the Go runtime's soft memory limit follow the container's: 90% of the
// cgroup memory limit (Docker's --memory, a Kubernetes limit) unless GOMEMLIMIT is set. The
// garbage collector then works harder near the limit instead of letting the heap grow into
// an OOM kill, which matters for the backfill and rebuild of a large store. Without a cgroup
// limit nothing changes.
func setMemoryLimit() {
	_, _ = memlimit.SetGoMemLimitWithOpts(
		memlimit.WithRatio(0.9),
		memlimit.WithProvider(memlimit.FromCgroup),
		memlimit.WithLogger(slog.New(slog.DiscardHandler)),
	)
}
