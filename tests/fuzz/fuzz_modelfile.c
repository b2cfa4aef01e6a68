/*
** fuzz_modelfile.c — libFuzzer target for the model/checkpoint reader
** (m1d_model_load_mem).  Built and run by `make fuzz`; seeds in
** tests/fuzz/corpus/fuzz_modelfile/.
**
** Input: one control byte, then the file.  The reader checks the SHA-256 trailer before
** it parses anything, so random bytes would almost never get past it: when bit 0 of the
** control byte is set the harness rewrites the trailer to the right digest first, which
** lets the fuzzer reach the parser with any content (a buggy or hostile writer).
**
** Checked: no crash, out-of-bounds access or undefined behaviour; a failure leaves a
** message starting "load: " and nothing allocated; a success has n tensors with names
** and data that can be read in full.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modelfile.h"
#include "sha256.h"
#include "tensor.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_modelfile: check failed: %s\n", #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int fix = data[0] & 1;
  size_t len = size - 1;
  unsigned char *buf = malloc(len ? len : 1);     /* exact size: ASan sees any overread */
  if (buf == NULL) return 0;
  memcpy(buf, data + 1, len);
  if (fix && len >= 32) {
    m1d_Sha256 sh;
    m1d_sha256_init(&sh);
    m1d_sha256_update(&sh, buf, len - 32);
    m1d_sha256_final(&sh, buf + len - 32);
  }
  m1d_ModelFile m;
  if (m1d_model_load_mem("fuzz.m1d", buf, len, &m) != 0) {
    CHECK(strncmp(m1d_errmsg(), "load: fuzz.m1d: ", 16) == 0);
    CHECK(m.n == 0 && m.names == NULL && m.tensors == NULL);
  } else {
    CHECK(m.n >= 0);
    for (int i = 0; i < m.n; i++) {
      CHECK(m.names[i] != NULL && m.tensors[i] != NULL);
      (void)strlen(m.names[i]);
      m1d_Tensor *t = m.tensors[i];
      size_t nb = (size_t)m1d_numel(t) * m1d_dtype_size(t->dtype);
      CHECK(nb <= len);
      unsigned char x = 0;
      for (size_t k = 0; k < nb; k++) x ^= ((const unsigned char *)m1d_data(t))[k];
      (void)x;
    }
    m1d_model_free(&m);
  }
  free(buf);
  return 0;
}
