package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"qkv/attention"
	"qkv/tensor"
)

func init() { registerDemo(newDemoMergeCmd) }

// mergeVertices and mergeEdges define the merge demo: the graph 2→3→6,
// one token per vertex.
var (
	mergeVertices = []int{2, 3, 6}
	mergeEdges    = [][2]int{{2, 3}, {3, 6}}
)

// mergeSharpness is the entry of W_Q: a member of a token's frontier
// scores 10, a non-member 0, so the softmax gives a non-member about
// e^−10 ≈ 0.00005 of a member's weight.
const mergeSharpness = 10

// mergeStep is one merge step with every intermediate kept.
type mergeStep struct {
	Tokens  []string                // one token per vertex
	Dims    []string                // the embedding columns: id[v] then frontier[v]
	X       *tensor.Matrix[float64] // [3×6] identity block | frontier block
	WQ, WK  *tensor.Matrix[float64] // [6×3]
	WV      *tensor.Matrix[float64] // [6×3]
	Scores  *tensor.Matrix[float64] // S = Q·Kᵀ [3×3], scale 1
	Weights *tensor.Matrix[float64] // A = softmax(S) [3×3]
	Output  *tensor.Matrix[float64] // Z = A·V [3×3]
	After   *tensor.Matrix[float64] // the new frontier, Z rounded to 0 or 1 [3×3]
	Winners [][]string              // per query, the keys with the top score
}

// mergeCase computes one merge step on 2→3→6 with the project's attention.
// Each token's frontier starts as the vertices it reaches in at most one
// edge. The query is the frontier, the key is the token's own vertex and
// the value is its frontier, so every token averages the frontiers of the
// vertices it already reaches. Rounding the average gives their union:
// the vertices within two edges.
func mergeCase() (*mergeStep, error) {
	n := len(mergeVertices)
	st := &mergeStep{}
	index := map[int]int{}
	for i, v := range mergeVertices {
		index[v] = i
		st.Tokens = append(st.Tokens, fmt.Sprint(v))
	}
	for _, block := range []string{"id", "frontier"} {
		for _, v := range mergeVertices {
			st.Dims = append(st.Dims, fmt.Sprintf("%s[%d]", block, v))
		}
	}

	// Embedding: identity block, then the frontier after loading the edges.
	st.X = tensor.New[float64](n, 2*n)
	for i := range mergeVertices {
		st.X.Set(i, i, 1)
		st.X.Set(i, n+i, 1)
	}
	for _, e := range mergeEdges {
		st.X.Set(index[e[0]], n+index[e[1]], 1)
	}

	// W_Q reads the frontier, W_K the identity, W_V the frontier.
	st.WQ, st.WK, st.WV = tensor.New[float64](2*n, n), tensor.New[float64](2*n, n), tensor.New[float64](2*n, n)
	for i := 0; i < n; i++ {
		st.WQ.Set(n+i, i, mergeSharpness)
		st.WK.Set(i, i, 1)
		st.WV.Set(n+i, i, 1)
	}
	proj, err := attention.Project(st.X, st.X, attention.Head[float64]{WQ: st.WQ, WK: st.WK, WV: st.WV})
	if err != nil {
		return nil, err
	}
	res, err := attention.Attend(proj.Q, proj.K, proj.V, attention.Options[float64]{Scale: 1, KeepScores: true, KeepWeights: true})
	if err != nil {
		return nil, err
	}
	st.Scores, st.Weights, st.Output = res.Scores, res.Weights, res.Output

	// A coordinate of Z is at least 1/n when some attended key holds it and
	// below e^−10 otherwise; 1/(2n) separates the two.
	st.After = tensor.New[float64](n, n)
	for i, z := range st.Output.Data {
		if z >= 1/float64(2*n) {
			st.After.Data[i] = 1
		}
	}
	for i := 0; i < n; i++ {
		top := st.Scores.Row(i)[0]
		for _, s := range st.Scores.Row(i) {
			top = max(top, s)
		}
		var win []string
		for j, s := range st.Scores.Row(i) {
			if s == top {
				win = append(win, st.Tokens[j])
			}
		}
		st.Winners = append(st.Winners, win)
	}
	return st, nil
}

