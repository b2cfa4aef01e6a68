/*
** ops_pool.c — max, average and Lp pooling over the last dim of [N, C, L]: one pass
** each way.
**
** Composed of ops (unfold1d into [N, C, k, Lout], then max/mean/pow-sum-root), a max
** pool cost 1.2 ms forward and 1.9 ms with its backward on [100, 20, 40] (a strided
** reduction over the window and the general gather/scatter behind it), 5x an average
** pool and 12x a ReLU.  Here the forward is one loop over the windows that also keeps
** what the backward needs (the argmax of each window for max; the output for Lp), and
** the first-order backward one loop that scatters g back.  Under create_graph the rule
** rebuilds the pool from those ops on stand-ins (ops_rebuild.c), so gradients of every
** order exist; the composed pools stay as the rebuild and as the tests' reference
** (m1d_*_pool1d_composed).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"

enum { POOL_MAX, POOL_AVG, POOL_LP, POOL_L2 };    /* L2: the Lp pool at p = 2, without pow() */
static const char *const POOL_NAME[] = {"max_pool1d", "avg_pool1d", "lp_pool1d", "lp_pool1d"};

/* ---------------------------------------------------------------- composed */

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

m1d_Tensor *m1d_max_pool1d_composed (m1d_Tensor *x, int64_t k, int64_t s) {
  m1d_Tensor *w = windows("max_pool1d", x, k, s);
  if (w == NULL) return NULL;
  m1d_Tensor *r = m1d_max_dim(w, 2, 0, NULL);
  m1d_decref(w);
  return r;
}

