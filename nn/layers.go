package nn

import (
	"fmt"
	"math"

	"qkv/attention"
	"qkv/tensor"
)

// Float is the element type: float32 or float64.
type Float = tensor.Float

// Linear is an affine map y = x·W + b.
type Linear[T Float] struct {
	W *tensor.Matrix[T] // [in×out]
	B []T               // [out], nil for no bias
}

// Forward returns x·W + b for x [n×in].
func (l *Linear[T]) Forward(x *tensor.Matrix[T]) (*tensor.Matrix[T], error) {
	y, err := tensor.MatMul(x, l.W)
	if err != nil {
		return nil, err
	}
	if l.B != nil {
		for i := 0; i < y.Rows; i++ {
			row := y.Row(i)
			for j := range row {
				row[j] += l.B[j]
			}
		}
	}
	return y, nil
}

// LayerNorm normalises each row to zero mean and unit variance, then
// applies a per-column gain and bias.
type LayerNorm[T Float] struct {
	Gain []T // [D]
	Bias []T // [D]
	Eps  float64
}

// NewLayerNorm returns a LayerNorm of width d with gain 1, bias 0 and
// eps 1e-5 (PyTorch's default).
func NewLayerNorm[T Float](d int) *LayerNorm[T] {
	g := make([]T, d)
	for i := range g {
		g[i] = 1
	}
	return &LayerNorm[T]{Gain: g, Bias: make([]T, d), Eps: 1e-5}
}

// Forward returns the normalised copy of x [n×D].
func (ln *LayerNorm[T]) Forward(x *tensor.Matrix[T]) *tensor.Matrix[T] {
	y := tensor.New[T](x.Rows, x.Cols)
	for i := 0; i < x.Rows; i++ {
		normalizeRow(y.Row(i), x.Row(i), ln.Gain, ln.Bias, ln.Eps)
	}
	return y
}

// normalizeRow writes LayerNorm(x) into dst and returns the row's mean
// and reciprocal standard deviation.
func normalizeRow[T Float](dst, x, gain, bias []T, eps float64) (mean, rstd T) {
	var sum T
	for _, v := range x {
		sum += v
	}
	mean = sum / T(len(x))
	var ss T
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	rstd = T(1 / math.Sqrt(float64(ss/T(len(x)))+eps))
	for j, v := range x {
		dst[j] = (v-mean)*rstd*gain[j] + bias[j]
	}
	return mean, rstd
}

// Attention is a multi-head self-attention layer with projections of
// width D_attn = Heads·D_h.
type Attention[T Float] struct {
	Heads      int
	Q, K, V, O Linear[T] // Q, K, V: [D×D_attn]; O: [D_attn×D]
	// Scale multiplies the scores; 0 selects 1/√D_h.
	Scale float64
}

// MLP is the feed-forward sublayer Down(ReLU(Up(x))).
type MLP[T Float] struct {
	Up   Linear[T] // [D×H]
	Down Linear[T] // [H×D]
}

// Block is one residual transformer block; see the package documentation.
type Block[T Float] struct {
	LN1  *LayerNorm[T] // nil: attention reads x directly
	Attn Attention[T]
	LN2  *LayerNorm[T] // nil: the MLP reads x directly
	MLP  *MLP[T]       // nil: no MLP sublayer
}

// BlockTrace records the intermediate values of one Block.Forward call.
type BlockTrace[T Float] struct {
	Input   *tensor.Matrix[T]   // x entering the block [n×D]
	AttnIn  *tensor.Matrix[T]   // LN1(x) [n×D]
	Q, K, V []*tensor.Matrix[T] // per head [n×D_h]
	Scores  []*tensor.Matrix[T] // per head [n×n], -Inf where masked
	Weights []*tensor.Matrix[T] // per head [n×n]
	AttnOut *tensor.Matrix[T]   // Attention(a) after W_O [n×D]
	Mid     *tensor.Matrix[T]   // x after the attention residual [n×D]
	MLPIn   *tensor.Matrix[T]   // LN2(Mid) [n×D]
	Hidden  *tensor.Matrix[T]   // ReLU(Up(MLPIn)) [n×H]
	Output  *tensor.Matrix[T]   // x leaving the block [n×D]
}

