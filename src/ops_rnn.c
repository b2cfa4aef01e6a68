/*
** ops_rnn.c — one Elman RNN layer direction over a whole sequence, fused.
**
** h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh or relu (PyTorch's nn.RNN).  Built
** like the LSTM's op (ops_lstm.c; the layout is ops_gru.c's, see its header): forward and
** first-order backward in double precision over feature-major [rows][L] blocks, one GEMM
** a step; one node where the composed RNN records five a step.  nn.models.lstm with a
** bidirectional RNN(1, 6) in its place trained at 0.98 ms a step composed of ops (about
** what the fused LSTM takes with four times the work), at 0.42 ms fused.  Under
** create_graph the backward is rebuilt from ops (rnn_composite, ops_rebuild.c): second
** and higher orders.
**
** Kept from the forward (one pool block, RnnSaved): xs [T][F][L] the input, hs [T+1][H][L]
** the states (block 0: h0; blocks 1..T: the output, from which act' is computed).
*/
/* the loops are elementwise: let GCC vectorise them (see simd.h) */
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

enum { X, H0, WIH, WHH, BIH, BHH, NIN };

typedef struct {
  m1d_Tensor *in[NIN];      /* refs held; h0 and the biases may be NULL */
  int reverse, relu;
  int64_t B, T, F, H;
  double *xs, *hs;          /* [T][F][L], [T+1][H][L] */
  double *block;            /* the pool block holding them */
  size_t bytes;             /* its size */
} RnnSaved;

static void saved_free (void *ud) {
  RnnSaved *s = ud;
  for (int i = 0; i < NIN; i++) m1d_decref(s->in[i]);
  m1d_pool_data_free(s->block, s->bytes);
  m1d_pool_free(s, sizeof *s);
}

/* ---------------------------------------------------------------- one step, feature-major */

/* Forward, before the GEMM: (W_ih x + b_ih) + b_hh into q ([H][L]) from x ([F][L]); the
   GEMM then adds W_hh h (beta 1), and step_act applies the nonlinearity in place. */
