/*
** l_nn.c — layer ops, losses and in-place optimizer kernels for Lua.
** Labels cross the binding 0-based (the paper's digits 0..9 are their own
** values), so they are passed through unchanged.
*/
#include <cblas.h>
#include "blas_kernels.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bind.h"
#include "ops.h"
#include "optim.h"

static int l_linear (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *w = m1d_checktensor(L, 2);
  m1d_Tensor *b = lua_isnoneornil(L, 3) ? NULL : m1d_checktensor(L, 3);
  return m1d_pushtensor(L, m1d_linear(x, w, b));
}

/* the optional layout argument at idx: "NCL" (the default, as torch) or "CLN" */
static m1d_ConvLayout check_layout (lua_State *L, int idx) {
  static const char *const names[] = {"NCL", "CLN", NULL};
  return luaL_checkoption(L, idx, "NCL", names) == 1 ? M1D_CLN : M1D_NCL;
}

/* conv1d(x, w [, b, stride = 1, padding = 0, layout = "NCL"]) */
static int l_conv1d (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *w = m1d_checktensor(L, 2);
  m1d_Tensor *b = lua_isnoneornil(L, 3) ? NULL : m1d_checktensor(L, 3);
  lua_Integer stride = luaL_optinteger(L, 4, 1), pad = luaL_optinteger(L, 5, 0);
  return m1d_pushtensor(L, m1d_conv1d(x, w, b, stride, pad, check_layout(L, 6)));
}

static int l_conv1d_composed (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *w = m1d_checktensor(L, 2);
  m1d_Tensor *b = lua_isnoneornil(L, 3) ? NULL : m1d_checktensor(L, 3);
  lua_Integer stride = luaL_optinteger(L, 4, 1), pad = luaL_optinteger(L, 5, 0);
  return m1d_pushtensor(L, m1d_conv1d_composed(x, w, b, stride, pad));
}

/* conv_transpose1d(x, w [, b, stride = 1, padding = 0, output_padding = 0, layout = "NCL"]) */
static int l_conv_transpose1d (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *w = m1d_checktensor(L, 2);
  m1d_Tensor *b = lua_isnoneornil(L, 3) ? NULL : m1d_checktensor(L, 3);
  lua_Integer stride = luaL_optinteger(L, 4, 1), pad = luaL_optinteger(L, 5, 0), op = luaL_optinteger(L, 6, 0);
  return m1d_pushtensor(L, m1d_conv_transpose1d(x, w, b, stride, pad, op, check_layout(L, 7)));
}

/* conv1d_weight_grad(x, gout, k [, stride = 1, padding = 0, layout = "NCL"]) */
static int l_conv1d_weight_grad (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *g = m1d_checktensor(L, 2);
  lua_Integer k = luaL_checkinteger(L, 3), stride = luaL_optinteger(L, 4, 1), pad = luaL_optinteger(L, 5, 0);
  return m1d_pushtensor(L, m1d_conv1d_weight_grad(x, g, k, stride, pad, check_layout(L, 6)));
}

/* max_pool1d(x, k [, s = k, layout = "NCL"]), avg_pool1d(x, k [, s = k, layout]), and their
   composed references (NCL only) */
typedef m1d_Tensor *(*PoolFn) (m1d_Tensor *x, int64_t k, int64_t s, m1d_ConvLayout layout);
typedef m1d_Tensor *(*ComposedPoolFn) (m1d_Tensor *x, int64_t k, int64_t s);
static int pool (lua_State *L, PoolFn fn, ComposedPoolFn composed) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2), s = luaL_optinteger(L, 3, k);
  return m1d_pushtensor(L, fn ? fn(x, k, s, check_layout(L, 4)) : composed(x, k, s));
}
static int l_max_pool1d (lua_State *L) { return pool(L, m1d_max_pool1d, NULL); }
static int l_avg_pool1d (lua_State *L) { return pool(L, m1d_avg_pool1d, NULL); }
static int l_max_pool1d_composed (lua_State *L) { return pool(L, NULL, m1d_max_pool1d_composed); }
static int l_avg_pool1d_composed (lua_State *L) { return pool(L, NULL, m1d_avg_pool1d_composed); }

/* lp_pool1d(x, p, k [, s = k, layout = "NCL"]): the norm first, as torch.nn.functional.lp_pool1d
   and nn.LPPool1d(p, k, s) take it */
