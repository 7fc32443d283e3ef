// Package npy reads and writes NumPy .npy files, and reads nested JSON
// arrays of numbers into the same Array type.
//
// # Format
//
// An .npy file is the magic string "\x93NUMPY", a format version, a
// little-endian header length (2 bytes in version 1.0, 4 bytes in 2.0 and
// 3.0), a Python dict literal such as
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
//
// and then the raw elements. Read accepts versions 1.0, 2.0 and 3.0. Write
// produces version 1.0 with the header padded to a multiple of 64 bytes,
// as numpy does.
//
// # Element types
//
// Supported dtypes, by numpy descr: float32 '<f4', float64 '<f8', bool
// '|b1', int8 '|i1', int16 '<i2', int32 '<i4', int64 '<i8' and uint8
// '|u1'. Big-endian files ('>f8' and so on) are converted to native values
// on reading, so Array.DType never records the byte order. Structured,
// complex, string and object dtypes are rejected with an error naming the
// descr.
//
// # Layout
//
// An Array always stores its elements in C (row-major) order: element
// (i, j, k) of shape [a b c] is at index (i·b + j)·c + k. A file written
// with fortran_order True is transposed to row-major while it is read, so
// callers never see column-major data.
//
// # JSON
//
// ReadJSON accepts a number or nested arrays of numbers of any depth, such
// as [[1, 2], [3, 4]] for shape [2 2], and returns dtype float64. Nested
// arrays of true and false return dtype bool. Ragged arrays, strings,
// null, numbers mixed with booleans and numbers outside the float64 range
// are rejected with an error naming the element. ReadFile picks
// the format from the file extension (.npy or .json) and otherwise from
// the content.
package npy
