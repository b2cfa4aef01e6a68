/*
** knn.h — k-nearest-neighbour search and vote (m1d.knn is the Lua face).
**
** Distances come from one GEMM per block of query rows, so memory stays at
** block * n_train doubles whatever the number of queries.  The k nearest are kept
** in order of distance with a stable tie-break: among exactly equal distances the
** lower training index comes first (and is the one kept at the k-th place).
*/
#ifndef M1D_KNN_H
#define M1D_KNN_H

#include "tensor.h"

typedef enum { M1D_KNN_EUCLIDEAN = 0, M1D_KNN_COSINE = 1 } m1d_KnnMetric;

/* train [n, d], query [m, d] (float32 or float64; computed in float64), 1 <= k <= n,
   block >= 1 query rows per GEMM.  Fills idx [m, k] int64 (0-based training rows,
   nearest first) and dist [m, k] float64 (euclidean distance, or cosine distance
   1 - cos, clipped to [0, 2]; a zero row has cosine distance 1 to everything).
   Returns 0, or -1 with m1d_errmsg() set (non-finite values, bad shapes). */
int m1d_knn_search (const m1d_Tensor *train, const m1d_Tensor *query, int64_t k,
                    m1d_KnnMetric metric, int64_t block, m1d_Tensor *idx, m1d_Tensor *dist);

/* The majority label of each row of idx [m, k] (0-based rows of labels [n] int64 >= 0):
   the most frequent label, the lowest label winning a tie (scikit-learn's vote with
   uniform weights).  Fills pred [m] int64.  Returns 0 or -1 with m1d_errmsg() set. */
int m1d_knn_vote (const m1d_Tensor *idx, const m1d_Tensor *labels, m1d_Tensor *pred);

#endif
