package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"qkv/tensor"
)

// multiHeadGradCase describes a small multi-head layer for gradient tests.
type multiHeadGradCase struct {
	name      string
	nq, nk    int   // nk = 0 means self-attention over nq tokens
	dModel    int   // width of X
	dk        []int // per head
	dv        []int // per head
	dOutWidth int   // columns of W_O; 0 means no W_O
	scale     float64
}

func (c multiHeadGradCase) build(r *rand.Rand) (MultiHead[float64], *tensor.Matrix[float64], *tensor.Matrix[float64]) {
	var m MultiHead[float64]
	width := 0
	for h := range c.dk {
		m.Heads = append(m.Heads, Head[float64]{
			WQ: gradRandom(r, c.dModel, c.dk[h]),
			WK: gradRandom(r, c.dModel, c.dk[h]),
			WV: gradRandom(r, c.dModel, c.dv[h]),
		})
		width += c.dv[h]
	}
	if c.dOutWidth > 0 {
		m.WO = gradRandom(r, width, c.dOutWidth)
	}
	xq := gradRandom(r, c.nq, c.dModel)
	xkv := xq
	if c.nk > 0 {
		xkv = gradRandom(r, c.nk, c.dModel)
	}
	return m, xq, xkv
}

var multiHeadGradCases = []multiHeadGradCase{
	{name: "self two heads with W_O", nq: 5, dModel: 4, dk: []int{2, 3}, dv: []int{2, 1}, dOutWidth: 3},
	{name: "self one head no W_O", nq: 4, dModel: 3, dk: []int{2}, dv: []int{3}, scale: 0.8},
	{name: "cross three heads", nq: 4, nk: 6, dModel: 3, dk: []int{1, 2, 2}, dv: []int{2, 2, 1}, dOutWidth: 2},
}

func TestMultiHeadBackwardFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	for _, c := range multiHeadGradCases {
		for _, mc := range gradMasks {
			t.Run(c.name+"/"+mc.name, func(t *testing.T) {
				m, xq, xkv := c.build(r)
				self := c.nk == 0
				nk := xkv.Rows
				opts := Options[float64]{Scale: c.scale, Mask: mc.mask(r, c.nq, nk), KeepWeights: true}
				res, err := m.Attend(xq, xkv, opts)
				if err != nil {
					t.Fatal(err)
				}
				dOut := gradRandom(r, res.Output.Rows, res.Output.Cols)

				var g MultiGrads[float64]
				if self {
					g, err = m.Backward(xq, res, dOut, opts)
				} else {
					g, err = m.BackwardCross(xq, xkv, res, dOut, opts)
				}
				if err != nil {
					t.Fatal(err)
				}

				loss := func() float64 {
					out, err := m.Attend(xq, xkv, opts)
					if err != nil {
						t.Fatal(err)
					}
					sum := 0.0
					for i, z := range out.Output.Data {
						sum += dOut.Data[i] * z
					}
					return sum
				}
				type check struct {
					name     string
					in, grad *tensor.Matrix[float64]
				}
				var checks []check
				if self {
					checks = append(checks, check{"dX", xq, g.DX})
				} else {
					if g.DX != nil {
						t.Errorf("DX is set for cross-attention, want nil")
					}
					checks = append(checks, check{"dXq", xq, g.DXq}, check{"dXkv", xkv, g.DXkv})
				}
				for h, head := range m.Heads {
					checks = append(checks,
						check{fmt.Sprintf("head %d dW_Q", h), head.WQ, g.Heads[h].DWQ},
						check{fmt.Sprintf("head %d dW_K", h), head.WK, g.Heads[h].DWK},
						check{fmt.Sprintf("head %d dW_V", h), head.WV, g.Heads[h].DWV})
				}
				if m.WO != nil {
					checks = append(checks, check{"dW_O", m.WO, g.DWO})
				} else if g.DWO != nil {
					t.Errorf("DWO is %v without W_O, want nil", g.DWO.Shape())
				}
				if opts.Mask.Bias != nil {
					checks = append(checks, check{"dBias", opts.Mask.Bias, g.DBias})
				}
				for _, ch := range checks {
					if ch.grad == nil {
						t.Errorf("%s is nil", ch.name)
						continue
					}
					want := numericGrad(ch.in, loss)
					if d := gradRelErr(ch.grad.Data, want.Data); d > fdTol {
						t.Errorf("%s differs from central differences: ∞-norm of relative difference %.3g > %g\ngot  %v\nwant %v", ch.name, d, fdTol, ch.grad.Data, want.Data)
					}
				}
			})
		}
	}
}

func TestMultiHeadBackwardFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	c := multiHeadGradCase{nq: 37, dModel: 16, dk: []int{8, 8}, dv: []int{8, 8}, dOutWidth: 16}
	m, x, _ := c.build(r)
	opts := Options[float64]{Mask: Mask[float64]{Causal: true}, KeepWeights: true}
	res, err := m.SelfAttend(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	dOut := gradRandom(r, res.Output.Rows, res.Output.Cols)
	want, err := m.Backward(x, res, dOut, opts)
	if err != nil {
		t.Fatal(err)
	}

	m32 := MultiHead[float32]{WO: tensor.Convert[float32](m.WO)}
	for _, h := range m.Heads {
		m32.Heads = append(m32.Heads, Head[float32]{WQ: tensor.Convert[float32](h.WQ), WK: tensor.Convert[float32](h.WK), WV: tensor.Convert[float32](h.WV)})
	}
	x32 := tensor.Convert[float32](x)
	opts32 := Options[float32]{Mask: Mask[float32]{Causal: true}, KeepWeights: true}
	res32, err := m32.SelfAttend(x32, opts32)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m32.Backward(x32, res32, tensor.Convert[float32](dOut), opts32)
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct {
		name string
		got  *tensor.Matrix[float32]
		want *tensor.Matrix[float64]
	}{{"dX", got.DX, want.DX}, {"dW_O", got.DWO, want.DWO}, {"head 1 dW_Q", got.Heads[1].DWQ, want.Heads[1].DWQ}, {"head 0 dW_V", got.Heads[0].DWV, want.Heads[0].DWV}}
	for _, p := range pairs {
		if d := gradRelErr(tensor.Convert[float64](p.got).Data, p.want.Data); d > fastRefTol32 {
			t.Errorf("%s in float32 differs from float64 by %.3g > %g", p.name, d, fastRefTol32)
		}
	}
}

func TestMultiHeadBackwardErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	c := multiHeadGradCases[0]
	m, x, _ := c.build(r)
	opts := Options[float64]{KeepWeights: true}
	res, err := m.SelfAttend(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	noWeights, err := m.SelfAttend(x, Options[float64]{})
	if err != nil {
		t.Fatal(err)
	}
	dOut := gradRandom(r, res.Output.Rows, res.Output.Cols)
	oneHead := MultiHead[float64]{Heads: m.Heads[:1], WO: m.WO}

	cases := []struct {
		name       string
		m          MultiHead[float64]
		x          *tensor.Matrix[float64]
		res        MultiResult[float64]
		dOut       *tensor.Matrix[float64]
		wantSubstr string
	}{
		{"nil x", m, nil, res, dOut, "inputs X"},
		{"no weights", m, x, noWeights, dOut, "KeepWeights"},
		{"head count", oneHead, x, res, dOut, "2 heads' projections but the layer has 1"},
		{"x width", m, gradRandom(r, c.nq, c.dModel+1), res, dOut, "W_Q [4×2] and X [5×5]"},
		{"dOut shape", m, x, res, gradRandom(r, c.nq, 2), "dOut [5×2] does not match the output [5×3]"},
		{"nil dOut", m, x, res, nil, "output gradient dOut"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.Backward(tc.x, tc.res, tc.dOut, opts)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tc.wantSubstr)
			}
			if !strings.Contains(err.Error(), tc.wantSubstr) {
				t.Errorf("error %q does not contain %q", err, tc.wantSubstr)
			}
		})
	}
}

