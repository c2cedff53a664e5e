#include "textflag.h"

// AVX2 versions of the kernels in kernels.go. Each adds in exactly the
// order of its portable twin, so both give the same bits: the distances
// keep sixteen partial sums (lanes i mod 16 of two YMM accumulators) and
// reduce them in the same tree; the updates are element-wise and use no
// fused multiply-add, which rounds differently. They handle the leading
// multiple of 16 (distances) or 8 (updates) elements; the Go side does the
// rest.

// func cpuHasAVX2() bool
TEXT ·cpuHasAVX2(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	ANDL $0x18000000, CX // OSXSAVE and AVX
	CMPL CX, $0x18000000
	JNE  no
	XORL CX, CX
	BYTE $0x0f; BYTE $0x01; BYTE $0xd0 // XGETBV: is the YMM state enabled?
	ANDL $6, AX
	CMPL AX, $6
	JNE  no
	MOVL $7, AX
	XORL CX, CX
	CPUID
	SHRL $5, BX // AVX2
	ANDL $1, BX
	MOVB BX, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET

// REDUCE16 adds the 16 lanes of Y0 and Y1 into the low lane of X4 as
// reduce16 does: t = Y0 + Y1, u = t.lo + t.hi, (u0 + u1) + (u2 + u3).
#define REDUCE16 \
	VADDPS       Y1, Y0, Y4 \
	VEXTRACTF128 $1, Y4, X5 \
	VADDPS       X5, X4, X4 \
	VHADDPS      X4, X4, X4 \
	VHADDPS      X4, X4, X4

// L1STEP adds |a − b| of the 16 elements at index AX to Y0 and Y1.
#define L1STEP \
	VMOVUPS (SI)(AX*4), Y2 \
	VMOVUPS 32(SI)(AX*4), Y3 \
	VSUBPS  (DI)(AX*4), Y2, Y2 \
	VSUBPS  32(DI)(AX*4), Y3, Y3 \
	VANDPS  Y15, Y2, Y2 \
	VANDPS  Y15, Y3, Y3 \
	VADDPS  Y2, Y0, Y0 \
	VADDPS  Y3, Y1, Y1 \
	ADDQ    $16, AX

// func l1AVX2(a, b []float32) float32
TEXT ·l1AVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	ANDQ $~15, CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ AX, AX
l1loop:
	CMPQ AX, CX
	JAE  l1done
	L1STEP
	JMP  l1loop
l1done:
	REDUCE16
	VZEROUPPER
	MOVSS X4, ret+48(FP)
	RET

// func l1WithinAVX2(a, b []float32, bound float32) float32
// Like l1AVX2, but after every 64 elements it reduces the partial sums and
// returns +Inf if they exceed bound (l1WithinScalar explains why that is
// exact).
TEXT ·l1WithinAVX2(SB), NOSPLIT, $0-60
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	MOVSS bound+48(FP), X14
	MOVQ CX, DX
	ANDQ $~63, DX
	ANDQ $~15, CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ AX, AX
wblock:
	CMPQ AX, DX
	JAE  wrest
	L1STEP
	L1STEP
	L1STEP
	L1STEP
	REDUCE16
	UCOMISS X14, X4
	JA   winf
	JMP  wblock
wrest:
	CMPQ AX, CX
	JAE  wdone
	L1STEP
	JMP  wrest
wdone:
	REDUCE16
	VZEROUPPER
	MOVSS X4, ret+56(FP)
	RET
winf:
	VZEROUPPER
	MOVL $0x7f800000, AX
	MOVL AX, ret+56(FP)
	RET

// func signStepAVX2(w float32, x, e, gx, ge []float32)
// s = |w| with the sign of (x − e) flipped by w's: gx += s, ge −= s.
TEXT ·signStepAVX2(SB), NOSPLIT, $0-104
	MOVL w+0(FP), AX
	MOVQ x_base+8(FP), SI
	MOVQ x_len+16(FP), CX
	MOVQ e_base+32(FP), DI
	MOVQ gx_base+56(FP), R8
	MOVQ ge_base+80(FP), R9
	ANDQ $~7, CX
	MOVL AX, BX
	ANDL $0x7fffffff, BX
	VMOVD BX, X13
	VPBROADCASTD X13, Y13 // |w|
	ANDL $0x80000000, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14 // w's sign
	MOVL $0x80000000, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15 // the sign bit
	XORQ AX, AX
sloop:
	CMPQ AX, CX
	JAE  sdone
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (DI)(AX*4), Y0, Y0
	VANDPS  Y15, Y0, Y0
	VORPS   Y13, Y0, Y0
	VXORPS  Y14, Y0, Y0
	VMOVUPS (R8)(AX*4), Y1
	VADDPS  Y0, Y1, Y1
	VMOVUPS Y1, (R8)(AX*4)
	VMOVUPS (R9)(AX*4), Y2
	VSUBPS  Y0, Y2, Y2
	VMOVUPS Y2, (R9)(AX*4)
	ADDQ    $8, AX
	JMP     sloop
sdone:
	VZEROUPPER
	RET

// BROADCAST sets Y reg to the float32 constant bits.
#define BROADCAST(bits, reg, xreg) \
	MOVL $bits, AX \
	VMOVD AX, xreg \
	VPBROADCASTD xreg, reg

// func adamStepAVX2(p, g, m, v []float32, stepSize, invSqrtBias2 float32)
TEXT ·adamStepAVX2(SB), NOSPLIT, $0-104
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ g_base+24(FP), DI
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	VBROADCASTSS stepSize+96(FP), Y8
	VBROADCASTSS invSqrtBias2+100(FP), Y9
	ANDQ $~7, CX
	BROADCAST(0x3f666666, Y10, X10) // float32(0.9)
	BROADCAST(0x3dcccccd, Y11, X11) // float32(0.1)
	BROADCAST(0x3f7fbe77, Y12, X12) // float32(0.999)
	BROADCAST(0x3a83126f, Y13, X13) // float32(0.001)
	BROADCAST(0x322bcc77, Y14, X14) // float32(1e-8)
	XORQ AX, AX
aloop:
	CMPQ AX, CX
	JAE  adone
	VMOVUPS (DI)(AX*4), Y0 // g
	VMULPS  (R8)(AX*4), Y10, Y1
	VMULPS  Y0, Y11, Y2
	VADDPS  Y2, Y1, Y1 // m = 0.9·m + 0.1·g
	VMOVUPS Y1, (R8)(AX*4)
	VMULPS  (R9)(AX*4), Y12, Y3
	VMULPS  Y0, Y13, Y4
	VMULPS  Y0, Y4, Y4
	VADDPS  Y4, Y3, Y3 // v = 0.999·v + (0.001·g)·g
	VMOVUPS Y3, (R9)(AX*4)
	VSQRTPS Y3, Y3
	VMULPS  Y9, Y3, Y3
	VADDPS  Y14, Y3, Y3 // √v·invSqrtBias2 + ε
	VMULPS  Y1, Y8, Y1  // stepSize·m
	VDIVPS  Y3, Y1, Y1
	VMOVUPS (SI)(AX*4), Y5
	VSUBPS  Y1, Y5, Y5
	VMOVUPS Y5, (SI)(AX*4)
	ADDQ    $8, AX
	JMP     aloop
adone:
	VZEROUPPER
	RET

// func adagradStepAVX2(p, g, v []float32, lr float32)
TEXT ·adagradStepAVX2(SB), NOSPLIT, $0-76
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ g_base+24(FP), DI
	MOVQ v_base+48(FP), R8
	VBROADCASTSS lr+72(FP), Y8
	ANDQ $~7, CX
	BROADCAST(0x5f375a86, Y9, X9)   // rsqrt32's magic
	BROADCAST(0x3f000000, Y10, X10) // 0.5
	BROADCAST(0x3fc00000, Y11, X11) // 1.5
	BROADCAST(0x1e3ce508, Y12, X12) // float32(1e-20) = adagradEps²
	XORQ AX, AX
gloop:
	CMPQ AX, CX
	JAE  gdone
	VMOVUPS (DI)(AX*4), Y0 // g
	VMULPS  Y0, Y0, Y1
	VADDPS  (R8)(AX*4), Y1, Y1 // v + g·g
	VMOVUPS Y1, (R8)(AX*4)
	VADDPS  Y12, Y1, Y1  // x = v + ε²
	VPSRLD  $1, Y1, Y2
	VPSUBD  Y2, Y9, Y2   // y = magic − bits(x)>>1
	VMULPS  Y10, Y1, Y3  // half = 0.5·x
	VMULPS  Y2, Y3, Y4
	VMULPS  Y2, Y4, Y4
	VSUBPS  Y4, Y11, Y4
	VMULPS  Y4, Y2, Y2   // y *= 1.5 − half·y·y
	VMULPS  Y2, Y3, Y4
	VMULPS  Y2, Y4, Y4
	VSUBPS  Y4, Y11, Y4
	VMULPS  Y4, Y2, Y2   // y * (1.5 − half·y·y)
	VMULPS  Y0, Y8, Y0   // lr·g
	VMULPS  Y2, Y0, Y0
	VMOVUPS (SI)(AX*4), Y5
	VSUBPS  Y0, Y5, Y5
	VMOVUPS Y5, (SI)(AX*4)
	ADDQ    $8, AX
	JMP     gloop
gdone:
	VZEROUPPER
	RET
