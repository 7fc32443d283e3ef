package npy

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadJSON(t *testing.T) {
	cases := []struct {
		name  string
		input string
		shape []int
		data  []float64
	}{
		{"scalar", "2.5", []int{}, []float64{2.5}},
		{"vector", "[1, -2, 3e2]", []int{3}, []float64{1, -2, 300}},
		{"matrix", "[[1, 2, 3], [4, 5, 6]]", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"3-D", "[[[1], [2]], [[3], [4]], [[5], [6]]]", []int{3, 2, 1}, []float64{1, 2, 3, 4, 5, 6}},
		{"empty", "[]", []int{0}, []float64{}},
		{"empty rows", "[[], []]", []int{2, 0}, []float64{}},
		{"whitespace", " \n[ [1] ]\n ", []int{1, 1}, []float64{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadJSON(strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Shape, tc.shape) || a.DType != Float64 {
				t.Errorf("got %v, want %s float64", a, ShapeString(tc.shape))
			}
			if got := a.Float64(); !reflect.DeepEqual(got, tc.data) {
				t.Errorf("got %v, want %v", got, tc.data)
			}
		})
	}
}

func TestReadJSONErrors(t *testing.T) {
	cases := []struct {
		name  string
		input string
		want  string
	}{
		{"empty input", "", "empty JSON input"},
		{"syntax", "[1, 2", "invalid JSON"},
		{"ragged rows", "[[1, 2], [3]]", "array [1] has 1 elements, array [0] has 2"},
		{"number where array", "[[1, 2], 3]", "element [1] is a number, but element [0] is an array"},
		{"array where number", "[1, [2]]", "element [1] is an array, but element [0] is a number"},
		{"string", `[[1, "2"]]`, `element [0][1] is the string "2", want a number`},
		{"null", "[1, null]", "element [1] is null"},
		{"boolean among numbers", "[1, true]", "element [1] is the boolean true"},
		{"number among booleans", "[[true, 1]]", "element [0][1] is the number 1, want a boolean"},
		{"ragged booleans", "[[true], [false, true]]", "array [1] has 2 elements"},
		{"object", `{"a": 1}`, "is an object"},
		{"overflow", "[1e400]", "element [0]: number 1e400 is outside the float64 range"},
		{"two values", "[1] [2]", "unexpected data after the first value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadJSON(strings.NewReader(tc.input))
			if err == nil {
				t.Fatalf("ReadJSON returned %v, want an error containing %q", a, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestReadJSONBooleans(t *testing.T) {
	a, err := ReadJSON(strings.NewReader("[[true, false], [false, true]]"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Shape, []int{2, 2}) || a.DType != Bool {
		t.Fatalf("got %v, want [2 2] bool", a)
	}
	got, err := a.Bool()
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, true}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{"[[1, 2], [3, 4]]", "[]", "1", "[[[1]], [[2]]]", "[[1], 2]", `["a"]`, "[[true, false]]", "[true, 1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		a, err := ReadJSON(strings.NewReader(input))
		if err != nil {
			return
		}
		if n := len(a.Float64()); n != a.Len() {
			t.Fatalf("%v has %d values, want %d", a, n, a.Len())
		}
	})
}
