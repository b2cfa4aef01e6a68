/*
** optim.c — torch.optim's SGD, Adam/AdamW and RMSprop as one-pass in-place
** kernels.  Every tensor involved must be contiguous, of one float dtype and
** of one shape (parameters and their state always are); the caller's Lua
** layer creates the state with zeros_like.  SGD, RMSprop and float64 Adam
** compute in double and round once per stored element.  Float32 Adam computes
** in float32, operation by operation in the order of torch.optim.Adam's
** single-tensor path (see adam_f32), which is also what makes it cheap.
*/
/* GCC vectorises at -O2 only loops it can prove need no epilogue; these elementwise
   loops pay off with the dynamic cost model (no reassociation: results unchanged). */
#include "simd.h"
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

/* Float32 Adam, as torch.optim.Adam (1.13, single-tensor path) does it on a CPU float
   tensor: each scalar is a double rounded once to float, each operation a float one:
     AdamW:  p = p * (1 - lr*wd)                 param.mul_(1 - lr * weight_decay)
     Adam:   g = g + wd * p  (if wd != 0)        grad = grad.add(param, alpha=weight_decay)
     m = m * beta1 + (1 - beta1) * g             exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
     v = v * beta2 + ((1 - beta2) * g) * g       exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
     denom = sqrt(v) / bc2_sqrt + eps            (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
     p = p + ((-step_size) * m) / denom          param.addcdiv_(exp_avg, denom, value=-step_size)
   Adam without weight decay takes the first body with a factor of exactly 1 (p * 1 == p).
   torch's vectorised add_(x, alpha) is a fused multiply-add; nothing is fused here
   (-ffp-contract=off), so m and g can differ from torch's in the last bit.
   Float is what makes the loop cheap (16 lanes an AVX-512 vector, float division and
   square root): 3x faster than the double kernel before it.  It is a plain loop built for
   AVX-512, AVX2 and the baseline (target_clones); IEEE float operations are correctly
   rounded and none is contracted, so every clone gives the same bits (lottery_test.lua
   checks them against the formula emulated in Lua).
   Subnormals: a dead unit's weights get gradients of exactly 0, so their m decays into
   the subnormal range and stays there, and float multiplies and divides on subnormals
   take a microcode assist on Intel CPUs (6 ns instead of 0.04 ns an element here; all
   float, the lottery MLP's Adam became 2.5x slower than the double kernel).  So
   m * beta1 and (-step_size) * m are double products rounded to float (exact in double,
   so the same bits as the float product, without the assist); beta1 and -step_size are
   passed as doubles so that GCC cannot narrow them back.  m1d.set_flush_denormal removes
   the rest (the division while (-step_size) * m passes through the subnormal range).
   sqrtf may set errno, so GCC calls it behind a branch and will not vectorise the loop;
   a pragma cannot change that in GCC 12, so sqrtf is redeclared const (the instruction,
   the same correctly rounded value, errno left alone: nothing reads it). */
#if defined(__GNUC__)
float sqrtf (float) __attribute__((const));
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ADAM_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ADAM_KERNEL
#endif

/* b1 and neg_step_size hold float values but are typed double (see above). */
ADAM_KERNEL static void adam_f32 (float *pp, const float *gg, float *mm, float *vv, int64_t n,
                                  int decay_first, float decay, float wd, double b1, float b1c,
                                  float b2, float b2c, float bc2_sqrt, float eps, double neg_step_size) {
  if (decay_first)
    for (int64_t i = 0; i < n; i++) {
      float p = pp[i] * decay, g = gg[i];
      float m = (float)(mm[i] * b1) + b1c * g;
      float v = vv[i] * b2 + b2c * g * g;
      mm[i] = m;
      vv[i] = v;
      pp[i] = p + (float)(neg_step_size * m) / (sqrtf(v) / bc2_sqrt + eps);
    }
  else
    for (int64_t i = 0; i < n; i++) {
      float p = pp[i], g = gg[i] + wd * p;
      float m = (float)(mm[i] * b1) + b1c * g;
      float v = vv[i] * b2 + b2c * g * g;
      mm[i] = m;
      vv[i] = v;
      pp[i] = p + (float)(neg_step_size * m) / (sqrtf(v) / bc2_sqrt + eps);
    }
}

/* Float64 Adam: the same update in double, in the textbook order. */
#define ADAM_LOOP(DECOUPLED)                                                             \
  {                                                                                      \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double pi = pp[i], gi = gg[i];                                                     \
      if (DECOUPLED) pi *= 1 - lr * weight_decay;                                        \
      else gi += weight_decay * pi;                                                      \
      mm[i] = beta1 * mm[i] + (1 - beta1) * gi;                                          \
      vv[i] = beta2 * vv[i] + (1 - beta2) * gi * gi;                                     \
      double denom = sqrt(vv[i]) / bc2_sqrt + eps;                                       \
      pp[i] = pi - step_size * mm[i] / denom;                                            \
    }                                                                                    \
  }

static void adam_f64 (double *pp, const double *gg, double *mm, double *vv, int64_t n, double step_size,
                      double bc2_sqrt, double lr, double beta1, double beta2, double eps,
                      double weight_decay, int decoupled) {
  if (decoupled) ADAM_LOOP(1) else ADAM_LOOP(0)
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
  if (p->dtype == M1D_F32)             /* each scalar rounded to float once, as torch does */
    adam_f32(m1d_data(p), m1d_data(g), m1d_data(m), m1d_data(v), n, decoupled || weight_decay == 0,
             (float)(1 - lr * weight_decay), (float)weight_decay, (float)beta1, (float)(1 - beta1),
             (float)beta2, (float)(1 - beta2), (float)bc2_sqrt, (float)eps, (float)-step_size);
             /* (beta1 and -step_size rounded to float, then passed as doubles) */
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
