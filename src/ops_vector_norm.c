/*
** ops_vector_norm.c — vector p-norms (torch.linalg.vector_norm), composed of
** differentiable ops so they have gradients of any order.
**
** Two places where the plain formula's derivative is infinite get the gradient 0
** instead, as PyTorch's rule gives: |x|^p at x = 0 for p < 1, and the root s^(1/p) at
** s = 0 (a zero norm).  As in std, the op sees a safe value there (1) and a `where`
** puts the 0 back, so no branch passes 0 * inf = NaN, at any order.
*/
#include <math.h>
#include "ops_impl.h"

/* where(t > 0, f(where(t > 0, t, 1)), 0) with f = t^e, or sqrt when e == 0.5 */
static m1d_Tensor *pow_where_positive (m1d_Tensor *t, double e) {
  m1d_Tensor *pos = NULL, *one = NULL, *zero = NULL, *safe = NULL, *f = NULL, *r = NULL;
  TRY(pos, m1d_cmp_scalar(t, M1D_GT, 0));
  TRY(one, m1d_scalar(t->dtype, 1));
  TRY(zero, m1d_scalar(t->dtype, 0));
  TRY(safe, m1d_where(pos, t, one));
  TRY(f, e == 0.5 ? m1d_sqrt(safe) : m1d_pow_scalar(safe, e));
  r = m1d_where(pos, f, zero);
fail:
  m1d_decref(pos); m1d_decref(one); m1d_decref(zero); m1d_decref(safe); m1d_decref(f);
  return r;
}

static m1d_Tensor *sum_over (m1d_Tensor *t, int dim, int keepdim) {
  return dim < 0 ? m1d_sum(t) : m1d_sum_dim(t, dim, keepdim);
}

m1d_Tensor *m1d_vector_norm (m1d_Tensor *x, double p, int dim, int keepdim) {
  if (m1d_check_float("norm", x) < 0) return NULL;
  if (!(p > 0))
    return m1d_fail("norm: p must be a number > 0 (or math.huge for the max norm), got %g", p);
  if (dim >= x->ndim)
    return m1d_fail("norm: dim %d out of range for a tensor of shape %s", dim + 1, m1d_shapestr(x).s);
  if (isinf(p) && (dim < 0 ? m1d_numel(x) == 0 : x->shape[dim] == 0))
    return m1d_fail("norm: the max norm (p = inf) of an empty slice of %s is undefined", m1d_shapestr(x).s);
  m1d_Tensor *a = NULL, *s = NULL, *r = NULL;
  if (p == 2) {                                       /* sqrt(sum x^2), as torch's p = 2 path */
    TRY(a, m1d_mul(x, x));
    TRY(s, sum_over(a, dim, keepdim));
    r = pow_where_positive(s, 0.5);
  } else {
    TRY(a, m1d_abs(x));
    if (isinf(p)) r = m1d_amax(a, dim, keepdim, 1);
    else if (p == 1) r = sum_over(a, dim, keepdim);
    else {
      m1d_Tensor *ap = pow_where_positive(a, p);
      if (ap) s = sum_over(ap, dim, keepdim);
      m1d_decref(ap);
      if (s) r = pow_where_positive(s, 1 / p);
    }
  }
fail:
  m1d_decref(a); m1d_decref(s);
  return r;
}
