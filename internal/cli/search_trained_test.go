package cli

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainedSearcherAnswerAndTrace(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	// N = 20 allows vertex ids 1..5 and 5 edges.
	q, err := queryFromTokens(&Env{Stderr: io.Discard}, "E 1 2 E 2 3 E 1 4 Q 1 3 P 1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newTrainedSearcher(filepath.Join(out, "model.ckpt"), q)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Describe(); !strings.Contains(d, "trained transformer") || !strings.Contains(d, "no reach table") {
		t.Errorf("Describe() = %q; want the model and the missing reach table named", d)
	}
	if s.Layers() != 2 || s.Reach() != nil {
		t.Errorf("Layers() = %d, Reach() = %v; want 2 and nil", s.Layers(), s.Reach())
	}

	ans, err := s.answer(q, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, p := range ans.Scores {
		sum += p
	}
	if len(ans.Scores) != 4 || !(sum > 0 && sum <= 1+1e-12) {
		t.Errorf("scores %v: want 4 probabilities summing to at most 1", ans.Scores)
	}
	for i := 1; i < len(ans.Correct); i++ {
		if ans.Scores[ans.Correct[i]-1] > ans.Scores[ans.Correct[0]-1] {
			t.Errorf("candidates %v are not led by the most likely vertex (scores %v)", ans.Correct, ans.Scores)
		}
	}

	tr, err := s.Trace(q)
	if err != nil {
		t.Fatal(err)
	}
	if rows, labels := tr.Final.Rows, len(tokenLabels(q)); rows != labels {
		t.Errorf("trace has %d rows for %d token labels", rows, labels)
	}
	if len(tr.Blocks) != 2 {
		t.Errorf("trace has %d blocks, want 2", len(tr.Blocks))
	}
}

func TestSearchModelFlag(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	// An untrained model may walk the wrong way; either outcome must be
	// reported, never a crash.
	code, stdout, stderr := runCLI(t, "search", "--tokens", "E 1 2 E 2 3 Q 1 3 P 1", "--model", filepath.Join(out, "model.ckpt"), "--json")
	switch code {
	case 0:
		var j searchJSON
		if err := json.Unmarshal([]byte(stdout), &j); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, stdout)
		}
		if !strings.Contains(j.Model, "trained transformer") {
			t.Errorf("model line %q does not name the trained model", j.Model)
		}
	case 1:
		if !strings.Contains(stderr, "the trained model gave wrong steps") {
			t.Errorf("stderr %q does not explain the failed walk", stderr)
		}
	default:
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestSearchTrainedModelRejectsLargeGraph(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "search", "--tokens", "E 1 2 E 2 3 E 3 4 E 4 5 E 5 6 E 6 7 Q 1 7 P 1", "--model", filepath.Join(out, "model.ckpt"))
	if code != 1 || !strings.Contains(stderr, "vertex ids 1..5") {
		t.Errorf("exit %d, stderr %q; want 1 and the model's vertex limit", code, stderr)
	}
}

func TestTrainedSearcherStepsFollowEdges(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "2")...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	// A barely trained model puts weight on arbitrary vertices; every
	// candidate it offers and every path it walks must still follow edges.
	inputs := []string{
		"E 1 2 E 2 3 E 1 4 Q 1 3 P 1",
		"E 4 1 E 5 3 E 1 2 E 3 4 Q 5 2 P 5",
		"E 2 1 E 2 3 E 3 4 E 4 5 Q 2 5 P 2",
	}
	for _, in := range inputs {
		q, err := queryFromTokens(&Env{Stderr: io.Discard}, in)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newTrainedSearcher(filepath.Join(out, "model.ckpt"), q)
		if err != nil {
			t.Fatal(err)
		}
		edge := make(map[[2]int]bool)
		for _, e := range q.Example.Edges {
			edge[[2]int{e.From, e.To}] = true
		}
		for v := 1; v <= q.Vertices; v++ {
			if v == q.Example.Goal {
				continue
			}
			ans, err := s.answer(q, []int{v})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ans.Correct {
				if !edge[[2]int{v, c}] {
					t.Errorf("%s: candidate %d of vertex %d is not a child", in, c, v)
				}
			}
		}
		res, err := s.Search(q)
		if err != nil || res == nil {
			continue // a wrong model may fail to reach the goal; that is reported
		}
		for i := 1; i < len(res.Path); i++ {
			if !edge[[2]int{res.Path[i-1], res.Path[i]}] {
				t.Errorf("%s: path %v uses %d→%d, which is not an edge", in, res.Path, res.Path[i-1], res.Path[i])
			}
		}
	}
}
