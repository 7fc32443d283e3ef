// Package attention computes scaled dot-product attention and multi-head
// attention exactly as the textbook defines them.
//
// # Shapes
//
// Dimension names used throughout:
//
//	n_q      number of queries (rows of Q)
//	n_k      number of keys and values (rows of K and V)
//	d_model  width of the token embeddings X
//	d_k      width of queries and keys
//	d_v      width of values
//	h        number of heads
//	d_out    width of the output projection W_O
//
// All matrices are row-major tensor.Matrix values:
//
//	Q [n_q×d_k], K [n_k×d_k], V [n_k×d_v]
//	S = Q·Kᵀ·scale (+ bias)          [n_q×n_k]  scores
//	A = row-softmax(S)               [n_q×n_k]  weights, each row sums to 1
//	Z = A·V                          [n_q×d_v]  output
//
// Row i of S and A belongs to query i (the token attending, "from");
// column j to key j (the token attended to, "to").
//
// # Masks
//
// A Mask removes keys from a query's softmax: masked entries get weight
// exactly 0 and are skipped, not pushed down by a large negative constant.
// A query whose keys are all masked gets a row of zeros in A and in Z.
//
// # Non-finite values
//
// Q, K, V, X and the weight matrices must be finite: a NaN or ±Inf element
// is reported as an error naming the matrix and the element. A Bias may
// hold -Inf, which masks that entry; NaN or +Inf in a Bias is an error. A
// score that overflows to ±Inf although its inputs are finite is an error
// too, so no NaN ever leaves this package. Scores of any finite magnitude
// (±1e30 included) are handled: the softmax subtracts the row maximum.
//
// # Determinism
//
// Work is split across goroutines by a fixed partition of the query rows
// and heads, so every result is bit-identical from run to run and for any
// GOMAXPROCS.
//
// # Reference implementation
//
// AttendReference computes the same result with plain loops and no
// parallelism. It is the oracle the tests check the fast path against.
package attention
