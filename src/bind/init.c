/*
** init.c — luaopen_m1d_core: the C module behind require "m1d".
** Returns a table of functions (no globals); lua/m1d/init.lua builds the
** user-facing module on top of it.
*/
#include "bind.h"

int luaopen_m1d_core (lua_State *L) {
  /* Tensor storage is reported to the collector (m1d_reportmem), but the collector's
     default pause (200%) still lets a training loop pile up ~25x its live tensor memory
     before a cycle starts (217 MB vs 8 MB peak for 2,000 CNN steps).  Start each cycle
     as soon as the last one ends, and finish cycles quickly. */
  lua_gc(L, LUA_GCINC, 100, 400, 0);
  lua_newtable(L);
  m1d_open_tensor(L);
  m1d_open_autograd(L);
  m1d_open_nn(L);
  m1d_open_mnist1d(L);
  m1d_open_npy(L);
  m1d_open_proc(L);
  m1d_open_sys(L);
  m1d_open_checkpoint(L);
  m1d_open_modelfile(L);
  lua_pushliteral(L, "0.1.0");
  lua_setfield(L, -2, "version");
  return 1;
}
