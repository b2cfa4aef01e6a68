/* l_proc.c — placeholder until the proc binding lands. */
#include "bind.h"

void m1d_open_proc (lua_State *L) { (void)L; }