static int lp_pool (lua_State *L, int composed) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  double p = luaL_checknumber(L, 2);
  lua_Integer k = luaL_checkinteger(L, 3), s = luaL_optinteger(L, 4, k);
  return m1d_pushtensor(L, composed ? m1d_lp_pool1d_composed(x, p, k, s)
                                    : m1d_lp_pool1d(x, p, k, s, check_layout(L, 5)));
}
static int l_lp_pool1d (lua_State *L) { return lp_pool(L, 0); }
static int l_lp_pool1d_composed (lua_State *L) { return lp_pool(L, 1); }

/* layer_norm(x, ndims [, eps = 1e-5]) -> xhat over the last ndims dims */
static int l_layer_norm (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  lua_Integer nd = luaL_checkinteger(L, 2);
  if (nd < 1 || nd > 64) return luaL_error(L, "layer_norm: ndims must be in 1..%d, got %d", x->ndim, (int)nd);
  return m1d_pushtensor(L, m1d_layer_norm(x, (int)nd, luaL_optnumber(L, 3, 1e-5)));
}

/* batch_norm(x [, eps = 1e-5]) -> xhat, mean [C], var [C] (float64, biased) */
static int l_batch_norm (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *mean = NULL, *var = NULL;
  double eps = luaL_optnumber(L, 2, 1e-5);
  /* the three Lua objects first: a Lua allocation error then cannot leak the results */
  LTensor *hy = m1d_newhandle(L), *hm = m1d_newhandle(L), *hv = m1d_newhandle(L);
  m1d_Tensor *y = m1d_batch_norm(x, eps, &mean, &var);
  if (y == NULL) return luaL_error(L, "%s", m1d_errmsg());
  hy->t = y; hm->t = mean; hv->t = var;
  m1d_reportmem(L);
  return 3;
}

static int l_unfold1d (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  return m1d_pushtensor(L, m1d_unfold1d(x, luaL_checkinteger(L, 2), luaL_optinteger(L, 3, 1),
                                        luaL_optinteger(L, 4, 0)));
}

/* gru(x, h0|nil, w_ih, w_hh, b_ih, b_hh [, reverse]) -> [B, T, H] */
static int l_gru (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  m1d_Tensor *h0 = lua_isnoneornil(L, 2) ? NULL : m1d_checktensor(L, 2);
  return m1d_pushtensor(L, m1d_gru(x, h0, m1d_checktensor(L, 3), m1d_checktensor(L, 4),
                                   m1d_checktensor(L, 5), m1d_checktensor(L, 6), lua_toboolean(L, 7)));
}

/* gru_backward(x, h0|nil, w_ih, w_hh, b_ih, b_hh, grad_output [, reverse])
   -> dx, dh0|nil, dw_ih, dw_hh, db_ih, db_hh */
static int l_gru_backward (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  m1d_Tensor *h0 = lua_isnoneornil(L, 2) ? NULL : m1d_checktensor(L, 2);
  m1d_Tensor *g[6];
  if (m1d_gru_backward(x, h0, m1d_checktensor(L, 3), m1d_checktensor(L, 4), m1d_checktensor(L, 5),
                       m1d_checktensor(L, 6), m1d_checktensor(L, 7), lua_toboolean(L, 8), g) < 0)
    return luaL_error(L, "%s", m1d_errmsg());
  for (int i = 0; i < 6; i++) {
    if (g[i]) m1d_pushtensor(L, g[i]);
    else lua_pushnil(L);
  }
  return 6;
}

/* lstm(x, h0|nil, c0|nil, w_ih, w_hh, b_ih|nil, b_hh|nil [, reverse]) -> [B, T, 2H];
   lstm_composed(...) the same made of ops */
static int lstm (lua_State *L, int composed) {
  m1d_Tensor *in[7];
  for (int i = 0; i < 7; i++) {
    int optional = i == 1 || i == 2 || i == 5 || i == 6;
    in[i] = optional && lua_isnoneornil(L, i + 1) ? NULL : m1d_checktensor(L, i + 1);
  }
  int rev = lua_toboolean(L, 8);
  return m1d_pushtensor(L, (composed ? m1d_lstm_composed : m1d_lstm)(in[0], in[1], in[2], in[3], in[4], in[5],
                                                                      in[6], rev));
}
static int l_lstm (lua_State *L) { return lstm(L, 0); }
static int l_lstm_composed (lua_State *L) { return lstm(L, 1); }

