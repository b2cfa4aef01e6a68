/*
** seq_fm.h — the feature-major sequence layout shared by the fused recurrent ops
** (ops_gru.c, ops_lstm.c, ops_rnn.c): [T][rows][L] blocks of doubles, one row per feature, the
** batch along the row padded to L lanes (see ops_gru.c's header for why), and the
** conversions between it and [B][T][K] tensors.  Included after each op file's
** vectorisation pragma, so these loops are compiled like the op's own.
*/
#ifndef M1D_SEQ_FM_H
#define M1D_SEQ_FM_H

#include <stdint.h>
#include <string.h>
#include "ops_impl.h"
#include "pool.h"
#include "fastmath.h"

/* the lanes of a batch of B: B rounded up to a multiple of 8 (whole vectors) */
static inline int64_t lanes_of (int64_t B) { return (B + 7) / 8 * 8; }

/* A workspace of count doubles from the pool (recycled step after step), not zeroed:
   the callers clear only their accumulators (zeroing all of it was 5 % of a GRU step).
   *base is its first 64-byte boundary (count includes 8 doubles of slack for it);
   carve() hands out consecutive pieces from there, the [rows][L] blocks first, so that
   they all start on a boundary. */
static inline double *workspace (size_t count, size_t *bytes, double **base) {
  int fresh;
  *bytes = (count + 8) * sizeof(double);
  double *p = m1d_pool_data(*bytes, &fresh);
  *base = p ? (double *)(((uintptr_t)p + 63) & ~(uintptr_t)63) : NULL;
  return p;
}

static inline double *carve (double **cursor, int64_t n) {
  double *p = *cursor;
  *cursor += n;
  return p;
}

/* copy t (any float dtype, any layout) into d as doubles, row-major; t NULL: n zeros.
   Weights and biases (float32 or float64, 1-D or 2-D) are read in place through their
   strides; anything else goes through a float64 copy. */
#define FILL_2D(TYPE)                                                                   \
  do {                                                                                  \
    const TYPE *p = m1d_data(t);                                                        \
    for (int64_t i = 0; i < rows; i++)                                                  \
      for (int64_t j = 0; j < cols; j++) d[i * cols + j] = p[i * s0 + j * s1];          \
  } while (0)

static inline int fill_double (double *d, const m1d_Tensor *t, int64_t n) {
  if (t == NULL) { memset(d, 0, (size_t)n * sizeof *d); return 0; }
  if ((t->dtype == M1D_F32 || t->dtype == M1D_F64) && (t->ndim == 1 || t->ndim == 2)) {
    int64_t rows = t->ndim == 2 ? t->shape[0] : 1, cols = t->shape[t->ndim - 1];
    int64_t s0 = t->ndim == 2 ? t->stride[0] : 0, s1 = t->stride[t->ndim - 1];
    if (rows * cols == 0) return 0;
    if (t->dtype == M1D_F32) FILL_2D(float);
    else FILL_2D(double);
    return 0;
  }
  m1d_Tensor *v = m1d_empty(M1D_F64, t->ndim, t->shape);
  if (v == NULL) return -1;
  m1d_copy_into(v, t);
  memcpy(d, m1d_data(v), (size_t)m1d_numel(v) * sizeof *d);
  m1d_decref(v);
  return 0;
}

/* Step-major, feature-major copy of t, a [B][T][K] tensor (or [B][K] with T = 1) of any
   strides: d[(st*K + k)*L + b] = t[b][t][k], st the processing step of time t, and the
   pad lanes b = B..L-1 zero.  Read in place for float32 and float64 (the output's
   gradient is usually a strided view of a concatenation: no contiguous copy first). */
