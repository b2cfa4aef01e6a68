/*
** l_tsne.c — the pieces of t-SNE (src/tsne*.c) for lua/m1d/tsne.lua, under m1d.core
** (not public: m1d.tsne is the interface).  Every array is a tensor created here
** before the C code runs, so the collector sees all memory that outlives a call and an
** error cannot leak it; the C functions only allocate scratch they free themselves.
**
**   tsne_knn(x, k, cosine) -> idx [n,k] int64 (0-based), dist [n,k]
**   tsne_conditional(dist, perplexity) -> p [n,k], beta [n], rows missed
**   tsne_symmetrize(idx, p) -> rowptr [n+1], col [nnz] int64, val [nnz] (upper triangle, tsne.h)
**   tsne_gradient(rowptr, col, val, y, exaggeration, theta, exact) -> grad [n,2], kl
**   tsne_descend(rowptr, col, val, y, update, gains, n_iter, momentum, learning_rate,
**                exaggeration, theta, exact, min_gain) -> kl, grad_norm  (y, update, gains in place)
**   tsne_pca(x) -> y [n,2];  tsne_random_init(n, seed) -> y [n,2] = 1e-4 N(0, 1)
** Tensors must be contiguous float64 (int64 for indices) of the stated shapes.
*/
#include <string.h>
#include "bind.h"
#include "rng.h"
#include "tsne.h"

static m1d_Tensor *check_array (lua_State *L, int i, m1d_DType dt, int ndim, int64_t d0, int64_t d1,
                                const char *fname, const char *what) {
  m1d_Tensor *t = m1d_checktensor(L, i);
  int ok = t->dtype == dt && t->ndim == ndim && m1d_is_contiguous(t) &&
           (d0 < 0 || t->shape[0] == d0) && (ndim < 2 || d1 < 0 || t->shape[1] == d1);
  if (!ok)
    luaL_error(L, "%s: %s must be a contiguous %s tensor of %d dims%s, got %s %s", fname, what,
               m1d_dtype_name(dt), ndim, ndim == 2 && d1 >= 0 ? " (2 columns)" : "",
               m1d_dtype_name(t->dtype), m1d_shapestr(t).s);
  return t;
}

static m1d_Tensor *push_new (lua_State *L, m1d_DType dt, int ndim, int64_t d0, int64_t d1, const char *fname) {
  int64_t shape[2] = {d0, d1};
  LTensor *h = m1d_newhandle(L);
  h->t = m1d_empty(dt, ndim, shape);
  if (!h->t) luaL_error(L, "%s: %s", fname, m1d_errmsg());
  return h->t;
}

static int l_knn (lua_State *L) {
  m1d_Tensor *x = check_array(L, 1, M1D_F64, 2, -1, -1, "tsne_knn", "x");
  int64_t n = x->shape[0], d = x->shape[1];
  lua_Integer k = luaL_checkinteger(L, 2);
  int cosine = lua_toboolean(L, 3);
  if (k < 1 || k >= n) return luaL_error(L, "tsne_knn: k = %I needs 1 <= k < n = %I", k, (lua_Integer)n);
  m1d_Tensor *idx = push_new(L, M1D_I64, 2, n, k, "tsne_knn");
  m1d_Tensor *dist = push_new(L, M1D_F64, 2, n, k, "tsne_knn");
  m1d_reportmem(L);
  if (m1d_tsne_knn(m1d_data(x), n, d, cosine, k, m1d_data(idx), m1d_data(dist)) < 0)
    return luaL_error(L, "%s", m1d_errmsg());
  return 2;
}

