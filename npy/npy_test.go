package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtureValue is the element that make_fixtures.py stores at C-order
// index i.
func fixtureValue(d DType, i int) float64 {
	switch {
	case d == Bool:
		return float64(i % 2)
	case d.IsFloat():
		return float64(i-3) * 0.5
	case d == Uint8:
		return float64(i)
	}
	return float64(i - 3)
}

func TestReadNumpyFixtures(t *testing.T) {
	cases := []struct {
		file  string
		shape []int
		dtype DType
	}{
		{"c_float32.npy", []int{2, 3}, Float32},
		{"c_float64.npy", []int{2, 3}, Float64},
		{"c_bool.npy", []int{2, 3}, Bool},
		{"c_int8.npy", []int{2, 3}, Int8},
		{"c_int16.npy", []int{2, 3}, Int16},
		{"c_int32.npy", []int{2, 3}, Int32},
		{"c_int64.npy", []int{2, 3}, Int64},
		{"c_uint8.npy", []int{2, 3}, Uint8},
		{"big_float64.npy", []int{2, 3}, Float64},
		{"big_int32.npy", []int{2, 3}, Int32},
		{"fortran_2d.npy", []int{3, 4}, Float64},
		{"fortran_3d.npy", []int{2, 3, 4}, Int32},
		{"version2.npy", []int{2, 3}, Float64},
		{"version3.npy", []int{2, 3}, Float64},
		{"scalar.npy", []int{}, Float64},
		{"vector.npy", []int{5}, Float32},
		{"empty.npy", []int{0, 3}, Float64},
		{"rank4.npy", []int{2, 1, 3, 2}, Int64},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			a, err := ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Shape, tc.shape) || a.DType != tc.dtype {
				t.Fatalf("got %v, want %s %s", a, ShapeString(tc.shape), tc.dtype)
			}
			got := a.Float64()
			for i, v := range got {
				if want := fixtureValue(tc.dtype, i); v != want {
					t.Errorf("element %d = %v, want %v", i, v, want)
				}
			}
			if tc.dtype.IsFloat() {
				return
			}
			ints, err := a.Int64()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range ints {
				if want := int64(fixtureValue(tc.dtype, i)); v != want {
					t.Errorf("Int64 element %d = %v, want %v", i, v, want)
				}
			}
		})
	}
}

func TestWriteMatchesNumpyBytes(t *testing.T) {
	want, err := os.ReadFile("testdata/c_float64.npy")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float64, 6)
	for i := range data {
		data[i] = fixtureValue(Float64, i)
	}
	got, err := Marshal([]int{2, 3}, data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal output differs from numpy's np.save:\ngot  %q\nwant %q", got, want)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		data  any
		dtype DType
	}{
		{"float64 matrix", []int{2, 2}, []float64{1.5, -2, math.Inf(-1), math.SmallestNonzeroFloat64}, Float64},
		{"float32 3-D", []int{2, 1, 2}, []float32{1, 2, 3, float32(math.Pi)}, Float32},
		{"int32 vector", []int{3}, []int32{-1, 0, math.MaxInt32}, Int32},
		{"bool", []int{1, 3}, []bool{true, false, true}, Bool},
		{"int64", []int{2}, []int64{math.MinInt64, 7}, Int64},
		{"int16", []int{2}, []int16{-300, 300}, Int16},
		{"int8", []int{2}, []int8{-128, 127}, Int8},
		{"uint8", []int{2}, []uint8{0, 255}, Uint8},
		{"scalar", []int{}, []float64{42}, Float64},
		{"empty", []int{0, 4}, []float64{}, Float64},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.shape, tc.data); err != nil {
				t.Fatal(err)
			}
			if pre := 10 + int(binary.LittleEndian.Uint16(buf.Bytes()[8:])); pre%headerAlign != 0 {
				t.Errorf("data starts at byte %d, want a multiple of %d", pre, headerAlign)
			}
			a, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Shape, tc.shape) || a.DType != tc.dtype {
				t.Fatalf("got %v, want %s %s", a, ShapeString(tc.shape), tc.dtype)
			}
			var got any
			switch tc.data.(type) {
			case []float64:
				got = a.Float64()
			case []float32:
				got = a.Float32()
			case []bool:
				got, err = a.Bool()
			default:
				ints, e := a.Int64()
				err = e
				v := reflect.MakeSlice(reflect.TypeOf(tc.data), len(ints), len(ints))
				for i, x := range ints {
					if v.Type().Elem().Kind() == reflect.Uint8 {
						v.Index(i).SetUint(uint64(x))
					} else {
						v.Index(i).SetInt(x)
					}
				}
				got = v.Interface()
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.data) {
				t.Errorf("got %v, want %v", got, tc.data)
			}
			if buf.Len() != 0 {
				t.Errorf("Read left %d bytes unread, want 0", buf.Len())
			}
		})
	}
}

func TestReadConsecutiveArrays(t *testing.T) {
	var buf bytes.Buffer
	for i := 0; i < 3; i++ {
		if err := Write(&buf, []int{2}, []float64{float64(i), float64(10 * i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		a, err := Read(&buf)
		if err != nil {
			t.Fatalf("array %d: %v", i, err)
		}
		if got := a.Float64(); got[1] != float64(10*i) {
			t.Errorf("array %d = %v, want [%d %d]", i, got, i, 10*i)
		}
	}
}

// npyBytes builds an .npy file by hand with the given version, header
// dict and data.
func npyBytes(major byte, dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(dict)))
	}
	b.WriteString(dict)
	b.Write(data)
	return b.Bytes()
}

