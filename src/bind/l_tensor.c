/*
** l_tensor.c — tensors as Lua userdata: creation, views, math, printing.
**
** A handle (LTensor) owns one reference to a C tensor; __gc and __close share
** one idempotent release, so `local t <close> = ...` and t:release() free
** memory at once.  Every allocation is reported to the collector (reportmem),
** so loops that make fresh tensors stay bounded without collectgarbage().
** Dims and indices are 1-based here (negative dims count from the end); the
** C runtime below is 0-based.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "bind.h"
#include "ops.h"
#include "rng.h"

/* ---------------------------------------------------------------- handles */

static uint64_t reported_bytes = 0;
static uint64_t unreported_rem = 0;

/* Tensor storage lives outside Lua's heap, so the collector hears of it here: new
   storage counts as allocation and drives incremental steps.  Lua starts a cycle once
   its heap has grown by its size (pause 200 %); the allocation is scaled by
   heap / (heap + live tensor bytes) so that, likewise, a cycle comes once tensor
   memory has grown by about heap plus live tensor bytes.  Reported unscaled, a
   training step of the paper's MLP ran several full cycles over the 160 KB heap
   (9 % of its instructions); scaled, garbage still stays within a small multiple of
   what is live (load_test.lua). */
void m1d_reportmem (lua_State *L) {
  m1d_MemStats ms = m1d_memstats();
  if (ms.bytes_allocated <= reported_bytes) return;
  double heap = (double)lua_gc(L, LUA_GCCOUNT, 0) * 1024.0 + (double)lua_gc(L, LUA_GCCOUNTB, 0);
  double scale = heap / (heap + (double)ms.bytes_live);
  uint64_t delta = (uint64_t)((double)(ms.bytes_allocated - reported_bytes) * scale) + unreported_rem;
  reported_bytes = ms.bytes_allocated;
  if (delta < 1024) { unreported_rem = delta; return; }
  unreported_rem = delta % 1024;
  lua_gc(L, LUA_GCSTEP, (int)(delta / 1024 > 1000000 ? 1000000 : delta / 1024));
}

/* The tensor metatable and its method table, also kept in the registry under these
   addresses: the hot paths (a handle per result, a type check per argument, a method
   lookup per call) fetch them with lua_rawgetp.  By name (luaL_setmetatable,
   luaL_checkudata, lua_getfield) each fetch re-interned a C string through Lua's string
   cache, whose hits depend on where the literals lie in memory: one build made 60 % more
   strcmp calls than the next, 1.5 % of a training step's instructions. */
static const char tensor_mt_key = 0, methods_key = 0;

static void set_tensor_mt (lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);
  lua_setmetatable(L, -2);
}

/* the handle at index i if it is a tensor's, else NULL (luaL_testudata) */
static LTensor *test_handle (lua_State *L, int i) {
  LTensor *h = lua_touserdata(L, i);
  if (h == NULL || !lua_getmetatable(L, i)) return NULL;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? h : NULL;
}

static LTensor *check_handle (lua_State *L, int i) {
  LTensor *h = test_handle(L, i);
  if (h == NULL) luaL_typeerror(L, i, M1D_TENSOR_MT);
  return h;
}

LTensor *m1d_newhandle (lua_State *L) {
  LTensor *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->t = NULL;
  set_tensor_mt(L);
  return h;
}

/* anomaly mode: a fresh result (its storage its own: not a view) that recorded nothing,
   named by the Lua function running (x:log(), a / b -> "div", m1d.matmul) */
static int unrecorded_anomaly (lua_State *L, m1d_Tensor *t) {
  if (t->grad_fn || t->storage->refs != 1) return 0;
  lua_Debug ar;
  const char *name = NULL;
  if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar)) name = ar.name;
  return m1d_check_anomaly(name ? name : "an op", t);
}

int m1d_pushtensor (lua_State *L, m1d_Tensor *t) {
  if (t && m1d_anomaly_enabled() && unrecorded_anomaly(L, t) < 0) { m1d_decref(t); t = NULL; }
  return m1d_pushdata(L, t);
}

int m1d_pushdata (lua_State *L, m1d_Tensor *t) {
  if (t == NULL) return luaL_error(L, "%s", m1d_errmsg());
  LTensor *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->t = t;
  set_tensor_mt(L);
  m1d_reportmem(L);
  return 1;
}

m1d_Tensor *m1d_testtensor (lua_State *L, int i) {
  LTensor *h = test_handle(L, i);
  if (h && h->t == NULL) luaL_argerror(L, i, "tensor was released");
  return h ? h->t : NULL;
}

m1d_Tensor *m1d_checktensor (lua_State *L, int i) {
  LTensor *h = check_handle(L, i);
  if (h->t == NULL) luaL_argerror(L, i, "tensor was released");
  return h->t;
}

static int t_release (lua_State *L) {
  LTensor *h = check_handle(L, 1);
  m1d_decref(h->t);
  h->t = NULL;
  return 0;
}

m1d_DType m1d_checkdtype (lua_State *L, int i, m1d_DType def) {
  if (lua_isnoneornil(L, i)) return def;
  static const char *const names[] = {"float32", "float64", "int64", "float", "double", "long", NULL};
  static const m1d_DType vals[] = {M1D_F32, M1D_F64, M1D_I64, M1D_F32, M1D_F64, M1D_I64};
  return vals[luaL_checkoption(L, i, NULL, names)];
}

int m1d_checkdim (lua_State *L, int arg, int ndim, const char *op) {
  lua_Integer d = luaL_checkinteger(L, arg);
  if (d < 0) d += ndim + 1;
  if (d < 1 || d > ndim)
    return luaL_error(L, "%s: dim %I out of range for a %d-dim tensor", op, luaL_checkinteger(L, arg), ndim);
  return (int)d - 1;
}

/* dim where 1..ndim+1 is valid (unsqueeze, stack) */
static int checkdim_insert (lua_State *L, int arg, int ndim, const char *op) {
  lua_Integer d = luaL_checkinteger(L, arg);
  if (d < 0) d += ndim + 2;
  if (d < 1 || d > ndim + 1)
    return luaL_error(L, "%s: dim %I out of range for a %d-dim tensor", op, luaL_checkinteger(L, arg), ndim);
  return (int)d - 1;
}

static int64_t checksize (lua_State *L, int arg, const char *op) {
  int isnum;
  lua_Integer v = lua_tointegerx(L, arg, &isnum);
  if (!isnum) {
    if (lua_type(L, arg) == LUA_TNUMBER)
      return luaL_error(L, "%s: size %s is not an integer", op, lua_tostring(L, arg));
    return luaL_error(L, "%s: expected sizes as integers, got %s", op, luaL_typename(L, arg));
  }
  return (int64_t)v;
}

int m1d_checkshape (lua_State *L, int i, int64_t *shape, const char *op) {
  int n = 0;
  if (lua_istable(L, i) && !luaL_testudata(L, i, M1D_TENSOR_MT)) {
    n = (int)luaL_len(L, i);
    if (n > M1D_MAXDIM) return luaL_error(L, "%s: %d dims given, at most %d", op, n, M1D_MAXDIM);
    for (int k = 1; k <= n; k++) {
      lua_geti(L, i, k);
      shape[k - 1] = checksize(L, -1, op);
      lua_pop(L, 1);
    }
    return n;
  }
  while (lua_type(L, i + n) == LUA_TNUMBER) {
    if (n == M1D_MAXDIM) return luaL_error(L, "%s: at most %d dims", op, M1D_MAXDIM);
    shape[n] = checksize(L, i + n, op);
    n++;
  }
  /* An explicit nil where a size stands (zeros(nil, 5), randn(nil), zeros(3, nil, 5),
     ones(2, nil, "float64")) is a misspelt or unset variable, not the end of the shape:
     silently it gave a 0-d tensor or dropped what came after it.  A last nil after the
     sizes (randn(5, nil)) is an absent dtype. */
  if (lua_type(L, i + n) == LUA_TNIL) {
    int later = 0;
    for (int j = i + n + 1; j <= lua_gettop(L) && !later; j++) later = !lua_isnil(L, j);
    if (n == 0 || later)
      return luaL_error(L, "%s: size %d is nil (expected an integer: a misspelt or unset variable?)", op, n + 1);
  }
  return n;
}

