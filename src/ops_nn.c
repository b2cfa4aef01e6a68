/*
** ops_nn.c — losses and pools: cross-entropy, NLL, MSE, max/avg/L2 pooling.
**
** cross_entropy has a fused forward (log-sum-exp per row) and a backward
** written with ops ((softmax - onehot) * g / N), so it has every order of
** derivative; a first-order backward (no graph to record) runs fused.
** The pools are compositions of unfold1d (im2col) and reductions: their
** gradients come from those ops' rules.  conv1d is in ops_conv1d.c.
*/
/* the loss loops are elementwise: let GCC vectorise them (see ops_elementwise.c) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <math.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"

static int check_labels (const char *op, const m1d_Tensor *x, const m1d_Tensor *labels) {
  if (x->ndim != 2)
    return m1d_failcode("%s: input must be [batch, classes], got %s", op, m1d_shapestr(x).s);
  if (labels->dtype != M1D_I64)
    return m1d_failcode("%s: labels must be int64, got %s %s", op, m1d_dtype_name(labels->dtype),
                        m1d_shapestr(labels).s);
  if (labels->ndim != 1 || labels->shape[0] != x->shape[0])
    return m1d_failcode("%s: input %s needs labels of shape [%lld], got %s", op, m1d_shapestr(x).s,
                        (long long)x->shape[0], m1d_shapestr(labels).s);
  if (x->shape[0] == 0) return m1d_failcode("%s: empty batch %s", op, m1d_shapestr(x).s);
  int64_t K = x->shape[1];
  for (int64_t i = 0; i < labels->shape[0]; i++) {
    int64_t v = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    if (v < 0 || v >= K)
      return m1d_failcode("%s: label %lld at row %lld is outside 0..%lld for input %s", op,
                          (long long)v, (long long)i + 1, (long long)K - 1, m1d_shapestr(x).s);
  }
  return 0;
}

m1d_Tensor *m1d_onehot (m1d_Tensor *labels, int64_t k, m1d_DType dt) {
  if (labels->dtype != M1D_I64 || labels->ndim != 1)
    return m1d_fail("onehot: labels must be a 1-D int64 tensor, got %s %s",
                    m1d_dtype_name(labels->dtype), m1d_shapestr(labels).s);
  int64_t shape[2] = {labels->shape[0], k};
  m1d_Tensor *out = m1d_zeros(dt, 2, shape);
  if (out == NULL) return NULL;
  for (int64_t i = 0; i < shape[0]; i++) {
    int64_t v = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    if (v < 0 || v >= k) {
      m1d_decref(out);
      return m1d_fail("onehot: label %lld at row %lld is outside 0..%lld", (long long)v,
                      (long long)i + 1, (long long)k - 1);
    }
    int64_t idx[2] = {i, v};
    m1d_set(out, idx, 1.0);
  }
  return out;
}

/* The first-order backward in one pass: (exp(x - lse) - onehot) * g / N per element,
   with the row log-sum-exps the forward saved (float32 in float32, as m1d's ops are).
   The op-composed rule below is five ops, three temporaries and twice the exps (softmax
   recomputes the lse): it was a third of a logistic-regression step. */
static int bw_cross_entropy_fused (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  const m1d_Tensor *x = n->saved[0], *labels = n->saved[1];
  const double *lse = m1d_data(n->saved[2]);
  int64_t N = x->shape[0], K = x->shape[1], sj = x->stride[1];
  double scale = m1d_item(g) / (double)N;
  m1d_Tensor *out = m1d_empty(x->dtype, 2, x->shape);
  if (out == NULL) return -1;
  for (int64_t i = 0; i < N; i++) {
    int64_t y = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    int64_t o = x->offset + i * x->stride[0];
    if (x->dtype == M1D_F32) {                    /* float32 exp as m1d's exp op: fastmath.h */
      const float *p = (const float *)x->storage->data + o;
      float *q = (float *)m1d_data(out) + i * K;
      float l = (float)lse[i], sc = (float)scale;
      for (int64_t j = 0; j < K; j++) q[j] = fast_expf(p[j * sj] - l) * sc;
      q[y] -= sc;
    } else {
      const double *p = (const double *)x->storage->data + o;
      double *q = (double *)m1d_data(out) + i * K;
      for (int64_t j = 0; j < K; j++) q[j] = (exp(p[j * sj] - lse[i]) - (j == y)) * scale;
    }
  }
  gin[0] = out;
  return 0;
}

