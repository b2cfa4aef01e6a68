/*
** ops_sort.c — sort and topk along a dim, with their indices.
**
** Only the order is computed here: a stable merge sort of (key, index) pairs per
** slice gives the indices, and the values are gather(x, dim, indices), so their
** gradient is gather's (scattered back to the indices) to any order with no rule
** of its own.  The order is torch.sort(stable=True)'s: ties keep their index order in
** both directions, and NaN sorts above every number (last ascending, first descending).
*/
#include <math.h>
#include <string.h>
#include "ops_impl.h"

typedef struct { double k; int64_t i; } KeyF;    /* float32 and float64 keys (exact in double) */
typedef struct { int64_t k; int64_t i; } KeyI;   /* int64 keys (not exact in double) */

static inline int before_f (const KeyF *a, const KeyF *b, int desc) {
  if (desc) return a->k > b->k || (isnan(a->k) && !isnan(b->k));
  return a->k < b->k || (!isnan(a->k) && isnan(b->k));
}
static inline int before_i (const KeyI *a, const KeyI *b, int desc) { return desc ? a->k > b->k : a->k < b->k; }

/* Bottom-up merge sort of a[0..n) (tmp: n more): insertion-sorted runs of 16, then
   merges that take the right element only when it goes strictly before the left one,
   so equal keys keep their order (stable).  O(n log n). */
#define DEFINE_SORT(NAME, KT, BEFORE)                                                        \
  static void NAME (KT *a, KT *tmp, int64_t n, int desc) {                                   \
    const int64_t RUN = 16;                                                                  \
    for (int64_t lo = 0; lo < n; lo += RUN) {                                                \
      int64_t hi = lo + RUN < n ? lo + RUN : n;                                              \
      for (int64_t i = lo + 1; i < hi; i++) {                                                \
        KT v = a[i];                                                                         \
        int64_t j = i;                                                                       \
        for (; j > lo && BEFORE(&v, &a[j - 1], desc); j--) a[j] = a[j - 1];                  \
        a[j] = v;                                                                            \
      }                                                                                      \
    }                                                                                        \
    KT *src = a, *dst = tmp;                                                                 \
    for (int64_t w = RUN; w < n; w *= 2) {                                                   \
      for (int64_t lo = 0; lo < n; lo += 2 * w) {                                            \
        int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;         \
        int64_t i = lo, j = mid, o = lo;                                                     \
        while (i < mid && j < hi) dst[o++] = BEFORE(&src[j], &src[i], desc) ? src[j++] : src[i++]; \
        while (i < mid) dst[o++] = src[i++];                                                 \
        while (j < hi) dst[o++] = src[j++];                                                  \
      }                                                                                      \
      KT *t = src; src = dst; dst = t;                                                       \
    }                                                                                        \
    if (src != a) memcpy(a, src, (size_t)n * sizeof(KT));                                    \
  }
DEFINE_SORT(sort_keys_f, KeyF, before_f)
DEFINE_SORT(sort_keys_i, KeyI, before_i)

/* x with dim moved last, as a contiguous tensor (a copy when needed) */
static m1d_Tensor *dim_last (m1d_Tensor *x, int dim, int *perm) {
  int k = 0;
  for (int d = 0; d < x->ndim; d++) if (d != dim) perm[k++] = d;
  perm[k] = dim;
  m1d_Tensor *p = m1d_view_permute(x, perm);
  if (p == NULL) return NULL;
  m1d_Tensor *c = m1d_contiguous_raw(p);
  m1d_decref(p);
  return c;
}

