/*
** l_mnist1d.c — the MNIST-1D generator from Lua (mnist1d.c does the work).
**
**   core.mnist1d_check(args)             -- raises "mnist1d: ..." on bad arguments
**   local d = core.mnist1d_generate(args)
**     -- d.x d.x_test d.t d.templates_x d.templates_t: float64 tensors
**     -- d.y d.y_test d.templates_y d.perm (d.seq_perm): int64 tensors (NumPy's
**     --   0-based values for perm), d.norm_mean, d.norm_std, d.dilated_len: numbers
**   core.mnist1d_permutation(n, seed)    -- np.random.seed(seed); np.random.permutation(n)
**   core.mnist1d_label_noise(y, frac, seed)
**
** args uses get_dataset_args()'s names; missing keys take the defaults, any
** other key is an error.  The generated arrays live in a userdata box with a
** __gc until they are copied into tensors, so a Lua error at any point frees
** them.
*/
#include <math.h>
#include <string.h>

#include "bind.h"
#include "mnist1d.h"
#include "rng.h"

#define BOX_MT "m1d.Mnist1dBox"

static const char *const argnames[] = {
  "num_samples", "train_split", "template_len", "padding", "scale_coeff", "max_translation",
  "corr_noise_scale", "iid_noise_scale", "shear_scale", "shuffle_seq", "final_seq_length", "seed", NULL,
};

static int64_t toint (lua_State *L, int i, const char *key) {
  if (lua_isinteger(L, i)) return (int64_t)lua_tointeger(L, i);
  if (lua_type(L, i) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, i);
    if (v == floor(v) && v >= -9.2e18 && v <= 9.2e18) return (int64_t)v;
    luaL_error(L, "mnist1d: %s must be an integer (got %f)", key, (double)v);
  }
  luaL_error(L, "mnist1d: %s must be an integer (got %s)", key, luaL_typename(L, i));
  return 0;
}

/* args table at index i -> a (defaults for missing keys) */
static void checkargs (lua_State *L, int i, m1d_Mnist1dArgs *a) {
  m1d_mnist1d_defaults(a);
  if (lua_isnoneornil(L, i)) return;
  luaL_checktype(L, i, LUA_TTABLE);
  i = lua_absindex(L, i);
  lua_pushnil(L);
  while (lua_next(L, i)) {
    int known = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (int k = 0; argnames[k] && !known; k++) known = strcmp(lua_tostring(L, -2), argnames[k]) == 0;
    if (!known) {
      if (lua_type(L, -2) == LUA_TSTRING)
        luaL_error(L, "mnist1d: unknown argument '%s'", lua_tostring(L, -2));
      luaL_error(L, "mnist1d: argument names must be strings (got a %s key)", luaL_typename(L, -2));
    }
    lua_pop(L, 1);
  }
  for (int k = 0; argnames[k]; k++) {
    const char *key = argnames[k];
    int t = lua_getfield(L, i, key);
    if (t == LUA_TNIL) { lua_pop(L, 1); continue; }
    if (!strcmp(key, "padding")) {
      if (t != LUA_TTABLE || luaL_len(L, -1) != 2)
        luaL_error(L, "mnist1d: padding must be a table {lo, hi} of two integers");
      lua_geti(L, -1, 1); a->padding[0] = toint(L, -1, "padding[1]"); lua_pop(L, 1);
      lua_geti(L, -1, 2); a->padding[1] = toint(L, -1, "padding[2]"); lua_pop(L, 1);
    } else if (!strcmp(key, "shuffle_seq")) {
      if (t != LUA_TBOOLEAN) luaL_error(L, "mnist1d: shuffle_seq must be a boolean (got %s)", luaL_typename(L, -1));
      a->shuffle_seq = lua_toboolean(L, -1);
    } else if (!strcmp(key, "train_split") || !strcmp(key, "scale_coeff") || !strcmp(key, "corr_noise_scale")
               || !strcmp(key, "iid_noise_scale") || !strcmp(key, "shear_scale")) {
      if (t != LUA_TNUMBER) luaL_error(L, "mnist1d: %s must be a number (got %s)", key, luaL_typename(L, -1));
      double v = (double)lua_tonumber(L, -1);
      if (!strcmp(key, "train_split")) a->train_split = v;
      else if (!strcmp(key, "scale_coeff")) a->scale_coeff = v;
      else if (!strcmp(key, "corr_noise_scale")) a->corr_noise_scale = v;
      else if (!strcmp(key, "iid_noise_scale")) a->iid_noise_scale = v;
      else a->shear_scale = v;
    } else {
      int64_t v = toint(L, -1, key);
      if (!strcmp(key, "num_samples")) a->num_samples = v;
      else if (!strcmp(key, "template_len")) a->template_len = v;
      else if (!strcmp(key, "max_translation")) a->max_translation = v;
      else if (!strcmp(key, "final_seq_length")) a->final_seq_length = v;
      else a->seed = v;
    }
    lua_pop(L, 1);
  }
}

static int l_check (lua_State *L) {
  m1d_Mnist1dArgs a;
  checkargs(L, 1, &a);
  if (m1d_mnist1d_check(&a) != 0) return luaL_error(L, "%s", m1d_errmsg());
  lua_pushboolean(L, 1);
  return 1;
}

static int box_gc (lua_State *L) {
  m1d_mnist1d_free((m1d_Mnist1d *)luaL_checkudata(L, 1, BOX_MT));
  return 0;
}

