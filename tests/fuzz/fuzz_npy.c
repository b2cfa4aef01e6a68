/*
** fuzz_npy.c — libFuzzer target for the .npy reader (m1d_npy_read_mem), and for what
** core.load_npy does with its result (a tensor of that dtype and shape, filled from the
** data, summed).  Built and run by `make fuzz`; seeds in tests/fuzz/corpus/fuzz_npy/.
**
** Checked on every input: no crash, no out-of-bounds access (ASan), no undefined
** behaviour (UBSan); a failure leaves a message starting "load_npy: "; a success has a
** sane shape, nbytes equal to numel * element size, and data that can be read in full.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "npy.h"
#include "ops.h"
#include "tensor.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_npy: check failed: %s\n", #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  m1d_NpyArray a;
  if (m1d_npy_read_mem("fuzz.npy", data, size, &a) != 0) {
    CHECK(strncmp(m1d_errmsg(), "load_npy: fuzz.npy: ", 20) == 0);
    CHECK(a.data == NULL);
    return 0;
  }
  CHECK(a.data != NULL);
  CHECK(a.ndim >= 0 && a.ndim <= M1D_MAXDIM);
  CHECK(a.dtype == M1D_F32 || a.dtype == M1D_F64 || a.dtype == M1D_I64);
  size_t n = 1;
  for (int i = 0; i < a.ndim; i++) {
    CHECK(a.shape[i] >= 0);
    n *= (size_t)a.shape[i];        /* checked by the reader against overflow */
  }
  CHECK(a.nbytes == n * m1d_dtype_size((m1d_DType)a.dtype));
  CHECK(a.nbytes <= 8 * size);      /* never more than the file can hold */
  /* read every byte (ASan flags a short buffer) */
  unsigned char x = 0;
  for (size_t i = 0; i < a.nbytes; i++) x ^= ((const unsigned char *)a.data)[i];
  (void)x;
  /* what core.load_npy does next */
  m1d_Tensor *t = m1d_empty((m1d_DType)a.dtype, a.ndim, a.shape);
  if (t == NULL) {
    CHECK(m1d_errmsg()[0] != '\0');
  } else {
    CHECK((size_t)m1d_numel(t) == n);
    if (a.nbytes) memcpy(m1d_data(t), a.data, a.nbytes);
    m1d_Tensor *s = m1d_sum(t);
    CHECK(s != NULL);
    m1d_decref(s);
    m1d_decref(t);
  }
  m1d_npy_free(&a);
  return 0;
}
