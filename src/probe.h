/*
** probe.h — the objective of the logistic probe (lua/m1d/probe.lua), fused: the loss and
** its gradient in one pass over the logits, for LBFGS's many evaluations on a fixed
** design matrix.  float64 only (the probe works in float64).
*/
#ifndef M1D_PROBE_H
#define M1D_PROBE_H

#include "tensor.h"

/* x [n, d], W [d, C], b [C] float64 contiguous; y [n] int64 in 0..C-1.
   loss = scale * sum_i (logsumexp(z_i) - z_i[y_i]) + l2 * |W|^2, with z = x W + b;
   gW [d, C] = scale * x^T (softmax(z) - onehot(y)) + 2 * l2 * W, gb [C] the column sums of
   scale * (softmax(z) - onehot(y)).  scratch: [n, C] float64.  Returns 0 (loss in *loss),
   or -1 with m1d_errmsg() set (shapes, dtypes, a label out of range). */
int m1d_logistic_objective (const m1d_Tensor *x, const m1d_Tensor *W, const m1d_Tensor *b,
                            const m1d_Tensor *y, double l2, double scale, double *loss,
                            m1d_Tensor *gW, m1d_Tensor *gb, m1d_Tensor *scratch);

#endif
