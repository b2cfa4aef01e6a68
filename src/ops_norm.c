/*
** ops_norm.c — normalisation in one pass each way: (x - mean) / sqrt(var + eps) with the
** mean and the biased variance over groups, for nn.LayerNorm (each sample's trailing dims)
** and nn.BatchNorm1d in train mode (each channel over the batch and length).
**
** Both view x as [A, C, B] and normalise, for every c, the A*B elements x[a, c, b]:
** layer norm over the last n elements is A = 1, C = numel/n, B = n; batch norm over
** [N, C] is A = N, B = 1 and over [N, C, L] A = N, B = L.  Composed of mean, sub, mul, sqrt
** and div, the layers cost 1.3-2x PyTorch's fused kernels (LayerNorm(40) on [100,40,40]:
** 0.84-1.06 ms forward and backward, torch 0.45-0.54 ms); here the forward is three passes
** over each group (mean, variance, output) and the first-order backward two,
** gx = rstd (g - mean(g) - xhat mean(g xhat)).  callgrind, forward + backward of the
** normalisation alone: [100,40,40] over the last dim 9.6M -> 4.1M instructions,
** BatchNorm over [100,25,19] 4.9M -> 1.4M; the whole BatchNorm1d(100) step on [100,100]
** 1.62M -> 0.56M with the column kernels below.  Under create_graph the rule rebuilds the
** normalisation from those ops (ops_rebuild.c), so gradients of every order exist; the
** composed form is m1d_normalize_composed.
*/
/* the elementwise passes as SIMD loops (as in ops_elementwise.c) */
#include "simd.h"
#include <math.h>
#include "ops_impl.h"

/* ---------------------------------------------------------------- composed */

/* x as [A, C, B]: the mean over dims 0 and 2 (means of equal-sized means) */
static m1d_Tensor *group_mean (m1d_Tensor *t) {
  m1d_Tensor *m = m1d_mean_dim(t, 2, 1), *r;
  if (m == NULL) return NULL;
  r = m1d_mean_dim(m, 0, 1);
  m1d_decref(m);
  return r;
}

m1d_Tensor *m1d_normalize_composed (m1d_Tensor *x, int64_t A, int64_t C, int64_t B, double eps) {
  int64_t shape[3] = {A, C, B};
  m1d_Tensor *v = NULL, *mean = NULL, *d = NULL, *d2 = NULL, *var = NULL, *ve = NULL, *sd = NULL,
             *y = NULL, *r = NULL;
  TRY(v, m1d_reshape(x, 3, shape));
  TRY(mean, group_mean(v));
  TRY(d, m1d_sub(v, mean));
  TRY(d2, m1d_mul(d, d));
  TRY(var, group_mean(d2));
  TRY(ve, m1d_affine(var, 1.0, eps));
  TRY(sd, m1d_sqrt(ve));
  TRY(y, m1d_div(d, sd));
  r = m1d_reshape(y, x->ndim, x->shape);
fail:
  m1d_decref(v); m1d_decref(mean); m1d_decref(d); m1d_decref(d2); m1d_decref(var);
  m1d_decref(ve); m1d_decref(sd); m1d_decref(y);
  return r;
}

/* ---------------------------------------------------------------- kernels */

/* Row sums in double with four accumulators: one chain of dependent adds is bound by the
   add latency (4 cycles), which made the fused layer norm barely faster than the composed. */