func newDemoMergeCmd(env *Env) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "merge",
		Short: "One path-merging step by hand on the graph 2→3→6",
		Long: `merge runs one merge step of the path-merging transformer on three vertices
with the edges 2→3 and 3→6, small enough to check with pencil and paper.

Each token is a vertex. Its embedding holds an identity block (which vertex
it is) and a frontier block (the vertices it reaches in at most one edge:
2 reaches {2, 3}, 3 reaches {3, 6}, 6 reaches {6}). The query is 10 times
the frontier, the key is the identity, the value is the frontier, and the
scale is 1. So a token scores 10 on every vertex in its frontier and 0
elsewhere, attends evenly to those vertices, and averages their frontiers.
Rounding that average gives the union: 2 now reaches 6, two edges away.`,
		Example: `  qkv demo merge
  qkv demo merge --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := mergeCase()
			if err != nil {
				return err
			}
			if jsonOut {
				return writeMergeJSON(env.Stdout, st)
			}
			return printMerge(env, st)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the matrices as one JSON object instead of tables")
	return cmd
}

// printMerge prints the steps of a merge as labelled tables.
func printMerge(env *Env, st *mergeStep) error {
	w := env.Stdout
	fmt.Fprintln(w, "one merge step on the graph 2→3→6 (one token per vertex)")
	fmt.Fprintln(w)
	keyDims := []string{"key[2]", "key[3]", "key[6]"}
	steps := []struct {
		title      string
		m          *tensor.Matrix[float64]
		rows, cols []string
		kind       matrixKind
	}{
		{"X: identity block | frontier block (reach within 1 edge)", st.X, st.Tokens, st.Dims, signedMatrix},
		{"W_Q = 10 × (frontier → key)", st.WQ, st.Dims, keyDims, signedMatrix},
		{"W_K = identity → key", st.WK, st.Dims, keyDims, signedMatrix},
		{"scores S = (X·W_Q)·(X·W_K)ᵀ, scale 1: query rows × key columns", st.Scores, st.Tokens, st.Tokens, signedMatrix},
		{"weights A = softmax(S) by row", st.Weights, st.Tokens, st.Tokens, weightMatrix},
		{"output Z = A·V, V = frontier", st.Output, st.Tokens, []string{"frontier[2]", "frontier[3]", "frontier[6]"}, signedMatrix},
		{"new frontier: Z rounded (≥ 1/6 → 1)", st.After, st.Tokens, []string{"frontier[2]", "frontier[3]", "frontier[6]"}, weightMatrix},
	}
	for i, s := range steps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := printMatrix(env, s.title, s.m, s.rows, s.cols, s.kind); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for i, t := range st.Tokens {
		fmt.Fprintf(w, "vertex %s attends to %s and now reaches {%s}\n", t, strings.Join(st.Winners[i], " and "), strings.Join(frontierOf(st, i), ", "))
	}
	return nil
}

// frontierOf returns the vertices in token i's new frontier.
func frontierOf(st *mergeStep, i int) []string {
	var out []string
	for j, v := range st.After.Row(i) {
		if v == 1 {
			out = append(out, st.Tokens[j])
		}
	}
	return out
}

// mergeJSON is the --json form of a merge step.
type mergeJSON struct {
	Tokens   []string    `json:"tokens"`
	Dims     []string    `json:"dims"`
	X        [][]float64 `json:"x"`
	WQ       [][]float64 `json:"wq"`
	WK       [][]float64 `json:"wk"`
	WV       [][]float64 `json:"wv"`
	Scale    float64     `json:"scale"`
	Scores   [][]float64 `json:"scores"`
	Weights  [][]float64 `json:"weights"`
	Output   [][]float64 `json:"output"`
	Frontier [][]float64 `json:"frontier_after"`
	Winners  [][]string  `json:"winners"`
}

func writeMergeJSON(w io.Writer, st *mergeStep) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(mergeJSON{
		Tokens: st.Tokens, Dims: st.Dims,
		X: st.X.Rows2D(), WQ: st.WQ.Rows2D(), WK: st.WK.Rows2D(), WV: st.WV.Rows2D(),
		Scale: 1, Scores: st.Scores.Rows2D(), Weights: st.Weights.Rows2D(),
		Output: st.Output.Rows2D(), Frontier: st.After.Rows2D(), Winners: st.Winners,
	})
}
