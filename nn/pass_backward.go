package nn

import "qkv/internal/kernel"

// backward runs the backward pass of the shard whose forward pass just
// ran, adding the gradient of (summed loss)/total into grad. The steps
// mirror the forward pass in reverse order.
func (ws *workspace[T]) backward(tokens [][]int, leads, labels []int, total int, grad []T, rows int) {
	cfg := ws.model.Config
	d := cfg.Width()
	e := len(tokens)
	vocab := cfg.Vocab()
	if ws.grad == nil || &ws.grad.Params[0] != &grad[0] {
		g, err := BindSearchModel(cfg, grad)
		if err != nil {
			panic("nn: binding the gradient: " + err.Error())
		}
		ws.grad = g
	}
	gm := ws.grad

	// loss = −log softmax(logits)[label] / total, so
	// dlogits = (softmax − onehot(label)) / total. ws.logits holds the
	// softmax after the forward pass.
	inv := 1 / T(total)
	for i := 0; i < e; i++ {
		lg := ws.logits[i*vocab:][:vocab]
		lg[labels[i]] -= 1
		for j := range lg {
			lg[j] *= inv
		}
	}

	// logits = fin[:vocab] (fixed code) or fin[:tokenDims]·Embᵀ (learned).
	ws.dmid = grow(ws.dmid, e*d)
	dfin := ws.dmid
	clear(dfin)
	td := cfg.TokenDims()
	for i := 0; i < e; i++ {
		dl := ws.logits[i*vocab:][:vocab]
		df := dfin[i*d:][:d]
		if ws.model.Embedding == nil {
			copy(df, dl)
			continue
		}
		fi := ws.fin[i*d:][:td]
		for v, g := range dl {
			axpy(df[:td], g, ws.model.Embedding.Row(v))
			axpy(gm.Embedding.Row(v), g, fi)
		}
	}

	// fin = FinalLN(out of the last block).
	last := &ws.layers[len(ws.layers)-1]
	ws.dx = grow(ws.dx, rows*d)
	dout := ws.dx[:e*d]
	fln, gfln := ws.model.Net.FinalLN, gm.Net.FinalLN
	for i := 0; i < e; i++ {
		layerNormBackwardRow(dout[i*d:][:d], gfln.Gain, gfln.Bias, dfin[i*d:][:d], last.out[i*d:][:d], fln.Gain, ws.finMean[i], ws.finRstd[i])
	}

	// Blocks, last first. dout holds the gradient of the block output
	// [r×D]; each block leaves the gradient of its input [R×D] in ws.dx.
	for l := len(ws.layers) - 1; l >= 0; l-- {
		ws.blockBackward(&ws.model.Net.Blocks[l], &gm.Net.Blocks[l], &ws.layers[l], rows)
	}

	// x = [Emb[token]; 0; onehot(pos)]: only a learned code has a gradient.
	if gm.Embedding != nil {
		for i, toks := range tokens {
			for j := leads[i]; j < cfg.SeqLen; j++ {
				row := ws.off[i] + j - leads[i]
				dst := gm.Embedding.Row(toks[j])
				src := ws.dx[row*d:][:td]
				for k := range dst {
					dst[k] += src[k]
				}
			}
		}
	}
}

// blockBackward turns ws.dx, the gradient of the block output [r×D], into
// the gradient of the block input [R×D], also in ws.dx.
func (ws *workspace[T]) blockBackward(b, g *Block[T], c *layerCache[T], rows int) {
	d := ws.model.Config.Width()
	r := c.rows
	dout := ws.dx[:r*d]

	// out = mid + h·W2 + b2: dmid = dout, dh = dout·W2ᵀ masked by ReLU.
	ws.dmid = grow(ws.dmid, r*d)
	copy(ws.dmid, dout)
	ws.dh = grow(ws.dh, r*d)
	ws.linearBackward(ws.dh, &g.MLP.Down, dout, c.h, &b.MLP.Down, r)
	for i, h := range c.h {
		if h <= 0 {
			ws.dh[i] = 0
		}
	}

	// h = ReLU(m·W1 + b1), m = LN2(mid).
	ws.dm = grow(ws.dm, r*d)
	ws.linearBackward(ws.dm, &g.MLP.Up, ws.dh, c.m, &b.MLP.Up, r)
	ws.dtmp = grow(ws.dtmp, d)
	for i := 0; i < r; i++ {
		layerNormBackwardRow(ws.dtmp, g.LN2.Gain, g.LN2.Bias, ws.dm[i*d:][:d], c.mid[i*d:][:d], b.LN2.Gain, c.mean2[i], c.rst2[i])
		dmi := ws.dmid[i*d:][:d]
		for j, v := range ws.dtmp {
			dmi[j] += v
		}
	}

	// mid = xq + z·Wo + bo.
	ws.dz = grow(ws.dz, r*d)
	ws.linearBackward(ws.dz, &g.Attn.O, ws.dmid, c.z, &b.Attn.O, r)

	// Attention: dq [r×D], dk and dv [R×D].
	ws.dq = grow(ws.dq, r*d)
	ws.dk = grow(ws.dk, rows*d)
	ws.dv = grow(ws.dv, rows*d)
	ws.attentionBackward(c, b.Attn.Heads, b.Attn.scale())

	// q = aq·Wq + bq, k = a·Wk + bk, v = a·Wv + bv.
	ws.da = grow(ws.da, rows*d)
	ws.dm = grow(ws.dm, rows*d)
	ws.linearBackward(ws.da, &g.Attn.K, ws.dk, c.a, &b.Attn.K, rows)
	ws.linearBackward(ws.dm, &g.Attn.V, ws.dv, c.a, &b.Attn.V, rows)
	for i, v := range ws.dm[:rows*d] {
		ws.da[i] += v
	}
	ws.linearBackward(ws.dm, &g.Attn.Q, ws.dq, c.aq, &b.Attn.Q, r)
	ws.scatterAdd(ws.da, ws.dm[:r*d], c.full)

	// a = LN1(x); the residual adds dmid at the query rows.
	dx := ws.dx[:rows*d]
	for i := 0; i < rows; i++ {
		layerNormBackwardRow(dx[i*d:][:d], g.LN1.Gain, g.LN1.Bias, ws.da[i*d:][:d], c.x[i*d:][:d], b.LN1.Gain, c.mean1[i], c.rst1[i])
	}
	ws.scatterAdd(dx, ws.dmid[:r*d], c.full)
}

