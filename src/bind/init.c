/*
** init.c — luaopen_m1d_core: the C module behind require "m1d".
** Returns a table of functions (no globals); lua/m1d/init.lua builds the
** user-facing module on top of it.
*/
#include "bind.h"

int luaopen_m1d_core (lua_State *L) {
  /* Tensor storage is reported to the collector (m1d_reportmem).  Lua 5.4 as Debian
     builds it starts in generational mode, where tensor handles that survive one
     minor cycle grow old and wait for a major one: 2,000 CNN steps peaked at 212 MB.
     The incremental collector (default pause and step) keeps them at 9 MB at the
     same speed; a more eager pause (100%) costs up to 5x in op-heavy loops (GRU). */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  lua_newtable(L);
  m1d_open_tensor(L);
  m1d_open_sort(L);
  m1d_open_autograd(L);
  m1d_open_nn(L);
  m1d_open_mnist1d(L);
  m1d_open_npy(L);
  m1d_open_proc(L);
  m1d_open_sys(L);
  m1d_open_checkpoint(L);
  m1d_open_modelfile(L);
  m1d_open_baselines(L);
  m1d_open_tsne(L);
  lua_pushliteral(L, "0.1.0");
  lua_setfield(L, -2, "version");
  return 1;
}
