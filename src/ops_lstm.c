/*
** ops_lstm.c — one LSTM layer direction over a whole sequence, fused.
**
** Built like the GRU's op (ops_gru.c, whose header explains the layout): the forward
** and the first-order backward (backpropagation through time) are loops in double
** precision over feature-major [rows][L] blocks, the batch along the row; each step is
** one GEMM for all four gates (W_hh h) plus elementwise loops.  The op records one
** node where the composed LSTM records 18 a step.  Under create_graph its backward
** is rebuilt from ops (lstm_composite differentiated by autograd, ops_rebuild.c):
** second and higher orders, equal in value to the fused path up to rounding.
**
** PyTorch's conventions: gates i, f, g, o stacked in that order in W_ih [4H, F],
** W_hh [4H, H], b_ih, b_hh [4H];
**   i, f, o = sigmoid(.),  g = tanh(.)  of  W_ih x + b_ih + W_hh h + b_hh,
**   c' = f c + i g,  h' = o tanh(c').
** One output, [B, T, 2H]: h then c at every step (m1d ops have one output; the cell
** state must reach the caller for c_n, and its gradient come back).  nn.LSTM narrows it.
**
** Kept from the forward for the backward (one pool block, LstmSaved):
**   xs    [T][F][L]      the input
**   hc    [T+1][2H][L]   block st: the state (h rows, then c rows) step st starts from
**                        (block 0: h0, c0); blocks 1..T: the output
**   gates [T][5H][L]     i, f, g, o and tanh(c') of each step
** Backward, per step: dga [4H][L], the gradients of the gates' pre-activations in
** W_hh's row order (so one GEMM each for dh, dW_hh, dW_ih and dx), dh and dc [H][L].
*/
/* the gate loops are elementwise: let GCC vectorise them (see simd.h) */
#include "simd.h"
#include "gemm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ops_impl.h"
#include "fastmath.h"
#include "pool.h"
#include "seq_fm.h"


enum { X, H0, C0, WIH, WHH, BIH, BHH, NIN };

typedef struct {
  m1d_Tensor *in[NIN];      /* refs held; h0, c0 and the biases may be NULL */
  int reverse;
  int64_t B, T, F, H;
  double *xs, *hc, *gates;  /* [T][F][L], [T+1][2H][L], [T][5H][L] (see the header) */
  double *block;            /* the pool block holding them */
  size_t bytes;             /* its size */
} LstmSaved;

static void saved_free (void *ud) {
  LstmSaved *s = ud;
  for (int i = 0; i < NIN; i++) m1d_decref(s->in[i]);
  m1d_pool_data_free(s->block, s->bytes);
  m1d_pool_free(s, sizeof *s);
}

/* The nonlinearities, in place: float32 tensors in float32 on fastmath.h (what m1d's
   float32 sigmoid and tanh ops compute), float64 in libm (for the gradient checks). */
static M1D_ALWAYS_INLINE void sigmoid_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_sigmoidf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = 1.0 / (1.0 + exp(-v[i]));
}

static M1D_ALWAYS_INLINE void tanh_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_tanhf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = tanh(v[i]);
}

/* ---------------------------------------------------------------- one step, feature-major */

/* Forward, the input's part of a step's pre-activations: (W_ih x + b_ih) + b_hh into q
   ([4H][L]), from the input x ([F][L]); the step's GEMM then adds W_hh h (beta 1: with
   beta 0 OpenBLAS first clears the block, 12 % of an LSTM step's instructions).  A loop,
   not a GEMM: for the paper's one feature a cblas_dgemm call per step cost more. */
KERNEL static void step_input (int64_t H, int64_t F, int64_t L, const double *restrict wih,
                               const double *restrict bih, const double *restrict bhh,
                               const double *restrict x, double *restrict q) {
  for (int64_t k = 0; k < 4 * H; k++) {
    const double *w = wih + k * F;
    double *o = q + k * L, bi = bih[k], bh = bhh[k];
    for (int64_t b = 0; b < L; b++) o[b] = 0;
    for (int64_t f = 0; f < F; f++) {
      const double *xf = x + f * L;
      double wf = w[f];
      for (int64_t b = 0; b < L; b++) o[b] += wf * xf[b];
    }
    for (int64_t b = 0; b < L; b++) o[b] = (o[b] + bi) + bh;
  }
}

