package cli

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"

	"qkv/compiled"
	"qkv/nn"
	"qkv/task"
	"qkv/train"
)

// trainedSearcher runs a checkpoint written by qkv train in place of the
// compiled model. It has no reach table: reach sets are decoded only from
// the compiled model's named residual coordinates.
type trainedSearcher struct {
	path  string
	st    *train.State
	model *nn.SearchModel[float64] // float64 copy of the weights, for traces
	vocab task.Vocab
}

// minCandidateProb is the softmax probability above which a vertex other
// than the model's top choice is listed as an answer and tried by the walk.
const minCandidateProb = 0.1

func newTrainedSearcher(path string, q *searchQuery) (*trainedSearcher, error) {
	st, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	cfg := st.Config.Model
	vocab, err := task.NewVocab(cfg.SeqLen)
	if err != nil {
		return nil, err
	}
	ex := &q.Example
	if q.Vertices > vocab.MaxVertex() {
		return nil, fmt.Errorf("the graph has %d vertices, but the model was trained with N = %d, which allows vertex ids 1..%d; use a smaller graph or a model trained with N ≥ %d",
			q.Vertices, cfg.SeqLen, vocab.MaxVertex(), task.MinSeqLenFor(q.Vertices, len(ex.Edges), len(ex.Path)))
	}
	if ex.Len() > cfg.SeqLen {
		return nil, fmt.Errorf("the query needs %d tokens (%d edges), but the model reads %d; use a smaller graph or a model trained with N ≥ %d",
			ex.Len(), len(ex.Edges), cfg.SeqLen, task.MinSeqLenFor(q.Vertices, len(ex.Edges), len(ex.Path)))
	}
	params := make([]float64, len(st.Model.Params))
	for i, v := range st.Model.Params {
		params[i] = float64(v)
	}
	m, err := nn.BindSearchModel(cfg, params)
	if err != nil {
		return nil, err
	}
	return &trainedSearcher{path: path, st: st, model: m, vocab: vocab}, nil
}

func (s *trainedSearcher) Describe() string {
	c := s.st.Config
	return fmt.Sprintf("trained transformer %s (step %d, %s distribution, L_max %d, N = %d); no reach table: reach sets decode only from the compiled model",
		filepath.Base(s.path), s.st.Step, c.Distribution, c.MaxLookahead, c.Model.SeqLen)
}

func (s *trainedSearcher) Layers() int { return s.st.Config.Model.Layers }

func (s *trainedSearcher) LayerName(i int) string { return fmt.Sprintf("learned block %d", i+1) }

func (s *trainedSearcher) Reach() []compiled.ReachLayer { return nil }

// tokens encodes the query from the last vertex of path, left-padded to
// N. Training inputs always end "Q s g P s", a one-vertex prefix, so
// each step of a walk asks the model anew with the current vertex as the
// start rather than with a longer prefix it has never seen.
func (s *trainedSearcher) tokens(q *searchQuery, path []int) ([]int, error) {
	ex := q.Example
	ex.Start = path[len(path)-1]
	ex.Path = []int{ex.Start}
	ids, err := ex.Tokens(s.vocab)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ids))
	for i, t := range ids {
		out[i] = int(t)
	}
	return out, nil
}

// answer runs the model on a path prefix. Scores are the softmax
// probabilities of vertices 1..q.Vertices. Correct lists the model's
// candidates, most likely first: its top vertex and every other vertex
// above minCandidateProb, keeping only children of the current vertex. A
// trained model can put its weight on a vertex that is no child at all;
// such a step is never taken, so the walk reports wrong steps instead of
// printing a path along edges the graph does not have.
func (s *trainedSearcher) answer(q *searchQuery, path []int) (compiled.Answer, error) {
	toks, err := s.tokens(q, path)
	if err != nil {
		return compiled.Answer{}, err
	}
	logits, err := s.model.Predict(toks)
	if err != nil {
		return compiled.Answer{}, err
	}
	maxV := math.Inf(-1)
	for _, l := range logits {
		maxV = max(maxV, l)
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(l - maxV)
	}
	ans := compiled.Answer{Scores: make([]float64, q.Vertices)}
	best := 1
	for v := 1; v <= q.Vertices; v++ {
		p := math.Exp(logits[v]-maxV) / sum
		ans.Scores[v-1] = p
		if p > ans.Scores[best-1] {
			best = v
		}
	}

	child := make([]bool, q.Vertices+1)
	current := path[len(path)-1]
	for _, e := range q.Example.Edges {
		if e.From == current && e.To >= 1 && e.To <= q.Vertices {
			child[e.To] = true
		}
	}
	for v := 1; v <= q.Vertices; v++ {
		if child[v] && (v == best || ans.Scores[v-1] >= minCandidateProb) {
			ans.Correct = append(ans.Correct, v)
		}
	}
	sort.SliceStable(ans.Correct, func(i, j int) bool {
		return ans.Scores[ans.Correct[i]-1] > ans.Scores[ans.Correct[j]-1]
	})
	return ans, nil
}

// Search walks from the query's path prefix to the goal, trying the
// model's candidates in order of probability.
func (s *trainedSearcher) Search(q *searchQuery) (*compiled.Result, error) {
	res, err := compiled.WalkWith(q.Example.Path, q.Example.Goal, q.Vertices,
		func(path []int) (compiled.Answer, error) { return s.answer(q, path) }, nil, q.Walk)
	if err != nil && !errors.Is(err, compiled.ErrNoPath) {
		return res, fmt.Errorf("the trained model gave wrong steps: %w", err)
	}
	return res, err
}

// Trace runs the non-PAD tokens through every block, one row per token as
// tokenLabels names them.
func (s *trainedSearcher) Trace(q *searchQuery) (*nn.Trace[float64], error) {
	toks, err := s.tokens(q, q.Example.Path)
	if err != nil {
		return nil, err
	}
	x, mask, err := s.model.EmbedContent(toks)
	if err != nil {
		return nil, err
	}
	return s.model.Net.Forward(x, mask)
}
