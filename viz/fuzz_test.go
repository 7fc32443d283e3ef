package viz

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"qkv/tensor"
)

// FuzzHeatmap draws matrices of arbitrary float64 values, including huge,
// tiny, infinite and NaN ones. Render must return an error for NaN and
// succeed otherwise, and never panic.
func FuzzHeatmap(f *testing.F) {
	f.Add(uint8(2), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f})                                     // max float64
	f.Add(uint8(2), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0xff, 1, 0, 0, 0, 0, 0, 0, 0})                               // -Inf and a subnormal
	f.Add(uint8(3), []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0}) // NaN
	f.Fuzz(func(t *testing.T, cols uint8, raw []byte) {
		n := len(raw) / 8
		if cols == 0 || n == 0 || n%int(cols) != 0 {
			return
		}
		values := make([]float64, n)
		hasNaN := false
		for i := range values {
			values[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			hasNaN = hasNaN || math.IsNaN(values[i])
		}
		m, err := tensor.FromSlice(n/int(cols), int(cols), values)
		if err != nil {
			t.Fatal(err)
		}
		for _, scale := range []ColorScale{DivergingFor(values), SequentialFor(values)} {
			_, err := Render(&Heatmap{Values: m, Scale: &scale}, SVG)
			if hasNaN {
				if err == nil || !strings.Contains(err.Error(), "NaN") {
					t.Errorf("NaN input: err = %v, want an error naming NaN", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("values %v: %v", values, err)
			}
		}
	})
}
