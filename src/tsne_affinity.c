/*
** tsne_affinity.c — t-SNE's input similarities: exact k nearest neighbours through
** GEMM, the per-point bandwidth by bisection on the perplexity, and the symmetric
** joint P.  As scikit-learn's Barnes-Hut path: k = 3 perplexity neighbours (the caller
** chooses k), squared euclidean distances (cosine distances unsquared), the entropy in
** nats, P = (C + C^T) / sum.
*/
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tensor.h"
#include "tsne.h"

/* Rows per GEMM block: 256 x n doubles (10 MB at n = 5000) bounds the scratch memory,
   where a full distance matrix would be n^2 (200 MB at n = 5000). */
#define KNN_BLOCK 256

/* ---- a max-heap of the k best (distance, index) pairs, worst on top ---- */
static int worse (double da, int64_t ia, double db, int64_t ib) {
  return da > db || (da == db && ia > ib);
}

static void heap_sift_down (double *hd, int64_t *hi, int64_t k, int64_t at) {
  for (;;) {
    int64_t l = 2 * at + 1, r = l + 1, w = at;
    if (l < k && worse(hd[l], hi[l], hd[w], hi[w])) w = l;
    if (r < k && worse(hd[r], hi[r], hd[w], hi[w])) w = r;
    if (w == at) return;
    double td = hd[at]; hd[at] = hd[w]; hd[w] = td;
    int64_t ti = hi[at]; hi[at] = hi[w]; hi[w] = ti;
    at = w;
  }
}

/* One row's candidates (all n, itself skipped) -> the k best, nearest first. */
static void select_row (const double *drow, int64_t n, int64_t self, int64_t k,
                        double *hd, int64_t *hi) {
  int64_t m = 0, j = 0;
  for (; j < n && m < k; j++) {          /* fill, then heapify */
    if (j == self) continue;
    hd[m] = drow[j]; hi[m] = j; m++;
  }
  for (int64_t a = k / 2 - 1; a >= 0; a--) heap_sift_down(hd, hi, k, a);
  /* every index in the heap is below j, so a tie with the worst never enters: only
     a strictly smaller distance does (one compare per candidate) */
  double worst = hd[0];
  for (; j < n; j++) {
    if (!(drow[j] < worst) || j == self) continue;
    hd[0] = drow[j]; hi[0] = j;
    heap_sift_down(hd, hi, k, 0);
    worst = hd[0];
  }
  for (int64_t end = k - 1; end > 0; end--) {   /* heap sort: ascending */
    double td = hd[0]; hd[0] = hd[end]; hd[end] = td;
    int64_t ti = hi[0]; hi[0] = hi[end]; hi[end] = ti;
    heap_sift_down(hd, hi, end, 0);
  }
}

int m1d_tsne_knn (const double *x, int64_t n, int64_t d, int cosine, int64_t k,
                  int64_t *idx, double *dist) {
  if (k < 1 || k > n - 1) return m1d_failcode("tsne: k = %lld neighbours needs 1 <= k < n = %lld",
                                               (long long)k, (long long)n);
  double *norm = malloc((size_t)n * sizeof *norm);
  double *unit = cosine ? malloc((size_t)(n * d) * sizeof *unit) : NULL;
  double *block = malloc((size_t)(KNN_BLOCK * n) * sizeof *block);
  if (!norm || !block || (cosine && !unit)) {
    free(norm); free(unit); free(block);
    return m1d_failcode("tsne: out of memory for the neighbour search (n = %lld)", (long long)n);
  }
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t c = 0; c < d; c++) s += x[i * d + c] * x[i * d + c];
    norm[i] = s;
    if (cosine) {                    /* unit rows; a zero row stays zero (cos 0, distance 1) */
      double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
      for (int64_t c = 0; c < d; c++) unit[i * d + c] = x[i * d + c] * inv;
    }
  }
  const double *a = cosine ? unit : x;
  for (int64_t r0 = 0; r0 < n; r0 += KNN_BLOCK) {
    int64_t rows = n - r0 < KNN_BLOCK ? n - r0 : KNN_BLOCK;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)d, 1.0,
                a + r0 * d, (int)d, a, (int)d, 0.0, block, (int)n);
    for (int64_t r = 0; r < rows; r++) {
      double *row = block + r * n;
      int64_t i = r0 + r;
      /* rounding can make a tiny distance negative: clamp at 0 (two loops, each vectorisable) */
      if (cosine) for (int64_t j = 0; j < n; j++) row[j] = fmax(1.0 - row[j], 0.0);
      else for (int64_t j = 0; j < n; j++) row[j] = fmax(norm[i] + norm[j] - 2.0 * row[j], 0.0);
      select_row(row, n, i, k, dist + i * k, idx + i * k);
    }
  }
  free(norm); free(unit); free(block);
  return 0;
}

