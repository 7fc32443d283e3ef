package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"qkv/attention"
	"qkv/task"
	"qkv/tensor"
)

// SearchConfig describes the graph-search transformer: fixed one-hot token
// and position codes concatenated into the residual stream, pre-LayerNorm
// blocks with one or more heads, a ReLU MLP as wide as the stream, a final
// LayerNorm, and logits read from the last position.
type SearchConfig struct {
	// SeqLen is the input length N in tokens. The vertex ids are 1..V with
	// V = (N−5)/3, and the vocabulary has V+5 tokens.
	SeqLen int `json:"seq_len"`
	// Layers is the number of transformer blocks.
	Layers int `json:"layers"`
	// Hidden is the number of extra residual coordinates that start at
	// zero, placed after the token code.
	Hidden int `json:"hidden"`
	// Heads is the number of attention heads per block; it must divide
	// the residual width.
	Heads int `json:"heads"`
	// LearnedEmbedding replaces the fixed one-hot token code by a learned
	// [vocab×(vocab+Hidden)] matrix, tied to the output.
	LearnedEmbedding bool `json:"learned_embedding"`
	// Causal lets each token attend only to itself and earlier tokens.
	// Without it attention is bidirectional; padding keys are always
	// masked.
	Causal bool `json:"causal"`
}

// taskVocab returns the graph task's vocabulary for the configured
// sequence length. An invalid length gives the zero Vocab, whose ids are
// meaningless; Validate reports the length itself.
func (c SearchConfig) taskVocab() task.Vocab {
	v, err := task.NewVocab(c.SeqLen)
	if err != nil {
		return task.Vocab{}
	}
	return v
}

// MaxVertex returns V = (N−5)/3, the largest vertex id.
func (c SearchConfig) MaxVertex() int { return c.taskVocab().MaxVertex() }

// Vocab returns the vocabulary size V+5: ids 0..V+4, where 0 is unused,
// 1..V are vertices, then PATH, EDGE, PAD and QUERY.
func (c SearchConfig) Vocab() int { return c.taskVocab().Size() }

// Pad returns the padding token id V+3.
func (c SearchConfig) Pad() int { return c.taskVocab().Pad() }

// TokenDims returns the width of the token code: vocabulary plus hidden
// coordinates.
func (c SearchConfig) TokenDims() int { return c.Vocab() + c.Hidden }

// Width returns the residual width D = vocab + hidden + N.
func (c SearchConfig) Width() int { return c.TokenDims() + c.SeqLen }

// Validate returns an error naming the first invalid field.
func (c SearchConfig) Validate() error {
	switch {
	case c.SeqLen < 8:
		return fmt.Errorf("nn: sequence length %d is too short: use at least 8 tokens (one vertex id)", c.SeqLen)
	case c.SeqLen > 1<<16:
		return fmt.Errorf("nn: sequence length %d is too long: use at most %d tokens", c.SeqLen, 1<<16)
	case c.Layers < 1 || c.Layers > 1024:
		return fmt.Errorf("nn: %d layers is invalid: use 1 to 1024", c.Layers)
	case c.Hidden < 0 || c.Hidden > 1<<16:
		return fmt.Errorf("nn: %d hidden dimensions is invalid: use 0 to %d", c.Hidden, 1<<16)
	case c.Heads < 1:
		return fmt.Errorf("nn: %d heads is invalid: use at least 1", c.Heads)
	case c.Width()%c.Heads != 0:
		return fmt.Errorf("nn: residual width %d is not divisible by %d heads: change the hidden dimensions or the heads", c.Width(), c.Heads)
	}
	return nil
}

// ParamSpec names one parameter tensor and its shape. Biases and
// LayerNorm vectors have one row.
type ParamSpec struct {
	Name       string
	Rows, Cols int
}

// Size returns Rows·Cols.
func (p ParamSpec) Size() int { return p.Rows * p.Cols }

// ParamSpecs lists the parameters in storage order. Linear weights are
// stored [in×out], the transpose of PyTorch's layout.
func (c SearchConfig) ParamSpecs() []ParamSpec {
	d := c.Width()
	var specs []ParamSpec
	if c.LearnedEmbedding {
		specs = append(specs, ParamSpec{"embedding", c.Vocab(), c.TokenDims()})
	}
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("blocks.%d.", l)
		specs = append(specs,
			ParamSpec{p + "ln1.gain", 1, d}, ParamSpec{p + "ln1.bias", 1, d},
			ParamSpec{p + "attn.q.weight", d, d}, ParamSpec{p + "attn.q.bias", 1, d},
			ParamSpec{p + "attn.k.weight", d, d}, ParamSpec{p + "attn.k.bias", 1, d},
			ParamSpec{p + "attn.v.weight", d, d}, ParamSpec{p + "attn.v.bias", 1, d},
			ParamSpec{p + "attn.o.weight", d, d}, ParamSpec{p + "attn.o.bias", 1, d},
			ParamSpec{p + "ln2.gain", 1, d}, ParamSpec{p + "ln2.bias", 1, d},
			ParamSpec{p + "mlp.up.weight", d, d}, ParamSpec{p + "mlp.up.bias", 1, d},
			ParamSpec{p + "mlp.down.weight", d, d}, ParamSpec{p + "mlp.down.bias", 1, d},
		)
	}
	specs = append(specs, ParamSpec{"final_ln.gain", 1, d}, ParamSpec{"final_ln.bias", 1, d})
	return specs
}

