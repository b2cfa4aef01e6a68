/*
** l_autograd.c — the autograd engine from Lua: requires_grad, backward,
** m1d.grad (functional, like torch.autograd.grad), no_grad, detach, anomaly.
*/
#include <stdlib.h>
#include <string.h>
#include "bind.h"
#include "autograd.h"

/* x:requires_grad([on = true]) -> x   (sets the flag on a leaf) */
static int t_requires_grad (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  int on = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  if (m1d_set_requires_grad(t, on) < 0) return luaL_error(L, "%s", m1d_errmsg());
  lua_settop(L, 1);
  return 1;
}

static int t_is_requiring_grad (lua_State *L) {
  lua_pushboolean(L, m1d_checktensor(L, 1)->requires_grad);
  return 1;
}

static int t_is_leaf (lua_State *L) {
  lua_pushboolean(L, m1d_checktensor(L, 1)->grad_fn == NULL);
  return 1;
}

static int t_grad_fn (lua_State *L) {
  m1d_Tensor *t = m1d_checktensor(L, 1);
  if (t->grad_fn) lua_pushstring(L, t->grad_fn->name); else lua_pushnil(L);
  return 1;
}

static int t_detach (lua_State *L) { return m1d_pushtensor(L, m1d_detach(m1d_checktensor(L, 1))); }

/* An options table holds only the keys in `known` (NULL-terminated): a misspelt
   create_graph must not silently run a first-order backward. */
static void check_option_keys (lua_State *L, int opts, const char *fname, const char *const *known) {
  if (!lua_istable(L, opts)) return;
  lua_pushnil(L);
  while (lua_next(L, opts) != 0) {
    int ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -2);
      for (const char *const *p = known; *p && !ok; p++) ok = strcmp(k, *p) == 0;
    }
    if (!ok) {
      const char *key = luaL_tolstring(L, -2, NULL);     /* pushed: stays on the stack */
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (const char *const *p = known; *p; p++) {
        if (p != known) luaL_addstring(&b, ", ");
        luaL_addstring(&b, *p);
      }
      luaL_pushresult(&b);
      luaL_error(L, "%s: unknown option '%s' (known: %s)", fname, key, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}

static int opt_bool (lua_State *L, int opts, const char *key, int def) {
  if (!lua_istable(L, opts)) return def;
  lua_getfield(L, opts, key);
  int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Tensors from a tensor or a list at index i into a userdata array pushed on the stack,
   with (for a list) an anchor table holding them: the list's __index may hand out fresh
   tensors, which must not be collected while the engine uses them. */
static m1d_Tensor **tensor_list (lua_State *L, int i, int *n, const char *what) {
  if (luaL_testudata(L, i, M1D_TENSOR_MT)) {
    m1d_Tensor **v = lua_newuserdatauv(L, sizeof *v, 0);
    v[0] = m1d_checktensor(L, i);
    *n = 1;
    return v;
  }
  if (!lua_istable(L, i)) luaL_error(L, "grad: %s must be a tensor or a list of tensors", what);
  lua_Integer len = luaL_len(L, i);
  if (len < 0 || len > 1000000) luaL_error(L, "grad: %s has a bad length %I", what, len);
  *n = (int)len;
  m1d_Tensor **v = lua_newuserdatauv(L, sizeof *v * (size_t)(*n > 0 ? *n : 1), 0);
  lua_createtable(L, *n, 0);
  for (int k = 0; k < *n; k++) {
    lua_geti(L, i, k + 1);
    v[k] = m1d_testtensor(L, -1);
    if (v[k] == NULL) luaL_error(L, "grad: %s[%d] is a %s, not a tensor", what, k + 1, luaL_typename(L, -1));
    lua_rawseti(L, -2, k + 1);
  }
  return v;
}

/* m1d.grad(outputs, inputs [, {create_graph, retain_graph, grad_outputs}]) */
static int l_grad (lua_State *L) {
  int nout, nin, ngo = 0;
  lua_settop(L, 3);
  m1d_Tensor **outs = tensor_list(L, 1, &nout, "outputs");
  m1d_Tensor **ins = tensor_list(L, 2, &nin, "inputs");
  static const char *const known[] = {"create_graph", "retain_graph", "grad_outputs", NULL};
  if (!lua_isnil(L, 3) && !lua_istable(L, 3)) return luaL_typeerror(L, 3, "options table");
  check_option_keys(L, 3, "grad", known);
  int create = opt_bool(L, 3, "create_graph", 0);
  int retain = opt_bool(L, 3, "retain_graph", create);
  m1d_Tensor **gos = NULL;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "grad_outputs");
    if (!lua_isnil(L, -1)) {
      gos = tensor_list(L, lua_gettop(L), &ngo, "grad_outputs");
      if (ngo != nout) return luaL_error(L, "grad: %d grad_outputs for %d outputs", ngo, nout);
    }
  }
  m1d_Tensor **res = lua_newuserdatauv(L, sizeof *res * (size_t)(nin > 0 ? nin : 1), 0);
  lua_State *prevL = m1d_backward_L;
  m1d_backward_L = L;
  int rc = m1d_backward(nout, outs, gos, nin, ins, res, create, retain);
  m1d_backward_L = prevL;
  if (rc < 0) return luaL_error(L, "%s", m1d_errmsg());
  /* hand every result to a handle before anything can raise */
  int single = luaL_testudata(L, 2, M1D_TENSOR_MT) != NULL;
  lua_createtable(L, nin, 0);
  for (int k = 0; k < nin; k++) {
    LTensor *h = m1d_newhandle(L);
    h->t = res[k];
    lua_rawseti(L, -2, k + 1);
  }
  m1d_reportmem(L);
  if (single) lua_rawgeti(L, -1, 1);
  return 1;
}

