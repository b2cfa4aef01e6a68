/*
** ops_conv1d.c — 1-D convolution as one op: im2col and one GEMM for the whole batch.
**
** x [N,C,L], w [O,C,k], b [O] -> y [N,O,Lout].  The columns are laid out
** cols[C*k, N*Lout] (row c*k + j holds x[n, c, l*stride + j - pad] at column
** n*Lout + l), so the batch is one GEMM, W[O, C*k] @ cols -> [O, N*Lout], and so
** are the weight and the column gradients in the backward.
**
** Built from ops (unfold1d, permute, reshape, matmul, add, contiguous), a CNN
** step spent half its time copying between those ops' layouts and running their
** rules.  So the forward and the first-order backward are fused loops around the
** GEMMs.  When the backward itself must be differentiable (create_graph), the
** rule rebuilds the convolution from those ops on stand-ins of its inputs and
** differentiates that (ops_rebuild.c): every order of derivative, the same
** values up to rounding.
*/
/* the copy loops are elementwise: let GCC vectorise them (see ops_elementwise.c) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-tree-loop-distribute-patterns")
#endif
#include <cblas.h>
#include <string.h>
#include "ops_impl.h"

enum { X, W, B, COLS };     /* saved tensors of the node */

/* ---------------------------------------------------------------- the op composed of ops */

static m1d_Tensor *conv1d_composite (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride,
                                     int64_t pad) {
  int64_t O = w->shape[0], Ck = w->shape[1] * w->shape[2], N = x->shape[0];
  int64_t ck[2] = {O, Ck}, bshape[2] = {O, 1}, c2s[2], ys[3];
  const int swap[3] = {1, 0, 2};
  m1d_Tensor *cols = NULL, *cp = NULL, *c2 = NULL, *w2 = NULL, *y = NULL, *yb = NULL,
             *b2 = NULL, *y3 = NULL, *yp = NULL, *r = NULL;
  if ((cols = m1d_unfold1d(x, w->shape[2], stride, pad)) == NULL) goto done;
  c2s[0] = Ck; c2s[1] = N * cols->shape[2];
  ys[0] = O; ys[1] = N; ys[2] = cols->shape[2];
  if ((cp = m1d_permute(cols, swap)) && (c2 = m1d_reshape(cp, 2, c2s)) &&
      (w2 = m1d_reshape(w, 2, ck)) && (y = m1d_matmul(w2, c2))) {
    if (b == NULL) { yb = y; y = NULL; }
    else if ((b2 = m1d_reshape(b, 2, bshape))) yb = m1d_add(y, b2);
    if (yb && (y3 = m1d_reshape(yb, 3, ys)) && (yp = m1d_permute(y3, swap)))
      r = m1d_contiguous(yp);
  }
done:
  m1d_decref(cols); m1d_decref(cp); m1d_decref(c2); m1d_decref(w2); m1d_decref(y);
  m1d_decref(yb); m1d_decref(b2); m1d_decref(y3); m1d_decref(yp);
  return r;
}

/* ---------------------------------------------------------------- kernels */

/* C[m,n] = op(A) op(B), row-major; an empty product is zeros */
static void gemm (m1d_DType dt, int ta, int tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) { memset(c, 0, (size_t)(m * n) * m1d_dtype_size(dt)); return; }
  enum CBLAS_TRANSPOSE A = ta ? CblasTrans : CblasNoTrans, Bt = tb ? CblasTrans : CblasNoTrans;
  if (dt == M1D_F32)
    cblas_sgemm(CblasRowMajor, A, Bt, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, 0.0f, c, (int)ldc);
  else
    cblas_dgemm(CblasRowMajor, A, Bt, (int)m, (int)n, (int)k, 1.0, a, (int)lda, b, (int)ldb, 0.0, c, (int)ldc);
}

/* The outputs l whose tap j reads inside x: 0 <= l*s + j - p < L for l in [*lo, *hi).
   The loops below then run without a branch per element (they were a third of a step). */
static void tap_range (int64_t j, int64_t s, int64_t p, int64_t L, int64_t Lo, int64_t *lo, int64_t *hi) {
  int64_t a = p - j > 0 ? (p - j + s - 1) / s : 0;          /* first l with l*s + j - p >= 0 */
  int64_t b = L - 1 + p - j >= 0 ? (L - 1 + p - j) / s + 1 : 0; /* one past the last l inside */
  *lo = a < Lo ? a : Lo;
  *hi = b < Lo ? b : Lo;
  if (*hi < *lo) *hi = *lo;
}

