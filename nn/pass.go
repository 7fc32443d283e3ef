package nn

import (
	"math"

	"qkv/internal/kernel"
)

// This file holds the batched forward and backward pass behind Backprop,
// written out by hand in the style of llm.c. Notation:
//
//	E   examples in the shard
//	R   non-PAD rows of all examples, stacked (example e owns rows
//	    off[e] .. off[e]+n[e]-1)
//	r   query rows of a block: R in every block but the last, E in the
//	    last, which computes only each example's last row
//	D   residual width; the attention and MLP widths equal D
//
// Every backward function accumulates (+=) into parameter gradients and
// overwrites activation gradients.

// layerCache holds one block's activations for the backward pass.
type layerCache[T Float] struct {
	full        bool // queries are all R rows; otherwise one row per example
	rows        int  // r
	x           []T  // block input [R×D]
	a           []T  // LN1(x) [R×D]
	mean1, rst1 []T  // [R]
	aq, xq      []T  // a and x at the query rows [r×D]; gathered only in the last block
	q           []T  // [r×D]
	k, v        []T  // [R×D]
	p           []T  // attention weights, per example and head [r_e×n_e]
	z           []T  // heads concatenated [r×D]
	mid         []T  // x + z·Wo + bo [r×D]
	m           []T  // LN2(mid) [r×D]
	mean2, rst2 []T  // [r]
	h           []T  // ReLU(m·W1 + b1) [r×D]
	out         []T  // block output [r×D]
}

// workspace is the scratch memory of one goroutine. Buffers grow to the
// largest shard seen and are reused.
type workspace[T Float] struct {
	model  *SearchModel[T]
	grad   *SearchModel[T] // views into the shard gradient, nil in Predict
	layers []layerCache[T]

	n, off, last []int // per example: rows, first row, last row

	// Final LayerNorm and logits, one row per example.
	fin, finMean, finRstd, logits []T

	// Backward scratch.
	dx, dmid, dm, dh, dz, dq, dk, dv, da, dtmp, xt, wtmp []T
}

func newWorkspace[T Float](m *SearchModel[T]) *workspace[T] {
	return &workspace[T]{model: m, layers: make([]layerCache[T], m.Config.Layers)}
}

// grow returns s resized to n elements, reallocating only when it is too
// small. The contents are not cleared.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// pass runs forward (and, if grad is non-nil, backward) over one shard.
// total is the size of the whole batch, which divides the loss. It returns
// the summed loss and the number of correct predictions.
func (ws *workspace[T]) pass(tokens [][]int, leads, labels []int, total int, grad []T, pred []int) (float64, int) {
	cfg := ws.model.Config
	d := cfg.Width()
	e := len(tokens)

	// Row layout and embedding.
	ws.n = grow(ws.n, e)
	ws.off = grow(ws.off, e)
	ws.last = grow(ws.last, e)
	rows := 0
	for i := range tokens {
		ws.n[i] = cfg.SeqLen - leads[i]
		ws.off[i] = rows
		rows += ws.n[i]
		ws.last[i] = rows - 1
	}
	x := grow(ws.layers[0].x, rows*d)
	ws.layers[0].x = x
	for i, toks := range tokens {
		for j := leads[i]; j < cfg.SeqLen; j++ {
			ws.model.embedRow(x[(ws.off[i]+j-leads[i])*d:][:d], toks[j], j)
		}
	}

	// Blocks.
	for l := range ws.layers {
		c := &ws.layers[l]
		c.x = x
		c.full = l < len(ws.layers)-1
		x = ws.blockForward(&ws.model.Net.Blocks[l], c, rows)
	}

	// Final LayerNorm, logits, loss.
	fln := ws.model.Net.FinalLN
	vocab := cfg.Vocab()
	ws.fin = grow(ws.fin, e*d)
	ws.finMean = grow(ws.finMean, e)
	ws.finRstd = grow(ws.finRstd, e)
	ws.logits = grow(ws.logits, e*vocab)
	var loss float64
	correct := 0
	for i := 0; i < e; i++ {
		ws.finMean[i], ws.finRstd[i] = normalizeRow(ws.fin[i*d:][:d], x[i*d:][:d], fln.Gain, fln.Bias, fln.Eps)
		lg := ws.model.logitsRow(ws.logits[i*vocab:][:vocab], ws.fin[i*d:][:d])
		best := argmax(lg)
		if pred != nil {
			pred[i] = best
		}
		if labels != nil {
			loss += softmaxCrossEntropy(lg, labels[i])
			if best == labels[i] {
				correct++
			}
		}
	}
	if grad == nil {
		return loss, correct
	}
	ws.backward(tokens, leads, labels, total, grad, rows)
	return loss, correct
}

// softmaxCrossEntropy replaces logits by their softmax and returns
// −log softmax[label].
func softmaxCrossEntropy[T Float](logits []T, label int) float64 {
	maxV := logits[0]
	for _, v := range logits {
		maxV = max(maxV, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - maxV))
	}
	loss := math.Log(sum) - float64(logits[label]-maxV)
	for i, v := range logits {
		logits[i] = T(math.Exp(float64(v-maxV)) / sum)
	}
	return loss
}

func argmax[T Float](s []T) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}

