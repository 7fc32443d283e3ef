package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkv/train"
)

// tinyTrainArgs trains a 2-layer N = 20 model for a few steps.
func tinyTrainArgs(out string, extra ...string) []string {
	args := []string{"train", "--out", out, "--n", "20", "--max-lookahead", "2", "--layers", "2",
		"--hidden", "2", "--batch", "8", "--steps", "12", "--eval-every", "4", "--eval-count", "10",
		"--test-set-size", "20", "--checkpoint-every", "4", "--threads", "2"}
	return append(args, extra...)
}

func TestTrainWritesCheckpointLogAndTable(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, tinyTrainArgs(out, "--plot", filepath.Join(out, "plots"))...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"sequence length N", "parameters", "adamw", "eval step 4:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{"lookahead-1", "lookahead-2", "naive", "Wilson"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"model.ckpt", "train.jsonl", "plots/loss.png", "plots/accuracy.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}

func TestTrainResumeMatchesOneRun(t *testing.T) {
	whole, split := t.TempDir(), t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(whole)...); code != 0 {
		t.Fatalf("whole run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, tinyTrainArgs(split, "--steps", "8")...); code != 0 {
		t.Fatalf("first half: exit %d: %s", code, stderr)
	}
	ckpt := filepath.Join(split, "model.ckpt")
	code, _, stderr := runCLI(t, "train", "--resume", ckpt, "--out", split, "--steps", "12")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "model.ckpt"))
	b, _ := os.ReadFile(ckpt)
	if string(a) != string(b) {
		t.Error("checkpoint after 8+4 resumed steps differs from one run of 12 steps")
	}
}

func TestTrainUsageErrors(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"train"}, "--out is required"},
		{"bad preset", []string{"train", "--out", out, "--preset", "huge"}, "unknown preset"},
		{"bad optimizer", []string{"train", "--out", out, "--optimizer", "sgd"}, "unknown optimizer"},
		{"bad mask", []string{"train", "--out", out, "--mask", "diagonal"}, "--mask"},
		{"bad lookahead", []string{"train", "--out", out, "--max-lookahead", "9"}, "max lookahead 9"},
		{"bad heads", []string{"train", "--out", out, "--heads", "5"}, "not divisible"},
		{"resume with change", []string{"train", "--out", out, "--resume", "x.ckpt", "--lr", "1"}, "cannot be combined"},
		{"zero threads", []string{"train", "--out", out, "--threads", "0"}, "--threads"},
		{"resume with overwrite", []string{"train", "--out", out, "--resume", "x.ckpt", "--overwrite"}, "--overwrite cannot be combined"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", tc.name, code, stderr)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: stderr %q lacks %q", tc.name, stderr, tc.want)
		}
	}
}

func TestTrainCorruptCheckpointIsError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(bad, []byte("QKVCKPT\nrubbish"), 0o644)
	code, _, stderr := runCLI(t, "train", "--resume", bad, "--out", dir)
	if code != 1 || !strings.Contains(stderr, "corrupt checkpoint") {
		t.Errorf("exit %d, stderr %q; want 1 and a corrupt-checkpoint message", code, stderr)
	}
}

func TestTrainResumeTrimsLogAfterCheckpoint(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "8", "--log-every", "1")...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	// A process killed after its checkpoint at step 8 may have logged
	// later steps; resuming must not log them twice.
	logPath := filepath.Join(out, "train.jsonl")
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"step","step":9,"seen":72,"loss":1,"accuracy":0,"elapsed_sec":1}` + "\n")
	f.Close()

	code, _, stderr := runCLI(t, "train", "--resume", filepath.Join(out, "model.ckpt"), "--out", out, "--steps", "10", "--log-every", "1")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	lg, err := train.ReadLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range lg.Steps {
		if r.Step != int64(i+1) {
			t.Fatalf("step record %d is step %d; want steps 1..10 once each", i, r.Step)
		}
	}
	if len(lg.Steps) != 10 {
		t.Errorf("log has %d step records, want 10", len(lg.Steps))
	}
}

func TestTrainKeepsExistingCheckpoint(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "4")...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	ckpt := filepath.Join(out, "model.ckpt")
	before, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}

	code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "4", "--seed", "2")...)
	if code != exitUsage {
		t.Fatalf("second run into the same --out: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "--resume") || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("message does not say how to continue or replace: %q", stderr)
	}
	after, _ := os.ReadFile(ckpt)
	if string(after) != string(before) {
		t.Error("the refused run changed the existing checkpoint")
	}

	if code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "4", "--seed", "2", "--overwrite")...); code != 0 {
		t.Fatalf("run with --overwrite: exit %d: %s", code, stderr)
	}
	replaced, _ := os.ReadFile(ckpt)
	if string(replaced) == string(before) {
		t.Error("--overwrite kept the old checkpoint")
	}
}

func TestTrainResumeRejectsFewerSteps(t *testing.T) {
	out := t.TempDir()
	if code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "8")...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	ckpt := filepath.Join(out, "model.ckpt")
	before, _ := os.ReadFile(ckpt)
	for _, steps := range []string{"4", "8"} {
		code, _, stderr := runCLI(t, "train", "--resume", ckpt, "--out", out, "--steps", steps)
		if code != exitUsage {
			t.Errorf("--steps %s on a step-8 checkpoint: exit %d, want %d", steps, code, exitUsage)
		}
		if !strings.Contains(stderr, "not above the checkpoint's step 8") {
			t.Errorf("--steps %s: stderr %q does not name the checkpoint's step", steps, stderr)
		}
	}
	if after, _ := os.ReadFile(ckpt); string(after) != string(before) {
		t.Error("a rejected resume changed the checkpoint")
	}
}

func TestTrainAcceptsDistAlias(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, tinyTrainArgs(out, "--steps", "2", "--dist", "naive")...)
	if code != 0 {
		t.Fatalf("--dist naive: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "naive, max lookahead") {
		t.Errorf("configuration table does not show the naive distribution:\n%s", stderr)
	}
}
