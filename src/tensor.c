/*
** tensor.c — storage, views, creation, copies, broadcasting and errors.
**
** Invariants: refs >= 1 while reachable; a tensor's view (offset, shape,
** stride) always lies inside its storage; numel never overflows int64 or
** size_t (m1d_check_shape guards every new shape).  Storage bytes are counted
** so the Lua binding can report them to the garbage collector.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tensor.h"
#include "autograd.h"
#include "pool.h"

/* ---------------------------------------------------------------- errors */

static char errbuf[1024];

static void vfail (const char *fmt, va_list ap) {
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
}

void *m1d_fail (const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt); vfail(fmt, ap); va_end(ap);
  return NULL;
}

int m1d_failcode (const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt); vfail(fmt, ap); va_end(ap);
  return -1;
}

const char *m1d_errmsg (void) { return errbuf[0] ? errbuf : "unknown error"; }

m1d_ShapeStr m1d_shapestr_n (int ndim, const int64_t *shape) {
  m1d_ShapeStr r;
  size_t n = 0;
  r.s[n++] = '[';
  for (int d = 0; d < ndim && n < sizeof r.s - 24; d++)
    n += (size_t)snprintf(r.s + n, sizeof r.s - n, d ? ",%lld" : "%lld", (long long)shape[d]);
  if (n < sizeof r.s - 2) { r.s[n++] = ']'; r.s[n] = '\0'; }
  else strcpy(r.s + sizeof r.s - 5, "...]");
  return r;
}

m1d_ShapeStr m1d_shapestr (const m1d_Tensor *t) { return m1d_shapestr_n(t->ndim, t->shape); }

const char *m1d_dtype_name (m1d_DType dt) {
  switch (dt) {
    case M1D_F32: return "float32";
    case M1D_F64: return "float64";
    default: return "int64";
  }
}

/* ---------------------------------------------------------------- memory */

static m1d_MemStats memstats;

m1d_MemStats m1d_memstats (void) {
  memstats.mallocs = m1d_pool_system_allocs();
  return memstats;
}

/* Storage comes from pool.c, which recycles blocks of the sizes a training loop
   frees every step; bytes_allocated still counts every request, since it is the
   allocation pressure the garbage collector is told about. */
static m1d_Storage *storage_new (size_t nbytes) {
  m1d_Storage *s = m1d_pool_calloc(sizeof *s);
  if (s == NULL) return m1d_fail("out of memory allocating a tensor header");
  int fresh;
  s->data = m1d_pool_data(nbytes, &fresh);      /* never NULL for 0 bytes */
  if (s->data == NULL) {
    m1d_pool_free(s, sizeof *s);
    return m1d_fail("out of memory allocating %.0f bytes of tensor data", (double)nbytes);
  }
  s->refs = 1;
  s->nbytes = nbytes;
  memstats.bytes_live += nbytes;
  memstats.bytes_allocated += nbytes;
  return s;
}

static void storage_decref (m1d_Storage *s) {
  if (s && --s->refs == 0) {
    memstats.bytes_live -= s->nbytes;
    m1d_pool_data_free(s->data, s->nbytes);
    m1d_pool_free(s, sizeof *s);
  }
}

void m1d_incref (m1d_Tensor *t) { if (t) t->refs++; }

void m1d_decref (m1d_Tensor *t) {
  /* grad tensors and grad_fn chains can be long: release iteratively where it matters
     (autograd.c releases node chains without recursion). */
  if (t == NULL || --t->refs > 0) return;
  storage_decref(t->storage);
  if (t->grad_fn) m1d_node_decref(t->grad_fn);
  m1d_decref(t->grad);
  m1d_pool_free(t, sizeof *t);
}

static m1d_Tensor *header_new (m1d_DType dt, int ndim, const int64_t *shape) {
  m1d_Tensor *t = m1d_pool_calloc(sizeof *t);
  if (t == NULL) return m1d_fail("out of memory allocating a tensor header");
  t->refs = 1;
  t->dtype = dt;
  t->ndim = ndim;
  int64_t st = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    t->shape[d] = shape[d];
    t->stride[d] = st;
    st *= shape[d] > 0 ? shape[d] : 1;
  }
  return t;
}