static int l_conditional (lua_State *L) {
  m1d_Tensor *dist = check_array(L, 1, M1D_F64, 2, -1, -1, "tsne_conditional", "dist");
  double perplexity = luaL_checknumber(L, 2);
  int64_t n = dist->shape[0], k = dist->shape[1];
  if (!(perplexity > 0) || perplexity > (double)k)
    return luaL_error(L, "tsne_conditional: perplexity %f must be in (0, k = %I]", perplexity, (lua_Integer)k);
  m1d_Tensor *p = push_new(L, M1D_F64, 2, n, k, "tsne_conditional");
  m1d_Tensor *beta = push_new(L, M1D_F64, 1, n, 0, "tsne_conditional");
  m1d_reportmem(L);
  lua_pushinteger(L, m1d_tsne_conditional(m1d_data(dist), n, k, perplexity, m1d_data(p), m1d_data(beta)));
  return 3;
}

/* pushes a copy of t's first len elements */
static void shrink (lua_State *L, m1d_Tensor *t, int64_t len) {
  LTensor *h = m1d_newhandle(L);
  m1d_Tensor *view = m1d_view_narrow(t, 0, 0, len);
  h->t = view ? m1d_clone_raw(view) : NULL;
  m1d_decref(view);
  if (!h->t) luaL_error(L, "tsne_symmetrize: %s", m1d_errmsg());
}

static int l_symmetrize (lua_State *L) {
  m1d_Tensor *idx = check_array(L, 1, M1D_I64, 2, -1, -1, "tsne_symmetrize", "idx");
  int64_t n = idx->shape[0], k = idx->shape[1];
  m1d_Tensor *p = check_array(L, 2, M1D_F64, 2, n, k, "tsne_symmetrize", "p");
  const int64_t *ix = m1d_data(idx);
  for (int64_t a = 0; a < n * k; a++)
    if (ix[a] < 0 || ix[a] >= n) return luaL_error(L, "tsne_symmetrize: index %I out of range", (lua_Integer)ix[a]);
  m1d_Tensor *rowptr = push_new(L, M1D_I64, 1, n + 1, 0, "tsne_symmetrize");
  m1d_Tensor *col = push_new(L, M1D_I64, 1, n * k, 0, "tsne_symmetrize");
  m1d_Tensor *val = push_new(L, M1D_F64, 1, n * k, 0, "tsne_symmetrize");
  m1d_reportmem(L);
  int64_t nnz = m1d_tsne_symmetrize(ix, m1d_data(p), n, k, m1d_data(rowptr), m1d_data(col), m1d_data(val));
  if (nnz < 0) return luaL_error(L, "%s", m1d_errmsg());
  /* col and val cut to nnz: copies, so that the collector frees the n k buffers */
  shrink(L, col, nnz);
  shrink(L, val, nnz);
  lua_remove(L, -4);                                 /* the full col, then the full val */
  lua_remove(L, -3);
  m1d_reportmem(L);
  return 3;
}

/* P from (rowptr, col, val) at index i .. i+2, checked against y's n */
static m1d_TsneP check_p (lua_State *L, int i, int64_t n, const char *fname) {
  m1d_Tensor *rowptr = check_array(L, i, M1D_I64, 1, n + 1, -1, fname, "rowptr");
  m1d_Tensor *col = check_array(L, i + 1, M1D_I64, 1, -1, -1, fname, "col");
  m1d_Tensor *val = check_array(L, i + 2, M1D_F64, 1, col->shape[0], -1, fname, "val");
  const int64_t *rp = m1d_data(rowptr), *c = m1d_data(col);
  if (rp[0] != 0 || rp[n] != col->shape[0]) luaL_error(L, "%s: rowptr does not match col", fname);
  for (int64_t a = 0; a < n; a++) if (rp[a + 1] < rp[a]) luaL_error(L, "%s: rowptr must not decrease", fname);
  for (int64_t a = 0; a < col->shape[0]; a++)
    if (c[a] < 0 || c[a] >= n) luaL_error(L, "%s: column %I out of range", fname, (lua_Integer)c[a]);
  m1d_TsneP P = {n, rp, c, m1d_data(val)};
  return P;
}

