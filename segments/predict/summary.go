package predict

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Summary is one customer's calibration-period history in the form the models take (the
// "RFM" summary of Fader, Hardie & Lee). Times are in periods of Summarize's periodDays.
type Summary struct {
	Customer string
	// X (frequency) is the number of repeat purchase days in the calibration period: distinct
	// days with a purchase, minus the first.
	X int
	// TX (recency) is the time from the first to the last purchase day; 0 when X = 0.
	TX float64
	// T is the time from the first purchase day to the calibration end.
	T float64
	// Monetary (z̄) is the mean spend per repeat purchase day, same-day purchases summed; the
	// first purchase day is excluded. 0 when X = 0.
	Monetary float64
	// HoldoutX (x*) is the number of distinct purchase days after the calibration end.
	HoldoutX int
	// First is the calendar day of the first purchase (midnight UTC).
	First time.Time
}

// Summarize builds the calibration summary of every customer whose first purchase is on or
// before the calendar day of calibrationEnd (inclusive), in order of first appearance in txs.
// Purchases on the same calendar day are merged (amounts summed). periodDays is the time unit
// of TX and T (7 for weeks); a non-positive or non-finite value means 7.
func Summarize(txs []Transaction, calibrationEnd time.Time, periodDays float64) []Summary {
	if !(periodDays > 0) || math.IsInf(periodDays, 0) {
		periodDays = 7
	}
	end := dayNumber(calibrationEnd)
	type event struct {
		cust   int
		day    int64
		amount float64
	}
	ids := make(map[string]int)
	var names []string
	evs := make([]event, len(txs))
	for i, tx := range txs {
		c, ok := ids[tx.Customer]
		if !ok {
			c = len(names)
			ids[tx.Customer] = c
			names = append(names, tx.Customer)
		}
		evs[i] = event{cust: c, day: dayNumber(tx.At), amount: tx.Amount}
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.cust, b.cust), cmp.Compare(a.day, b.day))
	})
	var out []Summary
	for i := 0; i < len(evs); {
		c := evs[i].cust
		first := evs[i].day
		if first > end {
			for i < len(evs) && evs[i].cust == c {
				i++
			}
			continue
		}
		s := Summary{Customer: names[c], First: time.Unix(first*86400, 0).UTC()}
		last := first
		var repeatSpend float64
		for i < len(evs) && evs[i].cust == c {
			day := evs[i].day
			var spend float64
			for i < len(evs) && evs[i].cust == c && evs[i].day == day {
				spend += evs[i].amount
				i++
			}
			switch {
			case day == first:
			case day <= end:
				s.X++
				repeatSpend += spend
				last = day
			default:
				s.HoldoutX++
			}
		}
		if s.X > 0 {
			s.TX = float64(last-first) / periodDays
			s.Monetary = repeatSpend / float64(s.X)
		}
		s.T = float64(end-first) / periodDays
		out = append(out, s)
	}
	return out
}

// dayNumber is the number of days from 1970-01-01 to t's calendar date in t's own location.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400 // exact: midnight UTC
}
