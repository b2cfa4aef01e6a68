/*
** test_reliability.c — regressions for the bugs make check-asan, the fuzzers and the
** bad-input test found in the C runtime, called through the C API (the Lua side is
** tests/lua/bad_input_test.lua).  Each would crash, read out of bounds, or hit undefined
** behaviour (which UBSan in make check-asan turns into a failure) if it came back; here
** each must fail cleanly with a message naming the op, or give the defined result.
** The fuzzers' saved inputs are replayed too (tests/fuzz/regressions/).
** Run from the repository root.
*/
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "slurp.h"
#include "modelfile.h"
#include "npy.h"
#include "ops.h"
#include "optim.h"
#include "sha256.h"
#include "tensor.h"

static int has (const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* t == NULL and the message contains sub; frees t otherwise */
static int fails (m1d_Tensor *t, const char *sub) {
  if (t) { m1d_decref(t); return 0; }
  return has(m1d_errmsg(), sub);
}

static m1d_Tensor *vec (m1d_DType dt, int n, const double *v) {
  int64_t shape[1] = {n};
  m1d_Tensor *t = m1d_empty(dt, 1, shape);
  for (int64_t i = 0; i < n; i++) m1d_set(t, &i, v[i]);
  return t;
}

/* what fuzz_npy does with an input: read it, make the tensor, sum it */
static int replay_npy (const char *data, size_t len) {
  m1d_NpyArray a;
  if (m1d_npy_read_mem("r.npy", data, len, &a) != 0) return has(m1d_errmsg(), "load_npy: r.npy: ");
  m1d_Tensor *t = m1d_empty((m1d_DType)a.dtype, a.ndim, a.shape);
  int ok = 1;
  if (t) {
    if (a.nbytes) memcpy(m1d_data(t), a.data, a.nbytes);
    m1d_Tensor *s = m1d_sum(t);
    ok = s != NULL;
    m1d_decref(s);
    m1d_decref(t);
  }
  m1d_npy_free(&a);
  return ok;
}

/* what fuzz_modelfile does: a control byte (bit 0: fix the SHA-256 trailer), then the file */
static int replay_model (const char *data, size_t len) {
  if (len < 1) return 1;
  size_t n = len - 1;
  unsigned char *buf = malloc(n ? n : 1);
  memcpy(buf, data + 1, n);
  if ((data[0] & 1) && n >= 32) {
    m1d_Sha256 sh;
    m1d_sha256_init(&sh);
    m1d_sha256_update(&sh, buf, n - 32);
    m1d_sha256_final(&sh, buf + n - 32);
  }
  m1d_ModelFile m;
  int ok;
  if (m1d_model_load_mem("r.m1d", buf, n, &m) != 0) ok = has(m1d_errmsg(), "load: r.m1d: ");
  else { ok = 1; m1d_model_free(&m); }
  free(buf);
  return ok;
}

static void replay_dir (const char *dir, int (*fn) (const char *, size_t)) {
  DIR *d = opendir(dir);
  if (d == NULL) { ok(1, "# SKIP no %s", dir); return; }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *data = slurp(path, &len);
    ok(data && fn(data, len), "fuzz regression %s replays cleanly", path);
    free(data);
  }
  closedir(d);
}

