package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"qkv/graph"
)

// graphFactories collects the subcommands of "qkv graph".
var graphFactories []commandFactory

func init() {
	register(newGraphCmd)
	graphFactories = append(graphFactories, newGraphGenCmd, newGraphStatsCmd, newGraphEncodeCmd, newGraphShowCmd)
}

func newGraphCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "graph <command>",
		Short: "Generate, inspect, encode and draw graph-search examples",
		Long: `graph works with the graph-search task: given the edges of a directed
graph, a start and a goal vertex, name the next vertex of a path from the
start to the goal.

gen and stats draw examples from the training distributions; encode and
show read your own graph as an edge list, Graphviz DOT or "go mod graph"
output. Duplicate edges are merged, self-loops are dropped with a warning,
and cycles are kept.`,
		Example: `  qkv graph gen --dist balanced --count 5
  qkv graph stats --dist naive --count 20000
  go mod graph > deps.txt && qkv graph encode --graph deps.txt --start qkv --goal golang.org/x/sys@v0.50.0 --n 128
  qkv graph show --graph deps.txt --out deps.svg`,
	}
	for _, f := range graphFactories {
		cmd.AddCommand(f(env))
	}
	return cmd
}

// graphInput holds the flags that read a user's graph.
type graphInput struct {
	path   string
	format string
}

func (in *graphInput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&in.path, "graph", "", "read the graph from `FILE` (\"-\" for standard input); required")
	cmd.Flags().StringVar(&in.format, "format", "auto", "graph file `FORMAT`: "+graph.FormatNames)
}

// read parses the graph and prints warnings about merged and dropped
// edges to stderr.
func (in *graphInput) read(env *Env) (*graph.Digraph, error) {
	if in.path == "" {
		return nil, usageErrorf("missing --graph FILE: the graph to read")
	}
	return readGraph(env, in.path, in.format)
}

// readGraph parses the graph in path ("-" for standard input) in the
// named format, rejects an empty graph, and prints warnings about
// dropped self-loops and merged duplicate edges to stderr.
func readGraph(env *Env, path, formatName string) (*graph.Digraph, error) {
	format, err := graph.ParseFormat(formatName)
	if err != nil {
		return nil, usageErrorf("invalid --format %q: use one of %s", formatName, graph.FormatNames)
	}
	var (
		r    io.Reader = env.Stdin
		name           = "standard input"
		what           = "graph from standard input"
	)
	if path != "-" {
		f, err := os.Open(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("graph file %s not found", path)
		case err != nil:
			return nil, fmt.Errorf("read graph file %s: %w", path, err)
		}
		defer f.Close()
		r, name, what = f, path, "graph file "+path
	}
	g, _, err := graph.Parse(r, name, format)
	if err != nil {
		return nil, err
	}
	if g.Len() == 0 {
		return nil, fmt.Errorf("%s has no vertices", what)
	}
	warnDroppedEdges(env, g.SelfLoops(), g.DuplicateEdges())
	return g, nil
}

// warnDroppedEdges prints to stderr how many self-loops were dropped and
// duplicate edges merged.
func warnDroppedEdges(env *Env, selfLoops []string, duplicates int) {
	if n := len(selfLoops); n > 0 {
		fmt.Fprintf(env.Stderr, "warning: dropped %s, for example on %q: a self-loop never helps to reach another vertex\n", plural(n, "self-loop", "self-loops"), selfLoops[0])
	}
	if duplicates > 0 {
		fmt.Fprintf(env.Stderr, "warning: merged %s\n", plural(duplicates, "duplicate edge", "duplicate edges"))
	}
}

// plural returns "1 edge" or "n edges".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// lookupQuery resolves the start and goal names, as usage errors when
// they are unknown.
func lookupQuery(g *graph.Digraph, start, goal string) (int, int, error) {
	s, err := g.Lookup(start)
	if err != nil {
		return 0, 0, usageErrorf("--start: %v", err)
	}
	t, err := g.Lookup(goal)
	if err != nil {
		return 0, 0, usageErrorf("--goal: %v", err)
	}
	if s == t {
		return 0, 0, usageErrorf("--start and --goal are both %q: choose two different vertices", start)
	}
	return s, t, nil
}

// isNoPath reports whether err means that the goal cannot be reached.
func isNoPath(err error) bool { return errors.Is(err, graph.ErrNoPath) }