/* rnn(x, h0|nil, w_ih, w_hh, b_ih|nil, b_hh|nil [, nonlinearity = "tanh" [, reverse]]) -> [B, T, H];
   rnn_composed(...) the same made of ops */
static int rnn (lua_State *L, int composed) {
  m1d_Tensor *in[6];
  for (int i = 0; i < 6; i++) {
    int optional = i == 1 || i == 4 || i == 5;
    in[i] = optional && lua_isnoneornil(L, i + 1) ? NULL : m1d_checktensor(L, i + 1);
  }
  const char *nl = luaL_optstring(L, 7, "tanh");
  if (strcmp(nl, "tanh") != 0 && strcmp(nl, "relu") != 0)
    return luaL_error(L, "%s: nonlinearity (argument 7) must be \"tanh\" or \"relu\", got \"%s\"",
                      composed ? "rnn_composed" : "rnn", nl);
  int relu = strcmp(nl, "relu") == 0, rev = lua_toboolean(L, 8);
  return m1d_pushtensor(L, (composed ? m1d_rnn_composed : m1d_rnn)(in[0], in[1], in[2], in[3], in[4], in[5], relu,
                                                                    rev));
}
static int l_rnn (lua_State *L) { return rnn(L, 0); }
static int l_rnn_composed (lua_State *L) { return rnn(L, 1); }

/* pointwise_mlp(x, w1, b1, w2 [, nder = 0]) -> [nder + 1, x...]: g(x) and its derivatives */
static int l_pointwise_mlp (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  lua_Integer nder = luaL_optinteger(L, 5, 0);
  if (nder < 0 || nder > 3)     /* checked here too: a huge integer must not wrap into range as an int */
    return luaL_error(L, "pointwise_mlp: derivatives must be 0 to 3, got %I", nder);
  return m1d_pushtensor(L, m1d_pointwise_mlp(x, m1d_checktensor(L, 2), m1d_checktensor(L, 3),
                                             m1d_checktensor(L, 4), (int)nder));
}

/* tanh_hsum / tanh_xsum(x, a, b, c_or_w, orders): orders a list of integers, one per row */
static int tanh_sum (lua_State *L, const char *op, int xsum) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *a = m1d_checktensor(L, 2), *b = m1d_checktensor(L, 3),
             *cw = m1d_checktensor(L, 4);
  if (!lua_istable(L, 5))
    return luaL_error(L, "%s: orders (argument 5) must be a list of integers, one per row of %s, got %s",
                      op, xsum ? "w" : "c", luaL_typename(L, 5));
  lua_Integer R = luaL_len(L, 5);
  if (R < 1 || R > 4096) return luaL_error(L, "%s: orders must list 1 to 4096 orders, got %I", op, R);
  int *ord = lua_newuserdatauv(L, (size_t)R * sizeof *ord, 0);   /* collected on error */
  for (lua_Integer r = 1; r <= R; r++) {
    int isint;
    lua_geti(L, 5, r);
    lua_Integer o = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    if (!isint || o < 0 || o > M1D_TANH_MAXORDER)
      return luaL_error(L, "%s: orders must be integers 0 to %d, got %s at position %I", op, M1D_TANH_MAXORDER,
                        isint ? "a value out of range" : "a non-integer", r);
    ord[r - 1] = (int)o;
  }
  m1d_Tensor *out = xsum ? m1d_tanh_xsum(x, a, b, cw, (int)R, ord) : m1d_tanh_hsum(x, a, b, cw, (int)R, ord);
  return m1d_pushtensor(L, out);
}
static int l_tanh_hsum (lua_State *L) { return tanh_sum(L, "tanh_hsum", 0); }
static int l_tanh_xsum (lua_State *L) { return tanh_sum(L, "tanh_xsum", 1); }

