package kernel

import "math"

// ExpMaxRelErr32 bounds the relative error of the float32 exp used by
// ExpShiftSum against math.Exp over arguments in [ln 2^-126, 0] ≈
// [-87.34, 0]. TestExpAccuracy measures it on a grid of 2^21 points: 7.7e-8
// on the AVX2 and AVX-512 paths, and 1.0e-7 on the pure-Go path, which does
// not fuse its multiply-adds. Both are below 2 units in the last place of
// float32 (one unit at 1 is 2^-23 ≈ 1.2e-7). Below ln 2^-126 the result is
// exactly 0 instead of a subnormal.
const ExpMaxRelErr32 = 1.5e-7

// ExpMaxRelErr64 bounds the relative error of the vectorised float64 exp
// against math.Exp over [ln 2^-1022, 0] ≈ [-708.40, 0]. TestExpAccuracy64
// measures 4.7e-16 on a grid of 2^20 points.
const ExpMaxRelErr64 = 1e-15

// ExpShiftSum replaces every x[i] with exp(x[i] − shift) and returns
// their sum, added in an order fixed by len(x). Entries equal to -Inf
// become exactly 0.
//
// For float32 it uses a degree-7 polynomial after range reduction
// (vectorised on amd64), accurate to ExpMaxRelErr32 for x[i] − shift ≤ 0
// and flushing results below the smallest normal float32 to 0. For
// float64 the assembly paths use a degree-12 polynomial, accurate to
// ExpMaxRelErr64 and flushing results below 2^-1022 to 0, while the pure-Go
// path and the elements past the last whole vector call math.Exp. Arguments larger than ln 2^127 (float32)
// are clamped, so shift should be at least the maximum of x.
func ExpShiftSum[T Float](x []T, shift T) T {
	if xs, ok := any(x).([]float32); ok {
		return T(expShiftSum32(xs, float32(shift)))
	}
	var sum T
	done := 0
	if xs, ok := any(x).([]float64); ok && active.exp64 != nil {
		lanes := active.expLanes / 2
		done = len(x) - len(x)%lanes
		sum = T(active.exp64(xs, float64(shift)))
	}
	for i := done; i < len(x); i++ {
		v := x[i]
		e := T(math.Exp(float64(v - shift)))
		x[i] = e
		sum += e
	}
	return sum
}

func expShiftSum32(x []float32, shift float32) float32 {
	var sum float32
	done := 0
	if active.exp != nil {
		done = len(x) - len(x)%active.expLanes
		sum = active.exp(x, shift)
	}
	for i := done; i < len(x); i++ {
		e := exp32(x[i] - shift)
		x[i] = e
		sum += e
	}
	return sum
}

// Constants of the float32 exp, shared with the assembly.
const (
	expLow  = -87.33654   // ln 2^-126: smaller arguments give 0
	expHigh = 88.02969    // ln 2^127: larger arguments are clamped
	ln2Hi   = 0.693359375 // ln 2 to 9 bits, so n·ln2Hi is exact for |n| < 2^9
	ln2Lo   = float32(math.Ln2 - 0.693359375)
)

// exp32 computes e^t for float32 as the assembly does: t = n·ln 2 + r with
// n integral and |r| ≤ ln(2)/2, e^r by the degree-7 Taylor polynomial, and
// the factor 2^n built in the exponent field.
func exp32(t float32) float32 {
	if !(t >= expLow) { // also catches NaN and -Inf
		return 0
	}
	t = min(t, expHigh)
	n := float32(math.RoundToEven(float64(t * math.Log2E)))
	r := t - n*ln2Hi
	r -= n * ln2Lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 1.0/2
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// Max returns the maximum of x, or -Inf if x is empty. x must not hold
// NaN.
func Max[T Float](x []T) T {
	m := T(math.Inf(-1))
	done := 0
	if xs, ok := any(x).([]float32); ok && active.max != nil {
		done = len(x) - len(x)%active.maxLanes
		m = T(active.max(xs))
	}
	for _, v := range x[done:] {
		if v > m {
			m = v
		}
	}
	return m
}
