/*
** tsne.h — t-SNE (van der Maaten & Hinton 2008) with the Barnes-Hut gradient
** (van der Maaten 2014), following scikit-learn's TSNE semantics.
**
** The pieces, each a plain function on raw arrays (the Lua binding owns every array
** as a tensor, so nothing here outlives a call; lua/m1d/tsne.lua drives the stages):
**   affinities  exact kNN through GEMM, a binary search on each row's precision for the
**               requested perplexity, then the symmetric joint P in CSR form (tsne_affinity.c)
**   gradient    KL(P || Q) and its gradient for a 2-D embedding: attractive forces over
**               P's nonzeros, repulsive forces exactly (O(N^2)) or by Barnes-Hut on a
**               quadtree (tsne_gradient.c, tsne_quadtree.c)
**   descend     gradient descent with momentum and per-coordinate gains (tsne.c)
**   init        PCA (scaled to a first-column std of 1e-4) or Gaussian noise (tsne.c)
** Errors: -1 with m1d_errmsg() set (only allocation failures can happen here; the
** binding checks arguments).
*/
#ifndef M1D_TSNE_H
#define M1D_TSNE_H

#include <stdint.h>

/* The joint probabilities, a symmetric matrix with zero diagonal summing to 1, stored
   as its upper triangle: row i's nonzeros p_ij = p_ji, j > i, are col[rowptr[i] ..
   rowptr[i+1]) with values val[...] (which therefore sum to 1/2).  Each pair once:
   the attractive forces and the KL divergence visit half the entries of a full CSR. */
typedef struct {
  int64_t n;
  const int64_t *rowptr, *col;
  const double *val;
} m1d_TsneP;

/* ---- affinities (tsne_affinity.c) ---- */
/* The k nearest neighbours of every row of x [n, d] (itself excluded), nearest first
   (ties: lower index first): idx [n, k] 0-based, dist [n, k] squared euclidean
   distances, or cosine distances 1 - cos when cosine (a zero row has distance 1 to all). */
int m1d_tsne_knn (const double *x, int64_t n, int64_t d, int cosine, int64_t k,
                  int64_t *idx, double *dist);
/* Conditional p_{j|i} = exp(-beta_i dist_ij) / sum over i's k neighbours, beta_i found by
   bisection so that exp(entropy) equals perplexity (|entropy - log perplexity| <= 1e-5
   nats, at most 200 steps).  p [n, k], beta [n].  Returns how many rows missed. */
int64_t m1d_tsne_conditional (const double *dist, int64_t n, int64_t k, double perplexity,
                              double *p, double *beta);
/* P = (C + C^T) / sum, C the conditional matrix (rows idx, values p), as an upper
   triangle (m1d_TsneP).  The output arrays hold up to n k entries (rowptr n + 1);
   returns the number of entries stored, -1 on error. */
int64_t m1d_tsne_symmetrize (const int64_t *idx, const double *p, int64_t n, int64_t k,
                             int64_t *rowptr, int64_t *col, double *val);

/* ---- gradient (tsne_gradient.c) ---- */
typedef struct m1d_TsneWork m1d_TsneWork;     /* the quadtree's buffers (tsne_quadtree.c) */
typedef struct {
  double exaggeration;   /* P is multiplied by this (early exaggeration) */
  double theta;          /* Barnes-Hut angle: a cell of width w at distance r is one body when w < theta r */
  int exact;             /* 1: O(N^2) repulsion, theta unused */
} m1d_TsneGradOpts;
/* grad [n, 2] = dKL/dy at y [n, 2] (work: as m1d_tsne_repulsion_bh, or NULL); *kl (if not NULL) = sum p log(p / q), with P
   exaggerated as the gradient sees it and Q normalised by the same (exact or BH) sum. */
int m1d_tsne_gradient (const m1d_TsneP *P, const double *y, const m1d_TsneGradOpts *o,
                       m1d_TsneWork *work, double *grad, double *kl);

/* Barnes-Hut repulsion (tsne_quadtree.c): rep [n, 2] = sum_j w_ij^2 (y_i - y_j) with
   w_ij = 1 / (1 + |y_i - y_j|^2), and *z = sum_{i != j} w_ij.  work: the quadtree's
   buffers for n points, reused across iterations (NULL: made and freed here). */
m1d_TsneWork *m1d_tsne_work_new (int64_t n);
void m1d_tsne_work_free (m1d_TsneWork *w);
int m1d_tsne_repulsion_bh (const double *y, int64_t n, double theta, m1d_TsneWork *work,
                           double *rep, double *z);

/* ---- optimisation and initialisation (tsne.c) ---- */
typedef struct {
  m1d_TsneGradOpts grad;
  double momentum, learning_rate, min_gain;
} m1d_TsneStepOpts;
/* n_iter steps of: g = gradient; gains += 0.2 where sign(g) != sign(update), else *= 0.8,
   at least min_gain; update = momentum update - learning_rate gains g; y += update.
   On the last step *kl (if not NULL) and *grad_norm (|gains g|) are those of that step. */
int m1d_tsne_descend (const m1d_TsneP *P, double *y, double *update, double *gains,
                      int64_t n_iter, const m1d_TsneStepOpts *o, double *kl, double *grad_norm);
/* y [n, 2] = the first two principal components of x [n, d], each signed so that its
   largest-magnitude score is positive, then scaled so that column 1 has std 1e-4. */
int m1d_tsne_pca (const double *x, int64_t n, int64_t d, double *y);

#endif
