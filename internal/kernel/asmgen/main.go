// Command asmgen writes the amd64 assembly of package kernel with avo:
// the GEMM microkernels for float32 and float64 in AVX2+FMA and AVX-512
// forms, and the vectorised exp and max used by the float32 softmax.
//
// Run it through go generate in internal/kernel:
//
//	go run ./asmgen -out gemm_amd64.s -pkg kernel
//
// The Go declarations of the routines live in kernel_amd64.go, next to the
// reference loop each routine implements.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// microkernel describes one register-tiled GEMM microkernel: mr rows of C
// by vecs vectors of columns, each vector lanes elements wide.
type microkernel struct {
	name   string
	double bool // float64 elements when true, float32 otherwise
	wide   bool // 512-bit zmm registers when true, 256-bit ymm otherwise
	mr     int
	vecs   int

	// rowsA reads A in place, row-major with leading dimension lda,
	// instead of packed: element (i, p) is a[i*lda+p].
	rowsA bool

	// colsA reads A in place, stored transposed with leading dimension
	// lda: element (i, p) is a[p*lda+i].
	colsA bool
}

func (k microkernel) elemBytes() int {
	if k.double {
		return 8
	}
	return 4
}

func (k microkernel) vecBytes() int {
	if k.wide {
		return 64
	}
	return 32
}