#define LOAD_FM(TYPE)                                                                   \
  do {                                                                                  \
    const TYPE *p = src;                                                                \
    for (int64_t tt = 0; tt < T; tt++) {                                                \
      double *o = d + (reverse ? T - 1 - tt : tt) * K * L;                              \
      for (int64_t k = 0; k < K; k++, o += L) {                                         \
        const TYPE *q = p + tt * stt + k * sk;                                          \
        for (int64_t b = 0; b < B; b++) o[b] = q[b * sb];                               \
        for (int64_t b = B; b < L; b++) o[b] = 0;                                       \
      }                                                                                 \
    }                                                                                   \
  } while (0)

/* the same from raw data: src of float32 (f32) or float64 values with strides sb, stt, sk */
static inline void load_fm_raw (double *d, int64_t L, const void *src, int f32, int64_t sb, int64_t stt, int64_t sk,
                         int64_t B, int64_t T, int64_t K, int reverse) {
  if (f32) LOAD_FM(float);
  else LOAD_FM(double);
}

static inline int load_fm (double *d, int64_t L, const m1d_Tensor *t, int64_t B, int64_t T, int64_t K, int reverse) {
  if (B * T * K == 0) return 0;
  if (t->dtype != M1D_F32 && t->dtype != M1D_F64) {     /* an int64 grad_outputs: convert first */
    m1d_Tensor *v = m1d_empty(M1D_F64, t->ndim, t->shape);
    if (v == NULL) return -1;
    m1d_copy_into(v, t);
    int rc = load_fm(d, L, v, B, T, K, reverse);
    m1d_decref(v);
    return rc;
  }
  int three = t->ndim == 3;
  int64_t sb = t->stride[0], stt = three ? t->stride[1] : 0, sk = t->stride[three ? 2 : 1];
  load_fm_raw(d, L, m1d_data(t), t->dtype == M1D_F32, sb, stt, sk, B, T, K, reverse);
  return 0;
}

/* The inverse: a new contiguous tensor of dtype dt and shape [B][T][K] (ndim 3) or
   [B][K] (ndim 2, T = 1) from the step-major d (L lanes a row).  Eight output columns
   (t, k) at a time, so that a pass writes eight consecutive values of each batch row
   rather than one value into every cache line of the output (~10 % faster). */
#define STORE_FM(TYPE)                                                                  \
  do {                                                                                  \
    TYPE *p = dst;                                                                      \
    for (int64_t c0 = 0; c0 < TK; c0 += 8) {                                            \
      const double *src[8];                                                             \
      int64_t n = TK - c0 < 8 ? TK - c0 : 8;                                            \
      for (int64_t c = 0; c < n; c++) {                                                 \
        int64_t tt = (c0 + c) / K, k = (c0 + c) % K;                                    \
        src[c] = d + ((reverse ? T - 1 - tt : tt) * K + k) * L;                         \
      }                                                                                 \
      TYPE *o = p + c0;                                                                 \
      if (n == 8)                                                                       \
        for (int64_t b = 0; b < B; b++, o += TK)                                        \
          for (int c = 0; c < 8; c++) o[c] = (TYPE)src[c][b];                           \
      else                                                                              \
        for (int64_t b = 0; b < B; b++, o += TK)                                        \
          for (int64_t c = 0; c < n; c++) o[c] = (TYPE)src[c][b];                       \
    }                                                                                   \
  } while (0)

/* into contiguous [B][T][K] memory at dst (float32 or float64 values) */
static inline void store_fm_raw (const double *d, int64_t L, m1d_DType dt, void *dst, int64_t B, int64_t T, int64_t K,
                          int reverse) {
  int64_t TK = T * K;
  if (B * TK == 0) return;
  if (dt == M1D_F64) STORE_FM(double);
  else STORE_FM(float);
}

static inline m1d_Tensor *store_fm (const double *d, int64_t L, m1d_DType dt, int ndim, const int64_t *shape,
                             int reverse) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t == NULL) return NULL;
  store_fm_raw(d, L, dt, m1d_data(t), shape[0], ndim == 3 ? shape[1] : 1, shape[ndim - 1], reverse);
  return t;
}

