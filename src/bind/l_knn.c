/*
** l_knn.c — the k-nearest-neighbour kernels for lua/m1d/knn.lua (which checks the
** arguments and documents the behaviour).  Indices cross 0-based here; knn.lua
** turns them into the Lua API's 1-based ones.
*/
#include "bind.h"
#include "knn.h"

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

void m1d_open_knn (lua_State *L) {
  static const luaL_Reg functions[] = {
    {"knn_search", l_knn_search}, {"knn_vote", l_knn_vote},
    {NULL, NULL}
  };
  luaL_setfuncs(L, functions, 0);
}
