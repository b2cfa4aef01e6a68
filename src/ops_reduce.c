/*
** ops_reduce.c — sums, means, variances, max/min/argmax, log-softmax.
**
** One reduction kernel does all the sums: m1d_sum_to reduces x to any shape
** that broadcasts to x (accumulating in double), so sum over all, over a dim
** and the "unbroadcast" of gradients are one op whose backward is expand.
** max/min over a dim are argmax + gather, so their gradients need no rule of
** their own.
*/
/* let GCC vectorise the elementwise loops (see ops_elementwise.c); sums are not
   reassociated, so results are unchanged */
#include "simd.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"

/* ---------------------------------------------------------------- totals */


/* lane u of the 8 sums takes elements u, u+8, u+16, ...; the tail goes to the total */
#define TOTAL8(T, TERM)                                                                   \
  double acc[8] = {0}, sum = 0;                                                           \
  int64_t i = 0;                                                                          \
  for (; i + 8 <= n; i += 8)                                                              \
    for (int u = 0; u < 8; u++) acc[u] += (double)(TERM(i + u));                          \
  for (int u = 0; u < 8; u++) sum += acc[u];                                              \
  for (; i < n; i++) sum += (double)(TERM(i));                                            \
  return sum;
#define ELEM(i) x[i]
#define PROD_F32(i) (float)(a[i] * b[i])
#define PROD_F64(i) (a[i] * b[i])
KERNEL double m1d_total_f32 (const float *x, int64_t n) { TOTAL8(float, ELEM) }
KERNEL double m1d_total_f64 (const double *x, int64_t n) { TOTAL8(double, ELEM) }
KERNEL double m1d_dot_f32 (const float *a, const float *b, int64_t n) { TOTAL8(float, PROD_F32) }
KERNEL double m1d_dot_f64 (const double *a, const double *b, int64_t n) { TOTAL8(double, PROD_F64) }

/* ---------------------------------------------------------------- sum_to */

static int bw_sum_to (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_expand(g, n->edges[0].ndim, n->edges[0].shape);
  return gin[0] ? 0 : -1;
}

static void store_acc (m1d_Tensor *out, const double *acc, int64_t on) {
  void *op = m1d_data(out);
  for (int64_t i = 0; i < on; i++) {
    if (out->dtype == M1D_F32) ((float *)op)[i] = (float)acc[i];
    else if (out->dtype == M1D_F64) ((double *)op)[i] = acc[i];
    else ((int64_t *)op)[i] = m1d_d2i(acc[i]);
  }
}

/* Fast paths for a contiguous float x whose dims, merged into runs, read
   [keep A][reduce R][keep C] (bias gradients, sums over rows or columns) or
   [reduce R1][keep K][reduce R2].  Each output element adds its inputs in the
   same row-major order as the general loop, so the result is bit-identical.  (The total
   of a contiguous tensor, in sum_to_raw, is the exception: m1d_total_* keeps 8 running
   double sums, so its last bits may differ from the general loop's, which a
   non-contiguous tensor still takes.) */
#define RUN_KRK(T) { const T *p = m1d_data(x);                                          \
    for (int64_t a = 0; a < A; a++) for (int64_t r = 0; r < R; r++) {                   \
      const T *q = p + (a * R + r) * C; double *o = acc + a * C;                        \
      for (int64_t c = 0; c < C; c++) o[c] += q[c]; } }
#define RUN_RKR(T) { const T *p = m1d_data(x);                                          \
    for (int64_t r = 0; r < A; r++) for (int64_t k = 0; k < R; k++) {                   \
      const T *q = p + (r * R + k) * C; double s = acc[k];                              \
      for (int64_t c = 0; c < C; c++) s += q[c];                                        \
      acc[k] = s; } }