/* index after the shape arguments starting at i */
static int after_shape (lua_State *L, int i) {
  if (lua_istable(L, i) && !luaL_testudata(L, i, M1D_TENSOR_MT)) return i + 1;
  while (lua_type(L, i) == LUA_TNUMBER) i++;
  return i;
}

/* options after the shape: a dtype string or a table {dtype=..., requires_grad=...} */
static m1d_DType opt_dtype (lua_State *L, int i, m1d_DType def, int *requires_grad) {
  if (requires_grad) *requires_grad = 0;
  if (lua_type(L, i) == LUA_TSTRING) return m1d_checkdtype(L, i, def);
  if (lua_istable(L, i)) {
    lua_getfield(L, i, "dtype");
    m1d_DType dt = m1d_checkdtype(L, -1, def);
    lua_pop(L, 1);
    if (requires_grad) {
      lua_getfield(L, i, "requires_grad");
      *requires_grad = lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
    return dt;
  }
  if (!lua_isnoneornil(L, i)) luaL_argerror(L, i, "expected a dtype name or an options table");
  return def;
}

static int push_with_opts (lua_State *L, m1d_Tensor *t, int requires_grad) {
  if (t && requires_grad && m1d_set_requires_grad(t, 1) < 0) { m1d_decref(t); t = NULL; }
  return m1d_pushdata(L, t);
}

/* ---------------------------------------------------------------- element values */

/* int64 elements cross between Lua and C as integers, never through a double, so values
   beyond 2^53 stay exact; a float that int64 cannot hold (NaN, inf, |v| >= 2^63) is an
   error rather than whatever the conversion gives. */
static int64_t *i64_at (const m1d_Tensor *t, const int64_t *idx) {
  int64_t o = t->offset;
  for (int d = 0; d < t->ndim; d++) o += idx[d] * t->stride[d];
  return (int64_t *)t->storage->data + o;
}

/* the Lua number at index i as an int64 element (raises if it cannot be one) */
static int64_t checkint64 (lua_State *L, int i, const char *op) {
  if (lua_isinteger(L, i)) return (int64_t)lua_tointeger(L, i);
  lua_Number v = luaL_checknumber(L, i);
  if (!(v >= -0x1p63 && v < 0x1p63))
    luaL_error(L, "%s: %s cannot be stored in an int64 tensor", op, lua_tostring(L, i));
  return (int64_t)v;
}

/* t[idx] = the number at Lua index i */
static void setvalue (lua_State *L, m1d_Tensor *t, const int64_t *idx, int i, const char *op) {
  if (t->dtype == M1D_I64) *i64_at(t, idx) = checkint64(L, i, op);
  else m1d_set(t, idx, luaL_checknumber(L, i));
}

/* every element of t = the number at Lua index i */
static void fillvalue (lua_State *L, m1d_Tensor *t, int i, const char *op) {
  if (t->dtype != M1D_I64) { m1d_fill(t, luaL_checknumber(L, i)); return; }
  int64_t v = checkint64(L, i, op), n = m1d_numel(t);
  m1d_Iter it;
  m1d_iter_init(&it, t->ndim, t->shape, t, NULL, NULL);
  for (int64_t k = 0; k < n; k++, m1d_iter_next(&it)) ((int64_t *)t->storage->data)[it.o0] = v;
}

/* ---------------------------------------------------------------- from Lua tables */

static void table_shape (lua_State *L, int i, int *ndim, int64_t *shape) {
  *ndim = 0;
  lua_pushvalue(L, i);
  while (lua_istable(L, -1) && !luaL_testudata(L, -1, M1D_TENSOR_MT)) {
    if (*ndim == M1D_MAXDIM) luaL_error(L, "tensor: nested table deeper than %d", M1D_MAXDIM);
    shape[(*ndim)++] = (int64_t)luaL_len(L, -1);
    lua_geti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
}

static void fill_from_table (lua_State *L, int i, m1d_Tensor *t, int depth, int64_t *idx) {
  int64_t n = (int64_t)luaL_len(L, i);
  if (n != t->shape[depth] || !lua_istable(L, i))
    luaL_error(L, "tensor: ragged nested table (dim %d has %I elements, expected %I)", depth + 1,
               (lua_Integer)n, (lua_Integer)t->shape[depth]);
  for (int64_t k = 0; k < n; k++) {
    lua_geti(L, i, k + 1);
    idx[depth] = k;
    if (depth + 1 < t->ndim) {
      if (!lua_istable(L, -1)) luaL_error(L, "tensor: ragged nested table at depth %d", depth + 2);
      fill_from_table(L, lua_gettop(L), t, depth + 1, idx);
    } else {
      if (lua_type(L, -1) != LUA_TNUMBER && !lua_isnumber(L, -1))
        luaL_error(L, "tensor: element %d at depth %d is a %s, not a number", (int)k + 1, depth + 1,
                   luaL_typename(L, -1));
      setvalue(L, t, idx, lua_gettop(L), "tensor");
    }
    lua_pop(L, 1);
  }
}

m1d_Tensor *m1d_totensor (lua_State *L, int i, m1d_DType dt) {
  m1d_Tensor *t = m1d_testtensor(L, i);
  if (t) { m1d_incref(t); return t; }
  if (lua_type(L, i) == LUA_TNUMBER) {
    if (dt != M1D_I64) return m1d_scalar(dt, lua_tonumber(L, i));
    int64_t v = checkint64(L, i, "tensor");
    t = m1d_empty(M1D_I64, 0, NULL);
    if (t) *(int64_t *)m1d_data(t) = v;
    return t;
  }
  if (!lua_istable(L, i)) {
    luaL_typeerror(L, i, "tensor, number or table");
    return NULL;
  }
  int ndim;
  int64_t shape[M1D_MAXDIM], idx[M1D_MAXDIM];
  table_shape(L, i, &ndim, shape);
  t = m1d_empty(dt, ndim, shape);
  if (t == NULL) luaL_error(L, "%s", m1d_errmsg());
  /* keep t owned by a handle while filling, so a ragged-table error cannot leak it */
  LTensor *h = m1d_newhandle(L);
  h->t = t;
  if (m1d_numel(t) > 0) fill_from_table(L, i < 0 ? i - 1 : i, t, 0, idx);
  m1d_incref(t);
  lua_pop(L, 1);
  return t;
}

/* ---------------------------------------------------------------- creation */

static int l_tensor (lua_State *L) {
  int rg;
  m1d_DType dt = opt_dtype(L, 2, M1D_F32, &rg);
  m1d_Tensor *src = m1d_testtensor(L, 1);
  if (src) return push_with_opts(L, m1d_cast_raw(src, dt), rg);
  return push_with_opts(L, m1d_totensor(L, 1, dt), rg);
}

static int create (lua_State *L, const char *op, double v, int empty) {
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 1, shape, op), rg;
  m1d_DType dt = opt_dtype(L, after_shape(L, 1), M1D_F32, &rg);
  if (m1d_check_shape(op, n, shape) < 0) return luaL_error(L, "%s", m1d_errmsg());
  return push_with_opts(L, empty ? m1d_empty(dt, n, shape) : m1d_full(dt, n, shape, v), rg);
}

static int l_zeros (lua_State *L) { return create(L, "zeros", 0, 0); }
static int l_ones (lua_State *L) { return create(L, "ones", 1, 0); }
static int l_empty (lua_State *L) { return create(L, "empty", 0, 1); }

static int l_full (lua_State *L) {
  int64_t shape[M1D_MAXDIM];
  int n, rg;
  if (lua_istable(L, 1)) n = m1d_checkshape(L, 1, shape, "full");
  else return luaL_error(L, "full: call as m1d.full({sizes}, value [, dtype])");
  double v = luaL_checknumber(L, 2);
  m1d_DType dt = opt_dtype(L, 3, M1D_F32, &rg);
  if (m1d_check_shape("full", n, shape) < 0) return luaL_error(L, "%s", m1d_errmsg());
  return push_with_opts(L, m1d_full(dt, n, shape, v), rg);
}

static int l_arange (lua_State *L) {
  double a = luaL_checknumber(L, 1), b, s = 1;
  int next = 2;
  if (lua_type(L, 2) == LUA_TNUMBER) { b = lua_tonumber(L, 2); next = 3; }
  else { b = a; a = 0; }
  if (lua_type(L, next) == LUA_TNUMBER) s = lua_tonumber(L, next++);
  m1d_DType dt = opt_dtype(L, next, M1D_F32, NULL);
  return m1d_pushdata(L, m1d_arange(dt, a, b, s));
}

static int l_linspace (lua_State *L) {
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
  int64_t n = checksize(L, 3, "linspace");
  return m1d_pushdata(L, m1d_linspace(opt_dtype(L, 4, M1D_F32, NULL), a, b, n));
}

static int random_tensor (lua_State *L, const char *op, int normal) {
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 1, shape, op), rg;
  m1d_DType dt = opt_dtype(L, after_shape(L, 1), M1D_F32, &rg);
  if (dt == M1D_I64) return luaL_error(L, "%s: dtype must be float32 or float64", op);
  if (m1d_check_shape(op, n, shape) < 0) return luaL_error(L, "%s", m1d_errmsg());
  m1d_Tensor *t = m1d_empty(dt, n, shape);
  if (t) {
    m1d_Rng *r = m1d_global_rng();
    int64_t cnt = m1d_numel(t);
    for (int64_t i = 0; i < cnt; i++) {
      double v = normal ? m1d_rng_gauss(r) : m1d_rng_double(r);
      if (dt == M1D_F32) ((float *)m1d_data(t))[i] = (float)v;
      else ((double *)m1d_data(t))[i] = v;
    }
  }
  return push_with_opts(L, t, rg);
}

