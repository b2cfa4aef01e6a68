/*
** ops_gru.c — one GRU layer direction over a whole sequence, fused.
**
** Composed of ops, a bidirectional GRU over 40 steps records ~3,000 graph
** nodes per batch; this op records one.  Forward and first-order backward
** (backpropagation through time) are plain loops in double precision with
** GEMMs for the projections.  When the backward itself must be
** differentiable (create_graph), the rule instead rebuilds the same
** computation from ops (gru_composite) on identity stand-ins of the inputs
** and differentiates that, as m1d.checkpoint does: gradients of every order,
** identical in value to the fast path up to rounding.
**
** PyTorch's conventions: gates r, z, n stacked in that order;
** n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h.
*/
/* the gate loops are elementwise: let GCC vectorise them (see ops_elementwise.c) */
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"

/* The gate loops also get an AVX2 build, picked at load time (as in ops_pointwise_mlp.c) */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

enum { X, H0, WIH, WHH, BIH, BHH, NIN };

typedef struct {
  m1d_Tensor *in[NIN];      /* refs held; h0 may be NULL */
  int reverse;
  int64_t B, T, F, H;
  double *r, *z, *n, *ghn, *hprev;   /* [T][B][H] per processing step, one block */
  size_t block;                      /* bytes of that block */
} GruSaved;

static void saved_free (void *ud) {
  GruSaved *s = ud;
  for (int i = 0; i < NIN; i++) m1d_decref(s->in[i]);
  m1d_pool_data_free(s->r, s->block);
  m1d_pool_free(s, sizeof *s);
}

/* A workspace of doubles from the pool (recycled step after step), not zeroed: the
   callers clear only their accumulators (zeroing all of it was 5 % of a GRU step).
   carve() hands out consecutive pieces of it. */
static double *workspace (size_t count, size_t *bytes) {
  int fresh;
  *bytes = (count ? count : 1) * sizeof(double);
  return m1d_pool_data(*bytes, &fresh);
}

static double *carve (double **cursor, int64_t n) {
  double *p = *cursor;
  *cursor += n;
  return p;
}

/* copy t (any float dtype, any layout) into d as doubles; t NULL: n zeros */
static int fill_double (double *d, const m1d_Tensor *t, int64_t n) {
  if (t == NULL) { memset(d, 0, (size_t)n * sizeof *d); return 0; }
  m1d_Tensor *v = m1d_empty(M1D_F64, t->ndim, t->shape);
  if (v == NULL) return -1;
  m1d_copy_into(v, t);
  memcpy(d, m1d_data(v), (size_t)m1d_numel(v) * sizeof *d);
  m1d_decref(v);
  return 0;
}

/* The gate nonlinearities, in place over a block of pre-activations.  They are most of
   a forward pass: glibc's tanh and exp cost 15-25 ns an element, called 144,000 times
   per step of the paper's GRU.  For float32 tensors they run in float32 on fastmath.h
   (what m1d's float32 sigmoid and tanh ops compute, 1.4-2.3 ulp, vectorised); for
   float64, libm in double, for the gradient checks. */
KERNEL static void sigmoid_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_sigmoidf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = 1.0 / (1.0 + exp(-v[i]));
}

KERNEL static void tanh_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_tanhf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = tanh(v[i]);
}

/* ---------------------------------------------------------------- composite (for higher orders) */

