/*
** ops_tanh_sums.c — sums of tanh derivatives over a 1 -> H tanh layer, two fused ops
** closed under differentiation.  With z_ij = a_j x_i + b_j and P_m = tanh^(m):
**
**   tanh_hsum(x [N], a [H], b [H], C [R, H], orders) [R, N]:  out[r,i] = sum_j C[r,j] P_{m_r}(z_ij)
**   tanh_xsum(x [N], a [H], b [H], W [R, N], orders) [R, H]:  out[r,j] = sum_i W[r,i] P_{m_r}(z_ij)
**
** Their gradients are again such sums, one order up, plus small [R, H] / [R, N] ops:
**   hsum, upstream G [R, N]:  dC = xsum(G, m);  dx = sum_r G * hsum(C a, m + 1);
**                             da = sum_r C * xsum(G x, m + 1);  db = sum_r C * xsum(G, m + 1)
**   xsum, upstream G [R, H]:  dW = hsum(G, m);  dx = sum_r W * hsum(G a, m + 1);
**                             da = sum_r G * xsum(W x, m + 1);  db = sum_r G * xsum(W, m + 1)
** so a differentiable backward (create_graph) is two fused calls (the rows of several
** gradients stacked into one call) and never stores the [N, H] layer, at every order.
** A plain backward is one fused pass (tanh_sums_kernel.h).  The pointwise MLP's
** higher-order backward is built on these (ops_pointwise_mlp.c).
*/
#include "simd.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"

/* As in ops_pointwise_mlp.c: also built for AVX-512 and AVX2, chosen at load time;
   elementwise loops and fixed-order sums, so the vector width changes no result (the
   clones were checked to give the same bits). */

#define BLOCK 256                  /* elements per pass over the hidden units (fits in L1) */
#define MAXORDER M1D_TANH_MAXORDER /* orders a caller may ask for */
#define MAXP (MAXORDER + 1)        /* the backward evaluates one order more */
#define NCO (MAXP + 2)             /* coefficients of P_u, degree u + 1 */
#define MAXROWS 4096

#define REAL float
#define TANH tanhf_abs
#define SFX f32
#include "tanh_sums_kernel.h"
#undef REAL
#undef TANH
#undef SFX

#define REAL double
#define TANH tanh
#define SFX f64
#include "tanh_sums_kernel.h"
#undef REAL
#undef TANH
#undef SFX

enum { IN_X, IN_A, IN_B, IN_CW, NIN };

/* P_0 = t; P_{u+1} = P_u'(t) (1 - t^2), since dt/dz = 1 - t^2.  Integer coefficients,
   exact in double for every order here. */
static void tanh_poly_coefs (double co[(MAXP + 1) * NCO]) {
  memset(co, 0, sizeof(double) * (MAXP + 1) * NCO);
  co[1] = 1;
  for (int u = 0; u < MAXP; u++)
    for (int d = 1; d <= u + 1; d++) {
      co[(u + 1) * NCO + d - 1] += d * co[u * NCO + d];
      co[(u + 1) * NCO + d + 1] -= d * co[u * NCO + d];
    }
}

/* One fused pass (see the kernel).  Tensors contiguous, of x's dtype; A, B, outN, gx may
   be NULL, outH, ga, gb (doubles) too; the doubles are zeroed here. */
typedef struct {
  m1d_Tensor *x, *a, *b, *A, *B, *outN, *gx;
  double *outH, *ga, *gb;
  int R;
  const int *ord;
} Pass;

static int run_pass (const char *op, const Pass *p) {
  int64_t N = m1d_numel(p->x), H = m1d_numel(p->a);
  int fresh;
  size_t esz = p->x->dtype == M1D_F32 ? sizeof(float) : sizeof(double);
  size_t bytes = (size_t)BLOCK * (size_t)(MAXP + p->R + 5) * esz;
  void *work = m1d_pool_data(bytes, &fresh);
  if (work == NULL) return m1d_failcode("%s: out of memory", op);
  if (p->outH) memset(p->outH, 0, (size_t)(p->R * H) * sizeof(double));
  if (p->ga) memset(p->ga, 0, (size_t)H * sizeof(double));
  if (p->gb) memset(p->gb, 0, (size_t)H * sizeof(double));
  double co[(MAXP + 1) * NCO];
  tanh_poly_coefs(co);
#define D(t) ((t) ? m1d_data(t) : NULL)
  if (p->x->dtype == M1D_F32) {
    float cof[(MAXP + 1) * NCO];
    for (int k = 0; k < (MAXP + 1) * NCO; k++) cof[k] = (float)co[k];
    tsum_pass_f32(D(p->x), N, D(p->a), D(p->b), H, p->R, p->ord, cof, D(p->A), D(p->B), D(p->outN), p->outH,
                  D(p->gx), p->ga, p->gb, work);
  } else {
    tsum_pass_f64(D(p->x), N, D(p->a), D(p->b), H, p->R, p->ord, co, D(p->A), D(p->B), D(p->outN), p->outH,
                  D(p->gx), p->ga, p->gb, work);
  }
#undef D
  m1d_pool_data_free(work, bytes);
  return 0;
}