static m1d_TsneGradOpts grad_opts (lua_State *L, int i) {
  m1d_TsneGradOpts o = {luaL_checknumber(L, i), luaL_checknumber(L, i + 1), lua_toboolean(L, i + 2)};
  return o;
}

static int l_gradient (lua_State *L) {
  m1d_Tensor *y = check_array(L, 4, M1D_F64, 2, -1, 2, "tsne_gradient", "y");
  m1d_TsneP P = check_p(L, 1, y->shape[0], "tsne_gradient");
  m1d_TsneGradOpts o = grad_opts(L, 5);
  m1d_Tensor *g = push_new(L, M1D_F64, 2, y->shape[0], 2, "tsne_gradient");
  m1d_reportmem(L);
  double kl = 0;
  if (m1d_tsne_gradient(&P, m1d_data(y), &o, NULL, m1d_data(g), &kl) < 0) return luaL_error(L, "%s", m1d_errmsg());
  lua_pushnumber(L, kl);
  return 2;
}

static int l_descend (lua_State *L) {
  m1d_Tensor *y = check_array(L, 4, M1D_F64, 2, -1, 2, "tsne_descend", "y");
  int64_t n = y->shape[0];
  m1d_TsneP P = check_p(L, 1, n, "tsne_descend");
  m1d_Tensor *update = check_array(L, 5, M1D_F64, 2, n, 2, "tsne_descend", "update");
  m1d_Tensor *gains = check_array(L, 6, M1D_F64, 2, n, 2, "tsne_descend", "gains");
  lua_Integer n_iter = luaL_checkinteger(L, 7);
  m1d_TsneStepOpts o;
  o.momentum = luaL_checknumber(L, 8);
  o.learning_rate = luaL_checknumber(L, 9);
  o.grad = grad_opts(L, 10);
  o.min_gain = luaL_checknumber(L, 13);
  if (n_iter < 1) return luaL_error(L, "tsne_descend: n_iter must be at least 1");
  double kl = 0, gn = 0;
  if (m1d_tsne_descend(&P, m1d_data(y), m1d_data(update), m1d_data(gains), n_iter, &o, &kl, &gn) < 0)
    return luaL_error(L, "%s", m1d_errmsg());
  lua_pushnumber(L, kl);
  lua_pushnumber(L, gn);
  return 2;
}

static int l_pca (lua_State *L) {
  m1d_Tensor *x = check_array(L, 1, M1D_F64, 2, -1, -1, "tsne_pca", "x");
  m1d_Tensor *y = push_new(L, M1D_F64, 2, x->shape[0], 2, "tsne_pca");
  m1d_reportmem(L);
  if (m1d_tsne_pca(m1d_data(x), x->shape[0], x->shape[1], m1d_data(y)) < 0)
    return luaL_error(L, "%s", m1d_errmsg());
  return 1;
}

static int l_random_init (lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1), seed = luaL_checkinteger(L, 2);
  if (n < 1) return luaL_error(L, "tsne_random_init: n must be positive");
  if (seed < 0 || seed > 4294967295LL) return luaL_error(L, "tsne_random_init: seed must be in 0 .. 2^32-1");
  m1d_Tensor *y = push_new(L, M1D_F64, 2, n, 2, "tsne_random_init");
  m1d_reportmem(L);
  m1d_Rng r;
  m1d_rng_seed(&r, (uint32_t)seed);
  double *v = m1d_data(y);
  for (lua_Integer a = 0; a < 2 * n; a++) v[a] = 1e-4 * m1d_rng_gauss(&r);
  return 1;
}

void m1d_open_tsne (lua_State *L) {
  static const luaL_Reg functions[] = {
    {"tsne_knn", l_knn}, {"tsne_conditional", l_conditional}, {"tsne_symmetrize", l_symmetrize},
    {"tsne_gradient", l_gradient}, {"tsne_descend", l_descend}, {"tsne_pca", l_pca},
    {"tsne_random_init", l_random_init}, {NULL, NULL}};
  luaL_setfuncs(L, functions, 0);
}
