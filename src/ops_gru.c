/*
** ops_gru.c — one GRU layer direction over a whole sequence, fused.
**
** Composed of ops, a bidirectional GRU over 40 steps records ~3,000 graph
** nodes per batch; this op records one.  Forward and first-order backward
** (backpropagation through time) are plain loops in double precision with
** GEMMs for the projections.  When the backward itself must be
** differentiable (create_graph), it is one op too, gru_backward, whose own
** backward (the second order) is fused loops as well (see its section);
** beyond that, gru_backward's backward rebuilds the computation from ops
** (gru_composite differentiated by autograd, ops_rebuild.c): gradients of
** every order, identical in value to the fast paths up to rounding.  In the
** meta-learning loop through the paper's GRU (bench.lua --only meta_gru) this took
** an inner step from 12.3 to 2.7 ms (CPU 12.5 to 2.6 ms) and the peak RSS from
** 291 to 86 MB, against the whole backward rebuilt from ops per timestep
** (medians of five interleaved runs on a busy 2-core machine).
**
** PyTorch's conventions: gates r, z, n stacked in that order;
** n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h.
**
** Layout.  The paper's GRU has H = 6 hidden units and B = 100 sequences: loops over
** the hidden units are too short to vectorise, loops over the batch are not.  So the
** fast path is feature-major ("transposed"): at each processing step a [rows][L] block
** of doubles, one row per feature, the batch along the row, and every elementwise loop
** runs over contiguous batch values.  L is B rounded up to a multiple of 8 and the
** blocks are 64-byte aligned, so that every row is whole aligned vectors, with no
** scalar tail (in a row of 100, the 4-value tail cost about as much as the 96
** vectorised values with AVX-512).  The pad lanes start at zero (input, h0, output
** gradient), stay finite in the forward (for finite weights) and exactly zero in the
** backward, so they add nothing to the sums over the batch (weight and bias
** gradients); they are never read out.  The arrays are step-major, [T][rows][L]: a
** step's data is one contiguous block, which the hardware prefetcher follows and the
** nonlinearities run over whole.  Processing step st is time t = st, or t = T-1-st in
** the reverse direction; the [B][T][.] tensors (x, the output, its gradient, dx, and h0
** and dh0 as [B][H]) are transposed once at the boundary (load_fm, store_fm).
** Kept from the forward for the backward (one pool block, GruSaved):
**   xs    [T][F][L]      the input
**   hs    [T+1][H][L]    block st: the state step st starts from (block 0: h0);
**                        blocks 1..T: the output
**   gates [T][4H][L]     r, z, n and ghn = W_hn h + b_hn of each step
** and per step, gh [3H][L] = W_hh h (a GEMM); W_ih x is formed in the step's gate block.
** Backward, per step: dga [4H][L], the gradients of the pre-activations (see bw_gru),
** dh [H][L] = dL/dh; the weight gradients accumulate step by step (small GEMMs), the
** bias gradients in eight lanes per row ([4H][8], summed at the end).
** The saved blocks are ~1 MB a direction in the paper's model, more than L2 holds for
** both: their traffic is ~10 % of a training step (measured by pointing every step at
** one block).  Storing r, z, n as float (exact in the float32 path) and software
** prefetching were tried; neither was measurably faster.
*/
/* the gate loops are elementwise: let GCC vectorise them (see simd.h) */
#include "simd.h"
#include "gemm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ops_impl.h"
#include "ops_rule.h"
#include "fastmath.h"
#include "pool.h"
#include "seq_fm.h"

/* The step loops also get AVX2 and AVX-512 builds, picked at load time (as in
   ops_pointwise_mlp.c).  No clone may change a result: the loops are elementwise (no
   reassociated sums; the bias-gradient lanes are the same eight in every clone) and the
   build does not contract to FMA (-ffp-contract=off); the three clones were checked to
   give the same bits.  The AVX-512 clone made the GRU's forward and backward ~20 %
   faster than the AVX2 one (Xeon, paper's model). */

enum { X, H0, WIH, WHH, BIH, BHH, NIN };

typedef struct {
  int refs;                 /* the GRU's node, and every gru_backward node made from it */
  m1d_Tensor *in[NIN];      /* refs held; h0 may be NULL */
  int reverse;
  int64_t B, T, F, H;
  double *xs, *hs, *gates;  /* [T][F][L], [T+1][H][L], [T][4H][L] (see the header) */
  double *block;            /* the pool block holding them */
  size_t bytes;             /* its size */
} GruSaved;

static void saved_free (void *ud) {
  GruSaved *s = ud;
  if (--s->refs > 0) return;
  for (int i = 0; i < NIN; i++) m1d_decref(s->in[i]);
  m1d_pool_data_free(s->block, s->bytes);
  m1d_pool_free(s, sizeof *s);
}


/* The gate nonlinearities, in place over a contiguous block of pre-activations.  They are
   most of a forward pass: glibc's tanh and exp cost 15-25 ns an element, called 144,000
   times per step of the paper's GRU.  For float32 tensors they run in float32 on
   fastmath.h (what m1d's float32 sigmoid and tanh ops compute, 1.4-2.3 ulp, vectorised);
   for float64, libm in double, for the gradient checks.  Inlined into the step (a
   KERNEL), so they vectorise for its target. */
static M1D_ALWAYS_INLINE void sigmoid_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_sigmoidf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = 1.0 / (1.0 + exp(-v[i]));
}

static M1D_ALWAYS_INLINE void tanh_inplace (double *v, int64_t n, int f32) {
  if (f32) for (int64_t i = 0; i < n; i++) v[i] = (double)fast_tanhf((float)v[i]);
  else for (int64_t i = 0; i < n; i++) v[i] = tanh(v[i]);
}

/* ---------------------------------------------------------------- one step, feature-major */

