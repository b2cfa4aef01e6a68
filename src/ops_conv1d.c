/*
** ops_conv1d.c — 1-D convolution as one op: im2col and one GEMM for the whole batch,
** and its two sibling products, the transposed convolution and the weight correlation.
**
** x [N,C,L], w [O,C,k], b [O] -> y [N,O,Lout].  The columns are laid out
** cols[C*k, N*Lout] (row c*k + j holds x[n, c, l*stride + j - pad] at column
** n*Lout + l), so the batch is one GEMM, W[O, C*k] @ cols -> [O, N*Lout], and so
** are the weight and the column gradients in the backward.  In the batch-last layout
** ("CLN": x [C,L,N] -> y [O,Lout,N]) the columns are ordered l*N + n instead, so the
** product [O, Lout*N] is y itself and a gradient is its own gathered form (see "the two
** layouts").
**
** Built from ops (unfold1d, permute, reshape, matmul, add, contiguous), a CNN
** step spent half its time copying between those ops' layouts and running their
** rules.  So the forward and the first-order backward are fused loops around the
** GEMMs.  The gradients are themselves two fused ops, conv_transpose1d (of the
** input) and conv1d_weight_grad (of the weight), whose gradients are again these
** three ops: every order of derivative stays fused (see "the ops and their rules").
** The op-composed convolution stays as m1d_conv1d_composed, the reference the tests
** compare every order against.
*/
/* the copy loops are elementwise: let GCC vectorise them (see simd.h) */
#include "simd.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-tree-loop-distribute-patterns")   /* besides simd.h's */
#endif
#include <stdio.h>
#include "gemm.h"
#include <string.h>
#include "ops_impl.h"

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
/* y[n][c][l] = b[c] (b may be NULL: zeros), for col2im to add into */                          \
KERNEL static void fill_bias_##SUF (T *y, const T *b, int64_t bs, int64_t N, int64_t C, int64_t L) { \
  for (int64_t n = 0; n < N; n++)                                                                  \
    for (int64_t c = 0; c < C; c++) {                                                              \
      T v = b ? b[c * bs] : (T)0, *dst = y + (n * C + c) * L;                                      \
      for (int64_t l = 0; l < L; l++) dst[l] = v;                                                  \
    }                                                                                              \
}                                                                                                  \
/* db[c] = the sum of y[n][c][l] over n and l, in double (y contiguous) */                        \
KERNEL static void channel_sum_##SUF (const T *y, T *db, int64_t N, int64_t C, int64_t L) {       \
  for (int64_t c = 0; c < C; c++) {                                                                \
    double sum = 0;                                                                                \
    for (int64_t n = 0; n < N; n++) {                                                              \
      const T *src = y + (n * C + c) * L;                                                          \
      double acc = 0;                                                                              \
      for (int64_t l = 0; l < L; l++) acc += src[l];                                               \
      sum += acc;                                                                                  \
    }                                                                                              \
    db[c] = (T)sum;                                                                                \
  }                                                                                                \
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
}                                                                                                  \
/* The batch-last layout [C, L, N]: a tap of one channel at one position is a row of N        \
   contiguous elements, so the columns are copies of whole rows.                                  \
   im2col: cols[c*k + j][l*N + n] = x[c][l*s + j - p][n], 0 in the padding */                    \
