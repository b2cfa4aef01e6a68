/*
** knn.c — k-nearest-neighbour search through GEMM, and the majority vote.
**
** Euclidean: for a query x and training rows y_j the ranking key is
** |y_j|^2 - 2 x.y_j (|x|^2 is the same for the whole row and added only to the
** distances returned), which is how scikit-learn's brute-force search ranks too:
** leaving out the large constant keeps near-equal distances apart.  Cosine: rows are
** normalised first (a zero row stays zero) and the key is 1 - x.y.
**
** Selection keeps the k best of a row in a sorted array; a new key goes after every
** key it equals, and only a strictly smaller key displaces the k-th, so equal
** distances are ordered (and kept) by training index: a stable sort's first k.
*/
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "knn.h"

/* contiguous float64 data of t: t itself (incref'd) when it already is, else a copy;
   `own` forces a copy (the cosine metric normalises the rows in place) */
static m1d_Tensor *as_f64 (const m1d_Tensor *t, int own) {
  if (!own && t->dtype == M1D_F64) return m1d_contiguous_raw((m1d_Tensor *)t);
  return m1d_cast_raw(t, M1D_F64);
}

static int check_finite (const double *a, int64_t n, const char *name) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(a[i])) return m1d_failcode("knn: %s holds a NaN or infinite value (element %lld)", name, (long long)i + 1);
  return 0;
}

/* per-row squared norms; with `normalise` the rows are scaled to unit length in place */
static void row_norms (double *a, int64_t n, int64_t d, double *norm2, int normalise) {
  for (int64_t i = 0; i < n; i++) {
    double *r = a + i * d, s = 0;
    for (int64_t j = 0; j < d; j++) s += r[j] * r[j];
    norm2[i] = s;
    if (normalise && s > 0) {
      double inv = 1.0 / sqrt(s);
      for (int64_t j = 0; j < d; j++) r[j] *= inv;
    }
  }
}

/* the k smallest keys of row[0..n) in order, stable by index, into best_key/best_idx */
static void select_k (const double *row, int64_t n, int64_t k, double *best_key, int64_t *best_idx) {
  int64_t have = 0;
  for (int64_t j = 0; j < n; j++) {
    double v = row[j];
    if (have == k && !(v < best_key[k - 1])) continue;
    int64_t p = have < k ? have : k - 1;       /* slot freed at the end */
    while (p > 0 && best_key[p - 1] > v) {     /* after every key <= v */
      best_key[p] = best_key[p - 1]; best_idx[p] = best_idx[p - 1]; p--;
    }
    best_key[p] = v; best_idx[p] = j;
    if (have < k) have++;
  }
}