// NumParams returns the number of trainable parameters: 6D²+10D per block,
// 2D for the final LayerNorm, and the embedding when it is learned.
func (c SearchConfig) NumParams() int {
	n := 0
	for _, s := range c.ParamSpecs() {
		n += s.Size()
	}
	return n
}

// SearchModel is the graph-search transformer. Its parameters live in one
// flat slice, Params, and Net, Embedding and the other fields are views
// into it, so optimizers and checkpoints handle one vector while the
// forward pass, tracing and plotting use the ordinary nn.Model.
type SearchModel[T Float] struct {
	Config SearchConfig
	Params []T // all parameters, in ParamSpecs order
	Net    *Model[T]
	// Embedding is the learned token code [vocab×(vocab+hidden)], nil when
	// the code is the fixed one-hot matrix.
	Embedding *tensor.Matrix[T]
}

// NewSearchModel returns a model initialised like PyTorch's defaults:
// Linear weights and biases uniform in ±1/√fan_in, LayerNorm gain 1 and
// bias 0, a learned embedding normal with standard deviation 0.02.
func NewSearchModel[T Float](cfg SearchConfig, rng *rand.Rand) (*SearchModel[T], error) {
	m, err := BindSearchModel(cfg, make([]T, cfg.NumParams()))
	if err != nil {
		return nil, err
	}
	bound := 1 / math.Sqrt(float64(cfg.Width()))
	uniform := func(s []T) {
		for i := range s {
			s[i] = T((2*rng.Float64() - 1) * bound)
		}
	}
	if m.Embedding != nil {
		for i := range m.Embedding.Data {
			m.Embedding.Data[i] = T(0.02 * rng.NormFloat64())
		}
	}
	for i := range m.Net.Blocks {
		b := &m.Net.Blocks[i]
		for _, lin := range []*Linear[T]{&b.Attn.Q, &b.Attn.K, &b.Attn.V, &b.Attn.O, &b.MLP.Up, &b.MLP.Down} {
			uniform(lin.W.Data)
			uniform(lin.B)
		}
		fillOnes(b.LN1.Gain)
		fillOnes(b.LN2.Gain)
	}
	fillOnes(m.Net.FinalLN.Gain)
	return m, nil
}

func fillOnes[T Float](s []T) {
	for i := range s {
		s[i] = 1
	}
}