// scatterAdd adds src [r×D] to the query rows of dst [R×D].
func (ws *workspace[T]) scatterAdd(dst, src []T, full bool) {
	if full {
		for i, v := range src {
			dst[i] += v
		}
		return
	}
	d := ws.model.Config.Width()
	for i, row := range ws.last {
		dr := dst[row*d:][:d]
		for j, v := range src[i*d:][:d] {
			dr[j] += v
		}
	}
}

// attentionBackward computes ws.dq, ws.dk and ws.dv from ws.dz through
// Z = P·V and P = softmax(scale·Q·Kᵀ), one example and head at a time:
//
//	dP = dZ·Vᵀ,  dS = P ∘ (dP − rowsum(P ∘ dP)),
//	dQ = scale·dS·K,  dK = scale·dSᵀ·Q,  dV = Pᵀ·dZ.
//
// Each (example, head) block of dq, dk and dv is written exactly once.
func (ws *workspace[T]) attentionBackward(c *layerCache[T], heads int, scale float64) {
	d := ws.model.Config.Width()
	dh := d / heads
	sc := T(scale)
	pos := 0
	for i, n := range ws.n {
		q0, r := ws.queryRows(c, i)
		k0 := ws.off[i]
		ws.dtmp = grow(ws.dtmp, r*n)
		ds := ws.dtmp
		for h := 0; h < heads; h++ {
			lo := h * dh
			p := c.p[pos : pos+r*n]
			pos += r * n
			dz := ws.dz[q0*d+lo:]

			// dV = Pᵀ·dZ and dP = dZ·Vᵀ.
			kernel.GemmTN(n, dh, r, p, n, dz, d, ws.dv[k0*d+lo:], d)
			kernel.GemmNT(r, n, dh, dz, d, c.v[k0*d+lo:], d, ds, n)

			// dS = scale·P ∘ (dP − Σ_j P∘dP), row by row.
			for t := 0; t < r; t++ {
				pt, dst := p[t*n:][:n], ds[t*n:][:n]
				var dot T
				for j, pj := range pt {
					dot += pj * dst[j]
				}
				for j, pj := range pt {
					dst[j] = pj * (dst[j] - dot) * sc
				}
			}

			// dQ = dS·K and dK = dSᵀ·Q.
			kernel.GemmNN(r, dh, n, ds, n, c.k[k0*d+lo:], d, ws.dq[q0*d+lo:], d)
			kernel.GemmTN(n, dh, r, ds, n, c.q[q0*d+lo:], d, ws.dk[k0*d+lo:], d)
		}
	}
}

// linearBackward differentiates y = x·W + b for x [rows×in]: it adds
// xᵀ·dy to g.W and the column sums of dy to g.B, and writes dx = dy·Wᵀ.
func (ws *workspace[T]) linearBackward(dx []T, g *Linear[T], dy, x []T, lin *Linear[T], rows int) {
	in, out := lin.W.Rows, lin.W.Cols
	for i := 0; i < rows; i++ {
		for j, v := range dy[i*out:][:out] {
			g.B[j] += v
		}
	}
	kernel.GemmTNAcc(in, out, rows, x, in, dy, out, g.W.Data, out)
	kernel.GemmNT(rows, in, out, dy, out, lin.W.Data, out, dx, in)
}

// layerNormBackwardRow differentiates y = (x−mean)·rstd·gain + bias for
// one row: it adds to dgain and dbias and writes dx.
func layerNormBackwardRow[T Float](dx, dgain, dbias, dy, x, gain []T, mean, rstd T) {
	var sumG, sumGX T
	for j, g := range dy {
		xhat := (x[j] - mean) * rstd
		dgain[j] += g * xhat
		dbias[j] += g
		gx := g * gain[j]
		sumG += gx
		sumGX += gx * xhat
	}
	n := T(len(dy))
	meanG, meanGX := sumG/n, sumGX/n
	for j, g := range dy {
		xhat := (x[j] - mean) * rstd
		dx[j] = rstd * (g*gain[j] - meanG - xhat*meanGX)
	}
}
