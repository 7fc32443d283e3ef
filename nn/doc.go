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
//
// # Search model
//
// SearchModel is the graph-search transformer of Saparov et al.,
// "Transformers Struggle to Learn to Search" (ICLR 2025), built on Model.
// The input row of token t at position i is [onehot(t); 0^hidden;
// onehot(i)], so D = vocab + hidden + N (190 for N = 128, hidden 16).
// Every block has LayerNorms, one or more heads and a D×D×D ReLU MLP. The
// logits are the first vocab coordinates of the final LayerNorm's output
// at the last position. PAD keys are masked exactly, not by a large
// negative score. All parameters live in one flat vector (ParamSpecs gives
// the layout), so optimizers and checkpoints see one slice.
//
// # Training pass
//
// Backprop computes the mean cross-entropy and its gradient by hand, in
// the style of llm.c: forward functions cache activations, backward
// functions walk the same steps in reverse, adding (+=) into parameter
// gradients. It computes only the non-PAD rows of each input, stacks the
// rows of several inputs for the linear layers, and in the last block
// computes only the last row, which is the only one the loss reads. The
// traced Model.Forward is its test oracle, and central finite differences
// in float64 check every parameter's gradient.
package nn
