/*
** tsne_gradient.c — the t-SNE objective KL(P || Q) and its gradient for a 2-D embedding
** (Student-t kernel with one degree of freedom):
**
**   q_ij = w_ij / Z,  w_ij = 1 / (1 + |y_i - y_j|^2),  Z = sum_{k != l} w_kl
**   dKL/dy_i = 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j)
**            = 4 [ sum_j p_ij w_ij (y_i - y_j)  -  (1/Z) sum_j w_ij^2 (y_i - y_j) ]
**
** The first (attractive) sum runs over P's nonzeros; the second (repulsive) one over all
** pairs, exactly here or by Barnes-Hut (tsne_quadtree.c).
*/
#include <math.h>
#include "tensor.h"
#include "tsne.h"

/* rep [n, 2] = sum_j w_ij^2 (y_i - y_j), *z = sum_{i != j} w_ij: every pair once. */
static void repulsion_exact (const double *y, int64_t n, double *rep, double *z) {
  double zt = 0;
  for (int64_t i = 0; i < 2 * n; i++) rep[i] = 0;
  for (int64_t i = 0; i < n; i++) {
    double xi = y[2 * i], yi = y[2 * i + 1], fx = 0, fy = 0;
    for (int64_t j = i + 1; j < n; j++) {
      double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
      double w = 1.0 / (1.0 + dx * dx + dy * dy), w2 = w * w;
      zt += 2 * w;
      fx += w2 * dx; fy += w2 * dy;
      rep[2 * j] -= w2 * dx; rep[2 * j + 1] -= w2 * dy;
    }
    rep[2 * i] += fx; rep[2 * i + 1] += fy;
  }
  *z = zt;
}

int m1d_tsne_gradient (const m1d_TsneP *P, const double *y, const m1d_TsneGradOpts *o,
                       m1d_TsneWork *work, double *grad, double *kl) {
  const int64_t n = P->n;
  double z;
  if (o->exact) repulsion_exact(y, n, grad, &z);
  else if (m1d_tsne_repulsion_bh(y, n, o->theta, work, grad, &z) < 0) return -1;
  /* a collapsed embedding (all points equal, n = 1) has no repulsion to normalise */
  const double inv_z = z > 0 ? 1.0 / z : 0.0, ex = o->exaggeration;
  /* grad holds the repulsion; each stored pair (i, j) attracts i to j and j to i */
  for (int64_t a = 0; a < 2 * n; a++) grad[a] *= -inv_z;
  for (int64_t i = 0; i < n; i++) {
    double xi = y[2 * i], yi = y[2 * i + 1], fx = 0, fy = 0;
    for (int64_t a = P->rowptr[i]; a < P->rowptr[i + 1]; a++) {
      int64_t j = P->col[a];
      double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
      double pw = ex * P->val[a] / (1.0 + dx * dx + dy * dy);
      fx += pw * dx; fy += pw * dy;
      grad[2 * j] -= pw * dx; grad[2 * j + 1] -= pw * dy;
    }
    grad[2 * i] += fx; grad[2 * i + 1] += fy;
  }
  double cost = 0;
  if (kl) {                                        /* both halves of the symmetric sum */
    for (int64_t i = 0; i < n; i++)
      for (int64_t a = P->rowptr[i]; a < P->rowptr[i + 1]; a++) {
        int64_t j = P->col[a];
        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], p = ex * P->val[a];
        if (p > 0) cost += 2 * p * log(p * z * (1.0 + dx * dx + dy * dy));
      }
  }
  for (int64_t a = 0; a < 2 * n; a++) grad[a] *= 4.0;
  if (kl) *kl = cost;
  return 0;
}
