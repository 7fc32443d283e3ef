// Package cli implements the qkv command line: one cobra command per
// subcommand, each in its own file, registered with register in an init
// function.
//
// Conventions every subcommand follows:
//   - data goes to Env.Stdout, diagnostics and progress to Env.Stderr;
//   - a bad flag, argument or flag combination is a usage error (exit 2),
//     created with usageErrorf;
//   - every other failure (a missing file, invalid data, a failed write) is
//     returned as a plain error (exit 1);
//   - output files are written with writeFileAtomic, so a failure never
//     leaves a partial file behind.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit statuses of the qkv command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Env is the part of the process a subcommand may use: its streams and
// environment. Tests build one with buffers in place of the real streams.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// StdoutIsTerminal reports whether Stdout is a terminal, which
	// selects coloured cells and live progress bars.
	StdoutIsTerminal bool
	// StderrIsTerminal reports whether Stderr is a terminal.
	StderrIsTerminal bool
	// Getenv reads an environment variable (os.Getenv outside tests).
	Getenv func(string) string
}

// Color reports whether terminal output may use ANSI colours: only when
// stdout is a terminal, NO_COLOR is unset or empty, and TERM is not
// "dumb", the value for terminals without escape sequences.
func (e *Env) Color() bool {
	return e.StdoutIsTerminal && e.Getenv("NO_COLOR") == "" && e.Getenv("TERM") != "dumb"
}

// usageError marks an error as a usage error: the command line itself is
// wrong, and the process exits with status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usageErrorf formats a usage error.
func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// isUsageError reports whether err is, or wraps, a usage error.
func isUsageError(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// commandFactory builds one top-level subcommand for an Env.
type commandFactory func(env *Env) *cobra.Command

var factories []commandFactory

// register adds a top-level subcommand. Call it from an init function.
func register(f commandFactory) { factories = append(factories, f) }

// Run executes the qkv command line with args (without the program name)
// and returns the exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{
		Stdin:            stdin,
		Stdout:           stdout,
		Stderr:           stderr,
		StdoutIsTerminal: isTerminal(stdout),
		StderrIsTerminal: isTerminal(stderr),
		Getenv:           os.Getenv,
	}
	return RunEnv(args, env)
}

// RunEnv is Run with an explicit Env.
func RunEnv(args []string, env *Env) int {
	root := newRootCmd(env)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "qkv: %v\n", err)
	if isUsageError(err) {
		fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", commandPathFor(root, args))
		return exitUsage
	}
	return exitFailure
}

func newRootCmd(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "qkv",
		Short: "Compute, see and explain transformer attention",
		Long: `qkv computes scaled dot-product attention exactly as the textbook states it,
shows its matrices, and runs a transformer that searches graphs by
exponential path-merging.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Accept any arguments so that an unknown subcommand reaches RunE
		// and becomes a usage error (exit 2) instead of cobra's own error.
		Args: cobra.ArbitraryArgs,
		// With no subcommand, print help and exit 0.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q", args[0])
			}
			return cmd.Help()
		},
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{err}
	})

	cmds := make([]*cobra.Command, 0, len(factories))
	for _, f := range factories {
		cmds = append(cmds, f(env))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	for _, c := range cmds {
		root.AddCommand(c)
	}
	setUsageConventions(root)
	return root
}

// setUsageConventions makes flag errors and wrong argument counts usage
// errors in every command of the tree.
func setUsageConventions(c *cobra.Command) {
	c.SilenceUsage = true
	c.SilenceErrors = true
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{err}
	})
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	// A command with subcommands but no action of its own rejects unknown
	// subcommands as usage errors instead of printing help with status 0.
	if c.HasSubCommands() && c.RunE == nil && c.Run == nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return usageErrorf("%s needs a subcommand", cmd.CommandPath())
		}
	}
	for _, sub := range c.Commands() {
		setUsageConventions(sub)
	}
}

// commandPathFor returns the command path that args select, for the
// "Run ... --help" hint.
func commandPathFor(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return root.CommandPath()
	}
	return c.CommandPath()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
