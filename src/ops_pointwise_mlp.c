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
** When the backward itself must be differentiable (create_graph), the rule is
** written with the fused sums tanh_hsum and tanh_xsum (ops_tanh_sums.c), whose
** gradients are again such sums: gradients of every order, none of which stores
** the [N, H] layer.  The gradient in x needs the next derivative, so a recording
** forward computes it too: the node's output is the block of rows 0 .. nder + 1 and
** the caller gets rows 0 .. nder of it (a narrow).  The differentiable backward
** takes the gradient in x from the node's own output, and the gradient of what it
** builds comes back to this node with the rest: in a meta-gradient through inner
** gradients (metalearn_afunc.lua), one fused pass per step, as a hand-derived
** inner gradient would take.
*/
#include "simd.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"

/* The kernels are also built for AVX-512 and AVX2 (16 or 8 floats a vector instead of
   SSE2's 4), chosen at load time by the CPU (GCC's target_clones).  The loops are
   elementwise, the sums have a fixed order (sum_ in the kernel file) and contraction
   into FMA is off (-ffp-contract=off), so the vector width changes no bit of the results:
   the AVX-512 and AVX2 clones were checked to give the same bits (values, first- and
   second-order gradients, nder 0 to 3).  The AVX-512 clone halves the time of a pass
   (1.05 -> 0.50 ms at 12800 x 100 on this project's Xeon): the tanh is most of it. */

#define BLOCK 256          /* input elements per pass over the hidden units (fits in L1) */
#define MAXROWS 4          /* g and up to three derivatives (the caller's rows) */
#define FULLROWS (MAXROWS + 1)  /* and the next one, when recording */

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

/* ---------------------------------------------------------------- backward */

/* The differentiable backward (create_graph), from the node's own output, the fused
   sums of ops_tanh_sums.c and small [K, H] ops.  With G [K, N] the upstream gradient,
   D_k the block's row k (the k-th derivative) and S_u(W) = tanh_xsum(.., W, orders u):
     gx  = sum_k G_k * D_(k+1)
     gc  = sum_k a^k S_k(G)_k,   gb = sum_k c a^k S_(k+1)(G)_k,
     ga  = sum_k (k c a^(k-1) S_k(G)_k + c a^k S_(k+1)(G x)_k)
   (the S calls stacked into one).  Until a backward has used the output (ip[1]), the
   gradient of the block's last row is zero (only the caller's narrow reaches it): those
   terms are left out, and D_(k+1) is always a row of the block.  Afterwards they are
   kept, with the last D from tanh_hsum. */
