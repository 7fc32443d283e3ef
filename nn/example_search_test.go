package nn_test

import (
	"fmt"
	"math/rand/v2"

	"qkv/nn"
)

func ExampleNewSearchModel() {
	cfg := nn.SearchConfig{SeqLen: 128, Layers: 6, Hidden: 16, Heads: 1}
	m, err := nn.NewSearchModel[float32](cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("vocab %d, width %d, %d parameters\n", cfg.Vocab(), cfg.Width(), len(m.Params))
	// Output: vocab 46, width 190, 1311380 parameters
}

func ExampleBackprop() {
	cfg := nn.SearchConfig{SeqLen: 14, Layers: 2, Hidden: 2, Heads: 1}
	m, _ := nn.NewSearchModel[float64](cfg, rand.New(rand.NewPCG(1, 2)))
	bp, _ := nn.NewBackprop(m, 1)

	// "E 1 2 E 2 3 Q 1 3 P 1" left-padded to N = 14 tokens: vertex ids are
	// 1..3, then PATH = 4, EDGE = 5, PAD = 6 and QUERY = 7.
	const path, edge, pad, query = 4, 5, 6, 7
	tokens := []int{pad, pad, pad, edge, 1, 2, edge, 2, 3, query, 1, 3, path, 1}
	batch := nn.Batch{Tokens: [][]int{tokens}, Labels: []int{2}}

	grad := make([]float64, len(m.Params))
	st, err := bp.Gradient(batch, grad)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.2f nats, %d of %d correct\n", st.Loss, st.Correct, st.Count)
	// Output: loss 2.72 nats, 0 of 1 correct
}