/* Forward, the rest of a step.  In: q ([4H][L]) holding the pre-activations, the cell
   state cp ([H][L]).  Out: q's first 4H rows become i, f, g, o, its fifth block
   tanh(c'); the new state (h' rows, then c' rows) in hn ([2H][L]). */
KERNEL static void step_forward (int64_t H, int64_t L, int f32, const double *restrict cp, double *restrict q,
                                 double *restrict hn) {
  int64_t HL = H * L;
  sigmoid_inplace(q, 2 * HL, f32);                  /* i and f */
  tanh_inplace(q + 2 * HL, HL, f32);                /* g */
  sigmoid_inplace(q + 3 * HL, HL, f32);             /* o */
  const double *ig = q, *fg = q + HL, *gg = q + 2 * HL;
  double *cn = hn + HL, *tc = q + 4 * HL;
  for (int64_t i = 0; i < HL; i++) {
    cn[i] = fg[i] * cp[i] + ig[i] * gg[i];
    tc[i] = cn[i];
  }
  tanh_inplace(tc, HL, f32);
  const double *og = q + 3 * HL;
  for (int64_t i = 0; i < HL; i++) hn[i] = og[i] * tc[i];
}

/* Backward step, elementwise over [H][L] blocks.  In: go ([2H][L]: dL/dh' and dL/dc' from
   this step's output), dh and dc (their shares from the later steps: W_hh^T dga and f dc),
   the gate block q and the previous cell state cp.  Out: the gradients of the
   pre-activations in dga ([4H][L], gates i, f, g, o), dc for the previous step in dcp,
   each row of dga added to its eight bias-gradient lanes in db ([4H][8], lane b % 8). */
KERNEL static void step_backward (int64_t H, int64_t L, const double *restrict go, const double *restrict q,
                                  const double *restrict cp, const double *restrict dh,
                                  const double *restrict dc, double *restrict dga, double *restrict dcp,
                                  double *restrict db) {
  int64_t HL = H * L;
  const double *ig = q, *fg = q + HL, *gg = q + 2 * HL, *og = q + 3 * HL, *tc = q + 4 * HL;
  double *di = dga, *df = dga + HL, *dg = dga + 2 * HL, *dout = dga + 3 * HL;
  for (int64_t k = 0; k < HL; k++) {
    double dhk = dh[k] + go[k], ii = ig[k], ff = fg[k], g = gg[k], o = og[k], t = tc[k];
    double dck = dc[k] + go[HL + k] + dhk * o * (1 - t * t);
    dout[k] = dhk * t * o * (1 - o);
    di[k] = dck * g * ii * (1 - ii);
    df[k] = dck * cp[k] * ff * (1 - ff);
    dg[k] = dck * ii * (1 - g * g);
    dcp[k] = dck * ff;
  }
  add_lanes(dga, 4 * H, L, db);
}

/* ---------------------------------------------------------------- composite */

/* The LSTM made of differentiable ops, [B, T, 2H] like the fused op: the reference the
   tests compare with and the rebuild of the second and higher orders. */
