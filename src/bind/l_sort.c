/*
** l_sort.c — the scan, sorting and norm methods (t:cumsum, t:sort, t:topk, t:norm)
** and m1d.cumsum.  Added to the Tensor method table l_tensor.c made (init.c opens
** this file after it).  Dims and the returned indices are 1-based.
*/
#include <math.h>
#include "bind.h"
#include "ops.h"

/* an optional boolean flag at i (nil: def); anything else is an error naming it */
static int opt_flag (lua_State *L, int i, int def, const char *op, const char *name) {
  if (lua_isnoneornil(L, i)) return def;
  if (!lua_isboolean(L, i))
    return luaL_error(L, "%s: %s must be a boolean, got %s", op, name, luaL_typename(L, i));
  return lua_toboolean(L, i);
}

/* dim at i, or def_last (-1 -> the last dim) when absent */
static int opt_dim (lua_State *L, int i, const m1d_Tensor *x, const char *op) {
  if (lua_isnoneornil(L, i)) {
    if (x->ndim == 0) return luaL_error(L, "%s: needs a tensor with at least 1 dim, got a 0-dim one", op);
    return x->ndim - 1;
  }
  if (!lua_isinteger(L, i))
    return luaL_error(L, "%s: dim must be an integer (1-based, negative counts from the end), got %s", op,
                      lua_isnumber(L, i) ? "a fraction" : luaL_typename(L, i));
  return m1d_checkdim(L, i, x->ndim, op);
}

/* values and 1-based indices as two results; the handles exist before the C calls
   return, so an error cannot leak a tensor */
static int push_values_indices (lua_State *L, m1d_Tensor *v, m1d_Tensor *idx0) {
  LTensor *vh = m1d_newhandle(L);
  vh->t = v;
  LTensor *ih = m1d_newhandle(L);
  if (v == NULL) return luaL_error(L, "%s", m1d_errmsg());
  ih->t = m1d_affine(idx0, 1, 1);
  m1d_decref(idx0);
  if (ih->t == NULL) return luaL_error(L, "%s", m1d_errmsg());
  m1d_reportmem(L);
  return 2;
}

static int t_cumsum (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) return luaL_error(L, "cumsum: dim is required (1-based, negative counts from the end)");
  return m1d_pushtensor(L, m1d_cumsum(x, opt_dim(L, 2, x, "cumsum")));
}

static int t_sort (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  int dim = opt_dim(L, 2, x, "sort"), desc = opt_flag(L, 3, 0, "sort", "descending");
  m1d_Tensor *idx = NULL, *v = m1d_sort(x, dim, desc, &idx);
  return push_values_indices(L, v, idx);
}

static int t_topk (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  if (!lua_isinteger(L, 2))
    return luaL_error(L, "topk: k must be an integer (how many elements to keep), got %s",
                      lua_isnumber(L, 2) ? "a fraction" : luaL_typename(L, 2));
  int64_t k = (int64_t)lua_tointeger(L, 2);
  int dim = opt_dim(L, 3, x, "topk"), largest = opt_flag(L, 4, 1, "topk", "largest");
  m1d_Tensor *idx = NULL, *v = m1d_topk(x, k, dim, largest, &idx);
  return push_values_indices(L, v, idx);
}

static int t_norm (lua_State *L) {
  m1d_Tensor *x = m1d_checktensor(L, 1);
  double p = 2;
  if (!lua_isnoneornil(L, 2)) {
    if (!lua_isnumber(L, 2) || lua_type(L, 2) == LUA_TSTRING)
      return luaL_error(L, "norm: p must be a number > 0 (math.huge for the max norm), got %s", luaL_typename(L, 2));
    p = lua_tonumber(L, 2);
  }
  int dim = lua_isnoneornil(L, 3) ? -1 : opt_dim(L, 3, x, "norm");
  int keepdim = opt_flag(L, 4, 0, "norm", "keepdim");
  return m1d_pushtensor(L, m1d_vector_norm(x, p, dim, keepdim));
}

static const luaL_Reg methods[] = {
  {"cumsum", t_cumsum}, {"sort", t_sort}, {"topk", t_topk}, {"norm", t_norm},
  {NULL, NULL}
};

void m1d_open_sort (lua_State *L) {
  lua_getfield(L, -1, "Tensor");           /* the method table m1d_open_tensor made */
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 1);
  lua_pushcfunction(L, t_cumsum);
  lua_setfield(L, -2, "cumsum");
}
