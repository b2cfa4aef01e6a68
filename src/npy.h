/*
** npy.h — NumPy .npy files on plain memory (no tensors involved).
**
** Reads format versions 1.0, 2.0 and 3.0, C or Fortran order (what NumPy writes
** for a transposed array; reordered into C order as it loads), little-endian (or
** byte-order-free) data: float32 ('<f4') stays float32, float64 ('<f8') stays
** float64, and the integer kinds i1 i2 i4 i8 u1 u2 u4 u8 and bool b1 become
** int64 (u8 values above 2^63-1 are rejected).  Writes float32/float64/int64
** with the exact header NumPy 1.24 writes (version 1.0, data aligned to 64
** bytes), atomically: temporary file in the same directory, fsync, rename.
**
** Errors: -1 and a message "load_npy: <file>: <problem>" (or "save_npy: ...")
** left for m1d_errmsg(); a malformed file never makes the reader crash, read
** past its buffer, or allocate more than the file can hold.
*/
#ifndef M1D_NPY_H
#define M1D_NPY_H

#include <stddef.h>
#include <stdint.h>
#include "tensor.h"

typedef struct {
  int dtype;                      /* M1D_F32, M1D_F64 or M1D_I64 (after conversion) */
  int ndim;                       /* 0 .. M1D_MAXDIM */
  int64_t shape[M1D_MAXDIM];
  void *data;                     /* malloc'd, C order, native byte order; never NULL on success */
  size_t nbytes;                  /* bytes of data in out->dtype */
  char descr[16];                 /* descr as stored in the file, e.g. "<f8", "|u1" */
} m1d_NpyArray;

/* Read a file.  On failure out is zeroed and nothing needs freeing. */
int m1d_npy_read (const char *path, m1d_NpyArray *out);
/* The same from memory; name is used in error messages only. */
int m1d_npy_read_mem (const char *name, const void *buf, size_t len, m1d_NpyArray *out);
/* Write data (C order, native byte order, dtype M1D_F32/F64/I64) as path. */
int m1d_npy_write (const char *path, int dtype, int ndim, const int64_t *shape,
                   const void *data);
void m1d_npy_free (m1d_NpyArray *a);

#endif
