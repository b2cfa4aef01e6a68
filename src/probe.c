/*
** probe.c — the multinomial logistic objective and its gradient, fused (probe.h).
**
** Through autograd the same objective costs two exp passes over the logits (the
** cross-entropy's forward and its backward each take one) and a dozen small tensors; here
** the softmax of each row is computed once and turned into the gradient in place, between
** the two GEMMs (z = x W, gW = x^T G).
*/
#include <cblas.h>
#include <math.h>
#include "probe.h"

static int is_f64 (const m1d_Tensor *t, int ndim) {
  return t->dtype == M1D_F64 && t->ndim == ndim && m1d_is_contiguous(t);
}

int m1d_logistic_objective (const m1d_Tensor *x, const m1d_Tensor *W, const m1d_Tensor *b,
                            const m1d_Tensor *y, double l2, double scale, double *loss,
                            m1d_Tensor *gW, m1d_Tensor *gb, m1d_Tensor *scratch) {
  if (!is_f64(x, 2) || !is_f64(W, 2) || !is_f64(b, 1) || !is_f64(gW, 2) || !is_f64(gb, 1) ||
      !is_f64(scratch, 2) || y->dtype != M1D_I64 || y->ndim != 1 || !m1d_is_contiguous(y))
    return m1d_failcode("logistic_objective: x, W, b, gW, gb, scratch must be contiguous float64 "
                        "and y contiguous int64 (the probe converts them)");
  const int64_t n = x->shape[0], d = x->shape[1], C = W->shape[1];
  if (W->shape[0] != d || b->shape[0] != C || y->shape[0] != n || !m1d_same_shape(W, gW) ||
      gb->shape[0] != C || scratch->shape[0] != n || scratch->shape[1] != C || C < 1)
    return m1d_failcode("logistic_objective: shapes x %s, W %s, b %s, y %s do not fit",
                        m1d_shapestr(x).s, m1d_shapestr(W).s, m1d_shapestr(b).s, m1d_shapestr(y).s);
  const double *X = m1d_data(x), *w = m1d_data(W), *bias = m1d_data(b);
  const int64_t *Y = m1d_data(y);
  double *Z = m1d_data(scratch), *GW = m1d_data(gW), *GB = m1d_data(gb);
  for (int64_t i = 0; i < n; i++)
    if (Y[i] < 0 || Y[i] >= C)
      return m1d_failcode("logistic_objective: label %lld of row %lld is outside 0..%lld",
                          (long long)Y[i], (long long)i + 1, (long long)C - 1);

  /* z = x W + b */
  for (int64_t i = 0; i < n; i++)
    for (int64_t c = 0; c < C; c++) Z[i * C + c] = bias[c];
  if (d > 0 && n > 0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)C, (int)d,
                1.0, X, (int)d, w, (int)C, 1.0, Z, (int)C);
  /* per row: the loss term, then the row becomes scale * (softmax - onehot) */
  double total = 0;
  for (int64_t c = 0; c < C; c++) GB[c] = 0;
  for (int64_t i = 0; i < n; i++) {
    double *z = Z + i * C, mx = -INFINITY, s = 0;
    for (int64_t c = 0; c < C; c++) if (z[c] > mx) mx = z[c];
    const double zy = z[Y[i]];
    for (int64_t c = 0; c < C; c++) { z[c] = exp(z[c] - mx); s += z[c]; }
    total += mx + log(s) - zy;
    const double k = scale / s;
    for (int64_t c = 0; c < C; c++) z[c] *= k;
    z[Y[i]] -= scale;
    for (int64_t c = 0; c < C; c++) GB[c] += z[c];
  }
  /* gW = x^T G + 2 l2 W, and the penalty */
  double w2 = 0;
  for (int64_t j = 0; j < d * C; j++) { GW[j] = 2 * l2 * w[j]; w2 += w[j] * w[j]; }
  if (d > 0 && n > 0)
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)C, (int)n,
                1.0, X, (int)d, Z, (int)C, 1.0, GW, (int)C);
  *loss = scale * total + l2 * w2;
  return 0;
}
