/*
** ops_pointwise_mlp.c — a 1 -> H -> 1 tanh MLP applied to every element, and
** its derivatives, fused.
**
**   g(x) = sum_j c_j tanh(a_j x + b_j)         (a = w1, b = b1, c = w2; no output bias)
**   out[k] = d^k g / dx^k = sum_j c_j a_j^k tanh^(k)(a_j x + b_j),   k = 0 .. nder
**
** This is the learned activation of the meta-learning experiment: composed of
** ops, one call on a [100, 128] hidden layer makes [12800, H] intermediates in
** a dozen ops, and its backward as many again.  Here the forward is one pass
** that never stores the [N, H] hidden layer, and the first-order backward one
** more pass that recomputes it.  Returning g' with g matters: a hand-written
** inner gradient needs f'(x), and as an output of this op its own gradient
** (for the meta-gradient) is again first order.
**
** When the backward itself must be differentiable (create_graph), the rule
** rebuilds the same function from ops (pmlp_composite) on identity stand-ins
** and differentiates that, as the GRU does: gradients of every order, equal to
** the fast path up to rounding.
*/
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"

/* The kernels are also built for AVX2 (8 floats a vector instead of SSE2's 4), chosen
   at load time by the CPU (GCC's target_clones).  The loops are elementwise, the sums
   have a fixed order (sum_ in the kernel file) and contraction into FMA is off
   (-ffp-contract=off; the avx2 target has no FMA either), so the vector width should
   not change a bit of the results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

#define BLOCK 256          /* input elements per pass over the hidden units (fits in L1) */
#define MAXROWS 4          /* g and up to three derivatives */

#define REAL float
#define TANH tanhf_abs
#define SFX f32
#include "pointwise_mlp_kernel.h"
#undef REAL
#undef TANH
#undef SFX

#define REAL double
#define TANH tanh
#define SFX f64
#include "pointwise_mlp_kernel.h"
#undef REAL
#undef TANH
#undef SFX

enum { IN_X, IN_W1, IN_B1, IN_W2, NIN };

/* ---------------------------------------------------------------- composite (for higher orders) */

/* tanh^(k) from t = tanh(z) with ops: t, q = 1 - t^2, -2 t q, (6 t^2 - 2) q */
static m1d_Tensor *poly_ops (int k, m1d_Tensor *t) {
  m1d_Tensor *tt = NULL, *q = NULL, *u = NULL, *r = NULL;
  if (k == 0) { m1d_incref(t); return t; }
  TRY(tt, m1d_mul(t, t));
  TRY(q, m1d_affine(tt, -1, 1));
  if (k == 1) { r = q; q = NULL; }
  else if (k == 2) { TRY(u, m1d_mul(t, q)); TRY(r, m1d_affine(u, -2, 0)); }
  else { TRY(u, m1d_affine(tt, 6, -2)); TRY(r, m1d_mul(u, q)); }
fail:
  m1d_decref(tt); m1d_decref(q); m1d_decref(u);
  return r;
}

static m1d_Tensor *pmlp_composite (m1d_Tensor **in, int nder) {
  m1d_Tensor *x = in[IN_X], *xf = NULL, *w1 = NULL, *b1 = NULL, *z = NULL, *t = NULL,
             *cw = NULL, *rows[MAXROWS] = {0}, *st = NULL, *r = NULL;
  int64_t N = m1d_numel(x), H = m1d_numel(in[IN_W1]);
  int64_t col[2] = {N, 1}, wcol[2] = {H, 1}, vec[1] = {H}, row[2] = {1, H}, flat[1] = {N};
  int64_t shape[M1D_MAXDIM + 1];
  TRY(xf, m1d_reshape(x, 2, col));
  TRY(w1, m1d_reshape(in[IN_W1], 2, wcol));
  TRY(b1, m1d_reshape(in[IN_B1], 1, vec));
  TRY(z, m1d_linear(xf, w1, b1));                 /* [N, H] = x a^T + b */
  TRY(t, m1d_tanh(z));
  DROP(w1);
  TRY(w1, m1d_reshape(in[IN_W1], 2, row));
  TRY(cw, m1d_reshape(in[IN_W2], 2, row));        /* c a^k, [1, H] */
  for (int k = 0; k <= nder; k++) {
    m1d_Tensor *p = NULL, *o = NULL;
    if (k > 0) { m1d_Tensor *next = m1d_mul(cw, w1); DROP(cw); TRY(cw, next); }
    if ((p = poly_ops(k, t)) == NULL) goto fail;
    o = m1d_linear(p, cw, NULL);                  /* [N, 1] */
    m1d_decref(p);
    if (o == NULL) goto fail;
    rows[k] = m1d_reshape(o, 1, flat);
    m1d_decref(o);
    if (rows[k] == NULL) goto fail;
  }
  TRY(st, m1d_stack(nder + 1, rows, 0));          /* [K, N] */
  shape[0] = nder + 1;
  memcpy(shape + 1, x->shape, (size_t)x->ndim * sizeof *shape);
  r = m1d_reshape(st, x->ndim + 1, shape);
fail:
  m1d_decref(xf); m1d_decref(w1); m1d_decref(b1); m1d_decref(z); m1d_decref(t);
  m1d_decref(cw); m1d_decref(st);
  for (int k = 0; k < MAXROWS; k++) m1d_decref(rows[k]);
  return r;
}

/* ---------------------------------------------------------------- backward */

static m1d_Tensor *rebuild_pmlp (m1d_Tensor **in, const m1d_Node *node) {
  return pmlp_composite(in, (int)node->ip[0]);
}