m1d_Tensor *m1d_avg_pool1d_composed (m1d_Tensor *x, int64_t k, int64_t s) {
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
m1d_Tensor *m1d_lp_pool1d_composed (m1d_Tensor *x, double p, int64_t k, int64_t s) {
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

/* ---------------------------------------------------------------- kernels */

/* Forward over rows (N*C of them) of length L into rows of length Lo.  max: idx gets the
   window offset of the first maximum (a NaN wins and stays, as in torch); avg: the sum
   in double over k; lp: (sum x^p)^(1/p) in double, 0 for a zero sum.  (Loops over k, not
   vectorised: MNIST-1D's pools have k = 2 or 3, and the rows are short.) */
#define POOL_FORWARD(T, SUF)                                                                     \
static void pool_fwd_##SUF (int kind, int64_t rows, int64_t L, int64_t Lo, int64_t k, int64_t s, \
                            double p, const T *x, T *y, int64_t *idx) {                          \
  for (int64_t r = 0; r < rows; r++) {                                                           \
    const T *xr = x + r * L;                                                                     \
    T *yr = y + r * Lo;                                                                          \
    for (int64_t o = 0; o < Lo; o++) {                                                           \
      const T *w = xr + o * s;                                                                   \
      if (kind == POOL_MAX) {                                                                    \
        int64_t best = 0;                                                                        \
        T m = w[0];                                                                              \
        int nan = w[0] != w[0];                                                                  \
        for (int64_t j = 1; j < k; j++) {          /* branch-free: the common case */            \
          int gt = w[j] > m;                                                                     \
          m = gt ? w[j] : m; best = gt ? j : best; nan |= w[j] != w[j];                          \
        }                                                                                        \
        if (nan) for (best = 0; w[best] == w[best]; best++) {}   /* the first NaN wins */         \
        yr[o] = w[best];                                                                         \
        idx[r * Lo + o] = o * s + best;                                                          \
      } else if (kind == POOL_AVG) {                                                             \
        double acc = 0;                                                                          \
        for (int64_t j = 0; j < k; j++) acc += (double)w[j];                                     \
        yr[o] = (T)(acc / (double)k);                                                            \
      } else if (kind == POOL_L2) {                                                              \
        double acc = 0;                                                                          \
        for (int64_t j = 0; j < k; j++) acc += (double)w[j] * (double)w[j];                      \
        yr[o] = (T)sqrt(acc);                                                                    \
      } else {                                                                                   \
        double acc = 0;                                                                          \
        for (int64_t j = 0; j < k; j++) acc += pow((double)w[j], p);                             \
        yr[o] = acc == 0 ? (T)0 : (T)pow(acc, 1.0 / p);                                          \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
}
POOL_FORWARD(float, f32)
POOL_FORWARD(double, f64)

/* First-order backward: gx (zeroed, rows of L) += the share of g (rows of Lo) of each
   window.  lp: d out / d x_j = x_j^(p-1) out^(1-p) (x_j / out for p = 2), 0 where out = 0. */
#define POOL_BACKWARD(T, SUF)                                                                    \
static void pool_bwd_##SUF (int kind, int64_t rows, int64_t L, int64_t Lo, int64_t k, int64_t s, \
                            double p, const T *x, const T *y, const int64_t *idx, const T *g,    \
                            T *gx) {                                                             \
  for (int64_t r = 0; r < rows; r++) {                                                           \
    const T *gr = g + r * Lo;                                                                    \
    T *gxr = gx + r * L;                                                                         \
    if (kind == POOL_MAX) {                                                                      \
      for (int64_t o = 0; o < Lo; o++) gxr[idx[r * Lo + o]] += gr[o];                            \
    } else if (kind == POOL_AVG) {                                                               \
      for (int64_t o = 0; o < Lo; o++) {                                                         \
        T share = (T)((double)gr[o] / (double)k);                                                \
        for (int64_t j = 0; j < k; j++) gxr[o * s + j] += share;                                 \
      }                                                                                          \
    } else if (kind == POOL_L2) {                                                                \
      const T *xr = x + r * L, *yr = y + r * Lo;                                                 \
      for (int64_t o = 0; o < Lo; o++) {                                                         \
        if (yr[o] == 0) continue;                                                                \
        double c = (double)gr[o] / (double)yr[o];                                                \
        for (int64_t j = 0; j < k; j++) gxr[o * s + j] += (T)(c * (double)xr[o * s + j]);        \
      }                                                                                          \
    } else {                                                                                     \
      const T *xr = x + r * L, *yr = y + r * Lo;                                                 \
      for (int64_t o = 0; o < Lo; o++) {                                                         \
        double out = (double)yr[o];                                                              \
        if (out == 0) continue;                                                                  \
        double c = (double)gr[o] * pow(out, 1.0 - p);                                            \
        for (int64_t j = 0; j < k; j++)                                                          \
          gxr[o * s + j] += (T)(c * pow((double)xr[o * s + j], p - 1.0));                        \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
}
POOL_BACKWARD(float, f32)
POOL_BACKWARD(double, f64)

/* ---------------------------------------------------------------- the op */

/* node: saved[0] x as given (the rebuild's stand-in must be the recorded input, not a
   copy, for its gradient to reach it), saved[1] argmax (max pool), out (lp pool);
   ip[0] kind, ip[1] k, ip[2] s; p[0] the norm */
static m1d_Tensor *rebuild_pool (m1d_Tensor **in, const m1d_Node *node) {
  int64_t k = node->ip[1], s = node->ip[2];
  switch ((int)node->ip[0]) {
  case POOL_MAX: return m1d_max_pool1d_composed(in[0], k, s);
  case POOL_AVG: return m1d_avg_pool1d_composed(in[0], k, s);
  default: return m1d_lp_pool1d_composed(in[0], node->p[0], k, s);
  }
}

static int bw_pool (m1d_Node *n, m1d_Tensor *g0, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = n->saved[0];
  if (create_graph) return m1d_backward_by_rebuilding(n, &x, 1, rebuild_pool, g0, gin);
  int kind = (int)n->ip[0];
  int64_t k = n->ip[1], s = n->ip[2], N = x->shape[0], C = x->shape[1], L = x->shape[2];
  int64_t Lo = (L - k) / s + 1;
  m1d_Tensor *g = g0->dtype == x->dtype ? (m1d_incref(g0), g0) : m1d_cast(g0, x->dtype);
  m1d_Tensor *gc = g ? m1d_contiguous_raw(g) : NULL, *xc = NULL, *y = NULL, *gx = NULL;
  if (gc == NULL || (xc = m1d_contiguous_raw(x)) == NULL) goto fail;
  if ((kind == POOL_LP || kind == POOL_L2) && (y = m1d_node_output(n)) == NULL) goto fail;
  if ((gx = m1d_zeros(x->dtype, 3, x->shape)) == NULL) goto fail;
  const int64_t *idx = kind == POOL_MAX ? m1d_data(n->saved[1]) : NULL;
  const void *yd = y ? m1d_data(y) : NULL;
  if (x->dtype == M1D_F32)
    pool_bwd_f32(kind, N * C, L, Lo, k, s, n->p[0], m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  else
    pool_bwd_f64(kind, N * C, L, Lo, k, s, n->p[0], m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  gin[0] = gx;
  m1d_decref(g); m1d_decref(gc); m1d_decref(xc); m1d_decref(y);
  return 0;
fail:
  m1d_decref(g); m1d_decref(gc); m1d_decref(xc); m1d_decref(y); m1d_decref(gx);
  return -1;
}

static m1d_Tensor *pool (int kind, m1d_Tensor *x, double p, int64_t k, int64_t s) {
  const char *op = POOL_NAME[kind];
  if (x->ndim != 3)
    return m1d_fail("%s: input must be [batch, channels, length], got %s", op, m1d_shapestr(x).s);
  if (m1d_check_float(op, x) < 0) return NULL;
  if (k < 1 || s < 1 || x->shape[2] < k)
    return m1d_fail("%s: kernel %lld stride %lld do not fit input %s", op, (long long)k,
                    (long long)s, m1d_shapestr(x).s);
  int64_t N = x->shape[0], C = x->shape[1], L = x->shape[2], Lo = (L - k) / s + 1;
  int64_t oshape[3] = {N, C, Lo};
  int record = m1d_needs_grad(1, &x);
  m1d_Tensor *xc = m1d_contiguous_raw(x), *y = NULL, *idx = NULL;
  if (xc == NULL) return NULL;
  if ((y = m1d_empty(x->dtype, 3, oshape)) == NULL) goto fail;
  if (kind == POOL_MAX && (idx = m1d_empty(M1D_I64, 3, oshape)) == NULL) goto fail;
  int64_t *id = idx ? m1d_data(idx) : NULL;
  if (x->dtype == M1D_F32) pool_fwd_f32(kind, N * C, L, Lo, k, s, p, m1d_data(xc), m1d_data(y), id);
  else pool_fwd_f64(kind, N * C, L, Lo, k, s, p, m1d_data(xc), m1d_data(y), id);
  if (record) {
    m1d_Node *node = m1d_record(op, bw_pool, y, 1, &x);
    if (node == NULL) goto fail;
    node->ip[0] = kind; node->ip[1] = k; node->ip[2] = s; node->p[0] = p;
    if (m1d_node_save(node, 0, x) < 0 || (idx && m1d_node_save(node, 1, idx) < 0)) goto fail;
    if ((kind == POOL_LP || kind == POOL_L2) && m1d_node_save_output(node, y) < 0) goto fail;
  }
  m1d_decref(xc); m1d_decref(idx);
  return y;
fail:
  m1d_decref(xc); m1d_decref(y); m1d_decref(idx);
  return NULL;
}

m1d_Tensor *m1d_max_pool1d (m1d_Tensor *x, int64_t k, int64_t s) { return pool(POOL_MAX, x, 0, k, s); }
m1d_Tensor *m1d_avg_pool1d (m1d_Tensor *x, int64_t k, int64_t s) { return pool(POOL_AVG, x, 0, k, s); }

m1d_Tensor *m1d_lp_pool1d (m1d_Tensor *x, double p, int64_t k, int64_t s) {
  if (!(p > 0)) return m1d_fail("lp_pool1d: norm p must be positive, got %g", p);
  return pool(p == 2 ? POOL_L2 : POOL_LP, x, p, k, s);
}