/* dropout_mask(p, shape... [, dtype]): 1/(1-p) with probability 1 - p, else 0 (Dropout's
   mask and scale in one tensor; p in [0, 1)) */
static int l_dropout_mask (lua_State *L) {
  double p = luaL_checknumber(L, 1);
  if (!(p >= 0 && p < 1)) return luaL_error(L, "dropout_mask: p must be in [0, 1), got %f", p);
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 2, shape, "dropout_mask"), rg;
  m1d_DType dt = opt_dtype(L, after_shape(L, 2), M1D_F32, &rg);
  if (dt == M1D_I64) return luaL_error(L, "dropout_mask: dtype must be float32 or float64");
  if (m1d_check_shape("dropout_mask", n, shape) < 0) return luaL_error(L, "%s", m1d_errmsg());
  m1d_Tensor *t = m1d_empty(dt, n, shape);
  if (t) m1d_rng_keep_mask(m1d_global_rng(), m1d_numel(t), p, 1.0 / (1.0 - p), dt == M1D_F64, m1d_data(t));
  return m1d_pushdata(L, t);
}

static int l_rand (lua_State *L) { return random_tensor(L, "rand", 0); }
static int l_randn (lua_State *L) { return random_tensor(L, "randn", 1); }

/* randint(lo, hi, shape...) : uniform integers in [lo, hi) as int64 */
static int l_randint (lua_State *L) {
  lua_Integer lo = luaL_checkinteger(L, 1), hi = luaL_checkinteger(L, 2);
  if (hi <= lo) return luaL_error(L, "randint: empty range [%I, %I)", lo, hi);
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 3, shape, "randint");
  if (m1d_check_shape("randint", n, shape) < 0) return luaL_error(L, "%s", m1d_errmsg());
  m1d_Tensor *t = m1d_empty(M1D_I64, n, shape);
  if (t) {
    /* in uint64: hi - lo overflows int64 for ranges wider than 2^63 */
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    int64_t cnt = m1d_numel(t);
    for (int64_t i = 0; i < cnt; i++)
      ((int64_t *)m1d_data(t))[i] = (int64_t)((uint64_t)lo + m1d_rng_interval(m1d_global_rng(), span - 1));
  }
  return m1d_pushdata(L, t);
}

/* randperm(n) : a permutation of 1..n (int64): the order of np.random.permutation(n),
   plus one, so that it indexes like every other index of the Lua API (index_select). */
static int l_randperm (lua_State *L) {
  int64_t n = checksize(L, 1, "randperm");
  if (n < 0) return luaL_error(L, "randperm: negative size %I", (lua_Integer)n);
  m1d_Tensor *t = m1d_empty(M1D_I64, 1, &n);
  if (t) {
    int64_t *p = m1d_data(t);
    m1d_rng_permutation(m1d_global_rng(), n, p);
    for (int64_t i = 0; i < n; i++) p[i] += 1;
  }
  return m1d_pushdata(L, t);
}

static int l_manual_seed (lua_State *L) {
  lua_Integer s = luaL_checkinteger(L, 1);
  if (s < 0 || s > 0xffffffffLL) return luaL_error(L, "manual_seed: seed must be in 0..2^32-1, got %I", s);
  m1d_rng_seed(m1d_global_rng(), (uint32_t)s);
  return 0;
}

/* ---------------------------------------------------------------- queries */

static int t_size (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_pushinteger(L, t->shape[m1d_checkdim(L, 2, t->ndim, "size")]);
    return 1;
  }
  lua_createtable(L, t->ndim, 0);
  for (int d = 0; d < t->ndim; d++) { lua_pushinteger(L, t->shape[d]); lua_rawseti(L, -2, d + 1); }
  return 1;
}

static int t_dim (lua_State *L) { lua_pushinteger(L, m1d_checktensor(L, 1)->ndim); return 1; }
static int t_numel (lua_State *L) { lua_pushinteger(L, m1d_numel(m1d_checktensor(L, 1))); return 1; }
static int t_dtype (lua_State *L) { lua_pushstring(L, m1d_dtype_name(m1d_checktensor(L, 1)->dtype)); return 1; }
static int t_is_contiguous (lua_State *L) { lua_pushboolean(L, m1d_is_contiguous(m1d_checktensor(L, 1))); return 1; }

/* an identifier of the underlying storage: equal for views of one buffer */
static int t_storage_id (lua_State *L) {
  lua_pushfstring(L, "%p", (void *)m1d_checktensor(L, 1)->storage);
  return 1;
}

static int t_item (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (m1d_numel(t) != 1)
    return luaL_error(L, "item: tensor of shape %s has %I elements, item() needs exactly 1",
                      m1d_shapestr(t).s, (lua_Integer)m1d_numel(t));
  int64_t idx[M1D_MAXDIM] = {0};
  if (t->dtype == M1D_I64) lua_pushinteger(L, (lua_Integer)*i64_at(t, idx));
  else lua_pushnumber(L, m1d_get(t, idx));
  return 1;
}

static void push_value (lua_State *L, const m1d_Tensor *t, const int64_t *idx) {
  if (t->dtype == M1D_I64) lua_pushinteger(L, (lua_Integer)*i64_at(t, idx));
  else lua_pushnumber(L, m1d_get(t, idx));
}

static void totable_rec (lua_State *L, const m1d_Tensor *t, int depth, int64_t *idx) {
  lua_createtable(L, (int)t->shape[depth], 0);
  for (int64_t k = 0; k < t->shape[depth]; k++) {
    idx[depth] = k;
    if (depth + 1 == t->ndim) push_value(L, t, idx);
    else totable_rec(L, t, depth + 1, idx);
    lua_rawseti(L, -2, k + 1);
  }
}

static int t_totable (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t idx[M1D_MAXDIM] = {0};
  if (t->ndim == 0) { push_value(L, t, idx); return 1; }
  luaL_checkstack(L, t->ndim + 4, "totable");
  totable_rec(L, t, 0, idx);
  return 1;
}