static inline void from_double_raw (const double *d, m1d_DType dt, void *dst, int64_t n) {
  if (dt == M1D_F64) memcpy(dst, d, (size_t)n * sizeof *d);
  else { float *f = dst; for (int64_t i = 0; i < n; i++) f[i] = (float)d[i]; }
}

static inline m1d_Tensor *from_double (const double *d, m1d_DType dt, int ndim, const int64_t *shape) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t == NULL) return NULL;
  from_double_raw(d, dt, m1d_data(t), m1d_numel(t));
  return t;
}

/* Row sums of a [rows][L] block added to eight lanes a row in db ([rows][8]; lane b % 8):
   the bias gradients, summed over the batch in eight running sums (a serial chain of adds
   was the slowest loop of a step).  Inlined into each op's KERNEL step, so it vectorises
   for that clone's target. */
static M1D_ALWAYS_INLINE void add_lanes (const double *restrict blk, int64_t rows, int64_t L, double *restrict db) {
  for (int64_t k = 0; k < rows; k++) {
    const double *row = blk + k * L;
    double a[8], *acc = db + 8 * k;
    for (int l = 0; l < 8; l++) a[l] = acc[l];
    for (int64_t b = 0; b < L; b += 8)
      for (int l = 0; l < 8; l++) a[l] += row[b + l];
    for (int l = 0; l < 8; l++) acc[l] = a[l];
  }
}

/* A recurrent op's first-order gradients into gin: bufs[i] is input i's, and the node's
   edges are the inputs present in in[] (the optional ones may be NULL), in order.  Inputs
   whose bit is set in seq (x, h0, c0) are in the step-major layout with L lanes (x's
   steps reversed for a reverse direction); the others (weights, biases) plain row-major
   doubles.  0, or -1 with a message. */
static inline int seq_hand_out (const m1d_Node *node, m1d_Tensor *const *in, int n, const double *const *bufs,
                                unsigned seq, int64_t L, int reverse, m1d_Tensor **gin) {
  for (int i = 0, e = 0; i < n; i++) {
    if (in[i] == NULL) continue;
    const m1d_Edge *ed = &node->edges[e];
    if (ed->needs) {
      gin[e] = (seq >> i) & 1 ? store_fm(bufs[i], L, ed->dtype, ed->ndim, ed->shape, reverse)
                              : from_double(bufs[i], ed->dtype, ed->ndim, ed->shape);
      if (gin[e] == NULL) return -1;
    }
    e++;
  }
  return 0;
}

/* The output res of a recurrent op (gru, lstm, rnn) recorded when an input needs a
   gradient: the node gets the inputs present (the optional ones may be NULL in all[])
   and owns the op's saved state from then on; otherwise the state is freed here.  res,
   or NULL (res released) when recording fails. */
static inline m1d_Tensor *seq_record (const char *name, m1d_BackwardFn bw, m1d_Tensor *res, int n,
                                      m1d_Tensor *const *all, void *saved, void (*saved_free) (void *)) {
  enum { MAX_INPUTS = 8 };          /* lstm's 7 are the most */
  if (n > MAX_INPUTS) {
    m1d_decref(res);
    saved_free(saved);
    return m1d_fail("%s: %d inputs, more than seq_record's %d", name, n, (int)MAX_INPUTS);
  }
  if (res && m1d_needs_grad(n, all)) {
    m1d_Tensor *ins[MAX_INPUTS];
    int nin = 0;
    for (int i = 0; i < n; i++) if (all[i]) ins[nin++] = all[i];
    m1d_Node *node = m1d_record(name, bw, res, nin, ins);
    if (node == NULL) { m1d_decref(res); res = NULL; }
    else {
      node->ud = saved;
      node->ud_free = saved_free;
      saved = NULL;                /* owned by the node now */
    }
  }
  if (saved) saved_free(saved);
  return res;
}

#endif