static int bw_pmlp_graph (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin) {
  m1d_Tensor **in = node->saved;
  m1d_Tensor *xf = NULL, *af = NULL, *bf = NULL, *gf = NULL, *ck[FULLROWS + 1] = {0}, *ap[FULLROWS] = {0},
             *kc[FULLROWS] = {0}, *m = NULL, *e = NULL, *blk[3] = {0}, *s = NULL, *v[NIN] = {0}, *u = NULL,
             *w = NULL, *y = NULL, *d[2] = {0};
  int Kf = (int)node->ip[0] + 1, K = node->ip[1] ? Kf : Kf - 1, rc = -1, ord[3 * FULLROWS], n = 0;
  int64_t N = m1d_numel(in[IN_X]), H = m1d_numel(in[IN_W1]), vec[1] = {H}, nv[1] = {N}, row[2] = {1, H},
          gshape[2] = {Kf, N};
  int wx = m1d_edge_wanted(node, IN_X), wa = m1d_edge_wanted(node, IN_W1), wb = m1d_edge_wanted(node, IN_B1),
      wc = m1d_edge_wanted(node, IN_W2);
  m1d_DType dt = in[IN_X]->dtype;
  TRY(xf, m1d_reshape(in[IN_X], 1, nv));
  TRY(af, m1d_reshape(in[IN_W1], 1, vec));
  TRY(bf, m1d_reshape(in[IN_B1], 1, vec));
  TRY(ck[0], m1d_reshape(in[IN_W2], 1, vec));        /* ck[k] = c a^k */
  TRY(u, m1d_reshape(g, 2, gshape));
  TRY(gf, K < Kf ? m1d_narrow(u, 0, 0, K) : (m1d_incref(u), u));
  DROP(u);
  for (int k = 1; k <= K; k++) TRY(ck[k], m1d_mul(ck[k - 1], af));
  if (wx) {
    int nb = K < Kf ? K : Kf - 1;                     /* D_1 .. D_nb from the block */
    node->ip[1] = 1;                                  /* its output is used from now on */
    TRY(y, m1d_node_output(node));
    TRY(u, m1d_reshape(y, 2, gshape));
    TRY(d[0], m1d_narrow(u, 0, 1, nb));
    DROP(u);
    if (nb < K) {                                     /* D_Kf, beyond the block */
      ord[0] = Kf;
      TRY(m, m1d_reshape(ck[Kf], 2, row));
      TRY(d[1], m1d_tanh_hsum(xf, af, bf, m, 1, ord));
      TRY(e, m1d_cat(2, d, 0));
      DROP(m);
    } else {
      e = d[0];
      m1d_incref(e);
    }
    TRY(u, m1d_mul(gf, e));
    TRY(w, m1d_sum_dim(u, 0, 0));
    TRY(v[IN_X], m1d_reshape(w, in[IN_X]->ndim, in[IN_X]->shape));
    DROP(u); DROP(w);
  }
  if (wa || wb || wc) {
    /* blocks: G at orders k (gc, and ga for K > 1), G at k + 1 (gb), G x at k + 1 (ga) */
    int use0 = wc || (wa && K > 1), at0 = -1, at1 = -1, at2 = -1;
    if (use0) { at0 = n; m1d_incref(gf); blk[n] = gf; for (int k = 0; k < K; k++) ord[n * K + k] = k; n++; }
    if (wb) { at1 = n; m1d_incref(gf); blk[n] = gf; for (int k = 0; k < K; k++) ord[n * K + k] = k + 1; n++; }
    if (wa) { at2 = n; TRY(blk[n], m1d_mul(gf, xf)); for (int k = 0; k < K; k++) ord[n * K + k] = k + 1; n++; }
    TRY(m, n == 1 ? (m1d_incref(blk[0]), blk[0]) : m1d_cat(n, blk, 0));
    TRY(s, m1d_tanh_xsum(xf, af, bf, m, n * K, ord));
#define ROWSUM(dst, f, at) do { \
      m1d_Tensor *f_ = NULL, *p_ = NULL, *q_ = NULL; \
      if ((f_ = m1d_stack(K, f, 0)) && (p_ = m1d_narrow(s, 0, (int64_t)(at) * K, K)) && (q_ = m1d_mul(f_, p_))) \
        (dst) = m1d_sum_dim(q_, 0, 0); \
      m1d_decref(f_); m1d_decref(p_); m1d_decref(q_); \
      if ((dst) == NULL) goto fail; } while (0)
    if (wc || wa) {
      for (int k = 0; k < K; k++)                     /* ap[k] = a^k, kc[k] = k c a^(k-1) */
        TRY(ap[k], k == 0 ? m1d_full(dt, 1, vec, 1.0) : m1d_mul(ap[k - 1], af));
      for (int k = 0; k < K; k++)
        TRY(kc[k], k == 0 ? m1d_zeros(dt, 1, vec) : m1d_affine(ck[k - 1], k, 0));
    }
    if (wc) { ROWSUM(w, ap, at0); TRY(v[IN_W2], m1d_reshape(w, in[IN_W2]->ndim, in[IN_W2]->shape)); DROP(w); }
    if (wb) { ROWSUM(w, ck, at1); TRY(v[IN_B1], m1d_reshape(w, in[IN_B1]->ndim, in[IN_B1]->shape)); DROP(w); }
    if (wa) {
      ROWSUM(w, ck, at2);
      if (K > 1) { ROWSUM(u, kc, at0); m1d_Tensor *t = m1d_add(w, u); DROP(w); DROP(u); TRY(w, t); }
      TRY(v[IN_W1], m1d_reshape(w, in[IN_W1]->ndim, in[IN_W1]->shape));
    }
#undef ROWSUM
  }
  for (int i = 0; i < NIN; i++) { gin[i] = v[i]; v[i] = NULL; }
  rc = 0;
