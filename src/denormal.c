/*
** denormal.c — flushing subnormal floats to zero, off by default.
**
** Arithmetic on subnormal numbers (below 1.2e-38 in float32) takes a slow path in
** x86 CPUs: a multiply or divide touching one cost 6 ns here instead of 0.04.  They
** arise in long training runs: Adam's first moment of a weight whose gradient is
** exactly 0 (a dead ReLU unit, a pruned weight) decays geometrically into them.
** Flushing them to zero is what torch.set_flush_denormal(True) does; results then
** differ from IEEE arithmetic in values below 1.2e-38, so it is a switch, not a default.
** It sets the MXCSR register of the calling thread: m1d computes on that thread
** (OpenBLAS runs single-threaded by default; its worker threads keep their own mode).
*/
#include "denormal.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
#define FTZ_DAZ (0x8000u | 0x0040u)      /* MXCSR bits 15 (flush to zero) and 6 (denormals are zero) */

int m1d_set_flush_denormal (int on) {
  unsigned int csr = _mm_getcsr();
  int was = (csr & FTZ_DAZ) == FTZ_DAZ;
  _mm_setcsr(on ? (csr | FTZ_DAZ) : (csr & ~FTZ_DAZ));
  return was;
}
#else
int m1d_set_flush_denormal (int on) { (void)on; return -1; }
#endif