/* doubles as a tensor of the given dtype and shape */
static m1d_Tensor *from_doubles (const double *d, m1d_DType dt, int ndim, const int64_t *shape) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t == NULL) return NULL;
  int64_t n = m1d_numel(t);
  if (dt == M1D_F64) memcpy(m1d_data(t), d, (size_t)n * sizeof *d);
  else { float *f = m1d_data(t); for (int64_t i = 0; i < n; i++) f[i] = (float)d[i]; }
  return t;
}

/* ---------------------------------------------------------------- checks */

static const char *const cw_name[2] = {"c", "w"};

/* x [N], a [H], b [H], cw [R, H] (hsum) or [R, N] (xsum), one dtype, R orders in 0..MAXORDER */
static int check_args (const char *op, int xsum, m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *cw,
                       int R, const int *orders) {
  m1d_Tensor *in[NIN] = {x, a, b, cw};
  const char *names[NIN] = {"x", "a", "b", cw_name[xsum]};
  for (int i = 0; i < NIN; i++) {
    if (m1d_check_float(op, in[i]) < 0) return -1;
    if (in[i]->dtype != x->dtype)
      return m1d_failcode("%s: all inputs must have one dtype (x is %s, %s is %s)", op, m1d_dtype_name(x->dtype),
                          names[i], m1d_dtype_name(in[i]->dtype));
  }
  if (x->ndim != 1) return m1d_failcode("%s: x must be 1-D [N], got %s", op, m1d_shapestr(x).s);
  if (a->ndim != 1 || a->shape[0] < 1)
    return m1d_failcode("%s: a must be 1-D [H] with H >= 1 (the hidden width), got %s", op, m1d_shapestr(a).s);
  if (!m1d_same_shape(a, b)) return m1d_failcode("%s: b %s must have a's shape %s", op, m1d_shapestr(b).s, m1d_shapestr(a).s);
  if (R < 1 || R > MAXROWS) return m1d_failcode("%s: orders must list 1 to %d orders (one per row of %s), got %d",
                                                op, MAXROWS, names[IN_CW], R);
  int64_t cols = xsum ? x->shape[0] : a->shape[0];
  if (cw->ndim != 2 || cw->shape[0] != R || cw->shape[1] != cols)
    return m1d_failcode("%s: %s must be [R, %s] = [%d, %lld] (a row per order), got %s", op, names[IN_CW],
                        xsum ? "N" : "H", R, (long long)cols, m1d_shapestr(cw).s);
  for (int r = 0; r < R; r++)
    if (orders[r] < 0 || orders[r] > MAXORDER)
      return m1d_failcode("%s: orders must be 0 to %d, got %d at row %d", op, MAXORDER, orders[r], r + 1);
  return 0;
}

/* ---------------------------------------------------------------- forward */

static int bw_hsum (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph);
static int bw_xsum (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph);

static m1d_Tensor *tanh_sum (int xsum, m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *cw, int R,
                             const int *orders) {
  const char *op = xsum ? "tanh_xsum" : "tanh_hsum";
  m1d_Tensor *in[NIN] = {x, a, b, cw}, *c[NIN] = {0}, *out = NULL;
  double *acc = NULL;
  if (check_args(op, xsum, x, a, b, cw, R, orders) < 0) return NULL;
  int64_t N = x->shape[0], H = a->shape[0];
  int64_t shape[2] = {R, xsum ? H : N};
  for (int i = 0; i < NIN; i++) if ((c[i] = m1d_contiguous_raw(in[i])) == NULL) goto done;
  Pass p = {.x = c[IN_X], .a = c[IN_A], .b = c[IN_B], .R = R, .ord = orders};
  if (xsum) {
    if ((acc = malloc((size_t)(R * H) * sizeof *acc)) == NULL) { m1d_fail("%s: out of memory", op); goto done; }
    p.B = c[IN_CW];
    p.outH = acc;
    if (run_pass(op, &p) < 0 || (out = from_doubles(acc, x->dtype, 2, shape)) == NULL) goto done;
  } else {
    if ((out = m1d_empty(x->dtype, 2, shape)) == NULL) goto done;
    p.A = c[IN_CW];
    p.outN = out;
    if (run_pass(op, &p) < 0) { DROP(out); goto done; }
  }
  if (m1d_needs_grad(NIN, in)) {
    m1d_Node *node = m1d_record(op, xsum ? bw_xsum : bw_hsum, out, NIN, in);
    int *ord = node ? malloc((size_t)R * sizeof *ord) : NULL;
    if (ord == NULL) { DROP(out); if (node) m1d_fail("%s: out of memory", op); goto done; }
    memcpy(ord, orders, (size_t)R * sizeof *ord);
    node->ud = ord;
    node->ud_free = free;
    node->ip[0] = R;
    for (int i = 0; i < NIN; i++)
      if (m1d_node_save(node, i, in[i]) != 0) { DROP(out); goto done; }
  }
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  free(acc);
  return out;
}

