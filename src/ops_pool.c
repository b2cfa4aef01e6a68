/*
** ops_pool.c — max, average and Lp pooling over the length of [N, C, L] (or of the
** batch-last [C, L, N], conv1d's "CLN" layout): one pass each way.
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
/* the batch-last loops run along rows: let GCC vectorise them (see simd.h) */
#include "simd.h"
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

/* The same in the batch-last layout [C, L, N]: a window is k rows of N elements, and each
   loop over n runs along a row (vectorised), with the same arithmetic per element as the
   loops above, so the two layouts give the same bits.  idx holds the argmax's position
   in the length, as above.  The max is branch-free: on random data a branch on v > m
   mispredicted half the time and the loop ran scalar, 3x slower than the NCL one. */
#define POOL_CLN(T, SUF)                                                                         \
KERNEL static void pool_fwd_cln_##SUF (int kind, int64_t C, int64_t L, int64_t Lo, int64_t k, int64_t s,\
                                       double p, int64_t N, const T *x, T *y, int64_t *idx) {   \
  enum { CHUNK = 256 };                                                                          \
  double acc[CHUNK];                                                                             \
  for (int64_t c = 0; c < C; c++)                                                                \
    for (int64_t o = 0; o < Lo; o++) {                                                           \
      const T *w = x + (c * L + o * s) * N;                                                      \
      T *yr = y + (c * Lo + o) * N;                                                              \
      if (kind == POOL_MAX) {                                                                    \
        int64_t *ir = idx + (c * Lo + o) * N;                                                    \
        for (int64_t n = 0; n < N; n++) { yr[n] = w[n]; ir[n] = o * s; }                         \
        for (int64_t j = 1; j < k; j++)              /* a NaN is taken once and then kept */     \
          for (int64_t n = 0; n < N; n++) {                                                      \
            T v = w[j * N + n], m = yr[n];                                                       \
            int take = (v > m) | ((v != v) & (m == m));                                          \
            yr[n] = take ? v : m; ir[n] = take ? o * s + j : ir[n];                              \
          }                                                                                      \
        continue;                                                                                \
      }                                                                                          \
      for (int64_t n0 = 0; n0 < N; n0 += CHUNK) {   /* sums in double, a chunk of n at a time */ \
        int64_t m = N - n0 < CHUNK ? N - n0 : CHUNK;                                             \
        const T *wn = w + n0;                                                                    \
        T *yn = yr + n0;                                                                         \
        for (int64_t n = 0; n < m; n++) acc[n] = 0;                                              \
        if (kind == POOL_AVG) {                                                                  \
          for (int64_t j = 0; j < k; j++)                                                        \
            for (int64_t n = 0; n < m; n++) acc[n] += (double)wn[j * N + n];                     \
          for (int64_t n = 0; n < m; n++) yn[n] = (T)(acc[n] / (double)k);                       \
        } else if (kind == POOL_L2) {                                                            \
          for (int64_t j = 0; j < k; j++)                                                        \
            for (int64_t n = 0; n < m; n++) acc[n] += (double)wn[j * N + n] * (double)wn[j * N + n]; \
          for (int64_t n = 0; n < m; n++) yn[n] = (T)sqrt(acc[n]);                               \
        } else {                                                                                 \
          for (int64_t j = 0; j < k; j++)                                                        \
            for (int64_t n = 0; n < m; n++) acc[n] += pow((double)wn[j * N + n], p);             \
          for (int64_t n = 0; n < m; n++) yn[n] = acc[n] == 0 ? (T)0 : (T)pow(acc[n], 1.0 / p);  \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
}                                                                                                \
KERNEL static void pool_bwd_cln_##SUF (int kind, int64_t C, int64_t L, int64_t Lo, int64_t k, int64_t s,\
                                       double p, int64_t N, const T *x, const T *y,              \
                                       const int64_t *idx, const T *g, T *gx) {                  \
  for (int64_t c = 0; c < C; c++)                                                                \
    for (int64_t o = 0; o < Lo; o++) {                                                           \
      const T *gr = g + (c * Lo + o) * N;                                                        \
      if (kind == POOL_MAX) {                                                                    \
        const int64_t *ir = idx + (c * Lo + o) * N;                                              \
        for (int64_t n = 0; n < N; n++) gx[(c * L + ir[n]) * N + n] += gr[n];                    \
        continue;                                                                                \
      }                                                                                          \
      const T *xw = x + (c * L + o * s) * N, *yr = y ? y + (c * Lo + o) * N : NULL;              \
      T *gw = gx + (c * L + o * s) * N;                                                          \
      for (int64_t j = 0; j < k; j++) {                                                          \
        T *gj = gw + j * N;                                                                      \
        const T *xj = xw + j * N;                                                                \
        if (kind == POOL_AVG)                                                                    \
          for (int64_t n = 0; n < N; n++) gj[n] += (T)((double)gr[n] / (double)k);               \
        else if (kind == POOL_L2)       /* a zero window (all x 0) adds 0 * x = 0 */             \
          for (int64_t n = 0; n < N; n++) {                                                      \
            double cf = yr[n] == 0 ? 0.0 : (double)gr[n] / (double)yr[n];                        \
            gj[n] += (T)(cf * (double)xj[n]);                                                    \
          }                                                                                      \
        else                                                                                     \
          for (int64_t n = 0; n < N; n++) {                                                      \
            double out = (double)yr[n];                                                          \
            if (out != 0) gj[n] += (T)((double)gr[n] * pow(out, 1.0 - p) * pow((double)xj[n], p - 1.0)); \
          }                                                                                      \
      }                                                                                          \
    }                                                                                            \
}
POOL_CLN(float, f32)
POOL_CLN(double, f64)

/* ---------------------------------------------------------------- the op */

/* node: saved[0] x as given (the rebuild's stand-in must be the recorded input, not a
   copy, for its gradient to reach it), saved[1] argmax (max pool), out (lp pool);
   ip[0] kind, ip[1] k, ip[2] s, ip[3] 1 for the CLN layout; p[0] the norm */
static m1d_Tensor *composed_pool (int kind, m1d_Tensor *x, double p, int64_t k, int64_t s) {
  switch (kind) {
  case POOL_MAX: return m1d_max_pool1d_composed(x, k, s);
  case POOL_AVG: return m1d_avg_pool1d_composed(x, k, s);
  default: return m1d_lp_pool1d_composed(x, p, k, s);
  }
}

/* the composed pools take [N, C, L]: a CLN input is permuted there and the result back */
static m1d_Tensor *rebuild_pool (m1d_Tensor **in, const m1d_Node *node) {
  int kind = (int)node->ip[0];
  int64_t k = node->ip[1], s = node->ip[2];
  if (!node->ip[3]) return composed_pool(kind, in[0], node->p[0], k, s);
  static const int to_ncl[3] = {2, 0, 1}, to_cln[3] = {1, 2, 0};
  m1d_Tensor *xn = m1d_permute(in[0], to_ncl), *yn = xn ? composed_pool(kind, xn, node->p[0], k, s) : NULL;
  m1d_Tensor *y = yn ? m1d_permute(yn, to_cln) : NULL;
  m1d_decref(xn); m1d_decref(yn);
  return y;
}

/* [N, C, L] or [C, L, N]: rows (N*C, or C) and the elements of a row per position (1, or N) */
static int64_t pool_rows (const m1d_Tensor *x, int cln) { return cln ? x->shape[0] : x->shape[0] * x->shape[1]; }
static int64_t pool_len (const m1d_Tensor *x, int cln) { return x->shape[cln ? 1 : 2]; }

static int bw_pool (m1d_Node *n, m1d_Tensor *g0, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = n->saved[0];
  if (create_graph) return m1d_backward_by_rebuilding(n, &x, 1, rebuild_pool, g0, gin);
  int kind = (int)n->ip[0], cln = (int)n->ip[3];
  int64_t k = n->ip[1], s = n->ip[2], rows = pool_rows(x, cln), L = pool_len(x, cln), N = x->shape[2];
  int64_t Lo = (L - k) / s + 1;
  m1d_Tensor *g = g0->dtype == x->dtype ? (m1d_incref(g0), g0) : m1d_cast(g0, x->dtype);
  m1d_Tensor *gc = g ? m1d_contiguous_raw(g) : NULL, *xc = NULL, *y = NULL, *gx = NULL;
  if (gc == NULL || (xc = m1d_contiguous_raw(x)) == NULL) goto fail;
  if ((kind == POOL_LP || kind == POOL_L2) && (y = m1d_node_output(n)) == NULL) goto fail;
  if ((gx = m1d_zeros(x->dtype, 3, x->shape)) == NULL) goto fail;
  const int64_t *idx = kind == POOL_MAX ? m1d_data(n->saved[1]) : NULL;
  const void *yd = y ? m1d_data(y) : NULL;
  if (cln && x->dtype == M1D_F32)
    pool_bwd_cln_f32(kind, rows, L, Lo, k, s, n->p[0], N, m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  else if (cln)
    pool_bwd_cln_f64(kind, rows, L, Lo, k, s, n->p[0], N, m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  else if (x->dtype == M1D_F32)
    pool_bwd_f32(kind, rows, L, Lo, k, s, n->p[0], m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  else
    pool_bwd_f64(kind, rows, L, Lo, k, s, n->p[0], m1d_data(xc), yd, idx, m1d_data(gc), m1d_data(gx));
  gin[0] = gx;
  m1d_decref(g); m1d_decref(gc); m1d_decref(xc); m1d_decref(y);
  return 0;
fail:
  m1d_decref(g); m1d_decref(gc); m1d_decref(xc); m1d_decref(y); m1d_decref(gx);
  return -1;
}

static m1d_Tensor *pool (int kind, m1d_Tensor *x, double p, int64_t k, int64_t s, m1d_ConvLayout layout) {
  const char *op = POOL_NAME[kind];
  if (layout != M1D_NCL && layout != M1D_CLN)
    return m1d_fail("%s: layout %d: want M1D_NCL or M1D_CLN", op, (int)layout);
  int cln = layout == M1D_CLN;
  if (x->ndim != 3)
    return m1d_fail("%s: input must be %s, got %s", op,
                    cln ? "[channels, length, batch]" : "[batch, channels, length]", m1d_shapestr(x).s);
  if (m1d_check_float(op, x) < 0) return NULL;
  int64_t rows = pool_rows(x, cln), L = pool_len(x, cln), N = x->shape[2];
  if (k < 1 || s < 1 || L < k)
    return m1d_fail("%s: kernel %lld stride %lld do not fit input %s", op, (long long)k,
                    (long long)s, m1d_shapestr(x).s);
  int64_t Lo = (L - k) / s + 1;
  int64_t oshape[3] = {x->shape[0], x->shape[1], Lo};
  if (cln) { oshape[1] = Lo; oshape[2] = N; }
  int record = m1d_needs_grad(1, &x);
  m1d_Tensor *xc = m1d_contiguous_raw(x), *y = NULL, *idx = NULL;
  if (xc == NULL) return NULL;
  if ((y = m1d_empty(x->dtype, 3, oshape)) == NULL) goto fail;
  if (kind == POOL_MAX && (idx = m1d_empty(M1D_I64, 3, oshape)) == NULL) goto fail;
  int64_t *id = idx ? m1d_data(idx) : NULL;
  if (cln && x->dtype == M1D_F32) pool_fwd_cln_f32(kind, rows, L, Lo, k, s, p, N, m1d_data(xc), m1d_data(y), id);
  else if (cln) pool_fwd_cln_f64(kind, rows, L, Lo, k, s, p, N, m1d_data(xc), m1d_data(y), id);
  else if (x->dtype == M1D_F32) pool_fwd_f32(kind, rows, L, Lo, k, s, p, m1d_data(xc), m1d_data(y), id);
  else pool_fwd_f64(kind, rows, L, Lo, k, s, p, m1d_data(xc), m1d_data(y), id);
  if (record) {
    m1d_Node *node = m1d_record(op, bw_pool, y, 1, &x);
    if (node == NULL) goto fail;
    node->ip[0] = kind; node->ip[1] = k; node->ip[2] = s; node->ip[3] = cln; node->p[0] = p;
    if (m1d_node_save(node, 0, x) < 0 || (idx && m1d_node_save(node, 1, idx) < 0)) goto fail;
    if ((kind == POOL_LP || kind == POOL_L2) && m1d_node_save_output(node, y) < 0) goto fail;
  }
  m1d_decref(xc); m1d_decref(idx);
  return y;
fail:
  m1d_decref(xc); m1d_decref(y); m1d_decref(idx);
  return NULL;
}

m1d_Tensor *m1d_max_pool1d (m1d_Tensor *x, int64_t k, int64_t s, m1d_ConvLayout layout) {
  return pool(POOL_MAX, x, 0, k, s, layout);
}
m1d_Tensor *m1d_avg_pool1d (m1d_Tensor *x, int64_t k, int64_t s, m1d_ConvLayout layout) {
  return pool(POOL_AVG, x, 0, k, s, layout);
}

m1d_Tensor *m1d_lp_pool1d (m1d_Tensor *x, double p, int64_t k, int64_t s, m1d_ConvLayout layout) {
  if (!(p > 0)) return m1d_fail("lp_pool1d: norm p must be positive, got %g", p);
  return pool(p == 2 ? POOL_L2 : POOL_LP, x, p, k, s, layout);
}
