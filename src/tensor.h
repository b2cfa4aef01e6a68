/*
** tensor.h — n-dimensional tensors: storage, views, creation, errors.
**
** A tensor is a reference-counted view (shape, strides, offset, dtype) of a
** reference-counted storage.  Views (reshape of contiguous data, narrow,
** transpose, expand, squeeze/unsqueeze) share storage and cost no copy.
** Shapes and strides count elements; dim 0 is outermost (NumPy order); C code
** indexes from 0 and only the Lua binding converts to 1-based.
**
** Errors: no function here aborts, exits or prints.  A failing function
** returns NULL (or -1) and leaves a message that m1d_errmsg() returns until the
** next failure.  Every message names the operation and the shapes involved.
*/
#ifndef M1D_TENSOR_H
#define M1D_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define M1D_MAXDIM 8

typedef enum { M1D_F32 = 0, M1D_F64 = 1, M1D_I64 = 2 } m1d_DType;

typedef struct m1d_Storage {
  int refs;
  size_t nbytes;
  void *data;
} m1d_Storage;

struct m1d_Node;

typedef struct m1d_Tensor {
  int refs;
  m1d_DType dtype;
  int ndim;
  int64_t shape[M1D_MAXDIM];
  int64_t stride[M1D_MAXDIM];     /* in elements; 0 for expanded dims */
  int64_t offset;                 /* in elements, into storage */
  m1d_Storage *storage;
  /* autograd (see autograd.h) */
  int requires_grad;              /* leaf that wants .grad, or recorded result */
  struct m1d_Node *grad_fn;       /* node that produced it; NULL for leaves */
  struct m1d_Tensor *grad;        /* accumulated by backward() on leaves */
  uint64_t seq;                   /* creation order of grad-requiring leaves */
} m1d_Tensor;

/* ---- errors ---- */
void *m1d_fail (const char *fmt, ...);      /* sets the message, returns NULL */
int m1d_failcode (const char *fmt, ...);    /* sets the message, returns -1 */
const char *m1d_errmsg (void);

/* A shape as text, e.g. "[100,40]", without allocating (safe twice per call). */
typedef struct { char s[96]; } m1d_ShapeStr;
m1d_ShapeStr m1d_shapestr (const m1d_Tensor *t);
m1d_ShapeStr m1d_shapestr_n (int ndim, const int64_t *shape);
const char *m1d_dtype_name (m1d_DType dt);
static inline size_t m1d_dtype_size (m1d_DType dt) { return dt == M1D_F32 ? 4 : 8; }

/* ---- memory accounting (the Lua binding reports these to the GC) ---- */
typedef struct {
  uint64_t bytes_live;       /* storage bytes currently allocated */
  uint64_t bytes_allocated;  /* total ever allocated (monotonic) */
  uint64_t mallocs;          /* calls to the system allocator for storage */
} m1d_MemStats;
m1d_MemStats m1d_memstats (void);

/* ---- lifetime ---- */
void m1d_incref (m1d_Tensor *t);
void m1d_decref (m1d_Tensor *t);          /* NULL is fine */

/* ---- creation (all return new contiguous tensors, refs = 1) ---- */
m1d_Tensor *m1d_empty (m1d_DType dt, int ndim, const int64_t *shape);
m1d_Tensor *m1d_zeros (m1d_DType dt, int ndim, const int64_t *shape);
m1d_Tensor *m1d_full (m1d_DType dt, int ndim, const int64_t *shape, double v);
m1d_Tensor *m1d_scalar (m1d_DType dt, double v);          /* 0-dim */
m1d_Tensor *m1d_arange (m1d_DType dt, double start, double stop, double step);
m1d_Tensor *m1d_linspace (m1d_DType dt, double a, double b, int64_t n);
m1d_Tensor *m1d_empty_like (const m1d_Tensor *t);
m1d_Tensor *m1d_zeros_like (const m1d_Tensor *t);

/* ---- queries ---- */
int64_t m1d_numel (const m1d_Tensor *t);
int m1d_is_contiguous (const m1d_Tensor *t);
int m1d_same_shape (const m1d_Tensor *a, const m1d_Tensor *b);
static inline void *m1d_data (const m1d_Tensor *t) {
  return (char *)t->storage->data + (size_t)t->offset * m1d_dtype_size(t->dtype);
}
/* double -> int64 without undefined behaviour: truncates toward zero; NaN and values
   outside the int64 range give INT64_MIN (what x86 and NumPy give, now by definition). */
