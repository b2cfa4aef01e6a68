/*
** l_modelfile.c — core.save_tensors(path, names, tensors) and
** core.load_tensors(path) -> names, tensors (see src/modelfile.h), and
** core.write_file(path, text), the atomic writer results files go through.
*/
#include <stdlib.h>
#include "bind.h"
#include "modelfile.h"
#include "atomicfile.h"

static int l_save_tensors (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  int n = (int)luaL_len(L, 2);
  if ((int)luaL_len(L, 3) != n) return luaL_error(L, "save: %d names for %d tensors", n, (int)luaL_len(L, 3));
  const char **names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n ? n : 1), 0);
  m1d_Tensor **ts = lua_newuserdatauv(L, sizeof(m1d_Tensor *) * (size_t)(n ? n : 1), 0);
  /* the names and tensors stay referenced from these tables until the file is written:
     lua_geti may run an __index that returns a fresh value, and lua_tostring of a number
     made a string referenced by nothing once popped (collected: use after free) */
  lua_createtable(L, n, 0);
  lua_createtable(L, n, 0);
  int anchor_names = lua_gettop(L) - 1, anchor_ts = lua_gettop(L);
  for (int i = 0; i < n; i++) {
    if (lua_geti(L, 2, i + 1) != LUA_TSTRING) return luaL_error(L, "save: name %d is not a string", i + 1);
    names[i] = lua_tostring(L, -1);
    lua_rawseti(L, anchor_names, i + 1);
    lua_geti(L, 3, i + 1);
    ts[i] = m1d_testtensor(L, -1);
    if (ts[i] == NULL) return luaL_error(L, "save: element %d is not a tensor", i + 1);
    lua_rawseti(L, anchor_ts, i + 1);
  }
  if (m1d_model_save(path, n, names, ts) < 0) return luaL_error(L, "%s", m1d_errmsg());
  return 0;
}

static int l_load_tensors (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  m1d_ModelFile m;
  if (m1d_model_load(path, &m) < 0) return luaL_error(L, "%s", m1d_errmsg());
  lua_createtable(L, m.n, 0);
  lua_createtable(L, m.n, 0);
  for (int i = 0; i < m.n; i++) {       /* hand every tensor to a handle first */
    LTensor *h = m1d_newhandle(L);
    h->t = m.tensors[i];
    m.tensors[i] = NULL;
    lua_rawseti(L, -2, i + 1);
    lua_pushstring(L, m.names[i]);
    lua_rawseti(L, -3, i + 1);
  }
  m1d_model_free(&m);
  m1d_reportmem(L);
  return 2;
}

/* write_file(path, text): atomically (temp file, fsync, rename), for results files */
static int l_write_file (lua_State *L) {
  size_t len;
  const char *path = luaL_checkstring(L, 1), *text = luaL_checklstring(L, 2, &len);
  const void *chunks[1] = {text};
  if (m1d_write_atomic("write_file", path, 1, chunks, &len) < 0) return luaL_error(L, "%s", m1d_errmsg());
  return 0;
}

void m1d_open_modelfile (lua_State *L) {
  static const luaL_Reg functions[] = {
    {"save_tensors", l_save_tensors}, {"load_tensors", l_load_tensors}, {"write_file", l_write_file},
    {NULL, NULL}
  };
  luaL_setfuncs(L, functions, 0);
}
