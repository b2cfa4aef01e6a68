/*
** optim.c — torch.optim's SGD, Adam/AdamW and RMSprop as one-pass in-place
** kernels.  Every tensor involved must be contiguous, of one float dtype and
** of one shape (parameters and their state always are); the caller's Lua
** layer creates the state with zeros_like.  Arithmetic is in double and
** rounded once per element, so float32 results match torch's to an ulp or two.
*/
/* GCC vectorises at -O2 only loops it can prove need no epilogue; these elementwise
   loops pay off with the dynamic cost model (no reassociation: results unchanged). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <math.h>
#include "optim.h"

static int check (const char *op, const m1d_Tensor *p, const m1d_Tensor *g, const m1d_Tensor *s1,
                  const m1d_Tensor *s2) {
  const m1d_Tensor *all[4] = {p, g, s1, s2};
  if (p->dtype == M1D_I64) return m1d_failcode("%s: parameter must be float, got int64", op);
  for (int i = 0; i < 4; i++) {
    const m1d_Tensor *t = all[i];
    if (t == NULL) continue;
    if (!m1d_same_shape(t, p) || t->dtype != p->dtype)
      return m1d_failcode("%s: parameter %s %s and %s %s %s differ", op, m1d_dtype_name(p->dtype),
                          m1d_shapestr(p).s, i == 1 ? "gradient" : "state", m1d_dtype_name(t->dtype),
                          m1d_shapestr(t).s);
    if (!m1d_is_contiguous(t)) return m1d_failcode("%s: tensors must be contiguous", op);
  }
  return 0;
}

/* A hyperparameter in [lo, hi] (hi_open: [lo, hi)); NaN and infinities never pass, so a
   NaN learning rate is an error here instead of NaN parameters after the step. */
static int hyper (const char *op, const char *name, double v, double lo, double hi, int hi_open) {
  if (isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi)) return 0;
  if (isinf(hi) && isinf(lo)) return m1d_failcode("%s: %s must be a finite number, got %g", op, name, v);
  if (isinf(hi)) return m1d_failcode("%s: %s must be a finite number >= %g, got %g", op, name, lo, v);
  return m1d_failcode("%s: %s must be a finite number in [%g, %g%c, got %g", op, name, lo, hi,
                      hi_open ? ')' : ']', v);
}

/* Each update is written once as a macro over the element type, so the float32
   loop reads raw floats (no per-element dtype dispatch) and vectorises. */

#define SGD_LOOP(T)                                                                      \
  {                                                                                      \
    T *pp = m1d_data(p), *bb = buf ? m1d_data(buf) : NULL;                               \
    const T *gg = m1d_data(g);                                                           \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double d = (double)gg[i] + weight_decay * (double)pp[i];                           \
      if (momentum != 0) {                                                               \
        bb[i] = (T)(first ? d : momentum * (double)bb[i] + (1 - dampening) * d);          \
        d = nesterov ? d + momentum * (double)bb[i] : (double)bb[i];                     \
      }                                                                                  \
      pp[i] = (T)((double)pp[i] - lr * d);                                               \
    }                                                                                    \
  }

int m1d_sgd_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *buf, double lr,
                    double momentum, double dampening, double weight_decay, int nesterov, int first) {
  if (check("sgd", p, g, buf, NULL) < 0) return -1;
  if (hyper("sgd", "lr", lr, 0, HUGE_VAL, 0) || hyper("sgd", "momentum", momentum, 0, HUGE_VAL, 0) ||
      hyper("sgd", "dampening", dampening, -HUGE_VAL, HUGE_VAL, 0) ||
      hyper("sgd", "weight_decay", weight_decay, 0, HUGE_VAL, 0)) return -1;
  if (momentum != 0 && buf == NULL) return m1d_failcode("sgd: momentum needs a buffer");
  int64_t n = m1d_numel(p);
  if (p->dtype == M1D_F32) SGD_LOOP(float) else SGD_LOOP(double)
  return 0;
}