int main (void) {
  /* shapes: sizes that overflow int64 or size_t, even for empty tensors */
  int64_t s1[3] = {0, (int64_t)1 << 62, (int64_t)1 << 62};
  ok(fails(m1d_empty(M1D_F32, 3, s1), "too large"), "empty [0, 2^62, 2^62]: strides would overflow");
  int64_t s2[2] = {(int64_t)1 << 40, (int64_t)1 << 40};
  ok(fails(m1d_zeros(M1D_F32, 2, s2), "too large"), "zeros [2^40, 2^40]");
  int64_t s3[1] = {(int64_t)120000000000000};
  ok(fails(m1d_empty(M1D_F64, 1, s3), "out of memory"), "1.2e14 float64s: out of memory, an error");
  int64_t one[2] = {1, 1};
  m1d_Tensor *u = m1d_zeros(M1D_F32, 2, one);
  ok(fails(m1d_expand(u, 2, s2), "expand"), "expand [1,1] to [2^40, 2^40]");
  m1d_decref(u);
  int64_t s34[2] = {3, 4};
  m1d_Tensor *x = m1d_zeros(M1D_F32, 2, s34);
  ok(fails(m1d_reshape(x, 2, s2), "reshape"), "reshape [3,4] to [2^40, 2^40]: no overflow in the product");
  ok(fails(m1d_arange(M1D_F32, 0, INFINITY, 1), "too many"), "arange(0, inf)");

  /* narrow and select near the int64 limits */
  ok(fails(m1d_narrow(x, 0, INT64_MAX, 1), "narrow"), "narrow start 2^63-1 (start + len wrapped)");
  ok(fails(m1d_narrow(x, 0, 1, INT64_MAX), "narrow"), "narrow length 2^63-1");
  ok(fails(m1d_narrow(x, 0, INT64_MIN, 1), "narrow"), "narrow start -2^63");
  ok(fails(m1d_select(x, 0, INT64_MAX), "select"), "select index 2^63-1");
  double zero1[1] = {0};
  m1d_Tensor *imax = vec(M1D_I64, 1, zero1);
  ((int64_t *)m1d_data(imax))[0] = INT64_MAX;
  ok(fails(m1d_index_select(x, 0, imax), "index_select"), "index_select index 2^63-1");
  ok(fails(m1d_gather(x, 0, imax), "gather"), "gather index 2^63-1");
  m1d_decref(imax);

  /* windows with huge kernels and paddings; a huge stride is one window */
  int64_t s125[3] = {1, 2, 5};
  m1d_Tensor *w = m1d_zeros(M1D_F32, 3, s125);
  ok(fails(m1d_unfold1d(w, 2, 1, (int64_t)1 << 61), "too large"), "unfold1d padding 2^61 (L + 2p overflowed)");
  ok(fails(m1d_unfold1d(w, (int64_t)1 << 62, 1, 0), "unfold1d"), "unfold1d kernel 2^62");
  m1d_Tensor *one_window = m1d_unfold1d(w, 2, (int64_t)1 << 62, 0);
  ok(one_window && one_window->shape[2] == 1, "unfold1d with stride 2^62 gives one window");
  m1d_decref(one_window);
  ok(fails(m1d_max_pool1d(w, 2, INT64_MIN, M1D_NCL), "max_pool1d"), "max_pool1d stride -2^63");
  m1d_decref(w);

  /* stack past 8 dims names stack */
  int64_t s8[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  m1d_Tensor *e8 = m1d_zeros(M1D_F32, 8, s8);
  m1d_Tensor *pair[2] = {e8, e8};
  ok(fails(m1d_stack(2, pair, 0), "stack:"), "stack of 8-dim tensors: the message is stack's");
  m1d_decref(e8);

  /* int64 arithmetic: division by zero is an error (it was SIGFPE), overflow wraps */
  double iv[3] = {1, 7, -7}, zv[1] = {0}, bigv[2] = {4611686018427387904.0, -9223372036854775808.0};
  m1d_Tensor *ia = vec(M1D_I64, 3, iv), *iz = vec(M1D_I64, 1, zv), *ib = vec(M1D_I64, 2, bigv);
  ok(fails(m1d_div(ia, iz), "division by zero"), "int64 / int64 zero: an error, not SIGFPE");
  m1d_Tensor *sum = m1d_add(ib, ib);
  ok(sum && ((int64_t *)m1d_data(sum))[0] == INT64_MIN && ((int64_t *)m1d_data(sum))[1] == 0,
     "int64 add wraps around as NumPy's");
  m1d_decref(sum);
  double m1v[1] = {-1};
  m1d_Tensor *im1 = vec(M1D_I64, 1, m1v);
  m1d_Tensor *q = m1d_div(ib, im1);
  ok(q && ((int64_t *)m1d_data(q))[1] == INT64_MIN, "INT64_MIN / -1 wraps (it trapped)");
  m1d_decref(q);
  /* int64 sums are exact and wrap (a double accumulator rounded, and converting back was UB) */
  double three[3] = {4611686018427387904.0, 4611686018427387904.0, 4611686018427387904.0};
  m1d_Tensor *i3 = vec(M1D_I64, 3, three);
  int64_t col[2] = {3, 1};
  m1d_Tensor *i31 = m1d_reshape(i3, 2, col);
  m1d_Tensor *st = m1d_sum(i3), *sd = m1d_sum_dim(i31, 0, 0);
  ok(st && ((int64_t *)m1d_data(st))[0] == -4611686018427387904LL, "int64 sum of 3 * 2^62 wraps like NumPy");
  ok(sd && ((int64_t *)m1d_data(sd))[0] == -4611686018427387904LL, "int64 sum over a dim too");
  m1d_decref(st); m1d_decref(sd); m1d_decref(i31); m1d_decref(i3);
  double odd[2] = {9007199254740993.0, 0};   /* 2^53 + 1 is not a double; set exactly below */
  m1d_Tensor *i2 = vec(M1D_I64, 2, odd);
  ((int64_t *)m1d_data(i2))[0] = ((int64_t)1 << 53) + 1;
  ((int64_t *)m1d_data(i2))[1] = 2;
  m1d_Tensor *s2s = m1d_sum(i2);
  ok(s2s && ((int64_t *)m1d_data(s2s))[0] == ((int64_t)1 << 53) + 3, "int64 sum beyond 2^53 is exact");
  m1d_decref(s2s); m1d_decref(i2);

  /* double -> int64 is defined for every double */
  ok(m1d_d2i(NAN) == INT64_MIN && m1d_d2i(1e300) == INT64_MIN && m1d_d2i(-1e300) == INT64_MIN &&
     m1d_d2i(-9223372036854775808.0) == INT64_MIN && m1d_d2i(-2.5) == -2 && m1d_d2i(3.9) == 3,
     "m1d_d2i: NaN and out-of-range values give INT64_MIN, others truncate");
  m1d_Tensor *scaled = m1d_affine(ia, 1e300, 0);
  ok(scaled && ((int64_t *)m1d_data(scaled))[0] == INT64_MIN, "int64 * 1e300 is defined");
  m1d_decref(scaled);
  double nanv[1] = {NAN};
  m1d_Tensor *fn = vec(M1D_F32, 1, nanv);
  m1d_Tensor *cast = m1d_cast(fn, M1D_I64);
  ok(cast && ((int64_t *)m1d_data(cast))[0] == INT64_MIN, "casting NaN to int64 is defined");
  m1d_decref(cast);
  m1d_Tensor *ex = m1d_exp(fn);
  ok(ex && isnan(((float *)m1d_data(ex))[0]), "float32 exp of NaN is NaN (no NaN reaches an int cast)");
  m1d_decref(ex);
  m1d_decref(fn);
  m1d_decref(ia); m1d_decref(iz); m1d_decref(ib); m1d_decref(im1);

  /* NaN parameters */
  ok(fails(m1d_clamp(x, NAN, 1), "clamp"), "clamp with a NaN min");
  ok(fails(m1d_elu(x, NAN), "elu"), "elu with a NaN alpha");
  ok(fails(m1d_softplus(x, 1, NAN), "softplus"), "softplus with a NaN threshold");
  int64_t i64s[2] = {3, 4};
  m1d_Tensor *xi = m1d_zeros(M1D_I64, 2, i64s);
  ok(fails(m1d_mse(xi, xi), "mse"), "mse of int64: the message names mse");
  m1d_decref(xi);
  m1d_Tensor *g = m1d_zeros(M1D_F32, 2, s34);
  ok(m1d_sgd_update(x, g, NULL, NAN, 0, 0, 0, 0, 1) < 0 && has(m1d_errmsg(), "sgd: lr"), "sgd_update with lr NaN");
  ok(m1d_adam_update(x, g, g, g, 1, 0.1, 1.0, 0.9, 1e-8, 0, 0) < 0 && has(m1d_errmsg(), "beta1"),
     "adam_update with beta1 = 1");
  ok(m1d_rmsprop_update(x, g, g, 0.1, NAN, 1e-8, 0) < 0 && has(m1d_errmsg(), "alpha"), "rmsprop_update alpha NaN");
  m1d_decref(g);
  m1d_decref(x);

  /* the fuzzers' findings (an int64 sum out of range, a model tensor too large to allocate) */
  replay_dir("tests/fuzz/regressions/fuzz_npy", replay_npy);
  replay_dir("tests/fuzz/regressions/fuzz_modelfile", replay_model);
  return done_testing();
}
