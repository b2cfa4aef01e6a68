/*
** slurp.h — read a whole file into memory, for the C tests that compare or damage
** files byte by byte.  Returns a malloc'd buffer (free it) and its length, or NULL.
*/
#ifndef M1D_TEST_SLURP_H
#define M1D_TEST_SLURP_H

#include <stdio.h>
#include <stdlib.h>

static char *slurp (const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = n >= 0 ? malloc(n > 0 ? (size_t)n : 1) : NULL;   /* ftell fails with -1 */
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
  fclose(f);
  *len = n > 0 ? (size_t)n : 0;
  return b;
}

#endif
