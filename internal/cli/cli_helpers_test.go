package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// allCommands returns every command in the tree under root, root excluded.
func allCommands(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			continue
		}
		out = append(out, c)
		out = append(out, allCommands(c)...)
	}
	return out
}

// flagNames lists the flags a command defines itself, help excluded.
func flagNames(c *cobra.Command) []string {
	var names []string
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			names = append(names, f.Name)
		}
	})
	return names
}
