/*
** atomicfile.h — write a file so that readers see the old or the new version,
** never half of one: a temporary file beside the target, fsync, rename, and
** an fsync of the directory.  Used for .npy files, model files and results.
*/
#ifndef M1D_ATOMICFILE_H
#define M1D_ATOMICFILE_H

#include <stddef.h>

/* Writes the n chunks in order to `path`; -1 with "<op>: <path>: <reason>" on failure. */
int m1d_write_atomic (const char *op, const char *path, int n, const void *const *chunks,
                      const size_t *lens);

#endif
