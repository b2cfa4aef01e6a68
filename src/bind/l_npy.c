/*
** l_npy.c — NumPy .npy files from Lua (npy.c does the work):
**
**   local t = core.load_npy("x.npy")      -- float32 / float64 / int64 tensor
**   core.save_npy("out/x.npy", t)         -- any tensor (copied if not contiguous)
**   core.makedirs("out/run1")             -- mkdir -p; true if it exists afterwards
**
** Errors are Lua errors carrying npy.c's message, which names the file and
** the problem ("load_npy: x.npy: truncated file: ...").  The handle is pushed
** before anything is allocated (bind.h), so an error never leaks C memory.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "bind.h"
#include "npy.h"

static int l_load_npy (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  LTensor *h = m1d_newhandle(L);
  m1d_NpyArray a;
  if (m1d_npy_read(path, &a) != 0)
    return luaL_error(L, "%s", m1d_errmsg());
  h->t = m1d_empty((m1d_DType)a.dtype, a.ndim, a.shape);
  if (h->t == NULL) {
    m1d_npy_free(&a);
    return luaL_error(L, "load_npy: %s: %s", path, m1d_errmsg());
  }
  if (a.nbytes) memcpy(m1d_data(h->t), a.data, a.nbytes);
  m1d_npy_free(&a);
  m1d_reportmem(L);
  return 1;
}

static int l_save_npy (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  m1d_Tensor *t = m1d_checktensor(L, 2);
  m1d_Tensor *c = m1d_contiguous_raw(t);
  if (c == NULL) return luaL_error(L, "save_npy: %s: %s", path, m1d_errmsg());
  int rc = m1d_npy_write(path, c->dtype, c->ndim, c->shape, m1d_data(c));
  m1d_decref(c);
  if (rc != 0) return luaL_error(L, "%s", m1d_errmsg());
  return 0;
}

/* mkdir -p: creates every missing component; fine if the directory exists. */
static int l_makedirs (lua_State *L) {
  size_t n;
  const char *path = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, n + 1);
  memcpy(p, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != '\0') continue;
    char c = p[i];
    p[i] = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      return luaL_error(L, "makedirs: %s: cannot create %s: %s", path, p, strerror(e));
    }
    p[i] = c;
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return luaL_error(L, "makedirs: %s: exists and is not a directory", path);
  lua_pushboolean(L, 1);
  return 1;
}

void m1d_open_npy (lua_State *L) {
  static const luaL_Reg fns[] = {
    {"load_npy", l_load_npy},
    {"save_npy", l_save_npy},
    {"makedirs", l_makedirs},
    {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
}
