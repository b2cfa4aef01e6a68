/*
** modelfile.h — save and load named tensors in m1d's checksummed model format
** (layout in modelfile.c).  Corrupted, truncated or foreign files are errors
** naming the file, never crashes.
*/
#ifndef M1D_MODELFILE_H
#define M1D_MODELFILE_H

#include "tensor.h"

typedef struct {
  int n;
  char **names;
  m1d_Tensor **tensors;
} m1d_ModelFile;

int m1d_model_save (const char *path, int n, const char *const *names, m1d_Tensor *const *ts);
int m1d_model_load (const char *path, m1d_ModelFile *out);
int m1d_model_load_mem (const char *path, const void *buf, size_t len, m1d_ModelFile *out);
void m1d_model_free (m1d_ModelFile *m);

#endif