static int bw_cross_entropy (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (!create_graph) return bw_cross_entropy_fused(n, g, gin, 0);
  m1d_Tensor *x = n->saved[0], *labels = n->saved[1];
  m1d_Tensor *p = NULL, *oh = NULL, *d = NULL, *s = NULL;
  TRY(p, m1d_softmax(x, 1));
  TRY(oh, m1d_onehot(labels, x->shape[1], x->dtype));
  TRY(d, m1d_sub(p, oh));
  TRY(s, m1d_affine(g, 1.0 / (double)x->shape[0], 0));
  TRY(gin[0], m1d_mul(d, s));
  m1d_decref(p); m1d_decref(oh); m1d_decref(d); m1d_decref(s);
  return 0;
fail:
  m1d_decref(p); m1d_decref(oh); m1d_decref(d); m1d_decref(s);
  return -1;
}

m1d_Tensor *m1d_cross_entropy (m1d_Tensor *x, m1d_Tensor *labels) {
  if (m1d_check_float("cross_entropy", x) < 0 || check_labels("cross_entropy", x, labels) < 0)
    return NULL;
  int64_t N = x->shape[0], K = x->shape[1];
  double total = 0;
  int record = m1d_needs_grad(1, &x);
  m1d_Tensor *lse = record ? m1d_empty(M1D_F64, 1, &N) : NULL;   /* per row, for the backward */
  if (record && lse == NULL) return NULL;
  for (int64_t i = 0; i < N; i++) {
    int64_t y = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    int64_t o = x->offset + i * x->stride[0], sj = x->stride[1];
    double row_lse, xy;
    if (x->dtype == M1D_F32) {                    /* float32: fastmath.h's exp (1.4 ulp) */
      const float *pf = (const float *)x->storage->data + o;
      row_lse = lse_row_f32(pf, K, sj);
      xy = pf[y * sj];
    } else {
      const double *pd = (const double *)x->storage->data + o;
      double mx = -INFINITY, s = 0;
      for (int64_t j = 0; j < K; j++) if (pd[j * sj] > mx) mx = pd[j * sj];
      for (int64_t j = 0; j < K; j++) s += exp(pd[j * sj] - mx);
      row_lse = mx + log(s);
      xy = pd[y * sj];
    }
    total += row_lse - xy;
    if (lse) ((double *)m1d_data(lse))[i] = row_lse;
  }
  m1d_Tensor *out = m1d_scalar(x->dtype, total / (double)N);
  m1d_Node *node = NULL;
  if (out && m1d_check_anomaly("cross_entropy", out) == 0 &&
      (!record || (node = m1d_record("cross_entropy", bw_cross_entropy, out, 1, &x)) != NULL)) {
    if (node) {
      m1d_node_save(node, 0, x);
      m1d_node_save(node, 1, labels);
      m1d_node_save(node, 2, lse);
    }
    m1d_decref(lse);
    return out;
  }
  m1d_decref(out);
  m1d_decref(lse);
  return NULL;
}

/* -mean_i logp[i, labels[i]] */
m1d_Tensor *m1d_nll (m1d_Tensor *logp, m1d_Tensor *labels) {
  if (m1d_check_float("nll", logp) < 0 || check_labels("nll", logp, labels) < 0) return NULL;
  int64_t shape[2] = {labels->shape[0], 1};
  m1d_Tensor *idx = NULL, *g = NULL, *m = NULL, *r = NULL;
  if ((idx = m1d_reshape(labels, 2, shape)) && (g = m1d_gather(logp, 1, idx)) && (m = m1d_mean(g)))
    r = m1d_neg(m);
  m1d_decref(idx); m1d_decref(g); m1d_decref(m);
  return r;
}

