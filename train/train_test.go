package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"qkv/nn"
)

// tinyConfig trains in well under a second.
func tinyConfig() Config {
	return Config{
		Model:        nn.SearchConfig{SeqLen: 20, Layers: 2, Hidden: 2, Heads: 1},
		Distribution: "balanced",
		MaxLookahead: 2,
		Batch:        8,
		Steps:        40,
		Optimizer:    OptimizerConfig{Kind: AdamW, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		Schedule:     Schedule{Kind: WarmupCosine, LR: 1e-4, PeakLR: 1e-3, WarmupExamples: 80, DecayExamples: 200},
		Seed:         3,
		Shards:       3,
		EvalEvery:    10,
		EvalCount:    10,
		TestSetSize:  20,
	}
}

// runTiny trains st to its configured step count with the reserved sets
// of its configuration, checkpointing to ckpt if non-empty.
func runTiny(t *testing.T, st *State, ckpt string, log *bytes.Buffer) {
	t.Helper()
	sets, reserved, err := TestSets(st.Config)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := NewEvaluator(st.Config.Model.SeqLen, sets, st.Config.EvalCount)
	if err != nil {
		t.Fatal(err)
	}
	opts := RunOptions{Checkpoint: ckpt, Evaluator: ev, Reserved: reserved, LogEvery: 1}
	if log != nil {
		opts.Log = log
	}
	if err := Run(context.Background(), st, opts); err != nil {
		t.Fatal(err)
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	for _, kind := range []OptimizerKind{SignMomentum, AdamW} {
		t.Run(kind.String(), func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Optimizer.Kind = kind
			cfg.Optimizer.Beta2 = 0.999

			// One run of 40 steps.
			whole, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			runTiny(t, whole, "", nil)

			// 20 steps, checkpoint, resume from the file, 20 more.
			half := cfg
			half.Steps = 20
			first, _ := New(half)
			ckpt := filepath.Join(t.TempDir(), "model.ckpt")
			runTiny(t, first, ckpt, nil)
			resumed, err := ReadCheckpoint(ckpt)
			if err != nil {
				t.Fatal(err)
			}
			if resumed.Step != 20 {
				t.Fatalf("checkpoint step = %d, want 20", resumed.Step)
			}
			resumed.Config.Steps = 40
			runTiny(t, resumed, "", nil)

			for i, w := range whole.Model.Params {
				if g := resumed.Model.Params[i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("parameter %d after resume = %v, uninterrupted run gives %v", i, g, w)
				}
			}
			for i, w := range whole.Opt.M {
				if g := resumed.Opt.M[i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("momentum %d after resume = %v, uninterrupted run gives %v", i, g, w)
				}
			}
		})
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	st, err := New(tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	st.Step, st.Seen, st.Opt.Step = 7, 56, 7
	for i := range st.Opt.M {
		st.Opt.M[i] = float32(i) * 1e-3
	}
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := WriteCheckpoint(path, st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != 7 || got.Seen != 56 || got.Opt.Step != 7 {
		t.Errorf("step, seen, optimizer step = %d, %d, %d; want 7, 56, 7", got.Step, got.Seen, got.Opt.Step)
	}
	if got.Config != st.Config {
		t.Errorf("config = %+v, want %+v", got.Config, st.Config)
	}
	for i := range st.Model.Params {
		if got.Model.Params[i] != st.Model.Params[i] || got.Opt.M[i] != st.Opt.M[i] || got.Opt.V[i] != st.Opt.V[i] {
			t.Fatalf("vector element %d differs after the round trip", i)
		}
	}
}

func TestCheckpointCorruption(t *testing.T) {
	st, _ := New(tinyConfig())
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	if err := WriteCheckpoint(path, st); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	flip := func(i int) []byte {
		b := append([]byte(nil), good...)
		b[i] ^= 0x40
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a checkpoint", []byte("hello, world, this is text")},
		{"truncated header", good[:20]},
		{"truncated weights", good[:len(good)/2]},
		{"missing checksum", good[:len(good)-4]},
		{"flipped weight bit", flip(len(good) - 100)},
		{"flipped header bit", flip(30)},
		{"bad version", flip(8)},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, "bad.ckpt")
		if err := os.WriteFile(p, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadCheckpoint(p)
		if !errors.Is(err, ErrCorruptCheckpoint) {
			t.Errorf("%s: error = %v, want ErrCorruptCheckpoint", tc.name, err)
		}
	}
	if _, err := ReadCheckpoint(filepath.Join(dir, "missing.ckpt")); err == nil || errors.Is(err, ErrCorruptCheckpoint) {
		t.Errorf("missing file: error = %v, want a not-found error", err)
	}
}

func TestCheckpointWriteLeavesNoTempFiles(t *testing.T) {
	st, _ := New(tinyConfig())
	dir := t.TempDir()
	if err := WriteCheckpoint(filepath.Join(dir, "a.ckpt"), st); err != nil {
		t.Fatal(err)
	}
	if err := WriteCheckpoint(filepath.Join(dir, "missing-dir", "a.ckpt"), st); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only a.ckpt", names)
	}
}

func TestRunLogsAndLearns(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 30
	st, _ := New(cfg)
	var log bytes.Buffer
	runTiny(t, st, "", &log)
	path := filepath.Join(t.TempDir(), "train.jsonl")
	os.WriteFile(path, log.Bytes(), 0o644)
	lg, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Steps) != 30 {
		t.Errorf("log has %d step records, want 30", len(lg.Steps))
	}
	// Evaluations at steps 10 and 20 and a final one at 30.
	if len(lg.Evals) != 3 {
		t.Errorf("log has %d eval records, want 3", len(lg.Evals))
	}
	first, last := lg.Steps[0].Loss, lg.Steps[len(lg.Steps)-1].Loss
	if !(last < first) {
		t.Errorf("loss went from %.3f to %.3f in 30 steps; want a decrease", first, last)
	}
}

func TestRunCancelSavesCheckpoint(t *testing.T) {
	st, _ := New(tinyConfig())
	ctx, cancel := context.WithCancel(context.Background())
	ckpt := filepath.Join(t.TempDir(), "model.ckpt")
	err := Run(ctx, st, RunOptions{
		Checkpoint: ckpt,
		OnStep: func(s StepInfo) {
			if s.Step == 5 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	got, err := ReadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != st.Step || got.Step < 5 {
		t.Errorf("checkpoint at step %d, run stopped at %d", got.Step, st.Step)
	}
}