/* flat element access (1-based over the row-major order), used by gradcheck */
static int64_t flat_index (lua_State *L, m1d_Tensor *t, int arg, int64_t *idx) {
  lua_Integer i = luaL_checkinteger(L, arg);
  int64_t n = m1d_numel(t);
  if (i < 1 || i > n) return luaL_error(L, "flat index %I out of range 1..%I", i, (lua_Integer)n);
  int64_t r = i - 1;
  for (int d = t->ndim - 1; d >= 0; d--) { idx[d] = r % t->shape[d]; r /= t->shape[d]; }
  return i;
}

static int t_getflat (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t idx[M1D_MAXDIM];
  flat_index(L, t, 2, idx);
  push_value(L, t, idx);
  return 1;
}

static int t_setflat (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t idx[M1D_MAXDIM];
  flat_index(L, t, 2, idx);
  setvalue(L, t, idx, 3, "setflat");
  return 0;
}

/* ---------------------------------------------------------------- printing */

/* Print options, as torch.set_printoptions: one set per process (m1d.set_printoptions
   checks the values in Lua and sets them here through core._printopts). linewidth 0 means
   "auto": the terminal's width when stdout is a terminal, else 80 (looked up at each
   tostring, so a resized terminal is followed). sci -1 means "auto": scientific notation
   when the printed magnitudes span beyond [1e-4, 1e5). */
static struct { int precision, edgeitems, linewidth, sci; int64_t threshold; } popts = {4, 3, 0, -1, 1000};

static int print_linewidth (void) {
  if (popts.linewidth > 0) return popts.linewidth;
  if (isatty(STDOUT_FILENO)) {
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    if (w > 0) return w;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  }
  return 80;
}

/* core._printopts(precision, threshold, edgeitems, linewidth (0 = auto), sci (-1 = auto)) */
static int l_printopts (lua_State *L) {
  popts.precision = (int)luaL_checkinteger(L, 1);
  popts.threshold = (int64_t)luaL_checkinteger(L, 2);
  popts.edgeitems = (int)luaL_checkinteger(L, 3);
  popts.linewidth = (int)luaL_checkinteger(L, 4);
  popts.sci = (int)luaL_checkinteger(L, 5);
  return 0;
}

static void fmt_elem (char *buf, size_t n, const m1d_Tensor *t, const int64_t *idx, int sci) {
  if (t->dtype == M1D_I64) { snprintf(buf, n, "%lld", (long long)*i64_at(t, idx)); return; }
  double v = m1d_get(t, idx);
  if (isnan(v)) snprintf(buf, n, "nan");
  else if (isinf(v)) snprintf(buf, n, v > 0 ? "inf" : "-inf");
  else if (sci) snprintf(buf, n, "%.*e", popts.precision, v);
  else snprintf(buf, n, "%.*f", popts.precision, v);
}

typedef struct {
  luaL_Buffer *b; const m1d_Tensor *t;
  int width, sci, summarize, edge, linewidth;
  double amax, amin;      /* the measuring pass: the range of finite magnitudes */
  int pass;               /* 0 measure magnitudes, 1 measure widths, 2 print */
} Printer;

static void addspaces (luaL_Buffer *b, int n) { for (int s = 0; s < n; s++) luaL_addchar(b, ' '); }

/* Walks the elements that are printed (all, or the edge items of each dimension when
   summarising): passes 0 and 1 size the common format from them alone, as PyTorch does,
   so a large tensor's print costs what its summary costs; pass 2 writes the text. The
   layout is PyTorch's _tensor_str: a row wraps after as many elements as fit in the line
   width, continuation lines indented under the row's first element; a summarised dimension
   prints " ..." as an element or "..." as a row (a block) in place of its middle. */
static void print_rec (Printer *p, int depth, int64_t *idx, int indent) {
  const m1d_Tensor *t = p->t;
  int64_t n = t->shape[depth];
  int cut = p->summarize && n > 2 * (int64_t)p->edge;   /* this dimension is summarised */
  int last = depth + 1 == t->ndim;
  luaL_Buffer *b = p->b;
  int64_t per_line = 1;
  if (last && p->pass == 2) {
    int64_t room = (p->linewidth - indent) / (p->width + 2);
    per_line = room > 1 ? room : 1;
  }
  if (p->pass == 2) luaL_addchar(b, '[');
  int64_t item = 0;       /* position among the printed items, for the separators */
  for (int64_t k = 0; k < n; k++, item++) {
    if (cut && k == p->edge) {
      if (p->pass == 2) {
        if (last) {
          if (item > 0) {
            if (item % per_line == 0) { luaL_addstring(b, ",\n"); addspaces(b, indent + 1); }
            else luaL_addstring(b, ", ");
          }
          luaL_addstring(b, p->edge ? " ..." : "...");
        } else {
          if (item > 0) {
            luaL_addchar(b, ',');
            for (int s = depth + 1; s < t->ndim; s++) luaL_addchar(b, '\n');
            addspaces(b, indent + 1);
          }
          luaL_addstring(b, "...");
        }
      }
      item++;
      k = n - p->edge;
      if (k >= n) break;
    }
    idx[depth] = k;
    if (p->pass == 2 && item > 0) {
      if (last) {
        if (item % per_line == 0) { luaL_addstring(b, ",\n"); addspaces(b, indent + 1); }
        else luaL_addstring(b, ", ");
      } else {
        luaL_addchar(b, ',');
        for (int s = depth + 1; s < t->ndim; s++) luaL_addchar(b, '\n');
        addspaces(b, indent + 1);
      }
    }
    if (!last) { print_rec(p, depth + 1, idx, indent + 1); continue; }
    if (p->pass == 0) {
      double v = t->dtype == M1D_I64 ? 0 : fabs(m1d_get(t, idx));
      if (isfinite(v)) { if (v > p->amax) p->amax = v; if (v > 0 && v < p->amin) p->amin = v; }
      continue;
    }
    char num[400];
    fmt_elem(num, sizeof num, t, idx, p->sci);
    int w = (int)strlen(num);
    if (p->pass == 1) { if (w > p->width) p->width = w; continue; }
    addspaces(b, p->width - w);
    luaL_addlstring(b, num, (size_t)w);
  }
  if (p->pass == 2) luaL_addchar(b, ']');
}

static int t_tostring (lua_State *L) {
  LTensor *h = luaL_checkudata(L, 1, M1D_TENSOR_MT);
  if (h->t == NULL) { lua_pushliteral(L, "tensor(released)"); return 1; }
  const m1d_Tensor *t = h->t;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int64_t n = m1d_numel(t), idx[M1D_MAXDIM] = {0};
  Printer p = {&b, t, 0, 0, n > popts.threshold, popts.edgeitems, print_linewidth(), 0, INFINITY, 0};
  char num[400];
  luaL_addstring(&b, "tensor(");
  if (t->ndim == 0) {
    double v = t->dtype == M1D_I64 ? 0 : fabs(m1d_get(t, idx));
    p.sci = popts.sci >= 0 ? popts.sci : (isfinite(v) && (v >= 1e5 || (v < 1e-4 && v > 0)));
    fmt_elem(num, sizeof num, t, idx, p.sci);
    luaL_addstring(&b, num);
  } else if (n == 0) {
    luaL_addstring(&b, "[]");
  } else {
    /* one width and notation for all printed elements, from the range of their magnitudes */
    print_rec(&p, 0, idx, 7);
    p.sci = popts.sci >= 0 ? popts.sci
          : t->dtype != M1D_I64 && (p.amax >= 1e5 || (p.amin < 1e-4 && p.amin > 0));
    p.pass = 1;
    print_rec(&p, 0, idx, 7);
    p.pass = 2;
    print_rec(&p, 0, idx, 7);
  }
  char tail[160];
  snprintf(tail, sizeof tail, ", %s %s%s)", m1d_dtype_name(t->dtype), m1d_shapestr(t).s,
           t->requires_grad ? (t->grad_fn ? ", grad_fn" : ", requires_grad") : "");
  luaL_addstring(&b, tail);
  luaL_pushresult(&b);
  return 1;
}