m1d_Tensor *m1d_tanh_hsum (m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *c, int R, const int *orders) {
  return tanh_sum(0, x, a, b, c, R, orders);
}

m1d_Tensor *m1d_tanh_xsum (m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *w, int R, const int *orders) {
  return tanh_sum(1, x, a, b, w, R, orders);
}

/* ---------------------------------------------------------------- backward */

/* The plain (first-order) backward of either op: one fused pass with A = the [R, H]
   factor (C, or the upstream gradient of xsum) and B = the [R, N] one (the upstream
   gradient of hsum, or W). */
static int bw_fused (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int xsum) {
  m1d_Tensor *c[NIN] = {0}, *gc = NULL, *gx = NULL, *gw = NULL;
  double *acc = NULL;
  int R = (int)node->ip[0], rc = -1;
  int wx = m1d_edge_wanted(node, IN_X), wa = m1d_edge_wanted(node, IN_A), wb = m1d_edge_wanted(node, IN_B),
      wcw = m1d_edge_wanted(node, IN_CW);
  for (int i = 0; i < NIN; i++) if ((c[i] = m1d_contiguous_raw(node->saved[i])) == NULL) goto done;
  m1d_DType dt = c[IN_X]->dtype;
  int64_t H = c[IN_A]->shape[0], vec[1] = {H}, mat[2] = {R, H};
  if ((gc = g->dtype == dt ? m1d_contiguous_raw(g) : m1d_cast_raw(g, dt)) == NULL) goto done;
  if ((acc = calloc((size_t)((R + 2) * H), sizeof *acc)) == NULL) { m1d_fail("%s: out of memory", node->name); goto done; }
  if (wx && (gx = m1d_empty(dt, 1, c[IN_X]->shape)) == NULL) goto done;
  if (xsum && wcw && (gw = m1d_empty(dt, 2, c[IN_CW]->shape)) == NULL) goto done;
  Pass p = {.x = c[IN_X], .a = c[IN_A], .b = c[IN_B], .R = R, .ord = node->ud,
            .A = xsum ? gc : c[IN_CW], .B = xsum ? c[IN_CW] : gc, .gx = gx,
            .ga = wa ? acc : NULL, .gb = wb ? acc + H : NULL};
  if (xsum) p.outN = gw;
  else if (wcw) p.outH = acc + 2 * H;
  if (run_pass(node->name, &p) < 0) goto done;
  if (wa && (gin[IN_A] = from_doubles(acc, dt, 1, vec)) == NULL) goto done;
  if (wb && (gin[IN_B] = from_doubles(acc + H, dt, 1, vec)) == NULL) goto done;
  if (!xsum && wcw && (gin[IN_CW] = from_doubles(acc + 2 * H, dt, 2, mat)) == NULL) goto done;
  if (xsum) { gin[IN_CW] = gw; gw = NULL; }
  gin[IN_X] = gx;
  gx = NULL;
  rc = 0;
done:
  for (int i = 0; i < NIN; i++) m1d_decref(c[i]);
  m1d_decref(gc); m1d_decref(gx); m1d_decref(gw);
  free(acc);
  return rc;
}

/* Up to three [R, *] blocks stacked into one call of hsum (xsum 0) or xsum: rows
   blk[k] with orders ord + up[k].  Returns the [n R, *] result. */
static m1d_Tensor *stacked_call (int xsum, m1d_Tensor **in, int n, m1d_Tensor **blk, const int *up, int R,
                                 const int *ord) {
  m1d_Tensor *cw = NULL, *r = NULL;
  int *o = malloc((size_t)(n * R) * sizeof *o);
  if (o == NULL) return m1d_fail("tanh sums: out of memory");
  for (int k = 0; k < n; k++) for (int i = 0; i < R; i++) o[k * R + i] = ord[i] + up[k];
  if ((cw = n == 1 ? (m1d_incref(blk[0]), blk[0]) : m1d_cat(n, blk, 0)) != NULL)
    r = tanh_sum(xsum, in[IN_X], in[IN_A], in[IN_B], cw, n * R, o);
  m1d_decref(cw);
  free(o);
  return r;
}

