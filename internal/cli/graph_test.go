package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkv/npy"
)

func TestGraphGenJSONLines(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ex.jsonl")
	code, _, errOut := runCLI(t, "graph", "gen", "--dist", "balanced", "--n", "32", "--max-lookahead", "4",
		"--count", "50", "--seed", "3", "--out", out, "--npy", filepath.Join(dir, "arrays"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 50 {
		t.Fatalf("got %d lines, want 50", len(lines))
	}
	var first exampleJSON
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if len(first.IDs) != 32 || first.IDs[31] != int32(first.Start) || first.Lookahead > 4 || len(first.Labels) == 0 {
		t.Errorf("first example looks wrong: %+v", first)
	}
	ids, err := npy.ReadFile(filepath.Join(dir, "arrays", "ids.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if got := npy.ShapeString(ids.Shape); got != npy.ShapeString([]int{50, 32}) {
		t.Errorf("ids.npy shape %s, want [50 32]", got)
	}
	for _, name := range []string{"labels.npy", "label.npy", "lookahead.npy"} {
		if _, err := os.Stat(filepath.Join(dir, "arrays", name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}

	// The same seed gives the same file.
	code, again, _ := runCLI(t, "graph", "gen", "--dist", "balanced", "--n", "32", "--max-lookahead", "4", "--count", "50", "--seed", "3")
	if code != exitOK || again != string(data) {
		t.Error("stdout output differs from the file written with the same seed")
	}
}

func TestGraphGenUsageErrors(t *testing.T) {
	cases := [][]string{
		{"graph", "gen", "--dist", "uniform"},
		{"graph", "gen", "--max-lookahead", "21"},
		{"graph", "gen", "--edge-order", "sorted"},
		{"graph", "gen", "--test-set", "naive"},
		{"graph", "gen", "--count", "-1"},
	}
	for _, args := range cases {
		code, out, errOut := runCLI(t, args...)
		if code != exitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error", args, code, out, errOut)
		}
	}
}

func TestGraphMessages(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	graphFile := filepath.Join(dir, "g.txt")
	if err := os.WriteFile(graphFile, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missingDir := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"default max lookahead", []string{"graph", "gen", "--n", "10"}, exitUsage, "the default --max-lookahead 20 is too large for N = 10"},
		{"negative seed", []string{"graph", "gen", "--seed", "-1"}, exitUsage, "use a whole number from 0 to 2^64−1"},
		{"gen out dir missing", []string{"graph", "gen", "--count", "2", "--out", filepath.Join(missingDir, "x.jsonl")}, exitFailure, "directory " + missingDir + " does not exist; create it first"},
		{"show out dir missing", []string{"graph", "show", "--graph", graphFile, "--out", filepath.Join(missingDir, "x.svg")}, exitFailure, "directory " + missingDir + " does not exist; create it first"},
		{"stats empty file", []string{"graph", "stats", "--in", empty}, exitFailure, empty + " contains no examples"},
		{"stats in with dist", []string{"graph", "stats", "--in", empty, "--dist", "star"}, exitUsage, "--dist sets up generated examples, but --in reads them"},
		{"encode missing file", []string{"graph", "encode", "--graph", "nofile.txt", "--start", "a", "--goal", "b"}, exitFailure, "graph file nofile.txt not found"},
		{"encode too large", []string{"graph", "encode", "--graph", graphFile, "--start", "a", "--goal", "b", "--n", "8"}, exitFailure, "--reachable-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.msg) {
				t.Errorf("stderr lacks %q:\n%s", tt.msg, errOut)
			}
			if strings.Contains(errOut, ".tmp") {
				t.Errorf("stderr shows a temporary file name:\n%s", errOut)
			}
		})
	}
}

func TestGraphGenUnknownTestSetFirst(t *testing.T) {
	code, _, errOut := runCLI(t, "graph", "gen", "--reserve", "10", "--test-set", "lookahead-99")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, `unknown --test-set "lookahead-99"`) {
		t.Errorf("stderr lacks the unknown name:\n%s", errOut)
	}
	if strings.Contains(errOut, "reserved") {
		t.Errorf("the sets were built before the name was checked:\n%s", errOut)
	}
}