/* ---------------------------------------------------------------- views */

static int t_reshape (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 2, shape, "reshape");
  return m1d_pushtensor(L, m1d_reshape(t, n, shape));
}

/* view: reshape that never copies (as torch.Tensor.view): when the strides do not allow
   the new shape, an error that points to reshape, instead of a copy whose writes would
   be lost. */
static int t_view (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t shape[M1D_MAXDIM];
  int n = m1d_checkshape(L, 2, shape, "view");
  m1d_Tensor *r = m1d_reshape(t, n, shape);
  if (r != NULL && r->storage != t->storage && m1d_numel(t) > 0) {
    m1d_ShapeStr ts = m1d_shapestr(t);
    m1d_decref(r);
    return luaL_error(L, "view: a %s tensor with these strides cannot be viewed as the requested "
                      "shape without copying; use reshape (which copies when it must) or "
                      "contiguous() first", ts.s);
  }
  return m1d_pushtensor(L, r);
}

static int t_flatten (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int start = lua_isnoneornil(L, 2) ? 0 : m1d_checkdim(L, 2, t->ndim, "flatten");
  int64_t shape[M1D_MAXDIM];
  if (t->ndim == 0) { shape[0] = 1; return m1d_pushtensor(L, m1d_reshape(t, 1, shape)); }
  for (int d = 0; d < start; d++) shape[d] = t->shape[d];
  shape[start] = -1;
  return m1d_pushtensor(L, m1d_reshape(t, start + 1, shape));
}

static int t_narrow (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int d = m1d_checkdim(L, 2, t->ndim, "narrow");
  lua_Integer start = luaL_checkinteger(L, 3);
  if (start == LUA_MININTEGER) start++;       /* start - 1 must not overflow */
  return m1d_pushtensor(L, m1d_narrow(t, d, start - 1, luaL_checkinteger(L, 4)));
}

static int t_select (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int d = m1d_checkdim(L, 2, t->ndim, "select");
  lua_Integer i = luaL_checkinteger(L, 3);
  if (i < 0) i += t->shape[d] + 1;
  return m1d_pushtensor(L, m1d_select(t, d, i - 1));
}

static int t_transpose (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int d0 = m1d_checkdim(L, 2, t->ndim, "transpose"), d1 = m1d_checkdim(L, 3, t->ndim, "transpose");
  return m1d_pushtensor(L, m1d_transpose(t, d0, d1));
}

static int t_t (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (t->ndim != 2) return luaL_error(L, "t: expects a 2-D tensor, got %s", m1d_shapestr(t).s);
  return m1d_pushtensor(L, m1d_transpose(t, 0, 1));
}

static int t_permute (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int perm[M1D_MAXDIM];
  int n = lua_istable(L, 2) ? (int)luaL_len(L, 2) : lua_gettop(L) - 1;
  if (n != t->ndim) return luaL_error(L, "permute: %d dims given for a %d-dim tensor %s", n, t->ndim, m1d_shapestr(t).s);
  for (int d = 0; d < n; d++) {
    if (lua_istable(L, 2)) { lua_geti(L, 2, d + 1); perm[d] = m1d_checkdim(L, -1, t->ndim, "permute"); lua_pop(L, 1); }
    else perm[d] = m1d_checkdim(L, d + 2, t->ndim, "permute");
  }
  return m1d_pushtensor(L, m1d_permute(t, perm));
}

static int t_unsqueeze (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  return m1d_pushtensor(L, m1d_unsqueeze(t, checkdim_insert(L, 2, t->ndim, "unsqueeze")));
}

static int t_squeeze (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int d = lua_isnoneornil(L, 2) ? -1 : m1d_checkdim(L, 2, t->ndim, "squeeze");
  return m1d_pushtensor(L, m1d_squeeze(t, d));
}

static int t_expand (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int64_t shape[M1D_MAXDIM];
  m1d_Tensor *other = m1d_testtensor(L, 2);
  if (other) return m1d_pushtensor(L, m1d_expand(t, other->ndim, other->shape));
  int n = m1d_checkshape(L, 2, shape, "expand");
  return m1d_pushtensor(L, m1d_expand(t, n, shape));
}

static int t_contiguous (lua_State *L) { return m1d_pushtensor(L, m1d_contiguous(m1d_checktensor(L, 1))); }
static int t_clone (lua_State *L) { return m1d_pushtensor(L, m1d_clone(m1d_checktensor(L, 1))); }
static int t_float (lua_State *L) { return m1d_pushtensor(L, m1d_cast(m1d_checktensor(L, 1), M1D_F32)); }
static int t_double (lua_State *L) { return m1d_pushtensor(L, m1d_cast(m1d_checktensor(L, 1), M1D_F64)); }
static int t_long (lua_State *L) { return m1d_pushtensor(L, m1d_cast(m1d_checktensor(L, 1), M1D_I64)); }
static int t_type (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  return m1d_pushtensor(L, m1d_cast(t, m1d_checkdtype(L, 2, t->dtype)));
}

static int t_flip (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  return m1d_pushtensor(L, m1d_flip(t, m1d_checkdim(L, 2, t->ndim, "flip")));
}

/* index tensors come from Lua 1-based; the C ops want 0-based int64 */
static m1d_Tensor *check_index_arg (lua_State *L, int i, const char *op) {
  m1d_Tensor *idx = m1d_testtensor(L, i);
  m1d_Tensor *src = idx ? (m1d_incref(idx), idx) : m1d_totensor(L, i, M1D_I64);
  if (src->dtype != M1D_I64) {
    m1d_decref(src);
    luaL_error(L, "%s: indices must be an int64 tensor (use :long()), got %s", op,
               m1d_dtype_name(src->dtype));
  }
  m1d_Tensor *z = m1d_affine(src, 1, -1);
  m1d_decref(src);
  if (z == NULL) luaL_error(L, "%s", m1d_errmsg());
  return z;
}

/* call an op taking (x, dim, idx[, src]) with the 0-based index kept alive by a handle */
static int index_op (lua_State *L, const char *op, int kind) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  int d = m1d_checkdim(L, 2, x->ndim, op);
  lua_settop(L, 4);
  LTensor *ih = m1d_newhandle(L);
  ih->t = check_index_arg(L, 3, op);
  m1d_Tensor *r = NULL;
  switch (kind) {
    case 0: r = m1d_index_select(x, d, ih->t); break;
    case 1: r = m1d_gather(x, d, ih->t); break;
    case 2: r = m1d_index_add(x, d, ih->t, m1d_checktensor(L, 4)); break;
    default: r = m1d_scatter_add(x, d, ih->t, m1d_checktensor(L, 4)); break;
  }
  if (r == NULL) {
    /* messages from C count from 0 in indices: they were already shifted, so say it plainly */
    return luaL_error(L, "%s", m1d_errmsg());
  }
  return m1d_pushtensor(L, r);
}

static int t_index_select (lua_State *L) { return index_op(L, "index_select", 0); }
static int t_gather (lua_State *L) { return index_op(L, "gather", 1); }
static int t_index_add (lua_State *L) { return index_op(L, "index_add", 2); }
static int t_scatter_add (lua_State *L) { return index_op(L, "scatter_add", 3); }

#define MAXLIST 100000

/* The tensors of the list at index i.  Pushes the array of pointers and an anchor table
   holding the tensors: the list's __index may hand out fresh tensors, which must not be
   collected while the op uses them, and __len is asked once (a second answer could
   exceed the array). */
