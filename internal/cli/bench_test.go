package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"qkv/internal/kernel"
)

func TestBenchAttentionJSON(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "attention", "--n", "70", "--d", "8", "--heads", "2", "--runs", "3", "--repeat", "4", "--json"},
		{"bench", "attention", "--n", "40", "--d", "4", "--backward", "--causal", "--dtype", "float64", "--runs", "2", "--warmup", "0", "--json"},
	} {
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
			}
			var res benchResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
			}
			if !(res.MedianSeconds > 0) || !(res.GFLOPS > 0) {
				t.Errorf("median_seconds = %v, gflops = %v; want both positive", res.MedianSeconds, res.GFLOPS)
			}
			if res.Shape["n"] == 0 || res.Shape["d"] == 0 || res.Shape["heads"] == 0 {
				t.Errorf("shape = %v, want n, d and heads", res.Shape)
			}
			if !(res.CPUSeconds > 0) || !(res.GFLOPSPerCPU > 0) {
				t.Errorf("cpu_seconds = %v, gflops_per_cpu_second = %v; want both positive", res.CPUSeconds, res.GFLOPSPerCPU)
			}
			if res.MaxRSSBytes <= 0 {
				t.Errorf("max_rss_bytes = %d, want positive", res.MaxRSSBytes)
			}
			if got := strings.Count(errOut, "run "); got != res.Runs {
				t.Errorf("stderr has %d run lines, want %d:\n%s", got, res.Runs, errOut)
			}
		})
	}
}

func TestBenchAttentionFlopCount(t *testing.T) {
	_, out, _ := runCLI(t, "bench", "attention", "--n", "32", "--d", "8", "--heads", "3", "--runs", "1", "--json")
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := 4.0 * 32 * 32 * 8 * 3; res.Flops != want {
		t.Errorf("flops = %v, want 4·n²·d·h = %v", res.Flops, want)
	}
	_, out, _ = runCLI(t, "bench", "attention", "--n", "32", "--d", "8", "--backward", "--runs", "1", "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := 12.0 * 32 * 32 * 8; res.Flops != want {
		t.Errorf("backward flops = %v, want 12·n²·d = %v", res.Flops, want)
	}
}

func TestBenchGemmText(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "gemm", "--m", "33", "--n", "17", "--k", "65", "--runs", "2")
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"benchmark      gemm", "k=65 m=33 n=17", "GFLOP/s", "median"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchFMA(t *testing.T) {
	code, out, errOut := runCLI(t, "bench", "fma", "--seconds", "0.05", "--json")
	if kernel.Path() == "go" {
		if code != exitFailure {
			t.Fatalf("exit status %d on the pure-Go path, want %d", code, exitFailure)
		}
		return
	}
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
	}
	var res struct{ GFLOPS float64 }
	if err := json.Unmarshal([]byte(out), &res); err != nil || !(res.GFLOPS > 0) {
		t.Errorf("output %q: gflops missing or not positive (%v)", out, err)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad dtype", []string{"bench", "attention", "--dtype", "float16"}, "--dtype"},
		{"no runs", []string{"bench", "gemm", "--runs", "0"}, "--runs"},
		{"negative warm-up", []string{"bench", "gemm", "--warmup", "-1"}, "--warmup"},
		{"zero repeat", []string{"bench", "attention", "--repeat", "0"}, "--repeat"},
		{"zero size", []string{"bench", "attention", "--n", "0"}, "--n 0"},
		{"zero gemm size", []string{"bench", "gemm", "--k", "0"}, "--k 0"},
		{"backward too large", []string{"bench", "attention", "--n", "65536", "--backward"}, "GiB"},
		{"bad seconds", []string{"bench", "fma", "--seconds", "0"}, "--seconds"},
		{"extra argument", []string{"bench", "gemm", "now"}, "unknown command"},
		{"no subcommand", []string{"bench"}, "needs a subcommand"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut)
			}
		})
	}
}

// TestBenchAttentionLongSequenceMemory runs the streaming forward at
// n = 65,536, d = 64 and checks that the process stays within 1 GiB
// resident memory; the n×n weights alone would take 16 GiB. It takes
// 14 to 47 s on a shared two-core machine, so it runs only with
// QKV_BENCH_LONG=1.
func TestBenchAttentionLongSequenceMemory(t *testing.T) {
	if os.Getenv("QKV_BENCH_LONG") != "1" {
		t.Skip("set QKV_BENCH_LONG=1 to run the n = 65536 memory check")
	}
	code, out, errOut := runCLI(t, "bench", "attention", "--n", "65536", "--d", "64", "--runs", "1", "--warmup", "0", "--json")
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
	}
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("median %.1f s, %.1f GFLOP/s, max RSS %.0f MiB", res.MedianSeconds, res.GFLOPS, float64(res.MaxRSSBytes)/(1<<20))
	if res.MaxRSSBytes > 1<<30 {
		t.Errorf("max RSS %d bytes, want at most 1 GiB", res.MaxRSSBytes)
	}
}

func TestBenchRejectsShapesBeyondMemory(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "attention", "--n", "100000000", "--runs", "1", "--warmup", "0"},
		{"bench", "gemm", "--n", "99999999999"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(stderr, "GiB") || !strings.Contains(stderr, "smaller shape") {
			t.Errorf("%v: stderr %q does not give the memory needed and the fix", args, stderr)
		}
	}
}