#define ROW_SUMS(T, SUF)                                                                        \
static inline double row_sum_##SUF (const T *x, int64_t n) {                                           \
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                        \
  int64_t i = 0;                                                                                \
  for (; i + 4 <= n; i += 4) {                                                                  \
    s0 += (double)x[i]; s1 += (double)x[i + 1]; s2 += (double)x[i + 2]; s3 += (double)x[i + 3]; \
  }                                                                                             \
  for (; i < n; i++) s0 += (double)x[i];                                                        \
  return (s0 + s1) + (s2 + s3);                                                                 \
}                                                                                               \
/* sum (x - mu)^2 */                                                                            \
static inline double row_dev2_##SUF (const T *x, int64_t n, double mu) {                               \
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                        \
  int64_t i = 0;                                                                                \
  for (; i + 4 <= n; i += 4) {                                                                  \
    double d0 = (double)x[i] - mu, d1 = (double)x[i + 1] - mu;                                  \
    double d2 = (double)x[i + 2] - mu, d3 = (double)x[i + 3] - mu;                              \
    s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;                                 \
  }                                                                                             \
  for (; i < n; i++) { double d = (double)x[i] - mu; s0 += d * d; }                             \
  return (s0 + s1) + (s2 + s3);                                                                 \
}                                                                                               \
/* sum g and sum g y */                                                                         \
static inline void row_g_gy_##SUF (const T *g, const T *y, int64_t n, double *sg, double *sgy) {       \
  double a0 = 0, a1 = 0, b0 = 0, b1 = 0;                                                        \
  int64_t i = 0;                                                                                \
  for (; i + 2 <= n; i += 2) {                                                                  \
    a0 += (double)g[i]; a1 += (double)g[i + 1];                                                 \
    b0 += (double)g[i] * (double)y[i]; b1 += (double)g[i + 1] * (double)y[i + 1];               \
  }                                                                                             \
  for (; i < n; i++) { a0 += (double)g[i]; b0 += (double)g[i] * (double)y[i]; }                \
  *sg += a0 + a1; *sgy += b0 + b1;                                                              \
}
ROW_SUMS(float, f32)
ROW_SUMS(double, f64)

/* Forward: y = xhat; mean[c], var[c] (biased) and rstd[c] = 1/sqrt(var + eps) in double.
   Two passes for the statistics (the mean, then squared deviations: no cancellation). */
#define NORM_FORWARD(T, SUF)                                                                    \
static void norm_fwd_##SUF (int64_t A, int64_t C, int64_t B, double eps, const T *x, T *y,      \
                            double *mean, double *var, double *rstd) {                          \
  double m = (double)(A * B);                                                                   \
  for (int64_t c = 0; c < C; c++) {                                                             \
    double s = 0, q = 0;                                                                        \
    for (int64_t a = 0; a < A; a++) s += row_sum_##SUF(x + (a * C + c) * B, B);                 \
    double mu = s / m;                                                                          \
    for (int64_t a = 0; a < A; a++) q += row_dev2_##SUF(x + (a * C + c) * B, B, mu);            \
    double v = q / m, r = 1.0 / sqrt(v + eps);                                                  \
    const T mu_t = (T)mu, r_t = (T)r;     /* the elementwise pass in T: full SIMD width */    \
    for (int64_t a = 0; a < A; a++) {                                                           \
      const T *xr = x + (a * C + c) * B;                                                        \
      T *yr = y + (a * C + c) * B;                                                              \
      for (int64_t b = 0; b < B; b++) yr[b] = (xr[b] - mu_t) * r_t;                             \
    }                                                                                           \
    mean[c] = mu; var[c] = v; rstd[c] = r;                                                      \
  }                                                                                             \
}
NORM_FORWARD(float, f32)
NORM_FORWARD(double, f64)

/* First-order backward: gx = rstd (g - mean(g) - xhat mean(g xhat)) per group. */
#define NORM_BACKWARD(T, SUF)                                                                   \
static void norm_bwd_##SUF (int64_t A, int64_t C, int64_t B, const T *y, const double *rstd,    \
                            const T *g, T *gx) {                                                \
  double m = (double)(A * B);                                                                   \
  for (int64_t c = 0; c < C; c++) {                                                             \
    double sg = 0, sgy = 0;                                                                     \
    for (int64_t a = 0; a < A; a++)                                                             \
      row_g_gy_##SUF(g + (a * C + c) * B, y + (a * C + c) * B, B, &sg, &sgy);                   \
    const T mg = (T)(sg / m), mgy = (T)(sgy / m), r = (T)rstd[c];                               \
    for (int64_t a = 0; a < A; a++) {                                                           \
      const T *yr = y + (a * C + c) * B, *gr = g + (a * C + c) * B;                             \
      T *gxr = gx + (a * C + c) * B;                                                            \
      for (int64_t b = 0; b < B; b++) gxr[b] = r * (gr[b] - mg - yr[b] * mgy);                  \
    }                                                                                           \
  }                                                                                             \
}
NORM_BACKWARD(float, f32)
NORM_BACKWARD(double, f64)

/* The same for B = 1 (batch norm over [N, C]): each group is a column, so the loops run
   along the rows, all channels at once, with per-channel accumulators (acc: 2C doubles).
   Group by group the row helpers above spent 80 instructions per element here. */