static m1d_Tensor *gru_composite (m1d_Tensor **in, int reverse, int64_t T, int64_t H) {
  m1d_Tensor *h = NULL, **outs = calloc((size_t)T, sizeof *outs), *r = NULL;
  if (outs == NULL) return m1d_fail("gru: out of memory");
  if (in[H0]) { h = in[H0]; m1d_incref(h); }
  else {
    int64_t shape[2] = {in[X]->shape[0], H};
    if ((h = m1d_zeros(in[X]->dtype, 2, shape)) == NULL) { free(outs); return NULL; }
  }
  int ok = 1;
  for (int64_t s = 0; s < T && ok; s++) {
    int64_t t = reverse ? T - 1 - s : s;
    m1d_Tensor *xt = NULL, *gi = NULL, *gh = NULL, *a = NULL, *rz = NULL, *rr = NULL, *zz = NULL,
               *gin_ = NULL, *ghn = NULL, *rg = NULL, *pre = NULL, *n = NULL, *d = NULL, *zd = NULL, *hn = NULL;
    m1d_Tensor *gi2 = NULL, *gh2 = NULL;
    ok = (xt = m1d_select(in[X], 1, t)) && (gi = m1d_linear(xt, in[WIH], in[BIH])) &&
         (gh = m1d_linear(h, in[WHH], in[BHH])) && (gi2 = m1d_narrow(gi, 1, 0, 2 * H)) &&
         (gh2 = m1d_narrow(gh, 1, 0, 2 * H)) && (a = m1d_add(gi2, gh2)) && (rz = m1d_sigmoid(a)) &&
         (rr = m1d_narrow(rz, 1, 0, H)) && (zz = m1d_narrow(rz, 1, H, H)) &&
         (gin_ = m1d_narrow(gi, 1, 2 * H, H)) && (ghn = m1d_narrow(gh, 1, 2 * H, H)) &&
         (rg = m1d_mul(rr, ghn)) && (pre = m1d_add(gin_, rg)) && (n = m1d_tanh(pre)) &&
         (d = m1d_sub(h, n)) && (zd = m1d_mul(zz, d)) && (hn = m1d_add(n, zd));
    m1d_Tensor *tmp[] = {xt, gi, gh, gi2, gh2, a, rz, rr, zz, gin_, ghn, rg, pre, n, d, zd};
    for (size_t k = 0; k < sizeof tmp / sizeof *tmp; k++) m1d_decref(tmp[k]);
    m1d_decref(h);
    h = hn;
    if (ok) { outs[t] = hn; m1d_incref(hn); }
  }
  if (ok) r = m1d_stack((int)T, outs, 1);
  for (int64_t t = 0; t < T; t++) m1d_decref(outs[t]);
  free(outs);
  m1d_decref(h);
  return r;
}

/* ---------------------------------------------------------------- backward */

static int bw_gru_composite (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin) {
  GruSaved *s = node->ud;
  m1d_Tensor *stand[NIN] = {0}, *targets[NIN];
  int edge_of[NIN], nt = 0, rc = -1;
  for (int i = 0, e = 0; i < NIN; i++) {
    if (s->in[i] == NULL) continue;
    if (node->edges[e].needs) {
      if ((stand[i] = m1d_alias(s->in[i])) == NULL) goto done;
      targets[nt] = stand[i];
      edge_of[nt++] = e;
    } else {
      stand[i] = s->in[i];
      m1d_incref(stand[i]);
    }
    e++;
  }
  m1d_Tensor *out = gru_composite(stand, s->reverse, s->T, s->H);
  if (out == NULL) goto done;
  m1d_Tensor *res[NIN] = {0};
  if (m1d_backward(1, &out, &g, nt, targets, res, 1, 1) == 0) {
    for (int k = 0; k < nt; k++) gin[edge_of[k]] = res[k];
    rc = 0;
  }
  m1d_decref(out);
done:
  for (int i = 0; i < NIN; i++) m1d_decref(stand[i]);
  return rc;
}

static m1d_Tensor *from_double (const double *d, m1d_DType dt, int ndim, const int64_t *shape) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t == NULL) return NULL;
  int64_t n = m1d_numel(t);
  if (dt == M1D_F64) memcpy(m1d_data(t), d, (size_t)n * sizeof *d);
  else { float *f = m1d_data(t); for (int64_t i = 0; i < n; i++) f[i] = (float)d[i]; }
  return t;
}

