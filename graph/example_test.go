package graph_test

import (
	"errors"
	"fmt"

	"qkv/graph"
)

func ExampleParseBytes() {
	src := `digraph deps {
  app -> "lib/a" -> base;
  app -> "lib/b";
}`
	g, format, err := graph.ParseBytes([]byte(src), "deps.dot", graph.FormatAuto)
	if err != nil {
		panic(err)
	}
	app, _ := g.Index("app")
	base, _ := g.Index("base")
	path, _ := g.ShortestPath(app, base)
	for _, v := range path {
		fmt.Print(g.Name(v), " ")
	}
	fmt.Println("|", format, g.Len(), "vertices")

	libB, _ := g.Index("lib/b")
	_, err = g.ShortestPath(libB, base)
	fmt.Println(errors.Is(err, graph.ErrNoPath), err)
	// Output:
	// app lib/a base | dot 4 vertices
	// true no directed path from "lib/b" to "base"
}
