package npy

import "fmt"

// DType is an element type, named as numpy names it ("float64", "bool").
type DType string

// The supported element types.
const (
	Float32 DType = "float32"
	Float64 DType = "float64"
	Bool    DType = "bool"
	Int8    DType = "int8"
	Int16   DType = "int16"
	Int32   DType = "int32"
	Int64   DType = "int64"
	Uint8   DType = "uint8"
)

// dtypeInfo describes how one DType is stored.
type dtypeInfo struct {
	kind byte // numpy kind character: 'f', 'b', 'i' or 'u'
	size int  // bytes per element
}

var dtypes = map[DType]dtypeInfo{
	Float32: {'f', 4},
	Float64: {'f', 8},
	Bool:    {'b', 1},
	Int8:    {'i', 1},
	Int16:   {'i', 2},
	Int32:   {'i', 4},
	Int64:   {'i', 8},
	Uint8:   {'u', 1},
}

// Size returns the number of bytes of one element, or 0 for an unknown
// DType.
func (d DType) Size() int { return dtypes[d].size }

// IsFloat reports whether d is float32 or float64.
func (d DType) IsFloat() bool { return dtypes[d].kind == 'f' }

// IsInteger reports whether d is a signed or unsigned integer type.
func (d DType) IsInteger() bool { k := dtypes[d].kind; return k == 'i' || k == 'u' }

// Descr returns the little-endian numpy descr of d, such as "<f8", as
// written in .npy headers.
func (d DType) Descr() string {
	info, ok := dtypes[d]
	if !ok {
		return ""
	}
	order := byte('<')
	if info.size == 1 {
		order = '|'
	}
	return fmt.Sprintf("%c%c%d", order, info.kind, info.size)
}

// parseDescr maps a numpy descr to a DType and reports whether its bytes
// are big-endian.
func parseDescr(descr string) (DType, bool, error) {
	if len(descr) < 3 {
		return "", false, fmt.Errorf("unsupported dtype %q: want one of %s", descr, supportedList)
	}
	order, rest := descr[0], descr[1:]
	for d, info := range dtypes {
		if rest != fmt.Sprintf("%c%d", info.kind, info.size) {
			continue
		}
		switch order {
		case '<', '|':
			return d, false, nil
		case '=':
			// '=' (the writer's native order) never appears in files that
			// numpy writes. It is read as little-endian.
			return d, false, nil
		case '>':
			return d, info.size > 1, nil
		}
	}
	return "", false, fmt.Errorf("unsupported dtype %q: want one of %s", descr, supportedList)
}

const supportedList = "float32 '<f4', float64 '<f8', bool '|b1', int8 '|i1', int16 '<i2', int32 '<i4', int64 '<i8' or uint8 '|u1'"
