package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// magic starts every .npy file.
const magic = "\x93NUMPY"

// maxHeaderLen bounds the header dict. numpy 1.24 rejects headers over
// 10000 bytes by default when loading, so real files stay far below this.
const maxHeaderLen = 1 << 20

// Read reads one array in .npy format from r. It reads exactly the bytes
// of that array, so several arrays saved one after another into the same
// stream can be read by calling Read repeatedly.
func Read(r io.Reader) (*Array, error) {
	// Preamble: magic, version and header length.
	pre := make([]byte, len(magic)+2)
	if n, err := io.ReadFull(r, pre); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty file: want an NPY array starting with %q", magic)
		}
		if !bytes.HasPrefix([]byte(magic), pre[:n]) {
			return nil, fmt.Errorf("not an NPY file: bad magic %q, want %q", pre[:n], magic)
		}
		return nil, fmt.Errorf("truncated NPY preamble: %d bytes", n)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, fmt.Errorf("not an NPY file: bad magic %q, want %q", pre[:len(magic)], magic)
	}
	major, minor := pre[len(magic)], pre[len(magic)+1]
	var lenBytes int
	switch {
	case major == 1 && minor == 0:
		lenBytes = 2
	case (major == 2 || major == 3) && minor == 0:
		lenBytes = 4
	default:
		return nil, fmt.Errorf("unsupported NPY format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	lb := make([]byte, lenBytes)
	if _, err := io.ReadFull(r, lb); err != nil {
		return nil, fmt.Errorf("truncated NPY preamble: missing the header length")
	}
	var hlen int
	if lenBytes == 2 {
		hlen = int(binary.LittleEndian.Uint16(lb))
	} else {
		hlen = int(binary.LittleEndian.Uint32(lb))
	}
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf("NPY header length %d exceeds the limit of %d bytes", hlen, maxHeaderLen)
	}

	// Header dict.
	htext := make([]byte, hlen)
	if n, err := io.ReadFull(r, htext); err != nil {
		return nil, fmt.Errorf("truncated NPY header: length field says %d bytes, file has %d", hlen, n)
	}
	if major < 3 {
		// Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8. The parser only
		// accepts ASCII in the parts it interprets, so both decode alike.
		htext = bytes.ToValidUTF8(htext, []byte("?"))
	}
	h, err := parseHeader(string(htext))
	if err != nil {
		return nil, err
	}
	dtype, bigEndian, err := parseDescr(h.descr)
	if err != nil {
		return nil, err
	}
	n, err := elementCount(h.shape)
	if err != nil {
		return nil, fmt.Errorf("invalid header: %v", strings.TrimPrefix(err.Error(), "npy: "))
	}

	// Data. Reading through a LimitReader grows the buffer with the bytes
	// that really arrive, so a header that claims a huge shape cannot make
	// Read allocate it before the data is there.
	want := n * dtype.Size()
	raw, err := io.ReadAll(io.LimitReader(r, int64(want)))
	if err != nil {
		return nil, fmt.Errorf("read NPY data: %w", err)
	}
	if len(raw) < want {
		return nil, fmt.Errorf("truncated data: header says %s %s = %d bytes, file has %d", ShapeString(h.shape), dtype, want, len(raw))
	}
	if bigEndian {
		swapBytes(raw, dtype.Size())
	}
	if dtype == Bool {
		for i, b := range raw {
			if b > 1 {
				return nil, fmt.Errorf("invalid bool element %d: byte value %d, want 0 or 1", i, b)
			}
		}
	}
	if h.fortranOrder && len(h.shape) > 1 {
		raw = fortranToC(raw, h.shape, dtype.Size())
	}
	return &Array{Shape: h.shape, DType: dtype, raw: raw}, nil
}

// swapBytes reverses the byte order of each size-byte element of raw.
func swapBytes(raw []byte, size int) {
	for off := 0; off+size <= len(raw); off += size {
		e := raw[off : off+size]
		for i, j := 0, size-1; i < j; i, j = i+1, j-1 {
			e[i], e[j] = e[j], e[i]
		}
	}
}

// fortranToC reorders column-major elements into row-major order. In
// column-major order the first index varies fastest, so the element with
// index (i₀, …, iₖ) sits at offset i₀ + d₀·(i₁ + d₁·(…)).
func fortranToC(raw []byte, shape []int, size int) []byte {
	out := make([]byte, len(raw))
	rank := len(shape)
	idx := make([]int, rank) // current C-order index, last dimension fastest
	stride := make([]int, rank)
	s := 1
	for d := 0; d < rank; d++ {
		stride[d] = s
		s *= shape[d]
	}
	n := len(raw) / size
	for c := 0; c < n; c++ {
		f := 0
		for d := 0; d < rank; d++ {
			f += idx[d] * stride[d]
		}
		copy(out[c*size:(c+1)*size], raw[f*size:(f+1)*size])
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// ReadFile reads an array from an .npy or .json file. The extension picks
// the format. For any other extension the content does: the NPY magic
// selects NPY, and a leading '[', digit or '-' selects JSON. An .npy file
// with bytes after its array is rejected, because that usually means the
// header does not describe the data. Errors start with the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)

	format := strings.ToLower(filepath.Ext(path))
	if format != ".npy" && format != ".json" {
		format, err = sniff(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	var a *Array
	if format == ".json" {
		a, err = ReadJSON(br)
	} else {
		a, err = Read(br)
		if err == nil {
			if extra, _ := io.Copy(io.Discard, br); extra > 0 {
				err = fmt.Errorf("file has %d bytes after the data of the %v array; the header does not describe the whole file", extra, a)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return a, nil
}

// sniff returns ".npy" or ".json" by looking at the first bytes of r.
func sniff(r *bufio.Reader) (string, error) {
	head, _ := r.Peek(len(magic))
	if bytes.HasPrefix(head, []byte(magic)) {
		return ".npy", nil
	}
	for {
		b, err := r.Peek(1)
		if err != nil {
			return "", fmt.Errorf("file is empty: want an NPY array or a JSON array of numbers")
		}
		switch c := b[0]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			r.ReadByte()
			continue
		case c == '[' || c == '-' || (c >= '0' && c <= '9'):
			return ".json", nil
		}
		return "", fmt.Errorf("unknown format: the file starts with neither the NPY magic %q nor a JSON array", magic)
	}
}