/* The Adam loop is the one optimizer kernel that shows in profiles: scalar, it was a
   third of a lottery-MLP step (two divisions and a square root per element).  GCC will
   not vectorise it at -O2 (sqrt may set errno, so it becomes a call behind a branch), so
   the float32 loop also has AVX-512 and AVX2 versions, picked at run time.  They do the
   same operations in the same order in double (IEEE mul/add/div/sqrt and the final
   rounding to float are correctly rounded, and there is no FMA), so every version gives
   bit-identical results; the scalar loop handles the tail and other CPUs. */
#define ADAM_LOOP(T, DECOUPLED, START)                                                   \
  {                                                                                      \
    for (int64_t i = (START); i < n; i++) {                                              \
      double pi = pp[i], gi = gg[i];                                                     \
      if (DECOUPLED) pi *= 1 - lr * weight_decay;                                        \
      else gi += weight_decay * pi;                                                      \
      mm[i] = (T)(beta1 * (double)mm[i] + (1 - beta1) * gi);                             \
      vv[i] = (T)(beta2 * (double)vv[i] + (1 - beta2) * gi * gi);                        \
      double denom = sqrt((double)vv[i]) / bc2_sqrt + eps;                               \
      pp[i] = (T)(pi - step_size * (double)mm[i] / denom);                               \
    }                                                                                    \
  }

#define ADAM_ARGS float *pp, const float *gg, float *mm, float *vv, int64_t n, double step_size, \
                  double bc2_sqrt, double lr, double beta1, double beta2, double eps,           \
                  double weight_decay, int decoupled

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define ADAM_SIMD 1

/* One body for both widths: W floats per iteration, VD the double vector type, the
   P(...) prefix names its intrinsics; returns the first index left for the scalar tail. */
