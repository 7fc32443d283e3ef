// Package nn is the transformer that both the compiled path-merging model
// and the trained models run on: residual blocks of (optional) LayerNorm,
// attention with one or more heads, and a ReLU MLP.
//
// # Shapes
//
//	n    sequence length (tokens)
//	D    residual width
//	H    MLP hidden width
//	h    heads per attention layer; each head has width D_h = D_attn/h
//
// Activations are row-major [n×D] tensor.Matrix values, one row per token.
// A Linear layer computes y = x·W + b with W [in×out], the numpy
// convention (PyTorch stores the transpose).
//
// # Block
//
// One Block computes
//
//	a = LN1(x)                          (identity when LN1 is nil)
//	x = x + Attention(a)                 heads concatenated, then W_O
//	m = LN2(x)                          (identity when LN2 is nil)
//	x = x + Down(ReLU(Up(m)))            skipped when MLP is nil
package nn
