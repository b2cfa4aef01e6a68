/*
** blas_kernels.c — run OpenBLAS's fast kernels on CPUs newer than it knows.
**
** Debian 12's OpenBLAS (0.3.21) is a runtime-dispatch build: at load time it reads the
** CPU model and picks a kernel family.  For a model it does not know (Sapphire/Emerald
** Rapids, Zen 5, ...) it falls back to "Prescott", generic SSE3 code: 15 GFLOP/s on the
** lottery MLP's GEMMs where the AVX-512 family does 48.  OpenBLAS's documented fix is
** the OPENBLAS_CORETYPE environment variable, but it is read once, when the library is
** loaded, which is before m1d's code runs (and, under `lua5.4 -e 'require "m1d"'`,
** inside someone else's process).  So m1d does what OpenBLAS itself does at load time:
** it sets the variable and reruns OpenBLAS's own dispatch (gotoblas_dynamic_quit, then
** gotoblas_dynamic_init, which reads OPENBLAS_CORETYPE and initialises the family's
** block sizes), before any GEMM has been issued.  It only ever replaces the Prescott
** fallback, only with a family whose instructions this CPU and OS support (GCC's
** __builtin_cpu_supports checks both), and never when the user set OPENBLAS_CORETYPE.
** The two entry points are not in OpenBLAS's public header; they are bound weakly, so
** a BLAS without them (a build for one CPU, another vendor's) leaves m1d untouched.
*/
#include "blas_kernels.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cblas.h>

extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

const char *m1d_blas_corename (void) {
  const char *name = openblas_get_corename();
  return name ? name : "unknown";
}

/* The best family among those OpenBLAS 0.3.21 ships that this machine can run, or NULL. */
static const char *best_family (void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return "Haswell";
#endif
  return NULL;
}

m1d_blas_choice m1d_blas_select_kernels (void) {
  static int done = 0;
  static m1d_blas_choice choice = M1D_BLAS_BY_OPENBLAS;
  if (done) return choice;
  done = 1;
  if (getenv("OPENBLAS_CORETYPE")) return choice = M1D_BLAS_BY_USER;
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return choice;
  if (strcasecmp(m1d_blas_corename(), "Prescott") != 0) return choice;
  const char *family = best_family();
  if (!family || setenv("OPENBLAS_CORETYPE", family, 1) != 0) return choice;
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");   /* child processes detect for themselves */
  return choice = M1D_BLAS_BY_M1D;
}
