package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"qkv/task"
	"qkv/viz"
)

type graphStatsOptions struct {
	in      string
	dist    string
	n       int
	maxLook int
	count   int
	seed    uint64
	plotDir string
	// maxLookSet reports that the user gave --max-lookahead.
	maxLookSet bool
}

func newGraphStatsCmd(env *Env) *cobra.Command {
	o := &graphStatsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [--in FILE.jsonl | --dist D …]",
		Short: "Show histograms of lookahead, size, path length and answers",
		Long: `stats counts, over a file written by "qkv graph gen" (--in) or over fresh
examples of a distribution, the lookahead, the number of vertices and edges,
the distance from start to goal, and the number of correct next vertices,
and prints each histogram as bars. --plot DIR also writes each histogram as
PNG and SVG.`,
		Example: `  qkv graph stats --dist naive --count 20000
  qkv graph stats --in train.jsonl --plot figures/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.in != "" {
				for _, name := range []string{"dist", "n", "max-lookahead", "count", "seed"} {
					if cmd.Flags().Changed(name) {
						return usageErrorf("--%s sets up generated examples, but --in reads them from %s; drop --%s or --in", name, o.in, name)
					}
				}
			}
			o.maxLookSet = cmd.Flags().Changed("max-lookahead")
			return runGraphStats(env, o)
		},
	}
	addDistFlags(cmd, &o.dist, &o.n, &o.maxLook, &o.count, &o.seed)
	f := cmd.Flags()
	f.StringVar(&o.in, "in", "", "read examples from the JSON Lines `FILE` written by qkv graph gen instead of generating them (\"-\" for standard input)")
	f.StringVar(&o.plotDir, "plot", "", "`DIR` for PNG and SVG histograms (created if missing; default: none)")
	return cmd
}

// inputName names the --in file in messages.
func inputName(in string) string {
	if in == "-" {
		return "standard input"
	}
	return in
}

// histogram counts integer values.
type histogram struct {
	name, file string
	counts     map[int]int
	total      int
	sum        float64
}

func (h *histogram) add(x int) {
	if h.counts == nil {
		h.counts = map[int]int{}
	}
	h.counts[x]++
	h.total++
	h.sum += float64(x)
}

func (h *histogram) bounds() (lo, hi int) {
	first := true
	for x := range h.counts {
		if first || x < lo {
			lo = x
		}
		if first || x > hi {
			hi = x
		}
		first = false
	}
	return lo, hi
}

func runGraphStats(env *Env, o *graphStatsOptions) error {
	var examples []task.Example
	if o.in != "" {
		var err error
		if examples, err = readExamplesJSONL(env, o.in); err != nil {
			return err
		}
	} else {
		cfg, err := distConfig(o.dist, o.n, o.maxLook, o.maxLookSet)
		if err != nil {
			return err
		}
		gen, err := task.NewGenerator(cfg)
		if err != nil {
			return usageError{err}
		}
		if o.count <= 0 {
			return usageErrorf("invalid --count %d: must be ≥ 1", o.count)
		}
		examples = generateWithProgress(env, gen, o.seed, o.count)
	}
	if len(examples) == 0 {
		return fmt.Errorf("%s contains no examples; write some with qkv graph gen --out FILE", inputName(o.in))
	}
	hists := []*histogram{
		{name: "lookahead", file: "lookahead"},
		{name: "vertices", file: "vertices"},
		{name: "edges", file: "edges"},
		{name: "distance from start to goal", file: "distance"},
		{name: "correct next vertices", file: "answers"},
	}
	for i := range examples {
		ex := &examples[i]
		hists[0].add(ex.Lookahead)
		hists[1].add(countVertices(ex))
		hists[2].add(len(ex.Edges))
		hists[3].add(startGoalDistance(ex))
		hists[4].add(len(ex.Labels))
	}
	for _, h := range hists {
		writeHistogram(env.Stdout, h)
	}
	if o.plotDir != "" {
		return plotHistograms(env, o.plotDir, hists)
	}
	return nil
}

func countVertices(ex *task.Example) int {
	seen := map[int]bool{ex.Start: true, ex.Goal: true}
	for _, e := range ex.Edges {
		seen[e.From], seen[e.To] = true, true
	}
	return len(seen)
}

// startGoalDistance returns the number of edges on a shortest path from
// start to goal, or -1 when there is none.
func startGoalDistance(ex *task.Example) int {
	children := map[int][]int{}
	for _, e := range ex.Edges {
		children[e.From] = append(children[e.From], e.To)
	}
	dist := map[int]int{ex.Start: 0}
	queue := []int{ex.Start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if u == ex.Goal {
			return dist[u]
		}
		for _, w := range children[u] {
			if _, ok := dist[w]; !ok {
				dist[w] = dist[u] + 1
				queue = append(queue, w)
			}
		}
	}
	return -1
}

// writeHistogram prints one line per value with a bar scaled to the
// largest count.
func writeHistogram(w io.Writer, h *histogram) {
	lo, hi := h.bounds()
	most := 0
	for _, c := range h.counts {
		most = max(most, c)
	}
	fmt.Fprintf(w, "%s (%d examples, mean %.2f):\n", h.name, h.total, h.sum/float64(h.total))
	const width = 50
	for x := lo; x <= hi; x++ {
		c := h.counts[x]
		bar := strings.Repeat("█", (c*width+most-1)/most)
		fmt.Fprintf(w, "  %4d │%-*s %7d  %6.2f%%\n", x, width, bar, c, 100*float64(c)/float64(h.total))
	}
	fmt.Fprintln(w)
}

func plotHistograms(env *Env, dir string, hists []*histogram) error {
	outputs := outputSet{}
	for _, h := range hists {
		lo, hi := h.bounds()
		values := make(plotter.Values, hi-lo+1)
		for x := lo; x <= hi; x++ {
			values[x-lo] = float64(h.counts[x]) / float64(h.total)
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (%d examples)", h.name, h.total)
		p.Title.Padding = vg.Points(6)
		p.X.Label.Text = h.name
		p.Y.Label.Text = "share of examples"
		bars, err := plotter.NewBarChart(values, vg.Points(max(2, 300/float64(len(values)))))
		if err != nil {
			return fmt.Errorf("plot %s: %w", h.name, err)
		}
		bars.XMin = float64(lo)
		p.Add(bars)
		// Bars are centred on whole numbers: leave a bar's width of room
		// on each side so that the first and the last are not cut.
		p.X.Min, p.X.Max = float64(lo)-1, float64(hi)+1
		p.X.Tick.Marker = integerTicks{}
		for _, format := range []viz.Format{viz.PNG, viz.SVG} {
			data, err := viz.Render(marginPlot{p}, format)
			if err != nil {
				return fmt.Errorf("plot %s: %w", h.name, err)
			}
			outputs.addInDir("--plot", dir, h.file+"."+string(format), data, false)
		}
	}
	return outputs.Commit(env)
}

// marginPlot draws a gonum plot on a 6 by 4 inch page with a margin
// above it, because gonum sets the title flush with the top edge.
type marginPlot struct{ p *plot.Plot }

func (m marginPlot) Size() (vg.Length, vg.Length) { return 6 * vg.Inch, 4 * vg.Inch }

func (m marginPlot) Draw(c draw.Canvas) error {
	m.p.Draw(draw.Crop(c, 0, 0, 0, -vg.Points(8)))
	return nil
}

// readExamplesJSONL reads the examples of a gen output file; labels and
// lookahead are recomputed from the tokens when a line lacks them.
func readExamplesJSONL(env *Env, path string) ([]task.Example, error) {
	var r io.Reader = env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("examples file %s not found", path)
		case err != nil:
			return nil, fmt.Errorf("read examples: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	var out []task.Example
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var rec exampleJSON
		if err := json.Unmarshal(text, &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: invalid JSON: %v", path, line, err)
		}
		ex, err := task.ParseText(rec.Tokens)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: invalid \"tokens\": %v", path, line, err)
		}
		if rec.Labels == nil {
			if err := ex.Annotate(nil); err != nil && !isNoPath(err) {
				return nil, fmt.Errorf("%s:%d: %v", path, line, err)
			}
		} else {
			ex.Labels, ex.Label, ex.Next, ex.Lookahead = rec.Labels, rec.Label, rec.Next, rec.Lookahead
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
