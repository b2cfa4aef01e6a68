/*
** blas_kernels.h — which OpenBLAS kernel family m1d's GEMMs run on.
*/
#ifndef M1D_BLAS_KERNELS_H
#define M1D_BLAS_KERNELS_H

/* How the kernel family was chosen, for m1d.blas_info() and the benchmark's table. */
typedef enum {
  M1D_BLAS_BY_OPENBLAS,   /* OpenBLAS knew the CPU (or is not a runtime-dispatch build) */
  M1D_BLAS_BY_USER,       /* OPENBLAS_CORETYPE was set: the user's choice, untouched */
  M1D_BLAS_BY_M1D         /* OpenBLAS fell back to generic kernels; m1d picked the family */
} m1d_blas_choice;

/* Once per process, before any GEMM: if OpenBLAS did not recognise this CPU and fell
   back to its generic Prescott (SSE3) kernels, switch to the AVX-512 (SkylakeX) or
   AVX2 (Haswell) family when the CPU and OS support it.  Returns how it was chosen. */
m1d_blas_choice m1d_blas_select_kernels(void);

/* The kernel family in use ("SkylakeX", "Haswell", "Prescott", ...). */
const char *m1d_blas_corename(void);

#endif