int m1d_check_shape (const char *op, int ndim, const int64_t *shape) {
  if (ndim < 0 || ndim > M1D_MAXDIM)
    return m1d_failcode("%s: %d dimensions given, at most %d supported", op, ndim, M1D_MAXDIM);
  double total = 1, span = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0)
      return m1d_failcode("%s: negative size %lld in shape %s", op, (long long)shape[d],
                          m1d_shapestr_n(ndim, shape).s);
    total *= (double)shape[d];
    span *= shape[d] > 1 ? (double)shape[d] : 1;
  }
  /* span: the strides of an empty tensor such as [0, 2^62, 2^62] must fit int64 too */
  if (total * 8 > 1e15 || span * 8 > 1e15)   /* also guards size_t and int64 overflow */
    return m1d_failcode("%s: shape %s is too large (%.3g elements%s)", op,
                        m1d_shapestr_n(ndim, shape).s, total, total == 0 ? "; its strides overflow" : "");
  return 0;
}

m1d_Tensor *m1d_empty (m1d_DType dt, int ndim, const int64_t *shape) {
  if (m1d_check_shape("empty", ndim, shape) < 0) return NULL;
  m1d_Tensor *t = header_new(dt, ndim, shape);
  if (t == NULL) return NULL;
  t->storage = storage_new((size_t)m1d_numel(t) * m1d_dtype_size(dt));
  if (t->storage == NULL) { m1d_pool_free(t, sizeof *t); return NULL; }
  return t;
}

m1d_Tensor *m1d_zeros (m1d_DType dt, int ndim, const int64_t *shape) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t) memset(t->storage->data, 0, t->storage->nbytes);
  return t;
}

m1d_Tensor *m1d_full (m1d_DType dt, int ndim, const int64_t *shape, double v) {
  m1d_Tensor *t = m1d_empty(dt, ndim, shape);
  if (t) m1d_fill(t, v);
  return t;
}

m1d_Tensor *m1d_scalar (m1d_DType dt, double v) { return m1d_full(dt, 0, NULL, v); }

m1d_Tensor *m1d_empty_like (const m1d_Tensor *t) { return m1d_empty(t->dtype, t->ndim, t->shape); }
m1d_Tensor *m1d_zeros_like (const m1d_Tensor *t) { return m1d_zeros(t->dtype, t->ndim, t->shape); }

m1d_Tensor *m1d_arange (m1d_DType dt, double start, double stop, double step) {
  if (step == 0 || isnan(start) || isnan(stop) || isnan(step))
    return m1d_fail("arange: invalid range (%g, %g, step %g)", start, stop, step);
  double n = ceil((stop - start) / step);
  if (n < 0) n = 0;
  if (n > 1e14) return m1d_fail("arange: %.3g elements is too many", n);   /* before the cast: inf */
  int64_t shape[1] = {(int64_t)n};
  m1d_Tensor *t = m1d_empty(dt, 1, shape);
  if (t == NULL) return NULL;
  for (int64_t i = 0; i < shape[0]; i++) m1d_set(t, &i, start + (double)i * step);
  return t;
}

/* NumPy's linspace: i*step + a, and the last element forced to b. */
m1d_Tensor *m1d_linspace (m1d_DType dt, double a, double b, int64_t n) {
  if (n < 0) return m1d_fail("linspace: negative number of points %lld", (long long)n);
  int64_t shape[1] = {n};
  m1d_Tensor *t = m1d_empty(dt, 1, shape);
  if (t == NULL) return NULL;
  double step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (int64_t i = 0; i < n; i++) m1d_set(t, &i, (double)i * step + a);
  if (n > 1) { int64_t last = n - 1; m1d_set(t, &last, b); }
  return t;
}

/* ---------------------------------------------------------------- queries */

int64_t m1d_numel (const m1d_Tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

int m1d_is_contiguous (const m1d_Tensor *t) {
  int64_t st = 1;
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] == 0) return 1;           /* no elements: any layout will do (as torch) */
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->shape[d] != 1 && t->stride[d] != st) return 0;
    st *= t->shape[d];
  }
  return 1;
}

int m1d_same_shape (const m1d_Tensor *a, const m1d_Tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return 0;
  return 1;
}

static int64_t offset_of (const m1d_Tensor *t, const int64_t *idx) {
  int64_t o = t->offset;
  for (int d = 0; d < t->ndim; d++) o += idx[d] * t->stride[d];
  return o;
}

