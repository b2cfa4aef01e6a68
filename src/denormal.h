/*
** denormal.h — flushing subnormal floats to zero (as torch.set_flush_denormal).
*/
#ifndef M1D_DENORMAL_H
#define M1D_DENORMAL_H

/* on = 1: subnormal results become 0 (FTZ) and subnormal inputs read as 0 (DAZ) on this
   thread; on = 0: IEEE behaviour, the default.  Returns the previous setting, or -1
   where the CPU has no such mode (then nothing changes). */
int m1d_set_flush_denormal (int on);

#endif