int m1d_knn_search (const m1d_Tensor *train, const m1d_Tensor *query, int64_t k,
                    m1d_KnnMetric metric, int64_t block, m1d_Tensor *idx, m1d_Tensor *dist) {
  if (train->ndim != 2 || query->ndim != 2 || train->shape[1] != query->shape[1])
    return m1d_failcode("knn: x_train %s and x_query %s must be [n, d] and [m, d]",
                        m1d_shapestr(train).s, m1d_shapestr(query).s);
  const int64_t n = train->shape[0], m = query->shape[0], d = train->shape[1];
  if (k < 1 || k > n) return m1d_failcode("knn: k must be in 1..%lld (the training rows), got %lld", (long long)n, (long long)k);
  if (block < 1) return m1d_failcode("knn: block must be >= 1, got %lld", (long long)block);
  if (idx->dtype != M1D_I64 || dist->dtype != M1D_F64 || !m1d_is_contiguous(idx) || !m1d_is_contiguous(dist) ||
      m1d_numel(idx) != m * k || m1d_numel(dist) != m * k)
    return m1d_failcode("knn: internal: output tensors must be contiguous [m, k] int64 and float64");
  if (block > m) block = m > 0 ? m : 1;
  const int cosine = metric == M1D_KNN_COSINE;

  int rc = -1;
  /* copies and scratch are tensors, so the collector sees their memory */
  m1d_Tensor *tr = NULL, *q = NULL, *tr2 = NULL, *q2 = NULL, *g = NULL;
  tr = as_f64(train, cosine); q = as_f64(query, cosine);
  if (!tr || !q) goto done;
  int64_t s_n[1] = {n}, s_m[1] = {m}, s_g[2] = {block, n};
  tr2 = m1d_empty(M1D_F64, 1, s_n); q2 = m1d_empty(M1D_F64, 1, s_m); g = m1d_empty(M1D_F64, 2, s_g);
  if (!tr2 || !q2 || !g) goto done;
  double *X = m1d_data(tr), *Q = m1d_data(q), *X2 = m1d_data(tr2), *Q2 = m1d_data(q2), *G = m1d_data(g);
  if (check_finite(X, n * d, "x_train") || check_finite(Q, m * d, "x_query")) goto done;
  row_norms(X, n, d, X2, cosine);
  row_norms(Q, m, d, Q2, cosine);
  int64_t *nbr = m1d_data(idx);
  double *D = m1d_data(dist);
  for (int64_t r0 = 0; r0 < m; r0 += block) {
    int64_t b = m - r0 < block ? m - r0 : block;
    if (d > 0)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)n, (int)d,
                  -2.0, Q + r0 * d, (int)d, X, (int)d, 0.0, G, (int)n);
    else
      memset(G, 0, (size_t)(b * n) * sizeof(double));
    for (int64_t i = 0; i < b; i++) {
      double *row = G + i * n;
      /* euclidean key |y|^2 - 2 x.y;  cosine key 1 - x.y (G holds -2 x.y) */
      if (cosine) for (int64_t j = 0; j < n; j++) row[j] = 1.0 + 0.5 * row[j];
      else for (int64_t j = 0; j < n; j++) row[j] += X2[j];
      double *key = D + (r0 + i) * k;
      int64_t *id = nbr + (r0 + i) * k;
      select_k(row, n, k, key, id);
      for (int64_t j = 0; j < k; j++) {
        if (cosine) {                  /* a zero row: the product is 0, the distance 1 */
          key[j] = key[j] < 0 ? 0 : key[j] > 2 ? 2 : key[j];
        } else {
          double s = key[j] + Q2[r0 + i];
          key[j] = s > 0 ? sqrt(s) : 0;
        }
      }
    }
  }
  rc = 0;
done:
  m1d_decref(tr); m1d_decref(q); m1d_decref(tr2); m1d_decref(q2); m1d_decref(g);
  return rc;
}

static int cmp_i64 (const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int m1d_knn_vote (const m1d_Tensor *idx, const m1d_Tensor *labels, m1d_Tensor *pred) {
  if (idx->ndim != 2 || idx->dtype != M1D_I64 || !m1d_is_contiguous(idx) || labels->ndim != 1 ||
      labels->dtype != M1D_I64 || pred->dtype != M1D_I64 || !m1d_is_contiguous(pred) ||
      m1d_numel(pred) != idx->shape[0])
    return m1d_failcode("knn: internal: vote needs idx [m, k] int64, labels [n] int64, pred [m] int64");
  const int64_t m = idx->shape[0], k = idx->shape[1], n = labels->shape[0];
  m1d_Tensor *lab = m1d_contiguous_raw((m1d_Tensor *)labels);
  int64_t s_k[1] = {k};
  m1d_Tensor *scratch = m1d_empty(M1D_I64, 1, s_k);
  int rc = -1;
  if (!lab || !scratch) goto done;
  const int64_t *nbr = m1d_data(idx), *Y = m1d_data(lab);
  int64_t *S = m1d_data(scratch), *P = m1d_data(pred);
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < k; j++) {
      int64_t r = nbr[i * k + j];
      if (r < 0 || r >= n) { m1d_failcode("knn: internal: neighbour index %lld out of range", (long long)r); goto done; }
      S[j] = Y[r];
    }
    qsort(S, (size_t)k, sizeof *S, cmp_i64);
    int64_t best = S[0], best_count = 0;
    for (int64_t j = 0; j < k;) {          /* runs of equal labels, lowest first */
      int64_t e = j;
      while (e < k && S[e] == S[j]) e++;
      if (e - j > best_count) { best = S[j]; best_count = e - j; }
      j = e;
    }
    P[i] = best;
  }
  rc = 0;
done:
  m1d_decref(lab); m1d_decref(scratch);
  return rc;
}
