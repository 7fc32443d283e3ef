package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"qkv/attention"
	"qkv/internal/kernel"
	"qkv/tensor"
)

// benchFactories collects the subcommands of "qkv bench".
var benchFactories = []commandFactory{newBenchAttentionCmd, newBenchGemmCmd, newBenchFMACmd}

func init() { register(newBenchCmd) }

func newBenchCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench <command>",
		Short: "Time attention, matrix products and the FMA peak in this process",
		Long: `bench times the engine in this process on random inputs: a warm-up, then
several timed runs, reporting the median time and GFLOP/s. Per-run times go
to stderr, the result to stdout (--json for a machine-readable object).

Results depend on the load of the machine: on a shared machine, compare
medians of runs taken close together.`,
		Example: `  qkv bench attention --n 2048 --d 64 --heads 8
  qkv bench attention --n 512 --backward --dtype float64 --json
  qkv bench gemm --m 1024 --n 1024 --k 1024
  qkv bench fma`,
	}
	for _, f := range benchFactories {
		cmd.AddCommand(f(env))
	}
	return cmd
}

// benchRuns holds the flags shared by the timed subcommands.
type benchRuns struct {
	runs   int
	warmup int
	repeat int
	dtype  string
	json   bool
}

func (b *benchRuns) addFlags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&b.runs, "runs", 5, "number of timed runs; the median is reported")
	cmd.Flags().IntVar(&b.warmup, "warmup", 1, "number of untimed runs before the timed ones")
	cmd.Flags().IntVar(&b.repeat, "repeat", 1, "operations per run; times are per operation (raise it for small shapes)")
	cmd.Flags().StringVar(&b.dtype, "dtype", "float32", "element type: float32 or float64")
	cmd.Flags().BoolVar(&b.json, "json", false, "print the result as one JSON object")
}

func (b *benchRuns) validate() error {
	if b.runs < 1 {
		return usageErrorf("invalid --runs %d: need at least 1 timed run", b.runs)
	}
	if b.warmup < 0 {
		return usageErrorf("invalid --warmup %d: must be 0 or more", b.warmup)
	}
	if b.repeat < 1 {
		return usageErrorf("invalid --repeat %d: need at least 1 operation per run", b.repeat)
	}
	if b.dtype != "float32" && b.dtype != "float64" {
		return usageErrorf("invalid --dtype %q: use float32 or float64", b.dtype)
	}
	return nil
}

// benchResult is the output of one benchmark.
type benchResult struct {
	Benchmark     string         `json:"benchmark"`
	Shape         map[string]int `json:"shape"`
	DType         string         `json:"dtype"`
	Backward      bool           `json:"backward,omitempty"`
	Causal        bool           `json:"causal,omitempty"`
	Threads       int            `json:"threads"`
	KernelPath    string         `json:"kernel_path"`
	Runs          int            `json:"runs"`
	Repeat        int            `json:"repeat"`
	MedianSeconds float64        `json:"median_seconds"`
	MinSeconds    float64        `json:"min_seconds"`
	Flops         float64        `json:"flops"`
	GFLOPS        float64        `json:"gflops"`
	FlopCount     string         `json:"flop_count"`
	MaxRSSBytes   int64          `json:"max_rss_bytes"`

	// CPUSeconds is the user plus system CPU time of the timed runs, and
	// GFLOPSPerCPU the operations per CPU-second in units of 10^9. On a
	// loaded machine, where threads wait for a core, this tracks the
	// speed of the code more closely than GFLOPS.
	CPUSeconds   float64 `json:"cpu_seconds"`
	GFLOPSPerCPU float64 `json:"gflops_per_cpu_second"`
}