// Forward runs the block on x [n×D] with the attention mask m and returns
// the new residual stream and the trace of intermediate values.
func (b *Block[T]) Forward(x *tensor.Matrix[T], m attention.Mask[T]) (*tensor.Matrix[T], *BlockTrace[T], error) {
	tr := &BlockTrace[T]{Input: x}

	// Attention sublayer.
	a := x
	if b.LN1 != nil {
		a = b.LN1.Forward(x)
	}
	tr.AttnIn = a
	heads, err := b.Attn.project(a)
	if err != nil {
		return nil, nil, err
	}
	res, err := attention.AttendHeads(heads, nil, attention.Options[T]{
		Scale: b.Attn.scale(), Mask: m, KeepScores: true, KeepWeights: true,
	})
	if err != nil {
		return nil, nil, err
	}
	for i, h := range heads {
		tr.Q = append(tr.Q, h.Q)
		tr.K = append(tr.K, h.K)
		tr.V = append(tr.V, h.V)
		tr.Scores = append(tr.Scores, res.Heads[i].Scores)
		tr.Weights = append(tr.Weights, res.Heads[i].Weights)
	}
	out, err := b.Attn.O.Forward(res.Concat)
	if err != nil {
		return nil, nil, fmt.Errorf("attention output projection: %w", err)
	}
	tr.AttnOut = out
	mid := addMatrices(x, out)
	tr.Mid = mid

	// MLP sublayer.
	if b.MLP == nil {
		tr.Output = mid
		return mid, tr, nil
	}
	mi := mid
	if b.LN2 != nil {
		mi = b.LN2.Forward(mid)
	}
	tr.MLPIn = mi
	hid, err := b.MLP.Up.Forward(mi)
	if err != nil {
		return nil, nil, fmt.Errorf("MLP up projection: %w", err)
	}
	for i, v := range hid.Data {
		hid.Data[i] = max(v, 0)
	}
	tr.Hidden = hid
	down, err := b.MLP.Down.Forward(hid)
	if err != nil {
		return nil, nil, fmt.Errorf("MLP down projection: %w", err)
	}
	y := addMatrices(mid, down)
	tr.Output = y
	return y, tr, nil
}

// project splits the Q, K and V projections of a [n×D] into heads.
func (at *Attention[T]) project(a *tensor.Matrix[T]) ([]attention.Projections[T], error) {
	if at.Heads < 1 {
		return nil, fmt.Errorf("attention layer has %d heads, want at least 1", at.Heads)
	}
	q, err := at.Q.Forward(a)
	if err != nil {
		return nil, fmt.Errorf("query projection: %w", err)
	}
	k, err := at.K.Forward(a)
	if err != nil {
		return nil, fmt.Errorf("key projection: %w", err)
	}
	v, err := at.V.Forward(a)
	if err != nil {
		return nil, fmt.Errorf("value projection: %w", err)
	}
	if q.Cols%at.Heads != 0 || v.Cols%at.Heads != 0 {
		return nil, fmt.Errorf("attention width %d (values %d) is not divisible by %d heads", q.Cols, v.Cols, at.Heads)
	}
	heads := make([]attention.Projections[T], at.Heads)
	for h := range heads {
		heads[h] = attention.Projections[T]{
			Q: columns(q, h*q.Cols/at.Heads, (h+1)*q.Cols/at.Heads),
			K: columns(k, h*k.Cols/at.Heads, (h+1)*k.Cols/at.Heads),
			V: columns(v, h*v.Cols/at.Heads, (h+1)*v.Cols/at.Heads),
		}
	}
	return heads, nil
}

func (at *Attention[T]) scale() float64 {
	if at.Scale != 0 {
		return at.Scale
	}
	return 1 / math.Sqrt(float64(at.Q.W.Cols/at.Heads))
}

// columns copies columns [lo, hi) of m into a new matrix.
func columns[T Float](m *tensor.Matrix[T], lo, hi int) *tensor.Matrix[T] {
	if lo == 0 && hi == m.Cols {
		return m
	}
	c := tensor.New[T](m.Rows, hi-lo)
	for i := 0; i < m.Rows; i++ {
		copy(c.Row(i), m.Row(i)[lo:hi])
	}
	return c
}

func addMatrices[T Float](a, b *tensor.Matrix[T]) *tensor.Matrix[T] {
	c := tensor.New[T](a.Rows, a.Cols)
	for i := range c.Data {
		c.Data[i] = a.Data[i] + b.Data[i]
	}
	return c
}