func TestGraphGenTestSet(t *testing.T) {
	code, out, errOut := runCLI(t, "graph", "gen", "--n", "32", "--max-lookahead", "4", "--reserve", "20", "--test-set", "lookahead-3", "--count", "20")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 20 {
		t.Fatalf("got %d examples, want 20", len(lines))
	}
	for _, line := range lines {
		var ex exampleJSON
		if err := json.Unmarshal([]byte(line), &ex); err != nil {
			t.Fatal(err)
		}
		if ex.Lookahead != 3 || len(ex.Labels) != 1 {
			t.Fatalf("test-set example with lookahead %d and labels %v", ex.Lookahead, ex.Labels)
		}
	}
}

func TestGraphStatsFromFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ex.jsonl")
	if code, _, errOut := runCLI(t, "graph", "gen", "--dist", "star", "--n", "32", "--max-lookahead", "3", "--count", "40", "--out", out); code != exitOK {
		t.Fatalf("gen: %s", errOut)
	}
	code, text, errOut := runCLI(t, "graph", "stats", "--in", out, "--plot", filepath.Join(dir, "plots"))
	if code != exitOK {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"lookahead (40 examples", "edges (40 examples", "correct next vertices (40 examples, mean 1.00)"} {
		if !strings.Contains(text, want) {
			t.Errorf("stats output lacks %q:\n%s", want, text)
		}
	}
	for _, name := range []string{"lookahead.png", "lookahead.svg", "answers.png"} {
		if _, err := os.Stat(filepath.Join(dir, "plots", name)); err != nil {
			t.Errorf("missing plot %s", name)
		}
	}
}

func TestGraphEncodeCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.dot")
	if err := os.WriteFile(path, []byte("digraph { a -> b -> c; a -> d -> e; a -> a }"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "graph", "encode", "--graph", path, "--start", "a", "--goal", "c", "--n", "32", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "self-loop") {
		t.Errorf("no self-loop warning on stderr: %q", errOut)
	}
	var got encodeJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tokens != "E 1 2 E 2 3 E 1 4 E 4 5 Q 1 3 P 1" || len(got.IDs) != 32 {
		t.Errorf("tokens %q, %d ids", got.Tokens, len(got.IDs))
	}
	if !got.Reachable || len(got.Labels) != 1 || got.Labels[0] != "b" || got.Lookahead == nil || *got.Lookahead != 2 {
		t.Errorf("answers %v, lookahead %v", got.Labels, got.Lookahead)
	}

	code, out, _ = runCLI(t, "graph", "encode", "--graph", path, "--start", "c", "--goal", "a", "--n", "32")
	if code != exitOK || !strings.Contains(out, `no directed path from "c" to "a"`) {
		t.Errorf("no path: exit %d, output %q", code, out)
	}
	code, _, errOut = runCLI(t, "graph", "encode", "--graph", path, "--start", "A", "--goal", "c")
	if code != exitUsage || !strings.Contains(errOut, `did you mean "a"`) {
		t.Errorf("unknown start: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "graph", "encode", "--graph", path, "--start", "a", "--goal", "c", "--n", "17")
	if code != exitFailure || !strings.Contains(errOut, "use N ≥ 20") {
		t.Errorf("too small N: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut = runCLI(t, "graph", "encode", "--graph", path, "--start", "d", "--goal", "e", "--n", "17", "--reachable-only")
	if code != exitOK || !strings.Contains(out, "tokens:   E 1 2 Q 1 2 P 1") || !strings.Contains(errOut, "kept 2 of 5 vertices") {
		t.Errorf("--reachable-only: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestGraphShowWritesSVG(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "g.svg")
	code, _, errOut := runCLI(t, "graph", "show", "--graph", "../../graph/testdata/qkv-go-mod-graph.txt",
		"--start", "qkv", "--goal", "golang.org/x/sys@v0.50.0", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(data)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "golang.org/x/sys@v0.50.0") || !strings.Contains(svg, "arrow-path") {
		t.Errorf("SVG lacks the root element, a vertex name or the highlighted path")
	}
	code, _, _ = runCLI(t, "graph", "show", "--graph", "../../graph/testdata/qkv-go-mod-graph.txt", "--out", filepath.Join(dir, "g.png"))
	if code != exitUsage {
		t.Errorf("--out g.png: exit %d, want a usage error", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "g.png")); !os.IsNotExist(err) {
		t.Error("a file was written despite the error")
	}
}