func TestReadErrors(t *testing.T) {
	f8 := "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }\n"
	cases := []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "empty file"},
		{"bad magic", []byte("PK\x03\x04 not numpy at all"), "bad magic"},
		{"short magic", []byte("\x93NUM"), "truncated NPY preamble"},
		{"version 4", npyBytes(4, f8, nil), "unsupported NPY format version 4.0"},
		{"missing header length", []byte(magic + "\x01\x00\x05"), "missing the header length"},
		{"short header", []byte(magic + "\x01\x00\x50\x00{'descr'"), "truncated NPY header: length field says 80 bytes, file has 8"},
		{"truncated data", npyBytes(1, f8, make([]byte, 40)), "header says [3 4] float64 = 96 bytes, file has 40"},
		{"complex dtype", npyBytes(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", make([]byte, 16)), `unsupported dtype "<c16"`},
		{"string dtype", npyBytes(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", make([]byte, 12)), `unsupported dtype "<U3"`},
		{"structured dtype", npyBytes(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", make([]byte, 8)), "structured arrays"},
		{"missing shape", npyBytes(1, "{'descr': '<f8', 'fortran_order': False}", nil), `missing key "shape"`},
		{"unknown key", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}", nil), `unknown key "x"`},
		{"duplicate key", npyBytes(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': ()}", nil), `key "descr" appears twice`},
		{"negative dimension", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", nil), "non-negative integer"},
		{"huge shape", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", nil), "more than"},
		{"bad bool byte", npyBytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", []byte{1, 7}), "byte value 7"},
		{"not a dict", npyBytes(1, "('descr', '<f8')", nil), "want a dict"},
		{"fortran order not bool", npyBytes(1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (), }", nil), "True or False"},
		{"text after dict", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), } x", nil), "unexpected text after the dict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(tc.input))
			if err == nil {
				t.Fatalf("Read returned %v, want an error containing %q", a, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestReadHeaderVariants(t *testing.T) {
	data := make([]byte, 8)
	binary.LittleEndian.PutUint64(data, math.Float64bits(2.5))
	cases := []struct {
		name string
		dict string
	}{
		{"double quotes", `{"descr": "<f8", "fortran_order": False, "shape": (1,)}`},
		{"key order", "{'shape': (1,), 'fortran_order': False, 'descr': '<f8'}"},
		{"python 2 long", "{'descr': '<f8', 'fortran_order': False, 'shape': (1L,), }"},
		{"native order", "{'descr': '=f8', 'fortran_order': False, 'shape': (1,), }"},
		{"no spaces", "{'descr':'<f8','fortran_order':False,'shape':(1,)}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Read(bytes.NewReader(npyBytes(2, tc.dict+"\n", data)))
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Float64(); len(got) != 1 || got[0] != 2.5 {
				t.Errorf("got %v, want [2.5]", got)
			}
		})
	}
}

func TestReadFileErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	good, err := Marshal([]int{2}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"trailing.npy", append(good, 0, 0, 0), "3 bytes after the data"},
		{"garbage.bin", []byte("hello"), "unknown format"},
		{"empty.dat", nil, "file is empty"},
		{"truncated.npy", good[:len(good)-3], "header says [2] float64 = 16 bytes, file has 13"},
		{"ragged.json", []byte("[[1, 2], [3]]"), "ragged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			if err == nil {
				t.Fatalf("ReadFile(%s) succeeded, want an error", tc.name)
			}
			if !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want the path and %q", err, tc.want)
			}
		})
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.npy")); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: error %v, want one naming missing.npy", err)
	}
}

func TestReadFileSniffsFormat(t *testing.T) {
	dir := t.TempDir()
	npyData, err := Marshal([]int{1, 2}, []float32{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"array.bin":  npyData,
		"array.txt":  []byte("\n  [[3, 4]]\n"),
		"array.JSON": []byte("[[3, 4]]"),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(a.Shape, []int{1, 2}) || !reflect.DeepEqual(a.Float64(), []float64{3, 4}) {
			t.Errorf("%s: got %v %v, want [1 2] [3 4]", name, a, a.Float64())
		}
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		data  any
		want  string
	}{
		{"length mismatch", []int{2, 2}, []float64{1, 2, 3}, "needs 4 elements, got 3"},
		{"unsupported type", []int{1}, []string{"a"}, "cannot write []string"},
		{"negative dimension", []int{-1}, []float64{}, "negative dimension"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.shape, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAccessorTypeErrors(t *testing.T) {
	f, err := NewFloat64([]int{1}, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Int64(); err == nil {
		t.Error("Int64 of a float64 array succeeded, want an error")
	}
	if _, err := f.Bool(); err == nil {
		t.Error("Bool of a float64 array succeeded, want an error")
	}
	if _, err := NewFloat32([]int{2}, []float32{1}); err == nil {
		t.Error("NewFloat32 with 1 element for shape [2] succeeded, want an error")
	}
}

func FuzzRead(f *testing.F) {
	entries, _ := filepath.Glob("testdata/*.npy")
	for _, e := range entries {
		if b, err := os.ReadFile(e); err == nil {
			f.Add(b)
		}
	}
	f.Add(npyBytes(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", make([]byte, 32)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever Read accepts must survive a write and a second read.
		var buf bytes.Buffer
		if err := WriteArray(&buf, a); err != nil {
			t.Fatalf("WriteArray(%v): %v", a, err)
		}
		b, err := Read(&buf)
		if err != nil {
			t.Fatalf("reading back %v: %v", a, err)
		}
		if !reflect.DeepEqual(a.Shape, b.Shape) || a.DType != b.DType || !bytes.Equal(a.raw, b.raw) {
			t.Fatalf("round trip changed %v into %v", a, b)
		}
	})
}