KERNEL static void im2col_cln_##SUF (const T *x, T *cols, int64_t N, int64_t C, int64_t L,        \
                                     int64_t k, int64_t s, int64_t p, int64_t Lo) {               \
  for (int64_t c = 0; c < C; c++)                                                                  \
    for (int64_t j = 0; j < k; j++) {                                                              \
      int64_t lo, hi;                                                                              \
      tap_range(j, s, p, L, Lo, &lo, &hi);                                                         \
      T *row = cols + (c * k + j) * Lo * N;                                                        \
      const T *xc = x + (c * L + j - p) * N;                                                       \
      for (int64_t q = 0; q < lo * N; q++) row[q] = 0;                                             \
      for (int64_t q = hi * N; q < Lo * N; q++) row[q] = 0;                                        \
      if (s == 1) memcpy(row + lo * N, xc + lo * N, (size_t)((hi - lo) * N) * sizeof(T));          \
      else                                                                                         \
        for (int64_t l = lo; l < hi; l++) memcpy(row + l * N, xc + l * s * N, (size_t)N * sizeof(T)); \
    }                                                                                              \
}                                                                                                  \
/* col2im, the adjoint: dx[c][l*s + j - p][n] += dcols[c*k + j][l*N + n] */                       \
KERNEL static void col2im_cln_##SUF (const T *dcols, T *dx, int64_t N, int64_t C, int64_t L,      \
                                     int64_t k, int64_t s, int64_t p, int64_t Lo) {               \
  for (int64_t c = 0; c < C; c++)                                                                  \
    for (int64_t j = 0; j < k; j++) {                                                              \
      int64_t lo, hi;                                                                              \
      tap_range(j, s, p, L, Lo, &lo, &hi);                                                         \
      const T *row = dcols + (c * k + j) * Lo * N;                                                 \
      T *xc = dx + (c * L + j - p) * N;                                                            \
      for (int64_t l = lo; l < hi; l++) {                                                          \
        T *d = xc + l * s * N;                                                                     \
        const T *o = row + l * N;                                                                  \
        for (int64_t n = 0; n < N; n++) d[n] += o[n];                                              \
      }                                                                                            \
    }                                                                                              \
}                                                                                                  \
/* y[c][q] = b[c] for q < M (b may be NULL: zeros): the bias of rows of M elements */             \
KERNEL static void fill_rows_##SUF (T *y, const T *b, int64_t bs, int64_t C, int64_t M) {         \
  for (int64_t c = 0; c < C; c++) {                                                                \
    T v = b ? b[c * bs] : (T)0, *dst = y + c * M;                                                  \
    for (int64_t q = 0; q < M; q++) dst[q] = v;                                                    \
  }                                                                                                \
}

#define IM2COL_RUN(S) for (int64_t l = lo; l < hi; l++) o[l] = xr[l * (S) + j - p];
#define COL2IM_RUN(S) for (int64_t l = lo; l < hi; l++) xr[l * (S) + j - p] += o[l];

CONV_KERNELS(float, f32)
CONV_KERNELS(double, f64)

/* ---------------------------------------------------------------- the two layouts

   A layout names where batch, channels and length sit: NCL is [N, C, L], as torch; CLN is
   [C, L, N].  The columns and gathered gradients are [C*k, P] and [O, P], P = N*Lo, their
   columns ordered n*Lo + l (NCL) or l*N + n (CLN).  In CLN the GEMM's product [O, Lo*N] is
   the output itself and a gradient [O, Lo, N] is its own gather: no scatter or gather
   copies, and the columns are copies of rows of N elements instead of Lo (5 to 19 in the
   paper's CNN).  The products below only differ in those copies. */

static int64_t batch_of (const m1d_Tensor *t, int cln) { return t->shape[cln ? 2 : 0]; }
static int64_t chans_of (const m1d_Tensor *t, int cln) { return t->shape[cln ? 0 : 1]; }
static int64_t len_of (const m1d_Tensor *t, int cln) { return t->shape[cln ? 1 : 2]; }

/* the shape [batch, channels, length] in the layout */
static void layout_shape (int cln, int64_t N, int64_t C, int64_t L, int64_t shape[3]) {
  if (cln) { shape[0] = C; shape[1] = L; shape[2] = N; }
  else { shape[0] = N; shape[1] = C; shape[2] = L; }
}

/* ---------------------------------------------------------------- the three products

   Each returns a new plain tensor (no node) or NULL with a message; the ops below check
   shapes and dtypes first, so these only fail on allocation. */

