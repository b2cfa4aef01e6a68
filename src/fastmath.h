/*
** fastmath.h — float32 exp and tanh that the compiler can vectorise.
**
** glibc's expf and tanhf are a call per element (3-4 ns and 15 ns here); these
** are branch-free, so loops over them become SIMD loops.  Shared by the
** elementwise ops and the fused pointwise MLP.  The files that use them in
** loops enable the vectoriser (see the pragma in ops_elementwise.c).
*/
#ifndef M1D_FASTMATH_H
#define M1D_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Inlined even into a function built for another target (target_clones), where
   GCC would otherwise call the default-target copy once per element. */
#if defined(__GNUC__)
#define M1D_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define M1D_ALWAYS_INLINE inline
#endif

/* exp(c) for c already within [-87.3, 88.7]: the body of fast_expf, shared with tanhf_abs */
static M1D_ALWAYS_INLINE float expf_in_range (float c) {
  float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = c - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &e, sizeof scale);
  return p * scale;
}

/* exp for float32 that vectorises (glibc's expf is a call per element, 3-4 ns):
   exp(x) = 2^n exp(r), n = round(x / ln 2) by the 1.5*2^23 trick, r = x - n ln 2 in
   two parts (Cody-Waite), exp(r) by Cephes' degree-6 polynomial.  Max error
   1.4 ulp over [-87, 88] (checked against double exp in tests); saturates to 0
   and +Inf outside, and NaN stays NaN. */
static M1D_ALWAYS_INLINE float fast_expf (float x) {
  /* written so that NaN clamps to -87.3 too: a NaN reaching (int32_t)n was undefined */
  float c = x > -87.3f ? (x < 88.7f ? x : 88.7f) : -87.3f;
  float y = expf_in_range(c);
  y = x > 88.7f ? INFINITY : y;
  y = x < -87.3f ? 0.0f : y;
  return x != x ? x : y;
}

/* the logistic sigmoid 1 / (1 + exp(-x)) on fast_expf: saturates to 0 and 1, NaN stays NaN */
static M1D_ALWAYS_INLINE float fast_sigmoidf (float x) {
  return 1.0f / (1.0f + fast_expf(-x));
}

/* tanh for float32 that vectorises (glibc's tanhf is 15 ns per element): Cephes'
   odd polynomial below |x| = 0.625, 1 - 2 / (exp(2|x|) + 1) above it (no
   cancellation there).  Max error 2.3 ulp (checked in tests). */
static M1D_ALWAYS_INLINE float fast_tanhf (float x) {
  float a = x < 0 ? -x : x, z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
                  + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
  float big = 1.0f - 2.0f / (fast_expf(2.0f * a) + 1.0f);
  big = x < 0 ? -big : big;
  float y = a < 0.625f ? small : big;
  return x != x ? x : y;
}

/* tanh for float32 to an absolute (not relative) error of about 2e-7, for sums of
   many tanh terms (the pointwise MLP): (e - 1) / (e + 1) with e = exp(2x), x
   clamped to [-9, 9] (where tanh is within 1e-7 of +-1), with a lean exp that
   needs no overflow or underflow handling there.  Near 0 the subtraction e - 1
   leaves an absolute error of a few 1e-8, which fast_tanhf avoids at twice the
   cost.  NaN stays NaN. */
static M1D_ALWAYS_INLINE float tanhf_abs (float x) {
  float c = x > -9.0f ? (x < 9.0f ? x : 9.0f) : -9.0f;   /* NaN clamps too: (int32_t)NaN is undefined */
  float ex = expf_in_range(2.0f * c);
  float y = (ex - 1.0f) / (ex + 1.0f);
  return x != x ? x : y;
}

/* log(sum_j exp(p[j])) of a float32 row, the sum in double: the max, then the shifted
   exps in blocks of 64 through a buffer (a loop the vectoriser takes; summing them
   directly into a double is a serial chain of scalar exps), then their sum in order.
   Shared by softmax and cross_entropy.  As with double exp: a NaN, a +Inf or a row of
   -Inf gives NaN. */
static M1D_ALWAYS_INLINE double lse_row_f32 (const float *p, int64_t len, int64_t stride) {
  float mx = -INFINITY, e[64];
  for (int64_t j = 0; j < len; j++) if (p[j * stride] > mx) mx = p[j * stride];
  double s = 0;
  for (int64_t j0 = 0; j0 < len; j0 += 64) {
    int64_t m = len - j0 < 64 ? len - j0 : 64;
    const float *q = p + j0 * stride;
    if (stride == 1) for (int64_t j = 0; j < m; j++) e[j] = fast_expf(q[j] - mx);
    else for (int64_t j = 0; j < m; j++) e[j] = fast_expf(q[j * stride] - mx);
    for (int64_t j = 0; j < m; j++) s += e[j];
  }
  return (double)mx + log(s);
}

/* The same for a float64 row, with libm's exp (softmax, log_softmax, cross_entropy and
   its backward share it, so their row sums are the same bits). */
static M1D_ALWAYS_INLINE double lse_row_f64 (const double *p, int64_t len, int64_t stride) {
  double mx = -INFINITY, s = 0;
  for (int64_t j = 0; j < len; j++) if (p[j * stride] > mx) mx = p[j * stride];
  for (int64_t j = 0; j < len; j++) s += exp(p[j * stride] - mx);
  return mx + log(s);
}

#endif
