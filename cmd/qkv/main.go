// Command qkv computes, shows and explains transformer attention, from the
// four-token textbook example to a transformer that searches graphs by
// exponential path-merging. Run "qkv --help" for the subcommands.
package main

import (
	"os"

	"qkv/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
