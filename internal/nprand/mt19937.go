package nprand

// Parameters of MT19937.
const (
	stateLen   = 624        // n: words of state
	shiftMid   = 397        // m: offset of the middle word in the recurrence
	matrixA    = 0x9908b0df // twist matrix coefficient
	upperMask  = 0x80000000 // most significant bit of a word
	lowerMask  = 0x7fffffff // the other 31 bits
	seedFactor = 1812433253 // multiplier of the init_genrand recurrence
)

// RandomState is numpy's legacy generator: MT19937 and the conversions of
// numpy.random.RandomState. It is not safe for concurrent use.
type RandomState struct {
	state [stateLen]uint32
	pos   int // index of the next word to temper, or stateLen when a twist is due
}

// New returns a RandomState seeded as np.random.seed(seed) seeds numpy's
// global generator.
func New(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// Seed resets r to the state np.random.seed(seed) produces:
// state[0] = seed, state[i] = 1812433253·(state[i−1] ⊕ (state[i−1]>>30)) + i.
func (r *RandomState) Seed(seed uint32) {
	r.state[0] = seed
	for i := 1; i < stateLen; i++ {
		prev := r.state[i-1]
		r.state[i] = seedFactor*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = stateLen
}

// Uint32 returns the next 32-bit output of MT19937.
func (r *RandomState) Uint32() uint32 {
	if r.pos >= stateLen {
		r.twist()
	}
	y := r.state[r.pos]
	r.pos++

	// Tempering.
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// twist regenerates all stateLen words of state.
func (r *RandomState) twist() {
	for i := 0; i < stateLen; i++ {
		y := r.state[i]&upperMask | r.state[(i+1)%stateLen]&lowerMask
		next := r.state[(i+shiftMid)%stateLen] ^ (y >> 1)
		if y&1 != 0 {
			next ^= matrixA
		}
		r.state[i] = next
	}
	r.pos = 0
}

// RandomSample returns a double in [0, 1) with 53 random bits, as
// numpy's random_sample does: ((a>>5)·2²⁶ + (b>>6)) / 2⁵³ for two
// consecutive outputs a and b.
func (r *RandomState) RandomSample() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// Uniform returns one draw of numpy's uniform(low, high): low +
// (high−low)·RandomSample().
func (r *RandomState) Uniform(low, high float64) float64 {
	return low + (high-low)*r.RandomSample()
}

// UniformMatrix returns rows×cols draws of uniform(low, high), filled in
// row-major order as np.random.uniform(low, high, (rows, cols)) fills its
// result.
func (r *RandomState) UniformMatrix(low, high float64, rows, cols int) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			m[i][j] = r.Uniform(low, high)
		}
	}
	return m
}

// Dimensions of the matrices that DemoRandom returns.
const (
	DemoTokens = 4 // rows of X: the tokens
	DemoModel  = 4 // columns of X and rows of each W: d_model
	DemoHead   = 3 // columns of W_Q, W_K and W_V: d_k = d_v
)

// DemoRandom draws the random attention example that a numpy user gets
// with
//
//	np.random.seed(seed)
//	x  = np.random.uniform(-1, 1, (4, 4))
//	wq = np.random.uniform(-1, 1, (4, 3))
//	wk = np.random.uniform(-1, 1, (4, 3))
//	wv = np.random.uniform(-1, 1, (4, 3))
//
// x is [4×4] (tokens × d_model) and wq, wk, wv are [4×3] (d_model × d_k).
func DemoRandom(seed uint32) (x, wq, wk, wv [][]float64) {
	r := New(seed)
	x = r.UniformMatrix(-1, 1, DemoTokens, DemoModel)
	wq = r.UniformMatrix(-1, 1, DemoModel, DemoHead)
	wk = r.UniformMatrix(-1, 1, DemoModel, DemoHead)
	wv = r.UniformMatrix(-1, 1, DemoModel, DemoHead)
	return x, wq, wk, wv
}
