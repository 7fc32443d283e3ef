package attention_test

import (
	"fmt"

	"qkv/attention"
	"qkv/tensor"
)

// printMatrix prints m with two decimals, one row per line.
func printMatrix(name string, m *tensor.Matrix[float64]) {
	fmt.Println(name)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			if j > 0 {
				fmt.Print(" ")
			}
			fmt.Printf("%5.2f", v)
		}
		fmt.Println()
	}
}

func ExampleAttend() {
	// Two queries, three keys: query 0 matches key 0, query 1 matches key 2,
	// and key 1 half matches both. The scores of query 0 are (4, 2, 0)/√2.
	q := tensor.MustFromRows([][]float64{{4, 0}, {0, 4}})
	k := tensor.MustFromRows([][]float64{{1, 0}, {0.5, 0.5}, {0, 1}})
	v := tensor.MustFromRows([][]float64{{1, 0}, {0, 0}, {0, 1}})
	res, err := attention.Attend(q, k, v, attention.Options[float64]{KeepWeights: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	printMatrix("A", res.Weights)
	printMatrix("Z", res.Output)
	// Output:
	// A
	//  0.77  0.19  0.05
	//  0.05  0.19  0.77
	// Z
	//  0.77  0.05
	//  0.05  0.77
}

func ExampleAttend_causal() {
	q := tensor.MustFromRows([][]float64{{0}, {0}, {0}})
	v := tensor.MustFromRows([][]float64{{3}, {6}, {9}})
	// Equal scores: each token averages the values of itself and the
	// tokens before it.
	res, err := attention.Attend(q, q, v, attention.Options[float64]{
		Mask:        attention.Mask[float64]{Causal: true},
		KeepWeights: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printMatrix("A", res.Weights)
	printMatrix("Z", res.Output)
	// Output:
	// A
	//  1.00  0.00  0.00
	//  0.50  0.50  0.00
	//  0.33  0.33  0.33
	// Z
	//  3.00
	//  4.50
	//  6.00
}

func ExampleMultiHead_SelfAttend() {
	// Three one-hot tokens and two heads with d_k = d_v = 1. Head 0 lets
	// every token look at token 0's value, head 1 at token 2's, and W_O
	// adds the two head outputs.
	x := tensor.Identity[float64](3, 1)
	ones := tensor.MustFromRows([][]float64{{1}, {1}, {1}})
	mh := attention.MultiHead[float64]{
		Heads: []attention.Head[float64]{
			{WQ: ones, WK: tensor.MustFromRows([][]float64{{20}, {0}, {0}}), WV: tensor.MustFromRows([][]float64{{1}, {0}, {0}})},
			{WQ: ones, WK: tensor.MustFromRows([][]float64{{0}, {0}, {20}}), WV: tensor.MustFromRows([][]float64{{0}, {0}, {2}})},
		},
		WO: tensor.MustFromRows([][]float64{{1}, {1}}),
	}
	res, err := mh.SelfAttend(x, attention.Options[float64]{})
	if err != nil {
		fmt.Println(err)
		return
	}
	printMatrix("concatenated heads", res.Concat)
	printMatrix("output", res.Output)
	// Output:
	// concatenated heads
	//  1.00  2.00
	//  1.00  2.00
	//  1.00  2.00
	// output
	//  3.00
	//  3.00
	//  3.00
}

func ExampleAttendHeads() {
	// Two heads given as Q, K and V directly. Head 1 has no keys that
	// match, so it averages its values.
	k := tensor.MustFromRows([][]float64{{1}, {-1}})
	heads := []attention.Projections[float64]{
		{Q: tensor.MustFromRows([][]float64{{10}}), K: k, V: tensor.MustFromRows([][]float64{{1}, {0}})},
		{Q: tensor.MustFromRows([][]float64{{0}}), K: k, V: tensor.MustFromRows([][]float64{{2}, {4}})},
	}
	res, err := attention.AttendHeads(heads, nil, attention.Options[float64]{KeepWeights: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	printMatrix("head 0 A", res.Heads[0].Weights)
	printMatrix("head 1 A", res.Heads[1].Weights)
	printMatrix("output", res.Output)
	// Output:
	// head 0 A
	//  1.00  0.00
	// head 1 A
	//  0.50  0.50
	// output
	//  1.00  3.00
}