m1d_Tensor *m1d_mse (m1d_Tensor *a, m1d_Tensor *b) {
  if (m1d_check_float("mse", a) < 0 || m1d_check_float("mse", b) < 0) return NULL;
  if (!m1d_same_shape(a, b))
    return m1d_fail("mse: prediction %s and target %s must have the same shape",
                    m1d_shapestr(a).s, m1d_shapestr(b).s);
  m1d_Tensor *d = NULL, *d2 = NULL, *r = NULL;
  if ((d = m1d_sub(a, b)) && (d2 = m1d_mul(d, d))) r = m1d_mean(d2);
  m1d_decref(d); m1d_decref(d2);
  return r;
}

/* ---------------------------------------------------------------- pools */

/* x [N,C,L] -> windows [N,C,k,Lout] (stride s, no padding, trailing elements dropped) */
static m1d_Tensor *windows (const char *op, m1d_Tensor *x, int64_t k, int64_t s) {
  if (x->ndim != 3)
    return m1d_fail("%s: input must be [batch, channels, length], got %s", op, m1d_shapestr(x).s);
  if (k < 1 || s < 1 || x->shape[2] < k)
    return m1d_fail("%s: kernel %lld stride %lld do not fit input %s", op, (long long)k,
                    (long long)s, m1d_shapestr(x).s);
  m1d_Tensor *cols = m1d_unfold1d(x, k, s, 0);
  if (cols == NULL) return NULL;
  int64_t shape[4] = {x->shape[0], x->shape[1], k, cols->shape[2]};
  m1d_Tensor *r = m1d_reshape(cols, 4, shape);
  m1d_decref(cols);
  return r;
}

m1d_Tensor *m1d_max_pool1d (m1d_Tensor *x, int64_t k, int64_t s) {
  m1d_Tensor *w = windows("max_pool1d", x, k, s);
  if (w == NULL) return NULL;
  m1d_Tensor *r = m1d_max_dim(w, 2, 0, NULL);
  m1d_decref(w);
  return r;
}

m1d_Tensor *m1d_avg_pool1d (m1d_Tensor *x, int64_t k, int64_t s) {
  m1d_Tensor *w = windows("avg_pool1d", x, k, s);
  if (w == NULL) return NULL;
  m1d_Tensor *r = m1d_mean_dim(w, 2, 0);
  m1d_decref(w);
  return r;
}

/* (sum over the window of x^p)^(1/p), as torch's LPPool1d (x^p, not |x|^p).
   A window that sums to 0 (all zeros, common after ReLU) must get gradient 0 as in torch,
   not (1/p) 0^(1/p-1) = inf times 0 = NaN: the root is taken of where(sum != 0, sum, 1)
   and its result selected by where(), whose backward sends nothing to the branch not taken. */
m1d_Tensor *m1d_lp_pool1d (m1d_Tensor *x, double p, int64_t k, int64_t s) {
  if (!(p > 0)) return m1d_fail("lp_pool1d: norm p must be positive, got %g", p);
  m1d_Tensor *w = windows("lp_pool1d", x, k, s), *xp = NULL, *sum = NULL, *nz = NULL,
             *one = NULL, *safe = NULL, *root = NULL, *zero = NULL, *r = NULL;
  if (w && (xp = m1d_pow_scalar(w, p)) && (sum = m1d_sum_dim(xp, 2, 0))
      && (nz = m1d_cmp_scalar(sum, M1D_NE, 0.0))
      && (one = m1d_full(sum->dtype, sum->ndim, sum->shape, 1.0))
      && (safe = m1d_where(nz, sum, one))
      && (root = p == 2 ? m1d_sqrt(safe) : m1d_pow_scalar(safe, 1.0 / p))
      && (zero = m1d_zeros_like(sum)))
    r = m1d_where(nz, root, zero);
  m1d_decref(w); m1d_decref(xp); m1d_decref(sum); m1d_decref(nz);
  m1d_decref(one); m1d_decref(safe); m1d_decref(root); m1d_decref(zero);
  return r;
}