double m1d_get (const m1d_Tensor *t, const int64_t *idx) {
  return m1d_load(t->storage->data, t->dtype, offset_of(t, idx));
}

void m1d_set (m1d_Tensor *t, const int64_t *idx, double v) {
  m1d_store(t->storage->data, t->dtype, offset_of(t, idx), v);
}

double m1d_item (const m1d_Tensor *t) {
  return m1d_load(t->storage->data, t->dtype, t->offset);
}

/* ---------------------------------------------------------------- iteration */

void m1d_iter_init (m1d_Iter *it, int ndim, const int64_t *shape,
                    const m1d_Tensor *t0, const m1d_Tensor *t1, const m1d_Tensor *t2) {
  const m1d_Tensor *ts[3] = {t0, t1, t2};
  int64_t *ss[3] = {it->s0, it->s1, it->s2};
  int64_t *os[3] = {&it->o0, &it->o1, &it->o2};
  it->ndim = ndim;
  it->remaining = 1;
  for (int d = 0; d < ndim; d++) {
    it->shape[d] = shape[d];
    it->idx[d] = 0;
    it->remaining *= shape[d];
  }
  for (int k = 0; k < 3; k++) {
    const m1d_Tensor *t = ts[k];
    *os[k] = t ? t->offset : 0;
    for (int d = 0; d < ndim; d++) {
      /* right-aligned broadcasting: dims missing or of size 1 get stride 0 */
      int td = t ? d - (ndim - t->ndim) : -1;
      ss[k][d] = (td >= 0 && t->shape[td] != 1) ? t->stride[td] : 0;
    }
  }
}

int m1d_broadcast_shape (const char *op, const m1d_Tensor *a, const m1d_Tensor *b,
                         int *ndim, int64_t *shape) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int d = 0; d < n; d++) {
    int da = d - (n - a->ndim), db = d - (n - b->ndim);
    int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      return m1d_failcode("%s: shapes %s and %s cannot be broadcast (dim %d: %lld vs %lld)",
                          op, m1d_shapestr(a).s, m1d_shapestr(b).s, d + 1,
                          (long long)sa, (long long)sb);
    shape[d] = sa == 1 ? sb : sa;
  }
  *ndim = n;
  return 0;
}

/* ---------------------------------------------------------------- raw views */

m1d_Tensor *m1d_view_alias (m1d_Tensor *t) {
  m1d_Tensor *v = m1d_pool_calloc(sizeof *v);
  if (v == NULL) return m1d_fail("out of memory allocating a tensor header");
  v->refs = 1;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy(v->shape, t->shape, sizeof v->shape);
  memcpy(v->stride, t->stride, sizeof v->stride);
  v->offset = t->offset;
  v->storage = t->storage;
  t->storage->refs++;
  return v;
}

int m1d_infer_shape (const char *op, int64_t numel, int ndim, int64_t *shape) {
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == -1) {
      if (infer >= 0) return m1d_failcode("%s: only one dimension can be -1", op);
      infer = d;
    } else if (shape[d] < 0) {
      return m1d_failcode("%s: invalid size %lld", op, (long long)shape[d]);
    } else {
      if (shape[d] != 0 && known > INT64_MAX / shape[d])   /* (the product overflowed int64) */
        return m1d_failcode("%s: shape %s has more elements than %lld", op,
                            m1d_shapestr_n(ndim, shape).s, (long long)numel);
      known *= shape[d];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      return m1d_failcode("%s: cannot infer -1 in shape %s for %lld elements", op,
                          m1d_shapestr_n(ndim, shape).s, (long long)numel);
    shape[infer] = numel / known;
    known *= shape[infer];
  }
  if (known != numel)
    return m1d_failcode("%s: shape %s has %lld elements, input has %lld", op,
                        m1d_shapestr_n(ndim, shape).s, (long long)known, (long long)numel);
  return m1d_check_shape(op, ndim, shape);
}

m1d_Tensor *m1d_view_reshape (m1d_Tensor *t, int ndim, const int64_t *shape) {
  if (!m1d_is_contiguous(t)) return NULL;   /* caller copies */
  m1d_Tensor *v = m1d_view_alias(t);
  if (v == NULL) return NULL;
  v->ndim = ndim;
  int64_t st = 1;
  for (int d = ndim - 1; d >= 0; d--) {          /* strides as header_new sets them */
    v->shape[d] = shape[d];
    v->stride[d] = st;
    st *= shape[d] > 0 ? shape[d] : 1;
  }
  return v;
}