static int runs_fast (m1d_Tensor *x, int ndim, const int64_t *shape, double *acc) {
  int nd = x->ndim, kind[M1D_MAXDIM], nr = 0;
  int64_t len[M1D_MAXDIM];
  for (int d = 0; d < nd; d++) {
    int od = d - (nd - ndim);
    int keep = od >= 0 && shape[od] == x->shape[d];
    if (x->shape[d] == 1) continue;                   /* size-1 dims join any run */
    if (nr > 0 && kind[nr - 1] == keep) len[nr - 1] *= x->shape[d];
    else { kind[nr] = keep; len[nr++] = x->shape[d]; }
  }
  int64_t A, R, C;
  int krk;
  if (nr == 0) return 0;
  if (nr == 1) { krk = 1; if (kind[0]) { A = len[0]; R = 1; C = 1; } else { A = 1; R = len[0]; C = 1; } }
  else if (nr == 2) {
    krk = 1;
    if (kind[0]) { A = len[0]; R = len[1]; C = 1; } else { A = 1; R = len[0]; C = len[1]; }
  } else if (nr == 3) {
    krk = kind[0];
    A = len[0]; R = len[1]; C = len[2];
  } else return 0;
  if (krk && C == 1 && R > 1) {                       /* [keep A][reduce R]: row sums */
    krk = 0; C = R; R = A; A = 1;                      /* as [reduce 1][keep A][reduce R] */
  }
  if (x->dtype == M1D_F32) { if (krk) RUN_KRK(float) else RUN_RKR(float) }
  else { if (krk) RUN_KRK(double) else RUN_RKR(double) }
  return 1;
}

static m1d_Tensor *sum_to_raw (m1d_Tensor *x, int ndim, const int64_t *shape) {
  m1d_Tensor *out = m1d_empty(x->dtype, ndim, shape);
  if (out == NULL) return NULL;
  int64_t on = m1d_numel(out), xn = m1d_numel(x);
  if (on == 1 && x->dtype != M1D_I64 && m1d_is_contiguous(x)) {   /* the total */
    double s = x->dtype == M1D_F32 ? m1d_total_f32(m1d_data(x), xn) : m1d_total_f64(m1d_data(x), xn);
    m1d_fill(out, s);
    return out;
  }
  size_t accbytes = (size_t)(on ? on : 1) * sizeof(double);
  int fresh;
  double *acc = m1d_pool_data(accbytes, &fresh);
  if (acc == NULL) { m1d_decref(out); return m1d_fail("sum: out of memory"); }
  memset(acc, 0, accbytes);
  if (x->dtype != M1D_I64 && m1d_is_contiguous(x) && xn > 0 && runs_fast(x, ndim, shape, acc)) {
    store_acc(out, acc, on);
    m1d_pool_data_free(acc, accbytes);
    return out;
  }
  /* output strides aligned to x's dims: 0 where reduced */
  int64_t ost[M1D_MAXDIM], st = 1, tmp[M1D_MAXDIM];
  for (int d = ndim - 1; d >= 0; d--) { tmp[d] = st; st *= shape[d]; }
  for (int d = 0; d < x->ndim; d++) {
    int od = d - (x->ndim - ndim);
    ost[d] = (od >= 0 && shape[od] == x->shape[d] && shape[od] != 1) ? tmp[od] : 0;
  }
  /* int64 sums are exact and wrap around on overflow, as NumPy's do (a double
     accumulator rounded them, and converting a sum beyond 2^63 back was undefined) */
  uint64_t *iacc = x->dtype == M1D_I64 ? (uint64_t *)acc : NULL;
  int64_t idx[M1D_MAXDIM] = {0}, xo = x->offset, oo = 0;
  int nd = x->ndim;
  const void *xb = x->storage->data;
  for (int64_t i = 0; i < xn; i++) {
    if (iacc) iacc[oo] += (uint64_t)((const int64_t *)xb)[xo];
    else acc[oo] += x->dtype == M1D_F32 ? ((const float *)xb)[xo] : ((const double *)xb)[xo];
    for (int d = nd - 1; d >= 0; d--) {
      if (++idx[d] < x->shape[d]) { xo += x->stride[d]; oo += ost[d]; break; }
      idx[d] = 0;
      xo -= x->stride[d] * (x->shape[d] - 1);
      oo -= ost[d] * (x->shape[d] - 1);
    }
  }
  if (iacc) { int64_t *o = m1d_data(out); for (int64_t i = 0; i < on; i++) o[i] = (int64_t)iacc[i]; }
  else store_acc(out, acc, on);
  m1d_pool_data_free(acc, accbytes);
  return out;
}