static m1d_Tensor **list_of_tensors (lua_State *L, int i, int *n, const char *op) {
  luaL_checktype(L, i, LUA_TTABLE);
  lua_Integer len = luaL_len(L, i);
  if (len < 1) luaL_error(L, "%s: needs a non-empty list of tensors", op);
  if (len > MAXLIST) luaL_error(L, "%s: at most %d tensors", op, MAXLIST);
  m1d_Tensor **xs = lua_newuserdatauv(L, sizeof(*xs) * (size_t)len, 0);
  lua_createtable(L, (int)len, 0);
  for (int k = 0; k < (int)len; k++) {
    lua_geti(L, i, k + 1);
    xs[k] = m1d_testtensor(L, -1);
    if (xs[k] == NULL) luaL_error(L, "%s: element %d of the list is a %s, not a tensor", op, k + 1, luaL_typename(L, -1));
    lua_rawseti(L, -2, k + 1);
  }
  *n = (int)len;
  return xs;
}

static int l_cat (lua_State *L) {
  lua_settop(L, 2);
  int n;
  m1d_Tensor **xs = list_of_tensors(L, 1, &n, "cat");
  int d = lua_isnoneornil(L, 2) ? 0 : m1d_checkdim(L, 2, xs[0]->ndim, "cat");
  return m1d_pushtensor(L, m1d_cat(n, xs, d));
}

static int l_stack (lua_State *L) {
  lua_settop(L, 2);
  int n;
  m1d_Tensor **xs = list_of_tensors(L, 1, &n, "stack");
  int d = lua_isnoneornil(L, 2) ? 0 : checkdim_insert(L, 2, xs[0]->ndim, "stack");
  return m1d_pushtensor(L, m1d_stack(n, xs, d));
}

/* ---------------------------------------------------------------- math */

/* the elementwise ops, from their rows in ops_elementwise_table.h: x:<name>() for every
   PLAIN unary row, a:<name>(b) (b a tensor or a number, either side) for every binary one */
#define UNARY(name, call) \
  static int t_##name (lua_State *L) { m1d_Tensor *x = m1d_checktensor(L, 1); return m1d_pushtensor(L, call); }
#define UNARY_PLAIN(name) UNARY(name, m1d_##name(x))
#define UNARY_CUSTOM(name)
#define UNARY_BINDING(name, api, ...) UNARY_##api(name)
M1D_UNARY_OPS(UNARY_BINDING)
UNARY(elu, m1d_elu(x, luaL_optnumber(L, 2, 1.0)))
UNARY(softplus, m1d_softplus(x, luaL_optnumber(L, 2, 1.0), luaL_optnumber(L, 3, 20.0)))
UNARY(clamp, m1d_clamp(x, luaL_optnumber(L, 2, -HUGE_VAL), luaL_optnumber(L, 3, HUGE_VAL)))

/* maximum(t, c) (scalar_left 0) or maximum(c, t) (1) for a number c */
static m1d_Tensor *with_scalar (m1d_Tensor *(*op) (m1d_Tensor *, m1d_Tensor *), m1d_Tensor *t, double c,
                                int scalar_left) {
  m1d_Tensor *s = m1d_scalar(t->dtype, c), *r = NULL;
  if (s) r = scalar_left ? op(s, t) : op(t, s);
  m1d_decref(s);
  return r;
}

/* a op b where either side may be a number */
#define AS_ENUM(name, ...) OP_##name,
typedef enum { M1D_BINARY_OPS(AS_ENUM) } ArOp;
#undef AS_ENUM

#define AS_NAME(name, ...) #name,
static const char *const arith_names[] = {M1D_BINARY_OPS(AS_NAME)};
#undef AS_NAME

static m1d_Tensor *arith (lua_State *L, ArOp op) {
  m1d_Tensor *a = m1d_testtensor(L, 1), *b = m1d_testtensor(L, 2), *t;
  double c;
  /* a third argument is an error, not ignored: torch's t.add(u, alpha) would read
     t:add(u, 2) here and silently drop the 2 */
  if (lua_gettop(L) > 2)
    luaL_error(L, "%s: expected two operands, a:%s(b), got %d arguments; for torch's alpha scale the "
               "operand: a + alpha * b", arith_names[op], arith_names[op], lua_gettop(L));
  if (a && b) {
    switch (op) {
#define TENSORS(name, ...) case OP_##name: return m1d_##name(a, b);
      M1D_BINARY_OPS(TENSORS)
#undef TENSORS
    }
  }
  if (a && lua_type(L, 2) == LUA_TNUMBER) {
    t = a, c = lua_tonumber(L, 2);
    switch (op) {
#define NUMBER_RIGHT(name, i64, f32, f64, sa, sb, so, ga, gb, num_r, num_l) case OP_##name: return num_r;
      M1D_BINARY_OPS(NUMBER_RIGHT)
#undef NUMBER_RIGHT
    }
  }
  if (b && lua_type(L, 1) == LUA_TNUMBER) {
    t = b, c = lua_tonumber(L, 1);
    switch (op) {
#define NUMBER_LEFT(name, i64, f32, f64, sa, sb, so, ga, gb, num_r, num_l) case OP_##name: return num_l;
      M1D_BINARY_OPS(NUMBER_LEFT)
#undef NUMBER_LEFT
    }
  }
  luaL_error(L, "%s: expected tensors or numbers, got %s and %s", arith_names[op], luaL_typename(L, 1),
             luaL_typename(L, 2));
  return NULL;
}

#define BINARY_BINDING(name, ...) \
  static int t_##name (lua_State *L) { return m1d_pushtensor(L, arith(L, OP_##name)); }
M1D_BINARY_OPS(BINARY_BINDING)
static int t_unm (lua_State *L) { return m1d_pushtensor(L, m1d_neg(m1d_checktensor(L, 1))); }

static int compare (lua_State *L, m1d_Cmp op) {
  m1d_Tensor *a = m1d_checktensor(L, 1), *b = m1d_testtensor(L, 2);
  if (b) return m1d_pushtensor(L, m1d_cmp(a, b, op));
  return m1d_pushtensor(L, m1d_cmp_scalar(a, op, luaL_checknumber(L, 2)));
}
static int t_eq (lua_State *L) { return compare(L, M1D_EQ); }
static int t_ne (lua_State *L) { return compare(L, M1D_NE); }
static int t_lt (lua_State *L) { return compare(L, M1D_LT); }
static int t_le (lua_State *L) { return compare(L, M1D_LE); }
static int t_gt (lua_State *L) { return compare(L, M1D_GT); }
static int t_ge (lua_State *L) { return compare(L, M1D_GE); }

static int l_where (lua_State *L) {
  m1d_Tensor *m = m1d_checktensor(L, 1), *a = m1d_checktensor(L, 2), *b = m1d_checktensor(L, 3);
  return m1d_pushtensor(L, m1d_where(m, a, b));
}