/* y:backward([gradient] [, {retain_graph, create_graph}]) */
static int t_backward (lua_State *L) {
  m1d_Tensor *y = m1d_checktensor(L, 1);
  m1d_Tensor *g = m1d_testtensor(L, 2);
  /* y:backward(g, opts), y:backward(opts) and y:backward(nil, opts) */
  int opts = lua_istable(L, 2) ? 2 : 3;
  if (!g && !lua_isnoneornil(L, 2) && opts == 3)
    return luaL_typeerror(L, 2, "tensor (the gradient) or an options table");
  if (!lua_isnoneornil(L, opts) && !lua_istable(L, opts))
    return luaL_typeerror(L, opts, "options table");
  static const char *const known[] = {"create_graph", "retain_graph", NULL};
  check_option_keys(L, opts, "backward", known);
  int create = opt_bool(L, opts, "create_graph", 0);
  int retain = opt_bool(L, opts, "retain_graph", create);
  m1d_Tensor *gs[1] = {g};
  lua_State *prevL = m1d_backward_L;
  m1d_backward_L = L;
  int rc = m1d_backward(1, &y, g ? gs : NULL, 0, NULL, NULL, create, retain);
  m1d_backward_L = prevL;
  if (rc < 0) return luaL_error(L, "%s", m1d_errmsg());
  m1d_reportmem(L);
  return 0;
}

/* run f(...) with grad mode set to `mode`, restoring it even if f raises */
static int with_grad_mode (lua_State *L, int mode) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int prev = m1d_set_grad_enabled(mode);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  m1d_set_grad_enabled(prev);
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

static int l_no_grad (lua_State *L) { return with_grad_mode(L, 0); }
static int l_enable_grad (lua_State *L) { return with_grad_mode(L, 1); }

static int l_set_grad_enabled (lua_State *L) {
  lua_pushboolean(L, m1d_set_grad_enabled(lua_toboolean(L, 1)));
  return 1;
}

static int l_is_grad_enabled (lua_State *L) {
  lua_pushboolean(L, m1d_grad_enabled());
  return 1;
}

static int l_detect_anomaly (lua_State *L) {
  int prev = m1d_anomaly_enabled();
  if (!lua_isnone(L, 1)) m1d_set_anomaly(lua_toboolean(L, 1));
  lua_pushboolean(L, prev);
  return 1;
}

void m1d_open_autograd (lua_State *L) {
  static const luaL_Reg methods[] = {
    {"requires_grad", t_requires_grad}, {"requires_grad_", t_requires_grad},
    {"is_requiring_grad", t_is_requiring_grad}, {"is_leaf", t_is_leaf}, {"grad_fn", t_grad_fn},
    {"detach", t_detach}, {"backward", t_backward}, {NULL, NULL}
  };
  static const luaL_Reg functions[] = {
    {"grad", l_grad}, {"no_grad", l_no_grad}, {"enable_grad", l_enable_grad},
    {"set_grad_enabled", l_set_grad_enabled}, {"is_grad_enabled", l_is_grad_enabled},
    {"detect_anomaly", l_detect_anomaly}, {NULL, NULL}
  };
  lua_getfield(L, -1, "Tensor");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 1);
  luaL_setfuncs(L, functions, 0);
}