// vector returns physical vector register i of the kernel's width. The
// AVX2 kernels use only registers 0–15, which exist without AVX-512.
func (k microkernel) vector(i int) VecPhysical {
	if k.wide {
		return [...]VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
			Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
	}
	if i >= 16 {
		panic(fmt.Sprintf("asmgen: %s needs ymm register %d, but AVX2 has 16", k.name, i))
	}
	return [...]VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

// generate emits the kernel. Its semantics, with C the mr×nr tile at c
// (row stride ldc elements), A packed as k columns of mr elements and B as
// k rows of nr elements with row stride ldb:
//
//	for i < mr, j < nr:
//		s := 0, or c[i*ldc+j] when accumulate != 0
//		for p < k: s = fma(a[p*mr+i], b[p*ldb+j], s)
//		c[i*ldc+j] = s
func (k microkernel) generate() {
	typ := "float32"
	if k.double {
		typ = "float64"
	}
	if k.rowsA || k.colsA {
		TEXT(k.name, NOSPLIT, fmt.Sprintf("func(k int, a *%s, lda int, b *%s, ldb int, c *%s, ldc int, accumulate int)", typ, typ, typ))
	} else {
		TEXT(k.name, NOSPLIT, fmt.Sprintf("func(k int, a, b *%s, ldb int, c *%s, ldc int, accumulate int)", typ, typ))
	}
	Doc(fmt.Sprintf("%s is a %d×%d GEMM microkernel; see kernel_amd64.go.", k.name, k.mr, k.vecs*k.vecBytes()/k.elemBytes()))

	es := k.elemBytes()
	vb := k.vecBytes()
	acc := func(i, v int) VecPhysical { return k.vector(i*k.vecs + v) }
	bReg := func(v int) VecPhysical { return k.vector(k.mr*k.vecs + v) }
	bcast := k.vector(k.mr*k.vecs + k.vecs)

	n := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	if k.double {
		SHLQ(U8(3), ldb)
	} else {
		SHLQ(U8(2), ldb)
	}
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)

	// aAt returns the address of A(i, p+u) relative to the current p.
	aAt := func(u, i int) Mem { return Mem{Base: a}.Offset((u*k.mr + i) * es) }
	aStep := func(steps int) { ADDQ(U32(steps*k.mr*es), a) }
	if k.rowsA {
		if k.mr > 8 {
			panic("asmgen: row-major A supports at most 8 rows")
		}
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(log2(es)), lda)
		lda3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		a4 := GP64()
		LEAQ(Mem{Base: a, Index: lda, Scale: 4}, a4)
		aAt = func(u, i int) Mem {
			base := a
			if i >= 4 {
				base = a4
			}
			m := Mem{Base: base}.Offset(u * es)
			switch i % 4 {
			case 1:
				m.Index, m.Scale = lda, 1
			case 2:
				m.Index, m.Scale = lda, 2
			case 3:
				m.Index, m.Scale = lda3, 1
			}
			return m
		}
		aStep = func(steps int) {
			ADDQ(U32(steps*es), a)
			ADDQ(U32(steps*es), a4)
		}
	}
	if k.colsA {
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(log2(es)), lda)
		lda3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
		aAt = func(u, i int) Mem {
			m := Mem{Base: a}.Offset(i * es)
			switch u {
			case 1:
				m.Index, m.Scale = lda, 1
			case 2:
				m.Index, m.Scale = lda, 2
			case 3:
				m.Index, m.Scale = lda3, 1
			}
			return m
		}
		aStep = func(steps int) {
			if steps == 4 {
				LEAQ(Mem{Base: a, Index: lda, Scale: 4}, a)
			} else {
				ADDQ(lda, a)
			}
		}
	}
	flag := Load(Param("accumulate"), GP64())

	Comment("Start from zero, or from C when accumulating.")
	TESTQ(flag, flag)
	JNZ(LabelRef(k.name + "_load"))
	for i := 0; i < k.mr; i++ {
		for v := 0; v < k.vecs; v++ {
			r := acc(i, v)
			if k.double {
				VXORPD(r, r, r)
			} else {
				VXORPS(r, r, r)
			}
		}
	}
	JMP(LabelRef(k.name + "_loop"))

	Label(k.name + "_load")
	{
		c := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(U8(log2(es)), ldc)
		for i := 0; i < k.mr; i++ {
			for v := 0; v < k.vecs; v++ {
				k.move(Mem{Base: c}.Offset(v*vb), acc(i, v))
			}
			if i+1 < k.mr {
				ADDQ(ldc, c)
			}
		}
	}

	Comment("Four rank-1 updates of the tile per iteration, then one at a time.")
	rows := []func(v int) Mem{
		func(v int) Mem { return Mem{Base: b}.Offset(v * vb) },
		func(v int) Mem { return Mem{Base: b, Index: ldb, Scale: 1}.Offset(v * vb) },
		func(v int) Mem { return Mem{Base: b, Index: ldb, Scale: 2}.Offset(v * vb) },
		func(v int) Mem { return Mem{Base: b, Index: ldb3, Scale: 1}.Offset(v * vb) },
	}
	step := func(u int) {
		for v := 0; v < k.vecs; v++ {
			k.move(rows[u](v), bReg(v))
		}
		for i := 0; i < k.mr; i++ {
			src := aAt(u, i)
			if k.double {
				VBROADCASTSD(src, bcast)
			} else {
				VBROADCASTSS(src, bcast)
			}
			for v := 0; v < k.vecs; v++ {
				if k.double {
					VFMADD231PD(bReg(v), bcast, acc(i, v))
				} else {
					VFMADD231PS(bReg(v), bcast, acc(i, v))
				}
			}
		}
	}
	Label(k.name + "_loop")
	CMPQ(n, U8(4))
	JL(LabelRef(k.name + "_tail"))
	for u := 0; u < 4; u++ {
		step(u)
	}
	aStep(4)
	LEAQ(Mem{Base: b, Index: ldb, Scale: 4}, b)
	SUBQ(U8(4), n)
	JMP(LabelRef(k.name + "_loop"))

	Label(k.name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(k.name + "_store"))
	step(0)
	aStep(1)
	ADDQ(ldb, b)
	DECQ(n)
	JMP(LabelRef(k.name + "_tail"))

	Label(k.name + "_store")
	{
		c := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(U8(log2(es)), ldc)
		for i := 0; i < k.mr; i++ {
			for v := 0; v < k.vecs; v++ {
				k.move(acc(i, v), Mem{Base: c}.Offset(v*vb))
			}
			if i+1 < k.mr {
				ADDQ(ldc, c)
			}
		}
	}
	VZEROUPPER()
	RET()
}