// timeRuns calls run warmup+runs times, each time b.repeat times in a
// row, printing each timed run to stderr. It returns the sorted times per
// call of the timed runs and the CPU time per call they took.
func timeRuns(env *Env, b *benchRuns, run func() error) ([]float64, float64, error) {
	repeated := func() error {
		for r := 0; r < b.repeat; r++ {
			if err := run(); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < b.warmup; i++ {
		if err := repeated(); err != nil {
			return nil, 0, err
		}
	}
	cpuStart := cpuSeconds()
	times := make([]float64, 0, b.runs)
	for i := 0; i < b.runs; i++ {
		start := time.Now()
		if err := repeated(); err != nil {
			return nil, 0, err
		}
		sec := time.Since(start).Seconds() / float64(b.repeat)
		times = append(times, sec)
		fmt.Fprintf(env.Stderr, "run %d/%d: %.6f s\n", i+1, b.runs, sec)
	}
	cpu := (cpuSeconds() - cpuStart) / float64(b.repeat)
	slices.Sort(times)
	return times, cpu, nil
}

// cpuSeconds returns the user plus system CPU time of this process so far,
// from getrusage, or 0 where it is unavailable.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// median returns the median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// finish fills the timing fields of res and prints it.
func (res *benchResult) finish(env *Env, b *benchRuns, times []float64, cpu float64) error {
	res.DType = b.dtype
	res.Threads = runtime.GOMAXPROCS(0)
	res.KernelPath = kernel.Path()
	res.Runs = len(times)
	res.Repeat = b.repeat
	res.MedianSeconds = median(times)
	res.MinSeconds = times[0]
	res.GFLOPS = res.Flops / res.MedianSeconds / 1e9
	res.MaxRSSBytes = maxRSS()
	res.CPUSeconds = cpu
	if cpu > 0 {
		res.GFLOPSPerCPU = res.Flops * float64(len(times)) / cpu / 1e9
	}
	if b.json {
		enc := json.NewEncoder(env.Stdout)
		return enc.Encode(res)
	}
	return res.print(env.Stdout)
}

func (res *benchResult) print(w io.Writer) error {
	_, err := fmt.Fprintf(w, `benchmark      %s
shape          %s
dtype          %s
threads        %d
kernel path    %s
runs           %d of %d operations
median         %.6f s
min            %.6f s
GFLOP/s        %.2f (median; %s)
CPU time       %.3f s over the timed runs: %.2f GFLOP per CPU-second
max RSS        %.1f MiB
`, res.Benchmark, shapeString(res.Shape), res.DType, res.Threads, res.KernelPath, res.Runs, res.Repeat,
		res.MedianSeconds, res.MinSeconds, res.GFLOPS, res.FlopCount,
		res.CPUSeconds, res.GFLOPSPerCPU, float64(res.MaxRSSBytes)/(1<<20))
	return err
}

func shapeString(shape map[string]int) string {
	keys := make([]string, 0, len(shape))
	for k := range shape {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", k, shape[k])
	}
	return s
}

// maxRSS returns the peak resident set size of this process, from
// getrusage (which reports KiB on Linux), or 0 where it is unavailable.
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}

// maxBackwardWeightBytes caps the attention weights that --backward keeps
// (h·n² elements): the backward needs A whole, and more than this would
// exhaust the memory of a typical machine.
const maxBackwardWeightBytes = 4 << 30

func newBenchAttentionCmd(env *Env) *cobra.Command {
	var (
		b                benchRuns
		n, d, heads      int
		backward, causal bool
	)
	cmd := &cobra.Command{
		Use:   "attention",
		Short: "Time multi-head self-attention on random inputs",
		Long: `attention times h heads of self-attention with n queries and keys and
d_k = d_v = d, through attention.AttendMany.

The forward is the streaming forward, which never stores the n×n weights;
it counts 4·n²·d floating-point operations per head (Q·Kᵀ and A·V).
--backward times the forward that keeps A followed by attention.BackwardMany,
and counts 12·n²·d per head: 4·n²·d forward plus 8·n²·d backward
(dV = Aᵀ·dZ, dA = dZ·Vᵀ, dQ = dS·K, dK = dSᵀ·Q). Counts are the same with
--causal, which skips about half the work, so causal GFLOP/s are not
comparable with unmasked ones.

The result includes the peak resident memory of the process (getrusage).`,
		Example: `  qkv bench attention --n 2048 --d 64 --heads 8
  qkv bench attention --n 65536 --d 64 --runs 1 --warmup 0
  qkv bench attention --n 512 --backward --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := b.validate(); err != nil {
				return err
			}
			if n < 1 || d < 1 || heads < 1 {
				return usageErrorf("invalid shape --n %d --d %d --heads %d: each must be at least 1", n, d, heads)
			}
			size := 4
			if b.dtype == "float64" {
				size = 8
			}
			// Q, K, V and Z per head; the backward adds A, its gradient
			// scratch and dQ, dK, dV.
			need := 4 * float64(heads) * float64(n) * float64(d)
			if backward {
				need += 2*float64(heads)*float64(n)*float64(n) + 3*float64(heads)*float64(n)*float64(d)
			}
			if err := checkBenchMemory(need*float64(size), fmt.Sprintf("--n %d --d %d --heads %d", n, d, heads)); err != nil {
				return err
			}
			if need := int64(heads) * int64(n) * int64(n) * int64(size); backward && need > maxBackwardWeightBytes {
				return usageErrorf("--backward with --n %d --heads %d keeps %.1f GiB of attention weights, more than the %d GiB limit; use a smaller --n or fewer --heads",
					n, heads, float64(need)/(1<<30), maxBackwardWeightBytes>>30)
			}
			res := &benchResult{
				Benchmark: "attention",
				Shape:     map[string]int{"n": n, "d": d, "heads": heads},
				Backward:  backward,
				Causal:    causal,
				Flops:     4 * float64(n) * float64(n) * float64(d) * float64(heads),
				FlopCount: "4·n²·d per head",
			}
			if backward {
				res.Flops *= 3
				res.FlopCount = "12·n²·d per head: 4 forward, 8 backward"
			}
			var run func() error
			if b.dtype == "float64" {
				run = attentionRun[float64](n, d, heads, backward, causal)
			} else {
				run = attentionRun[float32](n, d, heads, backward, causal)
			}
			times, cpu, err := timeRuns(env, &b, run)
			if err != nil {
				return err
			}
			return res.finish(env, &b, times, cpu)
		},
	}
	b.addFlags(cmd)
	cmd.Flags().IntVar(&n, "n", 1024, "sequence length: number of queries and of keys")
	cmd.Flags().IntVar(&d, "d", 64, "head width d_k = d_v")
	cmd.Flags().IntVar(&heads, "heads", 1, "number of heads")
	cmd.Flags().BoolVar(&backward, "backward", false, "time the forward that keeps A plus the backward pass")
	cmd.Flags().BoolVar(&causal, "causal", false, "apply a causal mask")
	return cmd
}

// attentionRun returns one run of the attention benchmark on fixed random
// inputs.
func attentionRun[T attention.Float](n, d, heads int, backward, causal bool) func() error {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(rows, cols int) *tensor.Matrix[T] {
		m := tensor.New[T](rows, cols)
		for i := range m.Data {
			m.Data[i] = T(2*r.Float64() - 1)
		}
		return m
	}
	projs := make([]attention.Projections[T], heads)
	for i := range projs {
		projs[i] = attention.Projections[T]{Q: random(n, d), K: random(n, d), V: random(n, d)}
	}
	var dOut *tensor.Matrix[T]
	opts := attention.Options[T]{Mask: attention.Mask[T]{Causal: causal}}
	if backward {
		dOut = random(n, d)
		opts.KeepWeights = true
	}
	return func() error {
		res, err := attention.AttendMany(projs, opts)
		if err != nil {
			return err
		}
		if !backward {
			return nil
		}
		problems := make([]attention.BackwardProblem[T], len(projs))
		for i, p := range projs {
			problems[i] = attention.BackwardProblem[T]{Q: p.Q, K: p.K, V: p.V, Weights: res[i].Weights, DOut: dOut}
		}
		if _, err := attention.BackwardMany(problems, opts); err != nil {
			return fmt.Errorf("backward: %w", err)
		}
		return nil
	}
}

func newBenchGemmCmd(env *Env) *cobra.Command {
	var (
		b       benchRuns
		m, n, k int
	)
	cmd := &cobra.Command{
		Use:   "gemm",
		Short: "Time the matrix product C = A·B on random inputs",
		Long: `gemm times tensor.MatMul, C [m×n] = A [m×k]·B [k×n], which splits the rows
of C over all threads, and counts 2·m·n·k floating-point operations.`,
		Example: `  qkv bench gemm --m 1024 --n 1024 --k 1024
  qkv bench gemm --m 4096 --n 64 --k 4096 --dtype float64 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := b.validate(); err != nil {
				return err
			}
			if m < 1 || n < 1 || k < 1 {
				return usageErrorf("invalid shape --m %d --n %d --k %d: each must be at least 1", m, n, k)
			}
			size := 4.0
			if b.dtype == "float64" {
				size = 8
			}
			// A, B, C and B's packed copy.
			need := (float64(m)*float64(k) + 2*float64(k)*float64(n) + float64(m)*float64(n)) * size
			if err := checkBenchMemory(need, fmt.Sprintf("--m %d --n %d --k %d", m, n, k)); err != nil {
				return err
			}
			res := &benchResult{
				Benchmark: "gemm",
				Shape:     map[string]int{"m": m, "n": n, "k": k},
				Flops:     2 * float64(m) * float64(n) * float64(k),
				FlopCount: "2·m·n·k",
			}
			var run func() error
			if b.dtype == "float64" {
				run = gemmRun[float64](m, n, k)
			} else {
				run = gemmRun[float32](m, n, k)
			}
			times, cpu, err := timeRuns(env, &b, run)
			if err != nil {
				return err
			}
			return res.finish(env, &b, times, cpu)
		},
	}
	b.addFlags(cmd)
	cmd.Flags().IntVar(&m, "m", 1024, "rows of A and C")
	cmd.Flags().IntVar(&n, "n", 1024, "columns of B and C")
	cmd.Flags().IntVar(&k, "k", 1024, "columns of A and rows of B")
	return cmd
}