/* Forward step, the gates.  In: the input x ([F][L]), the state hp ([H][L]) and W_hh h
   in gh ([3H][L]).  Out: r, z, n and ghn = W_hn h + b_hn in the step's gate block q
   ([4H][L]), the new state in hn ([H][L]).  W_ih x is a loop into q, not a GEMM: for the
   paper's single input feature it is 3H multiplies per batch row, and a cblas_dgemm call
   per step cost more than the loop.  The pre-activations are formed in place, as
   (W_ih x + b_ih) + (W_hh h + b_hh) like the composite, so that the nonlinearities run
   over contiguous blocks (r and z: 2HL values, n: HL). */
KERNEL static void step_forward (int64_t H, int64_t F, int64_t L, int f32, const double *restrict wih,
                                 const double *restrict bih, const double *restrict bhh,
                                 const double *restrict x, const double *restrict gh,
                                 const double *restrict hp, double *restrict q, double *restrict hn) {
  double *pr = q, *pz = q + H * L, *pn = q + 2 * H * L, *pg = q + 3 * H * L;
  for (int64_t g = 0; g < 3 * H; g++) {            /* W_ih x */
    const double *w = wih + g * F;
    double *o = q + g * L;
    if (F == 0) { for (int64_t b = 0; b < L; b++) o[b] = 0; continue; }
    for (int64_t b = 0; b < L; b++) o[b] = w[0] * x[b];
    for (int64_t f = 1; f < F; f++) {
      const double *xf = x + f * L;
      double wf = w[f];
      for (int64_t b = 0; b < L; b++) o[b] += wf * xf[b];
    }
  }
  for (int64_t j = 0; j < H; j++) {
    double *a = pr + j * L, *c = pz + j * L;
    const double *hr = gh + j * L, *hz = gh + (H + j) * L;
    double bir = bih[j], biz = bih[H + j], bhr = bhh[j], bhz = bhh[H + j];
    for (int64_t b = 0; b < L; b++) {
      a[b] = (a[b] + bir) + (hr[b] + bhr);
      c[b] = (c[b] + biz) + (hz[b] + bhz);
    }
  }
  sigmoid_inplace(pr, 2 * H * L, f32);             /* r and z */
  for (int64_t j = 0; j < H; j++) {
    const double *rj = pr + j * L, *hn_ = gh + (2 * H + j) * L;
    double *a = pn + j * L, *g = pg + j * L, bin = bih[2 * H + j], bhn = bhh[2 * H + j];
    for (int64_t b = 0; b < L; b++) {
      double gv = hn_[b] + bhn;
      g[b] = gv;
      a[b] = (a[b] + bin) + rj[b] * gv;
    }
  }
  tanh_inplace(pn, H * L, f32);                     /* n */
  for (int64_t i = 0; i < H * L; i++) hn[i] = pn[i] + pz[i] * (hp[i] - pn[i]);
}

/* Backward step, elementwise over [H][L] blocks: from dh (dL/dh' [H][L], the later
   steps' share) plus go (dL/d output at this step), the gate block q and the state hp,
   the gradients of the pre-activations into dga (row blocks: see bw_gru), and dh' z (the
   part of dL/dh of the previous state that does not pass through W_hh) into dhp.  Each
   row of dga is also added to its eight bias-gradient lanes in db ([4H][8]; lane b % 8):
   they stay in L1, where lanes over the whole [4H][L] block doubled the step's memory
   traffic. */
