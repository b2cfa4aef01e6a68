/*
** ops_nn.c — losses: cross-entropy, NLL, MSE.
**
** cross_entropy has a fused forward (log-sum-exp per row) and a fused backward,
** cross_entropy_backward, itself a differentiable op (its derivatives are it and
** softmax_jvp), so every order of derivative exists and each records one node.
** The pools are in ops_pool.c, conv1d in ops_conv1d.c.
*/
/* the loss loops are elementwise: let GCC vectorise them (see ops_elementwise.c) */
#include "simd.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops_rule.h"
#include "fastmath.h"

static int check_labels (const char *op, const m1d_Tensor *x, const m1d_Tensor *labels) {
  if (x->ndim != 2)
    return m1d_failcode("%s: input must be [batch, classes], got %s", op, m1d_shapestr(x).s);
  if (labels->dtype != M1D_I64)
    return m1d_failcode("%s: labels must be int64, got %s %s", op, m1d_dtype_name(labels->dtype),
                        m1d_shapestr(labels).s);
  if (labels->ndim != 1 || labels->shape[0] != x->shape[0])
    return m1d_failcode("%s: input %s needs labels of shape [%lld], got %s", op, m1d_shapestr(x).s,
                        (long long)x->shape[0], m1d_shapestr(labels).s);
  if (x->shape[0] == 0) return m1d_failcode("%s: empty batch %s", op, m1d_shapestr(x).s);
  int64_t K = x->shape[1];
  for (int64_t i = 0; i < labels->shape[0]; i++) {
    int64_t v = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    if (v < 0 || v >= K)
      return m1d_failcode("%s: label %lld at row %lld is outside 0..%lld for input %s", op,
                          (long long)v, (long long)i + 1, (long long)K - 1, m1d_shapestr(x).s);
  }
  return 0;
}

m1d_Tensor *m1d_onehot (m1d_Tensor *labels, int64_t k, m1d_DType dt) {
  if (labels->dtype != M1D_I64 || labels->ndim != 1)
    return m1d_fail("onehot: labels must be a 1-D int64 tensor, got %s %s",
                    m1d_dtype_name(labels->dtype), m1d_shapestr(labels).s);
  int64_t shape[2] = {labels->shape[0], k};
  m1d_Tensor *out = m1d_zeros(dt, 2, shape);
  if (out == NULL) return NULL;
  for (int64_t i = 0; i < shape[0]; i++) {
    int64_t v = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    if (v < 0 || v >= k) {
      m1d_decref(out);
      return m1d_fail("onehot: label %lld at row %lld is outside 0..%lld", (long long)v,
                      (long long)i + 1, (long long)k - 1);
    }
    int64_t idx[2] = {i, v};
    m1d_set(out, idx, 1.0);
  }
  return out;
}

/* ---------------------------------------------------------------- cross_entropy's backward

   The gradient of cross_entropy is one op, cross_entropy_backward(x, labels, g) =
   (softmax(x) - onehot(labels)) * g / N, so that a gradient taken with create_graph (every
   inner step of an unrolled meta-learning loop) records one node, not the five of
   softmax, onehot, sub, affine and mul with their temporaries.  Its own derivatives:
     d/dx: softmax's Jacobian J = diag(p) - p p^T (symmetric) times G * g / N per row, i.e.
           softmax_jvp(x, G * g / N) with softmax_jvp(x, v) = p * (v - rowsum(v * p));
     d/dg: sum(G * (p - onehot)) / N = sum(G * cross_entropy_backward(x, labels, 1)).
   Both are again these ops (plus mul and sum), so every order of derivative exists; a
   backward with no graph to record (the outer backward of a meta-learning step) runs
   them as one fused loop.  softmax_jvp's own backward (third order of cross_entropy)
   is composed: d/dv is softmax_jvp(x, H); d/dx is softmax_jvp(x, H*v - s*H - t*v) with
   s = rowsum(v * p), t = rowsum(H * p) (differentiate p*v - p s with dp = J dx). */

/* Row log-sum-exps of a contiguous [N,K] x (float32 through fastmath.h's exp, as the forward). */
static void row_lse (const m1d_Tensor *x, double *lse) {
  int64_t N = x->shape[0], K = x->shape[1];
  for (int64_t i = 0; i < N; i++) {
    lse[i] = x->dtype == M1D_F32 ? lse_row_f32((const float *)m1d_data(x) + i * K, K, 1)
                                 : lse_row_f64((const double *)m1d_data(x) + i * K, K, 1);
  }
}

