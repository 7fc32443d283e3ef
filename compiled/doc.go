// Package compiled builds a transformer whose weights are constructed, not
// trained, that answers the graph-search task by exponential path-merging:
// given the edges of a directed graph as tokens "E u v", a query "Q s g"
// and a path prefix "P s … c", it scores every child of the current vertex
// c from which the goal g is reachable.
//
// The model is an ordinary nn.Model: residual blocks of attention and a
// ReLU MLP, without LayerNorm, in float64. It runs, plots and traces
// through the same code as a trained model. Every residual coordinate has
// a name (Model.Net.DimNames).
//
// # Residual stream
//
//	kind[E] kind[Q] kind[P] kind[vertex]     the token's kind
//	role[source] role[target] role[goal]     derived by block 1
//	prev1[…] prev2[…]                        scratch of block 1, zero after it
//	pos.cos[f] pos.sin[f], f = 0..F          cos and sin of π·i/2^f
//	self[v]                                  one-hot: the token's own vertex
//	reach[v]                                 the set of vertices the token reaches
//	partner[v]                               target token: the edge's source;
//	                                         path token: the goal
//	next[v]                                  readout: the scored next vertices
//
// D = 11 + 2(F+1) + 4V for vertex ids 1..V, with 2^(F+1) > n+1 for
// sequences of up to n tokens. The positional code separates offsets by a
// provable margin: for an integer Δ ≠ 0 with |Δ| < 2^(F+1), the term of
// Σ_f cos(π·Δ/2^f) whose 2^f is the largest power of two dividing Δ equals
// −1, so the sum is at most F−1 while Δ = 0 gives F+1.
//
// # Blocks
//
//  1. roles: two heads read the kinds of the previous and the second
//     previous token; the MLP marks edge sources, edge targets and the
//     goal token (the token two after Q).
//  2. load: every source token adds its edge's target to its reach set,
//     every target token stores the edge's source in its partner block,
//     and every path token stores the goal there.
//  3. merge 1..M: a token's query is its reach set and every key is a
//     token's own vertex, so it attends evenly to all tokens of the
//     vertices it reaches; the MLP turns the average of their reach sets
//     into the union (z ↦ 0 below 1/(4n), 1 above 1/(2n), from two ReLUs).
//     The union over a vertex's tokens covers 2^k edges after merge k: 1
//     after loading, then 2, 4, 8, …
//  4. readout: the last token finds the target tokens whose partner is
//     the current vertex and whose reach set contains the goal, and writes
//     their vertices into its next block.
//
// # Layer count
//
// A model for vertex ids 1..V has L = 3 + M blocks with M = ⌈log₂ V⌉ merge
// blocks; loading the edges is one block and is not counted in M. After M
// merges a target token reaches every vertex within 2^M − 1 edges, and any
// vertex that reaches the goal does so within V−1 edges. A path of length
// d from the current vertex needs only ⌈log₂ d⌉ merges for its own next
// vertex, and M covers every input on V vertices. The task's sequences of
// N = 128 tokens have V = (N−5)/3 = 41 vertex ids, so L = 9.
//
// # Masks and sessions
//
// The edge tokens attend to each other in both directions and never to
// the query or the path. Every later token attends to the edges, to the
// tokens before it and to itself. So the edge tokens' states do not depend
// on the query, and a Session computes them once per graph. It then runs
// each query's few tokens against them, as a decoder's key-value cache
// does. Model.Forward runs the whole sequence through nn.Model.Forward
// and is the reference the tests compare Session with.
//
// A Session also skips the remaining merge blocks once the decoded reach
// sets are closed: when every set S(t) contains the sets of all tokens of
// every vertex in S(t). A merge block would then change no set, and the
// merge blocks share their weights.
//
// # Answers and iteration
//
// The readout scores every correct next vertex 1 and every other vertex 0.
// A goal that cannot be reached gets no score at all, which Search reports
// as "no path". Search picks the unvisited scored vertex whose reach set
// took in the goal at the earliest merge block (ties to the smaller id),
// appends it to the prefix and asks again. On graphs with cycles it
// backtracks when all scored vertices are already visited, so it always
// ends, after at most V queries (see Walk).
//
// # Limits
//
// New rejects more than MaxVertices vertex ids, more than MaxTokens
// tokens, and any size whose memory estimate (EstimateBytes) exceeds
// MaxBytes, which binds first for large graphs.
package compiled