KERNEL static void step_backward (int64_t H, int64_t L, const double *restrict go, const double *restrict q,
                                  const double *restrict hp, const double *restrict dh,
                                  double *restrict dga, double *restrict dhp, double *restrict db) {
  int64_t HL = H * L;
  const double *r = q, *z = q + HL, *n = q + 2 * HL, *ghn = q + 3 * HL;
  double *dan = dga, *dar = dga + HL, *daz = dga + 2 * HL, *dgn = dga + 3 * HL;
  for (int64_t i = 0; i < HL; i++) {
    double dhk = dh[i] + go[i], rk = r[i], zk = z[i], nk = n[i];
    double dn = dhk * (1 - zk), dz = dhk * (hp[i] - nk);
    double da = dn * (1 - nk * nk);
    dhp[i] = dhk * zk;
    dan[i] = da;
    dar[i] = da * ghn[i] * rk * (1 - rk);
    daz[i] = dz * zk * (1 - zk);
    dgn[i] = da * rk;
  }
  add_lanes(dga, 4 * H, L, db);
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
  for (int64_t s = 0; s < T && ok; s++) {     /* one step: a scope owns its temporaries */
    int64_t t = reverse ? T - 1 - s : s;
    M1D_RULE_SCOPE(S);
    m1d_Tensor *gi = LINEAR(SELECT(in[X], 1, t), in[WIH], in[BIH]), *gh = LINEAR(h, in[WHH], in[BHH]);
    m1d_Tensor *rz = SIGMOID(ADD(NARROW(gi, 1, 0, 2 * H), NARROW(gh, 1, 0, 2 * H)));
    m1d_Tensor *n = TANH(ADD(NARROW(gi, 1, 2 * H, H), MUL(NARROW(rz, 1, 0, H), NARROW(gh, 1, 2 * H, H))));
    m1d_Tensor *hn = m1d_rule_result(S, ADD(n, MUL(NARROW(rz, 1, H, H), SUB(h, n))));
    ok = m1d_rule_close(S) == 0;
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

/* ---------------------------------------------------------------- forward, saved */

/* Runs the forward of s's direction over the inputs in (s->B.. s->H and s->reverse set):
   allocates and fills s->xs, s->hs and s->gates.  0, or -1 with a message. */
static int run_forward (GruSaved *s, m1d_Tensor *const *in, int f32) {
  int64_t T = s->T, F = s->F, H = s->H, G = 3 * H, L = lanes_of(s->B), HL = H * L;
  size_t wbytes, sbytes;
  double *cur, *scur;
  double *w = workspace((size_t)(G * L + G * F + G * H + 2 * G), &wbytes, &cur);
  double *saved = workspace((size_t)(T * F * L + (T + 1) * HL + T * 4 * HL), &sbytes, &scur);
  int rc = -1;
  if (w == NULL || saved == NULL) {
    m1d_pool_data_free(w, wbytes); m1d_pool_data_free(saved, sbytes);
    return m1d_failcode("gru: out of memory");
  }
  double *gh = carve(&cur, G * L), *wih = carve(&cur, G * F), *whh = carve(&cur, G * H), *bih = carve(&cur, G),
         *bhh = carve(&cur, G);
  s->block = saved; s->bytes = sbytes;
  s->xs = carve(&scur, T * F * L); s->hs = carve(&scur, (T + 1) * HL); s->gates = carve(&scur, T * 4 * HL);
  if (fill_double(wih, in[WIH], 0) < 0 || fill_double(whh, in[WHH], 0) < 0 || fill_double(bih, in[BIH], 0) < 0 ||
      fill_double(bhh, in[BHH], 0) < 0 || load_fm(s->xs, L, in[X], s->B, T, F, s->reverse) < 0)
    goto done;
  if (in[H0]) { if (load_fm(s->hs, L, in[H0], s->B, 1, H, 0) < 0) goto done; }
  else memset(s->hs, 0, (size_t)HL * sizeof *s->hs);
  for (int64_t st = 0; st < T; st++) {
    double *q = s->gates + st * 4 * HL, *hp = s->hs + st * HL;
    /* W_hh h by cblas_dgemm: at [18 x 6] x [6 x 104] it took 0.4 us, a register-blocked
       loop 0.7-1.0 us (OpenBLAS's small-matrix kernel uses FMA, the loops may not) */
    m1d_gemm(M1D_F64, CblasNoTrans, CblasNoTrans, G, L, H, whh, H, hp, L, 0.0, gh, L);
    step_forward(H, F, L, f32, wih, bih, bhh, s->xs + st * F * L, gh, hp, q, hp + HL);
  }
  rc = 0;
done:
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- first-order backward */

/* The end of a backward pass over the parameters (first and second order alike): the bias
   gradients are the sums of the eight lanes of db's 4H rows (rows 0..3H-1 are b_ih's in the
   order n, r, z, rows H..4H-1 b_hh's in the order r, z, n; see bptt), and the rows of dW_ih
   (dwihp, in the order n, r, z) and db_ih go back to PyTorch's r, z, n.  sums: [4H] scratch. */
static void param_grads_out (int64_t H, int64_t F, const double *db, const double *dwihp, double *sums,
                             double *dwih, double *dbih, double *dbhh) {
  for (int64_t k = 0; k < 4 * H; k++) {
    double sum = 0;
    for (int l = 0; l < 8; l++) sum += db[8 * k + l];
    sums[k] = sum;
  }
  memcpy(dbhh, sums + H, (size_t)(3 * H) * sizeof *dbhh);
  memcpy(dbih, sums + H, (size_t)(2 * H) * sizeof *dbih);
  memcpy(dbih + 2 * H, sums, (size_t)H * sizeof *dbih);
  memcpy(dwih, dwihp + H * F, (size_t)(2 * H * F) * sizeof *dwih);
  memcpy(dwih + 2 * H * F, dwihp, (size_t)(H * F) * sizeof *dwih);
}

/* The first-order gradients (backpropagation through time) of s's direction for the
   upstream gradient g ([B][T][H]), in double: out[X] = dx feature-major ([T][F][L], when
   need[X]), out[H0] = dL/dh0 ([H][L], always), out[WIH..BHH] row-major like the
   parameters (when needed).  They live in a workspace the caller frees
   (m1d_pool_data_free(*w, *wbytes)).  0, or -1 with a message.

   The per-step dga [4H][L] holds the gradients of the pre-activations in four row
   blocks: d(n's pre-activation), d(r's), d(z's), and r d(n's) (the gradient of
   W_hn h + b_hn).  So rows 0..3H-1 are the gradient of W_ih x + b_ih, its gates in the
   order n, r, z, and rows H..4H-1 that of W_hh h + b_hh in W_hh's order r, z, n: each is
   one block for its GEMMs.  W_ih's rows are permuted to match (wihp: n, r, z), and dW_ih
   and db_ih permuted back at the end. */
static int bptt (const GruSaved *s, const m1d_Tensor *g, const int *need, double **w, size_t *wbytes,
                 double *out[NIN]) {
  int64_t B = s->B, T = s->T, F = s->F, H = s->H, G = 3 * H, L = lanes_of(B), HL = H * L;
  double *cur;
  *w = workspace((size_t)(T * HL + 4 * HL + 2 * HL + T * F * L + 32 * H + G * H + G * F + 3 * G * F + G * H +
                          4 * H + 2 * G), wbytes, &cur);
  if (*w == NULL) return m1d_failcode("gru: out of memory in backward");
  double *go = carve(&cur, T * HL), *dga = carve(&cur, 4 * HL), *dhp = carve(&cur, HL),
         *dx = carve(&cur, T * F * L),
         /* the accumulators, zeroed together: */
         *dh = carve(&cur, HL), *db = carve(&cur, 32 * H), *dwhh = carve(&cur, G * H), *dwihp = carve(&cur, G * F),
         *wih = carve(&cur, G * F), *wihp = carve(&cur, G * F), *whh = carve(&cur, G * H),
         *sums = carve(&cur, 4 * H), *dbih = carve(&cur, G), *dbhh = carve(&cur, G), *dwih = carve(&cur, G * F);
  if (fill_double(wih, s->in[WIH], 0) < 0 || fill_double(whh, s->in[WHH], 0) < 0 ||
      load_fm(go, L, g, B, T, H, s->reverse) < 0)
    return -1;
  memset(dh, 0, (size_t)(wih - dh) * sizeof *dh);
  memcpy(wihp, wih + 2 * H * F, (size_t)(H * F) * sizeof *wih);              /* n, r, z */
  memcpy(wihp + H * F, wih, (size_t)(2 * H * F) * sizeof *wih);
  for (int64_t st = T - 1; st >= 0; st--) {         /* processing steps, last first */
    const double *q = s->gates + st * 4 * HL, *hp = s->hs + st * HL, *xst = s->xs + st * F * L;
    step_backward(H, L, go + st * HL, q, hp, dh, dga, dhp, db);
    /* dL/dh_prev += W_hh^T dgh;  dW_hh += dgh h_prev^T;  dW_ih += dgi x^T;  dx = W_ih^T dgi.
       GEMMs, as in the forward (a loop was slower); the weight gradients step by step,
       so that dga stays a step's scratch in L1 rather than a [T][4H][L] array. */
    m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, G, whh, H, dga + HL, L, 1.0, dhp, L);
    if (need[WHH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, H, L, dga + HL, L, hp, L, 1.0, dwhh, H);
    if (need[WIH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, F, L, dga, L, xst, L, 1.0, dwihp, F);
    if (need[X]) m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, F, L, G, wihp, F, dga, L, 0.0, dx + st * F * L, L);
    double *tmp = dh; dh = dhp; dhp = tmp;
  }
  /* dh is dL/dh0 now */
  param_grads_out(H, F, db, dwihp, sums, dwih, dbih, dbhh);
  out[X] = dx; out[H0] = dh; out[WIH] = dwih; out[WHH] = dwhh; out[BIH] = dbih; out[BHH] = dbhh;
  return 0;
}

static int grad_views (GruSaved *s, m1d_Tensor *gy, const int *mask, m1d_Tensor *views[NIN]);

static int bw_gru (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  GruSaved *s = node->ud;
  int need[NIN] = {0};
  for (int i = 0, e = 0; i < NIN; i++) if (s->in[i]) need[i] = node->edges[e++].needs;
  if (create_graph) {
    /* one gru_backward op (below): differentiable, its own backward fused too */
    m1d_Tensor *views[NIN] = {0};
    if (grad_views(s, g, need, views) < 0) return -1;
    for (int i = 0, e = 0; i < NIN; i++) if (s->in[i]) gin[e++] = views[i];
    return 0;
  }
  double *w, *bufs[NIN];
  size_t wbytes;
  int rc = bptt(s, g, need, &w, &wbytes, bufs);
  if (rc == 0)
    rc = seq_hand_out(node, s->in, NIN, (const double *const *)bufs, 1u << X | 1u << H0, lanes_of(s->B), s->reverse, gin);
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- gru_backward: the backward as an op
**
** Under create_graph the GRU's backward is one op, gru_backward(x, h0, W_ih, W_hh, b_ih,
** b_hh, gy) -> P, the gradients the GRU's node needs packed into one flat tensor
** (m1d ops have one output; the callers get views of it).  Its forward is the fused
** BPTT above, on the sequence the GRU's forward saved (shared, not copied).  Its
** backward, for an upstream gradient v of P (v_x, v_h0, v_W.. in P's layout):
**   <v, P> = <v, J^T gy> = <gy, J v>,  J the Jacobian of the GRU's output in its inputs, so
**   d<v,P>/d gy    = J v: a forward tangent pass through the recurrence in direction v;
**   d<v,P>/d theta = d<gy, J(theta) v>/d theta: reverse mode through that tangent pass.
** The reverse pass carries two adjoints per step: lambda, the adjoint of the tangents,
** which is exactly the first-order BPTT's (dga, dh: the same recursion from gy), and mu,
** the adjoint of the primal values, with sources from the second derivatives of the
** gates (see second_step).  Both passes are fused loops over the saved sequence, with
** the tangents ([T][4H][L] and [T+1][H][L]) in a transient workspace.  Under
** create_graph (third and higher orders) the backward is rebuilt from ops
** (rebuild_gru_grad: the composite GRU differentiated by autograd).
*/

typedef struct {
  GruSaved *s;              /* the forward's sequence and inputs (a reference) */
  m1d_Tensor *gy;           /* the upstream gradient (ref held) */
  int mask[NIN];            /* which gradients P holds */
  int64_t off[NIN];         /* their offsets in P */
} GruGrad;

enum { GY = NIN };          /* gru_backward's seventh input */

static void grad_free (void *ud) {
  GruGrad *q = ud;
  saved_free(q->s);
  m1d_decref(q->gy);
  m1d_pool_free(q, sizeof *q);
}

/* the number of elements of gradient i (the shape of input i) */
static int64_t grad_numel (const GruSaved *s, int i) {
  int64_t G = 3 * s->H;
  switch (i) {
    case X: return s->B * s->T * s->F;
    case H0: return s->B * s->H;
    case WIH: return G * s->F;
    case WHH: return G * s->H;
    default: return G;
  }
}

/* offsets in P of the gradients in mask, in input order; returns P's length */
static int64_t pack_layout (const GruSaved *s, const int *mask, int64_t off[NIN]) {
  int64_t n = 0;
  for (int i = 0; i < NIN; i++) {
    off[i] = n;
    if (mask[i]) n += grad_numel(s, i);
  }
  return n;
}

static m1d_Tensor *rebuild_gru_grad (m1d_Tensor **in, const m1d_Node *node);
static int bw_gru_grad (m1d_Node *node, m1d_Tensor *gP, m1d_Tensor **gin, int create_graph);

/* P for s and gy ([B,T,H], x's dtype), recorded as a gru_backward node when grad mode is
   on and an input or gy requires grad. */
static m1d_Tensor *gru_backward_op (GruSaved *s, m1d_Tensor *gy, const int *mask) {
  int64_t off[NIN], n = pack_layout(s, mask, off), L = lanes_of(s->B);
  m1d_DType dt = s->in[X]->dtype;
  double *w = NULL, *bufs[NIN];
  size_t wbytes = 0;
  m1d_Tensor *P = NULL;
  if (bptt(s, gy, mask, &w, &wbytes, bufs) < 0) goto done;
  if ((P = m1d_empty(dt, 1, &n)) == NULL) goto done;
  for (int i = 0; i < NIN; i++) {
    if (!mask[i]) continue;
    void *dst = (char *)m1d_data(P) + (size_t)off[i] * m1d_dtype_size(dt);
    if (i == X) store_fm_raw(bufs[X], L, dt, dst, s->B, s->T, s->F, s->reverse);
    else if (i == H0) store_fm_raw(bufs[H0], L, dt, dst, s->B, 1, s->H, 0);
    else from_double_raw(bufs[i], dt, dst, grad_numel(s, i));
  }
  m1d_Tensor *ins[NIN + 1];
  int nin = 0;
  for (int i = 0; i < NIN; i++) if (s->in[i]) ins[nin++] = s->in[i];
  ins[nin++] = gy;
  if (m1d_needs_grad(nin, ins)) {
    GruGrad *q = m1d_pool_calloc(sizeof *q);
    m1d_Node *node = q ? m1d_record("gru_backward", bw_gru_grad, P, nin, ins) : NULL;
    if (node == NULL) {
      m1d_pool_free(q, sizeof *q);
      m1d_decref(P); P = NULL;
      m1d_fail("gru_backward: out of memory");
      goto done;
    }
    q->s = s; s->refs++;
    q->gy = gy; m1d_incref(gy);
    for (int i = 0; i < NIN; i++) { q->mask[i] = mask[i]; q->off[i] = off[i]; }
    node->ud = q;
    node->ud_free = grad_free;
  }
done:
  m1d_pool_data_free(w, wbytes);
  return P;
}

/* views[i] (new references, for mask[i]) of the gradients in gru_backward's P, shaped like
   the inputs.  0, or -1 with a message. */
static int grad_views (GruSaved *s, m1d_Tensor *gy, const int *mask, m1d_Tensor *views[NIN]) {
  int64_t off[NIN];
  pack_layout(s, mask, off);
  m1d_Tensor *P = gru_backward_op(s, gy, mask);
  if (P == NULL) return -1;
  int rc = 0;
  for (int i = 0; i < NIN && rc == 0; i++) {
    if (!mask[i]) continue;
    m1d_Tensor *flat = m1d_narrow(P, 0, off[i], grad_numel(s, i));
    views[i] = flat ? m1d_reshape(flat, s->in[i]->ndim, s->in[i]->shape) : NULL;
    m1d_decref(flat);
    if (views[i] == NULL) rc = -1;
  }
  if (rc < 0) for (int i = 0; i < NIN; i++) { m1d_decref(views[i]); views[i] = NULL; }
  m1d_decref(P);
  return rc;
}

/* The rebuild for third and higher orders: P from ops.  The composite GRU on stand-ins
   of the inputs P differentiates (aliases, so that they are targets), differentiated by
   autograd with create_graph, the gradients flattened and concatenated. */
static m1d_Tensor *rebuild_gru_grad (m1d_Tensor **in, const m1d_Node *node) {
  const GruGrad *q = node->ud;
  const GruSaved *s = q->s;
  m1d_Tensor *t[NIN] = {0}, *targets[NIN], *res[NIN] = {0}, *flat[NIN] = {0}, *out = NULL, *P = NULL;
  int nt = 0, ok = 1;
  for (int i = 0; i < NIN && ok; i++) {
    if (in[i] == NULL) continue;
    if (!q->mask[i]) { t[i] = in[i]; m1d_incref(t[i]); continue; }
    if (in[i]->requires_grad) t[i] = m1d_alias(in[i]);
    else if ((t[i] = m1d_detach(in[i])) != NULL) m1d_set_requires_grad(t[i], 1);
    ok = t[i] != NULL;
    if (ok) targets[nt++] = t[i];
  }
  if (ok && (out = gru_composite(t, s->reverse, s->T, s->H)) != NULL &&
      m1d_backward(1, &out, &in[GY], nt, targets, res, 1, 1) == 0) {
    int64_t minus1 = -1;
    for (int k = 0; k < nt && ok; k++) ok = (flat[k] = m1d_reshape(res[k], 1, &minus1)) != NULL;
    if (ok) P = m1d_cat(nt, flat, 0);
  }
  for (int i = 0; i < NIN; i++) { m1d_decref(t[i]); m1d_decref(res[i]); m1d_decref(flat[i]); }
  m1d_decref(out);
  return P;
}

/* Tangent step (the forward derivative in direction v).  In: x, and its tangent xd or
   NULL ([F][L]), ghd = W_hh hd + dW_hh h ([3H][L], GEMMs), the step's gate block q, the
   state hp and its tangent hd ([H][L]); the directions of the weights dwih ([3H][F]) and
   biases dbih, dbhh.  Out: the step's tangent block td [4H][L], rows: the tangents of
   r's and z's pre-activations (ar', az'), of n's (p'), and of W_hn h + b_hn (ghn'); the
   new state's tangent hdn [H][L]:
     gi' = dW_ih x + W_ih x' + db_ih,  ar' = gi_r' + ghd_r + db_hr,  r' = r(1-r) ar' (z alike),
     p' = gi_n' + r' ghn + r ghn',  n' = (1-n^2) p',  h'' = n' + z'(h - n) + z(h' - n'). */
KERNEL static void tangent_step (int64_t H, int64_t F, int64_t L, const double *restrict wih,
                                 const double *restrict dwih, const double *restrict dbih,
                                 const double *restrict dbhh, const double *restrict x,
                                 const double *restrict xd, const double *restrict ghd,
                                 const double *restrict q, const double *restrict hp,
                                 const double *restrict hd, double *restrict td, double *restrict hdn) {
  int64_t HL = H * L;
  const double *r = q, *z = q + HL, *n = q + 2 * HL, *ghn = q + 3 * HL;
  for (int64_t g = 0; g < 3 * H; g++) {            /* gi' in the rows ar', az', p' (gates r, z, n) */
    double *o = td + g * L, bg = dbih[g];
    for (int64_t b = 0; b < L; b++) o[b] = bg;
    for (int64_t f = 0; f < F; f++) {
      const double *xf = x + f * L;
      double wf = dwih[g * F + f];
      for (int64_t b = 0; b < L; b++) o[b] += wf * xf[b];
      if (xd) {
        const double *xdf = xd + f * L;
        double vf = wih[g * F + f];
        for (int64_t b = 0; b < L; b++) o[b] += vf * xdf[b];
      }
    }
  }
  for (int64_t j = 0; j < H; j++) {
    double *ar = td + j * L, *az = td + (H + j) * L, *pd = td + (2 * H + j) * L, *gnd = td + (3 * H + j) * L;
    const double *hr = ghd + j * L, *hz = ghd + (H + j) * L, *hn_ = ghd + (2 * H + j) * L;
    const double *rj = r + j * L, *zj = z + j * L, *nj = n + j * L, *gj = ghn + j * L, *hpj = hp + j * L,
                 *hdj = hd + j * L;
    double *o = hdn + j * L, bhr = dbhh[j], bhz = dbhh[H + j], bhn = dbhh[2 * H + j];
    for (int64_t b = 0; b < L; b++) {
      double a_r = ar[b] + (hr[b] + bhr), a_z = az[b] + (hz[b] + bhz), gn = hn_[b] + bhn;
      double rr = rj[b], zz = zj[b], nn = nj[b];
      double rd = rr * (1 - rr) * a_r, zd = zz * (1 - zz) * a_z;
      double p = pd[b] + rd * gj[b] + rr * gn;
      double nd = (1 - nn * nn) * p;
      ar[b] = a_r; az[b] = a_z; pd[b] = p; gnd[b] = gn;
      o[b] = nd + zd * (hpj[b] - nn) + zz * (hdj[b] - nd);
    }
  }
}

/* Reverse step of the second-order backward, elementwise over [H][L] blocks.  In: go (gy
   at this step), the gate block q, the tangent block td, the state hp and its tangent hd,
   lam (lambda: dL/dh' from the later steps, as dh in step_backward) and mu (the primal
   adjoint of h' from the later steps).  Out: dga [4H][L] as in step_backward (the
   adjoints of the tangents of the pre-activations), mga [4H][L] the primal adjoints of the
   pre-activations in the same row blocks (p, ar, az, ghn), and the parts of the next lam
   and mu that do not pass through W_hh (lamp = lk z, mup); the row sums of mga into db.
   With lk = lam + go, the tangents r' = r(1-r) ar', z' = z(1-z) az', n' = (1-n^2) p', and
   the first-order adjoints ln = lk (1-z), lz = lk (h - n), dan = ln (1-n^2), lr = dan ghn:
     mu_n  = (1-z) mu - z' lk - 2 n p' ln                      (h'' and n' depend on n)
     mu_z  = (h - n) mu + (h' - n') lk + (1-2z) az' lz        (h'' and z' on z)
     mu_h  = z mu + z' lk                                      (+ W_hh^T mu_gh + dW_hh^T lambda_gh: GEMMs)
     mu_p  = (1-n^2) mu_n
     mu_r  = ghn mu_p + ghn' dan + (1-2r) ar' lr              (p, p' and r' on r)
     mu_ghn = r mu_p + r' dan
     mu_ar = r(1-r) mu_r,  mu_az = z(1-z) mu_z. */
KERNEL static void second_step (int64_t H, int64_t L, const double *restrict go, const double *restrict q,
                                const double *restrict td, const double *restrict hp,
                                const double *restrict hd, const double *restrict lam,
                                const double *restrict mu, double *restrict dga, double *restrict mga,
                                double *restrict lamp, double *restrict mup, double *restrict db) {
  int64_t HL = H * L;
  const double *r = q, *z = q + HL, *n = q + 2 * HL, *ghn = q + 3 * HL;
  const double *ard = td, *azd = td + HL, *pd = td + 2 * HL, *gnd = td + 3 * HL;
  double *dan = dga, *dar = dga + HL, *daz = dga + 2 * HL, *dgn = dga + 3 * HL;
  double *mp = mga, *mar = mga + HL, *maz = mga + 2 * HL, *mgn = mga + 3 * HL;
  for (int64_t i = 0; i < HL; i++) {
    double lk = lam[i] + go[i], m = mu[i], rr = r[i], zz = z[i], nn = n[i], gh = ghn[i];
    double sr = rr * (1 - rr), sz = zz * (1 - zz), tn = 1 - nn * nn;
    double rd = sr * ard[i], zd = sz * azd[i], nd = tn * pd[i];
    double ln = lk * (1 - zz), lz = lk * (hp[i] - nn), da = ln * tn, lr = da * gh;
    dan[i] = da;
    dar[i] = lr * sr;
    daz[i] = lz * sz;
    dgn[i] = da * rr;
    lamp[i] = lk * zz;
    double mn = (1 - zz) * m - zd * lk - 2 * nn * pd[i] * ln;
    double mz = (hp[i] - nn) * m + (hd[i] - nd) * lk + (1 - 2 * zz) * azd[i] * lz;
    double mpv = tn * mn;
    double mr = gh * mpv + gnd[i] * da + (1 - 2 * rr) * ard[i] * lr;
    mup[i] = zz * m + zd * lk;
    mp[i] = mpv;
    mar[i] = sr * mr;
    maz[i] = sz * mz;
    mgn[i] = rr * mpv + rd * da;
  }
  add_lanes(mga, 4 * H, L, db);
}

/* gru_backward's backward (see the section's header).  Edges: the GRU's inputs present,
   then gy. */
static int bw_gru_grad (m1d_Node *node, m1d_Tensor *gP, m1d_Tensor **gin, int create_graph) {
  GruGrad *q = node->ud;
  GruSaved *s = q->s;
  m1d_Tensor *ins[NIN + 1];
  for (int i = 0; i < NIN; i++) ins[i] = s->in[i];
  ins[GY] = q->gy;
  if (create_graph) return m1d_backward_by_rebuilding(node, ins, NIN + 1, rebuild_gru_grad, gP, gin);
  int64_t B = s->B, T = s->T, F = s->F, H = s->H, G = 3 * H, L = lanes_of(B), HL = H * L;
  int need[NIN + 1] = {0}, edge[NIN + 1], any = 0;
  for (int i = 0, e = 0; i <= NIN; i++) {
    edge[i] = -1;
    if (ins[i] == NULL) continue;
    edge[i] = e;
    need[i] = node->edges[e++].needs;
    if (i < NIN) any |= need[i];
  }
  const int *mask = q->mask;
  m1d_Tensor *v = NULL;
  size_t wbytes;
  double *cur, *w = workspace((size_t)(T * HL + T * 4 * HL + (T + 1) * HL + 2 * T * F * L + 12 * HL + G * L +
                                       6 * G * F + 2 * G * H + 2 * G + 32 * H + G * H + G * F + 4 * H + 2 * G + G * F),
                              &wbytes, &cur);
  int rc = -1;
  if (w == NULL) return m1d_failcode("gru_backward: out of memory in backward");
  double *go = carve(&cur, T * HL), *tang = carve(&cur, T * 4 * HL), *hd = carve(&cur, (T + 1) * HL),
         *xd = carve(&cur, T * F * L), *mx = carve(&cur, T * F * L), *dga = carve(&cur, 4 * HL),
         *mga = carve(&cur, 4 * HL), *ghd = carve(&cur, G * L),
         *wih = carve(&cur, G * F), *wihp = carve(&cur, G * F), *whh = carve(&cur, G * H),
         /* the directions (zero unless in P), then the accumulators, zeroed together: */
         *dwih = carve(&cur, G * F), *dwihp = carve(&cur, G * F), *dwhh = carve(&cur, G * H),
         *dbih = carve(&cur, G), *dbhh = carve(&cur, G),
         *lam = carve(&cur, HL), *mu = carve(&cur, HL), *db = carve(&cur, 32 * H), *mwhh = carve(&cur, G * H),
         *mwihp = carve(&cur, G * F), *end0 = cur,
         *lam2 = carve(&cur, HL), *mu2 = carve(&cur, HL),
         *sums = carve(&cur, 4 * H), *mbih = carve(&cur, G), *mbhh = carve(&cur, G), *mwih = carve(&cur, G * F);
  /* v (P's gradient) as contiguous float64 */
  if (gP->dtype == M1D_F64 && m1d_is_contiguous(gP)) { v = gP; m1d_incref(v); }
  else if ((v = m1d_empty(M1D_F64, gP->ndim, gP->shape)) != NULL) m1d_copy_into(v, gP);
  if (v == NULL || fill_double(wih, s->in[WIH], 0) < 0 || fill_double(whh, s->in[WHH], 0) < 0 ||
      load_fm(go, L, q->gy, B, T, H, s->reverse) < 0)
    goto done;
  memset(dwih, 0, (size_t)(end0 - dwih) * sizeof *dwih);
  const double *vp = m1d_data(v);
  if (mask[X]) load_fm_raw(xd, L, vp + q->off[X], 0, T * F, F, 1, B, T, F, s->reverse);
  if (mask[H0]) load_fm_raw(hd, L, vp + q->off[H0], 0, H, 0, 1, B, 1, H, 0);
  else memset(hd, 0, (size_t)HL * sizeof *hd);
  if (mask[WIH]) memcpy(dwih, vp + q->off[WIH], (size_t)(G * F) * sizeof *dwih);
  if (mask[WHH]) memcpy(dwhh, vp + q->off[WHH], (size_t)(G * H) * sizeof *dwhh);
  if (mask[BIH]) memcpy(dbih, vp + q->off[BIH], (size_t)G * sizeof *dbih);
  if (mask[BHH]) memcpy(dbhh, vp + q->off[BHH], (size_t)G * sizeof *dbhh);
  memcpy(wihp, wih + 2 * H * F, (size_t)(H * F) * sizeof *wih);              /* n, r, z */
  memcpy(wihp + H * F, wih, (size_t)(2 * H * F) * sizeof *wih);
  memcpy(dwihp, dwih + 2 * H * F, (size_t)(H * F) * sizeof *dwih);
  memcpy(dwihp + H * F, dwih, (size_t)(2 * H * F) * sizeof *dwih);

  /* the tangent pass, first step first */
  for (int64_t st = 0; st < T; st++) {
    const double *hp = s->hs + st * HL, *hdp = hd + st * HL;
    m1d_gemm(M1D_F64, CblasNoTrans, CblasNoTrans, G, L, H, whh, H, hdp, L, 0.0, ghd, L);
    if (mask[WHH]) m1d_gemm(M1D_F64, CblasNoTrans, CblasNoTrans, G, L, H, dwhh, H, hp, L, 1.0, ghd, L);
    tangent_step(H, F, L, wih, dwih, dbih, dbhh, s->xs + st * F * L, mask[X] ? xd + st * F * L : NULL, ghd,
                 s->gates + st * 4 * HL, hp, hdp, tang + st * 4 * HL, hd + (st + 1) * HL);
  }
  /* the reverse pass, last step first */
  if (any) {
    for (int64_t st = T - 1; st >= 0; st--) {
      const double *hp = s->hs + st * HL, *hdp = hd + st * HL, *xst = s->xs + st * F * L;
      second_step(H, L, go + st * HL, s->gates + st * 4 * HL, tang + st * 4 * HL, hp, hdp, lam, mu, dga, mga,
                  lam2, mu2, db);
      /* lambda += W_hh^T lambda_gh;  mu += W_hh^T mu_gh + dW_hh^T lambda_gh */
      m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, G, whh, H, dga + HL, L, 1.0, lam2, L);
      m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, G, whh, H, mga + HL, L, 1.0, mu2, L);
      if (mask[WHH]) m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, H, L, G, dwhh, H, dga + HL, L, 1.0, mu2, L);
      /* W_hh: mu_gh h^T + lambda_gh h'^T;  W_ih: mu_gi x^T + lambda_gi x'^T;  x: W_ih^T mu_gi + dW_ih^T lambda_gi */
      if (need[WHH]) {
        m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, H, L, mga + HL, L, hp, L, 1.0, mwhh, H);
        m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, H, L, dga + HL, L, hdp, L, 1.0, mwhh, H);
      }
      if (need[WIH]) {
        m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, F, L, mga, L, xst, L, 1.0, mwihp, F);
        if (mask[X]) m1d_gemm(M1D_F64, CblasNoTrans, CblasTrans, G, F, L, dga, L, xd + st * F * L, L, 1.0, mwihp, F);
      }
      if (need[X]) {
        m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, F, L, G, wihp, F, mga, L, 0.0, mx + st * F * L, L);
        if (mask[WIH]) m1d_gemm(M1D_F64, CblasTrans, CblasNoTrans, F, L, G, dwihp, F, dga, L, 1.0, mx + st * F * L, L);
      }
      double *tmp = lam; lam = lam2; lam2 = tmp;
      tmp = mu; mu = mu2; mu2 = tmp;
    }
    param_grads_out(H, F, db, mwihp, sums, mwih, mbih, mbhh);
  }
  {
    const double *bufs[NIN] = {mx, mu, mwih, mwhh, mbih, mbhh};     /* mu is mu_h0 now */
    rc = 0;
    for (int i = 0; i <= NIN && rc == 0; i++) {
      if (!need[i]) continue;
      m1d_Edge *ed = &node->edges[edge[i]];
      int e = edge[i];
      if (i == GY) gin[e] = store_fm(hd + HL, L, ed->dtype, ed->ndim, ed->shape, s->reverse);
      else if (i == X || i == H0) gin[e] = store_fm(bufs[i], L, ed->dtype, ed->ndim, ed->shape, i == X && s->reverse);
      else gin[e] = from_double(bufs[i], ed->dtype, ed->ndim, ed->shape);
      if (gin[e] == NULL) rc = -1;
    }
  }