/* sum_r f[r, :] * rows k of s (rows k R .. k R + R - 1): a [*] vector */
static m1d_Tensor *rowsum_mul (m1d_Tensor *f, m1d_Tensor *s, int k, int R) {
  m1d_Tensor *part = NULL, *prod = NULL, *r = NULL;
  TRY(part, m1d_narrow(s, 0, (int64_t)k * R, R));
  TRY(prod, m1d_mul(f, part));
  r = m1d_sum_dim(prod, 0, 0);
fail:
  m1d_decref(part); m1d_decref(prod);
  return r;
}

/* The differentiable backward (see the header for the formulas). */
static int bw_graph (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int xsum) {
  m1d_Tensor **in = node->saved, *x = in[IN_X], *a = in[IN_A], *cw = in[IN_CW];
  m1d_Tensor *blk[3] = {0}, *e = NULL, *s = NULL;
  int R = (int)node->ip[0], rc = -1, n = 0, up[3], k;
  const int *ord = node->ud;
  int wx = m1d_edge_wanted(node, IN_X), wa = m1d_edge_wanted(node, IN_A), wb = m1d_edge_wanted(node, IN_B),
      wcw = m1d_edge_wanted(node, IN_CW);
  if (!xsum) {
    /* dx = sum_r G * hsum(C a, m + 1) */
    if (wx) {
      TRY(blk[0], m1d_mul(cw, a));
      up[0] = 1;
      TRY(e, stacked_call(0, in, 1, blk, up, R, ord));
      TRY(gin[IN_X], rowsum_mul(g, e, 0, R));
      DROP(blk[0]);
    }
    /* one xsum call for dC (G, m), da (G x, m + 1), db (G, m + 1) */
    if (wcw) { m1d_incref(g); blk[n] = g; up[n++] = 0; }
    if (wa) { TRY(blk[n], m1d_mul(g, x)); up[n++] = 1; }
    if (wb) { m1d_incref(g); blk[n] = g; up[n++] = 1; }
    if (n > 0) {
      TRY(s, stacked_call(1, in, n, blk, up, R, ord));
      k = 0;
      if (wcw) TRY(gin[IN_CW], m1d_narrow(s, 0, (int64_t)(k++) * R, R));
      if (wa) TRY(gin[IN_A], rowsum_mul(cw, s, k++, R));
      if (wb) TRY(gin[IN_B], rowsum_mul(cw, s, k++, R));
    }
  } else {
    /* one hsum call for dW (G, m) and dx (G a, m + 1) */
    if (wcw) { m1d_incref(g); blk[n] = g; up[n++] = 0; }
    if (wx) { TRY(blk[n], m1d_mul(g, a)); up[n++] = 1; }
    if (n > 0) {
      TRY(e, stacked_call(0, in, n, blk, up, R, ord));
      k = 0;
      if (wcw) TRY(gin[IN_CW], m1d_narrow(e, 0, (int64_t)(k++) * R, R));
      if (wx) TRY(gin[IN_X], rowsum_mul(cw, e, k++, R));
    }
    for (int i = 0; i < n; i++) DROP(blk[i]);
    n = 0;
    /* one xsum call for da (W x, m + 1) and db (W, m + 1) */
    if (wa) { TRY(blk[n], m1d_mul(cw, x)); up[n++] = 1; }
    if (wb) { m1d_incref(cw); blk[n] = cw; up[n++] = 1; }
    if (n > 0) {
      TRY(s, stacked_call(1, in, n, blk, up, R, ord));
      k = 0;
      if (wa) TRY(gin[IN_A], rowsum_mul(g, s, k++, R));
      if (wb) TRY(gin[IN_B], rowsum_mul(g, s, k++, R));
    }
  }
  rc = 0;
fail:
  for (int i = 0; i < 3; i++) m1d_decref(blk[i]);
  m1d_decref(e); m1d_decref(s);
  if (rc < 0) for (int i = 0; i < NIN; i++) { m1d_decref(gin[i]); gin[i] = NULL; }
  return rc;
}

static int bw_hsum (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  return create_graph ? bw_graph(node, g, gin, 0) : bw_fused(node, g, gin, 0);
}

static int bw_xsum (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  return create_graph ? bw_graph(node, g, gin, 1) : bw_fused(node, g, gin, 1);
}