/* The 0-based int64 indices that sort x along dim, shaped like x. */
static m1d_Tensor *sort_indices (m1d_Tensor *x, int dim, int desc) {
  int perm[M1D_MAXDIM], back[M1D_MAXDIM];
  m1d_Tensor *xc = dim_last(x, dim, perm), *idx = NULL, *scratch = NULL, *r = NULL;
  if (xc == NULL) return NULL;
  int64_t len = x->shape[dim], rows = len ? m1d_numel(x) / len : 0, nscratch = 4 * (len ? len : 1);
  /* the pairs and the merge buffer (2 x len pairs of 16 bytes) live in a tensor the
     collector sees */
  if ((idx = m1d_empty(M1D_I64, xc->ndim, xc->shape)) && (scratch = m1d_empty(M1D_F64, 1, &nscratch))) {
    int64_t *ip = m1d_data(idx);
    for (int64_t r0 = 0; r0 < rows; r0++) {
      int64_t *o = ip + r0 * len;
      if (xc->dtype == M1D_I64) {
        KeyI *a = m1d_data(scratch);
        const int64_t *p = (const int64_t *)m1d_data(xc) + r0 * len;
        for (int64_t j = 0; j < len; j++) { a[j].k = p[j]; a[j].i = j; }
        sort_keys_i(a, a + len, len, desc);
        for (int64_t j = 0; j < len; j++) o[j] = a[j].i;
      } else {
        KeyF *a = m1d_data(scratch);
        if (xc->dtype == M1D_F32) {
          const float *p = (const float *)m1d_data(xc) + r0 * len;
          for (int64_t j = 0; j < len; j++) { a[j].k = p[j]; a[j].i = j; }
        } else {
          const double *p = (const double *)m1d_data(xc) + r0 * len;
          for (int64_t j = 0; j < len; j++) { a[j].k = p[j]; a[j].i = j; }
        }
        sort_keys_f(a, a + len, len, desc);
        for (int64_t j = 0; j < len; j++) o[j] = a[j].i;
      }
    }
    /* back to x's dim order: result dim d is idx's dim back[d] */
    for (int d = 0; d < x->ndim; d++) back[perm[d]] = d;
    m1d_Tensor *v = m1d_view_permute(idx, back);
    if (v) { r = m1d_contiguous_raw(v); m1d_decref(v); }
  }
  m1d_decref(scratch);
  m1d_decref(idx);
  m1d_decref(xc);
  return r;
}

static int check_sort_dim (const char *op, const m1d_Tensor *x, int dim) {
  if (dim < 0 || dim >= x->ndim)
    return m1d_failcode("%s: dim %d out of range for a tensor of shape %s", op, dim + 1, m1d_shapestr(x).s);
  return 0;
}

/* values = gather(x, dim, idx): differentiable in x; indices handed over or dropped */
static m1d_Tensor *gather_sorted (m1d_Tensor *x, int dim, m1d_Tensor *idx, m1d_Tensor **indices) {
  m1d_Tensor *v = m1d_gather(x, dim, idx);
  if (v && indices) *indices = idx;
  else m1d_decref(idx);
  return v;
}

m1d_Tensor *m1d_sort (m1d_Tensor *x, int dim, int descending, m1d_Tensor **indices) {
  if (check_sort_dim("sort", x, dim) < 0) return NULL;
  m1d_Tensor *idx = sort_indices(x, dim, descending);
  return idx ? gather_sorted(x, dim, idx, indices) : NULL;
}

m1d_Tensor *m1d_topk (m1d_Tensor *x, int64_t k, int dim, int largest, m1d_Tensor **indices) {
  if (check_sort_dim("topk", x, dim) < 0) return NULL;
  if (k < 0 || k > x->shape[dim])
    return m1d_fail("topk: k = %lld must lie in 0..%lld (the size of dim %d of %s)", (long long)k,
                    (long long)x->shape[dim], dim + 1, m1d_shapestr(x).s);
  m1d_Tensor *all = sort_indices(x, dim, largest), *first = NULL, *idx = NULL;
  if (all && (first = m1d_view_narrow(all, dim, 0, k))) idx = m1d_contiguous_raw(first);
  m1d_decref(first);
  m1d_decref(all);
  return idx ? gather_sorted(x, dim, idx, indices) : NULL;
}