fail:
  m1d_decref(xf); m1d_decref(af); m1d_decref(bf); m1d_decref(gf); m1d_decref(m); m1d_decref(e);
  m1d_decref(s); m1d_decref(u); m1d_decref(w); m1d_decref(y); m1d_decref(d[0]); m1d_decref(d[1]);
  for (int k = 0; k <= FULLROWS; k++) m1d_decref(ck[k]);
  for (int k = 0; k < FULLROWS; k++) { m1d_decref(ap[k]); m1d_decref(kc[k]); }
  for (int i = 0; i < 3; i++) m1d_decref(blk[i]);
  for (int i = 0; i < NIN; i++) m1d_decref(v[i]);
  return rc;
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
  if (create_graph) return bw_pmlp_graph(node, g, gin);
  m1d_Tensor *c[NIN] = {0}, *gy = NULL, *gx = NULL;
  /* the block's rows, less the last while its gradient is zero (see bw_pmlp_graph) */
  int K = (int)node->ip[0] + (node->ip[1] ? 1 : 0), rc = -1, params = 0;
  for (int i = IN_W1; i < NIN; i++) params |= m1d_edge_wanted(node, i);
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
  if (m1d_edge_wanted(node, IN_X) && (gx = m1d_empty(dt, c[IN_X]->ndim, c[IN_X]->shape)) == NULL) goto done;
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
    if (m1d_edge_wanted(node, i) && (gin[i] = param_grad(acc + (i - IN_W1) * H, &node->edges[i])) == NULL) rc = -1;
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  m1d_decref(gy);
  m1d_decref(gx);
  m1d_pool_data_free(acc, bytes);
  return rc;
}

/* ---------------------------------------------------------------- forward */

m1d_Tensor *m1d_pointwise_mlp (m1d_Tensor *x, m1d_Tensor *w1, m1d_Tensor *b1, m1d_Tensor *w2, int nder) {
  m1d_Tensor *in[NIN] = {x, w1, b1, w2}, *c[NIN] = {0}, *out = NULL, *full = NULL;
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
  /* Recording, the pass computes one derivative more (see the header): the node's
     output is that block, the caller's rows a narrow of it.  Plain backward passes
     skip the extra row while its gradient is zero; the forward costs ~15 % more. */
  int rec = m1d_needs_grad(NIN, in), K = nder + 1 + rec;
  shape[0] = K;
  for (int i = 0; i < NIN; i++) if ((c[i] = m1d_contiguous_raw(in[i])) == NULL) goto done;
  if ((full = m1d_empty(x->dtype, x->ndim + 1, shape)) == NULL) goto done;
  if (x->dtype == M1D_F32)
    pmlp_forward_f32(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H,
                     K, m1d_data(full));
  else
    pmlp_forward_f64(m1d_data(c[IN_X]), N, m1d_data(c[IN_W1]), m1d_data(c[IN_B1]), m1d_data(c[IN_W2]), H,
                     K, m1d_data(full));
  if (!rec) {
    out = full;
    full = NULL;
    goto done;
  }
  m1d_Node *node = m1d_record("pointwise_mlp", bw_pmlp, full, NIN, in);
  if (node == NULL) goto done;
  node->ip[0] = K - 1;                                  /* the block's highest derivative */
  node->ip[1] = 0;                                      /* its output not used by a backward yet */
  for (int i = 0; i < NIN; i++) if (m1d_node_save(node, i, in[i]) != 0) goto done;
  if (m1d_node_save_output(node, full) != 0) goto done;
  if ((out = m1d_narrow(full, 0, 0, nder + 1)) == NULL) goto done;
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  m1d_decref(full);
  return out;
}