#define NORM_COLUMNS(T, SUF)                                                                    \
static void norm_fwd_cols_##SUF (int64_t A, int64_t C, double eps, const T *x, T *y,            \
                                 double *mean, double *var, double *rstd) {                     \
  for (int64_t c = 0; c < C; c++) { mean[c] = 0; var[c] = 0; }                                  \
  for (int64_t a = 0; a < A; a++)                                                               \
    for (int64_t c = 0; c < C; c++) mean[c] += (double)x[a * C + c];                            \
  for (int64_t c = 0; c < C; c++) mean[c] /= (double)A;                                         \
  for (int64_t a = 0; a < A; a++)                                                               \
    for (int64_t c = 0; c < C; c++) { double d = (double)x[a * C + c] - mean[c]; var[c] += d * d; } \
  for (int64_t c = 0; c < C; c++) { var[c] /= (double)A; rstd[c] = 1.0 / sqrt(var[c] + eps); } \
  for (int64_t a = 0; a < A; a++)                                                               \
    for (int64_t c = 0; c < C; c++) y[a * C + c] = (T)(((double)x[a * C + c] - mean[c]) * rstd[c]); \
}                                                                                               \
static void norm_bwd_cols_##SUF (int64_t A, int64_t C, const T *y, const double *rstd,          \
                                 const T *g, T *gx, double *acc) {                              \
  double *sg = acc, *sgy = acc + C;                                                             \
  for (int64_t c = 0; c < C; c++) { sg[c] = 0; sgy[c] = 0; }                                    \
  for (int64_t a = 0; a < A; a++)                                                               \
    for (int64_t c = 0; c < C; c++) {                                                           \
      double gv = (double)g[a * C + c];                                                         \
      sg[c] += gv; sgy[c] += gv * (double)y[a * C + c];                                         \
    }                                                                                           \
  for (int64_t c = 0; c < C; c++) { sg[c] /= (double)A; sgy[c] /= (double)A; }                  \
  for (int64_t a = 0; a < A; a++)                                                               \
    for (int64_t c = 0; c < C; c++)                                                             \
      gx[a * C + c] = (T)(rstd[c] * ((double)g[a * C + c] - sg[c] - (double)y[a * C + c] * sgy[c])); \
}
NORM_COLUMNS(float, f32)
NORM_COLUMNS(double, f64)

/* ---------------------------------------------------------------- the op */

/* node: saved[0] x (as given), saved[1] rstd [C] float64; the output saved; ip[0..2] A, C, B; p[0] eps */
static m1d_Tensor *rebuild_norm (m1d_Tensor **in, const m1d_Node *node) {
  return m1d_normalize_composed(in[0], node->ip[0], node->ip[1], node->ip[2], node->p[0]);
}

static int bw_norm (m1d_Node *n, m1d_Tensor *g0, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = n->saved[0];
  if (create_graph) return m1d_backward_by_rebuilding(n, &x, 1, rebuild_norm, g0, gin);
  int64_t A = n->ip[0], C = n->ip[1], B = n->ip[2];
  m1d_Tensor *g = g0->dtype == x->dtype ? (m1d_incref(g0), g0) : m1d_cast(g0, x->dtype);
  m1d_Tensor *gc = g ? m1d_contiguous_raw(g) : NULL, *y = NULL, *gx = NULL, *acc = NULL;
  if (gc == NULL || (y = m1d_node_output(n)) == NULL) goto fail;
  if ((gx = m1d_empty(x->dtype, x->ndim, x->shape)) == NULL) goto fail;   /* contiguous, as y */
  const double *rstd = m1d_data(n->saved[1]);
  if (B == 1 && A > 1) {                     /* columns: per-channel sums in a scratch tensor */
    int64_t two_c[1] = {2 * C};
    if ((acc = m1d_empty(M1D_F64, 1, two_c)) == NULL) goto fail;
    if (x->dtype == M1D_F32) norm_bwd_cols_f32(A, C, m1d_data(y), rstd, m1d_data(gc), m1d_data(gx), m1d_data(acc));
    else norm_bwd_cols_f64(A, C, m1d_data(y), rstd, m1d_data(gc), m1d_data(gx), m1d_data(acc));
  } else if (x->dtype == M1D_F32) norm_bwd_f32(A, C, B, m1d_data(y), rstd, m1d_data(gc), m1d_data(gx));
  else norm_bwd_f64(A, C, B, m1d_data(y), rstd, m1d_data(gc), m1d_data(gx));
  gin[0] = gx;
  m1d_decref(g); m1d_decref(gc); m1d_decref(y); m1d_decref(acc);
  return 0;
fail:
  m1d_decref(g); m1d_decref(gc); m1d_decref(y); m1d_decref(gx); m1d_decref(acc);
  return -1;
}