m1d_Tensor *m1d_view_narrow (m1d_Tensor *t, int dim, int64_t start, int64_t len) {
  m1d_Tensor *v = m1d_view_alias(t);
  if (v == NULL) return NULL;
  v->offset += start * t->stride[dim];
  v->shape[dim] = len;
  return v;
}

m1d_Tensor *m1d_view_permute (m1d_Tensor *t, const int *perm) {
  m1d_Tensor *v = m1d_view_alias(t);
  if (v == NULL) return NULL;
  for (int d = 0; d < t->ndim; d++) {
    v->shape[d] = t->shape[perm[d]];
    v->stride[d] = t->stride[perm[d]];
  }
  return v;
}

m1d_Tensor *m1d_view_transpose (m1d_Tensor *t, int d0, int d1) {
  int perm[M1D_MAXDIM];
  for (int d = 0; d < t->ndim; d++) perm[d] = d;
  perm[d0] = d1; perm[d1] = d0;
  return m1d_view_permute(t, perm);
}

m1d_Tensor *m1d_view_expand (m1d_Tensor *t, int ndim, const int64_t *shape) {
  m1d_Tensor *v = m1d_view_alias(t);
  if (v == NULL) return NULL;
  v->ndim = ndim;
  for (int d = 0; d < ndim; d++) {
    int td = d - (ndim - t->ndim);
    v->shape[d] = shape[d];
    v->stride[d] = (td >= 0 && t->shape[td] == shape[d]) ? t->stride[td] : 0;
  }
  return v;
}

m1d_Tensor *m1d_view_select (m1d_Tensor *t, int dim, int64_t i) {
  m1d_Tensor *v = m1d_view_alias(t);
  if (v == NULL) return NULL;
  v->offset += i * t->stride[dim];
  for (int d = dim; d < t->ndim - 1; d++) {
    v->shape[d] = t->shape[d + 1];
    v->stride[d] = t->stride[d + 1];
  }
  v->ndim = t->ndim - 1;
  return v;
}

/* ---------------------------------------------------------------- copies */

