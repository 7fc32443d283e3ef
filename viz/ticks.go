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