done:
  m1d_decref(v);
  m1d_pool_data_free(w, wbytes);
  return rc;
}

/* ---------------------------------------------------------------- the public ops */

static const char *check_inputs (const char *op, m1d_Tensor *const *all) {
  m1d_Tensor *x = all[X], *h0 = all[H0], *w_ih = all[WIH], *w_hh = all[WHH], *b_ih = all[BIH], *b_hh = all[BHH];
  if (x->ndim != 3 || w_ih->ndim != 2 || w_hh->ndim != 2 || w_hh->shape[0] != 3 * w_hh->shape[1] ||
      w_ih->shape[0] != w_hh->shape[0] || w_ih->shape[1] != x->shape[2])
    return m1d_fail("%s: input %s (want [batch, time, features]), weight_ih %s and weight_hh %s "
                    "(want [3H, features] and [3H, H]) do not fit", op, m1d_shapestr(x).s,
                    m1d_shapestr(w_ih).s, m1d_shapestr(w_hh).s);
  int64_t B = x->shape[0], H = w_hh->shape[1], G = 3 * H;
  if (b_ih == NULL || b_hh == NULL || b_ih->ndim != 1 || b_hh->ndim != 1 || b_ih->shape[0] != G ||
      b_hh->shape[0] != G)
    return m1d_fail("%s: biases must be [%lld] (3 x hidden)", op, (long long)G);
  if (h0 && (h0->ndim != 2 || h0->shape[0] != B || h0->shape[1] != H))
    return m1d_fail("%s: h0 %s must be [%lld, %lld]", op, m1d_shapestr(h0).s, (long long)B, (long long)H);
  for (int i = 0; i < NIN; i++) {
    if (all[i] == NULL) continue;
    if (m1d_check_float(op, all[i]) < 0) return NULL;
    if (all[i]->dtype != x->dtype)
      return m1d_fail("%s: all inputs must have one dtype (input is %s)", op, m1d_dtype_name(x->dtype));
  }
  return op;
}