static inline int64_t label_at (const m1d_Tensor *labels, int64_t i) {
  return ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
}

/* The fused loops, over contiguous [N,K] blocks; p = exp(x - lse) per row.
   jvp:   out = c * p * (v - rowsum(v * p))                      (softmax_jvp, scaled)
   gdot:  returns sum(G * (p - onehot))                          (d/dg, times N)
   and cebw below: out = (p - onehot) * c                        (cross_entropy_backward) */
#define CE_KERNELS(T, SUF, EXPF)                                                          \
  static void jvp_##SUF (int64_t N, int64_t K, const T *x, const T *v, const double *lse, \
                         double c, T *out) {                                              \
    for (int64_t i = 0; i < N; i++) {                                                     \
      const T *xr = x + i * K, *vr = v + i * K;                                           \
      T *o = out + i * K, l = (T)lse[i];                                                  \
      double s = 0;                                                                       \
      for (int64_t j = 0; j < K; j++) { o[j] = EXPF(xr[j] - l); s += (double)vr[j] * (double)o[j]; } \
      for (int64_t j = 0; j < K; j++) o[j] = (T)(c * (double)o[j] * ((double)vr[j] - s)); \
    }                                                                                     \
  }                                                                                       \
  static double gdot_##SUF (int64_t N, int64_t K, const T *x, const m1d_Tensor *labels,   \
                            const double *lse, const T *G) {                              \
    double acc = 0;                                                                       \
    for (int64_t i = 0; i < N; i++) {                                                     \
      const T *xr = x + i * K, *gr = G + i * K;                                           \
      T l = (T)lse[i];                                                                    \
      for (int64_t j = 0; j < K; j++) acc += (double)gr[j] * (double)EXPF(xr[j] - l);     \
      acc -= (double)gr[label_at(labels, i)];                                             \
    }                                                                                     \
    return acc;                                                                           \
  }
CE_KERNELS(float, f32, fast_expf)
CE_KERNELS(double, f64, exp)

/* cross_entropy_backward's loop, also the first-order backward of every training step:
   float32 computes in float32 (p * c, then c off the label's entry), the operations and
   order of the fused backward it replaced, so training runs keep their bits (and the
   loop vectorises); float64 as (p - onehot) * c. */
static void cebw_f32 (int64_t N, int64_t K, const float *x, const m1d_Tensor *labels, const double *lse,
                      double c, float *out) {
  float sc = (float)c;
  for (int64_t i = 0; i < N; i++) {
    const float *xr = x + i * K;
    float *o = out + i * K, l = (float)lse[i];
    for (int64_t j = 0; j < K; j++) o[j] = fast_expf(xr[j] - l) * sc;
    o[label_at(labels, i)] -= sc;
  }
}

static void cebw_f64 (int64_t N, int64_t K, const double *x, const m1d_Tensor *labels, const double *lse,
                      double c, double *out) {
  for (int64_t i = 0; i < N; i++) {
    const double *xr = x + i * K;
    double *o = out + i * K;
    int64_t y = label_at(labels, i);
    for (int64_t j = 0; j < K; j++) o[j] = (exp(xr[j] - lse[i]) - (j == y)) * c;
  }
}

static void jvp_rows (const m1d_Tensor *x, const m1d_Tensor *v, const double *lse, double c, m1d_Tensor *out) {
  if (x->dtype == M1D_F32) jvp_f32(x->shape[0], x->shape[1], m1d_data(x), m1d_data(v), lse, c, m1d_data(out));
  else jvp_f64(x->shape[0], x->shape[1], m1d_data(x), m1d_data(v), lse, c, m1d_data(out));
}

static int check_pair (const char *op, const char *vname, const m1d_Tensor *x, const m1d_Tensor *v) {
  if (m1d_check_float(op, x) < 0) return -1;
  if (x->ndim != 2)
    return m1d_failcode("%s: x must be [batch, classes], got %s", op, m1d_shapestr(x).s);
  if (v->dtype != x->dtype || !m1d_same_shape(v, x))
    return m1d_failcode("%s: %s must be a %s tensor of x's shape %s, got %s %s", op, vname,
                        m1d_dtype_name(x->dtype), m1d_shapestr(x).s, m1d_dtype_name(v->dtype),
                        m1d_shapestr(v).s);
  return 0;
}

/* An upstream gradient in x's dtype (a new reference): the loops below read raw float32
   or float64 data.  The engine casts grad_outputs to their output's dtype; this keeps the
   rules safe for any caller that does not (a rule handed a gradient directly). */
