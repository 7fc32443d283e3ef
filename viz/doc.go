// Package viz draws attention matrices so that people can read them: as
// labelled heatmaps in PNG, SVG or PDF, as coloured or plain tables in a
// terminal, and as a self-contained printable HTML report.
//
// # Orientation
//
// Every heatmap puts row 0 at the top and column 0 at the left, the way a
// matrix is printed. For attention, rows are queries (the token attending,
// "from") and columns are keys (the token attended to, "to").
//
// # Colour scales
//
// Scores S = Q·Kᵀ·scale are signed, so they use a diverging scale centred
// on 0: red for strong, blue for weak, near white for 0. Weights A lie in
// [0, 1] and use a sequential scale from pale to dark red, so the darkest
// cell is the largest weight. Masked scores (-Inf) are drawn grey.
//
// # Size limits
//
// Matrices of up to 64×64 cells are drawn as one vector rectangle per cell
// and, up to 16×16, with the value written in each cell. Larger matrices
// are drawn as one raster image of at most 1024×1024 pixels. When a matrix
// has more rows or columns than that, each pixel covers a block of entries
// and shows the one furthest from the scale's neutral value: 0 for a
// diverging scale, the minimum for a sequential one. A single sharp peak
// therefore stays visible. Drawing time therefore grows only linearly with the
// number of entries, and the memory used beyond the matrix itself stays
// bounded.
//
// # Use
//
// A Heatmap is one labelled matrix. An AttentionFigure lays out S, A and Z
// for each head in a grid, and a LineChart plots series such as loss
// curves. All three are Figures, and Render encodes a Figure as PNG (at
// PNGDPI), SVG or PDF:
//
//	h := &viz.Heatmap{Values: weights, RowLabels: tokens, ColLabels: tokens}
//	png, err := viz.Render(h, viz.PNG)
//
// WriteMatrix prints a matrix as a terminal table, and Report.WriteHTML
// writes a page that embeds figures as inline SVG. Functions return errors
// for invalid data, such as NaN values or label counts that do not match
// the matrix, instead of panicking. A fuzz test checks this for Heatmap.
//
// Colour bars are drawn as vector bands, never as images, so every SVG and
// PDF viewer shows them at full size. The same figure always renders to
// the same bytes in every format: PDF output carries a fixed creation date
// (2000-01-01) and a fixed order of embedded images.
//
// Figures are drawn with gonum.org/v1/plot.
package viz
