package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot/vg"

	"qkv/compiled"
	"qkv/graph"
	"qkv/nn"
	"qkv/task"
	"qkv/tensor"
	"qkv/viz"
)

func init() { register(newSearchCmd) }

// searcher is the model behind qkv search. The compiled path-merging
// transformer implements it; a trained checkpoint can implement it as
// well (answer with its logits, walk with compiled.Walk, trace with
// nn.Model.Forward) and reuse all of the output and plots.
type searcher interface {
	// Describe returns one line naming the model and how its layer count
	// comes about.
	Describe() string
	// Layers returns the number of transformer blocks; LayerName(i)
	// returns what block i does.
	Layers() int
	LayerName(i int) string
	// Search answers the query for its path prefix and then iterates the
	// model to a whole path (see compiled.Walk).
	Search(q *searchQuery) (*compiled.Result, error)
	// Reach returns the reach table per layer, or nil for a model whose
	// residual stream has no decodable reach sets.
	Reach() []compiled.ReachLayer
	// Trace runs the whole token sequence through every block, for the
	// attention plots.
	Trace(q *searchQuery) (*nn.Trace[float64], error)
}

// searchQuery is one search input in vertex ids 1..Vertices.
type searchQuery struct {
	Example task.Example // edges, start, goal and path prefix
	// Vertices is the highest vertex id, which sets the model's width.
	// With --graph every id is a vertex; with --tokens ids may be unused.
	Vertices int
	// Names[id] is the name of vertex id as the input wrote it; Names[0]
	// is unused.
	Names []string
	// Present[id] reports whether id is a vertex of the input: with
	// --tokens, whether it occurs in an edge, the query or the path.
	Present []bool
	// Walk sets how the searcher iterates the model (next only, progress).
	Walk compiled.WalkOptions
}

// vertexCount returns the number of vertices of the input.
func (q *searchQuery) vertexCount() int {
	n := 0
	for _, p := range q.Present {
		if p {
			n++
		}
	}
	return n
}

// name returns the input's name of vertex id.
func (q *searchQuery) name(id int) string { return q.Names[id] }

func (q *searchQuery) nameAll(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = q.name(id)
	}
	return out
}

// compiledSearcher runs the compiled path-merging transformer.
type compiledSearcher struct {
	model   *compiled.Model
	session *compiled.Session
}

func newCompiledSearcher(q *searchQuery) (*compiledSearcher, error) {
	edges := len(q.Example.Edges)
	n := 3*edges + 4 + q.Vertices
	bytes := compiled.EstimateBytes(q.Vertices, n)
	if q.Vertices > compiled.MaxVertices || n > compiled.MaxTokens || bytes > compiled.MaxBytes {
		return nil, fmt.Errorf("the graph is too large for the compiled model: its sequence has 3·E + 4 + V = 3·%d + 4 + %d = %d tokens (3 per edge, 4 for \"Q start goal P\" and room for a path of up to V vertices) and needs about %d MiB; the limits are %d vertices, %d tokens and %d MiB. Search a smaller graph, for example only the vertices reachable from the start",
			edges, q.Vertices, n, bytes>>20, compiled.MaxVertices, compiled.MaxTokens, compiled.MaxBytes>>20)
	}
	m, err := compiled.New(q.Vertices, n)
	if err != nil {
		return nil, err
	}
	s, err := m.NewSession(q.Example.Edges)
	if err != nil {
		return nil, err
	}
	return &compiledSearcher{model: m, session: s}, nil
}

func (c *compiledSearcher) Describe() string {
	m := c.model
	return fmt.Sprintf("compiled path-merging transformer, 3 + ⌈log₂ V⌉ layers for vertex ids up to V = %d: roles, load edges, %s, readout", m.Vertices, plural(m.MergeLayers, "merge", "merges"))
}

func (c *compiledSearcher) Layers() int            { return c.model.Layers() }
func (c *compiledSearcher) LayerName(i int) string { return c.model.LayerName(i) }

