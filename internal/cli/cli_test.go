package cli

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line with buffers for the streams and returns
// the exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(string) string { return "" },
	}
	code := RunEnv(args, env)
	return code, stdout.String(), stderr.String()
}

func TestRootHelpExitsZero(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != exitOK {
		t.Fatalf("qkv --help exited %d, want %d", code, exitOK)
	}
	if !strings.Contains(out, "Usage:") {
		t.Errorf("qkv --help printed no usage:\n%s", out)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	code, out, errOut := runCLI(t, "no-such-command")
	if code != exitUsage {
		t.Fatalf("exit status %d, want %d", code, exitUsage)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	if !strings.Contains(errOut, "no-such-command") {
		t.Errorf("stderr does not name the command: %q", errOut)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, errOut := runCLI(t, "--no-such-flag")
	if code != exitUsage {
		t.Fatalf("exit status %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, "no-such-flag") {
		t.Errorf("stderr does not name the flag: %q", errOut)
	}
}

func TestEverySubcommandHasHelp(t *testing.T) {
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	root := newRootCmd(env)
	for _, c := range allCommands(root) {
		if c.Short == "" {
			t.Errorf("%q has no short description", c.CommandPath())
		}
		for _, name := range flagNames(c) {
			f := c.Flags().Lookup(name)
			if f.Usage == "" {
				t.Errorf("%s --%s has no help text", c.CommandPath(), name)
			}
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		code, out, _ := runCLI(t, args...)
		if code != exitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("%q --help: exit %d, output %q", c.CommandPath(), code, out)
		}
	}
}
