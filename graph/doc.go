// Package graph reads directed graphs whose vertices are named by
// arbitrary strings, answers reachability and shortest-path questions on
// them, and draws them as SVG.
//
// # Formats
//
// Parse reads three text formats and can tell them apart (FormatAuto):
//
//   - edge list: one edge per line, written "a b" or "a -> b"; "#" starts
//     a comment, blank lines are skipped, and a line with a single name
//     declares a vertex without edges;
//   - Graphviz DOT, the subset that describes a directed graph: "digraph
//     name { … }", edge statements with chains ("a -> b -> c"), node
//     statements, quoted ids with backslash escapes, attribute lists, ports,
//     "subgraph x { … }" and bare "{ … }" groups (whose braces only group
//     vertices), and "//", "/* */" and "#" comments. An undirected graph
//     ("graph" or "--") is rejected with an error;
//   - the output of "go mod graph": one "module@version dependency@version"
//     pair per line. Vertex names are the full path@version strings; the
//     main module appears without a version.
//
// Errors name the file and the line.
//
// # Cycles, self-loops and duplicate edges
//
// A Digraph is a simple directed graph: a repeated edge is merged into the
// first one (DuplicateEdges counts them) and a self-loop a→a is dropped
// (SelfLoops lists the vertices), because a self-loop never helps to reach
// another vertex. Cycles are kept: reachability, breadth-first distances and
// shortest paths are well defined on any directed graph.
//
// # Vertex indices
//
// Vertices are numbered 0, 1, … in order of first appearance in the input,
// and Children and Parents list neighbours in order of edge appearance, so
// every result is deterministic for a given file.
package graph
