package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// headerAlign is the multiple that magic, version, length and header dict
// are padded to, so the data starts aligned. numpy 1.24 pads to 64 too.
const headerAlign = 64

// Write writes data with the given shape to w in .npy format version 1.0,
// C order. data must be a []float32, []float64, []bool, []int8, []int16,
// []int32, []int64 or []uint8 with as many elements as shape describes.
func Write(w io.Writer, shape []int, data any) error {
	raw, dtype, err := encodeData(data)
	if err != nil {
		return err
	}
	n, err := elementCount(shape)
	if err != nil {
		return err
	}
	if got := len(raw) / dtype.Size(); got != n {
		return fmt.Errorf("npy: shape %s needs %d elements, got %d", ShapeString(shape), n, got)
	}
	return writeRaw(w, shape, dtype, raw)
}

// WriteArray writes a in .npy format version 1.0.
func WriteArray(w io.Writer, a *Array) error {
	return writeRaw(w, a.Shape, a.DType, a.raw)
}

// Marshal returns the .npy encoding of data with the given shape, as Write
// would write it.
func Marshal(shape []int, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, shape, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeRaw(w io.Writer, shape []int, dtype DType, raw []byte) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype.Descr(), tuple)

	// Pad with spaces and a final newline to a multiple of headerAlign.
	pre := len(magic) + 2 + 2
	total := (pre + len(dict) + 1 + headerAlign - 1) / headerAlign * headerAlign
	hlen := total - pre
	if hlen > math.MaxUint16 {
		return fmt.Errorf("npy: header of %d bytes for shape %s does not fit format version 1.0", hlen, ShapeString(shape))
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(hlen))
	buf.WriteString(dict)
	buf.WriteString(strings.Repeat(" ", hlen-len(dict)-1))
	buf.WriteByte('\n')
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(raw)
	return err
}

// encodeData converts a typed slice to little-endian bytes.
func encodeData(data any) ([]byte, DType, error) {
	switch d := data.(type) {
	case []float64:
		raw := make([]byte, 8*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
		}
		return raw, Float64, nil
	case []float32:
		raw := make([]byte, 4*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		return raw, Float32, nil
	case []bool:
		raw := make([]byte, len(d))
		for i, v := range d {
			if v {
				raw[i] = 1
			}
		}
		return raw, Bool, nil
	case []int8:
		raw := make([]byte, len(d))
		for i, v := range d {
			raw[i] = byte(v)
		}
		return raw, Int8, nil
	case []uint8:
		return append([]byte{}, d...), Uint8, nil
	case []int16:
		raw := make([]byte, 2*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
		}
		return raw, Int16, nil
	case []int32:
		raw := make([]byte, 4*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
		}
		return raw, Int32, nil
	case []int64:
		raw := make([]byte, 8*len(d))
		for i, v := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
		return raw, Int64, nil
	}
	return nil, "", fmt.Errorf("npy: cannot write %T: want a slice of float32, float64, bool, int8, int16, int32, int64 or uint8", data)
}