/* a GruSaved (one reference) holding the inputs, its forward run */
static GruSaved *saved_forward (m1d_Tensor *const *all, int reverse) {
  GruSaved *s = m1d_pool_calloc(sizeof *s);
  if (s == NULL) return m1d_fail("gru: out of memory");
  s->refs = 1;
  s->reverse = reverse;
  s->B = all[X]->shape[0]; s->T = all[X]->shape[1]; s->F = all[X]->shape[2]; s->H = all[WHH]->shape[1];
  for (int i = 0; i < NIN; i++) { s->in[i] = all[i]; if (all[i]) m1d_incref(all[i]); }
  if (run_forward(s, all, all[X]->dtype == M1D_F32) < 0) { saved_free(s); return NULL; }
  return s;
}

m1d_Tensor *m1d_gru (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                     m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse) {
  m1d_Tensor *all[NIN] = {x, h0, w_ih, w_hh, b_ih, b_hh};
  if (check_inputs("gru", all) == NULL) return NULL;
  GruSaved *s = saved_forward(all, reverse);
  if (s == NULL) return NULL;
  int64_t shape[3] = {s->B, s->T, s->H};
  m1d_Tensor *res = store_fm(s->hs + s->H * lanes_of(s->B), lanes_of(s->B), x->dtype, 3, shape, reverse);
  return seq_record("gru", bw_gru, res, NIN, all, s, saved_free);
}