/* Copy n elements into a new tensor of shape and set it as field name of the table at -2. */
static void setfield_tensor (lua_State *L, const char *name, m1d_DType dt, int ndim,
                             int64_t d0, int64_t d1, const void *data) {
  int64_t shape[2] = {d0, d1};
  LTensor *h = m1d_newhandle(L);
  h->t = m1d_empty(dt, ndim, shape);
  if (h->t == NULL) luaL_error(L, "mnist1d: %s", m1d_errmsg());
  size_t n = (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
  if (n) memcpy(m1d_data(h->t), data, n * m1d_dtype_size(dt));
  lua_setfield(L, -2, name);
}

static int l_generate (lua_State *L) {
  m1d_Mnist1dArgs a;
  checkargs(L, 1, &a);
  m1d_Mnist1d *d = lua_newuserdatauv(L, sizeof *d, 0);
  memset(d, 0, sizeof *d);
  if (luaL_newmetatable(L, BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  if (m1d_mnist1d_generate(&a, d) != 0) return luaL_error(L, "%s", m1d_errmsg());
  lua_createtable(L, 0, 14);
  setfield_tensor(L, "x", M1D_F64, 2, d->n_train, d->len, d->x);
  setfield_tensor(L, "y", M1D_I64, 1, d->n_train, 0, d->y);
  setfield_tensor(L, "x_test", M1D_F64, 2, d->n_test, d->len, d->x_test);
  setfield_tensor(L, "y_test", M1D_I64, 1, d->n_test, 0, d->y_test);
  setfield_tensor(L, "t", M1D_F64, 1, d->len, 0, d->t);
  setfield_tensor(L, "templates_x", M1D_F64, 2, 10, 12, d->templates_x);
  setfield_tensor(L, "templates_t", M1D_F64, 1, 12, 0, d->templates_t);
  setfield_tensor(L, "templates_y", M1D_I64, 1, 10, 0, d->templates_y);
  setfield_tensor(L, "perm", M1D_I64, 1, d->n_total, 0, d->perm);
  if (d->seq_perm) setfield_tensor(L, "seq_perm", M1D_I64, 1, d->len, 0, d->seq_perm);
  lua_pushnumber(L, d->norm_mean); lua_setfield(L, -2, "norm_mean");
  lua_pushnumber(L, d->norm_std); lua_setfield(L, -2, "norm_std");
  lua_pushinteger(L, d->dilated_len); lua_setfield(L, -2, "dilated_len");
  m1d_mnist1d_free(d);                  /* now; the box's __gc then finds nothing */
  m1d_reportmem(L);
  return 1;
}

static uint32_t checkseed (lua_State *L, int i) {
  lua_Integer s = luaL_checkinteger(L, i);
  if (s < 0 || s > 4294967295LL) luaL_error(L, "seed must be in 0 .. 2^32-1 (got %I)", s);
  return (uint32_t)s;
}

/* NumPy's values (0-based), as an int64 tensor. */
static int l_permutation (lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  uint32_t seed = checkseed(L, 2);
  if (n < 0 || n > ((lua_Integer)1 << 40)) luaL_error(L, "permutation: bad size %I", n);
  int64_t shape[1] = {(int64_t)n};
  LTensor *h = m1d_newhandle(L);
  h->t = m1d_empty(M1D_I64, 1, shape);
  if (h->t == NULL) return luaL_error(L, "permutation: %s", m1d_errmsg());
  m1d_Rng r;
  m1d_rng_seed(&r, seed);
  m1d_rng_permutation(&r, (int64_t)n, m1d_data(h->t));
  m1d_reportmem(L);
  return 1;
}

/* The recipe of the paper's double-descent experiment (and the peer scripts):
   rng = RandomState(seed); for each i: if rng.random_sample() < frac: y[i] = rng.randint(0, 10). */
static int l_label_noise (lua_State *L) {
  m1d_Tensor *y = m1d_checktensor(L, 1);
  lua_Number frac = luaL_checknumber(L, 2);
  uint32_t seed = checkseed(L, 3);
  if (y->dtype != M1D_I64 || y->ndim != 1)
    return luaL_error(L, "label_noise: labels must be a 1-d int64 tensor (got %s %s)",
                      m1d_dtype_name(y->dtype), m1d_shapestr(y).s);
  if (!(frac >= 0 && frac <= 1)) return luaL_error(L, "label_noise: fraction must be in [0, 1] (got %f)", frac);
  LTensor *h = m1d_newhandle(L);
  h->t = m1d_clone_raw(y);
  if (h->t == NULL) return luaL_error(L, "label_noise: %s", m1d_errmsg());
  int64_t *v = m1d_data(h->t), n = y->shape[0];
  m1d_Rng r;
  m1d_rng_seed(&r, seed);
  for (int64_t i = 0; i < n; i++)
    if (m1d_rng_double(&r) < frac) v[i] = (int64_t)m1d_rng_interval(&r, 9);
  m1d_reportmem(L);
  return 1;
}

void m1d_open_mnist1d (lua_State *L) {
  static const luaL_Reg fns[] = {
    {"mnist1d_check", l_check},
    {"mnist1d_generate", l_generate},
    {"mnist1d_permutation", l_permutation},
    {"mnist1d_label_noise", l_label_noise},
    {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
}
