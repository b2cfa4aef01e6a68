/*
** ops_impl.h — helpers shared by the op files (not part of the public API).
** Backward rules chain many ops, each of which may fail: TRY jumps to the
** rule's cleanup label `fail`, DROP releases a temporary and forgets it.
*/
#ifndef M1D_OPS_IMPL_H
#define M1D_OPS_IMPL_H

#include "ops.h"

#define TRY(v, e) do { if (((v) = (e)) == NULL) goto fail; } while (0)
#define DROP(v) do { m1d_decref(v); (v) = NULL; } while (0)

/* A gradient summed over broadcast dims and cast back to fit input edge e. */
m1d_Tensor *m1d_grad_fit (m1d_Tensor *g, const m1d_Edge *e);

/* Kernel k >= 1, stride s >= 1, padding p >= 0, all far from overflow, and at least one
   window over length L; 0, or -1 with a message naming op and x (ops_shape.c). */
int m1d_check_window (const char *op, int64_t L, int64_t k, int64_t s, int64_t p, const m1d_Tensor *x);

/* The differentiable backward of a fused op (ops_rebuild.c): rebuild(stand-ins, node)
   recomputes the op's output from differentiable ops; inputs (n, NULL for an optional
   input the op was called without) are its inputs in the order they were recorded.
   Fills gin like a backward rule. */
typedef m1d_Tensor *(*m1d_RebuildFn) (m1d_Tensor **inputs, const m1d_Node *node);
int m1d_backward_by_rebuilding (m1d_Node *node, m1d_Tensor *const *inputs, int n, m1d_RebuildFn rebuild,
                                m1d_Tensor *g, m1d_Tensor **gin);

/* The total of x[0..n) in double, and of the products (T)(a[i] * b[i]) (rounded to the
   element type first, as mul then sum rounds them), in 8 running sums added at the end:
   one serial chain of double adds ran at 4 cycles an element, and the sum of a [100,100]
   gradient times its learning rate, once per parameter and unrolled step, was 5 % of a
   meta-learning step.  sum() and mul's rule for a one-element factor both use these, so
   the fused gradient equals mul then sum to the bit (ops_reduce.c). */
double m1d_total_f32 (const float *x, int64_t n);
double m1d_total_f64 (const double *x, int64_t n);
double m1d_dot_f32 (const float *a, const float *b, int64_t n);
double m1d_dot_f64 (const double *a, const double *b, int64_t n);

#endif
