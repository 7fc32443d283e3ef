package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"qkv/task"
	"qkv/tensor"
	"qkv/viz"
)

func init() { register(newTourCmd) }

// tourEdges is the built-in graph of the tour: the chain 1→2→…→13 with
// the side branches 11→14, 12→15 and 12→16→17 near the goal. The path from
// 1 to 13 has 12 edges, and vertex 1 reaches 2, 3, 5, 9 and then all 17
// vertices after loading and merges 1 to 4: 1 + 2^k vertices.
var tourEdges = [][2]int{
	{1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 6}, {6, 7}, {7, 8}, {8, 9}, {9, 10}, {10, 11}, {11, 12}, {12, 13},
	{11, 14}, {12, 15}, {12, 16}, {16, 17},
}

// tourQuery returns the tour's search query: from 1 to 13.
func tourQuery() *searchQuery {
	const vertices = 17
	names := make([]string, vertices+1)
	present := make([]bool, vertices+1)
	for i := 1; i <= vertices; i++ {
		names[i] = fmt.Sprint(i)
		present[i] = true
	}
	ex := task.Example{Start: 1, Goal: 13, Path: []int{1}}
	for _, e := range tourEdges {
		ex.Edges = append(ex.Edges, task.Edge{From: e[0], To: e[1]})
	}
	return &searchQuery{Example: ex, Vertices: vertices, Names: names, Present: present}
}

