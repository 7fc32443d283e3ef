package kernel_test

import (
	"fmt"
	"math"

	"qkv/internal/kernel"
)

func ExampleGemmNN() {
	// c [2×2] = a [2×3] · b [3×2], all row-major with leading dimension
	// equal to the width.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 0, 1, 1, 1}
	c := make([]float32, 4)
	kernel.GemmNN(2, 2, 3, a, 3, b, 2, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

func ExampleExpShiftSum() {
	// A softmax row: subtract the maximum, exponentiate, normalise. The
	// masked entry at -Inf becomes exactly 0.
	row := []float32{1, 3, float32(math.Inf(-1)), 2}
	sum := kernel.ExpShiftSum(row, kernel.Max(row))
	for i := range row {
		row[i] /= sum
	}
	fmt.Printf("%.4f\n", row)
	// Output: [0.0900 0.6652 0.0000 0.2447]
}
