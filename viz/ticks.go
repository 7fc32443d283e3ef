package viz

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// niceTicker places four to eight ticks at round values (1, 2 or 5 times a
// power of ten) on a linear axis. It replaces plot.DefaultTicks, which in
// gonum.org/v1/plot v0.17.0 does not return for ranges near the float64
// limits.
type niceTicker struct{}

// maxTicks bounds the number of ticks niceTicker returns, whatever
// rounding does to the step.
const maxTicks = 12

func (niceTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	// (hi−lo)/5 without forming hi−lo, which can overflow.
	raw := hi/5 - lo/5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	if !(step > 0) || math.IsInf(step, 0) {
		return []plot.Tick{{Value: lo, Label: formatTick(lo)}, {Value: hi, Label: formatTick(hi)}}
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo / step); len(ticks) < maxTicks; k++ {
		v := k * step
		if v > hi || math.IsInf(v, 0) {
			break
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v)})
	}
	return ticks
}

// formatTick writes a tick value with at most four significant digits and
// no negative zero.
func formatTick(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// tickDecimals returns the digits after the decimal point that the step
// between ticks needs, at most 4, so that all labels of an axis share one
// format: 0.0, 0.5, 1.0 instead of 0, 0.5, 1. niceTicker steps are 1, 2 or
// 5 times a power of ten, so the step's leading digit decides.
func tickDecimals(ticks []plot.Tick) int {
	if len(ticks) < 2 {
		return 0
	}
	step := ticks[1].Value - ticks[0].Value
	if !(step > 0) || math.IsInf(step, 0) {
		return 0
	}
	// The tolerance absorbs rounding in k·step, e.g. 0.30000000000000004.
	d := -math.Floor(math.Log10(step) + 1e-9)
	return int(min(max(d, 0), 4))
}

// formatTickFixed writes a tick value with the given number of decimals,
// or in exponent form when its magnitude is 10⁵ or more, or below 10⁻⁴
// and not zero, where fixed decimals would be unreadable.
func formatTickFixed(v float64, decimals int) string {
	if v == 0 {
		v = 0 // no negative zero
	}
	if a := math.Abs(v); a >= 1e5 || (a != 0 && a < 1e-4) {
		return formatTick(v)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', decimals, 64) {
		s = s[1:]
	}
	return s
}
