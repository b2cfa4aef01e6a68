/*
** optim.c — torch.optim's SGD, Adam/AdamW and RMSprop as one-pass in-place
** kernels.  Every tensor involved must be contiguous, of one float dtype and
** of one shape (parameters and their state always are); the caller's Lua
** layer creates the state with zeros_like.  Arithmetic is in double and
** rounded once per element, so float32 results match torch's to an ulp or two.
*/
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

#define AT(t, i) ((t)->dtype == M1D_F32 ? (double)((float *)m1d_data(t))[i] : ((double *)m1d_data(t))[i])
#define PUT(t, i, v) do { if ((t)->dtype == M1D_F32) ((float *)m1d_data(t))[i] = (float)(v); \
                          else ((double *)m1d_data(t))[i] = (v); } while (0)

int m1d_sgd_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *buf, double lr,
                    double momentum, double dampening, double weight_decay, int nesterov, int first) {
  if (check("sgd", p, g, buf, NULL) < 0) return -1;
  if (momentum != 0 && buf == NULL) return m1d_failcode("sgd: momentum needs a buffer");
  int64_t n = m1d_numel(p);
  for (int64_t i = 0; i < n; i++) {
    double d = AT(g, i) + weight_decay * AT(p, i);
    if (momentum != 0) {
      double b = first ? d : momentum * AT(buf, i) + (1 - dampening) * d;
      PUT(buf, i, b);
      b = AT(buf, i);                 /* the stored (rounded) buffer, as torch uses it */
      d = nesterov ? d + momentum * b : b;
    }
    PUT(p, i, AT(p, i) - lr * d);
  }
  return 0;
}

int m1d_adam_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *m, m1d_Tensor *v,
                     int64_t step, double lr, double beta1, double beta2, double eps,
                     double weight_decay, int decoupled) {
  if (check("adam", p, g, m, v) < 0) return -1;
  if (step < 1) return m1d_failcode("adam: step must start at 1");
  int64_t n = m1d_numel(p);
  double bc1 = 1 - pow(beta1, (double)step), bc2 = 1 - pow(beta2, (double)step);
  double step_size = lr / bc1, bc2_sqrt = sqrt(bc2);
  for (int64_t i = 0; i < n; i++) {
    double pi = AT(p, i), gi = AT(g, i);
    if (decoupled) pi *= 1 - lr * weight_decay;
    else gi += weight_decay * pi;
    PUT(m, i, beta1 * AT(m, i) + (1 - beta1) * gi);
    PUT(v, i, beta2 * AT(v, i) + (1 - beta2) * gi * gi);
    double denom = sqrt(AT(v, i)) / bc2_sqrt + eps;
    PUT(p, i, pi - step_size * AT(m, i) / denom);
  }
  return 0;
}

int m1d_rmsprop_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *sq, double lr,
                        double alpha, double eps, double weight_decay) {
  if (check("rmsprop", p, g, sq, NULL) < 0) return -1;
  int64_t n = m1d_numel(p);
  for (int64_t i = 0; i < n; i++) {
    double gi = AT(g, i) + weight_decay * AT(p, i);
    PUT(sq, i, alpha * AT(sq, i) + (1 - alpha) * gi * gi);
    PUT(p, i, AT(p, i) - lr * gi / (sqrt(AT(sq, i)) + eps));
  }
  return 0;
}
