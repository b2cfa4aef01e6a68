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

#define ADAM_LOOP(T)                                                                     \
  {                                                                                      \
    T *pp = m1d_data(p), *mm = m1d_data(m), *vv = m1d_data(v);                           \
    const T *gg = m1d_data(g);                                                           \
    for (int64_t i = 0; i < n; i++) {                                                    \
      double pi = pp[i], gi = gg[i];                                                     \
      if (decoupled) pi *= 1 - lr * weight_decay;                                        \
      else gi += weight_decay * pi;                                                      \
      mm[i] = (T)(beta1 * (double)mm[i] + (1 - beta1) * gi);                             \
      vv[i] = (T)(beta2 * (double)vv[i] + (1 - beta2) * gi * gi);                        \
      double denom = sqrt((double)vv[i]) / bc2_sqrt + eps;                               \
      pp[i] = (T)(pi - step_size * (double)mm[i] / denom);                               \
    }                                                                                    \
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
  if (p->dtype == M1D_F32) ADAM_LOOP(float) else ADAM_LOOP(double)
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
