/*
** bind.h — shared by the Lua binding files (the only C files that include lua.h).
** Each file src/bind/l_<area>.c exports m1d_open_<area>(L), which adds its
** functions to the module table on top of the stack; init.c calls them all.
*/
#ifndef M1D_BIND_H
#define M1D_BIND_H

#include <lua.h>
#include <lauxlib.h>
#include "tensor.h"

#if LUA_VERSION_NUM != 504
#error "m1d needs Lua 5.4 (lua_gc's interface changed in 5.5)"
#endif

#define M1D_TENSOR_MT "m1d.Tensor"

typedef struct LTensor { m1d_Tensor *t; } LTensor;

/* The tensor at index i; raises a Lua type error otherwise (or if it was released). */
m1d_Tensor *m1d_checktensor (lua_State *L, int i);
/* Tensor at i or NULL if the value there is not a tensor. */
m1d_Tensor *m1d_testtensor (lua_State *L, int i);
/* Tensor from a tensor, a number (0-dim, dtype dt) or a nested table; pushes nothing.
   The result is owned by the caller (decref it) -- or use m1d_argtensor. */
m1d_Tensor *m1d_totensor (lua_State *L, int i, m1d_DType dt);
/* Pushes an empty handle (t == NULL) with the tensor metatable: create the Lua
   object first, then fill it, so an allocation error in Lua cannot leak C memory. */
LTensor *m1d_newhandle (lua_State *L);
/* Pushes t (taking its reference) or, if t is NULL, raises m1d_errmsg() as a Lua error.
   t is an op's result: in anomaly mode, one that recorded nothing is checked here, named
   by the function Lua called (a recorded op was checked by m1d_record). */
int m1d_pushtensor (lua_State *L, m1d_Tensor *t);
/* The same for a tensor made from data (creation, a stored gradient): never checked. */
int m1d_pushdata (lua_State *L, m1d_Tensor *t);
/* Tell the collector about storage allocated since the last call (never call from __gc). */
void m1d_reportmem (lua_State *L);
/* Lua 1-based dim (negative counts from the end) -> C 0-based; raises on out of range. */
int m1d_checkdim (lua_State *L, int arg, int ndim, const char *op);
/* Shape from varargs (3, 4) or a table {3, 4} starting at index i. Returns ndim. */
int m1d_checkshape (lua_State *L, int i, int64_t *shape, const char *op);
m1d_DType m1d_checkdtype (lua_State *L, int i, m1d_DType def);

void m1d_open_tensor (lua_State *L);
void m1d_open_autograd (lua_State *L);
void m1d_open_nn (lua_State *L);
void m1d_open_mnist1d (lua_State *L);
void m1d_open_npy (lua_State *L);
void m1d_open_proc (lua_State *L);
void m1d_open_sys (lua_State *L);
void m1d_open_checkpoint (lua_State *L);
void m1d_open_modelfile (lua_State *L);
void m1d_open_baselines (lua_State *L);
void m1d_open_tsne (lua_State *L);
void m1d_open_sort (lua_State *L);    /* after m1d_open_tensor: adds Tensor methods */

/* The Lua thread running a backward pass (checkpoint's rule calls back into Lua). */
extern lua_State *m1d_backward_L;

int luaopen_m1d_core (lua_State *L);

#endif
