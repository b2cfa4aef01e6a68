/* l_mnist1d.c — placeholder until the mnist1d binding lands. */
#include "bind.h"

void m1d_open_mnist1d (lua_State *L) { (void)L; }