static m1d_Tensor *lstm_composite (m1d_Tensor **in, int reverse, int64_t T, int64_t H) {
  m1d_Tensor *h = NULL, *c = NULL, **outs = calloc((size_t)(T > 0 ? T : 1), sizeof *outs), *r = NULL;
  int64_t shape[2] = {in[X]->shape[0], H};
  if (outs == NULL) return m1d_fail("lstm: out of memory");
  h = in[H0] ? (m1d_incref(in[H0]), in[H0]) : m1d_zeros(in[X]->dtype, 2, shape);
  c = in[C0] ? (m1d_incref(in[C0]), in[C0]) : m1d_zeros(in[X]->dtype, 2, shape);
  int ok = h != NULL && c != NULL;
  for (int64_t st = 0; st < T && ok; st++) {
    int64_t t = reverse ? T - 1 - st : st;
    m1d_Tensor *xt = NULL, *gi = NULL, *gh = NULL, *a = NULL, *ai = NULL, *af = NULL, *ag = NULL, *ao = NULL,
               *ii = NULL, *ff = NULL, *gg = NULL, *oo = NULL, *fc = NULL, *ig = NULL, *cn = NULL, *tc = NULL,
               *hn = NULL, *pair[2];
    ok = (xt = m1d_select(in[X], 1, t)) && (gi = m1d_linear(xt, in[WIH], in[BIH])) &&
         (gh = m1d_linear(h, in[WHH], in[BHH])) && (a = m1d_add(gi, gh)) &&
         (ai = m1d_narrow(a, 1, 0, H)) && (af = m1d_narrow(a, 1, H, H)) && (ag = m1d_narrow(a, 1, 2 * H, H)) &&
         (ao = m1d_narrow(a, 1, 3 * H, H)) && (ii = m1d_sigmoid(ai)) && (ff = m1d_sigmoid(af)) &&
         (gg = m1d_tanh(ag)) && (oo = m1d_sigmoid(ao)) && (fc = m1d_mul(ff, c)) && (ig = m1d_mul(ii, gg)) &&
         (cn = m1d_add(fc, ig)) && (tc = m1d_tanh(cn)) && (hn = m1d_mul(oo, tc));
    if (ok) {
      pair[0] = hn; pair[1] = cn;
      ok = (outs[t] = m1d_cat(2, pair, 1)) != NULL;
    }
    m1d_Tensor *tmp[] = {xt, gi, gh, a, ai, af, ag, ao, ii, ff, gg, oo, fc, ig, tc};
    for (size_t k = 0; k < sizeof tmp / sizeof *tmp; k++) m1d_decref(tmp[k]);
    m1d_decref(h); m1d_decref(c);
    h = hn; c = cn;
  }
  if (ok && T > 0) r = m1d_stack((int)T, outs, 1);
  else if (ok) {
    int64_t empty[3] = {in[X]->shape[0], 0, 2 * H};
    r = m1d_zeros(in[X]->dtype, 3, empty);
  }
  for (int64_t t = 0; t < T; t++) m1d_decref(outs[t]);
  free(outs);
  m1d_decref(h); m1d_decref(c);
  return r;
}

/* ---------------------------------------------------------------- forward, saved */

/* Runs the forward of s's direction over its inputs (s->B.. s->H and s->reverse set):
   allocates and fills s->xs, s->hc and s->gates.  0, or -1 with a message. */