static m1d_Tensor *in_dtype (m1d_Tensor *G, m1d_DType dt) {
  if (G->dtype == dt) { m1d_incref(G); return G; }
  return m1d_cast(G, dt);
}

static int bw_softmax_jvp (m1d_Node *n, m1d_Tensor *H0, m1d_Tensor **gin, int create_graph) {
  M1D_RULE_SCOPE(S);
  m1d_Tensor *x = n->saved[0], *v = n->saved[1], *H = KEEP(in_dtype(H0, x->dtype));
  if (H && n->edges[1].needs) gin[1] = m1d_rule_result(S, KEEP(m1d_softmax_jvp(x, H)));   /* J is symmetric */
  if (H && n->edges[0].needs) {        /* J'(x)[v] H: softmax_jvp(x, H v - s H - t v) */
    m1d_Tensor *p = KEEP(m1d_softmax(x, 1));
    m1d_Tensor *vp = MUL(v, p), *Hp = MUL(H, p);
    m1d_Tensor *s_ = vp ? KEEP(m1d_sum_dim(vp, 1, 1)) : NULL, *t = Hp ? KEEP(m1d_sum_dim(Hp, 1, 1)) : NULL;
    m1d_Tensor *u = SUB(MUL(H, v), MUL(s_, H)), *b = SUB(u, MUL(t, v));
    gin[0] = m1d_rule_result(S, b ? KEEP(m1d_softmax_jvp(x, b)) : NULL);
  }
  return m1d_rule_close(S);
}

/* softmax_jvp with the row log-sum-exps when the caller has them (lse NULL: computed) */
static m1d_Tensor *softmax_jvp_lse (m1d_Tensor *x, m1d_Tensor *v0, const double *lse_in, double c) {
  m1d_Tensor *v = in_dtype(v0, x->dtype), *xc = NULL, *vc = NULL, *out = NULL, *in[2] = {x, v};
  double lse_local[256], *lse = lse_local;
  int64_t N = x->shape[0];
  if (v == NULL) return NULL;
  if ((xc = m1d_contiguous_raw(x)) == NULL || (vc = m1d_contiguous_raw(v)) == NULL ||
      (out = m1d_empty(x->dtype, 2, x->shape)) == NULL) goto fail;
  if (lse_in) lse = (double *)lse_in;
  else {
    if (N > 256 && (lse = malloc(sizeof(double) * (size_t)N)) == NULL) {
      m1d_fail("softmax_jvp: out of memory"); goto fail;
    }
    row_lse(xc, lse);
  }
  jvp_rows(xc, vc, lse, c, out);
  if (lse != lse_local && lse != lse_in) free(lse);
  DROP(xc); DROP(vc);
  if (m1d_needs_grad(2, in)) {
    m1d_Node *node = m1d_record("softmax_jvp", bw_softmax_jvp, out, 2, in);
    if (node == NULL) goto fail;
    m1d_node_save(node, 0, x);
    m1d_node_save(node, 1, v);
  }
  m1d_decref(v);
  return out;
fail:
  m1d_decref(v); m1d_decref(xc); m1d_decref(vc); m1d_decref(out);
  return NULL;
}

m1d_Tensor *m1d_softmax_jvp (m1d_Tensor *x, m1d_Tensor *v) {
  if (check_pair("softmax_jvp", "v", x, v) < 0) return NULL;
  return softmax_jvp_lse(x, v, NULL, 1.0);
}

/* g as a double: a one-element tensor of x's dtype */
static int check_g (const char *op, const m1d_Tensor *x, const m1d_Tensor *g) {
  if (g->dtype != x->dtype || m1d_numel(g) != 1)
    return m1d_failcode("%s: g must be a one-element %s tensor (x is %s %s), got %s %s", op,
                        m1d_dtype_name(x->dtype), m1d_dtype_name(x->dtype), m1d_shapestr(x).s,
                        m1d_dtype_name(g->dtype), m1d_shapestr(g).s);
  return 0;
}

/* saved: 0 x (as given: the recorded rule differentiates through it), 1 labels, 2 g,
   3 the rows' lse (float64 [N]) */
