package cli

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"qkv/attention"
	"qkv/npy"
	"qkv/tensor"
)

func init() { register(newAttendCmd) }

// attendOptions are the flags of qkv attend.
type attendOptions struct {
	x, wq, wk, wv string // projection inputs
	q, k, v       string // direct inputs
	wo            string
	mask          string
	scale         float64
	dtype         string
	outDir        string
	jsonOut       bool
	render        renderFlags // --plot, --plot-format and --html
}

func newAttendCmd(env *Env) *cobra.Command {
	var o attendOptions
	cmd := &cobra.Command{
		Use:   "attend {--x X --wq WQ --wk WK --wv WV | --q Q --k K --v V} [flags]",
		Short: "Compute attention from NPY or JSON files",
		Long: `attend computes scaled dot-product attention Z = softmax(Q·Kᵀ·scale)·V from
matrices stored in NPY or JSON files, for one head or several.

Inputs come in one of two forms:
  --x X --wq WQ --wk WK --wv WV   self-attention of the token embeddings
                                  X [n, d_model] with Q = X·W_Q, K = X·W_K,
                                  V = X·W_V; weights [d_model, d_k] are one
                                  head, [h, d_model, d_k] are h heads
  --q Q --k K --v V               queries [n_q, d_k], keys [n_k, d_k] and
                                  values [n_k, d_v]; [h, n, d] arrays are
                                  h heads
--wo WO [h·d_v, d_out] multiplies the concatenated head outputs.

A file ending in .json holds nested arrays of numbers, such as
[[1, 2], [3, 4]]; any other file is read as NPY unless its content is JSON.
Values must be finite and of type float32 or float64.

Masks (--mask):
  none     every query attends to every key
  causal   query i attends to key j only if j ≤ i + n_k − n_q, so the
           queries line up with the last n_q keys
  FILE     an array [n_q, n_k], the same for every head. In NPY, bool or
           integer 0/1 means "may attend" (1 = yes, other integers are an
           error), float is a bias added to the scaled scores (-inf masks
           the entry, NaN and +inf are an error). In JSON, only true/false
           is accepted, because JSON numbers cannot tell 0/1 from a bias.
A query whose keys are all masked gets zero weights and a zero output row.

Element type: by default the computation runs in float32 when every input
(X, weights, Q, K, V, W_O) is float32 and in float64 otherwise, with a note
on stderr when float32 and float64 inputs are mixed. --dtype overrides it.

Output: --out DIR writes scores.npy and weights.npy [h, n_q, n_k] and
output.npy [n_q, d_out], or [n_q, h·d_v] without --wo, in the computation's
element type. --json prints {"scores", "weights", "output"} with the same
shapes, with null for the -inf scores of masked entries, because JSON has no
infinity. Otherwise attend prints the shapes and matrices as tables.`,
		Example: `  qkv attend --x x.npy --wq wq.npy --wk wk.npy --wv wv.npy
  qkv attend --q q.npy --k k.npy --v v.npy --mask causal --json
  qkv attend --x x.npy --wq wq3.npy --wk wk3.npy --wv wv3.npy --wo wo.npy --out result/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			if err := o.render.validateFor(cmd); err != nil {
				return err
			}
			return runAttend(env, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.x, "x", "", "token embeddings X [n, d_model], from an NPY or JSON `FILE`; needs --wq, --wk and --wv")
	f.StringVar(&o.wq, "wq", "", "query projection W_Q [d_model, d_k], or [h, d_model, d_k] for h heads, from an NPY or JSON `FILE`")
	f.StringVar(&o.wk, "wk", "", "key projection W_K [d_model, d_k], or [h, d_model, d_k], from an NPY or JSON `FILE`")
	f.StringVar(&o.wv, "wv", "", "value projection W_V [d_model, d_v], or [h, d_model, d_v], from an NPY or JSON `FILE`")
	f.StringVar(&o.q, "q", "", "queries Q [n_q, d_k], or [h, n_q, d_k] for h heads, from an NPY or JSON `FILE`; needs --k and --v, excludes --x")
	f.StringVar(&o.k, "k", "", "keys K [n_k, d_k], or [h, n_k, d_k], from an NPY or JSON `FILE`")
	f.StringVar(&o.v, "v", "", "values V [n_k, d_v], or [h, n_k, d_v], from an NPY or JSON `FILE`")
	f.StringVar(&o.wo, "wo", "", "output projection W_O [h·d_v, d_out], from an NPY or JSON `FILE` (default: none, the output is the concatenated heads)")
	f.StringVar(&o.mask, "mask", "none", "keys each query may attend to: none, causal, or an NPY or JSON `MASK` file [n_q, n_k] of booleans or 0/1 integers (1 = may attend) or floats (a bias added to the scores)")
	f.Float64Var(&o.scale, "scale", 0, "`FACTOR` applied to Q·Kᵀ, a plain number (default 1/√d_k)")
	f.StringVar(&o.dtype, "dtype", "", "element `TYPE` of the computation: float32 or float64 (default: float32 when every input is float32, else float64)")
	f.StringVar(&o.outDir, "out", "", "write scores.npy, weights.npy and output.npy into `DIR` (created if missing)")
	f.BoolVar(&o.jsonOut, "json", false, "print scores, weights and output as one JSON object (masked scores as null)")
	o.render.addFlags(cmd)
	return cmd
}

// validate checks the flag combination before any file is read.
func (o *attendOptions) validate(cmd *cobra.Command) error {
	fromX := o.x != "" || o.wq != "" || o.wk != "" || o.wv != ""
	direct := o.q != "" || o.k != "" || o.v != ""
	switch {
	case fromX && direct:
		return usageErrorf("--x/--wq/--wk/--wv and --q/--k/--v are two alternative ways to give the inputs; use one of them")
	case !fromX && !direct:
		return usageErrorf("no inputs: give --x, --wq, --wk and --wv, or --q, --k and --v")
	}

	required := []struct{ flag, value string }{{"x", o.x}, {"wq", o.wq}, {"wk", o.wk}, {"wv", o.wv}}
	if direct {
		required = []struct{ flag, value string }{{"q", o.q}, {"k", o.k}, {"v", o.v}}
	}
	var missing []string
	for _, r := range required {
		if r.value == "" {
			missing = append(missing, "--"+r.flag)
		}
	}
	if len(missing) > 0 {
		var all []string
		for _, r := range required {
			all = append(all, "--"+r.flag)
		}
		together := strings.Join(all[:len(all)-1], ", ") + " and " + all[len(all)-1]
		return usageErrorf("%s must be given together: missing %s", together, strings.Join(missing, " and "))
	}

	if o.dtype != "" && o.dtype != "float32" && o.dtype != "float64" {
		return usageErrorf("invalid --dtype %q: use float32 or float64", o.dtype)
	}
	if cmd.Flags().Changed("scale") {
		if math.IsNaN(o.scale) || math.IsInf(o.scale, 0) {
			return usageErrorf("invalid --scale %v: use a finite number", o.scale)
		}
		if o.scale == 0 {
			return usageErrorf("invalid --scale 0: every score would be 0; omit --scale for the default 1/√d_k")
		}
	}
	switch {
	case o.mask == "":
		return usageErrorf("empty --mask: use none, causal or the path of an NPY or JSON mask file")
	case o.mask != "none" && o.mask != "causal" && (strings.EqualFold(o.mask, "none") || strings.EqualFold(o.mask, "causal")):
		if _, err := os.Stat(o.mask); err != nil {
			return usageErrorf("invalid --mask %q: the mask words are none and causal, in lower case; anything else is read as a file path", o.mask)
		}
	}
	return nil
}

// attendInputs is the input of qkv attend after every file was read and
// checked. Values are float64 whatever the files contain, because
// float32 values convert exactly. DType is the type the computation uses.
type attendInputs struct {
	// X is the token embeddings [n×d_model] and Heads their projections,
	// one per head. Both are nil when Q, K and V were given directly.
	X     *tensor.Matrix[float64]
	Heads []attention.Head[float64]
	// Direct holds each head's given Q [n_q×d_k], K [n_k×d_k] and
	// V [n_k×d_v], or is nil when the inputs are X and the weights.
	Direct []attention.Projections[float64]
	// WO is the output projection [h·d_v×d_out], or nil.
	WO *tensor.Matrix[float64]

	// Causal, Allow (n_q·n_k, row-major) and Bias [n_q×n_k] form the mask.
	Causal bool
	Allow  []bool
	Bias   *tensor.Matrix[float64]

	// Scale multiplies Q·Kᵀ; 0 selects 1/√d_k.
	Scale float64
	DType npy.DType
	// Notes are remarks for stderr, such as a dtype promotion.
	Notes []string
	// Files maps each input name ("X", "W_Q", "mask", ...) to its path.
	Files map[string]string
}

// attendRun is one finished qkv attend computation: its inputs, the
// result widened to float64 (exact for float32), and the outputs in the
// computation's element type, ready to be written.
type attendRun struct {
	In *attendInputs
	// Scale is the factor that was applied, with the default resolved.
	Scale float64
	// Result has each head's Q, K, V, S, A and Z, and the final output.
	Result attention.MultiResult[float64]

	// scores and weights [h, n_q, n_k] and output [n_q, d_out] are
	// []float32 or []float64 in row-major order.
	scores, weights, output            any
	scoresShape, outputShape           []int
	numHeads, numQueries, numKeys, dim int
}

// inputArray is one input flag's file, read and type-checked.
type inputArray struct {
	name, path string
	arr        *npy.Array
}

// readAttendInput reads the float array of one input flag.
func readAttendInput(name, path string) (*inputArray, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if !a.DType.IsFloat() {
		return nil, fmt.Errorf("read %s: %s contains %v values; want float32 or float64 (convert with .astype(np.float64))", name, path, a)
	}
	in := &inputArray{name: name, path: path, arr: a}
	m, err := tensor.FromSlice(1, a.Len(), a.Float64())
	if err != nil {
		return nil, err
	}
	if err := checkAttendFinite(in, m); err != nil {
		return nil, err
	}
	return in, nil
}

// checkAttendFinite rejects a NaN or infinite element, naming the file and
// the element's index.
func checkAttendFinite(in *inputArray, flat *tensor.Matrix[float64]) error {
	for i, v := range flat.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s in %s has %v at %s; inputs must be finite", in.name, in.path, v, indexString(in.arr.Shape, i))
		}
	}
	return nil
}

// indexString formats the flat row-major index i of an array with the
// given shape as [i₀ i₁ …].
func indexString(shape []int, i int) string {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return npy.ShapeString(idx)
}

// split returns the matrices of a 2-D array (one head) or of a 3-D array
// [h, rows, cols] (h heads), and an error for any other rank.
func (in *inputArray) split() ([]*tensor.Matrix[float64], error) {
	shape := in.arr.Shape
	data := in.arr.Float64()
	switch len(shape) {
	case 2:
		m, err := tensor.FromSlice(shape[0], shape[1], data)
		if err != nil {
			return nil, err
		}
		return []*tensor.Matrix[float64]{m}, nil
	case 3:
		if shape[0] == 0 {
			return nil, fmt.Errorf("%s in %s has shape %s: zero heads; want at least one", in.name, in.path, npy.ShapeString(shape))
		}
		size := shape[1] * shape[2]
		mats := make([]*tensor.Matrix[float64], shape[0])
		for h := range mats {
			m, err := tensor.FromSlice(shape[1], shape[2], data[h*size:(h+1)*size])
			if err != nil {
				return nil, err
			}
			mats[h] = m
		}
		return mats, nil
	}
	return nil, fmt.Errorf("%s in %s has shape %s; want a matrix [rows, cols] or one matrix per head [h, rows, cols]", in.name, in.path, npy.ShapeString(shape))
}

// loadAttendInputs reads and checks every input that o names.
func loadAttendInputs(o *attendOptions) (*attendInputs, error) {
	in := &attendInputs{Scale: o.scale, Files: map[string]string{}}
	var arrays []*inputArray
	read := func(name, path string) (*inputArray, error) {
		a, err := readAttendInput(name, path)
		if err != nil {
			return nil, err
		}
		arrays = append(arrays, a)
		in.Files[name] = path
		return a, nil
	}

	var err error
	if o.x != "" {
		err = loadProjectionInputs(in, o, read)
	} else {
		err = loadDirectInputs(in, o, read)
	}
	if err != nil {
		return nil, err
	}
	numHeads, width := len(in.Direct), 0
	if in.X != nil {
		numHeads = len(in.Heads)
		for _, h := range in.Heads {
			width += h.WV.Cols
		}
	} else {
		for _, p := range in.Direct {
			width += p.V.Cols
		}
	}

	if o.wo != "" {
		a, err := read("W_O", o.wo)
		if err != nil {
			return nil, err
		}
		if len(a.arr.Shape) != 2 || a.arr.Shape[0] != width {
			return nil, fmt.Errorf("W_O in %s has shape %s; want [h·d_v, d_out] with h·d_v = %d, the width of the %d concatenated head outputs", a.path, npy.ShapeString(a.arr.Shape), width, numHeads)
		}
		mats, _ := a.split()
		in.WO = mats[0]
	}

	if err := loadAttendMask(in, o.mask); err != nil {
		return nil, err
	}
	in.DType, in.Notes = resolveAttendDType(o.dtype, arrays)
	return in, nil
}

// loadProjectionInputs reads X and the per-head weights.
func loadProjectionInputs(in *attendInputs, o *attendOptions, read func(name, path string) (*inputArray, error)) error {
	xa, err := read("X", o.x)
	if err != nil {
		return err
	}
	if len(xa.arr.Shape) != 2 {
		return fmt.Errorf("X in %s has shape %s; want a matrix [n, d_model]", xa.path, npy.ShapeString(xa.arr.Shape))
	}
	xs, _ := xa.split()
	in.X = xs[0]
	dModel := in.X.Cols

	var weights [3][]*tensor.Matrix[float64]
	var sources [3]*inputArray
	for i, w := range []struct{ name, path string }{{"W_Q", o.wq}, {"W_K", o.wk}, {"W_V", o.wv}} {
		a, err := read(w.name, w.path)
		if err != nil {
			return err
		}
		mats, err := a.split()
		if err != nil {
			return err
		}
		if mats[0].Rows != dModel {
			return fmt.Errorf("%s in %s has shape %s: its d_model dimension is %d, but X in %s has %d columns", w.name, w.path, npy.ShapeString(a.arr.Shape), mats[0].Rows, o.x, dModel)
		}
		weights[i], sources[i] = mats, a
	}
	if err := checkSameRank(sources[:]); err != nil {
		return err
	}
	if weights[0][0].Cols != weights[1][0].Cols {
		return fmt.Errorf("W_Q in %s %s and W_K in %s %s need the same d_k (last dimension)", o.wq, npy.ShapeString(sources[0].arr.Shape), o.wk, npy.ShapeString(sources[1].arr.Shape))
	}
	for h := range weights[0] {
		in.Heads = append(in.Heads, attention.Head[float64]{WQ: weights[0][h], WK: weights[1][h], WV: weights[2][h]})
	}
	return nil
}

// loadDirectInputs reads Q, K and V per head.
func loadDirectInputs(in *attendInputs, o *attendOptions, read func(name, path string) (*inputArray, error)) error {
	var mats [3][]*tensor.Matrix[float64]
	var sources [3]*inputArray
	for i, f := range []struct{ name, path string }{{"Q", o.q}, {"K", o.k}, {"V", o.v}} {
		a, err := read(f.name, f.path)
		if err != nil {
			return err
		}
		if mats[i], err = a.split(); err != nil {
			return err
		}
		sources[i] = a
	}
	if err := checkSameRank(sources[:]); err != nil {
		return err
	}
	q, k, v := mats[0][0], mats[1][0], mats[2][0]
	if q.Cols != k.Cols {
		return fmt.Errorf("Q in %s %s and K in %s %s need the same d_k (last dimension)", o.q, npy.ShapeString(sources[0].arr.Shape), o.k, npy.ShapeString(sources[1].arr.Shape))
	}
	if k.Rows != v.Rows {
		return fmt.Errorf("K in %s %s and V in %s %s need the same number of keys n_k", o.k, npy.ShapeString(sources[1].arr.Shape), o.v, npy.ShapeString(sources[2].arr.Shape))
	}
	for h := range mats[0] {
		in.Direct = append(in.Direct, attention.Projections[float64]{Q: mats[0][h], K: mats[1][h], V: mats[2][h]})
	}
	return nil
}

// checkSameRank requires three per-head inputs to be all 2-D or all 3-D
// with the same number of heads.
func checkSameRank(arrays []*inputArray) error {
	first := arrays[0]
	for _, a := range arrays[1:] {
		r0, r := len(first.arr.Shape), len(a.arr.Shape)
		if r0 != r {
			return fmt.Errorf("%s in %s is %d-D %s but %s in %s is %d-D %s; give every head's inputs as 2-D matrices or all as 3-D [h, rows, cols]", first.name, first.path, r0, npy.ShapeString(first.arr.Shape), a.name, a.path, r, npy.ShapeString(a.arr.Shape))
		}
		if r == 3 && a.arr.Shape[0] != first.arr.Shape[0] {
			return fmt.Errorf("%s in %s has %d heads but %s in %s has %d; every input needs the same h", first.name, first.path, first.arr.Shape[0], a.name, a.path, a.arr.Shape[0])
		}
	}
	return nil
}

// attendShape returns n_q and n_k of the inputs.
func (in *attendInputs) attendShape() (nq, nk int) {
	if in.X != nil {
		return in.X.Rows, in.X.Rows
	}
	return in.Direct[0].Q.Rows, in.Direct[0].K.Rows
}

// loadAttendMask interprets --mask: none, causal or an NPY file.
func loadAttendMask(in *attendInputs, mask string) error {
	switch mask {
	case "none":
		return nil
	case "causal":
		in.Causal = true
		return nil
	}
	path := mask
	a, err := npy.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read mask: %w", err)
	}
	// ReadJSON returns float64 for numbers, so a 0/1 mask and a bias look
	// alike; only true/false is unambiguous.
	if isJSONFile(path) && a.DType != npy.Bool {
		return fmt.Errorf("mask in %s contains JSON numbers, which cannot tell a 0/1 mask from a float bias; write true (may attend) and false (masked), or save the mask as NPY with np.save", path)
	}
	nq, nk := in.attendShape()
	if len(a.Shape) != 2 || a.Shape[0] != nq || a.Shape[1] != nk {
		return fmt.Errorf("mask in %s has shape %s; want [n_q, n_k] = [%d %d], one entry per query and key", path, npy.ShapeString(a.Shape), nq, nk)
	}
	in.Files["mask"] = path

	switch {
	case a.DType == npy.Bool:
		in.Allow, _ = a.Bool()
	case a.DType.IsInteger():
		values, _ := a.Int64()
		in.Allow = make([]bool, len(values))
		for i, v := range values {
			if v != 0 && v != 1 {
				return fmt.Errorf("mask in %s has %d at %s; an integer mask may only hold 0 (masked) and 1 (may attend)", path, v, indexString(a.Shape, i))
			}
			in.Allow[i] = v == 1
		}
	default:
		bias, _ := tensor.FromSlice(nq, nk, a.Float64())
		for i, v := range bias.Data {
			if math.IsNaN(v) || math.IsInf(v, 1) {
				return fmt.Errorf("mask in %s has %v at %s; a float mask is a bias: use -inf to mask an entry and finite values otherwise", path, v, indexString(a.Shape, i))
			}
		}
		in.Bias = bias
	}
	return nil
}

// isJSONFile reports whether npy.ReadFile reads path as JSON: by its
// .json extension, or, for any extension but .npy, by content that
// starts with a JSON array or number.
func isJSONFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return true
	case ".npy":
		return false
	}
	head := make([]byte, 64)
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	n, _ := f.Read(head)
	trimmed := strings.TrimLeft(string(head[:n]), " \t\r\n")
	return trimmed != "" && (trimmed[0] == '[' || trimmed[0] == '-' || (trimmed[0] >= '0' && trimmed[0] <= '9'))
}

// resolveAttendDType picks the computation's element type: the --dtype
// flag if set, float32 if every input is float32, and float64 otherwise.
func resolveAttendDType(flag string, arrays []*inputArray) (npy.DType, []string) {
	if flag != "" {
		return npy.DType(flag), nil
	}
	var f32, f64 []string
	for _, a := range arrays {
		if a.arr.DType == npy.Float32 {
			f32 = append(f32, a.name)
		} else {
			f64 = append(f64, a.name)
		}
	}
	switch {
	case len(f64) == 0:
		return npy.Float32, nil
	case len(f32) == 0:
		return npy.Float64, nil
	}
	note := fmt.Sprintf("the inputs mix float32 (%s) and float64 (%s), so attend computes in float64; pass --dtype float32 to compute in float32", strings.Join(f32, ", "), strings.Join(f64, ", "))
	return npy.Float64, []string{note}
}

// computeAttend runs the computation in.DType selects.
func computeAttend(in *attendInputs) (*attendRun, error) {
	if in.DType == npy.Float32 {
		return computeAttendAs[float32](in)
	}
	return computeAttendAs[float64](in)
}

// narrow converts m to T, rejecting finite values that overflow T.
func narrow[T tensor.Float](name, path string, m *tensor.Matrix[float64]) (*tensor.Matrix[T], error) {
	if m == nil {
		return nil, nil
	}
	out := tensor.Convert[T](m)
	for i, v := range out.Data {
		if f := float64(v); math.IsInf(f, 0) && !math.IsInf(m.Data[i], 0) {
			return nil, fmt.Errorf("%s in %s has %v at row %d, column %d, outside the float32 range; compute in float64 with --dtype float64", name, path, m.Data[i], i/m.Cols, i%m.Cols)
		}
	}
	return out, nil
}

// computeAttendAs converts the inputs to T and computes every head.
func computeAttendAs[T tensor.Float](in *attendInputs) (*attendRun, error) {
	var err error
	conv := func(name string, m *tensor.Matrix[float64]) *tensor.Matrix[T] {
		if err != nil {
			return nil
		}
		var out *tensor.Matrix[T]
		out, err = narrow[T](name, in.Files[name], m)
		return out
	}
	opts := attention.Options[T]{
		Scale:       in.Scale,
		Mask:        attention.Mask[T]{Causal: in.Causal, Allow: in.Allow, Bias: conv("mask", in.Bias)},
		KeepScores:  true,
		KeepWeights: true,
	}
	wo := conv("W_O", in.WO)

	var res attention.MultiResult[T]
	if in.X != nil {
		x := conv("X", in.X)
		heads := make([]attention.Head[T], len(in.Heads))
		for i, h := range in.Heads {
			heads[i] = attention.Head[T]{WQ: conv("W_Q", h.WQ), WK: conv("W_K", h.WK), WV: conv("W_V", h.WV)}
		}
		if err != nil {
			return nil, err
		}
		res, err = attention.MultiHead[T]{Heads: heads, WO: wo}.SelfAttend(x, opts)
	} else {
		projs := make([]attention.Projections[T], len(in.Direct))
		for i, p := range in.Direct {
			projs[i] = attention.Projections[T]{Q: conv("Q", p.Q), K: conv("K", p.K), V: conv("V", p.V)}
		}
		if err != nil {
			return nil, err
		}
		res, err = attention.AttendHeads(projs, wo, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("compute in %s: %w", in.DType, err)
	}
	return newAttendRun(in, res), nil
}

// newAttendRun stacks the per-head matrices of res into the output
// arrays and keeps a float64 copy of res.
func newAttendRun[T tensor.Float](in *attendInputs, res attention.MultiResult[T]) *attendRun {
	nq, nk := in.attendShape()
	h := len(res.Heads)
	run := &attendRun{
		In:          in,
		Scale:       in.Scale,
		scoresShape: []int{h, nq, nk},
		outputShape: []int{res.Output.Rows, res.Output.Cols},
		numHeads:    h, numQueries: nq, numKeys: nk,
		dim: res.Projections[0].Q.Cols,
	}
	if run.Scale == 0 {
		run.Scale = 1
		if run.dim > 0 {
			run.Scale = 1 / math.Sqrt(float64(run.dim))
		}
	}
	scores := make([]T, 0, h*nq*nk)
	weights := make([]T, 0, h*nq*nk)
	for _, r := range res.Heads {
		scores = append(scores, r.Scores.Data...)
		weights = append(weights, r.Weights.Data...)
	}
	run.scores, run.weights = scores, weights
	run.output = append([]T(nil), res.Output.Data...)

	wide := func(m *tensor.Matrix[T]) *tensor.Matrix[float64] {
		if m == nil {
			return nil
		}
		return tensor.Convert[float64](m)
	}
	run.Result = attention.MultiResult[float64]{
		Projections: make([]attention.Projections[float64], h),
		Heads:       make([]attention.Result[float64], h),
		Concat:      wide(res.Concat),
		Output:      wide(res.Output),
	}
	for i := range res.Heads {
		p := res.Projections[i]
		run.Result.Projections[i] = attention.Projections[float64]{Q: wide(p.Q), K: wide(p.K), V: wide(p.V)}
		r := res.Heads[i]
		run.Result.Heads[i] = attention.Result[float64]{Scores: wide(r.Scores), Weights: wide(r.Weights), Output: wide(r.Output)}
	}
	return run
}

// runAttend loads, computes and writes or prints the result.
func runAttend(env *Env, o *attendOptions) error {
	in, err := loadAttendInputs(o)
	if err != nil {
		return err
	}
	for _, note := range in.Notes {
		fmt.Fprintf(env.Stderr, "qkv attend: note: %s\n", note)
	}
	run, err := computeAttend(in)
	if err != nil {
		return err
	}

	// Every file goes into one set, so a failure leaves none of them.
	set := &outputSet{}
	if o.outDir != "" {
		if err := stageAttendFiles(set, o.outDir, run); err != nil {
			return err
		}
	}
	if err := o.render.stageAttendViews(set, run); err != nil {
		return err
	}
	if err := set.Commit(env); err != nil {
		return err
	}

	if o.outDir != "" {
		fmt.Fprintf(env.Stderr, "qkv attend: wrote scores.npy and weights.npy %s and output.npy %s (%s) to %s\n",
			npy.ShapeString(run.scoresShape), npy.ShapeString(run.outputShape), run.In.DType, o.outDir)
	}
	if o.jsonOut {
		return writeAttendJSON(env, run)
	}
	if o.outDir == "" {
		return printAttendSummary(env, run)
	}
	return nil
}

// stageAttendFiles adds scores.npy, weights.npy and output.npy in dir to
// set.
func stageAttendFiles(set *outputSet, dir string, run *attendRun) error {
	files := []struct {
		name  string
		shape []int
		data  any
	}{
		{"scores.npy", run.scoresShape, run.scores},
		{"weights.npy", run.scoresShape, run.weights},
		{"output.npy", run.outputShape, run.output},
	}
	for _, f := range files {
		b, err := npy.Marshal(f.shape, f.data)
		if err != nil {
			return fmt.Errorf("encode %s: %w", f.name, err)
		}
		set.addInDir("--out", dir, f.name, b, false)
	}
	return nil
}

// writeAttendJSON prints {"scores", "weights", "output"} with -inf as
// null. float32 results are printed with the shortest decimal that reads
// back as the same float32.
func writeAttendJSON(env *Env, run *attendRun) error {
	bits := 64
	if run.In.DType == npy.Float32 {
		bits = 32
	}
	var b bytes.Buffer
	b.WriteString("{\n  \"scores\": ")
	appendJSONHeads(&b, run.Result.Heads, func(r attention.Result[float64]) *tensor.Matrix[float64] { return r.Scores }, bits)
	b.WriteString(",\n  \"weights\": ")
	appendJSONHeads(&b, run.Result.Heads, func(r attention.Result[float64]) *tensor.Matrix[float64] { return r.Weights }, bits)
	b.WriteString(",\n  \"output\": ")
	appendJSONMatrix(&b, run.Result.Output, bits, "  ")
	b.WriteString("\n}\n")
	_, err := env.Stdout.Write(b.Bytes())
	return err
}

func appendJSONHeads(b *bytes.Buffer, heads []attention.Result[float64], pick func(attention.Result[float64]) *tensor.Matrix[float64], bits int) {
	b.WriteString("[")
	for i, r := range heads {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		appendJSONMatrix(b, pick(r), bits, "    ")
	}
	b.WriteString("\n  ]")
}

// appendJSONMatrix writes m as an array of rows, one row per line.
func appendJSONMatrix(b *bytes.Buffer, m *tensor.Matrix[float64], bits int, indent string) {
	b.WriteString("[")
	for i := 0; i < m.Rows; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n" + indent + "  [")
		for j, v := range m.Row(i) {
			if j > 0 {
				b.WriteString(", ")
			}
			if math.IsInf(v, -1) {
				b.WriteString("null")
				continue
			}
			b.Write(strconv.AppendFloat(nil, v, 'g', -1, bits))
		}
		b.WriteString("]")
	}
	if m.Rows > 0 {
		b.WriteString("\n" + indent)
	}
	b.WriteString("]")
}

// printAttendSummary prints the shapes and every matrix as a table.
func printAttendSummary(env *Env, run *attendRun) error {
	var b bytes.Buffer
	in := run.In
	mask := "none"
	switch {
	case in.Causal:
		mask = "causal"
	case in.Files["mask"] != "":
		mask = in.Files["mask"]
	}

	fmt.Fprintf(&b, "attention: %d head(s), n_q = %d, n_k = %d, d_k = %d, scale = %.6g, dtype %s, mask %s\n",
		run.numHeads, run.numQueries, run.numKeys, run.dim, run.Scale, in.DType, mask)
	for _, name := range []string{"X", "W_Q", "W_K", "W_V", "Q", "K", "V", "W_O"} {
		if path, ok := in.Files[name]; ok {
			fmt.Fprintf(&b, "  %-4s %s\n", name, path)
		}
	}
	keys, queries := attendLabels("k", run.numKeys), attendLabels("q", run.numQueries)
	for h, r := range run.Result.Heads {
		fmt.Fprintf(&b, "\nhead %d: scores S = Q·Kᵀ·scale %v (-Inf = masked)\n", h, r.Scores.Shape())
		writeAttendTable(&b, r.Scores, queries, keys)
		fmt.Fprintf(&b, "\nhead %d: weights A = softmax(S) %v\n", h, r.Weights.Shape())
		writeAttendTable(&b, r.Weights, queries, keys)
	}

	out := run.Result.Output
	title := "concatenated head outputs"
	if in.WO != nil {
		title = "Concat·W_O"
	} else if run.numHeads == 1 {
		title = "A·V"
	}
	fmt.Fprintf(&b, "\noutput Z = %s %v\n", title, out.Shape())
	writeAttendTable(&b, out, queries, attendLabels("", out.Cols))
	_, err := env.Stdout.Write(b.Bytes())
	return err
}

// attendLabels returns prefix0, prefix1, … for n rows or columns.
func attendLabels(prefix string, n int) []string {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = prefix + strconv.Itoa(i)
	}
	return labels
}

// writeAttendTable writes m as right-aligned columns with four significant
// digits, headed by the column labels.
func writeAttendTable(b *bytes.Buffer, m *tensor.Matrix[float64], rows, cols []string) {
	if m.Rows == 0 || m.Cols == 0 {
		b.WriteString("  (empty)\n")
		return
	}
	cells := make([]string, len(m.Data))
	width := 0
	for _, c := range cols {
		width = max(width, len(c))
	}
	for i, v := range m.Data {
		cells[i] = strconv.FormatFloat(v, 'g', 4, 64)
		if math.IsInf(v, -1) {
			cells[i] = "-Inf"
		}
		width = max(width, len(cells[i]))
	}
	rowWidth := 0
	for _, r := range rows {
		rowWidth = max(rowWidth, len(r))
	}
	fmt.Fprintf(b, "%*s", rowWidth, "")
	for _, c := range cols {
		fmt.Fprintf(b, "  %*s", width, c)
	}
	b.WriteString("\n")
	for i := 0; i < m.Rows; i++ {
		fmt.Fprintf(b, "%*s", rowWidth, rows[i])
		for j := 0; j < m.Cols; j++ {
			fmt.Fprintf(b, "  %*s", width, cells[i*m.Cols+j])
		}
		b.WriteString("\n")
	}
}
