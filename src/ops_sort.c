/*
** ops_sort.c — sort and topk along a dim, with their indices.
**
** Only the order is computed here: a merge sort of (key, index) pairs per slice, ordered
** by key and then index (so the order is the stable one), gives the indices (topk selects
** its k first, in O(n) on average, and sorts only those), and the values are gather(x, dim, indices), so their
** gradient is gather's (scattered back to the indices) to any order with no rule
** of its own.  The order is torch.sort(stable=True)'s: ties keep their index order in
** both directions, and NaN sorts above every number (last ascending, first descending).
*/
#include <math.h>
#include <string.h>
#include "ops_impl.h"

typedef struct { double k; int64_t i; } KeyF;    /* float32 and float64 keys (exact in double) */
typedef struct { int64_t k; int64_t i; } KeyI;   /* int64 keys (not exact in double) */

/* a before b: by value (NaN above every number), then by index, so every pair is ordered
   and the order is the stable one; desc reverses the values, not the indices */
static inline int before_f (const KeyF *a, const KeyF *b, int desc) {
  int lt = a->k < b->k || (!isnan(a->k) && isnan(b->k)), gt = a->k > b->k || (isnan(a->k) && !isnan(b->k));
  if (desc) { int t = lt; lt = gt; gt = t; }
  return lt || (!gt && a->i < b->i);
}
static inline int before_i (const KeyI *a, const KeyI *b, int desc) {
  if (a->k != b->k) return desc ? a->k > b->k : a->k < b->k;
  return a->i < b->i;
}

/* Bottom-up merge sort of a[0..n) (tmp: n more): insertion-sorted runs of 16, then
   merges.  O(n log n). */
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

/* Moves the first k of a[0..n) in the order to a[0..k) (in no particular order): quickselect
   with a median-of-three pivot, O(n) on average.  Returns 0 if it gave up after about
   2 log2(n) rounds (an unlucky or hostile input), and the caller sorts everything. */
#define DEFINE_SELECT(NAME, KT, BEFORE)                                                      \
  static int NAME (KT *a, int64_t n, int64_t k, int desc) {                                  \
    int64_t lo = 0, hi = n;                                                                  \
    int budget = 8;                                                                          \
    for (int64_t m = n; m > 1; m >>= 1) budget += 2;                                         \
    while (hi - lo > 16) {                                                                   \
      if (budget-- == 0) return 0;                                                           \
      int64_t mid = lo + (hi - lo) / 2, last = hi - 1;                                       \
      KT t;                                                                                  \
      /* order a[lo], a[mid], a[last]; the median goes to a[last] as the pivot */            \
      if (BEFORE(&a[mid], &a[lo], desc)) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }          \
      if (BEFORE(&a[last], &a[lo], desc)) { t = a[last]; a[last] = a[lo]; a[lo] = t; }       \
      if (BEFORE(&a[mid], &a[last], desc)) { t = a[mid]; a[mid] = a[last]; a[last] = t; }    \
      int64_t st = lo;                                                                       \
      for (int64_t i = lo; i < last; i++)                                                    \
        if (BEFORE(&a[i], &a[last], desc)) { t = a[i]; a[i] = a[st]; a[st++] = t; }          \
      t = a[st]; a[st] = a[last]; a[last] = t;                                               \
      if (st == k || st + 1 == k) return 1;                                                  \
      if (k < st) hi = st; else lo = st + 1;                                                 \
    }                                                                                        \
    for (int64_t i = lo + 1; i < hi; i++) {                 /* the last few: sorted */       \
      KT v = a[i];                                                                           \
      int64_t j = i;                                                                         \
      for (; j > lo && BEFORE(&v, &a[j - 1], desc); j--) a[j] = a[j - 1];                    \
      a[j] = v;                                                                              \
    }                                                                                        \
    return 1;                                                                                \
  }
DEFINE_SORT(sort_keys_f, KeyF, before_f)
DEFINE_SORT(sort_keys_i, KeyI, before_i)
DEFINE_SELECT(select_keys_f, KeyF, before_f)
DEFINE_SELECT(select_keys_i, KeyI, before_i)

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

/* One slice's keys a[0..len) (tmp: len more) ordered in their first k places. */
#define ORDER_SLICE(KT, SELECT, SORT)                                                        \
  {                                                                                          \
    KT *a = m1d_data(scratch);                                                               \
    for (int64_t j = 0; j < len; j++) { a[j].k = p[j]; a[j].i = j; }                         \
    if (k < len && SELECT(a, len, k, desc)) SORT(a, a + len, k, desc);                       \
    else SORT(a, a + len, len, desc);                                                        \
    for (int64_t j = 0; j < k; j++) o[j] = a[j].i;                                           \
  }

/* The 0-based int64 indices of the first k elements of each slice along dim in sorted
   order (k = x's size there: the whole sort), shaped like x but k along dim. */
static m1d_Tensor *sort_indices (m1d_Tensor *x, int dim, int desc, int64_t k) {
  int perm[M1D_MAXDIM], back[M1D_MAXDIM];
  m1d_Tensor *xc = dim_last(x, dim, perm), *idx = NULL, *scratch = NULL, *r = NULL;
  if (xc == NULL) return NULL;
  int64_t len = x->shape[dim], rows = len ? m1d_numel(x) / len : 0, nscratch = 4 * (len ? len : 1);
  int64_t shape[M1D_MAXDIM];
  memcpy(shape, xc->shape, sizeof(int64_t) * (size_t)xc->ndim);
  shape[xc->ndim - 1] = k;
  /* the pairs and the merge buffer (2 x len pairs of 16 bytes) live in a tensor the
     collector sees */
  if ((idx = m1d_empty(M1D_I64, xc->ndim, shape)) && (scratch = m1d_empty(M1D_F64, 1, &nscratch))) {
    for (int64_t row = 0; row < rows; row++) {
      int64_t *o = (int64_t *)m1d_data(idx) + row * k;
      if (xc->dtype == M1D_I64) {
        const int64_t *p = (const int64_t *)m1d_data(xc) + row * len;
        ORDER_SLICE(KeyI, select_keys_i, sort_keys_i)
      } else if (xc->dtype == M1D_F32) {
        const float *p = (const float *)m1d_data(xc) + row * len;
        ORDER_SLICE(KeyF, select_keys_f, sort_keys_f)
      } else {
        const double *p = (const double *)m1d_data(xc) + row * len;
        ORDER_SLICE(KeyF, select_keys_f, sort_keys_f)
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
  m1d_Tensor *idx = sort_indices(x, dim, descending, x->shape[dim]);
  return idx ? gather_sorted(x, dim, idx, indices) : NULL;
}

m1d_Tensor *m1d_topk (m1d_Tensor *x, int64_t k, int dim, int largest, m1d_Tensor **indices) {
  if (check_sort_dim("topk", x, dim) < 0) return NULL;
  if (k < 0 || k > x->shape[dim])
    return m1d_fail("topk: k = %lld must lie in 0..%lld (the size of dim %d of %s)", (long long)k,
                    (long long)x->shape[dim], dim + 1, m1d_shapestr(x).s);
  m1d_Tensor *idx = sort_indices(x, dim, largest, k);
  return idx ? gather_sorted(x, dim, idx, indices) : NULL;
}