/* a [H] double vector as a tensor of edge e's dtype and shape */
static m1d_Tensor *param_grad (const double *d, const m1d_Edge *e) {
  m1d_Tensor *t = m1d_empty(e->dtype, e->ndim, e->shape);
  if (t == NULL) return NULL;
  int64_t n = m1d_numel(t);
  if (e->dtype == M1D_F64) memcpy(m1d_data(t), d, (size_t)n * sizeof *d);
  else { float *f = m1d_data(t); for (int64_t i = 0; i < n; i++) f[i] = (float)d[i]; }
  return t;
}

static int bw_pmlp (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (create_graph) return m1d_backward_by_rebuilding(node, node->saved, NIN, rebuild_pmlp, g, gin);
  m1d_Tensor *c[NIN] = {0}, *gy = NULL, *gx = NULL;
  int K = (int)node->ip[0] + 1, rc = -1, params = 0;
  for (int i = IN_W1; i < NIN; i++) params |= node->edges[i].needs;
  int64_t N = m1d_numel(node->saved[IN_X]), H = m1d_numel(node->saved[IN_W1]);
  size_t bytes = (size_t)(3 * H) * sizeof(double);
  int fresh;
  double *acc = m1d_pool_data(bytes, &fresh);
  if (acc == NULL) return m1d_failcode("pointwise_mlp: out of memory in backward");
  memset(acc, 0, bytes);
  for (int i = 0; i < NIN; i++) if ((c[i] = m1d_contiguous_raw(node->saved[i])) == NULL) goto done;
  m1d_DType dt = c[IN_X]->dtype;
  gy = g->dtype == dt ? m1d_contiguous_raw(g) : m1d_cast(g, dt);
  if (gy == NULL) goto done;
  if (node->edges[IN_X].needs && (gx = m1d_empty(dt, c[IN_X]->ndim, c[IN_X]->shape)) == NULL) goto done;
  if (dt == M1D_F32)
    pmlp_backward_f32(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H, K,
                      m1d_data(gy), gx ? m1d_data(gx) : NULL, params, acc, acc + H, acc + 2 * H);
  else
    pmlp_backward_f64(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H, K,
                      m1d_data(gy), gx ? m1d_data(gx) : NULL, params, acc, acc + H, acc + 2 * H);
  gin[IN_X] = gx;
  gx = NULL;
  rc = 0;
  for (int i = IN_W1; i < NIN && rc == 0; i++)    /* acc holds ga (w1), gb (b1), gc (w2) in that order */
    if (node->edges[i].needs && (gin[i] = param_grad(acc + (i - IN_W1) * H, &node->edges[i])) == NULL) rc = -1;
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  m1d_decref(gy);
  m1d_decref(gx);
  m1d_pool_data_free(acc, bytes);
  return rc;
}

/* ---------------------------------------------------------------- forward */

m1d_Tensor *m1d_pointwise_mlp (m1d_Tensor *x, m1d_Tensor *w1, m1d_Tensor *b1, m1d_Tensor *w2, int nder) {
  m1d_Tensor *in[NIN] = {x, w1, b1, w2}, *c[NIN] = {0}, *out = NULL;
  for (int i = 0; i < NIN; i++) {
    if (m1d_check_float("pointwise_mlp", in[i]) < 0) return NULL;
    if (in[i]->dtype != x->dtype)
      return m1d_fail("pointwise_mlp: all inputs must have one dtype (x is %s, %s is %s)", m1d_dtype_name(x->dtype),
                      i == IN_W1 ? "w1" : i == IN_B1 ? "b1" : "w2", m1d_dtype_name(in[i]->dtype));
  }
  int64_t H = m1d_numel(w1), N = m1d_numel(x);
  if (H < 1 || m1d_numel(b1) != H || m1d_numel(w2) != H)
    return m1d_fail("pointwise_mlp: w1 %s, b1 %s and w2 %s must have the same number of elements "
                    "(the hidden width, at least 1)", m1d_shapestr(w1).s, m1d_shapestr(b1).s, m1d_shapestr(w2).s);
  if (nder < 0 || nder >= MAXROWS)
    return m1d_fail("pointwise_mlp: derivatives must be 0 to %d, got %d", MAXROWS - 1, nder);
  if (x->ndim + 1 > M1D_MAXDIM)
    return m1d_fail("pointwise_mlp: x %s has too many dimensions (at most %d)", m1d_shapestr(x).s, M1D_MAXDIM - 1);
  int64_t shape[M1D_MAXDIM];
  shape[0] = nder + 1;
  memcpy(shape + 1, x->shape, (size_t)x->ndim * sizeof *shape);
  for (int i = 0; i < NIN; i++) if ((c[i] = m1d_contiguous_raw(in[i])) == NULL) goto done;
  if ((out = m1d_empty(x->dtype, x->ndim + 1, shape)) == NULL) goto done;
  if (x->dtype == M1D_F32)
    pmlp_forward_f32(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H,
                     nder + 1, m1d_data(out));
  else
    pmlp_forward_f64(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H,
                     nder + 1, m1d_data(out));
  if (m1d_check_anomaly("pointwise_mlp", out) < 0) { DROP(out); goto done; }
  if (m1d_needs_grad(NIN, in)) {
    m1d_Node *node = m1d_record("pointwise_mlp", bw_pmlp, out, NIN, in);
    if (node == NULL) { DROP(out); goto done; }
    node->ip[0] = nder;
    for (int i = 0; i < NIN; i++)
      if (m1d_node_save(node, i, in[i]) != 0) { DROP(out); goto done; }
  }
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  return out;
}