func (c *compiledSearcher) Search(q *searchQuery) (*compiled.Result, error) {
	ex := &q.Example
	return c.session.SearchWith(ex.Start, ex.Goal, ex.Path, q.Walk)
}

func (c *compiledSearcher) Reach() []compiled.ReachLayer { return c.session.ReachTable() }

func (c *compiledSearcher) Trace(q *searchQuery) (*nn.Trace[float64], error) {
	return c.model.Forward(&q.Example)
}

// searchOptions are the flags of qkv search.
type searchOptions struct {
	graphFile string
	format    string
	start     string
	goal      string
	tokens    string
	jsonOut   bool
	reachAll  bool
	plotDir   string
	plots     renderFlags
	model     string // checkpoint of a trained model; empty: the compiled model
	nextOnly  bool
}

func newSearchCmd(env *Env) *cobra.Command {
	var o searchOptions
	cmd := &cobra.Command{
		Use:   "search {--graph FILE --start A --goal B | --tokens TEXT}",
		Short: "Find a path with the compiled path-merging transformer",
		Long: `search answers "which vertex comes next on a path from the start to the
goal?" with a transformer whose weights are constructed, not trained: every
vertex token holds the set of vertices it reaches, and each merge layer
unions the sets of the vertices already reached, so reach doubles per layer.

It prints the next vertex the model picks, every correct next vertex (each
child of the current vertex from which the goal is reachable), the whole
path found by asking the model again after each step, the number of layers,
and each vertex's reach after every layer beside the true count.

The model has 3 + ⌈log₂ V⌉ layers for V vertices: one block derives token
roles, one loads the edges (reach 1 edge), ⌈log₂ V⌉ merge blocks double the
reach (2, 4, 8, … edges), one reads out the answer. The picked vertex is the
correct vertex whose reach set took in the goal at the earliest layer, ties
going to the smaller vertex id. With --graph, vertex ids follow the order in
which the vertices first appear in the file.

Self-loops are dropped and duplicate edges merged, with a warning on
stderr. The start and the goal must differ. With --tokens, the path prefix
after P must be a simple path along the edges (no vertex twice) that has
not yet reached the goal.

Cost: the whole path takes one model query per edge of the path, each
reading every edge token in every layer. Measured on a shared 2-core VM,
a path along a chain of 300 vertices took 5 s and one of 600 vertices
59 s; see docs/path-merging.md.
--next-only asks once and skips the walk. Walks longer than a second
report progress on stderr.

Exit status: 0 when the model answered, including "no path" (the goal
cannot be reached); 1 when the graph file cannot be read or parsed, the
graph is too large or the output cannot be written; 2 for invalid flags
or flag values (unknown --start or --goal, invalid --tokens, an invalid
path prefix, start equal to goal).`,
		Example: `  qkv search --graph deps.txt --start qkv --goal golang.org/x/sys@v0.50.0
  go mod graph | qkv search --graph - --format gomod --start qkv --goal golang.org/x/term@v0.48.0
  qkv search --tokens "E 4 1 E 8 3 E 1 6 E 3 4 Q 8 6 P 8"
  qkv search --tokens "E 4 1 E 8 3 E 1 6 E 3 4 Q 8 6 P 8" --json
  qkv search --graph g.dot --start a --goal z --plot out/
  qkv search --tokens "E 4 1 E 8 3 E 1 6 E 3 4 Q 8 6 P 8" --model runs/small/model.ckpt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSearch(env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.graphFile, "graph", "", "read the graph from `FILE` (\"-\" for standard input)")
	f.StringVar(&o.format, "format", "auto", "graph `FORMAT`: "+graph.FormatNames)
	f.StringVar(&o.start, "start", "", "`NAME` of the start vertex (with --graph)")
	f.StringVar(&o.goal, "goal", "", "`NAME` of the goal vertex (with --graph)")
	f.StringVar(&o.tokens, "tokens", "", "`TEXT` in the task's token format instead of --graph: \"E u v …  Q start goal  P start …\", vertex ids as names")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object instead of text")
	f.BoolVar(&o.reachAll, "reach-all", false, "print the reach of every vertex; by default graphs with more than 24 vertices get summary rows")
	f.StringVar(&o.plotDir, "plot", "", "write per-layer attention heatmaps and the reach chart to `DIR` (created if missing)")
	f.StringVar(&o.plots.plotFormats, "plot-format", "png,svg", "comma-separated figure `formats` for --plot: png, svg, pdf")
	f.BoolVar(&o.nextOnly, "next-only", false, "print only the next vertex and the correct ones: skip the walk to the goal, which costs one model query per edge of the path")
	f.StringVar(&o.model, "model", "", "answer with the trained model in this checkpoint (from qkv train) instead of the compiled one; it has no reach table")
	return cmd
}

// loadSearchQuery reads the query from the flags and checks it.
func loadSearchQuery(env *Env, o *searchOptions) (*searchQuery, error) {
	var (
		q   *searchQuery
		err error
	)
	switch {
	case o.tokens != "" && o.graphFile != "":
		return nil, usageErrorf("--tokens and --graph exclude each other; give one")
	case o.tokens != "":
		if o.start != "" || o.goal != "" {
			return nil, usageErrorf("--start and --goal only work with --graph; with --tokens, write the query as \"Q start goal\" in the text")
		}
		q, err = queryFromTokens(env, o.tokens)
	case o.graphFile != "":
		q, err = queryFromGraph(env, o)
	default:
		return nil, usageErrorf("give --graph FILE with --start and --goal, or --tokens TEXT")
	}
	if err != nil {
		return nil, err
	}
	if err := checkPrefix(q); err != nil {
		return nil, err
	}
	return q, nil
}

// queryFromTokens reads the task's text format. Vertex ids are kept as
// they are, so a trained model reads the tokens the user wrote. Self-loops
// are dropped and duplicate edges merged, as for --graph, with warnings.
func queryFromTokens(env *Env, text string) (*searchQuery, error) {
	ex, err := task.ParseText(text)
	if err != nil {
		return nil, usageErrorf("invalid --tokens: %v", err)
	}
	v := max(ex.Start, ex.Goal)
	for _, e := range ex.Edges {
		v = max(v, e.From, e.To)
	}
	for _, p := range ex.Path {
		v = max(v, p)
	}
	if v > compiled.MaxVertices {
		return nil, usageErrorf("invalid --tokens: vertex id %d is larger than %d, the largest id the compiled model supports; renumber the vertices from 1", v, compiled.MaxVertices)
	}
	if len(ex.Path) == 0 || ex.Path[0] != ex.Start {
		return nil, usageErrorf("invalid --tokens: the path prefix after P must start with the start vertex %d", ex.Start)
	}
	if ex.Start == ex.Goal {
		return nil, usageErrorf("invalid --tokens: the start and the goal are both %d; choose two different vertices", ex.Start)
	}

	var loops []string
	duplicates := 0
	seen := map[task.Edge]bool{}
	edges := ex.Edges[:0:0]
	for _, e := range ex.Edges {
		switch {
		case e.From == e.To:
			loops = append(loops, fmt.Sprint(e.From))
		case seen[e]:
			duplicates++
		default:
			seen[e] = true
			edges = append(edges, e)
		}
	}
	warnDroppedEdges(env, loops, duplicates)
	ex.Edges = edges

	names := make([]string, v+1)
	present := make([]bool, v+1)
	for i := 1; i <= v; i++ {
		names[i] = fmt.Sprint(i)
	}
	for _, e := range ex.Edges {
		present[e.From], present[e.To] = true, true
	}
	for _, id := range append([]int{ex.Start, ex.Goal}, ex.Path...) {
		present[id] = true
	}
	for _, id := range loops {
		n, _ := strconv.Atoi(id)
		present[n] = true
	}
	return &searchQuery{Example: ex, Vertices: v, Names: names, Present: present}, nil
}

func queryFromGraph(env *Env, o *searchOptions) (*searchQuery, error) {
	if _, err := graph.ParseFormat(o.format); err != nil {
		return nil, usageErrorf("invalid --format %q: use one of %s", o.format, graph.FormatNames)
	}
	if o.start == "" || o.goal == "" {
		return nil, usageErrorf("--graph needs --start and --goal")
	}
	g, err := readGraph(env, o.graphFile, o.format)
	if err != nil {
		return nil, err
	}
	start, goal, err := lookupQuery(g, o.start, o.goal)
	if err != nil {
		return nil, err
	}
	names := append([]string{""}, g.Names()...)
	var edges []task.Edge
	for _, e := range g.Edges() {
		edges = append(edges, task.Edge{From: e.From + 1, To: e.To + 1})
	}
	present := make([]bool, g.Len()+1)
	for i := 1; i <= g.Len(); i++ {
		present[i] = true
	}
	ex := task.Example{Edges: edges, Start: start + 1, Goal: goal + 1, Path: []int{start + 1}}
	return &searchQuery{Example: ex, Vertices: g.Len(), Names: names, Present: present}, nil
}

// checkPrefix rejects a path prefix that is not a simple path along the
// edges or that already ends at the goal. The model predicts the next
// vertex of a path, so it needs a path to extend.
func checkPrefix(q *searchQuery) error {
	ex := &q.Example
	edges := map[task.Edge]bool{}
	for _, e := range ex.Edges {
		edges[e] = true
	}
	seen := map[int]bool{}
	for i, p := range ex.Path {
		if seen[p] {
			return usageErrorf("invalid path prefix: it visits %s twice; write a simple path, in which no vertex repeats", q.name(p))
		}
		seen[p] = true
		if i > 0 && !edges[task.Edge{From: ex.Path[i-1], To: p}] {
			return usageErrorf("invalid path prefix: step %d, %s → %s, is not an edge of the graph", i, q.name(ex.Path[i-1]), q.name(p))
		}
	}
	if len(ex.Path) > 1 && ex.Current() == ex.Goal {
		return usageErrorf("invalid path prefix: it already ends at the goal %s, so there is no next vertex to find", q.name(ex.Goal))
	}
	return nil
}

func runSearch(env *Env, o *searchOptions) error {
	if err := o.plots.validate(); err != nil {
		return err
	}
	if o.plotDir != "" && len(o.plots.formats) == 0 {
		return usageErrorf("--plot-format %q names no format; use png, svg or pdf", o.plots.plotFormats)
	}
	q, err := loadSearchQuery(env, o)
	if err != nil {
		return err
	}
	if o.plotDir != "" {
		if err := checkOutputDir("--plot", o.plotDir, o.plotDir, true); err != nil {
			return err
		}
	}
	q.Walk.NextOnly = o.nextOnly
	var s searcher
	if o.model != "" {
		s, err = newTrainedSearcher(o.model, q)
	} else {
		s, err = newCompiledSearcher(q)
	}
	if err != nil {
		return err
	}
	// The progress clock starts after the edge tokens have run, so it
	// reports the walk alone.
	progress := newWalkProgress(env)
	q.Walk.Progress = progress.update
	out, err := searchWith(s, q)
	progress.finish()
	if err != nil {
		return err
	}
	if o.plotDir != "" {
		if err := writeSearchPlots(env, o, s, q, out); err != nil {
			return err
		}
	}
	if o.jsonOut {
		return writeSearchJSON(env.Stdout, q, out)
	}
	return printSearch(env.Stdout, q, out, o.reachAll)
}

// searchOutcome is everything qkv search reports.
type searchOutcome struct {
	Model      string
	Layers     int
	LayerNames []string
	Result     *compiled.Result
	NoPath     bool
	Reach      []compiled.ReachLayer
}

// searchWith runs the query on s.
func searchWith(s searcher, q *searchQuery) (*searchOutcome, error) {
	res, err := s.Search(q)
	out := &searchOutcome{Model: s.Describe(), Layers: s.Layers(), Result: res, Reach: withIsolated(q, s.Reach())}
	for i := 0; i < s.Layers(); i++ {
		out.LayerNames = append(out.LayerNames, s.LayerName(i))
	}
	switch {
	case errors.Is(err, compiled.ErrNoPath):
		out.NoPath = true
	case err != nil:
		return nil, err
	}
	return out, nil
}

// noTokens is the Decoded value of a vertex that has no edge tokens, so
// no reach set to decode: an isolated vertex, or one that only the query
// names.
const noTokens = -1

// withIsolated adds to every layer of reach a row for each vertex of the
// input that has no edge tokens, with Decoded = noTokens and True = 1 (a
// vertex reaches itself), so that the table lists every vertex.
func withIsolated(q *searchQuery, reach []compiled.ReachLayer) []compiled.ReachLayer {
	if len(reach) == 0 {
		return reach
	}
	listed := map[int]bool{}
	for _, r := range reach[0].Rows {
		listed[r.Vertex] = true
	}
	out := make([]compiled.ReachLayer, len(reach))
	for i, l := range reach {
		rows := slices.Clone(l.Rows)
		for v := 1; v < len(q.Present); v++ {
			if q.Present[v] && !listed[v] {
				rows = append(rows, compiled.ReachRow{Vertex: v, Decoded: noTokens, True: 1})
			}
		}
		slices.SortFunc(rows, func(a, b compiled.ReachRow) int { return a.Vertex - b.Vertex })
		l.Rows = rows
		out[i] = l
	}
	return out
}

// searchJSON is the --json form of a search.
type searchJSON struct {
	Model      string        `json:"model"`
	Layers     int           `json:"layers"`
	LayerNames []string      `json:"layer_names"`
	Start      string        `json:"start"`
	Goal       string        `json:"goal"`
	Prefix     []string      `json:"prefix"`
	Next       *string       `json:"next"`
	Correct    []string      `json:"correct"`
	Path       []string      `json:"path"`
	Queries    int           `json:"queries"`
	Backtracks int           `json:"backtracks"`
	Reach      []reachLayerJ `json:"reach"`
}

type reachLayerJ struct {
	K        int           `json:"k"`
	Hops     int           `json:"hops"`
	Block    string        `json:"block"`
	Skipped  bool          `json:"skipped"`
	Vertices []reachVertex `json:"vertices"`
}

type reachVertex struct {
	Vertex  string `json:"vertex"`
	Decoded *int   `json:"decoded"` // null for a vertex without edge tokens
	True    int    `json:"true"`
}

func writeSearchJSON(w io.Writer, q *searchQuery, out *searchOutcome) error {
	ex := &q.Example
	res := out.Result
	j := searchJSON{
		Model: out.Model, Layers: out.Layers, LayerNames: out.LayerNames,
		Start: q.name(ex.Start), Goal: q.name(ex.Goal), Prefix: q.nameAll(ex.Path),
		Correct: q.nameAll(res.First.Correct), Queries: res.Runs, Backtracks: res.Backtracks,
		Reach: []reachLayerJ{},
	}
	if res.Next != 0 {
		n := q.name(res.Next)
		j.Next = &n
	}
	if res.Path != nil {
		j.Path = q.nameAll(res.Path)
	}
	for _, l := range out.Reach {
		lj := reachLayerJ{K: l.K, Hops: l.Hops, Block: l.Block, Skipped: l.Skipped, Vertices: []reachVertex{}}
		for _, r := range l.Rows {
			rv := reachVertex{Vertex: q.name(r.Vertex), True: r.True}
			if r.Decoded != noTokens {
				rv.Decoded = &r.Decoded
			}
			lj.Vertices = append(lj.Vertices, rv)
		}
		j.Reach = append(j.Reach, lj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// maxReachRows is the number of vertices above which the reach table
// prints summary rows unless --reach-all is given.
const maxReachRows = 24

func printSearch(w io.Writer, q *searchQuery, out *searchOutcome, reachAll bool) error {
	ex := &q.Example
	res := out.Result
	fmt.Fprintf(w, "model:    %s\n", out.Model)
	fmt.Fprintf(w, "graph:    %s, %s", plural(q.vertexCount(), "vertex", "vertices"), plural(len(ex.Edges), "edge", "edges"))
	if n := q.vertexCount(); n != q.Vertices {
		fmt.Fprintf(w, " (vertex ids up to %d)", q.Vertices)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "query:    from %s to %s", q.name(ex.Start), q.name(ex.Goal))
	if len(ex.Path) > 1 {
		fmt.Fprintf(w, ", path prefix %s", strings.Join(q.nameAll(ex.Path), " → "))
	}
	fmt.Fprintln(w)
	current := q.name(ex.Path[len(ex.Path)-1])
	switch {
	case res.Next != 0:
		fmt.Fprintf(w, "next:     %s\n", q.name(res.Next))
	default:
		fmt.Fprintf(w, "next:     none (the model scores no child of %s)\n", current)
	}
	fmt.Fprintf(w, "correct:  %s\n", listOrNone(q.nameAll(res.First.Correct)))
	switch {
	case out.NoPath:
		fmt.Fprintf(w, "path:     no path: %s cannot be reached from %s\n", q.name(ex.Goal), current)
	case res.Path == nil:
		fmt.Fprintln(w, "path:     not searched (--next-only)")
	default:
		fmt.Fprintf(w, "path:     %s (%s, %s", strings.Join(q.nameAll(res.Path), " → "),
			plural(len(res.Path)-1, "edge", "edges"), plural(res.Runs, "model query", "model queries"))
		if res.Backtracks > 0 {
			fmt.Fprintf(w, ", %s", plural(res.Backtracks, "backtrack", "backtracks"))
		}
		fmt.Fprintln(w, ")")
	}
	fmt.Fprintf(w, "layers:   %d (%s)\n", out.Layers, strings.Join(out.LayerNames, ", "))
	if len(out.Reach) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return printReach(w, q, out.Reach, reachAll)
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// printReach prints, per vertex and layer, the reach set size decoded from
// the residual stream and the number of vertices within 2^k edges.
func printReach(w io.Writer, q *searchQuery, reach []compiled.ReachLayer, all bool) error {
	fmt.Fprintln(w, "reach: vertices reached after each layer, decoded from the residual stream / true count within 2^k edges")
	header := []string{"vertex"}
	for _, l := range reach {
		col := fmt.Sprintf("%s (2^%d=%d)", l.Block, l.K, l.Hops)
		if l.Skipped {
			col += "*"
		}
		header = append(header, col)
	}
	var rows [][]string
	mismatches := 0
	vertices := reach[0].Rows
	cell := func(r compiled.ReachRow) string {
		if r.Decoded == noTokens {
			return fmt.Sprintf("-/%d", r.True)
		}
		if r.Decoded != r.True {
			mismatches++
			return fmt.Sprintf("%d/%d!", r.Decoded, r.True)
		}
		return fmt.Sprintf("%d/%d", r.Decoded, r.True)
	}
	if all || len(vertices) <= maxReachRows {
		for i, v := range vertices {
			row := []string{q.name(v.Vertex)}
			for _, l := range reach {
				row = append(row, cell(l.Rows[i]))
			}
			rows = append(rows, row)
		}
	} else {
		for _, stat := range []struct {
			name string
			pick func([]int) int
		}{
			{"min", func(a []int) int { return a[0] }},
			{"median", func(a []int) int { return a[len(a)/2] }},
			{"max", func(a []int) int { return a[len(a)-1] }},
		} {
			row := []string{stat.name}
			for _, l := range reach {
				var dec, tru []int
				for _, r := range l.Rows {
					if r.Decoded == noTokens {
						continue
					}
					dec, tru = append(dec, r.Decoded), append(tru, r.True)
					if r.Decoded != r.True && stat.name == "min" {
						mismatches++
					}
				}
				sort.Ints(dec)
				sort.Ints(tru)
				row = append(row, fmt.Sprintf("%d/%d", stat.pick(dec), stat.pick(tru)))
			}
			rows = append(rows, row)
		}
	}
	printAligned(w, header, rows)
	isolated := 0
	for _, r := range vertices {
		if r.Decoded == noTokens {
			isolated++
		}
	}
	if !all && len(vertices) > maxReachRows {
		fmt.Fprintf(w, "(summary of %s with edge tokens; --reach-all prints each one)\n", plural(len(vertices)-isolated, "vertex", "vertices"))
	}
	if isolated > 0 {
		fmt.Fprintf(w, "-: %s no edge tokens, so no decoded reach set\n", plural(isolated, "vertex has", "vertices have"))
	}
	if slices.ContainsFunc(reach, func(l compiled.ReachLayer) bool { return l.Skipped }) {
		fmt.Fprintln(w, "* not run: the reach sets were already closed under merging, so this merge layer would change none of them")
	}
	if mismatches > 0 {
		fmt.Fprintf(w, "%d decoded sizes differ from the true count (marked !)\n", mismatches)
	}
	return nil
}

// printAligned prints a table with left-aligned, space-padded columns.
func printAligned(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))))
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
}

// maxPlotTokens is the longest sequence whose full attention heatmaps
// --plot draws: beyond it a label per token no longer fits on the axis,
// and only the rows of the query tokens are drawn.
const maxPlotTokens = 400

// tokenLabels names every token of the sequence for the plots: "E u→v"
// for an edge's E token, the vertex names for its two vertex tokens, then
// Q, "s:<start>", "g:<goal>", P and the path.
func tokenLabels(q *searchQuery) []string {
	ex := &q.Example
	var out []string
	for _, e := range ex.Edges {
		out = append(out, fmt.Sprintf("E %s→%s", q.name(e.From), q.name(e.To)), q.name(e.From), q.name(e.To))
	}
	out = append(out, "Q", "s:"+q.name(ex.Start), "g:"+q.name(ex.Goal), "P")
	return append(out, q.nameAll(ex.Path)...)
}

// writeSearchPlots writes one attention figure per layer and the reach
// chart to the --plot directory, all files or none.
func writeSearchPlots(env *Env, o *searchOptions, s searcher, q *searchQuery, out *searchOutcome) error {
	var figs []namedFigure
	labels := tokenLabels(q)
	if len(labels) <= maxPlotTokens {
		tr, err := s.Trace(q)
		if err != nil {
			return err
		}
		notRun := map[string]bool{}
		for _, l := range out.Reach {
			if l.Skipped {
				notRun[l.Block] = true
			}
		}
		var skipped []string
		for i, b := range tr.Blocks {
			if notRun[s.LayerName(i)] {
				// The full forward pass runs this block, but a search does
				// not: its reach sets were already closed.
				skipped = append(skipped, s.LayerName(i))
				continue
			}
			title := fmt.Sprintf("layer %d: %s", i+1, s.LayerName(i))
			fig, _ := headFigures(title, nil, b.Weights, nil, "", false, labels, labels)
			figs = append(figs, namedFigure{fmt.Sprintf("layer%02d-%s", i+1, strings.ReplaceAll(s.LayerName(i), " ", "")), fig})
		}
		if len(skipped) > 0 {
			fmt.Fprintf(env.Stderr, "qkv: no heatmap for %s: the reach sets were already closed, so the search did not run %s\n",
				strings.Join(skipped, ", "), map[bool]string{true: "it", false: "them"}[len(skipped) == 1])
		}
	} else if qw, ok := s.(queryWeighter); ok {
		queryFigs, err := qw.queryFigures(q, labels)
		if err != nil {
			return err
		}
		figs = append(figs, queryFigs...)
	} else {
		fmt.Fprintf(env.Stderr, "qkv: the sequence has %d tokens; attention heatmaps are drawn for at most %d, so only the reach chart is written\n", len(labels), maxPlotTokens)
	}
	if chart := reachChart(out.Reach); chart != nil {
		figs = append(figs, namedFigure{"reach", chart})
	}
	if len(figs) == 0 {
		return fmt.Errorf("nothing to plot: the model has no reach table and the sequence is longer than %d tokens", maxPlotTokens)
	}
	return writeFigures(env, o.plotDir, o.plots.formats, figs...)
}

// queryWeighter is a searcher that can show the attention of the query's
// own tokens on inputs too long for a full trace.
type queryWeighter interface {
	queryFigures(q *searchQuery, labels []string) ([]namedFigure, error)
}

// queryFigures draws, per block that runs and per head, the attention
// of the tokens "Q s g P path…" (rows) to every token (columns). With
// thousands of keys each weight is near 1/n, which draws as blank on a
// linear 0..1 scale. Every row is therefore divided by its largest
// weight, and adjacent keys are merged into bins (each showing its
// largest value) until at most maxHeatmapColumns remain. Titles state
// both.
func (c *compiledSearcher) queryFigures(q *searchQuery, labels []string) ([]namedFigure, error) {
	ex := &q.Example
	names, weights, err := c.session.QueryWeights(ex.Start, ex.Goal, ex.Path)
	if err != nil {
		return nil, err
	}
	rows := labels[3*len(ex.Edges):]
	// The session skips merge blocks after the fixed point, so number the
	// figures by the block's place in the model, not in the session.
	blockNumber := map[string]int{}
	for b := 0; b < c.model.Layers(); b++ {
		blockNumber[c.model.LayerName(b)] = b + 1
	}
	var figs []namedFigure
	for i, name := range names {
		layer := blockNumber[name]
		for h, w := range weights[i] {
			values, colLabels, bin := rowMaxBinned(w, labels, maxHeatmapColumns)
			title := fmt.Sprintf("layer %d: %s, query rows; weight / row max", layer, name)
			if bin > 1 {
				title += fmt.Sprintf(", max over %d adjacent keys", bin)
			}
			base := fmt.Sprintf("layer%02d-%s-query", layer, strings.ReplaceAll(name, " ", ""))
			if len(weights[i]) > 1 {
				title += fmt.Sprintf(" (head %d)", h)
				base += fmt.Sprintf("-head%d", h)
			}
			scale := viz.WeightScale()
			figs = append(figs, namedFigure{base, &viz.Heatmap{
				Title: title, Values: values, Scale: &scale,
				RowLabels: rows, ColLabels: colLabels,
				XLabel: "key (to)", YLabel: "query (from)",
				Width: 9 * vg.Inch, Height: 4 * vg.Inch,
			}})
		}
	}
	return figs, nil
}

// maxHeatmapColumns is the number of key columns above which the query
// heatmaps of large inputs merge adjacent keys, so that no column is
// thinner than a pixel in the PNG.
const maxHeatmapColumns = 300

// rowMaxBinned divides every row of w [rows×keys] by its largest value
// and merges runs of bin adjacent columns into their maximum, with bin
// the smallest width that leaves at most maxCols columns. It returns the
// matrix, the label of each merged column (its first key) and bin.
func rowMaxBinned(w *tensor.Matrix[float64], labels []string, maxCols int) (*tensor.Matrix[float64], []string, int) {
	bin := (w.Cols + maxCols - 1) / maxCols
	bin = max(bin, 1)
	cols := (w.Cols + bin - 1) / bin
	out := tensor.New[float64](w.Rows, cols)
	for r := 0; r < w.Rows; r++ {
		row := w.Row(r)
		top := 0.0
		for _, x := range row {
			top = max(top, x)
		}
		if top == 0 {
			continue
		}
		dst := out.Row(r)
		for k, x := range row {
			dst[k/bin] = max(dst[k/bin], x/top)
		}
	}
	colLabels := make([]string, cols)
	for b := range colLabels {
		colLabels[b] = labels[b*bin]
	}
	return out, colLabels, bin
}