#define ADAM_SIMD_BODY(W, VD, P, LOADF, STOREF)                                          \
  {                                                                                      \
    const VD decay = P##_set1_pd(1 - lr * weight_decay), wd = P##_set1_pd(weight_decay);  \
    const VD b1 = P##_set1_pd(beta1), b1c = P##_set1_pd(1 - beta1);                       \
    const VD b2 = P##_set1_pd(beta2), b2c = P##_set1_pd(1 - beta2);                       \
    const VD bc2s = P##_set1_pd(bc2_sqrt), ep = P##_set1_pd(eps), ss = P##_set1_pd(step_size); \
    int64_t i = 0;                                                                       \
    for (; i + (W) <= n; i += (W)) {                                                     \
      VD pi = P##_cvtps_pd(LOADF(pp + i)), gi = P##_cvtps_pd(LOADF(gg + i));             \
      if (decoupled) pi = P##_mul_pd(pi, decay);                                         \
      else gi = P##_add_pd(gi, P##_mul_pd(wd, pi));                                      \
      VD m = P##_add_pd(P##_mul_pd(b1, P##_cvtps_pd(LOADF(mm + i))), P##_mul_pd(b1c, gi));  \
      VD v = P##_add_pd(P##_mul_pd(b2, P##_cvtps_pd(LOADF(vv + i))),                    \
                        P##_mul_pd(P##_mul_pd(b2c, gi), gi));                            \
      STOREF(mm + i, P##_cvtpd_ps(m));                                                   \
      STOREF(vv + i, P##_cvtpd_ps(v));                                                   \
      m = P##_cvtps_pd(LOADF(mm + i));            /* the rounded values, as the scalar loop */ \
      v = P##_cvtps_pd(LOADF(vv + i));                                                   \
      VD denom = P##_add_pd(P##_div_pd(P##_sqrt_pd(v), bc2s), ep);                       \
      STOREF(pp + i, P##_cvtpd_ps(P##_sub_pd(pi, P##_div_pd(P##_mul_pd(ss, m), denom)))); \
    }                                                                                    \
    return i;                                                                            \
  }

__attribute__((target("avx512f"))) static int64_t adam_f32_avx512 (ADAM_ARGS)
  ADAM_SIMD_BODY(8, __m512d, _mm512, _mm256_loadu_ps, _mm256_storeu_ps)

__attribute__((target("avx2"))) static int64_t adam_f32_avx2 (ADAM_ARGS)
  ADAM_SIMD_BODY(4, __m256d, _mm256, _mm_loadu_ps, _mm_storeu_ps)
#endif

static void adam_f32 (ADAM_ARGS) {
  int64_t start = 0;
#ifdef ADAM_SIMD
  if (__builtin_cpu_supports("avx512f"))
    start = adam_f32_avx512(pp, gg, mm, vv, n, step_size, bc2_sqrt, lr, beta1, beta2, eps, weight_decay, decoupled);
  else if (__builtin_cpu_supports("avx2"))
    start = adam_f32_avx2(pp, gg, mm, vv, n, step_size, bc2_sqrt, lr, beta1, beta2, eps, weight_decay, decoupled);
#endif
  if (decoupled) ADAM_LOOP(float, 1, start) else ADAM_LOOP(float, 0, start)
}

static void adam_f64 (double *pp, const double *gg, double *mm, double *vv, int64_t n, double step_size,
                      double bc2_sqrt, double lr, double beta1, double beta2, double eps,
                      double weight_decay, int decoupled) {
  if (decoupled) ADAM_LOOP(double, 1, 0) else ADAM_LOOP(double, 0, 0)
}

int m1d_adam_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *m, m1d_Tensor *v,
                     int64_t step, double lr, double beta1, double beta2, double eps,
                     double weight_decay, int decoupled) {
  if (check("adam", p, g, m, v) < 0) return -1;
  if (hyper("adam", "lr", lr, 0, HUGE_VAL, 0) || hyper("adam", "beta1", beta1, 0, 1, 1) ||
      hyper("adam", "beta2", beta2, 0, 1, 1) || hyper("adam", "eps", eps, 0, HUGE_VAL, 0) ||
      hyper("adam", "weight_decay", weight_decay, 0, HUGE_VAL, 0)) return -1;
  if (step < 1) return m1d_failcode("adam: step must start at 1");
  int64_t n = m1d_numel(p);
  double bc1 = 1 - pow(beta1, (double)step), bc2 = 1 - pow(beta2, (double)step);
  double step_size = lr / bc1, bc2_sqrt = sqrt(bc2);
  if (p->dtype == M1D_F32)
    adam_f32(m1d_data(p), m1d_data(g), m1d_data(m), m1d_data(v), n, step_size, bc2_sqrt, lr, beta1, beta2,
             eps, weight_decay, decoupled);
  else
    adam_f64(m1d_data(p), m1d_data(g), m1d_data(m), m1d_data(v), n, step_size, bc2_sqrt, lr, beta1, beta2,
             eps, weight_decay, decoupled);
  return 0;
}

#define RMSPROP_LOOP(T)                                                                  \
  {                                                                                      \
    T *pp = m1d_data(p), *ss = m1d_data(sq);                                             \
    const T *gg = m1d_data(g);                                                           \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double gi = (double)gg[i] + weight_decay * (double)pp[i];                          \
      ss[i] = (T)(alpha * (double)ss[i] + (1 - alpha) * gi * gi);                        \
      pp[i] = (T)((double)pp[i] - lr * gi / (sqrt((double)ss[i]) + eps));                \
    }                                                                                    \
  }

int m1d_rmsprop_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *sq, double lr,
                        double alpha, double eps, double weight_decay) {
  if (check("rmsprop", p, g, sq, NULL) < 0) return -1;
  if (hyper("rmsprop", "lr", lr, 0, HUGE_VAL, 0) || hyper("rmsprop", "alpha", alpha, 0, HUGE_VAL, 0) ||
      hyper("rmsprop", "eps", eps, 0, HUGE_VAL, 0) ||
      hyper("rmsprop", "weight_decay", weight_decay, 0, HUGE_VAL, 0)) return -1;
  int64_t n = m1d_numel(p);
  if (p->dtype == M1D_F32) RMSPROP_LOOP(float) else RMSPROP_LOOP(double)
  return 0;
}