static int t_matmul (lua_State *L) {
  return m1d_pushtensor(L, m1d_matmul(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}

static int t_bmm (lua_State *L) {
  return m1d_pushtensor(L, m1d_bmm(m1d_checktensor(L, 1), m1d_checktensor(L, 2)));
}

/* ---------------------------------------------------------------- reductions */

static int keepdim_arg (lua_State *L, int i) { return lua_toboolean(L, i); }

static int t_sum (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return m1d_pushtensor(L, m1d_sum(x));
  return m1d_pushtensor(L, m1d_sum_dim(x, m1d_checkdim(L, 2, x->ndim, "sum"), keepdim_arg(L, 3)));
}

static int t_mean (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return m1d_pushtensor(L, m1d_mean(x));
  return m1d_pushtensor(L, m1d_mean_dim(x, m1d_checkdim(L, 2, x->ndim, "mean"), keepdim_arg(L, 3)));
}

/* var/std: x:var([dim [, keepdim [, unbiased=true]]]) */
static int var_or_std (lua_State *L, int sd) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  int dim = lua_isnoneornil(L, 2) ? -1 : m1d_checkdim(L, 2, x->ndim, sd ? "std" : "var");
  int unbiased = lua_isnoneornil(L, 4) ? 1 : lua_toboolean(L, 4);
  int keepdim = keepdim_arg(L, 3);
  return m1d_pushtensor(L, sd ? m1d_std_dim(x, dim, keepdim, unbiased) : m1d_var_dim(x, dim, keepdim, unbiased));
}
static int t_var (lua_State *L) { return var_or_std(L, 0); }
static int t_std (lua_State *L) { return var_or_std(L, 1); }

/* indices returned to Lua are 1-based */
static int push_indices (lua_State *L, m1d_Tensor *idx) {
  if (idx == NULL) return luaL_error(L, "%s", m1d_errmsg());
  m1d_Tensor *one = m1d_affine(idx, 1, 1);
  m1d_decref(idx);
  return m1d_pushtensor(L, one);
}

static int extreme (lua_State *L, int want_max) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return m1d_pushtensor(L, want_max ? m1d_max(x) : m1d_min(x));
  int d = m1d_checkdim(L, 2, x->ndim, want_max ? "max" : "min"), keep = keepdim_arg(L, 3);
  lua_settop(L, 3);
  LTensor *vh = m1d_newhandle(L);
  m1d_Tensor *idx = NULL;
  vh->t = want_max ? m1d_max_dim(x, d, keep, &idx) : m1d_min_dim(x, d, keep, &idx);
  if (vh->t == NULL) return luaL_error(L, "%s", m1d_errmsg());
  push_indices(L, idx);
  return 2;
}
static int t_max (lua_State *L) { return extreme(L, 1); }
static int t_min (lua_State *L) { return extreme(L, 0); }

static int argext (lua_State *L, int want_max) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) {
    int64_t flat[1] = {-1};
    m1d_Tensor *f = m1d_view_reshape(x, 1, flat);
    if (f == NULL) { m1d_Tensor *c = m1d_clone_raw(x); if (c == NULL) return luaL_error(L, "%s", m1d_errmsg());
                     int64_t n = m1d_numel(c); f = m1d_view_reshape(c, 1, &n); m1d_decref(c); }
    else { f->shape[0] = m1d_numel(x); }
    m1d_Tensor *r = want_max ? m1d_argmax(f, 0, 0) : m1d_argmin(f, 0, 0);
    m1d_decref(f);
    return push_indices(L, r);
  }
  int d = m1d_checkdim(L, 2, x->ndim, want_max ? "argmax" : "argmin");
  return push_indices(L, want_max ? m1d_argmax(x, d, keepdim_arg(L, 3)) : m1d_argmin(x, d, keepdim_arg(L, 3)));
}
static int t_argmax (lua_State *L) { return argext(L, 1); }
static int t_argmin (lua_State *L) { return argext(L, 0); }

static int t_logsumexp (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  return m1d_pushtensor(L, m1d_logsumexp(x, m1d_checkdim(L, 2, x->ndim, "logsumexp"), keepdim_arg(L, 3)));
}

static int t_log_softmax (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  int d = lua_isnoneornil(L, 2) ? x->ndim - 1 : m1d_checkdim(L, 2, x->ndim, "log_softmax");
  if (x->ndim == 0) return luaL_error(L, "log_softmax: needs at least 1 dim");
  return m1d_pushtensor(L, m1d_log_softmax(x, d));
}

static int t_softmax (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  int d = lua_isnoneornil(L, 2) ? x->ndim - 1 : m1d_checkdim(L, 2, x->ndim, "softmax");
  if (x->ndim == 0) return luaL_error(L, "softmax: needs at least 1 dim");
  return m1d_pushtensor(L, m1d_softmax(x, d));
}

/* ---------------------------------------------------------------- in place (no graph) */

static m1d_Tensor *check_inplace (lua_State *L, const char *op) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (t->requires_grad && m1d_grad_enabled())
    luaL_error(L, "%s: in-place change of a tensor that requires grad (%s); do it inside "
               "m1d.no_grad or on :detach()", op, m1d_shapestr(t).s);
  return t;
}

static int t_fill_ (lua_State *L) {
  m1d_Tensor *t = check_inplace(L, "fill_");
  fillvalue(L, t, 2, "fill_");
  lua_settop(L, 1);
  return 1;
}

static int t_zero_ (lua_State *L) {
  m1d_fill(check_inplace(L, "zero_"), 0);
  lua_settop(L, 1);
  return 1;
}

/* t:copy_(src): src broadcast to t's shape */
static int t_copy_ (lua_State *L) {
  m1d_Tensor *t = check_inplace(L, "copy_");
  m1d_Tensor *s = m1d_checktensor(L, 2);
  int ndim;
  int64_t shape[M1D_MAXDIM];
  if (m1d_broadcast_shape("copy_", t, s, &ndim, shape) < 0 || ndim != t->ndim ||
      memcmp(shape, t->shape, sizeof(int64_t) * (size_t)ndim) != 0)
    return luaL_error(L, "copy_: source %s cannot be broadcast to %s", m1d_shapestr(s).s, m1d_shapestr(t).s);
  m1d_copy_into(t, s);
  lua_settop(L, 1);
  return 1;
}

/* t:add_(other [, alpha]) and t:mul_(other): in place when both are contiguous and of one
   shape and dtype; otherwise (broadcasting, views, numbers) computed out of place and
   copied back */
static int inplace_binary (lua_State *L, const char *op, int mul) {
  m1d_Tensor *t = check_inplace(L, op);
  /* every argument is checked before grad mode is switched off: a raise in between
     (x:add_("a")) left autograd disabled for the rest of the process */
  int number = lua_type(L, 2) == LUA_TNUMBER;
  m1d_Tensor *o = number ? NULL : m1d_checktensor(L, 2), *r;
  double alpha = number ? 1.0 : luaL_optnumber(L, 3, 1.0);
  if (o && (mul || alpha == 1) && t->dtype == o->dtype && t->dtype != M1D_I64 && m1d_same_shape(t, o) &&
      m1d_is_contiguous(t) && m1d_is_contiguous(o)) {
    /* the common case (masks, accumulators) truly in place: the same float products and
       sums as m1d_mul/m1d_add, without a temporary and a copy back */
    int64_t n = m1d_numel(t);
    if (t->dtype == M1D_F32) {
      float *a = m1d_data(t);
      const float *b = m1d_data(o);
      if (mul) for (int64_t i = 0; i < n; i++) a[i] = a[i] * b[i];
      else for (int64_t i = 0; i < n; i++) a[i] = a[i] + b[i];
    } else {
      double *a = m1d_data(t);
      const double *b = m1d_data(o);
      if (mul) for (int64_t i = 0; i < n; i++) a[i] = a[i] * b[i];
      else for (int64_t i = 0; i < n; i++) a[i] = a[i] + b[i];
    }
    if (m1d_check_anomaly(op, t) < 0) return luaL_error(L, "%s", m1d_errmsg());
    lua_settop(L, 1);
    return 1;
  }
  int prev = m1d_set_grad_enabled(0);
  if (number) {
    double c = lua_tonumber(L, 2);
    r = mul ? m1d_affine(t, c, 0) : m1d_affine(t, 1, c);
  } else {
    m1d_Tensor *s = NULL;
    if (mul) r = m1d_mul(t, o);
    else if (alpha == 1) r = m1d_add(t, o);
    else { s = m1d_affine(o, alpha, 0); r = s ? m1d_add(t, s) : NULL; m1d_decref(s); }
  }
  m1d_set_grad_enabled(prev);
  if (r == NULL) return luaL_error(L, "%s", m1d_errmsg());
  if (!m1d_same_shape(r, t)) {
    m1d_decref(r);
    return luaL_error(L, "%s: result shape differs from %s", op, m1d_shapestr(t).s);
  }
  m1d_copy_into(t, r);
  m1d_decref(r);
  lua_settop(L, 1);
  return 1;
}
static int t_add_ (lua_State *L) { return inplace_binary(L, "add_", 0); }
static int t_mul_ (lua_State *L) { return inplace_binary(L, "mul_", 1); }

/* ---------------------------------------------------------------- indexing metamethods */

