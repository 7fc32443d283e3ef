package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"qkv/graph"
)

type graphShowOptions struct {
	input       graphInput
	start, goal string
	out         string
	title       string
}

func newGraphShowCmd(env *Env) *cobra.Command {
	o := &graphShowOptions{}
	cmd := &cobra.Command{
		Use:   "show --graph FILE [--start A --goal B] --out FILE.svg",
		Short: "Draw a graph as an SVG picture",
		Long: `show draws a graph with its vertices in columns from left to right: a
vertex's column is the length of the longest path that reaches it. Edges
that close a cycle are drawn as dashed grey curves. With --start and --goal
the two vertices are coloured (start green, goal orange) and a shortest path
between them is drawn in bold blue. Graphs of up to about 50 vertices stay
readable; larger ones are drawn all the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runGraphShow(env, o) },
	}
	o.input.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.start, "start", "", "`NAME` of the start vertex to mark (optional, needs --goal)")
	f.StringVar(&o.goal, "goal", "", "`NAME` of the goal vertex to mark (optional, needs --start)")
	f.StringVar(&o.out, "out", "", "SVG `FILE` to write; required")
	f.StringVar(&o.title, "title", "", "`TEXT` above the picture (default: the graph file name and size)")
	return cmd
}

func runGraphShow(env *Env, o *graphShowOptions) error {
	if o.out == "" {
		return usageErrorf("missing --out FILE.svg: the picture to write")
	}
	if !strings.HasSuffix(strings.ToLower(o.out), ".svg") {
		return usageErrorf("invalid --out %q: show writes SVG, so the file name must end in .svg", o.out)
	}
	if (o.start == "") != (o.goal == "") {
		return usageErrorf("--start and --goal go together: give both or neither")
	}
	outputs := outputSet{}
	outputs.addFile("--out", o.out, nil)
	if err := outputs.check(); err != nil {
		return err
	}
	g, err := o.input.read(env)
	if err != nil {
		return err
	}
	opts := graph.DrawOptions{Title: o.title, Start: -1, Goal: -1}
	if opts.Title == "" {
		source := o.input.path
		if source == "-" {
			source = "standard input"
		}
		opts.Title = fmt.Sprintf("%s: %s, %s", source, plural(g.Len(), "vertex", "vertices"), plural(g.NumEdges(), "edge", "edges"))
	}
	if o.start != "" {
		s, t, err := lookupQuery(g, o.start, o.goal)
		if err != nil {
			return err
		}
		opts.Start, opts.Goal = s, t
		if !g.HasPath(s, t) {
			fmt.Fprintf(env.Stderr, "note: no directed path from %q to %q, so no path is highlighted\n", o.start, o.goal)
		}
	}
	if g.Len() > 50 {
		fmt.Fprintf(env.Stderr, "note: %d vertices; the picture will be dense\n", g.Len())
	}
	var buf bytes.Buffer
	if err := g.WriteSVG(&buf, opts); err != nil {
		return err
	}
	outputs.files[0].data = buf.Bytes()
	return outputs.Commit(env)
}
