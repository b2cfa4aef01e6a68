/*
** ops_scan.c — cumulative sums along a dim.
**
** cumsum's gradient is the cumulative sum of g taken from the other end, so one op
** with a direction flag is its own backward rule, to any order of derivative.
** Float sums run in double, as sum() does (and PyTorch's CPU kernel); int64 sums
** are exact and wrap around on overflow, as sum()'s do.
*/
#include <stdint.h>
#include "ops_impl.h"

/* x viewed as [outer][len][inner] (contiguous); each (outer, inner) column summed along
   len, from the end when reverse.  acc holds inner running sums. */
#define SCAN_LOOP(T, ACC)                                                                 \
  {                                                                                       \
    const T *xp = m1d_data(xc); T *op = m1d_data(out); ACC *acc = accbuf;                 \
    for (int64_t o = 0; o < outer; o++) {                                                 \
      if (inner == 1) {                     /* along the last dim: one sum in a register */ \
        ACC a1 = 0;                                                                       \
        for (int64_t s = 0; s < len; s++) {                                               \
          int64_t j = o * len + (reverse ? len - 1 - s : s);                              \
          a1 += (ACC)xp[j]; op[j] = (T)a1;                                                \
        }                                                                                 \
        continue;                                                                         \
      }                                                                                   \
      for (int64_t i = 0; i < inner; i++) acc[i] = 0;                                     \
      for (int64_t s = 0; s < len; s++) {                                                 \
        int64_t j = reverse ? len - 1 - s : s, base = (o * len + j) * inner;              \
        for (int64_t i = 0; i < inner; i++) { acc[i] += (ACC)xp[base + i]; op[base + i] = (T)acc[i]; } \
      }                                                                                   \
    }                                                                                     \
  }

static m1d_Tensor *cumsum_raw (m1d_Tensor *x, int dim, int reverse) {
  int64_t outer = 1, inner = 1, len = x->shape[dim];
  for (int d = 0; d < dim; d++) outer *= x->shape[d];
  for (int d = dim + 1; d < x->ndim; d++) inner *= x->shape[d];
  m1d_Tensor *xc = m1d_contiguous_raw(x), *out = NULL, *scratch = NULL;
  if (xc == NULL) return NULL;
  /* the running sums live in a tensor, so the collector sees them */
  int64_t n = inner > 0 ? inner : 1;
  if ((out = m1d_empty(x->dtype, x->ndim, x->shape)) && (scratch = m1d_empty(M1D_F64, 1, &n))) {
    void *accbuf = m1d_data(scratch);
    if (x->dtype == M1D_F32) SCAN_LOOP(float, double)
    else if (x->dtype == M1D_F64) SCAN_LOOP(double, double)
    else {
      /* through uint64: signed overflow is undefined, wrapping is what sum() does */
      const int64_t *xp = m1d_data(xc);
      int64_t *op = m1d_data(out);
      uint64_t *acc = accbuf;
      for (int64_t o = 0; o < outer; o++) {
        for (int64_t i = 0; i < inner; i++) acc[i] = 0;
        for (int64_t s = 0; s < len; s++) {
          int64_t j = reverse ? len - 1 - s : s, base = (o * len + j) * inner;
          for (int64_t i = 0; i < inner; i++) { acc[i] += (uint64_t)xp[base + i]; op[base + i] = (int64_t)acc[i]; }
        }
      }
    }
  } else {
    m1d_decref(out);
    out = NULL;
  }
  m1d_decref(scratch);
  m1d_decref(xc);
  return out;
}

static m1d_Tensor *cumsum_dir (m1d_Tensor *x, int dim, int reverse);

static int bw_cumsum (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = cumsum_dir(g, (int)n->ip[0], !n->ip[1]);
  return gin[0] ? 0 : -1;
}

static m1d_Tensor *cumsum_dir (m1d_Tensor *x, int dim, int reverse) {
  if (dim < 0 || dim >= x->ndim)
    return m1d_fail("cumsum: dim %d out of range for a tensor of shape %s", dim + 1, m1d_shapestr(x).s);
  m1d_Tensor *out = cumsum_raw(x, dim, reverse);
  if (out == NULL || !m1d_needs_grad(1, &x)) return out;
  m1d_Node *node = m1d_record("cumsum", bw_cumsum, out, 1, &x);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = dim;
  node->ip[1] = reverse;
  return out;
}

m1d_Tensor *m1d_cumsum (m1d_Tensor *x, int dim) { return cumsum_dir(x, dim, 0); }