static int t_index (lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char *k = lua_tostring(L, 2);
    if (strcmp(k, "grad") == 0) {
      m1d_Tensor *t = m1d_checktensor(L, 1);
      if (t->grad == NULL) { lua_pushnil(L); return 1; }
      m1d_incref(t->grad);
      return m1d_pushdata(L, t->grad);
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &methods_key);   /* see tensor_mt_key */
    lua_pushvalue(L, 2);
    lua_gettable(L, -2);
    return 1;
  }
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (lua_type(L, 2) != LUA_TNUMBER) return luaL_error(L, "tensor index must be an integer or a method name");
  if (t->ndim == 0) return luaL_error(L, "index: cannot index a 0-dim tensor (use :item())");
  lua_Integer i = luaL_checkinteger(L, 2);
  if (i < 0) i += t->shape[0] + 1;
  if (i < 1 || i > t->shape[0])
    return luaL_error(L, "index %I out of range 1..%I for shape %s", luaL_checkinteger(L, 2),
                      (lua_Integer)t->shape[0], m1d_shapestr(t).s);
  if (t->ndim == 1) {
    int64_t idx[1] = {i - 1};
    push_value(L, t, idx);
    return 1;
  }
  return m1d_pushtensor(L, m1d_select(t, 0, i - 1));
}

static int t_newindex (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "grad") == 0) {
    m1d_Tensor *g = lua_isnil(L, 3) ? NULL : m1d_checktensor(L, 3);
    if (g && !m1d_same_shape(g, t))
      return luaL_error(L, "grad: gradient %s does not match tensor %s", m1d_shapestr(g).s, m1d_shapestr(t).s);
    m1d_incref(g);
    m1d_decref(t->grad);
    t->grad = g;
    return 0;
  }
  if (lua_type(L, 2) != LUA_TNUMBER) return luaL_error(L, "tensor: cannot set field '%s'", lua_tostring(L, 2));
  if (t->ndim == 0) return luaL_error(L, "index: cannot index a 0-dim tensor");
  lua_Integer i0 = luaL_checkinteger(L, 2), i = i0;
  if (i < 0) i += t->shape[0] + 1;
  if (i < 1 || i > t->shape[0])
    return luaL_error(L, "index %I out of range 1..%I for shape %s", i0, (lua_Integer)t->shape[0],
                      m1d_shapestr(t).s);
  if (t->requires_grad && m1d_grad_enabled())
    return luaL_error(L, "index assignment into a tensor that requires grad (%s)", m1d_shapestr(t).s);
  m1d_Tensor *src = m1d_testtensor(L, 3);
  if (!src && lua_type(L, 3) != LUA_TNUMBER) return luaL_typeerror(L, 3, "number or tensor");
  lua_settop(L, 3);
  LTensor *rh = m1d_newhandle(L);           /* owns the row view, so an error cannot leak it */
  m1d_Tensor *row = rh->t = m1d_view_select(t, 0, i - 1);
  if (row == NULL) return luaL_error(L, "%s", m1d_errmsg());
  if (src) {
    int ndim;
    int64_t shape[M1D_MAXDIM];
    if (m1d_broadcast_shape("setindex", row, src, &ndim, shape) < 0 || ndim != row->ndim)
      return luaL_error(L, "index assignment: value %s does not fit %s", m1d_shapestr(src).s, m1d_shapestr(t).s);
    m1d_copy_into(row, src);
  } else {
    fillvalue(L, row, 3, "index assignment");
  }
  return 0;
}

static int t_len (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  lua_pushinteger(L, t->ndim ? t->shape[0] : 0);
  return 1;
}

/* ---------------------------------------------------------------- memory */

static int l_memstats (lua_State *L) {
  m1d_MemStats s = m1d_memstats();
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)s.bytes_live); lua_setfield(L, -2, "bytes_live");
  lua_pushinteger(L, (lua_Integer)s.bytes_allocated); lua_setfield(L, -2, "bytes_allocated");
  lua_pushinteger(L, (lua_Integer)s.mallocs); lua_setfield(L, -2, "mallocs");
  return 1;
}

static int l_is_tensor (lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, M1D_TENSOR_MT) != NULL);
  return 1;
}

static const luaL_Reg methods[] = {
  {"size", t_size}, {"shape", t_size}, {"dim", t_dim}, {"numel", t_numel}, {"dtype", t_dtype},
  {"is_contiguous", t_is_contiguous}, {"storage_id", t_storage_id}, {"item", t_item},
  {"totable", t_totable}, {"getflat", t_getflat}, {"setflat", t_setflat},
  {"reshape", t_reshape}, {"view", t_view}, {"flatten", t_flatten}, {"narrow", t_narrow},
  {"select", t_select}, {"transpose", t_transpose}, {"t", t_t}, {"permute", t_permute},
  {"unsqueeze", t_unsqueeze}, {"squeeze", t_squeeze}, {"expand", t_expand},
  {"contiguous", t_contiguous}, {"clone", t_clone}, {"float", t_float}, {"double", t_double},
  {"long", t_long}, {"type", t_type}, {"flip", t_flip},
  {"index_select", t_index_select}, {"gather", t_gather}, {"index_add", t_index_add},
  {"scatter_add", t_scatter_add},
#define METHOD_PLAIN(name) {#name, t_##name},
#define METHOD_CUSTOM(name)
#define UNARY_METHOD(name, api, ...) METHOD_##api(name)
#define BINARY_METHOD(name, ...) {#name, t_##name},
  M1D_UNARY_OPS(UNARY_METHOD) M1D_BINARY_OPS(BINARY_METHOD)
  {"swish", t_silu}, {"elu", t_elu}, {"softplus", t_softplus}, {"clamp", t_clamp},
  {"eq", t_eq}, {"ne", t_ne}, {"lt", t_lt}, {"le", t_le}, {"gt", t_gt}, {"ge", t_ge},
  {"matmul", t_matmul}, {"bmm", t_bmm}, {"sum", t_sum}, {"mean", t_mean}, {"var", t_var}, {"std", t_std},
  {"max", t_max}, {"min", t_min}, {"argmax", t_argmax}, {"argmin", t_argmin},
  {"logsumexp", t_logsumexp}, {"log_softmax", t_log_softmax}, {"softmax", t_softmax},
  {"fill_", t_fill_}, {"zero_", t_zero_}, {"copy_", t_copy_}, {"add_", t_add_}, {"mul_", t_mul_},
  {"release", t_release},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__index", t_index}, {"__newindex", t_newindex}, {"__tostring", t_tostring},
  {"__len", t_len}, {"__unm", t_unm}, {"__add", t_add}, {"__sub", t_sub}, {"__mul", t_mul},
  {"__div", t_div}, {"__pow", t_pow}, {"__gc", t_release}, {"__close", t_release},
  {NULL, NULL}
};

static const luaL_Reg functions[] = {
  {"tensor", l_tensor}, {"zeros", l_zeros}, {"ones", l_ones}, {"empty", l_empty}, {"full", l_full},
  {"arange", l_arange}, {"linspace", l_linspace}, {"rand", l_rand}, {"randn", l_randn}, {"dropout_mask", l_dropout_mask},
  {"randint", l_randint}, {"randperm", l_randperm}, {"manual_seed", l_manual_seed},
  {"cat", l_cat}, {"stack", l_stack}, {"where", l_where}, {"maximum", t_maximum},
  {"minimum", t_minimum}, {"matmul", t_matmul}, {"bmm", t_bmm}, {"memstats", l_memstats}, {"is_tensor", l_is_tensor},
  {"_printopts", l_printopts},
  {NULL, NULL}
};

void m1d_open_tensor (lua_State *L) {
  luaL_newmetatable(L, M1D_TENSOR_MT);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &tensor_mt_key);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &methods_key);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__methods");      /* metatable.__methods: for __index and completion */
  lua_setfield(L, -3, "Tensor");         /* module.Tensor = the method table (Lua adds methods) */
  lua_pop(L, 1);
  luaL_setfuncs(L, functions, 0);
}
