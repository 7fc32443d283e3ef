package nn

import (
	"fmt"

	"qkv/attention"
	"qkv/tensor"
)

// Model is a stack of Blocks over a residual stream of width D. How tokens
// become the input rows is up to the caller: the trained search model
// concatenates one-hot token and position codes, the compiled model writes
// named coordinates.
type Model[T Float] struct {
	Blocks  []Block[T]
	FinalLN *LayerNorm[T] // nil: no final normalisation

	// DimNames names each residual coordinate (len D), for example
	// "reach[v7]" or "pos[12]"; nil when the dimensions have no names.
	DimNames []string
}

// Trace records one forward pass: every block's intermediate values and
// the final residual stream.
type Trace[T Float] struct {
	Input  *tensor.Matrix[T] // embedded input [n×D]
	Blocks []*BlockTrace[T]
	// Final is the residual stream after the last block and the final
	// LayerNorm, if any [n×D].
	Final *tensor.Matrix[T]
}

// Forward runs the model on the embedded input x [n×D] with the attention
// mask m applied in every block.
func (md *Model[T]) Forward(x *tensor.Matrix[T], m attention.Mask[T]) (*Trace[T], error) {
	if md.DimNames != nil && len(md.DimNames) != x.Cols {
		return nil, fmt.Errorf("nn: model has %d named dimensions but the input has %d columns", len(md.DimNames), x.Cols)
	}
	tr := &Trace[T]{Input: x}
	h := x
	for i := range md.Blocks {
		out, bt, err := md.Blocks[i].Forward(h, m)
		if err != nil {
			return nil, fmt.Errorf("nn: block %d: %w", i, err)
		}
		tr.Blocks = append(tr.Blocks, bt)
		h = out
	}
	if md.FinalLN != nil {
		h = md.FinalLN.Forward(h)
	}
	tr.Final = h
	return tr, nil
}