int m1d_copy_into (m1d_Tensor *dst, const m1d_Tensor *src) {
  int64_t n = m1d_numel(dst);
  if (n == 0) return 0;
  if (dst->dtype == src->dtype && m1d_is_contiguous(dst) && m1d_is_contiguous(src) &&
      m1d_same_shape(dst, src)) {
    memmove(m1d_data(dst), m1d_data(src), (size_t)n * m1d_dtype_size(dst->dtype));
    return 0;
  }
  if (m1d_is_contiguous(dst) && m1d_is_contiguous(src) && m1d_same_shape(dst, src) &&
      dst->dtype != M1D_I64 && src->dtype != M1D_I64) {     /* float32 <-> float64 */
    if (dst->dtype == M1D_F64) {
      double *o = m1d_data(dst); const float *s = m1d_data(src);
      for (int64_t i = 0; i < n; i++) o[i] = s[i];
    } else {
      float *o = m1d_data(dst); const double *s = m1d_data(src);
      for (int64_t i = 0; i < n; i++) o[i] = (float)s[i];
    }
    return 0;
  }
  int nd = dst->ndim;
  if (nd > 0 && (dst->stride[nd - 1] == 1 || dst->shape[nd - 1] == 1) &&
      (dst->dtype == src->dtype || (dst->dtype != M1D_I64 && src->dtype != M1D_I64))) {
    /* Row by row along the last dim, where dst's rows are contiguous: views and windows
       (cat writes into a narrow of its result, a bias row is broadcast over a batch),
       and float32 <-> float64 with any source layout.  Both walked by their strides
       (src's broadcast ones); a contiguous same-dtype row is one memmove. */
    int64_t ss[M1D_MAXDIM], idx[M1D_MAXDIM] = {0};
    for (int d = 0; d < nd; d++) {
      int sd = d - (nd - src->ndim);
      ss[d] = (sd >= 0 && src->shape[sd] != 1) ? src->stride[sd] : 0;
    }
    int64_t inner = dst->shape[nd - 1], is = ss[nd - 1], so = src->offset, doff = dst->offset;
    int64_t rows = n / inner;
    char *db = dst->storage->data;
    const char *sb = src->storage->data;
    for (int64_t r = 0; r < rows; r++) {
      if (dst->dtype == src->dtype && dst->dtype == M1D_F32) {
        float *q = (float *)db + doff; const float *x = (const float *)sb + so;
        if (is == 1) memmove(q, x, (size_t)inner * 4);
        else for (int64_t j = 0; j < inner; j++) q[j] = x[j * is];
      } else if (dst->dtype == src->dtype) {               /* float64 or int64: a bit copy */
        int64_t *q = (int64_t *)db + doff; const int64_t *x = (const int64_t *)sb + so;
        if (is == 1) memmove(q, x, (size_t)inner * 8);
        else for (int64_t j = 0; j < inner; j++) q[j] = x[j * is];
      } else if (dst->dtype == M1D_F64) {
        double *q = (double *)db + doff; const float *x = (const float *)sb + so;
        for (int64_t j = 0; j < inner; j++) q[j] = x[j * is];
      } else {
        float *q = (float *)db + doff; const double *x = (const double *)sb + so;
        for (int64_t j = 0; j < inner; j++) q[j] = (float)x[j * is];
      }
      for (int d = nd - 2; d >= 0; d--) {
        if (++idx[d] < dst->shape[d]) { so += ss[d]; doff += dst->stride[d]; break; }
        idx[d] = 0;
        so -= ss[d] * (dst->shape[d] - 1);
        doff -= dst->stride[d] * (dst->shape[d] - 1);
      }
    }
    return 0;
  }
  m1d_Iter it;
  m1d_iter_init(&it, dst->ndim, dst->shape, dst, src, NULL);
  void *db = dst->storage->data;
  const void *sb = src->storage->data;
  if (dst->dtype == M1D_F32 && src->dtype == M1D_F32) {
    for (int64_t i = 0; i < n; i++, m1d_iter_next(&it))
      ((float *)db)[it.o0] = ((const float *)sb)[it.o1];
  } else if (dst->dtype == M1D_F64 && src->dtype == M1D_F64) {
    for (int64_t i = 0; i < n; i++, m1d_iter_next(&it))
      ((double *)db)[it.o0] = ((const double *)sb)[it.o1];
  } else if (dst->dtype == M1D_I64 && src->dtype == M1D_I64) {
    for (int64_t i = 0; i < n; i++, m1d_iter_next(&it))
      ((int64_t *)db)[it.o0] = ((const int64_t *)sb)[it.o1];
  } else {
    for (int64_t i = 0; i < n; i++, m1d_iter_next(&it))
      m1d_store(db, dst->dtype, it.o0, m1d_load(sb, src->dtype, it.o1));
  }
  return 0;
}

m1d_Tensor *m1d_clone_raw (const m1d_Tensor *t) {
  m1d_Tensor *c = m1d_empty(t->dtype, t->ndim, t->shape);
  if (c) m1d_copy_into(c, t);
  return c;
}

m1d_Tensor *m1d_contiguous_raw (m1d_Tensor *t) {
  if (m1d_is_contiguous(t)) { m1d_incref(t); return t; }
  return m1d_clone_raw(t);
}

m1d_Tensor *m1d_cast_raw (const m1d_Tensor *t, m1d_DType dt) {
  m1d_Tensor *c = m1d_empty(dt, t->ndim, t->shape);
  if (c) m1d_copy_into(c, t);
  return c;
}

int m1d_fill (m1d_Tensor *t, double v) {
  int64_t n = m1d_numel(t);
  if (m1d_is_contiguous(t)) {
    void *p = m1d_data(t);
    if (t->dtype == M1D_F32) for (int64_t i = 0; i < n; i++) ((float *)p)[i] = (float)v;
    else if (t->dtype == M1D_F64) for (int64_t i = 0; i < n; i++) ((double *)p)[i] = v;
    else { int64_t iv = m1d_d2i(v); for (int64_t i = 0; i < n; i++) ((int64_t *)p)[i] = iv; }
    return 0;
  }
  m1d_Iter it;
  m1d_iter_init(&it, t->ndim, t->shape, t, NULL, NULL);
  for (int64_t i = 0; i < n; i++, m1d_iter_next(&it)) m1d_store(t->storage->data, t->dtype, it.o0, v);
  return 0;
}
