package npy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadJSON reads a number or nested JSON arrays of numbers, such as
// [[1, 2, 3], [4, 5, 6]], into a float64 Array whose shape is the nesting
// ([2 3] here). Arrays of true and false, such as [[true, false]], are
// read into a bool Array instead; numbers and booleans cannot be mixed.
// Every array at the same depth must have the same length. Errors name
// the offending element by its index, such as [1][2].
func ReadJSON(r io.Reader) (*Array, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty JSON input: want a number or an array of numbers")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid JSON: unexpected data after the first value")
	}

	shape, err := jsonShape(v)
	if err != nil {
		return nil, err
	}
	if _, isBool := firstJSONLeaf(v).(bool); isBool {
		flags := make([]bool, 0)
		if err := flattenJSONBools(v, shape, nil, &flags); err != nil {
			return nil, err
		}
		return newBool(shape, flags)
	}
	values := make([]float64, 0)
	if err := flattenJSON(v, shape, nil, &values); err != nil {
		return nil, err
	}
	return NewFloat64(shape, values)
}

// firstJSONLeaf returns the first value of v that is not an array, or nil
// when v has no elements.
func firstJSONLeaf(v any) any {
	for {
		list, ok := v.([]any)
		if !ok {
			return v
		}
		if len(list) == 0 {
			return nil
		}
		v = list[0]
	}
}

// flattenJSONBools is flattenJSON for an array of booleans.
func flattenJSONBools(v any, shape, index []int, out *[]bool) error {
	if len(shape) == 0 {
		b, ok := v.(bool)
		if !ok {
			if _, isList := v.([]any); isList {
				return fmt.Errorf("ragged JSON array: element %s is an array, but element %s is a boolean", formatIndex(index), formatIndex(zeroIndex(len(index))))
			}
			return fmt.Errorf("element %s is %s, want a boolean like element %s", formatIndex(index), describeJSON(v), formatIndex(zeroIndex(len(index))))
		}
		*out = append(*out, b)
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("ragged JSON array: element %s is %s, but element %s is an array", formatIndex(index), describeJSON(v), formatIndex(zeroIndex(len(index))))
	}
	if len(list) != shape[0] {
		return fmt.Errorf("ragged JSON array: array %s has %d elements, array %s has %d", formatIndex(index), len(list), formatIndex(zeroIndex(len(index))), shape[0])
	}
	for i, e := range list {
		if err := flattenJSONBools(e, shape[1:], append(index, i), out); err != nil {
			return err
		}
	}
	return nil
}

// jsonShape follows the first element at each depth to find the shape
// that every other element must then match.
func jsonShape(v any) ([]int, error) {
	shape := []int{}
	for {
		list, ok := v.([]any)
		if !ok {
			return shape, nil
		}
		shape = append(shape, len(list))
		if len(list) == 0 {
			return shape, nil
		}
		if len(shape) > 32 {
			return nil, fmt.Errorf("JSON arrays nested more than 32 deep")
		}
		v = list[0]
	}
}

// flattenJSON appends the numbers of v in row-major order, checking that v
// has the given shape. index is the position of v, used in errors.
func flattenJSON(v any, shape, index []int, out *[]float64) error {
	if len(shape) == 0 {
		num, ok := v.(json.Number)
		if !ok {
			if _, isList := v.([]any); isList {
				return fmt.Errorf("ragged JSON array: element %s is an array, but element %s is a number", formatIndex(index), formatIndex(zeroIndex(len(index))))
			}
			return fmt.Errorf("element %s is %s, want a number", formatIndex(index), describeJSON(v))
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return fmt.Errorf("element %s: number %s is outside the float64 range", formatIndex(index), num)
		}
		*out = append(*out, f)
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		if _, isNum := v.(json.Number); isNum {
			return fmt.Errorf("ragged JSON array: element %s is a number, but element %s is an array", formatIndex(index), formatIndex(zeroIndex(len(index))))
		}
		return fmt.Errorf("element %s is %s, want an array of numbers", formatIndex(index), describeJSON(v))
	}
	if len(list) != shape[0] {
		return fmt.Errorf("ragged JSON array: array %s has %d elements, array %s has %d", formatIndex(index), len(list), formatIndex(zeroIndex(len(index))), shape[0])
	}
	for i, e := range list {
		if err := flattenJSON(e, shape[1:], append(index, i), out); err != nil {
			return err
		}
	}
	return nil
}

func zeroIndex(n int) []int { return make([]int, n) }

// formatIndex writes an element position as [1][2], or names the
// top-level value when index is empty.
func formatIndex(index []int) string {
	if len(index) == 0 {
		return "(the top-level value)"
	}
	var b strings.Builder
	for _, i := range index {
		fmt.Fprintf(&b, "[%d]", i)
	}
	return b.String()
}

func describeJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case json.Number:
		return fmt.Sprintf("the number %s", clip(string(x)))
	case string:
		return fmt.Sprintf("the string %q", clip(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