/* the fused first-order path: one pass per output */
static int ce_backward_fused (m1d_Node *n, m1d_Tensor *G, m1d_Tensor **gin) {
  m1d_Tensor *x = n->saved[0], *labels = n->saved[1], *g = n->saved[2];
  const double *lse = m1d_data(n->saved[3]);
  int64_t N = x->shape[0];
  M1D_RULE_SCOPE(S);
  m1d_Tensor *Gc = KEEP(G->dtype == x->dtype ? m1d_contiguous_raw(G) : m1d_cast_raw(G, x->dtype));
  m1d_Tensor *xc = KEEP(m1d_contiguous_raw(x));
  if (Gc && xc && n->edges[0].needs && (gin[0] = m1d_empty(x->dtype, 2, x->shape)) != NULL)
    jvp_rows(xc, Gc, lse, m1d_item(g) / (double)N, gin[0]);
  if (Gc && xc && n->edges[1].needs) {
    double d = x->dtype == M1D_F32
      ? gdot_f32(N, x->shape[1], m1d_data(xc), labels, lse, m1d_data(Gc))
      : gdot_f64(N, x->shape[1], m1d_data(xc), labels, lse, m1d_data(Gc));
    gin[1] = m1d_full(g->dtype, g->ndim, g->shape, d / (double)N);
  }
  int rc = m1d_rule_close(S);
  return rc < 0 || (n->edges[0].needs && !gin[0]) || (n->edges[1].needs && !gin[1]) ? -1 : 0;
}

/* saved: 0 x (as given: the recorded rule differentiates through it), 1 labels, 2 g,
   3 the rows' lse (float64 [N]) */
static int bw_ce_backward (m1d_Node *n, m1d_Tensor *G, m1d_Tensor **gin, int create_graph) {
  if (!create_graph) return ce_backward_fused(n, G, gin);
  m1d_Tensor *x = n->saved[0], *labels = n->saved[1], *g = n->saved[2];
  const double *lse = m1d_data(n->saved[3]);
  M1D_RULE_SCOPE(S);
  if (n->edges[0].needs) {                  /* softmax_jvp(x, G * g / N) */
    m1d_Tensor *Gs = MUL(G, AFFINE(g, 1.0 / (double)x->shape[0], 0));
    gin[0] = m1d_rule_result(S, Gs ? KEEP(softmax_jvp_lse(x, Gs, lse, 1.0)) : NULL);
  }
  if (n->edges[1].needs) {                  /* sum(G * cross_entropy_backward(x, labels, 1)) */
    m1d_Tensor *one = KEEP(m1d_full(g->dtype, g->ndim, g->shape, 1.0));
    m1d_Tensor *r = one ? KEEP(m1d_cross_entropy_backward(x, labels, one)) : NULL;
    m1d_Tensor *sm = MUL(G, r), *s_ = sm ? KEEP(m1d_sum(sm)) : NULL;
    gin[1] = m1d_rule_result(S, s_ ? KEEP(m1d_reshape(s_, g->ndim, g->shape)) : NULL);   /* g may be [] or [1] */
  }
  return m1d_rule_close(S);
}

/* lse_in: the forward's row log-sum-exps (float64 [N]) when the caller has them, else NULL */
static m1d_Tensor *ce_backward_lse (m1d_Tensor *x, m1d_Tensor *labels, m1d_Tensor *g, m1d_Tensor *lse_in) {
  int64_t N = x->shape[0], K = x->shape[1];
  m1d_Tensor *xc = NULL, *lse = lse_in, *out = NULL, *in[2] = {x, g};
  if (lse) m1d_incref(lse);
  if ((xc = m1d_contiguous_raw(x)) == NULL) goto fail;
  if (lse == NULL) {
    if ((lse = m1d_empty(M1D_F64, 1, &N)) == NULL) goto fail;
    row_lse(xc, m1d_data(lse));
  }
  if ((out = m1d_empty(x->dtype, 2, x->shape)) == NULL) goto fail;
  double c = m1d_item(g) / (double)N;
  if (x->dtype == M1D_F32) cebw_f32(N, K, m1d_data(xc), labels, m1d_data(lse), c, m1d_data(out));
  else cebw_f64(N, K, m1d_data(xc), labels, m1d_data(lse), c, m1d_data(out));
  if (m1d_needs_grad(2, in)) {
    m1d_Node *node = m1d_record("cross_entropy_backward", bw_ce_backward, out, 2, in);
    if (node == NULL) goto fail;
    m1d_node_save(node, 0, x);
    m1d_node_save(node, 1, labels);
    m1d_node_save(node, 2, g);
    m1d_node_save(node, 3, lse);
  }
  m1d_decref(xc); m1d_decref(lse);
  return out;
fail:
  m1d_decref(xc); m1d_decref(lse); m1d_decref(out);
  return NULL;
}

m1d_Tensor *m1d_cross_entropy_backward (m1d_Tensor *x, m1d_Tensor *labels, m1d_Tensor *g) {
  if (m1d_check_float("cross_entropy_backward", x) < 0 ||
      check_labels("cross_entropy_backward", x, labels) < 0 ||
      check_g("cross_entropy_backward", x, g) < 0)
    return NULL;
  return ce_backward_lse(x, labels, g, NULL);
}

