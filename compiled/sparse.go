package compiled

import (
	"qkv/nn"
	"qkv/tensor"
)

// sparseLinear is a Linear layer [in×out] stored by its nonzero weights.
// The compiled weights are almost all zero (each block reads and writes
// a few labelled ranges), so a token's projection costs a few
// multiply-adds per coordinate instead of a pass over the dense in×out
// matrix, which for V = 300 and n = 3,304 tokens is 1,235² float64 values
// (12 MB).
type sparseLinear struct {
	out  int
	bias []float64
	// rowStart[i]..rowStart[i+1] index the nonzero weights of input i in
	// cols and vals.
	rowStart []int
	cols     []int
	vals     []float64
}

func newSparseLinear(l *nn.Linear[float64]) *sparseLinear {
	w := l.W
	s := &sparseLinear{out: w.Cols, bias: l.B, rowStart: make([]int, w.Rows+1)}
	for i := 0; i < w.Rows; i++ {
		for j, v := range w.Row(i) {
			if v != 0 {
				s.cols = append(s.cols, j)
				s.vals = append(s.vals, v)
			}
		}
		s.rowStart[i+1] = len(s.cols)
	}
	return s
}

// forward returns x·W + b for x [n×in], skipping zero inputs. It equals
// nn.Linear.Forward up to the order of the floating-point additions.
func (s *sparseLinear) forward(x *tensor.Matrix[float64]) *tensor.Matrix[float64] {
	y := tensor.New[float64](x.Rows, s.out)
	for r := 0; r < x.Rows; r++ {
		dst := y.Row(r)
		if s.bias != nil {
			copy(dst, s.bias)
		}
		for i, xi := range x.Row(r) {
			if xi == 0 {
				continue
			}
			for k := s.rowStart[i]; k < s.rowStart[i+1]; k++ {
				dst[s.cols[k]] += xi * s.vals[k]
			}
		}
	}
	return y
}

// sparseBlock holds the sparse form of every Linear layer of one block.
type sparseBlock struct {
	q, k, v, o *sparseLinear
	up, down   *sparseLinear // nil without an MLP
}

// sparseBlocks returns the sparse form of every block of the model,
// converting the shared weights of the merge blocks once.
func (m *Model) sparseBlocks() []*sparseBlock {
	seen := map[*tensor.Matrix[float64]]*sparseBlock{}
	out := make([]*sparseBlock, len(m.Net.Blocks))
	for i := range m.Net.Blocks {
		b := &m.Net.Blocks[i]
		if sb, ok := seen[b.Attn.Q.W]; ok {
			out[i] = sb
			continue
		}
		sb := &sparseBlock{
			q: newSparseLinear(&b.Attn.Q), k: newSparseLinear(&b.Attn.K),
			v: newSparseLinear(&b.Attn.V), o: newSparseLinear(&b.Attn.O),
		}
		if b.MLP != nil {
			sb.up, sb.down = newSparseLinear(&b.MLP.Up), newSparseLinear(&b.MLP.Down)
		}
		seen[b.Attn.Q.W] = sb
		out[i] = sb
	}
	return out
}
