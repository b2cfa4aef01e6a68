/*
** gemm.c — see gemm.h.
*/
#include <string.h>
#include "gemm.h"

void m1d_gemm (m1d_DType dt, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k,
               const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  size_t es = m1d_dtype_size(dt);
  if (k <= 0) {
    if (beta == 0) for (int64_t i = 0; i < m; i++) memset((char *)c + (size_t)(i * ldc) * es, 0, (size_t)n * es);
    else if (beta != 1) for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) {
      if (dt == M1D_F32) ((float *)c)[i * ldc + j] *= (float)beta;
      else ((double *)c)[i * ldc + j] *= beta;
    }
    return;
  }
  if (dt == M1D_F32)
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, (float)beta,
                c, (int)ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