func newTourCmd(env *Env) *cobra.Command {
	var htmlFile string
	cmd := &cobra.Command{
		Use:   "tour",
		Short: "Show attention, one merge step and path-merging search in one run",
		Long: `tour tells the whole story on built-in data, in three parts:

  1. attention: the hand-built "the cat sat down" example, where each token
     attends to one other, and a random example, where attention is nearly
     uniform (the same as qkv demo sharp and qkv demo random);
  2. one merge step on the graph 2→3→6 (qkv demo merge);
  3. the compiled path-merging transformer searching a 17-vertex chain with
     side branches from 1 to 13, with the reach of every vertex after each
     layer (qkv search).`,
		Example: `  qkv tour
  qkv tour --html tour.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTour(env, htmlFile)
		},
	}
	cmd.Flags().StringVar(&htmlFile, "html", "", "also write the tour as a self-contained printable HTML page to `FILE`")
	return cmd
}

// tourData holds the results of the three parts.
type tourData struct {
	sharp, random *attentionCase
	merge         *mergeStep
	query         *searchQuery
	search        *searchOutcome
}

func computeTour() (*tourData, error) {
	var t tourData
	var err error
	if t.sharp, err = sharpCase(); err != nil {
		return nil, err
	}
	if t.random, err = randomCase(1); err != nil {
		return nil, err
	}
	if t.merge, err = mergeCase(); err != nil {
		return nil, err
	}
	t.query = tourQuery()
	s, err := newCompiledSearcher(t.query)
	if err != nil {
		return nil, err
	}
	if t.search, err = searchWith(s, t.query); err != nil {
		return nil, err
	}
	return &t, nil
}

func runTour(env *Env, htmlFile string) error {
	if htmlFile != "" {
		// Check the target before printing the tour, so that an unwritable
		// --html fails at once rather than after the whole output.
		check := outputSet{}
		check.addFile("--html", htmlFile, nil)
		if err := check.check(); err != nil {
			return err
		}
	}
	t, err := computeTour()
	if err != nil {
		return err
	}
	w := env.Stdout
	heading := func(s string) {
		fmt.Fprintf(w, "%s\n%s\n\n", s, strings.Repeat("=", len([]rune(s))))
	}

	heading("1. Attention: softmax(Q·Kᵀ/√d_k)·V")
	fmt.Fprintln(w, `Sharp: hand-built weights make each token of "the cat sat down" attend to one other.`)
	if err := printMatrix(env, "weights A (rows attend to columns)", t.sharp.Weights, t.sharp.Tokens, t.sharp.Tokens, weightMatrix); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nRandom: random embeddings and weights give scores near 0, so attention is nearly uniform.")
	if err := printMatrix(env, "weights A, seed 1", t.random.Weights, t.random.Tokens, t.random.Tokens, weightMatrix); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nMore: qkv demo sharp, qkv demo random --seed 7, qkv attend.")
	fmt.Fprintln(w)

	heading("2. One merge step on 2→3→6")
	fmt.Fprintln(w, "Query = 10 × the vertices a token reaches, key = the token's own vertex:")
	fmt.Fprintln(w, "each token attends to the vertices it reaches and takes the union of their sets.")
	if err := printMatrix(env, "scores S", t.merge.Scores, t.merge.Tokens, t.merge.Tokens, signedMatrix); err != nil {
		return err
	}
	for i, tok := range t.merge.Tokens {
		fmt.Fprintf(w, "vertex %s attends to %s and now reaches {%s}\n", tok, strings.Join(t.merge.Winners[i], " and "), strings.Join(frontierOf(t.merge, i), ", "))
	}
	fmt.Fprintln(w, "\nMore: qkv demo merge.")
	fmt.Fprintln(w)

	heading("3. Path-merging search: a 17-vertex chain with side branches, from 1 to 13")
	fmt.Fprintf(w, "edges: %s\n\n", tourEdgeText())
	if err := printSearch(w, t.query, t.search, true); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nAfter loading, each vertex reaches 1 edge ahead; each merge layer doubles that: 2, 4, 8, 16 edges.")
	fmt.Fprintln(w, "More: qkv search --graph FILE --start A --goal B, or --tokens \"E 4 1 E 8 3 … Q 8 6 P 8\".")

	if htmlFile == "" {
		return nil
	}
	return writeTourHTML(env, htmlFile, t)
}

func tourEdgeText() string {
	parts := make([]string, len(tourEdges))
	for i, e := range tourEdges {
		parts[i] = fmt.Sprintf("%d→%d", e[0], e[1])
	}
	return strings.Join(parts, " ")
}

// writeTourHTML writes the tour as a printable HTML page.
func writeTourHTML(env *Env, path string, t *tourData) error {
	weights := viz.WeightScale()
	signed := func(m *tensor.Matrix[float64]) *viz.ColorScale {
		s := viz.DivergingFor(m.Data)
		return &s
	}
	var searchText bytes.Buffer
	if err := printSearch(&searchText, t.query, t.search, true); err != nil {
		return err
	}
	sections := []viz.Section{
		{
			Heading:    "1. Attention",
			Paragraphs: []string{`Sharp: hand-built weights make each token of "the cat sat down" attend to one other. Random: random weights give nearly uniform attention.`},
			Matrices: []viz.MatrixTable{
				{Caption: "sharp: weights A", Values: t.sharp.Weights, RowLabels: t.sharp.Tokens, ColLabels: t.sharp.Tokens, Scale: &weights},
				{Caption: "random, seed 1: weights A", Values: t.random.Weights, RowLabels: t.random.Tokens, ColLabels: t.random.Tokens, Scale: &weights},
			},
			Figures: []viz.Figure{caseFigure(t.sharp)},
		},
		{
			Heading:    "2. One merge step on 2→3→6",
			Paragraphs: []string{"Query = 10 × the vertices a token reaches, key = the token's own vertex, value = the token's reach set. Each token attends evenly to the vertices it reaches; rounding the average gives the union."},
			Matrices: []viz.MatrixTable{
				{Caption: "embedding X: identity | frontier", Values: t.merge.X, RowLabels: t.merge.Tokens, ColLabels: t.merge.Dims, Scale: signed(t.merge.X)},
				{Caption: "scores S", Values: t.merge.Scores, RowLabels: t.merge.Tokens, ColLabels: t.merge.Tokens, Scale: signed(t.merge.Scores)},
				{Caption: "weights A", Values: t.merge.Weights, RowLabels: t.merge.Tokens, ColLabels: t.merge.Tokens, Scale: &weights},
				{Caption: "new frontier", Values: t.merge.After, RowLabels: t.merge.Tokens, ColLabels: t.merge.Tokens, Scale: &weights},
			},
		},
		{
			Heading:    "3. Path-merging search",
			Paragraphs: []string{"A 17-vertex chain with side branches, searched from 1 to 13 by the compiled transformer. Edges: " + tourEdgeText()},
			Pre:        searchText.String(),
		},
	}
	if chart := reachChart(t.search.Reach); chart != nil {
		sections[2].Figures = []viz.Figure{chart}
	}
	return writeReport(env, path, &viz.Report{
		Title:    "qkv tour: from attention to path-merging search",
		Sections: sections,
	})
}