static int bw_gru (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin) {
  if (m1d_grad_enabled()) return bw_gru_composite(node, g, gin);
  GruSaved *s = node->ud;
  int64_t B = s->B, T = s->T, F = s->F, H = s->H, G = 3 * H;
  size_t wbytes;
  double *w = workspace((size_t)(B * T * H + G * F + G * H + B * T * F + B * T * G + B * G + 2 * B * H +
                                 G * H + 2 * G + G * F + B * T * F), &wbytes), *cur = w;
  int rc = -1;
  if (w == NULL) return m1d_failcode("gru: out of memory in backward");
  double *go = carve(&cur, B * T * H), *wih = carve(&cur, G * F), *whh = carve(&cur, G * H),
         *x = carve(&cur, B * T * F), *dgi = carve(&cur, B * T * G), *dgh = carve(&cur, B * G),
         *dh = carve(&cur, B * H), *dhp = carve(&cur, B * H), *dwhh = carve(&cur, G * H),
         *dbhh = carve(&cur, G), *dbih = carve(&cur, G), *dwih = carve(&cur, G * F),
         *dx = carve(&cur, B * T * F);
  if (fill_double(go, g, 0) < 0 || fill_double(wih, s->in[WIH], 0) < 0 || fill_double(whh, s->in[WHH], 0) < 0 ||
      fill_double(x, s->in[X], 0) < 0)
    goto done;
  memset(dh, 0, (size_t)(dbih + G - dh) * sizeof *dh);   /* dh, dhp and the bias and W_hh sums */
  for (int64_t st = T - 1; st >= 0; st--) {         /* processing steps, last first */
    int64_t t = s->reverse ? T - 1 - st : st;
    const double *r = s->r + st * B * H, *z = s->z + st * B * H, *n = s->n + st * B * H,
                 *ghn = s->ghn + st * B * H, *hp = s->hprev + st * B * H;
    for (int64_t b = 0; b < B; b++) {
      for (int64_t j = 0; j < H; j++) {
        int64_t k = b * H + j;
        double dhk = dh[k] + go[(b * T + t) * H + j];
        double dn = dhk * (1 - z[k]), dz = dhk * (hp[k] - n[k]);
        dhp[k] = dhk * z[k];
        double dan = dn * (1 - n[k] * n[k]);
        double dr = dan * ghn[k];
        double dar = dr * r[k] * (1 - r[k]), daz = dz * z[k] * (1 - z[k]);
        double *gi_row = dgi + (b * T + t) * G, *gh_row = dgh + b * G;
        gi_row[j] = dar; gi_row[H + j] = daz; gi_row[2 * H + j] = dan;
        gh_row[j] = dar; gh_row[H + j] = daz; gh_row[2 * H + j] = dan * r[k];
      }
    }
    /* dh_prev += dgh @ W_hh;  dW_hh += dgh^T @ h_prev;  db_hh += sum_b dgh */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)H, (int)G, 1.0, dgh, (int)G,
                whh, (int)H, 1.0, dhp, (int)H);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G, (int)H, (int)B, 1.0, dgh, (int)G,
                hp, (int)H, 1.0, dwhh, (int)H);
    for (int64_t b = 0; b < B; b++) for (int64_t q = 0; q < G; q++) dbhh[q] += dgh[b * G + q];
    memcpy(dh, dhp, (size_t)(B * H) * sizeof *dh);
  }
  /* the input projection for all steps at once */
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G, (int)F, (int)(B * T), 1.0, dgi, (int)G,
              x, (int)F, 0.0, dwih, (int)F);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(B * T), (int)F, (int)G, 1.0, dgi, (int)G,
              wih, (int)F, 0.0, dx, (int)F);
  for (int64_t i = 0; i < B * T; i++) for (int64_t q = 0; q < G; q++) dbih[q] += dgi[i * G + q];
  {
    const double *bufs[NIN] = {dx, dh, dwih, dwhh, dbih, dbhh};
    rc = 0;
    for (int i = 0, e = 0; i < NIN && rc == 0; i++) {
      if (s->in[i] == NULL) continue;
      if (node->edges[e].needs &&
          (gin[e] = from_double(bufs[i], node->edges[e].dtype, node->edges[e].ndim, node->edges[e].shape)) == NULL)
        rc = -1;
      e++;
    }
  }
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- forward */