// BindSearchModel wraps params, laid out as cfg.ParamSpecs lists them, as
// a model without copying. Gradients use the same layout, so binding a
// gradient vector gives named views of the gradient.
func BindSearchModel[T Float](cfg SearchConfig, params []T) (*SearchModel[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(params) != cfg.NumParams() {
		return nil, fmt.Errorf("nn: the model needs %d parameters, got %d", cfg.NumParams(), len(params))
	}
	rest := params
	take := func(s ParamSpec) []T {
		v := rest[:s.Size():s.Size()]
		rest = rest[s.Size():]
		return v
	}
	matrix := func(s ParamSpec) *tensor.Matrix[T] {
		return &tensor.Matrix[T]{Rows: s.Rows, Cols: s.Cols, Data: take(s)}
	}
	specs := cfg.ParamSpecs()
	m := &SearchModel[T]{Config: cfg, Params: params, Net: &Model[T]{}}
	if cfg.LearnedEmbedding {
		m.Embedding = matrix(specs[0])
		specs = specs[1:]
	}
	linear := func(w, b ParamSpec) Linear[T] { return Linear[T]{W: matrix(w), B: take(b)} }
	layerNorm := func(g, b ParamSpec) *LayerNorm[T] {
		return &LayerNorm[T]{Gain: take(g), Bias: take(b), Eps: 1e-5}
	}
	m.Net.Blocks = make([]Block[T], cfg.Layers)
	for l := range m.Net.Blocks {
		s := specs[16*l : 16*(l+1)]
		m.Net.Blocks[l] = Block[T]{
			LN1: layerNorm(s[0], s[1]),
			Attn: Attention[T]{
				Heads: cfg.Heads,
				Q:     linear(s[2], s[3]), K: linear(s[4], s[5]),
				V: linear(s[6], s[7]), O: linear(s[8], s[9]),
			},
			LN2: layerNorm(s[10], s[11]),
			MLP: &MLP[T]{Up: linear(s[12], s[13]), Down: linear(s[14], s[15])},
		}
	}
	s := specs[16*cfg.Layers:]
	m.Net.FinalLN = layerNorm(s[0], s[1])
	return m, nil
}

// checkTokens returns an error if tokens has the wrong length or an id
// outside the vocabulary, and otherwise the number of leading PAD tokens.
func (c SearchConfig) checkTokens(tokens []int) (int, error) {
	if len(tokens) != c.SeqLen {
		return 0, fmt.Errorf("nn: input has %d tokens, the model reads %d", len(tokens), c.SeqLen)
	}
	pad := c.Pad()
	lead := 0
	for lead < len(tokens) && tokens[lead] == pad {
		lead++
	}
	if lead == len(tokens) {
		return 0, fmt.Errorf("nn: input is all padding")
	}
	for i, t := range tokens {
		if t < 0 || t >= c.Vocab() {
			return 0, fmt.Errorf("nn: token %d at position %d is outside the vocabulary 0..%d", t, i, c.Vocab()-1)
		}
		if i >= lead && t == pad {
			return 0, fmt.Errorf("nn: PAD token at position %d follows a non-PAD token; inputs are left-padded", i)
		}
	}
	return lead, nil
}

// embedRow writes the residual code of token tok at position pos into dst
// [D]: the token code, hidden zeros, then a one-hot position.
func (m *SearchModel[T]) embedRow(dst []T, tok, pos int) {
	clear(dst)
	if m.Embedding != nil {
		copy(dst, m.Embedding.Row(tok))
	} else {
		dst[tok] = 1
	}
	dst[m.Config.TokenDims()+pos] = 1
}

// Embed returns the input rows [N×D] of a left-padded token sequence and
// the attention mask that hides PAD keys (and later keys, for a causal
// model), the inputs Net.Forward expects.
func (m *SearchModel[T]) Embed(tokens []int) (*tensor.Matrix[T], attention.Mask[T], error) {
	lead, err := m.Config.checkTokens(tokens)
	if err != nil {
		return nil, attention.Mask[T]{}, err
	}
	n := m.Config.SeqLen
	x := tensor.New[T](n, m.Config.Width())
	for i, t := range tokens {
		m.embedRow(x.Row(i), t, i)
	}
	allow := make([]bool, n*n)
	for i := 0; i < n; i++ {
		for j := lead; j < n; j++ {
			allow[i*n+j] = !m.Config.Causal || j <= i
		}
	}
	return x, attention.Mask[T]{Allow: allow}, nil
}

// Logits returns the vocabulary logits [vocab] read from the last row of
// the final residual stream fin [N×D].
func (m *SearchModel[T]) Logits(fin *tensor.Matrix[T]) []T {
	last := fin.Row(fin.Rows - 1)
	return m.logitsRow(make([]T, m.Config.Vocab()), last)
}

// logitsRow writes the logits of one normalised residual row into dst.
// With the fixed code they are its first vocab coordinates; with a learned
// code, its token part times the embedding's transpose.
func (m *SearchModel[T]) logitsRow(dst, row []T) []T {
	if m.Embedding == nil {
		copy(dst, row[:len(dst)])
		return dst
	}
	td := m.Config.TokenDims()
	for v := range dst {
		var s T
		e := m.Embedding.Row(v)
		for j := 0; j < td; j++ {
			s += e[j] * row[j]
		}
		dst[v] = s
	}
	return dst
}

// Predict runs the ordinary traced forward pass on one input and returns
// the logits at the last position.
func (m *SearchModel[T]) Predict(tokens []int) ([]T, error) {
	x, mask, err := m.Embed(tokens)
	if err != nil {
		return nil, err
	}
	tr, err := m.Net.Forward(x, mask)
	if err != nil {
		return nil, err
	}
	return m.Logits(tr.Final), nil
}

// EmbedContent returns the input rows [n×D] of the n non-PAD tokens of a
// left-padded sequence, each with its position in the padded sequence, and
// the mask for those rows. PAD keys are masked in every block, so the
// model's outputs at these rows equal those of Embed's full sequence.
func (m *SearchModel[T]) EmbedContent(tokens []int) (*tensor.Matrix[T], attention.Mask[T], error) {
	lead, err := m.Config.checkTokens(tokens)
	if err != nil {
		return nil, attention.Mask[T]{}, err
	}
	n := len(tokens) - lead
	x := tensor.New[T](n, m.Config.Width())
	for i := 0; i < n; i++ {
		m.embedRow(x.Row(i), tokens[lead+i], lead+i)
	}
	return x, attention.Mask[T]{Causal: m.Config.Causal}, nil
}
