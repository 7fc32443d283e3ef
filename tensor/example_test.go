package tensor_test

import (
	"fmt"

	"qkv/tensor"
)

func ExampleMatMul() {
	a := tensor.MustFromRows([][]float64{{1, 2, 3}, {4, 5, 6}})   // [2×3]
	b := tensor.MustFromRows([][]float64{{1, 0}, {0, 1}, {1, 1}}) // [3×2]
	c, err := tensor.MatMul(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Shape(), c.Rows2D())

	_, err = tensor.MatMul(a, a)
	fmt.Println(err)
	// Output:
	// [2×2] [[4 5] [10 11]]
	// tensor: cannot multiply [2×3] by [2×3]: inner dimensions 3 and 2 differ
}