static int l_cross_entropy (lua_State *L) {
  return m1d_pushtensor(L, m1d_cross_entropy(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}

/* cross_entropy_backward(x, labels, g) */
static int l_cross_entropy_backward (lua_State *L) {
  return m1d_pushtensor(L, m1d_cross_entropy_backward(m1d_checktensor(L, 1), m1d_checktensor(L, 2),
                                                      m1d_checktensor(L, 3)));
}

/* softmax_jvp(x, v) */
static int l_softmax_jvp (lua_State *L) {
  return m1d_pushtensor(L, m1d_softmax_jvp(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}
static int l_nll (lua_State *L) {
  return m1d_pushtensor(L, m1d_nll(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}
static int l_mse (lua_State *L) {
  return m1d_pushtensor(L, m1d_mse(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}
static int l_onehot (lua_State *L) {
  m1d_Tensor *y = m1d_checktensor(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2);
  if (k < 1) return luaL_error(L, "onehot: number of classes must be >= 1, got %d", (int)k);
  return m1d_pushtensor(L, m1d_onehot(y, k, m1d_checkdtype(L, 3, M1D_F32)));
}

static int check_rc (lua_State *L, int rc) {
  if (rc < 0) return luaL_error(L, "%s", m1d_errmsg());
  return 0;
}

static m1d_Tensor *opt_tensor (lua_State *L, int i) {
  return lua_isnoneornil(L, i) ? NULL : m1d_checktensor(L, i);
}

/* sgd_update(p, g, buf|nil, lr, momentum, dampening, weight_decay, nesterov, first) */
static int l_sgd_update (lua_State *L) {
  return check_rc(L, m1d_sgd_update(m1d_checktensor(L, 1), m1d_checktensor(L, 2), opt_tensor(L, 3),
                                    luaL_checknumber(L, 4), luaL_optnumber(L, 5, 0), luaL_optnumber(L, 6, 0),
                                    luaL_optnumber(L, 7, 0), lua_toboolean(L, 8), lua_toboolean(L, 9)));
}

/* adam_update(p, g, m, v, step, lr, beta1, beta2, eps, weight_decay, decoupled) */
static int l_adam_update (lua_State *L) {
  return check_rc(L, m1d_adam_update(m1d_checktensor(L, 1), m1d_checktensor(L, 2), m1d_checktensor(L, 3),
                                     m1d_checktensor(L, 4), luaL_checkinteger(L, 5), luaL_checknumber(L, 6),
                                     luaL_optnumber(L, 7, 0.9), luaL_optnumber(L, 8, 0.999),
                                     luaL_optnumber(L, 9, 1e-8), luaL_optnumber(L, 10, 0), lua_toboolean(L, 11)));
}

/* rmsprop_update(p, g, sq, lr, alpha, eps, weight_decay) */
static int l_rmsprop_update (lua_State *L) {
  return check_rc(L, m1d_rmsprop_update(m1d_checktensor(L, 1), m1d_checktensor(L, 2), m1d_checktensor(L, 3),
                                        luaL_checknumber(L, 4), luaL_optnumber(L, 5, 0.99),
                                        luaL_optnumber(L, 6, 1e-8), luaL_optnumber(L, 7, 0)));
}

/* OpenBLAS threads: 1 per process suits these tiny GEMMs (see README) */
static int l_set_num_threads (lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 1 || n > 1024)             /* (int)n of 2^40 was 0: OpenBLAS's default, silently */
    return luaL_error(L, "set_num_threads: need 1 to 1024 threads, got %I", n);
  openblas_set_num_threads((int)n);
  return 0;
}

static int l_get_num_threads (lua_State *L) {
  lua_pushinteger(L, openblas_get_num_threads());
  return 1;
}

/* blas_info() -> {core = "SkylakeX", chosen_by = "openblas"|"user"|"m1d", threads = 1} */
static int l_blas_info (lua_State *L) {
  static const char *const by[] = {"openblas", "user", "m1d"};
  lua_createtable(L, 0, 3);
  lua_pushstring(L, m1d_blas_corename());
  lua_setfield(L, -2, "core");
  lua_pushstring(L, by[m1d_blas_select_kernels()]);
  lua_setfield(L, -2, "chosen_by");
  lua_pushinteger(L, openblas_get_num_threads());
  lua_setfield(L, -2, "threads");
  return 1;
}

/* OpenBLAS's pthreads build (Debian's libopenblas0-pthread) stops its worker threads
   with this; absent from the OpenMP and serial builds, hence weak (NULL there). */
extern int blas_thread_shutdown_ (void) __attribute__((weak));

/* Default OpenBLAS to 1 thread: these GEMMs are tiny, and a second thread spinning
   on a 2-core box makes small-model steps 2x slower.  M1D_NUM_THREADS=n picks n;
   a user who set OPENBLAS_NUM_THREADS keeps that; m1d.set_num_threads(n) changes it later.
   At 1 thread the workers OpenBLAS started when it was loaded are stopped: each spins on
   sched_yield for its timeout (~0.1 s of system time per process, measured with perf
   on the meta-step loop of experiments/bench.lua) before it sleeps, and would never get work.  A later
   set_num_threads(n > 1) restarts them: OpenBLAS does at its next threaded call, as it
   does after a fork. */
static void default_threads (void) {
  const char *m = getenv("M1D_NUM_THREADS");
  if (m && atoi(m) >= 1) openblas_set_num_threads(atoi(m));
  else if (getenv("OPENBLAS_NUM_THREADS") == NULL) openblas_set_num_threads(1);
  if (openblas_get_num_threads() == 1 && blas_thread_shutdown_ != NULL) blas_thread_shutdown_();
}

/* bench_sgemm(m, n, k, reps) -> seconds per call of raw cblas_sgemm, C[m,n] = A[m,k] B[k,n]
   (the reference the benchmark compares m1d's achieved GFLOP/s against) */
static int l_bench_sgemm (lua_State *L) {
  lua_Integer m = luaL_checkinteger(L, 1), n = luaL_checkinteger(L, 2), k = luaL_checkinteger(L, 3);
  lua_Integer reps = luaL_optinteger(L, 4, 100);
  if (m < 1 || n < 1 || k < 1 || reps < 1 || m * k > (1 << 26) || k * n > (1 << 26) || m * n > (1 << 26))
    return luaL_error(L, "bench_sgemm: sizes and reps must be >= 1 (and matrices below 2^26 elements)");
  float *a = malloc(sizeof(float) * (size_t)(m * k)), *b = malloc(sizeof(float) * (size_t)(k * n));
  float *c = malloc(sizeof(float) * (size_t)(m * n));
  if (!a || !b || !c) { free(a); free(b); free(c); return luaL_error(L, "bench_sgemm: out of memory"); }
  for (lua_Integer i = 0; i < m * k; i++) a[i] = (float)((i % 7) - 3) * 0.1f;
  for (lua_Integer i = 0; i < k * n; i++) b[i] = (float)((i % 5) - 2) * 0.1f;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k,
              b, (int)n, 0.0f, c, (int)n);                       /* warm-up */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (lua_Integer r = 0; r < reps; r++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k,
                b, (int)n, 0.0f, c, (int)n);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  free(a); free(b); free(c);
  lua_pushnumber(L, ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)) / (double)reps);
  return 1;
}

void m1d_open_nn (lua_State *L) {
  m1d_blas_select_kernels();   /* before any GEMM: see blas_kernels.c */
  default_threads();
  static const luaL_Reg functions[] = {
    {"linear", l_linear}, {"conv1d", l_conv1d}, {"conv1d_composed", l_conv1d_composed},
    {"conv_transpose1d", l_conv_transpose1d}, {"conv1d_weight_grad", l_conv1d_weight_grad}, {"max_pool1d", l_max_pool1d},
    {"avg_pool1d", l_avg_pool1d}, {"lp_pool1d", l_lp_pool1d}, {"max_pool1d_composed", l_max_pool1d_composed},
    {"avg_pool1d_composed", l_avg_pool1d_composed}, {"lp_pool1d_composed", l_lp_pool1d_composed}, {"unfold1d", l_unfold1d}, {"gru", l_gru},
    {"layer_norm", l_layer_norm}, {"batch_norm", l_batch_norm},
    {"gru_backward", l_gru_backward}, {"lstm", l_lstm}, {"lstm_composed", l_lstm_composed},
    {"rnn", l_rnn}, {"rnn_composed", l_rnn_composed},
    {"pointwise_mlp", l_pointwise_mlp},
    {"tanh_hsum", l_tanh_hsum}, {"tanh_xsum", l_tanh_xsum},
    {"cross_entropy", l_cross_entropy}, {"cross_entropy_backward", l_cross_entropy_backward},
    {"softmax_jvp", l_softmax_jvp}, {"nll", l_nll}, {"mse", l_mse}, {"onehot", l_onehot},
    {"sgd_update", l_sgd_update}, {"adam_update", l_adam_update}, {"rmsprop_update", l_rmsprop_update},
    {"set_num_threads", l_set_num_threads}, {"get_num_threads", l_get_num_threads},
    {"blas_info", l_blas_info},
    {"bench_sgemm", l_bench_sgemm},
    {NULL, NULL}
  };
  luaL_setfuncs(L, functions, 0);
}
