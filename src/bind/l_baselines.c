/*
** l_baselines.c — the kernels of lua/m1d/knn.lua and lua/m1d/probe.lua (which check the
** arguments and document the behaviour): the nearest-neighbour search and vote, and the
** logistic probe's fused objective.  Indices cross 0-based here; knn.lua turns them into
** the Lua API's 1-based ones.
*/
#include "bind.h"
#include "knn.h"
#include "probe.h"

/* knn_search(train, query, k, cosine, block) -> idx [m, k] int64 (0-based), dist [m, k] float64 */
static int l_knn_search (lua_State *L) {
  m1d_Tensor *train = m1d_checktensor(L, 1), *query = m1d_checktensor(L, 2);
  lua_Integer k = luaL_checkinteger(L, 3);
  int cosine = lua_toboolean(L, 4);
  lua_Integer block = luaL_checkinteger(L, 5);
  int64_t m = query->ndim == 2 ? query->shape[0] : 0, kk = k > 0 ? k : 0;
  int64_t shape[2] = {m, kk};
  LTensor *hi = m1d_newhandle(L), *hd = m1d_newhandle(L);   /* created first: no leak on error */
  hi->t = m1d_empty(M1D_I64, 2, shape);
  hd->t = hi->t ? m1d_empty(M1D_F64, 2, shape) : NULL;
  if (!hi->t || !hd->t) return luaL_error(L, "%s", m1d_errmsg());
  int rc = m1d_knn_search(train, query, k, cosine ? M1D_KNN_COSINE : M1D_KNN_EUCLIDEAN, block, hi->t, hd->t);
  m1d_reportmem(L);
  if (rc) return luaL_error(L, "%s", m1d_errmsg());
  return 2;
}

/* knn_vote(idx [m, k] int64 0-based, labels [n] int64) -> pred [m] int64 */
static int l_knn_vote (lua_State *L) {
  m1d_Tensor *idx = m1d_checktensor(L, 1), *labels = m1d_checktensor(L, 2);
  int64_t shape[1] = {idx->ndim == 2 ? idx->shape[0] : 0};
  LTensor *hp = m1d_newhandle(L);
  hp->t = m1d_empty(M1D_I64, 1, shape);
  if (!hp->t) return luaL_error(L, "%s", m1d_errmsg());
  int rc = m1d_knn_vote(idx, labels, hp->t);
  m1d_reportmem(L);
  if (rc) return luaL_error(L, "%s", m1d_errmsg());
  return 1;
}

/* logistic_objective(x, W, b, y, l2, scale) -> loss, gW, gb  (probe.h) */
static int l_logistic_objective (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1), *W = m1d_checktensor(L, 2), *b = m1d_checktensor(L, 3);
  m1d_Tensor *y = m1d_checktensor(L, 4);
  double l2 = luaL_checknumber(L, 5), scale = luaL_checknumber(L, 6);
  LTensor *hw = m1d_newhandle(L), *hb = m1d_newhandle(L), *hs = m1d_newhandle(L);
  int64_t zshape[2] = {x->ndim == 2 ? x->shape[0] : 0, W->ndim == 2 ? W->shape[1] : 0};
  hw->t = m1d_empty(M1D_F64, W->ndim, W->shape);
  hb->t = hw->t ? m1d_empty(M1D_F64, b->ndim, b->shape) : NULL;
  hs->t = hb->t ? m1d_empty(M1D_F64, 2, zshape) : NULL;
  if (!hs->t) return luaL_error(L, "%s", m1d_errmsg());
  double loss = 0;
  int rc = m1d_logistic_objective(x, W, b, y, l2, scale, &loss, hw->t, hb->t, hs->t);
  m1d_reportmem(L);
  if (rc) return luaL_error(L, "%s", m1d_errmsg());
  lua_pop(L, 1);                                  /* the scratch */
  lua_pushnumber(L, loss);
  lua_insert(L, -3);
  return 3;
}

void m1d_open_baselines (lua_State *L) {
  static const luaL_Reg functions[] = {
    {"knn_search", l_knn_search}, {"knn_vote", l_knn_vote}, {"logistic_objective", l_logistic_objective},
    {NULL, NULL}
  };
  luaL_setfuncs(L, functions, 0);
}