/* The first-order backward in one pass, with the forward's row log-sum-exps; under
   create_graph the same computation as a recorded op (see above). */
static int bw_cross_entropy (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = n->saved[0], *labels = n->saved[1], *lse = n->saved[2];
  if (create_graph) return (gin[0] = ce_backward_lse(x, labels, g, lse)) ? 0 : -1;
  int64_t N = x->shape[0], K = x->shape[1];
  m1d_Tensor *xc = m1d_contiguous_raw(x), *out = xc ? m1d_empty(x->dtype, 2, x->shape) : NULL;
  if (out == NULL) { m1d_decref(xc); return -1; }
  double c = m1d_item(g) / (double)N;
  if (x->dtype == M1D_F32) cebw_f32(N, K, m1d_data(xc), labels, m1d_data(lse), c, m1d_data(out));
  else cebw_f64(N, K, m1d_data(xc), labels, m1d_data(lse), c, m1d_data(out));
  m1d_decref(xc);
  gin[0] = out;
  return 0;
}

m1d_Tensor *m1d_cross_entropy (m1d_Tensor *x, m1d_Tensor *labels) {
  if (m1d_check_float("cross_entropy", x) < 0 || check_labels("cross_entropy", x, labels) < 0)
    return NULL;
  int64_t N = x->shape[0], K = x->shape[1];
  double total = 0;
  int record = m1d_needs_grad(1, &x);
  m1d_Tensor *lse = record ? m1d_empty(M1D_F64, 1, &N) : NULL;   /* per row, for the backward */
  if (record && lse == NULL) return NULL;
  for (int64_t i = 0; i < N; i++) {
    int64_t y = ((const int64_t *)labels->storage->data)[labels->offset + i * labels->stride[0]];
    int64_t o = x->offset + i * x->stride[0], sj = x->stride[1];
    double row_lse, xy;
    if (x->dtype == M1D_F32) {                    /* float32: fastmath.h's exp (1.4 ulp) */
      const float *pf = (const float *)x->storage->data + o;
      row_lse = lse_row_f32(pf, K, sj);
      xy = pf[y * sj];
    } else {
      const double *pd = (const double *)x->storage->data + o;
      row_lse = lse_row_f64(pd, K, sj);
      xy = pd[y * sj];
    }
    total += row_lse - xy;
    if (lse) ((double *)m1d_data(lse))[i] = row_lse;
  }
  m1d_Tensor *out = m1d_scalar(x->dtype, total / (double)N);
  m1d_Node *node = NULL;
  if (out && (!record || (node = m1d_record("cross_entropy", bw_cross_entropy, out, 1, &x)) != NULL)) {
    if (node) {
      m1d_node_save(node, 0, x);
      m1d_node_save(node, 1, labels);
      m1d_node_save(node, 2, lse);
    }
    m1d_decref(lse);
    return out;
  }
  m1d_decref(out);
  m1d_decref(lse);
  return NULL;
}

/* -mean_i logp[i, labels[i]] */
m1d_Tensor *m1d_nll (m1d_Tensor *logp, m1d_Tensor *labels) {
  if (m1d_check_float("nll", logp) < 0 || check_labels("nll", logp, labels) < 0) return NULL;
  int64_t shape[2] = {labels->shape[0], 1};
  M1D_RULE_SCOPE(S);
  m1d_Tensor *idx = KEEP(m1d_reshape(labels, 2, shape));
  m1d_Tensor *g = idx ? KEEP(m1d_gather(logp, 1, idx)) : NULL;
  m1d_Tensor *r = m1d_rule_result(S, NEG(g ? KEEP(m1d_mean(g)) : NULL));
  m1d_rule_close(S);
  return r;
}

m1d_Tensor *m1d_mse (m1d_Tensor *a, m1d_Tensor *b) {
  if (m1d_check_float("mse", a) < 0 || m1d_check_float("mse", b) < 0) return NULL;
  if (!m1d_same_shape(a, b))
    return m1d_fail("mse: prediction %s and target %s must have the same shape",
                    m1d_shapestr(a).s, m1d_shapestr(b).s);
  M1D_RULE_SCOPE(S);
  m1d_Tensor *d = SUB(a, b), *d2 = MUL(d, d);
  m1d_Tensor *r = d2 ? m1d_mean(d2) : NULL;
  m1d_rule_close(S);
  return r;
}
