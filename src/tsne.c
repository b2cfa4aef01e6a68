/*
** tsne.c — t-SNE's optimiser and its PCA initialisation (scikit-learn's semantics).
**
** The optimiser is the delta-bar-delta scheme of the reference implementations
** (van der Maaten's bhtsne, sklearn's _gradient_descent): plain gradient descent with
** momentum, where each coordinate has a gain that grows by 0.2 while the gradient keeps
** pointing against the last update and shrinks by a factor 0.8 when it flips.  The
** stages (early exaggeration with momentum 0.5, then momentum 0.8, fresh update and
** gains at each stage as sklearn) are driven from lua/m1d/tsne.lua.
*/
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"
#include "tensor.h"
#include "tsne.h"

int m1d_tsne_descend (const m1d_TsneP *P, double *y, double *update, double *gains,
                      int64_t n_iter, const m1d_TsneStepOpts *o, double *kl, double *grad_norm) {
  const int64_t m = 2 * P->n;
  double *g = malloc((size_t)(m > 0 ? m : 1) * sizeof *g);
  m1d_TsneWork *work = o->grad.exact ? NULL : m1d_tsne_work_new(P->n);
  if (!g || (!o->grad.exact && !work)) {
    free(g); m1d_tsne_work_free(work);
    return m1d_failcode("tsne: out of memory for the gradient (n = %lld)", (long long)P->n);
  }
  for (int64_t it = 0; it < n_iter; it++) {
    int last = it == n_iter - 1;
    if (m1d_tsne_gradient(P, y, &o->grad, work, g, last ? kl : NULL) < 0) {
      free(g); m1d_tsne_work_free(work);
      return -1;
    }
    double norm2 = 0;
    for (int64_t c = 0; c < m; c++) {
      double gain = update[c] * g[c] < 0 ? gains[c] + 0.2 : gains[c] * 0.8;
      gains[c] = gain < o->min_gain ? o->min_gain : gain;
      double step = gains[c] * g[c];
      norm2 += step * step;
      update[c] = o->momentum * update[c] - o->learning_rate * step;
      y[c] += update[c];
    }
    if (last && grad_norm) *grad_norm = sqrt(norm2);
  }
  free(g); m1d_tsne_work_free(work);
  return 0;
}

/* ---- PCA by subspace iteration on the covariance (d x d) ---- */

/* Eigen-decomposition of the symmetric b x b matrix a (destroyed) by cyclic Jacobi
   rotations: eigenvalues on a's diagonal, eigenvectors in the columns of v. */
static void jacobi_eigen (double *a, double *v, int b) {
  for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) v[i * b + j] = i == j;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0;
    for (int i = 0; i < b; i++) for (int j = i + 1; j < b; j++) off += a[i * b + j] * a[i * b + j];
    if (off < 1e-30) return;
    for (int p = 0; p < b; p++)
      for (int q = p + 1; q < b; q++) {
        double apq = a[p * b + q];
        if (fabs(apq) < 1e-300) continue;
        double tau = (a[q * b + q] - a[p * b + p]) / (2 * apq);
        double t = (tau >= 0 ? 1 : -1) / (fabs(tau) + sqrt(1 + tau * tau));
        double c = 1 / sqrt(1 + t * t), s = t * c;
        for (int k = 0; k < b; k++) {                   /* a <- a J (columns p, q) */
          double akp = a[k * b + p], akq = a[k * b + q];
          a[k * b + p] = c * akp - s * akq; a[k * b + q] = s * akp + c * akq;
        }
        for (int k = 0; k < b; k++) {                   /* a <- J^T a (rows p, q) */
          double apk = a[p * b + k], aqk = a[q * b + k];
          a[p * b + k] = c * apk - s * aqk; a[q * b + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < b; k++) {
          double vkp = v[k * b + p], vkq = v[k * b + q];
          v[k * b + p] = c * vkp - s * vkq; v[k * b + q] = s * vkp + c * vkq;
        }
      }
  }
}

/* Orthonormalise the b columns of w (d x b, row-major) by modified Gram-Schmidt, twice
   for accuracy; a column that vanishes is replaced by a coordinate vector. */
static void orthonormalise (double *w, int64_t d, int b) {
  int64_t tries = 0;                             /* coordinate vectors tried for lost columns */
  for (int pass = 0; pass < 2; pass++)
    for (int c = 0; c < b; c++) {
      for (int e = 0; e < c; e++) {
        double dot = 0;
        for (int64_t r = 0; r < d; r++) dot += w[r * b + c] * w[r * b + e];
        for (int64_t r = 0; r < d; r++) w[r * b + c] -= dot * w[r * b + e];
      }
      double nrm = 0;
      for (int64_t r = 0; r < d; r++) nrm += w[r * b + c] * w[r * b + c];
      nrm = sqrt(nrm);
      if (nrm < 1e-150) {                        /* rank-deficient data: try e_0, e_1, ... */
        if (tries < d) { for (int64_t r = 0; r < d; r++) w[r * b + c] = r == tries; tries++; c--; }
        continue;
      }
      for (int64_t r = 0; r < d; r++) w[r * b + c] /= nrm;
    }
}