m1d_Tensor *m1d_gru (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                     m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse) {
  if (x->ndim != 3 || w_ih->ndim != 2 || w_hh->ndim != 2 || w_hh->shape[0] != 3 * w_hh->shape[1] ||
      w_ih->shape[0] != w_hh->shape[0] || w_ih->shape[1] != x->shape[2])
    return m1d_fail("gru: input %s (want [batch, time, features]), weight_ih %s and weight_hh %s "
                    "(want [3H, features] and [3H, H]) do not fit", m1d_shapestr(x).s,
                    m1d_shapestr(w_ih).s, m1d_shapestr(w_hh).s);
  int64_t B = x->shape[0], T = x->shape[1], F = x->shape[2], H = w_hh->shape[1], G = 3 * H;
  int f32 = x->dtype == M1D_F32;
  if (b_ih == NULL || b_hh == NULL || b_ih->ndim != 1 || b_hh->ndim != 1 || b_ih->shape[0] != G ||
      b_hh->shape[0] != G)
    return m1d_fail("gru: biases must be [%lld] (3 x hidden)", (long long)G);
  if (h0 && (h0->ndim != 2 || h0->shape[0] != B || h0->shape[1] != H))
    return m1d_fail("gru: h0 %s must be [%lld, %lld]", m1d_shapestr(h0).s, (long long)B, (long long)H);
  m1d_Tensor *all[NIN] = {x, h0, w_ih, w_hh, b_ih, b_hh};
  for (int i = 0; i < NIN; i++) {
    if (all[i] == NULL) continue;
    if (m1d_check_float("gru", all[i]) < 0) return NULL;
    if (all[i]->dtype != x->dtype)
      return m1d_fail("gru: all inputs must have one dtype (input is %s)", m1d_dtype_name(x->dtype));
  }
  size_t wbytes, sbytes;
  int64_t nout = B * T * H;
  double *w = workspace((size_t)(B * T * F + G * F + G * H + 2 * G + B * H + B * T * G + B * G + nout), &wbytes);
  GruSaved *s = m1d_pool_calloc(sizeof *s);
  double *saved = workspace((size_t)(5 * nout), &sbytes);
  m1d_Tensor *res = NULL;
  if (w == NULL || s == NULL || saved == NULL) {
    m1d_pool_data_free(w, wbytes); m1d_pool_free(s, sizeof *s); m1d_pool_data_free(saved, sbytes);
    return m1d_fail("gru: out of memory");
  }
  double *cur = w;
  double *xd = carve(&cur, B * T * F), *wih = carve(&cur, G * F), *whh = carve(&cur, G * H),
         *bih = carve(&cur, G), *bhh = carve(&cur, G), *h = carve(&cur, B * H),
         *gi = carve(&cur, B * T * G), *gh = carve(&cur, B * G), *out = carve(&cur, nout);
  s->block = sbytes;
  s->r = saved; s->z = saved + nout; s->n = saved + 2 * nout; s->ghn = saved + 3 * nout;
  s->hprev = saved + 4 * nout;
  if (fill_double(xd, x, 0) < 0 || fill_double(wih, w_ih, 0) < 0 || fill_double(whh, w_hh, 0) < 0 ||
      fill_double(bih, b_ih, 0) < 0 || fill_double(bhh, b_hh, 0) < 0 || fill_double(h, h0, B * H) < 0)
    goto done;
  /* gi = x W_ih^T + b_ih for every step at once: [B*T, 3H] */
  for (int64_t i = 0; i < B * T; i++) memcpy(gi + i * G, bih, (size_t)G * sizeof *gi);
  if (B * T > 0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(B * T), (int)G, (int)F, 1.0, xd, (int)F,
                wih, (int)F, 1.0, gi, (int)G);
  for (int64_t st = 0; st < T; st++) {
    int64_t t = reverse ? T - 1 - st : st;
    for (int64_t b = 0; b < B; b++) memcpy(gh + b * G, bhh, (size_t)G * sizeof *gh);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)G, (int)H, 1.0, h, (int)H,
                whh, (int)H, 1.0, gh, (int)G);
    double *r = s->r + st * B * H, *z = s->z + st * B * H, *n = s->n + st * B * H,
           *ghn = s->ghn + st * B * H, *hp = s->hprev + st * B * H;
    memcpy(hp, h, (size_t)(B * H) * sizeof *h);
    for (int64_t b = 0; b < B; b++) {            /* r, z: pre-activations first */
      const double *gir = gi + (b * T + t) * G, *ghr = gh + b * G;
      for (int64_t j = 0; j < H; j++) {
        int64_t k = b * H + j;
        r[k] = gir[j] + ghr[j];
        z[k] = gir[H + j] + ghr[H + j];
        ghn[k] = ghr[2 * H + j];
      }
    }
    sigmoid_inplace(r, B * H, f32);
    sigmoid_inplace(z, B * H, f32);
    for (int64_t b = 0; b < B; b++) {
      const double *gir = gi + (b * T + t) * G;
      for (int64_t j = 0; j < H; j++) n[b * H + j] = gir[2 * H + j] + r[b * H + j] * ghn[b * H + j];
    }
    tanh_inplace(n, B * H, f32);
    for (int64_t b = 0; b < B; b++) {
      for (int64_t j = 0; j < H; j++) {
        int64_t k = b * H + j;
        h[k] = n[k] + z[k] * (hp[k] - n[k]);
        out[(b * T + t) * H + j] = h[k];
      }
    }
  }
  {
    int64_t shape[3] = {B, T, H};
    res = from_double(out, x->dtype, 3, shape);
  }
  if (res && m1d_needs_grad(NIN, all)) {
    m1d_Tensor *ins[NIN];
    int nin = 0;
    for (int i = 0; i < NIN; i++) if (all[i]) ins[nin++] = all[i];
    m1d_Node *node = m1d_record("gru", bw_gru, res, nin, ins);
    if (node == NULL) { m1d_decref(res); res = NULL; goto done; }
    for (int i = 0; i < NIN; i++) { s->in[i] = all[i]; m1d_incref(all[i]); }
    s->reverse = reverse; s->B = B; s->T = T; s->F = F; s->H = H;
    node->ud = s;
    node->ud_free = saved_free;
    s = NULL;                      /* owned by the node now */
  }
done:
  if (s) saved_free(s);
  m1d_pool_data_free(w, wbytes);
  return res;
}
