package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"

	"qkv/task"
)

type graphEncodeOptions struct {
	input       graphInput
	start, goal string
	n           int
	seed        int64
	json        bool
	reachable   bool
}

func newGraphEncodeCmd(env *Env) *cobra.Command {
	o := &graphEncodeOptions{}
	cmd := &cobra.Command{
		Use:   "encode --graph FILE --start A --goal B --n N",
		Short: "Turn a graph and a query into the task's token sequence",
		Long: `encode reads a graph, gives its vertices the ids 1, 2, … in order of first
appearance (or random ids with --seed), and prints the token sequence of the
query "which vertex comes after A on a path to B": the text form, the N token
ids, the vertex names behind the ids, the correct next vertices and the
lookahead. The graph must fit: 3·edges + 5 ≤ N and vertices ≤ (N−5)/3.
--reachable-only drops the vertices that A cannot reach, which never change
the answer.

When B cannot be reached from A, the sequence is still printed, with no
correct next vertex. That is a valid result, so the exit status is 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runGraphEncode(env, o) },
	}
	o.input.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.start, "start", "", "`NAME` of the start vertex; required")
	f.StringVar(&o.goal, "goal", "", "`NAME` of the goal vertex; required")
	f.IntVar(&o.n, "n", 128, "sequence length N in tokens; vertex ids are 1..(N−5)/3")
	f.Int64Var(&o.seed, "seed", -1, "seed for random vertex ids; negative keeps ids in order of appearance")
	f.BoolVar(&o.json, "json", false, "print one JSON object instead of text")
	f.BoolVar(&o.reachable, "reachable-only", false, "keep only the vertices reachable from the start (and the goal); the answers and the lookahead stay the same, and the sequence gets shorter")
	return cmd
}

// encodeJSON is the JSON form of an encoded user graph.
type encodeJSON struct {
	Tokens    string         `json:"tokens"`
	IDs       []int32        `json:"ids"`
	N         int            `json:"n"`
	Vocab     vocabJSON      `json:"vocab"`
	VertexIDs map[string]int `json:"vertex_ids"`
	Start     string         `json:"start"`
	Goal      string         `json:"goal"`
	Reachable bool           `json:"reachable"`
	Labels    []string       `json:"labels"`
	LabelIDs  []int          `json:"label_ids"`
	Next      string         `json:"next,omitempty"`
	Lookahead *int           `json:"lookahead,omitempty"`
}

type vocabJSON struct {
	MaxVertex int `json:"max_vertex"`
	Path      int `json:"path"`
	Edge      int `json:"edge"`
	Pad       int `json:"pad"`
	Query     int `json:"query"`
	Size      int `json:"size"`
}

func newVocabJSON(v task.Vocab) vocabJSON {
	return vocabJSON{v.MaxVertex(), v.Path(), v.Edge(), v.Pad(), v.Query(), v.Size()}
}

func runGraphEncode(env *Env, o *graphEncodeOptions) error {
	if o.start == "" || o.goal == "" {
		return usageErrorf("missing --start or --goal: both vertex names are required")
	}
	v, err := task.NewVocab(o.n)
	if err != nil {
		return usageErrorf("--n: %v", err)
	}
	g, err := o.input.read(env)
	if err != nil {
		return err
	}
	s, t, err := lookupQuery(g, o.start, o.goal)
	if err != nil {
		return err
	}
	if o.reachable {
		keep := g.Reachable(s)
		keep[t] = true
		before, edges := g.Len(), g.NumEdges()
		g = g.Subgraph(keep)
		fmt.Fprintf(env.Stderr, "kept %d of %d vertices and %d of %d edges, those reachable from %q\n",
			g.Len(), before, g.NumEdges(), edges, o.start)
	}
	opts := task.EncodeOptions{}
	if o.seed >= 0 {
		opts.Rand = rand.New(rand.NewPCG(uint64(o.seed), 0))
	}
	enc, err := task.EncodeGraph(g, o.start, o.goal, v, opts)
	reachable := true
	if err != nil {
		var tooLarge *task.GraphTooLargeError
		switch {
		case isNoPath(err):
			reachable = false
		case errors.As(err, &tooLarge):
			if o.reachable {
				return fmt.Errorf("%w, even with --reachable-only; or remove edges that cannot lie on a path from the start to the goal", err)
			}
			return fmt.Errorf("%w, or pass --reachable-only to drop the vertices the start cannot reach", err)
		default:
			return err
		}
	}
	if g.HasCycle() {
		fmt.Fprintln(env.Stderr, "warning: the graph has cycles; labels and lookahead are computed on it as given")
	}
	ids, err := enc.Example.Tokens(v)
	if err != nil {
		return err
	}
	ex := &enc.Example
	labels := make([]string, len(ex.Labels))
	for i, id := range ex.Labels {
		labels[i] = enc.NameOf(id)
	}
	if o.json {
		out := encodeJSON{
			Tokens: ex.Text(), IDs: ids, N: v.SeqLen(), Vocab: newVocabJSON(v),
			VertexIDs: enc.IDs, Start: o.start, Goal: o.goal, Reachable: reachable,
			Labels: labels, LabelIDs: ex.Labels,
		}
		if out.LabelIDs == nil {
			out.Labels, out.LabelIDs = []string{}, []int{}
		}
		if reachable {
			out.Next = enc.NameOf(ex.Next)
			out.Lookahead = &ex.Lookahead
		}
		e := json.NewEncoder(env.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(out)
	}

	w := env.Stdout
	fmt.Fprintf(w, "tokens:   %s\n", ex.Text())
	fmt.Fprintf(w, "ids:      %s\n", joinInts(ids))
	fmt.Fprintf(w, "N = %d: vertex ids 1..%d, PATH=%d EDGE=%d PAD=%d QUERY=%d, vocabulary %d; %d of %d tokens are padding\n",
		v.SeqLen(), v.MaxVertex(), v.Path(), v.Edge(), v.Pad(), v.Query(), v.Size(), v.SeqLen()-ex.Len(), v.SeqLen())
	fmt.Fprintf(w, "query:    %s (%d) → %s (%d)\n", o.start, ex.Start, o.goal, ex.Goal)
	if reachable {
		fmt.Fprintf(w, "answers:  %s\n", strings.Join(labels, ", "))
		fmt.Fprintf(w, "lookahead %d (towards %s, the first step of a shortest path)\n", ex.Lookahead, enc.NameOf(ex.Next))
	} else {
		fmt.Fprintf(w, "answers:  none: no directed path from %q to %q\n", o.start, o.goal)
	}
	fmt.Fprintln(w, "vertex ids:")
	for id := 1; id < len(enc.Names); id++ {
		if enc.Names[id] != "" {
			fmt.Fprintf(w, "  %3d  %s\n", id, enc.Names[id])
		}
	}
	return nil
}

func joinInts[T int | int32](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, " ")
}