/* The four copy loops of the op, as kernels built for AVX-512, AVX2 and SSE2 (picked at
   load time; they only move and add, so every build gives the same bits).  The strides
   1 and 2 of the paper's CNN get loops with the stride a constant, which GCC turns into
   vector loads and shuffles: with a variable stride each element was a scalar load and
   store, 70 % of the forward.  Rows are short (Lout = 19, 10, 5 in the paper's CNN), so
   the loops are written out rather than left to memcpy calls. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KERNEL
#endif

#define BY_STRIDE(LOOP) \
  { if (s == 1) LOOP(1) else if (s == 2) LOOP(2) else LOOP(s) }

#define CONV_KERNELS(T, SUF)                                                                       \
/* im2col: cols[c*k + j][n*Lo + l] = x[n][c][l*s + j - p], 0 in the padding (x contiguous) */     \
KERNEL static void im2col_##SUF (const T *x, T *cols, int64_t N, int64_t C, int64_t L, int64_t k, \
                                 int64_t s, int64_t p, int64_t Lo) {                               \
  int64_t P = N * Lo;                                                                              \
  for (int64_t j = 0; j < k; j++) {                                                                \
    int64_t lo, hi;                                                                                \
    tap_range(j, s, p, L, Lo, &lo, &hi);                                                           \
    for (int64_t c = 0; c < C; c++) {                                                              \
      T *row = cols + (c * k + j) * P;                                                             \
      for (int64_t n = 0; n < N; n++) {                                                            \
        const T *xr = x + (n * C + c) * L;                                                         \
        T *o = row + n * Lo;                                                                       \
        for (int64_t l = 0; l < lo; l++) o[l] = 0;                                                 \
        for (int64_t l = hi; l < Lo; l++) o[l] = 0;                                                \
        BY_STRIDE(IM2COL_RUN)                                                                      \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
}                                                                                                  \
/* col2im, the adjoint: dx[n][c][l*s + j - p] += dcols[c*k + j][n*Lo + l] (dx zeroed) */          \
KERNEL static void col2im_##SUF (const T *dcols, T *dx, int64_t N, int64_t C, int64_t L, int64_t k, \
                                 int64_t s, int64_t p, int64_t Lo) {                               \
  int64_t P = N * Lo;                                                                              \
  for (int64_t j = 0; j < k; j++) {                                                                \
    int64_t lo, hi;                                                                                \
    tap_range(j, s, p, L, Lo, &lo, &hi);                                                           \
    for (int64_t c = 0; c < C; c++) {                                                              \
      const T *row = dcols + (c * k + j) * P;                                                      \
      for (int64_t n = 0; n < N; n++) {                                                            \
        T *xr = dx + (n * C + c) * L;                                                              \
        const T *o = row + n * Lo;                                                                 \
        BY_STRIDE(COL2IM_RUN)                                                                      \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
}                                                                                                  \
/* y[n][o][l] = Y[o][n*Lo + l] + b[o] (b may be NULL) */                                           \
KERNEL static void scatter_bias_##SUF (const T *y, T *out, const T *b, int64_t bs, int64_t N,    \
                                       int64_t O, int64_t Lo) {                                    \
  int64_t P = N * Lo;                                                                              \
  for (int64_t n = 0; n < N; n++)                                                                  \
    for (int64_t o = 0; o < O; o++) {                                                              \
      T bias = b ? b[o * bs] : (T)0;                                                               \
      const T *src = y + o * P + n * Lo;                                                           \
      T *dst = out + (n * O + o) * Lo;                                                             \
      for (int64_t l = 0; l < Lo; l++) dst[l] = src[l] + bias;                                     \
    }                                                                                              \
}                                                                                                  \
/* gT[o][n*Lo + l] = g[n][o][l] (g contiguous); db[o] = sum of row o of gT, in double with       \
   8 running sums (one serial chain of adds was the slowest loop of the backward) */               \
KERNEL static void gather_grad_##SUF (const T *g, T *gT, T *db, int64_t N, int64_t O, int64_t Lo) { \
  int64_t P = N * Lo;                                                                              \
  for (int64_t n = 0; n < N; n++)                                                                  \
    for (int64_t o = 0; o < O; o++) {                                                              \
      const T *src = g + (n * O + o) * Lo;                                                         \
      T *dst = gT + o * P + n * Lo;                                                                \
      for (int64_t l = 0; l < Lo; l++) dst[l] = src[l];                                            \
    }                                                                                              \
  if (db == NULL) return;                                                                          \
  for (int64_t o = 0; o < O; o++) {                                                                \
    const T *row = gT + o * P;                                                                     \
    double acc[8] = {0}, sum = 0;                                                                  \
    int64_t q = 0;                                                                                 \
    for (; q + 8 <= P; q += 8)                                                                     \
      for (int u = 0; u < 8; u++) acc[u] += row[q + u];                                            \
    for (int u = 0; u < 8; u++) sum += acc[u];                                                     \
    for (; q < P; q++) sum += row[q];                                                              \
    db[o] = (T)sum;                                                                                \
  }                                                                                                \
}

#define IM2COL_RUN(S) for (int64_t l = lo; l < hi; l++) o[l] = xr[l * (S) + j - p];
#define COL2IM_RUN(S) for (int64_t l = lo; l < hi; l++) xr[l * (S) + j - p] += o[l];

CONV_KERNELS(float, f32)
CONV_KERNELS(double, f64)

/* ---------------------------------------------------------------- backward */

static m1d_Tensor *rebuild_conv1d (m1d_Tensor **in, const m1d_Node *node) {
  return conv1d_composite(in[X], in[W], in[B], node->ip[0], node->ip[1]);
}

static int bw_conv1d (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (create_graph) return m1d_backward_by_rebuilding(node, node->saved, 3, rebuild_conv1d, g, gin);
  m1d_Tensor *x = node->saved[X], *w = node->saved[W], *cols = node->saved[COLS];
  int has_b = node->saved[B] != NULL;
  m1d_DType dt = x->dtype;
  int64_t N = x->shape[0], C = x->shape[1], L = x->shape[2], O = w->shape[0], k = w->shape[2];
  int64_t s = node->ip[0], p = node->ip[1], Lo = g->shape[2], P = N * Lo, Ck = C * k;
  int64_t tshape[2] = {O, P}, cshape[2] = {Ck, P};
  m1d_Tensor *gc = NULL, *gT = NULL, *db = NULL, *dw = NULL, *dcols = NULL, *dx = NULL, *wc = NULL;
  int rc = -1;
  if ((gc = m1d_contiguous_raw(g)) == NULL || (gT = m1d_empty(dt, 2, tshape)) == NULL) goto done;
  if (has_b && node->edges[2].needs && (db = m1d_empty(dt, 1, &O)) == NULL) goto done;
  if (dt == M1D_F32) gather_grad_f32(m1d_data(gc), m1d_data(gT), db ? m1d_data(db) : NULL, N, O, Lo);
  else gather_grad_f64(m1d_data(gc), m1d_data(gT), db ? m1d_data(db) : NULL, N, O, Lo);
  if (node->edges[1].needs) {                    /* dW[O, Ck] = gT @ cols^T */
    if ((dw = m1d_empty(dt, 3, w->shape)) == NULL) goto done;
    gemm(dt, 0, 1, O, Ck, P, m1d_data(gT), P, m1d_data(cols), P, m1d_data(dw), Ck);
  }
  if (node->edges[0].needs) {                    /* dcols[Ck, P] = W^T @ gT, then col2im */
    if ((wc = m1d_contiguous_raw(w)) == NULL || (dcols = m1d_empty(dt, 2, cshape)) == NULL ||
        (dx = m1d_zeros(dt, 3, x->shape)) == NULL)
      goto done;
    gemm(dt, 1, 0, Ck, P, O, m1d_data(wc), Ck, m1d_data(gT), P, m1d_data(dcols), P);
    if (dt == M1D_F32) col2im_f32(m1d_data(dcols), m1d_data(dx), N, C, L, k, s, p, Lo);
    else col2im_f64(m1d_data(dcols), m1d_data(dx), N, C, L, k, s, p, Lo);
  }
  gin[0] = dx; gin[1] = dw;
  if (has_b) gin[2] = db;
  dx = dw = db = NULL;
  rc = 0;
done:
  m1d_decref(gc); m1d_decref(gT); m1d_decref(db); m1d_decref(dw); m1d_decref(dcols);
  m1d_decref(dx); m1d_decref(wc);
  return rc;
}

/* ---------------------------------------------------------------- forward */

m1d_Tensor *m1d_conv1d (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad) {
  if (x->ndim != 3 || w->ndim != 3 || x->shape[1] != w->shape[1])
    return m1d_fail("conv1d: input %s and weight %s: want input [batch, channels, length] and "
                    "weight [out, channels, kernel] with equal channels",
                    m1d_shapestr(x).s, m1d_shapestr(w).s);
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return m1d_fail("conv1d: bias %s does not match weight %s", m1d_shapestr(b).s, m1d_shapestr(w).s);
  if (m1d_check_float("conv1d", x) < 0 || m1d_check_float("conv1d", w) < 0 ||
      (b && m1d_check_float("conv1d", b) < 0))
    return NULL;
  if (x->dtype != w->dtype || (b && b->dtype != x->dtype))
    return m1d_fail("conv1d: input is %s, weight %s%s%s: they must have one dtype", m1d_dtype_name(x->dtype),
                    m1d_dtype_name(w->dtype), b ? ", bias " : "", b ? m1d_dtype_name(b->dtype) : "");
  int64_t N = x->shape[0], C = x->shape[1], L = x->shape[2], O = w->shape[0], k = w->shape[2];
  int64_t s = stride, p = pad;
  if (m1d_check_window("conv1d", L, k, s, p, x) < 0) return NULL;
  int64_t Lo = (L + 2 * p - k) / s + 1;
  if ((double)C * (double)k > 1e15 || (double)N * (double)Lo > 1e15)
    return m1d_fail("conv1d: kernel %lld for input %s: too large", (long long)k, m1d_shapestr(x).s);
  int64_t Ck = C * k, P = N * Lo;
  int64_t cshape[2] = {Ck, P}, yshape[2] = {O, P}, oshape[3] = {N, O, Lo};
  m1d_Tensor *xc = NULL, *wc = NULL, *cols = NULL, *y2 = NULL, *out = NULL;
  if ((xc = m1d_contiguous_raw(x)) == NULL || (wc = m1d_contiguous_raw(w)) == NULL ||
      (cols = m1d_empty(x->dtype, 2, cshape)) == NULL || (y2 = m1d_empty(x->dtype, 2, yshape)) == NULL ||
      (out = m1d_empty(x->dtype, 3, oshape)) == NULL)
    goto fail;
  if (x->dtype == M1D_F32) im2col_f32(m1d_data(xc), m1d_data(cols), N, C, L, k, s, p, Lo);
  else im2col_f64(m1d_data(xc), m1d_data(cols), N, C, L, k, s, p, Lo);
  gemm(x->dtype, 0, 0, O, P, Ck, m1d_data(wc), Ck, m1d_data(cols), P, m1d_data(y2), P);
  if (x->dtype == M1D_F32)
    scatter_bias_f32(m1d_data(y2), m1d_data(out), b ? (const float *)b->storage->data + b->offset : NULL,
                     b ? b->stride[0] : 0, N, O, Lo);
  else
    scatter_bias_f64(m1d_data(y2), m1d_data(out), b ? (const double *)b->storage->data + b->offset : NULL,
                     b ? b->stride[0] : 0, N, O, Lo);
  m1d_Tensor *ins[3] = {x, w, b};
  int nin = b ? 3 : 2;
  if (m1d_needs_grad(nin, ins)) {
    m1d_Node *node = m1d_record("conv1d", bw_conv1d, out, nin, ins);
    if (node == NULL) goto fail;
    m1d_node_save(node, X, x);
    m1d_node_save(node, W, w);
    if (b) m1d_node_save(node, B, b);
    if (node->edges[1].needs) m1d_node_save(node, COLS, cols);   /* only the weight gradient reads it */
    node->ip[0] = s; node->ip[1] = p;
  }
  m1d_decref(xc); m1d_decref(wc); m1d_decref(cols); m1d_decref(y2);
  if (m1d_check_anomaly("conv1d", out) < 0) { m1d_decref(out); return NULL; }
  return out;
fail:
  m1d_decref(xc); m1d_decref(wc); m1d_decref(cols); m1d_decref(y2); m1d_decref(out);
  return NULL;
}