#define BY_DTYPE(dt, F, ...) \
  do { if ((dt) == M1D_F32) F##_f32(__VA_ARGS__); else F##_f64(__VA_ARGS__); } while (0)

static const void *bias_data (const m1d_Tensor *b) {
  if (b == NULL) return NULL;
  return (const char *)b->storage->data + (size_t)b->offset * m1d_dtype_size(b->dtype);
}

/* db[r] = the sum of row r of y [R, M] (y contiguous), in double */
static void row_sums (m1d_DType dt, const void *y, void *db, int64_t R, int64_t M) {
  for (int64_t r = 0; r < R; r++)
    if (dt == M1D_F32) ((float *)db)[r] = (float)m1d_total_f32((const float *)y + r * M, M);
    else ((double *)db)[r] = m1d_total_f64((const double *)y + r * M, M);
}

/* the columns of x: [C*k, N*Lo] */
static m1d_Tensor *im2col_of (m1d_Tensor *x, int64_t k, int64_t s, int64_t p, int64_t Lo, int cln) {
  int64_t N = batch_of(x, cln), C = chans_of(x, cln), L = len_of(x, cln), shape[2] = {C * k, N * Lo};
  m1d_Tensor *xc = m1d_contiguous_raw(x), *cols = NULL;
  if (xc && (cols = m1d_empty(x->dtype, 2, shape))) {
    if (cln) BY_DTYPE(x->dtype, im2col_cln, m1d_data(xc), m1d_data(cols), N, C, L, k, s, p, Lo);
    else BY_DTYPE(x->dtype, im2col, m1d_data(xc), m1d_data(cols), N, C, L, k, s, p, Lo);
  }
  m1d_decref(xc);
  return cols;
}

/* g [N,O,Lo] or [O,Lo,N] -> gT [O, N*Lo] (in CLN g itself, made contiguous); with db,
   also db[o] = the sum of g over n and l */
static m1d_Tensor *gather_of (m1d_Tensor *g, m1d_Tensor *db, int cln) {
  int64_t N = batch_of(g, cln), O = chans_of(g, cln), Lo = len_of(g, cln), shape[2] = {O, N * Lo};
  m1d_Tensor *gc = m1d_contiguous_raw(g), *gT = NULL;
  if (gc == NULL) return NULL;
  if (cln) {
    gT = gc;
    if (db) row_sums(g->dtype, m1d_data(gc), m1d_data(db), O, N * Lo);
    return gT;
  }
  if ((gT = m1d_empty(g->dtype, 2, shape)))
    BY_DTYPE(g->dtype, gather_grad, m1d_data(gc), m1d_data(gT), db ? m1d_data(db) : NULL, N, O, Lo);
  m1d_decref(gc);
  return gT;
}

/* the convolution: y = W [O, C*k] @ cols + b (b may be NULL), [N,O,Lo] or [O,Lo,N] */
static m1d_Tensor *conv_of_cols (m1d_Tensor *w, m1d_Tensor *cols, m1d_Tensor *b, int64_t N, int64_t Lo,
                                 int cln) {
  m1d_DType dt = w->dtype;
  int64_t O = w->shape[0], Ck = w->shape[1] * w->shape[2], P = N * Lo;
  int64_t yshape[2] = {O, P}, oshape[3];
  layout_shape(cln, N, O, Lo, oshape);
  m1d_Tensor *wc = NULL, *y2 = NULL, *out = NULL;
  if ((wc = m1d_contiguous_raw(w)) == NULL || (out = m1d_empty(dt, 3, oshape)) == NULL) goto done;
  if (cln) {                                    /* the product is the output: bias first, then add */
    if (b) BY_DTYPE(dt, fill_rows, m1d_data(out), bias_data(b), b->stride[0], O, P);
    m1d_gemm(dt, CblasNoTrans, CblasNoTrans, O, P, Ck, m1d_data(wc), Ck, m1d_data(cols), P, b != NULL, m1d_data(out), P);
  } else {
    if ((y2 = m1d_empty(dt, 2, yshape)) == NULL) { m1d_decref(out); out = NULL; goto done; }
    m1d_gemm(dt, CblasNoTrans, CblasNoTrans, O, P, Ck, m1d_data(wc), Ck, m1d_data(cols), P, 0, m1d_data(y2), P);
    BY_DTYPE(dt, scatter_bias, m1d_data(y2), m1d_data(out), bias_data(b), b ? b->stride[0] : 0, N, O, Lo);
  }
done:
  m1d_decref(wc); m1d_decref(y2);
  return out;
}

/* the transposed convolution: y = col2im(W^T @ gT) + b, gT [O, N*Lo] (b may be NULL),
   [N,C,L] or [C,L,N] */
static m1d_Tensor *tconv_of_gT (m1d_Tensor *w, m1d_Tensor *gT, m1d_Tensor *b, int64_t N, int64_t L,
                                int64_t s, int64_t p, int64_t Lo, int cln) {
  m1d_DType dt = w->dtype;
  int64_t O = w->shape[0], C = w->shape[1], k = w->shape[2], Ck = C * k, P = N * Lo;
  int64_t cshape[2] = {Ck, P}, yshape[3];
  layout_shape(cln, N, C, L, yshape);
  m1d_Tensor *wc = NULL, *dcols = NULL, *y = NULL;
  if ((wc = m1d_contiguous_raw(w)) == NULL || (dcols = m1d_empty(dt, 2, cshape)) == NULL ||
      (y = m1d_empty(dt, 3, yshape)) == NULL)
    goto done;
  m1d_gemm(dt, CblasTrans, CblasNoTrans, Ck, P, O, m1d_data(wc), Ck, m1d_data(gT), P, 0, m1d_data(dcols), P);
  if (cln) {
    BY_DTYPE(dt, fill_rows, m1d_data(y), bias_data(b), b ? b->stride[0] : 0, C, L * N);
    BY_DTYPE(dt, col2im_cln, m1d_data(dcols), m1d_data(y), N, C, L, k, s, p, Lo);
  } else {
    BY_DTYPE(dt, fill_bias, m1d_data(y), bias_data(b), b ? b->stride[0] : 0, N, C, L);
    BY_DTYPE(dt, col2im, m1d_data(dcols), m1d_data(y), N, C, L, k, s, p, Lo);
  }
done:
  m1d_decref(wc); m1d_decref(dcols);
  return y;
}

/* the correlation: dw [O,C,k] = gT [O, N*Lo] @ cols^T (both layouts order the columns alike) */
static m1d_Tensor *wgrad_of (m1d_Tensor *gT, m1d_Tensor *cols, int64_t C, int64_t k) {
  int64_t O = gT->shape[0], P = cols->shape[1], Ck = C * k, shape[3] = {O, C, k};
  m1d_Tensor *dw = m1d_empty(gT->dtype, 3, shape);
  if (dw) m1d_gemm(gT->dtype, CblasNoTrans, CblasTrans, O, Ck, P, m1d_data(gT), P, m1d_data(cols), P, 0, m1d_data(dw), Ck);
  return dw;
}

/* b [C] from y: the sum over n and l (the bias gradient of a transposed convolution) */
static m1d_Tensor *channel_sum_of (m1d_Tensor *y, int cln) {
  int64_t C = chans_of(y, cln);
  m1d_Tensor *yc = m1d_contiguous_raw(y), *db = NULL;
  if (yc && (db = m1d_empty(y->dtype, 1, &C))) {
    if (cln) row_sums(y->dtype, m1d_data(yc), m1d_data(db), C, y->shape[1] * y->shape[2]);
    else BY_DTYPE(y->dtype, channel_sum, m1d_data(yc), m1d_data(db), y->shape[0], C, y->shape[2]);
  }
  m1d_decref(yc);
  return db;
}

/* the same, differentiable: g summed to [1,O,1] or [O,1,1], then [O] */
static m1d_Tensor *bias_grad (m1d_Tensor *g, int cln) {
  int64_t O = chans_of(g, cln), keep[3] = {1, O, 1};
  if (cln) { keep[0] = O; keep[1] = 1; }
  m1d_Tensor *s = m1d_sum_to(g, 3, keep), *r = NULL;
  if (s) r = m1d_reshape(s, 1, &O);
  m1d_decref(s);
  return r;
}

/* ---------------------------------------------------------------- the ops and their rules

   conv1d(x, w), conv_transpose(g, w) and wgrad(x, g) are the three bilinear products of
   one convolution, and the derivative of each in either argument is another of them:

     y = conv1d(x, w):          dx = conv_transpose(dy, w),   dw = wgrad(x, dy)
     y = conv_transpose(g, w):  dg = conv1d(dy, w),           dw = wgrad(dy, g)
     y = wgrad(x, g):           dx = conv_transpose(g, dy),   dg = conv1d(x, dy)

   (dy the upstream gradient, all at one stride, padding, kernel size and layout).  So
   under create_graph each rule calls the other ops, which record nodes of their own, and
   every order of derivative is made of these fused ops (a GEMM and copy loops each), as
   PyTorch's convolution double backward is made of convolutions.  Without create_graph
   each rule is one fused pass that shares its im2col or gather between the two gradients. */

static m1d_Tensor *conv1d_op (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t s, int64_t p, int cln,
                              m1d_Tensor *cols);
static m1d_Tensor *conv_transpose_op (m1d_Tensor *g, m1d_Tensor *w, m1d_Tensor *b, int64_t s, int64_t p,
                                      int64_t L, int cln, m1d_Tensor *gT);
static m1d_Tensor *wgrad_op (m1d_Tensor *x, m1d_Tensor *g, int64_t k, int64_t s, int64_t p, int cln,
                             m1d_Tensor *cols, m1d_Tensor *gT);

/* The tensors each node saves.  Besides its inputs, a node keeps the layouts its forward
   made and its rule needs again: the columns of x, the gathered gT of g (both plain
   data; under create_graph they only feed the values of ops that record g and x).
   ip: stride, padding, the layout (1 for CLN), and wgrad's kernel size. */
enum { X, W, B, COLS };                   /* conv1d: x, w, b (kept as a flag), columns of x */
enum { TG = 0, TW = 1, TB = 2, TGT = 3 };  /* conv_transpose: g, w, b (flag), gT */
enum { GX = 0, GG = 1, GCOLS = 2, GGT = 3 };  /* wgrad: x, g, columns of x, gT */
enum { IP_STRIDE, IP_PAD, IP_CLN, IP_K };

static int bw_conv1d (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = node->saved[X], *w = node->saved[W], *cols = node->saved[COLS];
  int has_b = node->saved[B] != NULL, cln = (int)node->ip[IP_CLN];
  int64_t N = batch_of(x, cln), C = chans_of(x, cln), L = len_of(x, cln), k = w->shape[2];
  int64_t s = node->ip[IP_STRIDE], p = node->ip[IP_PAD], Lo = len_of(g, cln);
  m1d_Tensor *gT = NULL, *db = NULL, *dw = NULL, *dx = NULL;
  int64_t O = w->shape[0];
  if (create_graph) {                           /* one gather of g serves both ops */
    if ((node->edges[0].needs || node->edges[1].needs) && (gT = gather_of(g, NULL, cln)) == NULL) goto fail;
    if (node->edges[0].needs && (dx = conv_transpose_op(g, w, NULL, s, p, L, cln, gT)) == NULL) goto fail;
    if (node->edges[1].needs && (dw = wgrad_op(x, g, k, s, p, cln, cols, gT)) == NULL) goto fail;
    if (has_b && node->edges[2].needs && (db = bias_grad(g, cln)) == NULL) goto fail;
    m1d_decref(gT);
  } else {                                      /* one gather of g serves all three */
    if (has_b && node->edges[2].needs && (db = m1d_empty(g->dtype, 1, &O)) == NULL) goto fail;
    if ((gT = gather_of(g, db, cln)) == NULL) goto fail;
    if (node->edges[1].needs && (dw = wgrad_of(gT, cols, C, k)) == NULL) goto fail;
    if (node->edges[0].needs && (dx = tconv_of_gT(w, gT, NULL, N, L, s, p, Lo, cln)) == NULL) goto fail;
    m1d_decref(gT);
  }
  gin[0] = dx; gin[1] = dw;
  if (has_b) gin[2] = db;
  return 0;
fail:
  m1d_decref(gT); m1d_decref(db); m1d_decref(dw); m1d_decref(dx);
  return -1;
}

static int bw_conv_transpose (m1d_Node *node, m1d_Tensor *dy, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *g = node->saved[TG], *w = node->saved[TW], *gT_saved = node->saved[TGT];
  int has_b = node->saved[TB] != NULL, cln = (int)node->ip[IP_CLN];
  int64_t s = node->ip[IP_STRIDE], p = node->ip[IP_PAD], k = w->shape[2];
  int64_t N = batch_of(g, cln), Lo = len_of(g, cln);
  m1d_Tensor *cols = NULL, *gT = NULL, *dg = NULL, *dw = NULL, *db = NULL;
  int need_g = node->edges[0].needs, need_w = node->edges[1].needs, need_b = has_b && node->edges[2].needs;
  if (create_graph) {
    if (need_g && (dg = conv1d_op(dy, w, NULL, s, p, cln, NULL)) == NULL) goto fail;
    if (need_w && (dw = wgrad_op(dy, g, k, s, p, cln, NULL, gT_saved)) == NULL) goto fail;
    if (need_b && (db = bias_grad(dy, cln)) == NULL) goto fail;
  } else {                                      /* one im2col of dy serves both products */
    if ((need_g || need_w) && (cols = im2col_of(dy, k, s, p, Lo, cln)) == NULL) goto fail;
    if (need_g && (dg = conv_of_cols(w, cols, NULL, N, Lo, cln)) == NULL) goto fail;
    if (need_w && gT_saved == NULL && (gT = gather_of(g, NULL, cln)) == NULL) goto fail;
    if (need_w && (dw = wgrad_of(gT ? gT : gT_saved, cols, w->shape[1], k)) == NULL) goto fail;
    if (need_b && (db = channel_sum_of(dy, cln)) == NULL) goto fail;
    m1d_decref(cols); m1d_decref(gT);
  }
  gin[0] = dg; gin[1] = dw;
  if (has_b) gin[2] = db;
  return 0;
fail:
  m1d_decref(cols); m1d_decref(gT); m1d_decref(dg); m1d_decref(dw); m1d_decref(db);
  return -1;
}

static int bw_wgrad (m1d_Node *node, m1d_Tensor *dw, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = node->saved[GX], *g = node->saved[GG], *cols = node->saved[GCOLS], *gT_saved = node->saved[GGT];
  int cln = (int)node->ip[IP_CLN];
  int64_t s = node->ip[IP_STRIDE], p = node->ip[IP_PAD], k = node->ip[IP_K], L = len_of(x, cln);
  int64_t N = batch_of(x, cln), Lo = len_of(g, cln);
  m1d_Tensor *gT = NULL, *own = NULL, *dx = NULL, *dg = NULL;
  if (create_graph) {
    if (node->edges[0].needs && (dx = conv_transpose_op(g, dw, NULL, s, p, L, cln, gT_saved)) == NULL) goto fail;
    if (node->edges[1].needs && (dg = conv1d_op(x, dw, NULL, s, p, cln, cols)) == NULL) goto fail;
  } else {
    if (node->edges[0].needs) {
      if (gT_saved == NULL && (gT = gather_of(g, NULL, cln)) == NULL) goto fail;
      if ((dx = tconv_of_gT(dw, gT ? gT : gT_saved, NULL, N, L, s, p, Lo, cln)) == NULL) goto fail;
    }
    if (node->edges[1].needs) {
      if (cols == NULL && (cols = own = im2col_of(x, k, s, p, Lo, cln)) == NULL) goto fail;
      if ((dg = conv_of_cols(dw, cols, NULL, N, Lo, cln)) == NULL) goto fail;
    }
    m1d_decref(gT); m1d_decref(own);
  }
  gin[0] = dx; gin[1] = dg;
  return 0;
fail:
  m1d_decref(gT); m1d_decref(own); m1d_decref(dx); m1d_decref(dg);
  return -1;
}

/* The forwards, on checked arguments (the public functions below check them).
   cols: the columns of x if the caller has them (the rule of conv1d passes its own), else NULL. */
static m1d_Tensor *conv1d_op (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t s, int64_t p, int cln,
                              m1d_Tensor *cols) {
  int64_t k = w->shape[2], Lo = (len_of(x, cln) + 2 * p - k) / s + 1;
  m1d_Tensor *own = NULL, *out = NULL;
  if (cols == NULL && (cols = own = im2col_of(x, k, s, p, Lo, cln)) == NULL) return NULL;
  if ((out = conv_of_cols(w, cols, b, batch_of(x, cln), Lo, cln)) == NULL) goto fail;
  m1d_Tensor *ins[3] = {x, w, b};
  int nin = b ? 3 : 2;
  if (m1d_needs_grad(nin, ins)) {
    m1d_Node *node = m1d_record("conv1d", bw_conv1d, out, nin, ins);
    if (node == NULL) goto fail;
    m1d_node_save(node, X, x);
    m1d_node_save(node, W, w);
    if (b) m1d_node_save(node, B, b);
    if (node->edges[1].needs) m1d_node_save(node, COLS, cols);   /* only the weight gradient reads it */
    node->ip[IP_STRIDE] = s; node->ip[IP_PAD] = p; node->ip[IP_CLN] = cln;
  }
  m1d_decref(own);
  return out;
fail:
  m1d_decref(own); m1d_decref(out);
  return NULL;
}

static m1d_Tensor *conv_transpose_op (m1d_Tensor *g, m1d_Tensor *w, m1d_Tensor *b, int64_t s, int64_t p,
                                      int64_t L, int cln, m1d_Tensor *gT) {
  int64_t N = batch_of(g, cln), Lo = len_of(g, cln);
  m1d_Tensor *out = NULL;
  if (gT) m1d_incref(gT);
  else if ((gT = gather_of(g, NULL, cln)) == NULL) goto fail;
  if ((out = tconv_of_gT(w, gT, b, N, L, s, p, Lo, cln)) == NULL) goto fail;
  m1d_Tensor *ins[3] = {g, w, b};
  int nin = b ? 3 : 2;
  if (m1d_needs_grad(nin, ins)) {
    m1d_Node *node = m1d_record("conv_transpose1d", bw_conv_transpose, out, nin, ins);
    if (node == NULL) goto fail;
    m1d_node_save(node, TG, g);
    m1d_node_save(node, TW, w);
    if (b) m1d_node_save(node, TB, b);
    if (node->edges[1].needs) m1d_node_save(node, TGT, gT);   /* only the weight gradient reads it */
    node->ip[IP_STRIDE] = s; node->ip[IP_PAD] = p; node->ip[IP_CLN] = cln;
  }
  m1d_decref(gT);
  return out;
fail:
  m1d_decref(gT); m1d_decref(out);
  return NULL;
}

static m1d_Tensor *wgrad_op (m1d_Tensor *x, m1d_Tensor *g, int64_t k, int64_t s, int64_t p, int cln,
                             m1d_Tensor *cols, m1d_Tensor *gT) {
  int64_t Lo = len_of(g, cln);
  m1d_Tensor *own = NULL, *out = NULL;
  if (gT) m1d_incref(gT);
  else if ((gT = gather_of(g, NULL, cln)) == NULL) goto fail;
  if (cols == NULL && (cols = own = im2col_of(x, k, s, p, Lo, cln)) == NULL) goto fail;
  if ((out = wgrad_of(gT, cols, chans_of(x, cln), k)) == NULL) goto fail;
  m1d_Tensor *ins[2] = {x, g};
  if (m1d_needs_grad(2, ins)) {
    m1d_Node *node = m1d_record("conv1d_weight_grad", bw_wgrad, out, 2, ins);
    if (node == NULL) goto fail;
    m1d_node_save(node, GX, x);
    m1d_node_save(node, GG, g);
    if (node->edges[1].needs) m1d_node_save(node, GCOLS, cols);   /* only the gradient of g reads it */
    if (node->edges[0].needs) m1d_node_save(node, GGT, gT);       /* only the gradient of x reads it */
    node->ip[IP_STRIDE] = s; node->ip[IP_PAD] = p; node->ip[IP_CLN] = cln; node->ip[IP_K] = k;
  }
  m1d_decref(own); m1d_decref(gT);
  return out;
fail:
  m1d_decref(own); m1d_decref(gT); m1d_decref(out);
  return NULL;
}

/* ---------------------------------------------------------------- the public functions */

/* float tensors of one dtype (b may be NULL); 0, or -1 naming op and the operands */
static int check_dtypes (const char *op, const char *n1, m1d_Tensor *a, const char *n2, m1d_Tensor *c,
                         m1d_Tensor *b) {
  if (m1d_check_float(op, a) < 0 || m1d_check_float(op, c) < 0 || (b && m1d_check_float(op, b) < 0))
    return -1;
  if (a->dtype != c->dtype || (b && b->dtype != a->dtype))
    return m1d_failcode("%s: %s is %s, %s %s%s%s: they must have one dtype", op, n1, m1d_dtype_name(a->dtype),
                        n2, m1d_dtype_name(c->dtype), b ? ", bias " : "", b ? m1d_dtype_name(b->dtype) : "");
  return 0;
}

/* the words of a layout's dims, for messages: "[batch, channels, length]" or its CLN order */
static const char *dims_words (int cln, const char *c, const char *l, char buf[96]) {
  if (cln) snprintf(buf, 96, "[%s, %s, batch]", c, l);
  else snprintf(buf, 96, "[batch, %s, %s]", c, l);
  return buf;
}

static int check_layout (const char *op, m1d_ConvLayout layout) {
  if (layout != M1D_NCL && layout != M1D_CLN)
    return m1d_failcode("%s: layout %d: want M1D_NCL or M1D_CLN", op, (int)layout);
  return 0;
}

m1d_Tensor *m1d_conv1d (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad,
                        m1d_ConvLayout layout) {
  if (check_layout("conv1d", layout) < 0) return NULL;
  int cln = layout == M1D_CLN;
  char words[96];
  if (x->ndim != 3 || w->ndim != 3 || chans_of(x, cln) != w->shape[1])
    return m1d_fail("conv1d: input %s and weight %s: want input %s and "
                    "weight [out, channels, kernel] with equal channels",
                    m1d_shapestr(x).s, m1d_shapestr(w).s, dims_words(cln, "channels", "length", words));
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return m1d_fail("conv1d: bias %s does not match weight %s", m1d_shapestr(b).s, m1d_shapestr(w).s);
  if (check_dtypes("conv1d", "input", x, "weight", w, b) < 0) return NULL;
  int64_t L = len_of(x, cln), k = w->shape[2];
  if (m1d_check_window("conv1d", L, k, stride, pad, x) < 0) return NULL;
  int64_t Lo = (L + 2 * pad - k) / stride + 1;
  if ((double)chans_of(x, cln) * (double)k > 1e15 || (double)batch_of(x, cln) * (double)Lo > 1e15)
    return m1d_fail("conv1d: kernel %lld for input %s: too large", (long long)k, m1d_shapestr(x).s);
  return conv1d_op(x, w, b, stride, pad, cln, NULL);
}

m1d_Tensor *m1d_conv_transpose1d (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad,
                                  int64_t output_padding, m1d_ConvLayout layout) {
  if (check_layout("conv_transpose1d", layout) < 0) return NULL;
  int cln = layout == M1D_CLN;
  char words[96];
  if (x->ndim != 3 || w->ndim != 3 || chans_of(x, cln) != w->shape[0])
    return m1d_fail("conv_transpose1d: input %s and weight %s: want input %s "
                    "and weight [in_channels, out_channels, kernel]",
                    m1d_shapestr(x).s, m1d_shapestr(w).s, dims_words(cln, "in_channels", "length", words));
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[1]))
    return m1d_fail("conv_transpose1d: bias %s does not match weight %s (want [%lld])", m1d_shapestr(b).s,
                    m1d_shapestr(w).s, (long long)w->shape[1]);
  if (check_dtypes("conv_transpose1d", "input", x, "weight", w, b) < 0) return NULL;
  int64_t Lin = len_of(x, cln), k = w->shape[2], s = stride, p = pad, op = output_padding;
  const int64_t big = (int64_t)1 << 40;
  if (k < 1 || s < 1 || p < 0 || op < 0 || k > big || s > big || p > big)
    return m1d_fail("conv_transpose1d: kernel %lld, stride %lld, padding %lld, output_padding %lld: kernel "
                    "and stride must be >= 1 (and not huge), padding and output_padding >= 0",
                    (long long)k, (long long)s, (long long)p, (long long)op);
  if (op >= s)
    return m1d_fail("conv_transpose1d: output_padding %lld must be smaller than the stride %lld",
                    (long long)op, (long long)s);
  if (Lin < 1 || (double)Lin * (double)s > 1e15 || (double)batch_of(x, cln) * (double)Lin > 1e15 ||
      (double)w->shape[1] * (double)k > 1e15)
    return m1d_fail("conv_transpose1d: input %s with weight %s, stride %lld: want length >= 1, not huge",
                    m1d_shapestr(x).s, m1d_shapestr(w).s, (long long)s);
  int64_t L = (Lin - 1) * s - 2 * p + k + op;
  if (L < 1)
    return m1d_fail("conv_transpose1d: input %s, kernel %lld, stride %lld, padding %lld: the output length "
                    "(%lld - 1) * %lld - 2 * %lld + %lld + %lld = %lld is not positive", m1d_shapestr(x).s,
                    (long long)k, (long long)s, (long long)p, (long long)Lin, (long long)s, (long long)p,
                    (long long)k, (long long)op, (long long)L);
  return conv_transpose_op(x, w, b, s, p, L, cln, NULL);
}