// move emits an unaligned vector load or store.
func (k microkernel) move(src, dst Op) {
	if k.double {
		VMOVUPD(src, dst)
	} else {
		VMOVUPS(src, dst)
	}
}

func log2(x int) uint8 {
	r := uint8(0)
	for x > 1 {
		x >>= 1
		r++
	}
	return r
}

// Constants of the float32 exp, each repeated across a 64-byte row so it
// serves as a full-width memory operand for ymm and zmm alike.
const (
	cLow = iota
	cHigh
	cLog2E
	cLn2Hi
	cLn2Lo
	cOne
	cC2
	cC3
	cC4
	cC5
	cC6
	cC7
	cBias
	numConsts
)

// expLow is the smallest argument whose exp is a normal float32: ln of
// 2^-126. Below it the kernels return exactly 0.
const expLow = -87.33654

func expTable() Mem {
	values := map[int]float32{
		cLow:   expLow,
		cHigh:  88.02969, // ln of 2^127: larger arguments are clamped
		cLog2E: math.Log2E,
		// ln 2 split so that n·cLn2Hi is exact for |n| < 2^9.
		cLn2Hi: 0.693359375,
		cLn2Lo: float32(math.Ln2 - 0.693359375),
		cOne:   1,
		cC2:    1.0 / 2,
		cC3:    1.0 / 6,
		cC4:    1.0 / 24,
		cC5:    1.0 / 120,
		cC6:    1.0 / 720,
		cC7:    1.0 / 5040,
	}
	tbl := GLOBL("expf32consts", RODATA|NOPTR)
	for c := 0; c < numConsts; c++ {
		for lane := 0; lane < 16; lane++ {
			off := (c*16 + lane) * 4
			switch {
			case c == cBias:
				DATA(off, U32(127))
			default:
				DATA(off, U32(math.Float32bits(values[c])))
			}
		}
	}
	return tbl
}

// generateExp emits expShiftSum: x[i] = exp(x[i] − shift) for the first
// len(x) rounded down to a whole number of vectors, returning their sum.
func generateExp(name string, wide bool, tbl Mem) {
	TEXT(name, NOSPLIT, "func(x []float32, shift float32) float32")
	Doc(name + " is the vectorised float32 exp; see kernel_amd64.go.")
	width, lanes := 32, 8
	newVec := func() VecVirtual { return YMM() }
	if wide {
		width, lanes = 64, 16
		newVec = func() VecVirtual { return ZMM() }
	}
	cst := func(c int) Mem { return tbl.Offset(c * 64) }

	ptr := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	shiftX := Load(Param("shift"), XMM())
	shift := newVec()
	VBROADCASTSS(shiftX, shift)
	sum := newVec()
	VXORPS(sum, sum, sum)

	Label(name + "_loop")
	CMPQ(n, U32(lanes))
	JL(LabelRef(name + "_done"))

	t := newVec()
	VMOVUPS(Mem{Base: ptr}, t)
	VSUBPS(shift, t, t)

	Comment("Arguments below expLow, -Inf included, give exactly 0.")
	var keepK Register
	keepV := newVec()
	if wide {
		keepK = K()
		VCMPPS(U8(0x1d), cst(cLow), t, keepK) // t ≥ low, ordered
	} else {
		VCMPPS(U8(0x1d), cst(cLow), t, keepV)
	}
	VMAXPS(cst(cLow), t, t)
	VMINPS(cst(cHigh), t, t)

	Comment("t = n·ln2 + r with n integral and |r| ≤ ln2/2.")
	nf := newVec()
	VMULPS(cst(cLog2E), t, nf)
	if wide {
		VRNDSCALEPS(U8(0), nf, nf)
	} else {
		VROUNDPS(U8(0), nf, nf)
	}
	ln2 := newVec()
	VMOVUPS(cst(cLn2Hi), ln2)
	VFNMADD231PS(ln2, nf, t)
	VMOVUPS(cst(cLn2Lo), ln2)
	VFNMADD231PS(ln2, nf, t)

	Comment("exp(r) by its Taylor polynomial of degree 7, in Horner form.")
	p := newVec()
	VMOVUPS(cst(cC7), p)
	for _, c := range []int{cC6, cC5, cC4, cC3, cC2, cOne, cOne} {
		VFMADD213PS(cst(c), t, p)
	}

	Comment("Multiply by 2^n, built in the exponent field.")
	ni := newVec()
	VCVTPS2DQ(nf, ni)
	VPADDD(cst(cBias), ni, ni)
	VPSLLD(U8(23), ni, ni)
	VMULPS(ni, p, p)
	if wide {
		VMOVAPS_Z(p, keepK, p)
	} else {
		VANDPS(keepV, p, p)
	}
	_ = keepV

	VMOVUPS(p, Mem{Base: ptr})
	VADDPS(p, sum, sum)
	ADDQ(U32(width), ptr)
	SUBQ(U32(lanes), n)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_done")
	reduceSum(sum, wide)
	VZEROUPPER()
	RET()
}

