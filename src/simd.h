/*
** simd.h — how the hot loops of m1d are compiled; include it first in a file of kernels.
**
** The pragma: GCC vectorises at -O2 only loops it can prove need no epilogue; the
** elementwise loops pay off with the dynamic cost model (no reassociation: results
** unchanged).  no-trapping-math lets it turn the clamps in fast_expf into vector selects:
** m1d never enables floating-point traps, and NaN/Inf results are unchanged.
**
** KERNEL: a function also built for AVX-512 and AVX2 (16 or 8 floats a vector instead
** of SSE2's 4), picked at load time by the CPU (GCC's target_clones).  Elementwise IEEE
** arithmetic, no FMA contraction (-ffp-contract=off) and the same inlined fast_expf and
** fast_tanhf: every build gives the same bits.  In a meta-learning inner loop the
** elementwise ops on [50,50] tensors were a quarter of the time in SSE2's 4-wide loops.
*/
#ifndef M1D_SIMD_H
#define M1D_SIMD_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KERNEL
#endif

#endif