int m1d_gru_backward (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh, m1d_Tensor *b_ih,
                      m1d_Tensor *b_hh, m1d_Tensor *gy, int reverse, m1d_Tensor *grads[6]) {
  m1d_Tensor *all[NIN] = {x, h0, w_ih, w_hh, b_ih, b_hh};
  for (int i = 0; i < NIN; i++) grads[i] = NULL;
  if (check_inputs("gru_backward", all) == NULL) return -1;
  int64_t B = x->shape[0], T = x->shape[1], H = w_hh->shape[1];
  if (gy == NULL || gy->ndim != 3 || gy->shape[0] != B || gy->shape[1] != T || gy->shape[2] != H)
    return m1d_failcode("gru_backward: grad_output %s must be [%lld, %lld, %lld] (the output's shape)",
                        gy ? m1d_shapestr(gy).s : "nil", (long long)B, (long long)T, (long long)H);
  if (gy->dtype != x->dtype)
    return m1d_failcode("gru_backward: grad_output is %s, the input %s (want one dtype)",
                        m1d_dtype_name(gy->dtype), m1d_dtype_name(x->dtype));
  GruSaved *s = saved_forward(all, reverse);
  if (s == NULL) return -1;
  int mask[NIN];
  for (int i = 0; i < NIN; i++) mask[i] = all[i] != NULL;
  int rc = grad_views(s, gy, mask, grads);
  saved_free(s);
  return rc;
}