func gemmRun[T attention.Float](m, n, k int) func() error {
	r := rand.New(rand.NewPCG(3, 4))
	random := func(rows, cols int) *tensor.Matrix[T] {
		x := tensor.New[T](rows, cols)
		for i := range x.Data {
			x.Data[i] = T(2*r.Float64() - 1)
		}
		return x
	}
	a, b := random(m, k), random(k, n)
	return func() error {
		_, err := tensor.MatMul(a, b)
		return err
	}
}

func newBenchFMACmd(env *Env) *cobra.Command {
	var (
		seconds float64
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "fma",
		Short: "Measure the float32 fused multiply-add peak of this machine",
		Long: `fma runs a loop of independent float32 vector fused multiply-adds on
every thread (GOMAXPROCS) for the given time and reports GFLOP/s, counting
two operations per multiply-add: the practical peak that matrix products
are measured against. It also reports GFLOP per CPU-second, the peak of
one core, which stays meaningful when other processes share the machine.
It needs the AVX2 or AVX-512 kernels.`,
		Example: `  qkv bench fma
  qkv bench fma --seconds 2 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !(seconds > 0 && seconds <= 60) {
				return usageErrorf("invalid --seconds %v: use a duration in (0, 60]", seconds)
			}
			if kernel.FMALoop(1) == 0 {
				return fmt.Errorf("no FMA loop on the %q kernel path: this build has no amd64 assembly (noasm tag or another architecture) or the CPU lacks AVX2 and FMA", kernel.Path())
			}
			threads := runtime.GOMAXPROCS(0)
			flops := make([]int, threads)
			deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
			cpuStart := cpuSeconds()
			start := time.Now()
			var wg sync.WaitGroup
			for t := 0; t < threads; t++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						flops[t] += kernel.FMALoop(1 << 18)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start).Seconds()
			cpu := cpuSeconds() - cpuStart
			total := 0
			for _, f := range flops {
				total += f
			}
			gflops := float64(total) / elapsed / 1e9
			perCPU := 0.0
			if cpu > 0 {
				perCPU = float64(total) / cpu / 1e9
			}
			if asJSON {
				return json.NewEncoder(env.Stdout).Encode(map[string]any{
					"benchmark": "fma", "threads": threads, "kernel_path": kernel.Path(),
					"seconds": elapsed, "gflops": gflops,
					"cpu_seconds": cpu, "gflops_per_cpu_second": perCPU,
				})
			}
			_, err := fmt.Fprintf(env.Stdout, "benchmark      fma\nthreads        %d\nkernel path    %s\nseconds        %.3f\nGFLOP/s        %.2f (float32, 2 per FMA)\nCPU time       %.3f s: %.2f GFLOP per CPU-second\n",
				threads, kernel.Path(), elapsed, gflops, cpu, perCPU)
			return err
		},
	}
	cmd.Flags().Float64Var(&seconds, "seconds", 1, "measuring time in seconds")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// checkBenchMemory rejects a benchmark whose matrices need more than the
// memory this machine has available (MemAvailable in /proc/meminfo), so a
// large shape fails with a message instead of an out-of-memory crash.
// Where /proc/meminfo is unreadable, only shapes beyond any address space
// (2⁴⁸ bytes) are rejected.
func checkBenchMemory(need float64, shape string) error {
	avail := float64(1 << 48)
	if kb, ok := memAvailableKiB(); ok {
		avail = float64(kb) * 1024
	}
	if need > avail {
		return usageErrorf("%s needs about %.1f GiB for its matrices, but %.1f GiB of memory is available; use a smaller shape",
			shape, need/(1<<30), avail/(1<<30))
	}
	return nil
}

// memAvailableKiB returns MemAvailable from /proc/meminfo in KiB.
func memAvailableKiB() (int64, bool) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