// Constants of the float64 exp, each repeated across a 64-byte row.
const (
	dLow = iota
	dHigh
	dLog2E
	dLn2Hi
	dLn2Lo
	dMagic
	dBias
	dCoef // dCoef+i is 1/i! for i = 0 … expDegree64
)

// expDegree64 is the degree of the Taylor polynomial of the float64 exp:
// its truncation error on |r| ≤ ln(2)/2 is below (ln(2)/2)^13/13! ≈ 2e-16.
const expDegree64 = 12

func expTable64() Mem {
	tbl := GLOBL("expf64consts", RODATA|NOPTR)
	row := func(c int, bits uint64) {
		for lane := 0; lane < 8; lane++ {
			DATA((c*8+lane)*8, U64(bits))
		}
	}
	row(dLow, math.Float64bits(-708.3964185322641)) // ln 2^-1022: smaller arguments give 0
	row(dHigh, math.Float64bits(709.0895657128241)) // ln 2^1023: larger arguments are clamped
	row(dLog2E, math.Float64bits(math.Log2E))
	// ln 2 split so that n·dLn2Hi is exact for |n| < 2^11.
	row(dLn2Hi, math.Float64bits(6.93147180369123816490e-01))
	row(dLn2Lo, math.Float64bits(1.90821492927058770002e-10))
	// Adding 1.5·2^52 to an integral float64 puts the integer in the low
	// bits of the mantissa.
	row(dMagic, math.Float64bits(0x1.8p52))
	row(dBias, 1023)
	f := 1.0
	for i := 0; i <= expDegree64; i++ {
		if i > 0 {
			f *= float64(i)
		}
		row(dCoef+i, math.Float64bits(1/f))
	}
	return tbl
}