static int run_forward (LstmSaved *s, int f32) {
  m1d_Tensor *const *in = s->in;
  int64_t T = s->T, F = s->F, H = s->H, G = 4 * H, L = lanes_of(s->B), HL = H * L;
  size_t wbytes, sbytes;
  double *cur, *scur;
  double *w = workspace((size_t)(G * F + G * H + 2 * G), &wbytes, &cur);
  double *saved = workspace((size_t)(T * F * L + (T + 1) * 2 * HL + T * 5 * HL), &sbytes, &scur);
  int rc = -1;
  if (w == NULL || saved == NULL) {
    m1d_pool_data_free(w, wbytes); m1d_pool_data_free(saved, sbytes);
    return m1d_failcode("lstm: out of memory");
  }
  double *wih = carve(&cur, G * F), *whh = carve(&cur, G * H), *bih = carve(&cur, G),
         *bhh = carve(&cur, G);
  s->block = saved; s->bytes = sbytes;
  s->xs = carve(&scur, T * F * L); s->hc = carve(&scur, (T + 1) * 2 * HL); s->gates = carve(&scur, T * 5 * HL);
  if (fill_double(wih, in[WIH], G * F) < 0 || fill_double(whh, in[WHH], G * H) < 0 ||
      fill_double(bih, in[BIH], G) < 0 || fill_double(bhh, in[BHH], G) < 0 ||
      load_fm(s->xs, L, in[X], s->B, T, F, s->reverse) < 0)
    goto done;
  for (int k = 0; k < 2; k++) {                    /* h0 and c0, or zeros */
    m1d_Tensor *t0 = in[k == 0 ? H0 : C0];
    double *d = s->hc + k * HL;
    if (t0 == NULL) memset(d, 0, (size_t)HL * sizeof *d);
    else if (load_fm(d, L, t0, s->B, 1, H, 0) < 0) goto done;
  }
  for (int64_t st = 0; st < T; st++) {
    double *q = s->gates + st * 5 * HL, *hp = s->hc + st * 2 * HL;
    step_input(H, F, L, wih, bih, bhh, s->xs + st * F * L, q);
    m1d_gemm(M1D_F64, CblasNoTrans, CblasNoTrans, G, L, H, whh, H, hp, L, 1.0, q, L);     /* all four gates */
    step_forward(H, L, f32, hp + HL, q, hp + 2 * HL);
  }
  rc = 0;
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- first-order backward */

/* Backpropagation through time for the upstream gradient g ([B][T][2H]) into the
   gradients the node's edges need (gin, one per present input).  The weight gradients
   accumulate step by step (small GEMMs), so that dga stays a step's scratch. */
static int bptt (const LstmSaved *s, const m1d_Tensor *g, const int *need, m1d_Node *node, m1d_Tensor **gin) {
  int64_t B = s->B, T = s->T, F = s->F, H = s->H, G = 4 * H, L = lanes_of(B), HL = H * L;
  size_t wbytes;
  double *cur, *w = workspace((size_t)(T * 2 * HL + G * L + T * F * L + 4 * HL + 32 * H + G * H + G * F + G * F +
                                       G * H + 2 * G), &wbytes, &cur);
  int rc = -1;
  if (w == NULL) return m1d_failcode("lstm: out of memory in backward");
  double *go = carve(&cur, T * 2 * HL), *dga = carve(&cur, G * L), *dx = carve(&cur, T * F * L),
         *dh = carve(&cur, HL), *dc = carve(&cur, HL), *dh2 = carve(&cur, HL), *dc2 = carve(&cur, HL),
         /* the accumulators, zeroed together: */
         *db = carve(&cur, 32 * H), *dwhh = carve(&cur, G * H), *dwih = carve(&cur, G * F),
         *wih = carve(&cur, G * F), *whh = carve(&cur, G * H), *dbias = carve(&cur, G);
  if (fill_double(wih, s->in[WIH], G * F) < 0 || fill_double(whh, s->in[WHH], G * H) < 0 ||
      load_fm(go, L, g, B, T, 2 * H, s->reverse) < 0)
    goto done;
  memset(db, 0, (size_t)(wih - db) * sizeof *db);
  memset(dh, 0, (size_t)HL * sizeof *dh);
  memset(dc, 0, (size_t)HL * sizeof *dc);
  for (int64_t st = T - 1; st >= 0; st--) {         /* processing steps, last first */
    const double *q = s->gates + st * 5 * HL, *hp = s->hc + st * 2 * HL, *xst = s->xs + st * F * L;
    step_backward(H, L, go + st * 2 * HL, q, hp + HL, dh, dc, dga, dc2, db);
    /* dL/dh_prev = W_hh^T dga;  dW_hh += dga h_prev^T;  dW_ih += dga x^T;  dx = W_ih^T dga */
    m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, G, whh, H, dga, L, 0.0, dh2, L);
    if (need[WHH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, H, L, dga, L, hp, L, 1.0, dwhh, H);
    if (need[WIH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, F, L, dga, L, xst, L, 1.0, dwih, F);
    if (need[X]) m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, F, L, G, wih, F, dga, L, 0.0, dx + st * F * L, L);
    double *tmp = dh; dh = dh2; dh2 = tmp;
    tmp = dc; dc = dc2; dc2 = tmp;
  }
  /* dh, dc are dL/dh0, dL/dc0 now; both biases get the pre-activations' gradient */
  for (int64_t k = 0; k < G; k++) {
    double sum = 0;
    for (int l = 0; l < 8; l++) sum += db[8 * k + l];
    dbias[k] = sum;
  }
  const double *bufs[NIN] = {dx, dh, dc, dwih, dwhh, dbias, dbias};
  rc = seq_hand_out(node, s->in, NIN, bufs, 1u << X | 1u << H0 | 1u << C0, L, s->reverse, gin);
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* The rebuild for second and higher orders: the composite on the stand-ins. */
static m1d_Tensor *rebuild_lstm (m1d_Tensor **in, const m1d_Node *node) {
  const LstmSaved *s = node->ud;
  return lstm_composite(in, s->reverse, s->T, s->H);
}

static int bw_lstm (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  LstmSaved *s = node->ud;
  if (create_graph) return m1d_backward_by_rebuilding(node, s->in, NIN, rebuild_lstm, g, gin);
  int need[NIN] = {0};
  for (int i = 0, e = 0; i < NIN; i++) if (s->in[i]) need[i] = node->edges[e++].needs;
  return bptt(s, g, need, node, gin);
}

/* ---------------------------------------------------------------- the public ops */

static const char *check_inputs (const char *op, m1d_Tensor *const *all) {
  m1d_Tensor *x = all[X], *w_ih = all[WIH], *w_hh = all[WHH];
  if (x->ndim != 3 || w_ih->ndim != 2 || w_hh->ndim != 2 || w_hh->shape[0] != 4 * w_hh->shape[1] ||
      w_ih->shape[0] != w_hh->shape[0] || w_ih->shape[1] != x->shape[2])
    return m1d_fail("%s: input %s (want [batch, time, features]), weight_ih %s and weight_hh %s "
                    "(want [4H, features] and [4H, H]) do not fit", op, m1d_shapestr(x).s,
                    m1d_shapestr(w_ih).s, m1d_shapestr(w_hh).s);
  int64_t B = x->shape[0], H = w_hh->shape[1], G = 4 * H;
  for (int i = BIH; i <= BHH; i++)
    if (all[i] && (all[i]->ndim != 1 || all[i]->shape[0] != G))
      return m1d_fail("%s: %s %s must be [%lld] (4 x hidden) or nil", op, i == BIH ? "bias_ih" : "bias_hh",
                      m1d_shapestr(all[i]).s, (long long)G);
  for (int i = H0; i <= C0; i++)
    if (all[i] && (all[i]->ndim != 2 || all[i]->shape[0] != B || all[i]->shape[1] != H))
      return m1d_fail("%s: %s %s must be [%lld, %lld]", op, i == H0 ? "h0" : "c0", m1d_shapestr(all[i]).s,
                      (long long)B, (long long)H);
  for (int i = 0; i < NIN; i++) {
    if (all[i] == NULL) continue;
    if (m1d_check_float(op, all[i]) < 0) return NULL;
    if (all[i]->dtype != x->dtype)
      return m1d_fail("%s: all inputs must have one dtype (input is %s)", op, m1d_dtype_name(x->dtype));
  }
  return op;
}

m1d_Tensor *m1d_lstm (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *c0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                      m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse) {
  m1d_Tensor *all[NIN] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
  if (check_inputs("lstm", all) == NULL) return NULL;
  LstmSaved *s = m1d_pool_calloc(sizeof *s);
  if (s == NULL) return m1d_fail("lstm: out of memory");
  s->reverse = reverse;
  s->B = x->shape[0]; s->T = x->shape[1]; s->F = x->shape[2]; s->H = w_hh->shape[1];
  for (int i = 0; i < NIN; i++) { s->in[i] = all[i]; if (all[i]) m1d_incref(all[i]); }
  if (run_forward(s, x->dtype == M1D_F32) < 0) { saved_free(s); return NULL; }
  int64_t shape[3] = {s->B, s->T, 2 * s->H}, L = lanes_of(s->B);
  m1d_Tensor *res = store_fm(s->hc + 2 * s->H * L, L, x->dtype, 3, shape, reverse);
  return seq_record("lstm", bw_lstm, res, NIN, all, s, saved_free);
}

m1d_Tensor *m1d_lstm_composed (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *c0, m1d_Tensor *w_ih,
                               m1d_Tensor *w_hh, m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse) {
  m1d_Tensor *all[NIN] = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
  if (check_inputs("lstm_composed", all) == NULL) return NULL;
  return lstm_composite(all, reverse, x->shape[1], w_hh->shape[1]);
}