m1d_Tensor *m1d_sum_to (m1d_Tensor *x, int ndim, const int64_t *shape) {
  int ok = ndim <= x->ndim;
  for (int d = 0; ok && d < ndim; d++) {
    int64_t xs = x->shape[d + (x->ndim - ndim)];
    ok = shape[d] == xs || shape[d] == 1;
  }
  if (!ok)
    return m1d_fail("sum_to: shape %s cannot be broadcast to %s", m1d_shapestr_n(ndim, shape).s,
                    m1d_shapestr(x).s);
  if (ndim == x->ndim && (ndim == 0 || memcmp(shape, x->shape, sizeof(int64_t) * (size_t)ndim) == 0)) {
    m1d_incref(x);
    return x;
  }
  m1d_Tensor *out = sum_to_raw(x, ndim, shape);
  if (out == NULL || !m1d_needs_grad(1, &x)) return out;
  if (m1d_record("sum", bw_sum_to, out, 1, &x) == NULL) { m1d_decref(out); return NULL; }
  return out;
}

static void keepdim_shape (const m1d_Tensor *x, int dim, int64_t *shape) {
  memcpy(shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
  shape[dim] = 1;
}

static int check_dim (const char *op, const m1d_Tensor *x, int dim) {
  if (dim < 0 || dim >= x->ndim)
    return m1d_failcode("%s: dim %d out of range for a tensor of shape %s", op, dim + 1,
                        m1d_shapestr(x).s);
  return 0;
}

/* drop dim `dim` (a size-1 dim) */
static m1d_Tensor *squeeze_dim (m1d_Tensor *t, int dim, int keepdim) {
  if (keepdim) return t;
  m1d_Tensor *r = m1d_squeeze(t, dim);
  m1d_decref(t);
  return r;
}

m1d_Tensor *m1d_sum (m1d_Tensor *x) { return m1d_sum_to(x, 0, NULL); }

m1d_Tensor *m1d_sum_dim (m1d_Tensor *x, int dim, int keepdim) {
  if (check_dim("sum", x, dim) < 0) return NULL;
  int64_t shape[M1D_MAXDIM];
  keepdim_shape(x, dim, shape);
  m1d_Tensor *s = m1d_sum_to(x, x->ndim, shape);
  return s ? squeeze_dim(s, dim, keepdim) : NULL;
}

m1d_Tensor *m1d_mean (m1d_Tensor *x) {
  if (m1d_check_float("mean", x) < 0) return NULL;
  m1d_Tensor *s = m1d_sum(x);
  if (s == NULL) return NULL;
  m1d_Tensor *r = m1d_affine(s, 1.0 / (double)m1d_numel(x), 0);
  m1d_decref(s);
  return r;
}

m1d_Tensor *m1d_mean_dim (m1d_Tensor *x, int dim, int keepdim) {
  if (m1d_check_float("mean", x) < 0 || check_dim("mean", x, dim) < 0) return NULL;
  m1d_Tensor *s = m1d_sum_dim(x, dim, keepdim);
  if (s == NULL) return NULL;
  m1d_Tensor *r = m1d_affine(s, 1.0 / (double)x->shape[dim], 0);
  m1d_decref(s);
  return r;
}

m1d_Tensor *m1d_var_dim (m1d_Tensor *x, int dim, int keepdim, int unbiased) {
  if (m1d_check_float("var", x) < 0) return NULL;
  if (dim >= 0 && check_dim("var", x, dim) < 0) return NULL;
  int64_t n = dim < 0 ? m1d_numel(x) : x->shape[dim];
  if (unbiased && n < 2)
    return m1d_fail("var: need at least 2 elements for the unbiased variance, shape %s",
                    m1d_shapestr(x).s);
  m1d_Tensor *mu = NULL, *d = NULL, *d2 = NULL, *s = NULL, *r = NULL;
  if (dim < 0) {
    if ((mu = m1d_mean(x)) && (d = m1d_sub(x, mu)) && (d2 = m1d_mul(d, d))) s = m1d_sum(d2);
  } else {
    if ((mu = m1d_mean_dim(x, dim, 1)) && (d = m1d_sub(x, mu)) && (d2 = m1d_mul(d, d)))
      s = m1d_sum_dim(d2, dim, keepdim);
  }
  if (s) r = m1d_affine(s, 1.0 / (double)(unbiased ? n - 1 : n), 0);
  m1d_decref(mu); m1d_decref(d); m1d_decref(d2); m1d_decref(s);
  return r;
}

/* std = sqrt(var), with the gradient 0 where the variance is 0 (as PyTorch), not
   0 * inf = NaN: sqrt sees the variance only where it is positive (and 1 elsewhere),
   and a second where puts 0 back there, so neither branch passes a NaN, at any order. */
m1d_Tensor *m1d_std_dim (m1d_Tensor *x, int dim, int keepdim, int unbiased) {
  m1d_Tensor *v = NULL, *pos = NULL, *one = NULL, *zero = NULL, *safe = NULL, *sq = NULL, *r = NULL;
  TRY(v, m1d_var_dim(x, dim, keepdim, unbiased));
  TRY(pos, m1d_cmp_scalar(v, M1D_GT, 0));
  TRY(one, m1d_scalar(v->dtype, 1));
  TRY(zero, m1d_scalar(v->dtype, 0));
  TRY(safe, m1d_where(pos, v, one));
  TRY(sq, m1d_sqrt(safe));
  r = m1d_where(pos, sq, zero);
fail:
  m1d_decref(v); m1d_decref(pos); m1d_decref(one); m1d_decref(zero); m1d_decref(safe); m1d_decref(sq);
  return r;
}

/* ---------------------------------------------------------------- arg max/min */

/* x with `dim` moved last, contiguous (a copy when needed) */
static m1d_Tensor *dim_last (m1d_Tensor *x, int dim) {
  int perm[M1D_MAXDIM], k = 0;
  for (int d = 0; d < x->ndim; d++) if (d != dim) perm[k++] = d;
  perm[k] = dim;
  m1d_Tensor *p = m1d_view_permute(x, perm);
  if (p == NULL) return NULL;
  m1d_Tensor *c = m1d_contiguous_raw(p);
  m1d_decref(p);
  return c;
}

static m1d_Tensor *arg_extreme (const char *op, m1d_Tensor *x, int dim, int keepdim, int want_max) {
  if (check_dim(op, x, dim) < 0) return NULL;
  if (x->shape[dim] == 0) return m1d_fail("%s: dim %d of %s is empty", op, dim + 1, m1d_shapestr(x).s);
  int64_t shape[M1D_MAXDIM];
  keepdim_shape(x, dim, shape);
  m1d_Tensor *xc = dim_last(x, dim);
  if (xc == NULL) return NULL;
  m1d_Tensor *out = m1d_empty(M1D_I64, x->ndim, shape);
  if (out == NULL) { m1d_decref(xc); return NULL; }
  int64_t len = x->shape[dim], rows = m1d_numel(x) / len;
  int64_t *o = m1d_data(out);
  /* out is in x's order with dim of size 1, which equals xc's row order */
  for (int64_t r = 0; r < rows; r++) {
    int64_t best = 0;
    double bv = 0;
    for (int64_t j = 0; j < len; j++) {
      double v = xc->dtype == M1D_F32 ? ((float *)m1d_data(xc))[r * len + j]
               : xc->dtype == M1D_F64 ? ((double *)m1d_data(xc))[r * len + j]
               : (double)((int64_t *)m1d_data(xc))[r * len + j];
      if (j == 0 || (want_max ? v > bv : v < bv) || (isnan(v) && !isnan(bv))) { bv = v; best = j; }
    }
    o[r] = best;
  }
  m1d_decref(xc);
  return squeeze_dim(out, dim, keepdim);
}

m1d_Tensor *m1d_argmax (m1d_Tensor *x, int dim, int keepdim) { return arg_extreme("argmax", x, dim, keepdim, 1); }
m1d_Tensor *m1d_argmin (m1d_Tensor *x, int dim, int keepdim) { return arg_extreme("argmin", x, dim, keepdim, 0); }

static m1d_Tensor *extreme_dim (const char *op, m1d_Tensor *x, int dim, int keepdim,
                                m1d_Tensor **indices, int want_max) {
  m1d_Tensor *idx = arg_extreme(op, x, dim, 1, want_max);
  if (idx == NULL) return NULL;
  m1d_Tensor *v = m1d_gather(x, dim, idx);
  if (v == NULL) { m1d_decref(idx); return NULL; }
  v = squeeze_dim(v, dim, keepdim);
  idx = squeeze_dim(idx, dim, keepdim);
  if (indices) *indices = idx; else m1d_decref(idx);
  return v;
}

m1d_Tensor *m1d_max_dim (m1d_Tensor *x, int dim, int keepdim, m1d_Tensor **indices) {
  return extreme_dim("max", x, dim, keepdim, indices, 1);
}
m1d_Tensor *m1d_min_dim (m1d_Tensor *x, int dim, int keepdim, m1d_Tensor **indices) {
  return extreme_dim("min", x, dim, keepdim, indices, 0);
}

static m1d_Tensor *extreme_all (const char *op, m1d_Tensor *x, int want_max) {
  int64_t shape[1] = {-1};
  if (m1d_numel(x) == 0) return m1d_fail("%s: empty tensor %s", op, m1d_shapestr(x).s);
  m1d_Tensor *f = m1d_reshape(x, 1, shape);
  if (f == NULL) return NULL;
  m1d_Tensor *r = extreme_dim(op, f, 0, 0, NULL, want_max);
  m1d_decref(f);
  return r;
}

/* The gradient of amax: g (unsqueezed back at dim) times the saved weights, 1/count at
   each tied extremum and 0 elsewhere; the weights are constants (their derivative is 0
   almost everywhere), so this is exact at every order. */
static int bw_amax (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  int dim = (int)n->ip[0], keepdim = (int)n->ip[1];
  m1d_Tensor *gk = dim >= 0 && !keepdim ? m1d_unsqueeze(g, dim) : (m1d_incref(g), g);
  if (gk == NULL) return -1;
  gin[0] = m1d_mul(gk, n->saved[0]);
  m1d_decref(gk);
  return gin[0] ? 0 : -1;
}

/* 1/count where x equals its extremum v (NaN counts as equal to a NaN extremum, as
   torch), else 0: the share of the gradient each element gets */
static m1d_Tensor *tie_weights (m1d_Tensor *x, m1d_Tensor *v, int dim) {
  m1d_Tensor *eq = NULL, *nx = NULL, *nv = NULL, *both = NULL, *mask = NULL, *cnt = NULL, *w = NULL;
  int prev = m1d_set_grad_enabled(0);
  TRY(eq, m1d_cmp(x, v, M1D_EQ));
  TRY(nx, m1d_cmp(x, x, M1D_NE));
  TRY(nv, m1d_cmp(v, v, M1D_NE));
  TRY(both, m1d_mul(nx, nv));
  TRY(mask, m1d_add(eq, both));
  TRY(cnt, dim < 0 ? m1d_sum(mask) : m1d_sum_dim(mask, dim, 1));
  w = m1d_div(mask, cnt);
fail:
  m1d_set_grad_enabled(prev);
  m1d_decref(eq); m1d_decref(nx); m1d_decref(nv); m1d_decref(both); m1d_decref(mask); m1d_decref(cnt);
  return w;
}

m1d_Tensor *m1d_amax (m1d_Tensor *x, int dim, int keepdim, int want_max) {
  const char *op = want_max ? "max" : "min";
  if (dim >= 0 && check_dim(op, x, dim) < 0) return NULL;
  int prev = m1d_set_grad_enabled(0);
  m1d_Tensor *v = dim < 0 ? extreme_all(op, x, want_max) : extreme_dim(op, x, dim, 1, NULL, want_max);
  m1d_set_grad_enabled(prev);
  if (v == NULL) return NULL;
  m1d_Tensor *w = NULL;
  int record = m1d_needs_grad(1, &x);
  if (record && (w = tie_weights(x, v, dim)) == NULL) { m1d_decref(v); return NULL; }
  m1d_Tensor *out = dim >= 0 && !keepdim ? squeeze_dim(v, dim, 0) : v;
  if (out && record) {
    m1d_Node *node = m1d_record(op, bw_amax, out, 1, &x);
    if (node == NULL) { m1d_decref(out); out = NULL; }
    else { m1d_node_save(node, 0, w); node->ip[0] = dim; node->ip[1] = keepdim; }
  }
  m1d_decref(w);
  return out;
}

/* over all elements the gradient is shared evenly among tied extrema, as torch's max() */
m1d_Tensor *m1d_max (m1d_Tensor *x) { return m1d_amax(x, -1, 0, 1); }
m1d_Tensor *m1d_min (m1d_Tensor *x) { return m1d_amax(x, -1, 0, 0); }

/* ---------------------------------------------------------------- softmax family */

m1d_Tensor *m1d_logsumexp (m1d_Tensor *x, int dim, int keepdim) {
  if (m1d_check_float("logsumexp", x) < 0 || check_dim("logsumexp", x, dim) < 0) return NULL;
  m1d_Tensor *m = NULL, *md = NULL, *d = NULL, *e = NULL, *s = NULL, *l = NULL, *r = NULL;
  int prev = m1d_set_grad_enabled(0);       /* the shift is a constant */
  m = m1d_max_dim(x, dim, 1, NULL);
  m1d_set_grad_enabled(prev);
  /* an infinite maximum shifts by 0 instead (as PyTorch): -inf - -inf would make an
     all -inf row NaN instead of -inf, and a row holding +inf NaN instead of +inf */
  if (m) {
    int64_t n = m1d_numel(m);
    for (int64_t i = 0; i < n; i++) {
      if (m->dtype == M1D_F32) { float *p = (float *)m1d_data(m) + i; if (isinf(*p)) *p = 0; }
      else { double *p = (double *)m1d_data(m) + i; if (isinf(*p)) *p = 0; }
    }
  }
  if (m && (md = m1d_detach(m)) && (d = m1d_sub(x, md)) && (e = m1d_exp(d)) &&
      (s = m1d_sum_dim(e, dim, 1)) && (l = m1d_log(s)))
    r = m1d_add(l, md);
  m1d_decref(m); m1d_decref(md); m1d_decref(d); m1d_decref(e); m1d_decref(s); m1d_decref(l);
  return r ? squeeze_dim(r, dim, keepdim) : NULL;
}

/* softmax of one float32 row: e = exp(p - max), one exp per element (attention's scores are
   rows of 40: computing the log-sum-exp first took a second exp pass and a log), then e / sum
   with the sum in double.  A row of -Inf or holding NaN or +Inf gives NaN, as before. */
static KERNEL void softmax_row_f32 (const float *p, float *o, int64_t len) {
  /* the max and the sum in 8 lanes: one serial chain of 40 double adds cost more than the exps */
  float m8[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  int64_t j = 0;
  for (; j + 8 <= len; j += 8)
    for (int u = 0; u < 8; u++) m8[u] = p[j + u] > m8[u] ? p[j + u] : m8[u];
  float mx = -INFINITY;
  for (int u = 0; u < 8; u++) mx = m8[u] > mx ? m8[u] : mx;
  for (; j < len; j++) mx = p[j] > mx ? p[j] : mx;
  for (j = 0; j < len; j++) o[j] = fast_expf(p[j] - mx);
  double s8[8] = {0}, s = 0;
  for (j = 0; j + 8 <= len; j += 8)
    for (int u = 0; u < 8; u++) s8[u] += o[j + u];
  for (int u = 0; u < 8; u++) s += s8[u];
  for (; j < len; j++) s += o[j];
  float inv = (float)(1.0 / s);
  for (j = 0; j < len; j++) o[j] *= inv;
}

/* softmax's backward on one row (first order): gx = y * (g - sum(g * y)), the composed rule's
   arithmetic (products in the dtype, their sum in double, here in 8 lanes) in one pass
   instead of four ops */
#define SOFTMAX_BW_ROW(NAME, T)                                                           \
  static KERNEL void NAME (const T *y, const T *g, T *o, int64_t len) {                   \
    double s8[8] = {0}, s = 0;                                                            \
    int64_t j = 0;                                                                        \
    for (; j + 8 <= len; j += 8)                                                          \
      for (int u = 0; u < 8; u++) s8[u] += (double)(T)(g[j + u] * y[j + u]);              \
    for (int u = 0; u < 8; u++) s += s8[u];                                               \
    for (; j < len; j++) s += (double)(T)(g[j] * y[j]);                                   \
    T st = (T)s;                                                                          \
    for (j = 0; j < len; j++) o[j] = y[j] * (g[j] - st);                                  \
  }
SOFTMAX_BW_ROW(softmax_bw_row_f32, float)
SOFTMAX_BW_ROW(softmax_bw_row_f64, double)

/* fused forward over rows of the dim-last contiguous copy; log=1 log_softmax, 0 softmax */
static m1d_Tensor *softmax_raw (m1d_Tensor *x, int dim, int log_) {
  m1d_Tensor *xc = dim_last(x, dim);
  if (xc == NULL) return NULL;
  m1d_Tensor *oc = m1d_empty_like(xc);
  if (oc == NULL) { m1d_decref(xc); return NULL; }
  int64_t len = x->shape[dim], rows = len ? m1d_numel(x) / len : 0;
  for (int64_t r = 0; r < rows; r++) {
    if (xc->dtype == M1D_F32) {
      const float *p = (const float *)m1d_data(xc) + r * len;   /* fastmath.h's exp, as the exp op */
      float *o = (float *)m1d_data(oc) + r * len;
      if (log_) {
        float lse = (float)lse_row_f32(p, len, 1);
        for (int64_t j = 0; j < len; j++) o[j] = p[j] - lse;
      } else softmax_row_f32(p, o, len);
    } else {
      const double *p = (const double *)m1d_data(xc) + r * len;
      double *o = (double *)m1d_data(oc) + r * len, lse = lse_row_f64(p, len, 1);
      for (int64_t j = 0; j < len; j++) o[j] = log_ ? p[j] - lse : exp(p[j] - lse);
    }
  }
  m1d_decref(xc);
  if (dim == x->ndim - 1) return oc;
  /* move the last dim back to `dim` */
  int perm[M1D_MAXDIM];
  for (int d = 0; d < x->ndim; d++) perm[d] = d < dim ? d : (d == dim ? x->ndim - 1 : d - 1);
  m1d_Tensor *v = m1d_view_permute(oc, perm);
  m1d_decref(oc);
  if (v == NULL) return NULL;
  m1d_Tensor *c = m1d_contiguous_raw(v);
  m1d_decref(v);
  return c;
}

static int bw_log_softmax (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  /* g - exp(y) * sum(g, dim) */
  m1d_Tensor *y = NULL, *e = NULL, *s = NULL, *p = NULL;
  int dim = (int)n->ip[0];
  TRY(y, m1d_node_output(n)); TRY(e, m1d_exp(y)); TRY(s, m1d_sum_dim(g, dim, 1));
  TRY(p, m1d_mul(e, s)); TRY(gin[0], m1d_sub(g, p));
  m1d_decref(y); m1d_decref(e); m1d_decref(s); m1d_decref(p);
  return 0;
fail:
  m1d_decref(y); m1d_decref(e); m1d_decref(s); m1d_decref(p);
  return -1;
}

/* softmax's first-order backward over the last dim, fused: gx = y * (g - sum(g y)) row by
   row; NULL with nothing set when it does not apply (another dim, another dtype) */
static m1d_Tensor *softmax_bw_fused (m1d_Tensor *y, m1d_Tensor *g, int dim) {
  if (dim != y->ndim - 1 || !m1d_is_contiguous(y) || g->dtype != y->dtype || y->dtype == M1D_I64) return NULL;
  m1d_Tensor *gc = m1d_contiguous_raw(g), *out = gc ? m1d_empty_like(y) : NULL;
  if (out) {
    int64_t len = y->shape[dim], rows = len ? m1d_numel(y) / len : 0;
    for (int64_t r = 0; r < rows; r++) {
      if (y->dtype == M1D_F32)
        softmax_bw_row_f32((const float *)m1d_data(y) + r * len, (const float *)m1d_data(gc) + r * len,
                           (float *)m1d_data(out) + r * len, len);
      else
        softmax_bw_row_f64((const double *)m1d_data(y) + r * len, (const double *)m1d_data(gc) + r * len,
                           (double *)m1d_data(out) + r * len, len);
    }
  }
  m1d_decref(gc);
  return out;
}

static int bw_softmax (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  /* y * (g - sum(g y, dim)) */
  m1d_Tensor *y = NULL, *gy = NULL, *s = NULL, *d = NULL;
  int dim = (int)n->ip[0];
  TRY(y, m1d_node_output(n));
  if (!create_graph && m1d_same_shape(g, y) && (gin[0] = softmax_bw_fused(y, g, dim)) != NULL) {
    m1d_decref(y);
    return 0;
  } TRY(gy, m1d_mul(g, y)); TRY(s, m1d_sum_dim(gy, dim, 1));
  TRY(d, m1d_sub(g, s)); TRY(gin[0], m1d_mul(y, d));
  m1d_decref(y); m1d_decref(gy); m1d_decref(s); m1d_decref(d);
  return 0;
fail:
  m1d_decref(y); m1d_decref(gy); m1d_decref(s); m1d_decref(d);
  return -1;
}

static m1d_Tensor *softmax_op (const char *name, m1d_Tensor *x, int dim, int log_) {
  if (m1d_check_float(name, x) < 0 || check_dim(name, x, dim) < 0) return NULL;
  m1d_Tensor *out = softmax_raw(x, dim, log_);
  if (out == NULL || !m1d_needs_grad(1, &x)) return out;
  m1d_Node *node = m1d_record(name, log_ ? bw_log_softmax : bw_softmax, out, 1, &x);
  if (node == NULL || m1d_node_save_output(node, out) < 0) { m1d_decref(out); return NULL; }
  node->ip[0] = dim;
  return out;
}

m1d_Tensor *m1d_log_softmax (m1d_Tensor *x, int dim) { return softmax_op("log_softmax", x, dim, 1); }
m1d_Tensor *m1d_softmax (m1d_Tensor *x, int dim) { return softmax_op("softmax", x, dim, 0); }