static inline int64_t m1d_d2i (double v) {
  return v >= -9223372036854775808.0 && v < 9223372036854775808.0 ? (int64_t)v : INT64_MIN;
}
/* element o of a buffer of dtype dt, as double, and back (int64 rounded by m1d_d2i) */
static inline double m1d_load (const void *base, m1d_DType dt, int64_t o) {
  switch (dt) {
    case M1D_F32: return ((const float *)base)[o];
    case M1D_F64: return ((const double *)base)[o];
    default: return (double)((const int64_t *)base)[o];
  }
}
static inline void m1d_store (void *base, m1d_DType dt, int64_t o, double v) {
  switch (dt) {
    case M1D_F32: ((float *)base)[o] = (float)v; break;
    case M1D_F64: ((double *)base)[o] = v; break;
    default: ((int64_t *)base)[o] = m1d_d2i(v); break;
  }
}
double m1d_get (const m1d_Tensor *t, const int64_t *idx);   /* any dtype, as double */
void m1d_set (m1d_Tensor *t, const int64_t *idx, double v);
double m1d_item (const m1d_Tensor *t);                     /* needs numel == 1 */

/* ---- raw views: share storage, no autograd (ops.h has the recorded versions) ---- */
m1d_Tensor *m1d_view_alias (m1d_Tensor *t);               /* same view, new header */
m1d_Tensor *m1d_view_reshape (m1d_Tensor *t, int ndim, const int64_t *shape); /* NULL if not viewable */
m1d_Tensor *m1d_view_narrow (m1d_Tensor *t, int dim, int64_t start, int64_t len);
m1d_Tensor *m1d_view_permute (m1d_Tensor *t, const int *perm);
m1d_Tensor *m1d_view_transpose (m1d_Tensor *t, int d0, int d1);
m1d_Tensor *m1d_view_expand (m1d_Tensor *t, int ndim, const int64_t *shape);
m1d_Tensor *m1d_view_select (m1d_Tensor *t, int dim, int64_t i);  /* removes dim */

/* ---- copies ---- */
m1d_Tensor *m1d_clone_raw (const m1d_Tensor *t);          /* contiguous copy, no autograd */
m1d_Tensor *m1d_contiguous_raw (m1d_Tensor *t);           /* t itself (incref) if contiguous */
m1d_Tensor *m1d_cast_raw (const m1d_Tensor *t, m1d_DType dt);
int m1d_copy_into (m1d_Tensor *dst, const m1d_Tensor *src);  /* src broadcast to dst, any dtypes */
int m1d_fill (m1d_Tensor *t, double v);

/* Resolve a shape with at most one -1 against numel; checks sizes. */
int m1d_infer_shape (const char *op, int64_t numel, int ndim, int64_t *shape);
/* Validate and build a new shape (negative sizes, overflow of size_t). */
int m1d_check_shape (const char *op, int ndim, const int64_t *shape);
/* NumPy broadcasting of two shapes; -1 with a message naming op and shapes. */
int m1d_broadcast_shape (const char *op, const m1d_Tensor *a, const m1d_Tensor *b,
                         int *ndim, int64_t *shape);

/* Strided iteration over every element of t in row-major order (offsets in elements). */
typedef struct {
  int ndim;
  int64_t shape[M1D_MAXDIM], idx[M1D_MAXDIM];
  int64_t s0[M1D_MAXDIM], s1[M1D_MAXDIM], s2[M1D_MAXDIM];
  int64_t o0, o1, o2;
  int64_t remaining;
} m1d_Iter;
/* Up to three operands viewed under one shape (strides 0 where broadcast). */
void m1d_iter_init (m1d_Iter *it, int ndim, const int64_t *shape,
                    const m1d_Tensor *t0, const m1d_Tensor *t1, const m1d_Tensor *t2);
static inline void m1d_iter_next (m1d_Iter *it) {
  for (int d = it->ndim - 1; d >= 0; d--) {
    if (++it->idx[d] < it->shape[d]) {
      it->o0 += it->s0[d]; it->o1 += it->s1[d]; it->o2 += it->s2[d];
      return;
    }
    it->idx[d] = 0;
    it->o0 -= it->s0[d] * (it->shape[d] - 1);
    it->o1 -= it->s1[d] * (it->shape[d] - 1);
    it->o2 -= it->s2[d] * (it->shape[d] - 1);
  }
}

#endif
