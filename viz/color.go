package viz

import (
	"image/color"
	"math"
)

// ColorScale maps values in [Min, Max] to colours by linear interpolation
// between evenly spaced stops. Values outside the range take the colour of
// the nearer end.
type ColorScale struct {
	Min, Max float64
	// Stops are the colours at Min, …, Max, evenly spaced; at least two.
	Stops []color.NRGBA
	// Diverging marks a scale whose neutral value is the midpoint of
	// [Min, Max] rather than Min.
	Diverging bool
}

// Colour stops: a blue–white–red diverging ramp and a pale-to-dark-red
// sequential ramp, both readable in greyscale print because lightness
// changes monotonically away from the neutral end.
var (
	divergingStops = []color.NRGBA{
		{0x21, 0x66, 0xac, 0xff},
		{0x67, 0xa9, 0xcf, 0xff},
		{0xd1, 0xe5, 0xf0, 0xff},
		{0xf7, 0xf7, 0xf7, 0xff},
		{0xfd, 0xdb, 0xc7, 0xff},
		{0xef, 0x8a, 0x62, 0xff},
		{0xb2, 0x18, 0x2b, 0xff},
	}
	sequentialStops = []color.NRGBA{
		{0xff, 0xf7, 0xec, 0xff},
		{0xfd, 0xd4, 0x9e, 0xff},
		{0xfc, 0x8d, 0x59, 0xff},
		{0xd7, 0x30, 0x1f, 0xff},
		{0x7f, 0x00, 0x00, 0xff},
	}
)

// MaskedColor is the colour of -Inf entries, such as masked scores.
var MaskedColor = color.NRGBA{0xbd, 0xbd, 0xbd, 0xff}

// Diverging returns a blue–white–red scale over [-limit, limit]. A limit
// that is zero, negative or not finite becomes 1, so that an all-zero
// matrix still gets a usable scale.
func Diverging(limit float64) ColorScale {
	if !(limit > 0) || math.IsInf(limit, 0) {
		limit = 1
	}
	return ColorScale{Min: -limit, Max: limit, Stops: divergingStops, Diverging: true}
}

// Sequential returns a pale-to-dark-red scale over [min, max]. When max is
// not above min, the range is widened to [min, min+d] with d = max(1,
// |min|·10⁻⁶), or to [min−d, min] where min+d would overflow.
func Sequential(min, max float64) ColorScale {
	if !(max > min) {
		d := math.Max(1, math.Abs(min)*1e-6)
		if math.IsInf(min+d, 1) {
			min, max = min-d, min
		} else {
			max = min + d
		}
	}
	return ColorScale{Min: min, Max: max, Stops: sequentialStops}
}

// WeightScale is the sequential scale over [0, 1] used for attention
// weights.
func WeightScale() ColorScale { return Sequential(0, 1) }

// DivergingFor returns a diverging scale centred on 0 that covers every
// finite value in data.
func DivergingFor(data []float64) ColorScale {
	limit := 0.0
	for _, v := range data {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			limit = math.Max(limit, math.Abs(v))
		}
	}
	return Diverging(limit)
}

// SequentialFor returns a sequential scale over the range of the finite
// values in data.
func SequentialFor(data []float64) ColorScale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range data {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo = math.Min(lo, v)
			hi = math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	return Sequential(lo, hi)
}

// valid reports whether the scale can map values.
func (s ColorScale) valid() bool {
	return len(s.Stops) >= 2 && s.Max > s.Min && !math.IsInf(s.Min, 0) && !math.IsInf(s.Max, 0)
}

// At returns the colour of v. -Inf and +Inf entries get MaskedColor.
func (s ColorScale) At(v float64) color.NRGBA {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return MaskedColor
	}
	pos := s.fraction(v) * float64(len(s.Stops)-1)
	i := int(pos)
	if i >= len(s.Stops)-1 {
		return s.Stops[len(s.Stops)-1]
	}
	f := pos - float64(i)
	a, b := s.Stops[i], s.Stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// fraction returns where v lies in [Min, Max], clamped to [0, 1]. It
// halves the operands first, so that a range as wide as the float64
// range does not overflow to Inf.
func (s ColorScale) fraction(v float64) float64 {
	t := (v/2 - s.Min/2) / (s.Max/2 - s.Min/2)
	if math.IsNaN(t) {
		return 0
	}
	return math.Max(0, math.Min(1, t))
}

// neutral returns the value that the scale shows as its palest colour.
func (s ColorScale) neutral() float64 {
	if s.Diverging {
		return (s.Min + s.Max) / 2
	}
	return s.Min
}

// textColor returns black or white, whichever reads better on bg.
func textColor(bg color.NRGBA) color.NRGBA {
	// Relative luminance with the Rec. 709 weights on gamma-encoded
	// values, which is accurate enough to pick black or white.
	lum := (0.2126*float64(bg.R) + 0.7152*float64(bg.G) + 0.0722*float64(bg.B)) / 255
	if lum > 0.5 {
		return color.NRGBA{0, 0, 0, 0xff}
	}
	return color.NRGBA{0xff, 0xff, 0xff, 0xff}
}
