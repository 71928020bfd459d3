package predict

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// DefaultMinRepeatBuyers is the fewest repeat buyers a fit accepts unless FitOptions says
// otherwise. With fewer, the maximum-likelihood estimates of these models are too unstable to
// act on (and the Gamma-Gamma fit has nothing to learn spend heterogeneity from).
const DefaultMinRepeatBuyers = 100

// FitOptions tunes FitBGNBD and FitGammaGamma.
type FitOptions struct {
	// MinRepeatBuyers is the fewest customers with a repeat purchase (X > 0; for Gamma-Gamma
	// also a positive Monetary) a fit accepts. 0 means DefaultMinRepeatBuyers; below 1 counts
	// as 1.
	MinRepeatBuyers int
}

func (o FitOptions) minRepeat() int {
	switch {
	case o.MinRepeatBuyers == 0:
		return DefaultMinRepeatBuyers
	case o.MinRepeatBuyers < 1:
		return 1
	}
	return o.MinRepeatBuyers
}

// The kinds of FitError, for errors.Is.
var (
	// ErrTooLittleHistory: fewer repeat buyers than FitOptions.MinRepeatBuyers.
	ErrTooLittleHistory = errors.New("too little purchase history")
	// ErrNotConverged: the optimizer found no point where the likelihood is flat.
	ErrNotConverged = errors.New("fit did not converge")
	// ErrDegenerate: the optimum lies at the edge of the parameter space (a parameter running
	// to 0 or infinity), or the parameters make the model's predictions undefined.
	ErrDegenerate = errors.New("degenerate fit")
	// ErrInvalidSummary: a Summary that no purchase history can produce (negative X, TX > T, ...).
	ErrInvalidSummary = errors.New("invalid customer summary")
)

// FitError says why a model was not fitted. Reason is for people; Kind is one of the Err*
// values above.
type FitError struct {
	Model  string // "BG/NBD" or "Gamma-Gamma"
	Reason string
	Kind   error
}

func (e *FitError) Error() string { return e.Model + " not fitted: " + e.Reason }

// Unwrap returns Kind.
func (e *FitError) Unwrap() error { return e.Kind }

// Parameters further than this factor from 1 (after rescaling the data to unit mean) are taken
// as having run off to 0 or infinity.
const paramLimit = 1e6

// checkSummary rejects summaries no purchase history produces.
func checkSummary(s Summary) error {
	if s.X < 0 || !finite(s.TX) || !finite(s.T) || s.TX < 0 || s.T < s.TX || !finite(s.Monetary) || s.Monetary < 0 {
		return fmt.Errorf("customer %q: x=%d t_x=%g T=%g monetary=%g is not a possible history", clip(s.Customer), s.X, s.TX, s.T, s.Monetary)
	}
	return nil
}

// bestFit runs minimizeBFGS from each start (log-parameters) and keeps the lowest converged
// minimum; when none converged it returns the lowest one, converged=false. The starts run
// side by side (f must be safe for concurrent use); each runs exactly as it would alone, and
// the choice among them is made in the order of starts.
func bestFit(f objective, starts [][]float64) optResult {
	results := make([]optResult, len(starts))
	var wg sync.WaitGroup
	for i, x0 := range starts {
		wg.Go(func() { results[i] = minimizeBFGS(f, x0) })
	}
	wg.Wait()
	var best optResult
	have := false
	for _, r := range results {
		if !finite(r.f) {
			continue
		}
		better := !have || (r.converged && !best.converged) || (r.converged == best.converged && r.f < best.f)
		if better {
			best, have = r, true
		}
	}
	if !have {
		best.f = math.NaN()
	}
	return best
}

// edgeReason names the first parameter at the edge of the space, or "".
func edgeReason(names []string, scaled []float64) string {
	for i, v := range scaled {
		if !finite(v) || v < 1/paramLimit || v > paramLimit {
			dir := "infinity"
			if v < 1 {
				dir = "zero"
			}
			return fmt.Sprintf("parameter %s ran off towards %s, so the data cannot identify it", names[i], dir)
		}
	}
	return ""
}
