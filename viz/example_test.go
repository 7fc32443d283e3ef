package viz_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"

	"qkv/tensor"
	"qkv/viz"
)

func ExampleWriteMatrix() {
	weights := tensor.MustFromRows([][]float64{
		{0.0174, 0.9479, 0.0174},
		{0.0174, 0.0174, 0.9479},
		{0.0174, 0.9479, 0.0174},
	})
	tokens := []string{"the", "cat", "sat"}
	err := viz.WriteMatrix(os.Stdout, weights, viz.TableOptions{Title: "A", RowLabels: tokens, ColLabels: tokens})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// A [3×3]
	//         the     cat     sat
	// the  0.0174  0.9479  0.0174
	// cat  0.0174  0.0174  0.9479
	// sat  0.0174  0.9479  0.0174
}

func ExampleHeatmap() {
	weights := tensor.MustFromRows([][]float64{{0.9, 0.1}, {0.3, 0.7}})
	scale := viz.WeightScale()
	h := &viz.Heatmap{
		Title:     "attention weights",
		Values:    weights,
		RowLabels: []string{"E 3 7", "E 7 2"},
		ColLabels: []string{"E 3 7", "E 7 2"},
		XLabel:    "key (to)",
		YLabel:    "query (from)",
		Scale:     &scale,
	}
	data, err := viz.Render(h, viz.PNG)
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Size()) // 5 by 4.5 inches at 144 dpi
	// Output: (720,648)
}

func ExampleLineChart() {
	layers := []float64{1, 2, 3, 4}
	chart := &viz.LineChart{
		Title:  "vertices reached per layer",
		XLabel: "layer k",
		YLabel: "vertices",
		LogY:   true,
		Series: []viz.Series{
			{Name: "measured", X: layers, Y: []float64{2, 4, 7, 15}, Points: true},
			{Name: "2^k", X: layers, Y: []float64{2, 4, 8, 16}, Dashed: true},
		},
	}
	svg, err := viz.Render(chart, viz.SVG)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(svg, []byte(">measured<")))
	// Output: true
}

func ExampleAttentionFigure() {
	tokens := []string{"the", "cat", "sat", "down"}
	scores := tensor.MustFromRows([][]float64{
		{0, 4, 0, 0},
		{0, 0, 4, 0},
		{0, 4, 0, 0},
		{0, 0, 4, 0},
	})
	fig := &viz.AttentionFigure{
		Title:  "sharp attention",
		Tokens: tokens,
		Heads:  []viz.HeadMatrices{{Scores: scores}},
	}
	svg, err := viz.Render(fig, viz.SVG)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(svg, []byte(">down<")), bytes.Contains(svg, []byte(">query (from)<")))
	// Output: true true
}

func ExampleReport() {
	weights := tensor.MustFromRows([][]float64{{0.25, 0.75}, {0.5, 0.5}})
	scale := viz.WeightScale()
	report := &viz.Report{
		Title: "two tokens",
		Sections: []viz.Section{{
			Heading:  "Weights",
			Matrices: []viz.MatrixTable{{Caption: "A", Values: weights, Scale: &scale}},
			Figures:  []viz.Figure{&viz.Heatmap{Values: weights, Scale: &scale}},
		}},
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(page.Bytes(), []byte("<svg")), bytes.Contains(page.Bytes(), []byte("0.7500")))
	// Output: true true
}