/* mean_out/var_out (optional): the statistics [C], float64, no gradient */
static m1d_Tensor *normalize (const char *op, m1d_Tensor *x, int64_t A, int64_t C, int64_t B, double eps,
                              m1d_Tensor **mean_out, m1d_Tensor **var_out) {
  if (m1d_check_float(op, x) < 0) return NULL;
  if (!(eps > 0)) return m1d_fail("%s: eps must be positive, got %g", op, eps);
  int64_t cs[1] = {C};
  int record = m1d_needs_grad(1, &x);
  m1d_Tensor *xc = m1d_contiguous_raw(x), *y = NULL, *mean = NULL, *var = NULL, *rstd = NULL;
  if (xc == NULL) return NULL;
  if ((y = m1d_empty(x->dtype, x->ndim, x->shape)) == NULL || (mean = m1d_empty(M1D_F64, 1, cs)) == NULL
      || (var = m1d_empty(M1D_F64, 1, cs)) == NULL || (rstd = m1d_empty(M1D_F64, 1, cs)) == NULL) goto fail;
  double *md = m1d_data(mean), *vd = m1d_data(var), *rd = m1d_data(rstd);
  if (B == 1 && A > 1) {
    if (x->dtype == M1D_F32) norm_fwd_cols_f32(A, C, eps, m1d_data(xc), m1d_data(y), md, vd, rd);
    else norm_fwd_cols_f64(A, C, eps, m1d_data(xc), m1d_data(y), md, vd, rd);
  } else if (x->dtype == M1D_F32) norm_fwd_f32(A, C, B, eps, m1d_data(xc), m1d_data(y), md, vd, rd);
  else norm_fwd_f64(A, C, B, eps, m1d_data(xc), m1d_data(y), md, vd, rd);
  if (record) {
    m1d_Node *node = m1d_record(op, bw_norm, y, 1, &x);
    if (node == NULL) goto fail;
    node->ip[0] = A; node->ip[1] = C; node->ip[2] = B; node->p[0] = eps;
    /* x itself, not xc: the rebuild differentiates through it, and a contiguous copy of a
       transposed x would be cut off from the graph (the first-order rule needs only y) */
    if (m1d_node_save(node, 0, x) < 0 || m1d_node_save(node, 1, rstd) < 0
        || m1d_node_save_output(node, y) < 0) goto fail;
  }
  if (mean_out) { *mean_out = mean; mean = NULL; }
  if (var_out) { *var_out = var; var = NULL; }
  m1d_decref(xc); m1d_decref(mean); m1d_decref(var); m1d_decref(rstd);
  return y;
fail:
  m1d_decref(xc); m1d_decref(y); m1d_decref(mean); m1d_decref(var); m1d_decref(rstd);
  return NULL;
}

m1d_Tensor *m1d_layer_norm (m1d_Tensor *x, int ndims, double eps) {
  if (ndims < 1 || ndims > x->ndim)
    return m1d_fail("layer_norm: ndims must be in 1..%d for input %s, got %d", x->ndim, m1d_shapestr(x).s, ndims);
  int64_t n = 1;
  for (int i = x->ndim - ndims; i < x->ndim; i++) n *= x->shape[i];
  if (n == 0) return m1d_fail("layer_norm: input %s has no elements to normalise", m1d_shapestr(x).s);
  return normalize("layer_norm", x, 1, m1d_numel(x) / n, n, eps, NULL, NULL);
}

m1d_Tensor *m1d_batch_norm (m1d_Tensor *x, double eps, m1d_Tensor **mean, m1d_Tensor **var) {
  if (x->ndim != 2 && x->ndim != 3)
    return m1d_fail("batch_norm: input must be [N, C] or [N, C, L], got %s", m1d_shapestr(x).s);
  int64_t A = x->shape[0], C = x->shape[1], B = x->ndim == 3 ? x->shape[2] : 1;
  if (A * B == 0) return m1d_fail("batch_norm: input %s has no elements per channel", m1d_shapestr(x).s);
  return normalize("batch_norm", x, A, C, B, eps, mean, var);
}