// generateExp64 emits expShiftSum for float64: x[i] = exp(x[i] − shift)
// for the first len(x) rounded down to a whole number of vectors,
// returning their sum.
func generateExp64(name string, wide bool, tbl Mem) {
	TEXT(name, NOSPLIT, "func(x []float64, shift float64) float64")
	Doc(name + " is the vectorised float64 exp; see kernel_amd64.go.")
	width, lanes := 32, 4
	newVec := func() VecVirtual { return YMM() }
	if wide {
		width, lanes = 64, 8
		newVec = func() VecVirtual { return ZMM() }
	}
	cst := func(c int) Mem { return tbl.Offset(c * 64) }

	ptr := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	shiftX := Load(Param("shift"), XMM())
	shift := newVec()
	VBROADCASTSD(shiftX, shift)
	sum := newVec()
	VXORPD(sum, sum, sum)

	Label(name + "_loop")
	CMPQ(n, U32(lanes))
	JL(LabelRef(name + "_done"))

	t := newVec()
	VMOVUPD(Mem{Base: ptr}, t)
	VSUBPD(shift, t, t)

	Comment("Arguments below ln 2^-1022, -Inf included, give exactly 0.")
	var keepK Register
	keepV := newVec()
	if wide {
		keepK = K()
		VCMPPD(U8(0x1d), cst(dLow), t, keepK)
	} else {
		VCMPPD(U8(0x1d), cst(dLow), t, keepV)
	}
	VMAXPD(cst(dLow), t, t)
	VMINPD(cst(dHigh), t, t)

	Comment("t = n·ln2 + r with n integral and |r| ≤ ln2/2.")
	nf := newVec()
	VMULPD(cst(dLog2E), t, nf)
	if wide {
		VRNDSCALEPD(U8(0), nf, nf)
	} else {
		VROUNDPD(U8(0), nf, nf)
	}
	ln2 := newVec()
	VMOVUPD(cst(dLn2Hi), ln2)
	VFNMADD231PD(ln2, nf, t)
	VMOVUPD(cst(dLn2Lo), ln2)
	VFNMADD231PD(ln2, nf, t)

	Comment("exp(r) by its Taylor polynomial, in Horner form.")
	p := newVec()
	VMOVUPD(cst(dCoef+expDegree64), p)
	for i := expDegree64 - 1; i >= 0; i-- {
		VFMADD213PD(cst(dCoef+i), t, p)
	}

	Comment("Multiply by 2^n, built in the exponent field.")
	ni := newVec()
	VADDPD(cst(dMagic), nf, ni)
	VPADDQ(cst(dBias), ni, ni)
	VPSLLQ(U8(52), ni, ni)
	VMULPD(ni, p, p)
	if wide {
		VMOVAPD_Z(p, keepK, p)
	} else {
		VANDPD(keepV, p, p)
	}

	VMOVUPD(p, Mem{Base: ptr})
	VADDPD(p, sum, sum)
	ADDQ(U32(width), ptr)
	SUBQ(U32(lanes), n)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_done")
	if wide {
		hi := YMM()
		VEXTRACTF64X4(U8(1), sum, hi)
		VADDPD(hi, sum.AsY(), sum.AsY())
	}
	hx := XMM()
	VEXTRACTF128(U8(1), sum.AsY(), hx)
	x := sum.AsX()
	VADDPD(hx, x, x)
	tx := XMM()
	VPERMILPD(U8(1), x, tx)
	VADDSD(tx, x, x)
	Store(x, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// reduceSum adds the lanes of sum in a fixed order and stores the result
// as the float32 return value.
func reduceSum(sum VecVirtual, wide bool) {
	if wide {
		hi := YMM()
		VEXTRACTF32X8(U8(1), sum, hi)
		lo := sum.AsY()
		VADDPS(hi, lo, lo)
	}
	y := sum.AsY()
	hx := XMM()
	VEXTRACTF128(U8(1), y, hx)
	x := sum.AsX()
	VADDPS(hx, x, x)
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x)
	VMOVSHDUP(x, t)
	VADDSS(t, x, x)
	Store(x, ReturnIndex(0))
}

// generateMax emits the maximum of the first len(x) elements rounded down
// to a whole number of vectors (four at a time), or -Inf if there are none.
func generateMax(name string, wide bool) {
	TEXT(name, NOSPLIT, "func(x []float32) float32")
	Doc(name + " is the vectorised float32 maximum; see kernel_amd64.go.")
	width, lanes := 32, 8
	newVec := func() VecVirtual { return YMM() }
	if wide {
		width, lanes = 64, 16
		newVec = func() VecVirtual { return ZMM() }
	}
	ptr := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())

	negInf := GP32()
	MOVL(U32(math.Float32bits(float32(math.Inf(-1)))), negInf)
	nx := XMM()
	MOVD(negInf, nx)
	m := make([]VecVirtual, 4)
	for i := range m {
		m[i] = newVec()
		VBROADCASTSS(nx, m[i])
	}

	Label(name + "_loop4")
	CMPQ(n, U32(4*lanes))
	JL(LabelRef(name + "_loop1"))
	for i := range m {
		VMAXPS(Mem{Base: ptr}.Offset(i*width), m[i], m[i])
	}
	ADDQ(U32(4*width), ptr)
	SUBQ(U32(4*lanes), n)
	JMP(LabelRef(name + "_loop4"))

	Label(name + "_loop1")
	CMPQ(n, U32(lanes))
	JL(LabelRef(name + "_done"))
	VMAXPS(Mem{Base: ptr}, m[0], m[0])
	ADDQ(U32(width), ptr)
	SUBQ(U32(lanes), n)
	JMP(LabelRef(name + "_loop1"))

	Label(name + "_done")
	VMAXPS(m[1], m[0], m[0])
	VMAXPS(m[3], m[2], m[2])
	VMAXPS(m[2], m[0], m[0])
	if wide {
		hi := YMM()
		VEXTRACTF32X8(U8(1), m[0], hi)
		VMAXPS(hi, m[0].AsY(), m[0].AsY())
	}
	hx := XMM()
	VEXTRACTF128(U8(1), m[0].AsY(), hx)
	x := m[0].AsX()
	VMAXPS(hx, x, x)
	t := XMM()
	VMOVHLPS(x, x, t)
	VMAXPS(t, x, x)
	VMOVSHDUP(x, t)
	VMAXSS(t, x, x)
	Store(x, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// generateFMALoop emits a loop of 12 independent float32 vector FMAs per
// iteration: enough chains to cover the FMA latency, so it runs at the
// peak FMA throughput.
func generateFMALoop(name string, wide bool) {
	TEXT(name, NOSPLIT, "func(iterations int)")
	Doc(name + " runs the FMA peak loop; see kernel_amd64.go.")
	k := microkernel{name: name, wide: wide}
	n := Load(Param("iterations"), GP64())
	for i := 0; i < 14; i++ {
		VXORPS(k.vector(i), k.vector(i), k.vector(i))
	}
	Label(name + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	for i := 0; i < 12; i++ {
		VFMADD231PS(k.vector(12), k.vector(13), k.vector(i))
	}
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("!noasm")

	for _, k := range []microkernel{
		{name: "gemmF32AVX512", wide: true, mr: 8, vecs: 2},
		{name: "gemmF64AVX512", double: true, wide: true, mr: 8, vecs: 2},
		{name: "gemmF32AVX2", mr: 6, vecs: 2},
		{name: "gemmF64AVX2", double: true, mr: 6, vecs: 2},
		{name: "gemmRowsF32AVX512", wide: true, mr: 8, vecs: 2, rowsA: true},
		{name: "gemmRowsF64AVX512", double: true, wide: true, mr: 8, vecs: 2, rowsA: true},
		{name: "gemmRowsF32AVX2", mr: 6, vecs: 2, rowsA: true},
		{name: "gemmRowsF64AVX2", double: true, mr: 6, vecs: 2, rowsA: true},
		{name: "gemmColsF32AVX512", wide: true, mr: 8, vecs: 2, colsA: true},
		{name: "gemmColsF64AVX512", double: true, wide: true, mr: 8, vecs: 2, colsA: true},
		{name: "gemmColsF32AVX2", mr: 6, vecs: 2, colsA: true},
		{name: "gemmColsF64AVX2", double: true, mr: 6, vecs: 2, colsA: true},
	} {
		k.generate()
	}

	tbl := expTable()
	generateExp("expShiftSumF32AVX512", true, tbl)
	generateExp("expShiftSumF32AVX2", false, tbl)
	tbl64 := expTable64()
	generateExp64("expShiftSumF64AVX512", true, tbl64)
	generateExp64("expShiftSumF64AVX2", false, tbl64)
	generateMax("maxF32AVX512", true)
	generateMax("maxF32AVX2", false)
	generateFMALoop("fmaLoopAVX512", true)
	generateFMALoop("fmaLoopAVX2", false)

	Generate()
}
