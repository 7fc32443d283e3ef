package train

import (
	"fmt"
	"math"

	"qkv/nn"
)

// TestGroup is one held-out test set: examples with exactly one correct
// answer, all from one distribution and, for balanced sets, one lookahead.
type TestGroup struct {
	// Name labels the group in tables: "L=3", "naive" or "star".
	Name string
	// Lookahead is the lookahead of every example, or −1 for a group of
	// mixed lookaheads.
	Lookahead int
	Batch     nn.Batch
}

// Evaluator measures accuracy on fixed held-out groups.
type Evaluator struct {
	Groups []TestGroup
}

// GroupResult is the accuracy on one group, with a 95 % Wilson score
// interval for the binomial proportion.
type GroupResult struct {
	Name      string  `json:"name"`
	Lookahead int     `json:"lookahead"`
	Correct   int     `json:"correct"`
	Count     int     `json:"count"`
	Accuracy  float64 `json:"accuracy"`
	Low       float64 `json:"low"`  // lower end of the 95 % Wilson interval
	High      float64 `json:"high"` // upper end of the 95 % Wilson interval
}

// Evaluation is the result of one Evaluate call.
type Evaluation struct {
	Groups []GroupResult
}

// MinAccuracy returns the lowest accuracy among the groups with a
// lookahead (not the mixed ones), or 1 when there are none.
func (ev *Evaluation) MinAccuracy() float64 {
	lowest := 1.0
	for _, g := range ev.Groups {
		if g.Lookahead >= 0 {
			lowest = min(lowest, g.Accuracy)
		}
	}
	return lowest
}

// Evaluate runs m on every group and returns the accuracies.
func (e *Evaluator) Evaluate(m *nn.SearchModel[float32], shards int) (*Evaluation, error) {
	bp, err := nn.NewBackprop(m, shards)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{}
	for _, g := range e.Groups {
		if len(g.Batch.Tokens) == 0 {
			continue
		}
		_, st, err := bp.Predict(g.Batch)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", g.Name, err)
		}
		lo, hi := Wilson(st.Correct, st.Count)
		ev.Groups = append(ev.Groups, GroupResult{
			Name: g.Name, Lookahead: g.Lookahead, Correct: st.Correct, Count: st.Count,
			Accuracy: float64(st.Correct) / float64(st.Count), Low: lo, High: hi,
		})
	}
	return ev, nil
}

// z95 is the standard normal quantile for a two-sided 95 % interval.
const z95 = 1.959963984540054

// Wilson returns the 95 % Wilson score interval for k successes in n
// trials. Unlike the normal approximation p ± 1.96·√(p(1−p)/n) it stays
// inside [0, 1] and does not collapse to a point at p = 0 or p = 1.
func Wilson(k, n int) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, center-half), min(1, center+half)
}
