// Package task defines the graph-search task that qkv's transformers are
// trained and traced on: given the edges of a directed graph, a start and a
// goal vertex, output the next vertex of a path from start to goal.
//
// # Tokens
//
// A Vocab fixes the token ids for sequence length N: vertex ids 1..V with
// V = (N−5)/3, then PATH, EDGE, PAD and QUERY (V+1..V+4). An Example
// becomes N ids, left-padded:
//
//	PAD … PAD  EDGE u v …  QUERY s g  PATH s
//
// and the model reads its prediction at the last position. The text form
// writes E, Q and P for the special tokens and omits the padding, for
// example "E 4 1 E 8 3 E 1 6 Q 8 6 P 8" (ParseText, Example.Text).
//
// # Labels and lookahead
//
// Every child of the current vertex from which the goal is reachable is a
// correct next vertex (Example.Labels). The lookahead of an example measures how
// many breadth-first levels a search needs to tell the correct branch from
// the others (Lookahead); LookaheadReference computes the same number from
// distances and serves as its test oracle.
//
// # Distributions
//
// A Generator draws examples from the naive, balanced, balanced without
// prefix vertices, and star distributions. Example i of a seed depends
// only on (seed, i), so the output is the same for any number of
// goroutines. Reserved test sets (ReserveTestSets) hold examples with
// exactly one correct answer and a given lookahead; a Generator given a
// Reserved set never emits an example with the same token sequence.
//
// # User graphs
//
// EncodeGraph turns a graph.Digraph with named vertices and a query into
// an Example and reports a graph that is too large for N with the smallest
// N that fits. Lookahead on a graph with cycles is computed on the graph as
// given; the current vertex never counts as a new vertex when a cycle
// leads back to it.
package task