// blockForward runs one block on c.x [R×D] and returns its output [r×D].
func (ws *workspace[T]) blockForward(b *Block[T], c *layerCache[T], rows int) []T {
	d := ws.model.Config.Width()
	e := len(ws.n)
	c.rows = rows
	if !c.full {
		c.rows = e
	}
	r := c.rows

	// a = LN1(x) over all rows: every row is a key and a value.
	c.a = grow(c.a, rows*d)
	c.mean1 = grow(c.mean1, rows)
	c.rst1 = grow(c.rst1, rows)
	for i := 0; i < rows; i++ {
		c.mean1[i], c.rst1[i] = normalizeRow(c.a[i*d:][:d], c.x[i*d:][:d], b.LN1.Gain, b.LN1.Bias, b.LN1.Eps)
	}

	// Keys and values for all rows, queries for the query rows.
	c.k = grow(c.k, rows*d)
	c.v = grow(c.v, rows*d)
	linearForward(c.k, c.a, &b.Attn.K, rows)
	linearForward(c.v, c.a, &b.Attn.V, rows)
	if c.full {
		c.aq, c.xq = c.a, c.x
	} else {
		c.aq = grow(c.aq, e*d)
		c.xq = grow(c.xq, e*d)
		gatherRows(c.aq, c.a, ws.last, d)
		gatherRows(c.xq, c.x, ws.last, d)
	}
	c.q = grow(c.q, r*d)
	linearForward(c.q, c.aq, &b.Attn.Q, r)

	// Attention per example and head.
	c.z = grow(c.z, r*d)
	ws.attentionForward(c, b.Attn.Heads, b.Attn.scale())

	// mid = x + z·Wo + bo.
	c.mid = grow(c.mid, r*d)
	linearForward(c.mid, c.z, &b.Attn.O, r)
	for i := range c.mid {
		c.mid[i] += c.xq[i]
	}

	// out = mid + ReLU(LN2(mid)·W1 + b1)·W2 + b2.
	c.m = grow(c.m, r*d)
	c.mean2 = grow(c.mean2, r)
	c.rst2 = grow(c.rst2, r)
	for i := 0; i < r; i++ {
		c.mean2[i], c.rst2[i] = normalizeRow(c.m[i*d:][:d], c.mid[i*d:][:d], b.LN2.Gain, b.LN2.Bias, b.LN2.Eps)
	}
	c.h = grow(c.h, r*d)
	linearForward(c.h, c.m, &b.MLP.Up, r)
	for i, v := range c.h {
		c.h[i] = max(v, 0)
	}
	c.out = grow(c.out, r*d)
	linearForward(c.out, c.h, &b.MLP.Down, r)
	for i := range c.out {
		c.out[i] += c.mid[i]
	}
	return c.out
}

// queryRows returns the first query row of example i in a block and the
// number of query rows it has.
func (ws *workspace[T]) queryRows(c *layerCache[T], i int) (first, count int) {
	if c.full {
		return ws.off[i], ws.n[i]
	}
	return i, 1
}

// attentionForward computes c.z from c.q, c.k and c.v, storing the
// weights in c.p, one example and head at a time: S = scale·Q·Kᵀ
// [r_e×n_e], P = softmax(S) row by row, Z = P·V. Query row t of example
// e sits at position n_e − r_e + t among the example's keys, which a
// causal model uses to hide later keys.
func (ws *workspace[T]) attentionForward(c *layerCache[T], heads int, scale float64) {
	d := ws.model.Config.Width()
	dh := d / heads
	causal := ws.model.Config.Causal
	size := 0
	for i := range ws.n {
		_, r := ws.queryRows(c, i)
		size += heads * r * ws.n[i]
	}
	c.p = grow(c.p, size)
	sc := T(scale)
	pos := 0
	for i, n := range ws.n {
		q0, r := ws.queryRows(c, i)
		k0 := ws.off[i]
		for h := 0; h < heads; h++ {
			lo := h * dh
			p := c.p[pos : pos+r*n]
			pos += r * n
			kernel.GemmNT(r, n, dh, c.q[q0*d+lo:], d, c.k[k0*d+lo:], d, p, n)
			for t := 0; t < r; t++ {
				keys := n
				if causal {
					keys = n - r + t + 1
				}
				softmaxScaled(p[t*n:][:n], keys, sc)
			}
			kernel.GemmNN(r, dh, n, p, n, c.v[k0*d+lo:], d, c.z[q0*d+lo:], d)
		}
	}
}

// softmaxScaled replaces row by softmax(scale·row[:keys]) and zeroes the
// entries from keys on, which are masked.
func softmaxScaled[T Float](row []T, keys int, scale T) {
	maxV := T(math.Inf(-1))
	for j := 0; j < keys; j++ {
		row[j] *= scale
		maxV = max(maxV, row[j])
	}
	var sum T
	for j := 0; j < keys; j++ {
		e := T(math.Exp(float64(row[j] - maxV)))
		row[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := 0; j < keys; j++ {
		row[j] *= inv
	}
	clear(row[keys:])
}

// axpy adds a·x to y.
func axpy[T Float](y []T, a T, x []T) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// linearForward writes y = x·W + b for rows rows of x [rows×in].
func linearForward[T Float](y, x []T, lin *Linear[T], rows int) {
	in, out := lin.W.Rows, lin.W.Cols
	kernel.GemmNN(rows, out, in, x, in, lin.W.Data, out, y, out)
	for i := 0; i < rows; i++ {
		yi := y[i*out:][:out]
		for j, bv := range lin.B {
			yi[j] += bv
		}
	}
}

func gatherRows[T Float](dst, src []T, rows []int, d int) {
	for i, r := range rows {
		copy(dst[i*d:][:d], src[r*d:][:d])
	}
}