/* Row i: p_j proportional to exp(-beta d_j).  Distances are shifted by their minimum,
   which changes neither p nor the entropy but keeps exp from underflowing for large beta. */
static double row_entropy (const double *dist, int64_t k, double dmin, double beta, double *p) {
  double z = 0, s = 0;
  for (int64_t j = 0; j < k; j++) { p[j] = exp(-beta * (dist[j] - dmin)); z += p[j]; }
  for (int64_t j = 0; j < k; j++) { p[j] /= z; s += (dist[j] - dmin) * p[j]; }
  return log(z) + beta * s;
}

int64_t m1d_tsne_conditional (const double *dist, int64_t n, int64_t k, double perplexity,
                              double *p, double *beta) {
  const double target = log(perplexity), tol = 1e-5;
  int64_t missed = 0;
  for (int64_t i = 0; i < n; i++) {
    const double *d = dist + i * k;
    double *pi = p + i * k, dmin = d[0];
    for (int64_t j = 1; j < k; j++) if (d[j] < dmin) dmin = d[j];
    /* bisection on beta in (lo, hi), doubling or halving while a side is open */
    double b = 1.0, lo = -INFINITY, hi = INFINITY, diff = 0;
    int step;
    for (step = 0; step < 200; step++) {
      diff = row_entropy(d, k, dmin, b, pi) - target;
      if (fabs(diff) <= tol) break;
      if (diff > 0) { lo = b; b = isinf(hi) ? b * 2 : (b + hi) / 2; }   /* too flat: sharpen */
      else { hi = b; b = isinf(lo) ? b / 2 : (b + lo) / 2; }
    }
    if (fabs(diff) > tol) missed++;
    beta[i] = b;
  }
  return missed;
}

int64_t m1d_tsne_symmetrize (const int64_t *idx, const double *p, int64_t n, int64_t k,
                             int64_t *rowptr, int64_t *col, double *val) {
  int64_t *fill = calloc((size_t)n + 1, sizeof *fill);
  int64_t *slot = malloc((size_t)n * sizeof *slot);
  if (!fill || !slot) {
    free(fill); free(slot);
    return m1d_failcode("tsne: out of memory symmetrising P (n = %lld)", (long long)n);
  }
  /* each conditional entry (i, j, p) goes to row min(i, j), column max(i, j) */
  for (int64_t i = 0; i < n; i++)
    for (int64_t a = 0; a < k; a++) {
      int64_t j = idx[i * k + a];
      fill[(i < j ? i : j) + 1]++;
    }
  for (int64_t i = 0; i < n; i++) fill[i + 1] += fill[i];
  memcpy(rowptr, fill, (size_t)(n + 1) * sizeof *rowptr);
  for (int64_t i = 0; i < n; i++)
    for (int64_t a = 0; a < k; a++) {
      int64_t j = idx[i * k + a], lo = i < j ? i : j;
      col[fill[lo]] = i < j ? j : i; val[fill[lo]++] = p[i * k + a];
    }
  /* sum the duplicates of each row (pairs that are neighbours both ways) and compact in
     place (the write position never passes the read position); slot[j] is where row i's
     column j went: a linear pass instead of sorting the rows (k = n - 1 for exact t-SNE) */
  for (int64_t j = 0; j < n; j++) slot[j] = -1;
  int64_t w = 0;
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t a = rowptr[i], e = rowptr[i + 1], first = w;
    rowptr[i] = w;
    for (; a < e; a++) {
      int64_t j = col[a];
      total += val[a];
      if (slot[j] >= first) { val[slot[j]] += val[a]; continue; }
      slot[j] = w; col[w] = j; val[w] = val[a]; w++;
    }
  }
  rowptr[n] = w;
  /* the full symmetric matrix holds every stored value twice */
  for (int64_t a = 0; a < w; a++) val[a] /= 2 * total;
  free(fill); free(slot);
  return w;
}