func TestBackwardHeadsDBiasSumsHeads(t *testing.T) {
	r := rand.New(rand.NewPCG(101, 102))
	c := multiHeadGradCases[2]
	m, xq, xkv := c.build(r)
	opts := Options[float64]{Mask: Mask[float64]{Bias: gradRandom(r, c.nq, c.nk)}, KeepWeights: true}
	res, err := m.Attend(xq, xkv, opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := BackwardHeads(res, m.WO, gradRandom(r, res.Output.Rows, res.Output.Cols), opts)
	if err != nil {
		t.Fatal(err)
	}
	if g.DX != nil || g.DXq != nil || g.DXkv != nil || g.Heads[0].DWQ != nil {
		t.Errorf("BackwardHeads set input or projection gradients, want nil")
	}
	for idx := range g.DBias.Data {
		want := 0.0
		for _, hg := range g.Heads {
			want += hg.DBias.Data[idx]
		}
		if math.Abs(g.DBias.Data[idx]-want) > 1e-15 {
			t.Fatalf("dBias element %d is %v, sum of the heads is %v", idx, g.DBias.Data[idx], want)
		}
	}
}

func ExampleMultiHead_Backward() {
	// One head with identity projections over two tokens; the loss is the
	// sum of the output, so dOut is all ones.
	m := MultiHead[float64]{Heads: []Head[float64]{{
		WQ: tensor.Identity[float64](2, 1),
		WK: tensor.Identity[float64](2, 1),
		WV: tensor.Identity[float64](2, 1),
	}}}
	x := tensor.MustFromRows([][]float64{{0, 0}, {0, 0}})
	opts := Options[float64]{KeepWeights: true}
	res, err := m.SelfAttend(x, opts)
	if err != nil {
		panic(err)
	}
	dOut := tensor.MustFromRows([][]float64{{1, 1}, {1, 1}})
	g, err := m.Backward(x, res, dOut, opts)
	if err != nil {
		panic(err)
	}
	// With X = 0 every weight is 1/2, and only the value path carries a
	// gradient: dW_V = Xᵀ·dV = 0 and dX = dV·W_Vᵀ = Aᵀ·dOut.
	fmt.Println("dX   =", g.DX.Rows2D())
	fmt.Println("dW_V =", g.Heads[0].DWV.Rows2D())
	// Output:
	// dX   = [[1 1] [1 1]]
	// dW_V = [[0 0] [0 0]]
}

func TestMultiHeadBackwardDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(111, 112))
	c := multiHeadGradCase{nq: 150, dModel: 32, dk: []int{16, 16}, dv: []int{16, 16}, dOutWidth: 32}
	m, x, _ := c.build(r)
	opts := Options[float64]{KeepWeights: true, Mask: Mask[float64]{Bias: gradRandom(r, c.nq, c.nq)}}
	res, err := m.SelfAttend(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	dOut := gradRandom(r, res.Output.Rows, res.Output.Cols)

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first MultiGrads[float64]
	for i, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		got, err := m.Backward(x, res, dOut, opts)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		pairs := []struct {
			name      string
			got, want *tensor.Matrix[float64]
		}{
			{"dX", got.DX, first.DX}, {"dW_O", got.DWO, first.DWO}, {"dBias", got.DBias, first.DBias},
			{"head 1 dW_Q", got.Heads[1].DWQ, first.Heads[1].DWQ}, {"head 0 dW_K", got.Heads[0].DWK, first.Heads[0].DWK},
		}
		for _, p := range pairs {
			for j := range p.got.Data {
				if math.Float64bits(p.got.Data[j]) != math.Float64bits(p.want.Data[j]) {
					t.Fatalf("GOMAXPROCS=%d: %s element %d is %v, GOMAXPROCS=1 gave %v", procs, p.name, j, p.got.Data[j], p.want.Data[j])
				}
			}
		}
	}
}

// trajectoryTol bounds the relative difference between the losses of the
// Go and PyTorch gradient-descent runs. Both are float64 and differ only in
// summation order, which five steps amplify little.
const trajectoryTol = 1e-10

func TestMultiHeadGradientDescentMatchesPyTorch(t *testing.T) {
	f := gradFixture{t: t, dir: filepath.Join(torchFixtureDir, "trajectory")}
	var m MultiHead[float64]
	for h := 0; f.exists(fmt.Sprintf("wq%d", h)); h++ {
		m.Heads = append(m.Heads, Head[float64]{
			WQ: gradFixtureMatrix[float64](f, fmt.Sprintf("wq%d", h)),
			WK: gradFixtureMatrix[float64](f, fmt.Sprintf("wk%d", h)),
			WV: gradFixtureMatrix[float64](f, fmt.Sprintf("wv%d", h)),
		})
	}
	m.WO = gradFixtureMatrix[float64](f, "wo")
	x := gradFixtureMatrix[float64](f, "x")
	target := gradFixtureMatrix[float64](f, "target")
	lr := f.array("lr").Float64()[0]
	want := f.array("losses").Float64()
	opts := Options[float64]{Mask: Mask[float64]{Causal: true}, KeepWeights: true}

	// Each step: loss = ½·Σ(output − target)², so dOut = output − target,
	// then W ← W − lr·dW for every projection.
	for step, wantLoss := range want {
		res, err := m.SelfAttend(x, opts)
		if err != nil {
			t.Fatal(err)
		}
		dOut := tensor.New[float64](res.Output.Rows, res.Output.Cols)
		loss := 0.0
		for i, z := range res.Output.Data {
			dOut.Data[i] = z - target.Data[i]
			loss += 0.5 * dOut.Data[i] * dOut.Data[i]
		}
		if d := math.Abs(loss-wantLoss) / wantLoss; d > trajectoryTol {
			t.Errorf("step %d: loss %v, PyTorch %v (relative difference %.3g > %g)", step, loss, wantLoss, d, trajectoryTol)
		}
		if step == len(want)-1 {
			break
		}

		g, err := m.Backward(x, res, dOut, opts)
		if err != nil {
			t.Fatal(err)
		}
		for h, hg := range g.Heads {
			descend(m.Heads[h].WQ, hg.DWQ, lr)
			descend(m.Heads[h].WK, hg.DWK, lr)
			descend(m.Heads[h].WV, hg.DWV, lr)
		}
		descend(m.WO, g.DWO, lr)
	}
}

// descend applies one gradient-descent step w ← w − lr·grad in place.
func descend(w, grad *tensor.Matrix[float64], lr float64) {
	for i := range w.Data {
		w.Data[i] -= lr * grad.Data[i]
	}
}