/* v (d x b) <- its span's Ritz vectors for cov, by decreasing Ritz value */
static void rayleigh_ritz (const double *cov, double *v, double *cv, int64_t d, int b) {
  double h[64], u[64], nv[8];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d, b, (int)d, 1.0, cov, (int)d,
              v, b, 0.0, cv, b);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, b, b, (int)d, 1.0, v, b, cv, b, 0.0, h, b);
  jacobi_eigen(h, u, b);
  int order[8];
  for (int i = 0; i < b; i++) order[i] = i;
  for (int i = 1; i < b; i++)                          /* by decreasing eigenvalue */
    for (int j = i; j > 0 && h[order[j] * b + order[j]] > h[order[j - 1] * b + order[j - 1]]; j--) {
      int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
    }
  for (int64_t r = 0; r < d; r++) {
    for (int c = 0; c < b; c++) {
      double s = 0;
      for (int k = 0; k < b; k++) s += v[r * b + k] * u[k * b + order[c]];
      nv[c] = s;
    }
    memcpy(v + r * b, nv, (size_t)b * sizeof *nv);
  }
}

int m1d_tsne_pca (const double *x, int64_t n, int64_t d, double *y) {
  const int b = d < 8 ? (int)d : 8;              /* subspace of 8: fast convergence of the top 2 */
  double *xc = malloc((size_t)(n * d) * sizeof *xc), *cov = malloc((size_t)(d * d) * sizeof *cov);
  double *v = malloc((size_t)(d * b) * sizeof *v), *cv = malloc((size_t)(d * b) * sizeof *cv);
  double *old = malloc((size_t)(d * b) * sizeof *old), *mean = calloc((size_t)d, sizeof *mean);
  if (!xc || !cov || !v || !cv || !old || !mean) {
    free(xc); free(cov); free(v); free(cv); free(old); free(mean);
    return m1d_failcode("tsne: out of memory for the PCA initialisation (n = %lld, d = %lld)",
                        (long long)n, (long long)d);
  }
  for (int64_t i = 0; i < n; i++) for (int64_t c = 0; c < d; c++) mean[c] += x[i * d + c];
  for (int64_t c = 0; c < d; c++) mean[c] /= n;
  for (int64_t i = 0; i < n; i++) for (int64_t c = 0; c < d; c++) xc[i * d + c] = x[i * d + c] - mean[c];
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)n, 1.0, xc, (int)d,
              xc, (int)d, 0.0, cov, (int)d);
  m1d_Rng rng;                                   /* a fixed start: the result depends on x only */
  m1d_rng_seed(&rng, 0);
  for (int64_t a = 0; a < d * b; a++) v[a] = m1d_rng_gauss(&rng);
  orthonormalise(v, d, b);
  for (int it = 0; it < 1000; it++) {
    memcpy(old, v, (size_t)(d * b) * sizeof *v);
    rayleigh_ritz(cov, v, cv, d, b);
    if (b == d) break;                            /* the whole space: Rayleigh-Ritz is exact */
    /* converged when the top two Ritz vectors (up to sign) stop moving */
    double move = 0;
    for (int c = 0; c < 2; c++) {
      double dot = 0;
      for (int64_t r = 0; r < d; r++) dot += old[r * b + c] * v[r * b + c];
      for (int64_t r = 0; r < d; r++) move = fmax(move, fabs(v[r * b + c] - (dot < 0 ? -1 : 1) * old[r * b + c]));
    }
    if (it > 0 && move < 1e-14) break;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)d, b, (int)d, 1.0, cov, (int)d,
                v, b, 0.0, cv, b);                /* the next subspace: orth(cov v) */
    memcpy(v, cv, (size_t)(d * b) * sizeof *v);
    orthonormalise(v, d, b);
  }
  /* scores, each component signed so that its largest-magnitude score is positive */
  for (int c = 0; c < 2; c++) {
    double big = 0;
    for (int64_t i = 0; i < n; i++) {
      double s = 0;
      if (c < b) for (int64_t k = 0; k < d; k++) s += xc[i * d + k] * v[k * b + c];
      y[2 * i + c] = s;
      if (fabs(s) > fabs(big)) big = s;
    }
    if (big < 0) for (int64_t i = 0; i < n; i++) y[2 * i + c] = -y[2 * i + c];
  }
  double m0 = 0, s0 = 0;
  for (int64_t i = 0; i < n; i++) m0 += y[2 * i];
  m0 /= n;
  for (int64_t i = 0; i < n; i++) s0 += (y[2 * i] - m0) * (y[2 * i] - m0);
  s0 = sqrt(s0 / n);
  double scale = s0 > 0 ? 1e-4 / s0 : 1.0;
  for (int64_t a = 0; a < 2 * n; a++) y[a] *= scale;
  free(xc); free(cov); free(v); free(cv); free(old); free(mean);
  return 0;
}
