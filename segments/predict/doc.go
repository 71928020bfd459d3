// Package predict fits the "buy 'til you die" models of customer purchasing to transaction
// histories: BG/NBD for the number of future purchases and the probability a customer is still
// active, Gamma-Gamma for the value of those purchases, and from both a customer lifetime
// value.
//
// The steps are ReadTransactions (a CSV or whitespace-separated file; bad rows are reported
// with their line numbers and skipped), Summarize (the per-customer calibration summary x, t_x,
// T, z̄ exactly as in Fader, Hardie & Lee's CDNOW analyses), FitBGNBD and FitGammaGamma
// (maximum likelihood; a fit refuses, with a *FitError and a reason, rather than return
// parameters it cannot stand behind), then the per-customer predictions on BGNBD and GammaGamma
// and CustomerLifetimeValue.
//
// The package does no I/O beyond the io.Reader it is given. Its numbers are checked against the
// published CDNOW results in testdata/SOURCE.md.
package predict