KERNEL static void step_input (int64_t H, int64_t F, int64_t L, const double *restrict wih,
                               const double *restrict bih, const double *restrict bhh,
                               const double *restrict x, double *restrict q) {
  for (int64_t k = 0; k < H; k++) {
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

/* tanh (float32 tensors: fastmath.h's, as m1d's float32 tanh op; float64: libm) or relu */
KERNEL static void step_act (double *restrict v, int64_t n, int relu, int f32) {
  if (relu) for (int64_t i = 0; i < n; i++) v[i] = v[i] > 0 ? v[i] : 0;
  else if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_tanhf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = tanh(v[i]);
}

/* Backward, elementwise over [H][L]: da = (dh + go) act'(h') from the new state hn (tanh:
   1 - h'^2; relu: 1 where h' > 0), each row added to its eight bias-gradient lanes in db
   ([H][8], lane b % 8). */
KERNEL static void step_backward (int64_t H, int64_t L, int relu, const double *restrict go,
                                  const double *restrict hn, const double *restrict dh, double *restrict da,
                                  double *restrict db) {
  int64_t HL = H * L;
  if (relu) for (int64_t k = 0; k < HL; k++) da[k] = hn[k] > 0 ? dh[k] + go[k] : 0;
  else for (int64_t k = 0; k < HL; k++) da[k] = (dh[k] + go[k]) * (1 - hn[k] * hn[k]);
  add_lanes(da, H, L, db);
}

/* ---------------------------------------------------------------- composite */

/* The RNN made of differentiable ops, [B, T, H] like the fused op: the tests' reference
   and the rebuild of the second and higher orders. */
static m1d_Tensor *rnn_composite (m1d_Tensor **in, int relu, int reverse, int64_t T, int64_t H) {
  int64_t shape[2] = {in[X]->shape[0], H};
  m1d_Tensor *h = in[H0] ? (m1d_incref(in[H0]), in[H0]) : m1d_zeros(in[X]->dtype, 2, shape), *r = NULL;
  m1d_Tensor **outs = calloc((size_t)(T > 0 ? T : 1), sizeof *outs);
  int ok = h != NULL && outs != NULL;
  if (outs == NULL) m1d_fail("rnn: out of memory");
  for (int64_t st = 0; st < T && ok; st++) {
    int64_t t = reverse ? T - 1 - st : st;
    m1d_Tensor *xt = NULL, *gi = NULL, *gh = NULL, *a = NULL, *hn = NULL;
    ok = (xt = m1d_select(in[X], 1, t)) && (gi = m1d_linear(xt, in[WIH], in[BIH])) &&
         (gh = m1d_linear(h, in[WHH], in[BHH])) && (a = m1d_add(gi, gh)) &&
         (hn = relu ? m1d_relu(a) : m1d_tanh(a));
    m1d_decref(xt); m1d_decref(gi); m1d_decref(gh); m1d_decref(a); m1d_decref(h);
    h = hn;
    if (ok) { outs[t] = hn; m1d_incref(hn); }
  }
  if (ok && T > 0) r = m1d_stack((int)T, outs, 1);
  else if (ok) {
    int64_t empty[3] = {in[X]->shape[0], 0, H};
    r = m1d_zeros(in[X]->dtype, 3, empty);
  }
  if (outs) for (int64_t t = 0; t < T; t++) m1d_decref(outs[t]);
  free(outs);
  m1d_decref(h);
  return r;
}

/* ---------------------------------------------------------------- forward, saved */

static int run_forward (RnnSaved *s, int f32) {
  m1d_Tensor *const *in = s->in;
  int64_t T = s->T, F = s->F, H = s->H, L = lanes_of(s->B), HL = H * L;
  size_t wbytes, sbytes;
  double *cur, *scur;
  double *w = workspace((size_t)(H * F + H * H + 2 * H), &wbytes, &cur);
  double *saved = workspace((size_t)(T * F * L + (T + 1) * HL), &sbytes, &scur);
  int rc = -1;
  if (w == NULL || saved == NULL) {
    m1d_pool_data_free(w, wbytes); m1d_pool_data_free(saved, sbytes);
    return m1d_failcode("rnn: out of memory");
  }
  double *wih = carve(&cur, H * F), *whh = carve(&cur, H * H), *bih = carve(&cur, H), *bhh = carve(&cur, H);
  s->block = saved; s->bytes = sbytes;
  s->xs = carve(&scur, T * F * L); s->hs = carve(&scur, (T + 1) * HL);
  if (fill_double(wih, in[WIH], H * F) < 0 || fill_double(whh, in[WHH], H * H) < 0 ||
      fill_double(bih, in[BIH], H) < 0 || fill_double(bhh, in[BHH], H) < 0 ||
      load_fm(s->xs, L, in[X], s->B, T, F, s->reverse) < 0)
    goto done;
  if (in[H0] == NULL) memset(s->hs, 0, (size_t)HL * sizeof *s->hs);
  else if (load_fm(s->hs, L, in[H0], s->B, 1, H, 0) < 0) goto done;
  for (int64_t st = 0; st < T; st++) {
    double *hp = s->hs + st * HL, *q = hp + HL;      /* the pre-activation forms in the next state's block */
    step_input(H, F, L, wih, bih, bhh, s->xs + st * F * L, q);
    m1d_gemm(M1D_F64, CblasNoTrans, CblasNoTrans, H, L, H, whh, H, hp, L, 1.0, q, L);
    step_act(q, HL, s->relu, f32);
  }
  rc = 0;
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- first-order backward */

/* Backpropagation through time for the upstream gradient g ([B][T][H]) into the gradients
   the node's edges need (gin, one per present input). */
static int bptt (const RnnSaved *s, const m1d_Tensor *g, const int *need, m1d_Node *node, m1d_Tensor **gin) {
  int64_t B = s->B, T = s->T, F = s->F, H = s->H, L = lanes_of(B), HL = H * L;
  size_t wbytes;
  double *cur, *w = workspace((size_t)(T * HL + HL + T * F * L + 2 * HL + 8 * H + H * H + H * F + H * F + H * H +
                                       H), &wbytes, &cur);
  int rc = -1;
  if (w == NULL) return m1d_failcode("rnn: out of memory in backward");
  double *go = carve(&cur, T * HL), *da = carve(&cur, HL), *dx = carve(&cur, T * F * L),
         *dh = carve(&cur, HL), *dh2 = carve(&cur, HL),
         /* the accumulators, zeroed together: */
         *db = carve(&cur, 8 * H), *dwhh = carve(&cur, H * H), *dwih = carve(&cur, H * F),
         *wih = carve(&cur, H * F), *whh = carve(&cur, H * H), *dbias = carve(&cur, H);
  if (fill_double(wih, s->in[WIH], H * F) < 0 || fill_double(whh, s->in[WHH], H * H) < 0 ||
      load_fm(go, L, g, B, T, H, s->reverse) < 0)
    goto done;
  memset(db, 0, (size_t)(wih - db) * sizeof *db);
  memset(dh, 0, (size_t)HL * sizeof *dh);
  for (int64_t st = T - 1; st >= 0; st--) {
    const double *hp = s->hs + st * HL, *xst = s->xs + st * F * L;
    step_backward(H, L, s->relu, go + st * HL, hp + HL, dh, da, db);
    /* dL/dh_prev = W_hh^T da;  dW_hh += da h_prev^T;  dW_ih += da x^T;  dx = W_ih^T da */
    m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, H, whh, H, da, L, 0.0, dh2, L);
    if (need[WHH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, H, H, L, da, L, hp, L, 1.0, dwhh, H);
    if (need[WIH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, H, F, L, da, L, xst, L, 1.0, dwih, F);
    if (need[X]) m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, F, L, H, wih, F, da, L, 0.0, dx + st * F * L, L);
    double *tmp = dh; dh = dh2; dh2 = tmp;
  }
  for (int64_t k = 0; k < H; k++) {                 /* both biases get the pre-activation's gradient */
    double sum = 0;
    for (int l = 0; l < 8; l++) sum += db[8 * k + l];
    dbias[k] = sum;
  }
  const double *bufs[NIN] = {dx, dh, dwih, dwhh, dbias, dbias};
  rc = seq_hand_out(node, s->in, NIN, bufs, 1u << X | 1u << H0, L, s->reverse, gin);
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

static m1d_Tensor *rebuild_rnn (m1d_Tensor **in, const m1d_Node *node) {
  const RnnSaved *s = node->ud;
  return rnn_composite(in, s->relu, s->reverse, s->T, s->H);
}

static int bw_rnn (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  RnnSaved *s = node->ud;
  if (create_graph) return m1d_backward_by_rebuilding(node, s->in, NIN, rebuild_rnn, g, gin);
  int need[NIN] = {0};
  for (int i = 0, e = 0; i < NIN; i++) if (s->in[i]) need[i] = node->edges[e++].needs;
  return bptt(s, g, need, node, gin);
}

/* ---------------------------------------------------------------- the public ops */

static const char *check_inputs (const char *op, m1d_Tensor *const *all) {
  m1d_Tensor *x = all[X], *w_ih = all[WIH], *w_hh = all[WHH];
  if (x->ndim != 3 || w_ih->ndim != 2 || w_hh->ndim != 2 || w_hh->shape[0] != w_hh->shape[1] ||
      w_ih->shape[0] != w_hh->shape[0] || w_ih->shape[1] != x->shape[2])
    return m1d_fail("%s: input %s (want [batch, time, features]), weight_ih %s and weight_hh %s "
                    "(want [H, features] and [H, H]) do not fit", op, m1d_shapestr(x).s,
                    m1d_shapestr(w_ih).s, m1d_shapestr(w_hh).s);
  int64_t B = x->shape[0], H = w_hh->shape[1];
  for (int i = BIH; i <= BHH; i++)
    if (all[i] && (all[i]->ndim != 1 || all[i]->shape[0] != H))
      return m1d_fail("%s: %s %s must be [%lld] (hidden) or nil", op, i == BIH ? "bias_ih" : "bias_hh",
                      m1d_shapestr(all[i]).s, (long long)H);
  if (all[H0] && (all[H0]->ndim != 2 || all[H0]->shape[0] != B || all[H0]->shape[1] != H))
    return m1d_fail("%s: h0 %s must be [%lld, %lld]", op, m1d_shapestr(all[H0]).s, (long long)B, (long long)H);
  for (int i = 0; i < NIN; i++) {
    if (all[i] == NULL) continue;
    if (m1d_check_float(op, all[i]) < 0) return NULL;
    if (all[i]->dtype != x->dtype)
      return m1d_fail("%s: all inputs must have one dtype (input is %s)", op, m1d_dtype_name(x->dtype));
  }
  return op;
}

m1d_Tensor *m1d_rnn (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh, m1d_Tensor *b_ih,
                     m1d_Tensor *b_hh, int relu, int reverse) {
  m1d_Tensor *all[NIN] = {x, h0, w_ih, w_hh, b_ih, b_hh};
  if (check_inputs("rnn", all) == NULL) return NULL;
  RnnSaved *s = m1d_pool_calloc(sizeof *s);
  if (s == NULL) return m1d_fail("rnn: out of memory");
  s->reverse = reverse; s->relu = relu;
  s->B = x->shape[0]; s->T = x->shape[1]; s->F = x->shape[2]; s->H = w_hh->shape[1];
  for (int i = 0; i < NIN; i++) { s->in[i] = all[i]; if (all[i]) m1d_incref(all[i]); }
  if (run_forward(s, x->dtype == M1D_F32) < 0) { saved_free(s); return NULL; }
  int64_t shape[3] = {s->B, s->T, s->H}, L = lanes_of(s->B);
  m1d_Tensor *res = store_fm(s->hs + s->H * L, L, x->dtype, 3, shape, reverse);
  return seq_record("rnn", bw_rnn, res, NIN, all, s, saved_free);
}

m1d_Tensor *m1d_rnn_composed (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                              m1d_Tensor *b_ih, m1d_Tensor *b_hh, int relu, int reverse) {
  m1d_Tensor *all[NIN] = {x, h0, w_ih, w_hh, b_ih, b_hh};
  if (check_inputs("rnn_composed", all) == NULL) return NULL;
  return rnn_composite(all, relu, reverse, x->shape[1], w_hh->shape[1]);
}
