package task_test

import (
	"fmt"

	"qkv/graph"
	"qkv/task"
)

func ExampleNewVocab() {
	v, err := task.NewVocab(128)
	if err != nil {
		panic(err)
	}
	fmt.Println("vertex ids 1 ..", v.MaxVertex())
	fmt.Println("PATH EDGE PAD QUERY:", v.Path(), v.Edge(), v.Pad(), v.Query())
	fmt.Println("vocabulary size:", v.Size())
	// Output:
	// vertex ids 1 .. 41
	// PATH EDGE PAD QUERY: 42 43 44 45
	// vocabulary size: 46
}

func ExampleParseText() {
	ex, err := task.ParseText("E 4 1 E 8 3 E 8 4 E 3 2 E 1 6 Q 8 6 P 8")
	if err != nil {
		panic(err)
	}
	if err := ex.Annotate(nil); err != nil {
		panic(err)
	}
	ids, err := ex.Tokens(task.MustVocab(32))
	if err != nil {
		panic(err)
	}
	fmt.Println("correct next vertices:", ex.Labels)
	fmt.Println("lookahead:", ex.Lookahead)
	fmt.Println("ids:", ids)
	// Output:
	// correct next vertices: [4]
	// lookahead: 2
	// ids: [12 12 12 12 12 12 12 12 12 12 12 12 11 4 1 11 8 3 11 8 4 11 3 2 11 1 6 13 8 6 10 8]
}

func ExampleGenerator() {
	gen, err := task.NewGenerator(task.Config{Dist: task.Balanced, N: 32, MaxLookahead: 4})
	if err != nil {
		panic(err)
	}
	for _, ex := range gen.Generate(1, 0, 3) {
		fmt.Println(ex.Text(), "→", ex.Labels, "lookahead", ex.Lookahead)
	}
	// Output:
	// E 2 6 E 3 1 E 6 8 E 5 4 E 6 7 E 6 3 E 6 9 E 6 5 Q 6 7 P 6 → [7] lookahead 1
	// E 6 2 E 1 5 E 9 4 E 5 7 E 1 9 E 1 6 Q 1 2 P 1 → [6] lookahead 2
	// E 4 6 E 4 8 E 4 9 E 4 5 E 6 7 E 4 2 Q 4 8 P 4 → [8] lookahead 1
}

func ExampleEncodeGraph() {
	g, _, err := graph.ParseBytes([]byte("digraph { a -> b -> goal; a -> c -> d }"), "example.dot", graph.FormatAuto)
	if err != nil {
		panic(err)
	}
	enc, err := task.EncodeGraph(g, "a", "goal", task.MustVocab(32), task.EncodeOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Example.Text())
	fmt.Println("answer:", enc.NameOf(enc.Example.Labels[0]), "lookahead:", enc.Example.Lookahead)
	// Output:
	// E 1 2 E 2 3 E 1 4 E 4 5 Q 1 3 P 1
	// answer: b lookahead: 2
}
