/* l_npy.c — placeholder until the npy binding lands. */
#include "bind.h"

void m1d_open_npy (lua_State *L) { (void)L; }
