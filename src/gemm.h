/*
** gemm.h — the one wrapper around OpenBLAS's GEMM the op files share.
*/
#ifndef M1D_GEMM_H
#define M1D_GEMM_H

#include <cblas.h>
#include "tensor.h"

/* C[m,n] = op(A) op(B) + beta C, row-major, float32 or float64 (dt) for any sizes: an
   empty product (k == 0) is beta C (zeros for beta 0), an empty C is left alone; BLAS
   would reject the leading dimensions below 1 such blocks give. */
void m1d_gemm (m1d_DType dt, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
               const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc);

#endif