m1d_Tensor *m1d_conv1d_weight_grad (m1d_Tensor *x, m1d_Tensor *g, int64_t k, int64_t stride, int64_t pad,
                                    m1d_ConvLayout layout) {
  if (check_layout("conv1d_weight_grad", layout) < 0) return NULL;
  int cln = layout == M1D_CLN;
  char w1[96], w2[96];
  if (x->ndim != 3 || g->ndim != 3 || batch_of(x, cln) != batch_of(g, cln))
    return m1d_fail("conv1d_weight_grad: input %s and output gradient %s: want %s "
                    "and %s with equal batch", m1d_shapestr(x).s, m1d_shapestr(g).s,
                    dims_words(cln, "channels", "length", w1), dims_words(cln, "out", "out length", w2));
  if (check_dtypes("conv1d_weight_grad", "input", x, "output gradient", g, NULL) < 0) return NULL;
  int64_t L = len_of(x, cln);
  if (m1d_check_window("conv1d_weight_grad", L, k, stride, pad, x) < 0) return NULL;
  int64_t Lo = (L + 2 * pad - k) / stride + 1;
  if (len_of(g, cln) != Lo)
    return m1d_fail("conv1d_weight_grad: output gradient %s: conv1d of input %s with kernel %lld, stride "
                    "%lld, padding %lld has length %lld", m1d_shapestr(g).s, m1d_shapestr(x).s, (long long)k,
                    (long long)stride, (long long)pad, (long long)Lo);
  if ((double)chans_of(x, cln) * (double)k > 1e15)
    return m1d_fail("conv1d_weight_grad: kernel %lld for input %s: too large", (long long)k, m1d_shapestr(x).s);
  return wgrad_op(x, g, k, stride, pad, cln, NULL, NULL);
}

/* conv1d built from differentiable ops (unfold1d, matmul, reshapes): the reference the
   fused op and its rules are tested against, at every order (tests/lua/conv_test.lua). */
m1d_Tensor *m1d_conv1d_composed (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad) {
  if (x->ndim != 3 || w->ndim != 3 || x->shape[1] != w->shape[1])
    return m1d_fail("conv1d_composed: input %s and weight %s: want input [batch, channels, length] and "
                    "weight [out, channels, kernel] with equal channels",
                    m1d_shapestr(x).s, m1d_shapestr(w).s);
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return m1d_fail("conv1d_composed: bias %s does not match weight %s", m1d_shapestr(b).s, m1d_shapestr(w).s);
  if (check_dtypes("conv1d_composed", "input", x, "weight", w, b) < 0) return NULL;
  return conv1d_composite(x, w, b, stride, pad);
}
