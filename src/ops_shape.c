/*
** ops_shape.c — views and indexing with gradients: reshape, narrow, permute,
** expand, squeeze, cat/stack, index_select/index_add, gather/scatter_add,
** flip, and the 1-D im2col pair unfold/fold used by conv1d and the pools.
**
** Views share storage with their input (no copy); their backward rules are
** the inverse view or its adjoint: narrow <-> narrow_pad, expand <-> sum_to,
** index_select <-> index_add, gather <-> scatter_add, unfold <-> fold.
*/
#include <stdlib.h>
#include <string.h>
#include "ops_impl.h"

static int check_dim (const char *op, const m1d_Tensor *x, int dim) {
  if (dim < 0 || dim >= x->ndim)
    return m1d_failcode("%s: dim %d out of range for a tensor of shape %s", op, dim + 1,
                        m1d_shapestr(x).s);
  return 0;
}

/* record a single-input op whose rule needs only ip/edge metadata */
static m1d_Tensor *rec1 (const char *name, m1d_BackwardFn fn, m1d_Tensor *out, m1d_Tensor *x,
                         const int64_t *ip, int nip) {
  if (out == NULL || !m1d_needs_grad(1, &x)) return out;
  m1d_Node *n = m1d_record(name, fn, out, 1, &x);
  if (n == NULL) { m1d_decref(out); return NULL; }
  for (int i = 0; i < nip; i++) n->ip[i] = ip[i];
  return out;
}

/* ---------------------------------------------------------------- reshape */

static int bw_reshape (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_reshape(g, n->edges[0].ndim, n->edges[0].shape);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_reshape (m1d_Tensor *x, int ndim, const int64_t *shape_in) {
  int64_t shape[M1D_MAXDIM];
  if (ndim > M1D_MAXDIM) return m1d_fail("reshape: at most %d dims", M1D_MAXDIM);
  memcpy(shape, shape_in, sizeof(int64_t) * (size_t)ndim);
  if (m1d_infer_shape("reshape", m1d_numel(x), ndim, shape) < 0) {
    return m1d_fail("reshape: cannot reshape %s into %s", m1d_shapestr(x).s,
                    m1d_shapestr_n(ndim, shape_in).s);
  }
  m1d_Tensor *out = m1d_view_reshape(x, ndim, shape);
  if (out == NULL) {             /* not viewable: copy */
    m1d_Tensor *c = m1d_clone_raw(x);
    if (c == NULL) return NULL;
    out = m1d_view_reshape(c, ndim, shape);
    m1d_decref(c);
    if (out == NULL) return NULL;
  }
  return rec1("reshape", bw_reshape, out, x, NULL, 0);
}

m1d_Tensor *m1d_unsqueeze (m1d_Tensor *x, int dim) {
  if (dim < 0 || dim > x->ndim || x->ndim >= M1D_MAXDIM)
    return m1d_fail("unsqueeze: dim %d out of range for shape %s", dim + 1, m1d_shapestr(x).s);
  int64_t shape[M1D_MAXDIM];
  for (int d = 0, k = 0; d <= x->ndim; d++) shape[d] = d == dim ? 1 : x->shape[k++];
  return m1d_reshape(x, x->ndim + 1, shape);
}

m1d_Tensor *m1d_squeeze (m1d_Tensor *x, int dim) {
  int64_t shape[M1D_MAXDIM];
  int k = 0;
  if (dim >= 0) {
    if (check_dim("squeeze", x, dim) < 0) return NULL;
    if (x->shape[dim] != 1) { m1d_incref(x); return x; }
  }
  for (int d = 0; d < x->ndim; d++)
    if (!(x->shape[d] == 1 && (dim < 0 || d == dim))) shape[k++] = x->shape[d];
  return m1d_reshape(x, k, shape);
}

/* ---------------------------------------------------------------- narrow */

static int bw_narrow (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_narrow_pad(g, n->edges[0].ndim, n->edges[0].shape, (int)n->ip[0], n->ip[1]);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_narrow (m1d_Tensor *x, int dim, int64_t start, int64_t len) {
  if (check_dim("narrow", x, dim) < 0) return NULL;
  /* written so that no sum overflows: start + len wrapped around for start near 2^63 */
  if (start < 0 || len < 0 || start > x->shape[dim] || len > x->shape[dim] - start)
    return m1d_fail("narrow: start %.0f length %lld out of range for dim %d of size %lld (shape %s)",
                    (double)start + 1, (long long)len, dim + 1, (long long)x->shape[dim],
                    m1d_shapestr(x).s);
  int64_t ip[2] = {dim, start};
  return rec1("narrow", bw_narrow, m1d_view_narrow(x, dim, start, len), x, ip, 2);
}

static int bw_narrow_pad (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_narrow(g, (int)n->ip[0], n->ip[1], n->edges[0].shape[n->ip[0]]);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_narrow_pad (m1d_Tensor *g, int ndim, const int64_t *shape, int dim, int64_t start) {
  if (ndim != g->ndim || dim < 0 || dim >= ndim || start < 0 ||
      start + g->shape[dim] > shape[dim])
    return m1d_fail("narrow_pad: %s does not fit into %s at dim %d, start %lld",
                    m1d_shapestr(g).s, m1d_shapestr_n(ndim, shape).s, dim + 1, (long long)start + 1);
  m1d_Tensor *out = m1d_zeros(g->dtype, ndim, shape);
  if (out == NULL) return NULL;
  m1d_Tensor *win = m1d_view_narrow(out, dim, start, g->shape[dim]);
  if (win == NULL) { m1d_decref(out); return NULL; }
  m1d_copy_into(win, g);
  m1d_decref(win);
  int64_t ip[2] = {dim, start};
  return rec1("narrow_pad", bw_narrow_pad, out, g, ip, 2);
}

m1d_Tensor *m1d_select (m1d_Tensor *x, int dim, int64_t i) {
  if (check_dim("select", x, dim) < 0) return NULL;
  if (i < 0 || i >= x->shape[dim])
    return m1d_fail("select: index %.0f out of range for dim %d of size %lld (shape %s)",
                    (double)i + 1, dim + 1, (long long)x->shape[dim], m1d_shapestr(x).s);   /* i + 1 may overflow */
  m1d_Tensor *n = m1d_narrow(x, dim, i, 1);
  if (n == NULL) return NULL;
  m1d_Tensor *r = m1d_squeeze(n, dim);
  m1d_decref(n);
  return r;
}

/* ---------------------------------------------------------------- permute */

static int bw_permute (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  int inv[M1D_MAXDIM];
  for (int d = 0; d < g->ndim; d++) inv[n->ip[d]] = d;
  gin[0] = m1d_permute(g, inv);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_permute (m1d_Tensor *x, const int *perm) {
  int seen[M1D_MAXDIM] = {0};
  for (int d = 0; d < x->ndim; d++) {
    if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]]++)
      return m1d_fail("permute: not a permutation of the %d dims of %s", x->ndim, m1d_shapestr(x).s);
  }
  int64_t ip[M1D_MAXDIM];
  for (int d = 0; d < x->ndim; d++) ip[d] = perm[d];
  return rec1("permute", bw_permute, m1d_view_permute(x, perm), x, ip, x->ndim);
}

m1d_Tensor *m1d_transpose (m1d_Tensor *x, int d0, int d1) {
  if (check_dim("transpose", x, d0) < 0 || check_dim("transpose", x, d1) < 0) return NULL;
  int perm[M1D_MAXDIM];
  for (int d = 0; d < x->ndim; d++) perm[d] = d;
  perm[d0] = d1; perm[d1] = d0;
  return m1d_permute(x, perm);
}

/* ---------------------------------------------------------------- expand */

static int bw_expand (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_sum_to(g, n->edges[0].ndim, n->edges[0].shape);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_expand (m1d_Tensor *x, int ndim, const int64_t *shape_in) {
  int64_t shape[M1D_MAXDIM];
  if (ndim < x->ndim || ndim > M1D_MAXDIM)
    return m1d_fail("expand: cannot expand %s to %s", m1d_shapestr(x).s, m1d_shapestr_n(ndim, shape_in).s);
  for (int d = 0; d < ndim; d++) {
    int xd = d - (ndim - x->ndim);
    shape[d] = shape_in[d] == -1 && xd >= 0 ? x->shape[xd] : shape_in[d];
    if (shape[d] < 0 || (xd >= 0 && x->shape[xd] != 1 && x->shape[xd] != shape[d]))
      return m1d_fail("expand: cannot expand %s to %s", m1d_shapestr(x).s,
                      m1d_shapestr_n(ndim, shape_in).s);
  }
  if (m1d_check_shape("expand", ndim, shape) < 0) return NULL;   /* numel must fit int64 */
  if (ndim == x->ndim && memcmp(shape, x->shape, sizeof(int64_t) * (size_t)ndim) == 0) {
    m1d_incref(x);
    return x;
  }
  return rec1("expand", bw_expand, m1d_view_expand(x, ndim, shape), x, NULL, 0);
}

/* ---------------------------------------------------------------- copies */

static int bw_identity (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (g->dtype != n->edges[0].dtype) gin[0] = m1d_cast(g, n->edges[0].dtype);
  else { m1d_incref(g); gin[0] = g; }
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_clone (m1d_Tensor *x) {
  return rec1("clone", bw_identity, m1d_clone_raw(x), x, NULL, 0);
}

m1d_Tensor *m1d_alias (m1d_Tensor *x) {
  return rec1("alias", bw_identity, m1d_view_alias(x), x, NULL, 0);
}

m1d_Tensor *m1d_contiguous (m1d_Tensor *x) {
  if (m1d_is_contiguous(x)) { m1d_incref(x); return x; }
  return m1d_clone(x);
}

m1d_Tensor *m1d_cast (m1d_Tensor *x, m1d_DType dt) {
  if (x->dtype == dt) { m1d_incref(x); return x; }
  m1d_Tensor *out = m1d_cast_raw(x, dt);
  if (dt == M1D_I64) return out;    /* integer results carry no gradient */
  return rec1("cast", bw_identity, out, x, NULL, 0);
}

/* ---------------------------------------------------------------- cat / stack */

static int bw_cat (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  int dim = (int)n->ip[0];
  int64_t off = 0;
  for (int i = 0; i < n->ninputs; i++) {
    int64_t len = n->edges[i].shape[dim];
    if (n->edges[i].needs) {
      m1d_Tensor *s = m1d_narrow(g, dim, off, len);
      if (s == NULL) return -1;
      if (s->dtype != n->edges[i].dtype) {
        m1d_Tensor *c = m1d_cast(s, n->edges[i].dtype);
        m1d_decref(s);
        if ((s = c) == NULL) return -1;
      }
      gin[i] = s;
    }
    off += len;
  }
  return 0;
}

m1d_Tensor *m1d_cat (int n, m1d_Tensor **xs, int dim) {
  if (n < 1) return m1d_fail("cat: needs at least one tensor");
  m1d_Tensor *x0 = xs[0];
  if (check_dim("cat", x0, dim) < 0) return NULL;
  int64_t shape[M1D_MAXDIM];
  memcpy(shape, x0->shape, sizeof shape);
  m1d_DType dt = x0->dtype;
  shape[dim] = 0;
  for (int i = 0; i < n; i++) {
    m1d_Tensor *x = xs[i];
    int ok = x->ndim == x0->ndim;
    for (int d = 0; ok && d < x->ndim; d++) ok = d == dim || x->shape[d] == x0->shape[d];
    if (!ok)
      return m1d_fail("cat: tensor %d has shape %s, tensor 1 has %s (only dim %d may differ)",
                      i + 1, m1d_shapestr(x).s, m1d_shapestr(x0).s, dim + 1);
    shape[dim] += x->shape[dim];
    dt = m1d_promote(dt, x->dtype);
  }
  m1d_Tensor *out = m1d_empty(dt, x0->ndim, shape);
  if (out == NULL) return NULL;
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    m1d_Tensor *win = m1d_view_narrow(out, dim, off, xs[i]->shape[dim]);
    if (win == NULL) { m1d_decref(out); return NULL; }
    m1d_copy_into(win, xs[i]);
    m1d_decref(win);
    off += xs[i]->shape[dim];
  }
  if (!m1d_needs_grad(n, xs)) return out;
  m1d_Node *node = m1d_record("cat", bw_cat, out, n, xs);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = dim;
  return out;
}

m1d_Tensor *m1d_stack (int n, m1d_Tensor **xs, int dim) {
  if (n < 1) return m1d_fail("stack: needs at least one tensor");
  if (dim < 0 || dim > xs[0]->ndim)
    return m1d_fail("stack: dim %d out of range for tensors of shape %s", dim + 1, m1d_shapestr(xs[0]).s);
  if (xs[0]->ndim >= M1D_MAXDIM)
    return m1d_fail("stack: tensors of shape %s: the result would have more than %d dims",
                    m1d_shapestr(xs[0]).s, M1D_MAXDIM);
  m1d_Tensor **us = calloc((size_t)n, sizeof *us);
  if (us == NULL) return m1d_fail("stack: out of memory");
  m1d_Tensor *r = NULL;
  int i;
  for (i = 0; i < n; i++) {
    if (!m1d_same_shape(xs[i], xs[0])) {
      m1d_fail("stack: tensor %d has shape %s, tensor 1 has %s", i + 1, m1d_shapestr(xs[i]).s,
               m1d_shapestr(xs[0]).s);
      break;
    }
    if ((us[i] = m1d_unsqueeze(xs[i], dim)) == NULL) break;
  }
  if (i == n) r = m1d_cat(n, us, dim);
  for (i = 0; i < n; i++) m1d_decref(us[i]);
  free(us);
  return r;
}

/* ---------------------------------------------------------------- indexing */

static int check_index (const char *op, const m1d_Tensor *idx, int64_t size, const m1d_Tensor *x) {
  if (idx->dtype != M1D_I64)
    return m1d_failcode("%s: indices must be int64, got %s %s", op, m1d_dtype_name(idx->dtype),
                        m1d_shapestr(idx).s);
  int64_t n = m1d_numel(idx);
  const int64_t *p = idx->storage->data;
  if (m1d_is_contiguous(idx)) {                  /* the common case, without the iterator */
    const int64_t *q = p + idx->offset;
    for (int64_t i = 0; i < n; i++)
      if (q[i] < 0 || q[i] >= size)
        return m1d_failcode("%s: index %.0f out of range 1..%lld for shape %s", op,
                            (double)q[i] + 1, (long long)size, m1d_shapestr(x).s);
    return 0;
  }
  m1d_Iter it;
  m1d_iter_init(&it, idx->ndim, idx->shape, idx, NULL, NULL);
  for (int64_t i = 0; i < n; i++, m1d_iter_next(&it))
    if (p[it.o0] < 0 || p[it.o0] >= size)
      return m1d_failcode("%s: index %.0f out of range 1..%lld for shape %s", op,   /* (+ 1 may overflow) */
                          (double)p[it.o0] + 1, (long long)size, m1d_shapestr(x).s);
  return 0;
}

/* gather's fast path: idx and x contiguous with the same shape outside dim (a per-row
   index, as cross_entropy's label pick and a batch roll use), so that element (o, j, i)
   of idx, with o the rows before dim and i those after, reads x at (o, idx, i) */
static int gather_contiguous (const m1d_Tensor *x, int dim, const m1d_Tensor *idx, m1d_Tensor *out) {
  if (!m1d_is_contiguous(x) || !m1d_is_contiguous(idx)) return 0;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x->ndim; d++) {
    if (d == dim) continue;
    if (idx->shape[d] != x->shape[d]) return 0;
    if (d < dim) outer *= x->shape[d]; else inner *= x->shape[d];
  }
  int64_t nj = idx->shape[dim], xj = x->shape[dim];
  const int64_t *ip = (const int64_t *)idx->storage->data + idx->offset;
  size_t es = m1d_dtype_size(x->dtype);
  const char *xb = (const char *)x->storage->data + (size_t)x->offset * es;
  char *ob = m1d_data(out);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < nj; j++, ip += inner, ob += (size_t)inner * es)
      for (int64_t i = 0; i < inner; i++)
        memcpy(ob + (size_t)i * es, xb + (size_t)((o * xj + ip[i]) * inner + i) * es, es);
  return 1;
}

/* dst.select(dim, di) (+)= src.select(dim, si) for every (di, si) pair */
static void copy_slices (m1d_Tensor *dst, int dim, const int64_t *di, m1d_Tensor *src,
                         const int64_t *si, int64_t n, int add) {
  for (int64_t k = 0; k < n; k++) {
    m1d_Tensor *a = m1d_view_select(dst, dim, di ? di[k] : k);
    m1d_Tensor *b = m1d_view_select(src, dim, si ? si[k] : k);
    if (a && b) {
      if (!add) m1d_copy_into(a, b);
      else {
        m1d_Iter it;
        int64_t cnt = m1d_numel(a);
        m1d_iter_init(&it, a->ndim, a->shape, a, b, NULL);
        for (int64_t i = 0; i < cnt; i++, m1d_iter_next(&it)) {
          if (a->dtype == M1D_F32) ((float *)a->storage->data)[it.o0] += ((float *)b->storage->data)[it.o1];
          else if (a->dtype == M1D_F64) ((double *)a->storage->data)[it.o0] += ((double *)b->storage->data)[it.o1];
          else ((int64_t *)a->storage->data)[it.o0] += ((int64_t *)b->storage->data)[it.o1];
        }
      }
    }
    m1d_decref(a); m1d_decref(b);
  }
}

static int bw_index_select (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *z = m1d_zeros(g->dtype, n->edges[0].ndim, n->edges[0].shape);
  if (z == NULL) return -1;
  gin[0] = m1d_index_add(z, (int)n->ip[0], n->saved[0], g);
  m1d_decref(z);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_index_select (m1d_Tensor *x, int dim, m1d_Tensor *idx) {
  if (check_dim("index_select", x, dim) < 0) return NULL;
  if (idx->ndim != 1)
    return m1d_fail("index_select: index must be 1-D, got %s", m1d_shapestr(idx).s);
  if (check_index("index_select", idx, x->shape[dim], x) < 0) return NULL;
  m1d_Tensor *ic = m1d_contiguous_raw(idx);
  if (ic == NULL) return NULL;
  int64_t shape[M1D_MAXDIM];
  memcpy(shape, x->shape, sizeof shape);
  shape[dim] = idx->shape[0];
  m1d_Tensor *out = m1d_empty(x->dtype, x->ndim, shape);
  if (out == NULL) { m1d_decref(ic); return NULL; }
  copy_slices(out, dim, NULL, x, m1d_data(ic), shape[dim], 0);
  if (m1d_needs_grad(1, &x)) {
    m1d_Node *node = m1d_record("index_select", bw_index_select, out, 1, &x);
    if (node == NULL) { m1d_decref(ic); m1d_decref(out); return NULL; }
    node->ip[0] = dim;
    m1d_node_save(node, 0, ic);
  }
  m1d_decref(ic);
  return out;
}

/* grad_fit casts back when base and source had different dtypes (the output promotes) */
static int bw_index_add (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (n->edges[0].needs && (gin[0] = m1d_grad_fit(g, &n->edges[0])) == NULL) return -1;
  if (n->edges[1].needs) {
    m1d_Tensor *s = m1d_index_select(g, (int)n->ip[0], n->saved[0]);
    if (s == NULL || (gin[1] = m1d_grad_fit(s, &n->edges[1])) == NULL) { m1d_decref(s); return -1; }
    m1d_decref(s);
  }
  return 0;
}

m1d_Tensor *m1d_index_add (m1d_Tensor *base, int dim, m1d_Tensor *idx, m1d_Tensor *src) {
  if (check_dim("index_add", base, dim) < 0) return NULL;
  if (idx->ndim != 1 || src->ndim != base->ndim || src->shape[dim] != idx->shape[0])
    return m1d_fail("index_add: base %s, index %s and source %s do not match at dim %d",
                    m1d_shapestr(base).s, m1d_shapestr(idx).s, m1d_shapestr(src).s, dim + 1);
  for (int d = 0; d < base->ndim; d++)
    if (d != dim && base->shape[d] != src->shape[d])
      return m1d_fail("index_add: base %s and source %s differ outside dim %d",
                      m1d_shapestr(base).s, m1d_shapestr(src).s, dim + 1);
  if (check_index("index_add", idx, base->shape[dim], base) < 0) return NULL;
  m1d_Tensor *ic = m1d_contiguous_raw(idx);
  if (ic == NULL) return NULL;
  m1d_Tensor *out = m1d_cast_raw(base, m1d_promote(base->dtype, src->dtype));
  /* copy_slices adds element by element in one dtype: the source in the output's */
  m1d_Tensor *sc = NULL;
  if (out != NULL) sc = src->dtype == out->dtype ? src : m1d_cast_raw(src, out->dtype);
  if (sc == src) m1d_incref(sc);
  if (sc == NULL) { m1d_decref(ic); m1d_decref(out); return NULL; }
  copy_slices(out, dim, m1d_data(ic), sc, NULL, idx->shape[0], 1);
  m1d_decref(sc);
  m1d_Tensor *in[2] = {base, src};
  if (m1d_needs_grad(2, in)) {
    m1d_Node *node = m1d_record("index_add", bw_index_add, out, 2, in);
    if (node == NULL) { m1d_decref(ic); m1d_decref(out); return NULL; }
    node->ip[0] = dim;
    m1d_node_save(node, 0, ic);
  }
  m1d_decref(ic);
  return out;
}

/* gather/scatter_add: out[..i..] = x[..idx[..i..]..] along dim, idx has x's ndim */
static int check_gather (const char *op, const m1d_Tensor *x, int dim, const m1d_Tensor *idx) {
  if (check_dim(op, x, dim) < 0) return -1;
  if (idx->ndim != x->ndim)
    return m1d_failcode("%s: index %s must have as many dims as input %s", op,
                        m1d_shapestr(idx).s, m1d_shapestr(x).s);
  for (int d = 0; d < x->ndim; d++)
    if (d != dim && idx->shape[d] > x->shape[d])
      return m1d_failcode("%s: index %s is larger than input %s at dim %d", op,
                          m1d_shapestr(idx).s, m1d_shapestr(x).s, d + 1);
  return check_index(op, idx, x->shape[dim], x);
}

static int bw_gather (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *z = m1d_zeros(g->dtype, n->edges[0].ndim, n->edges[0].shape);
  if (z == NULL) return -1;
  gin[0] = m1d_scatter_add(z, (int)n->ip[0], n->saved[0], g);
  m1d_decref(z);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_gather (m1d_Tensor *x, int dim, m1d_Tensor *idx) {
  if (check_gather("gather", x, dim, idx) < 0) return NULL;
  m1d_Tensor *out = m1d_empty(x->dtype, idx->ndim, idx->shape);
  if (out == NULL) return NULL;
  if (!gather_contiguous(x, dim, idx, out)) {
    int64_t n = m1d_numel(idx);
    m1d_Iter it;
    m1d_iter_init(&it, idx->ndim, idx->shape, idx, NULL, NULL);
    const int64_t *ip = idx->storage->data;
    size_t es = m1d_dtype_size(x->dtype);
    char *xb = x->storage->data, *ob = m1d_data(out);
    for (int64_t i = 0; i < n; i++, m1d_iter_next(&it)) {
      int64_t xo = x->offset;
      for (int d = 0; d < x->ndim; d++)
        xo += (d == dim ? ip[it.o0] : it.idx[d]) * x->stride[d];
      memcpy(ob + (size_t)i * es, xb + (size_t)xo * es, es);
    }
  }
  if (m1d_needs_grad(1, &x)) {
    m1d_Node *node = m1d_record("gather", bw_gather, out, 1, &x);
    if (node == NULL) { m1d_decref(out); return NULL; }
    node->ip[0] = dim;
    m1d_node_save(node, 0, idx);
  }
  return out;
}

static int bw_scatter_add (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  if (n->edges[0].needs && (gin[0] = m1d_grad_fit(g, &n->edges[0])) == NULL) return -1;
  if (n->edges[1].needs) {
    m1d_Tensor *s = m1d_gather(g, (int)n->ip[0], n->saved[0]);
    if (s == NULL || (gin[1] = m1d_grad_fit(s, &n->edges[1])) == NULL) { m1d_decref(s); return -1; }
    m1d_decref(s);
  }
  return 0;
}

m1d_Tensor *m1d_scatter_add (m1d_Tensor *base, int dim, m1d_Tensor *idx, m1d_Tensor *src) {
  if (check_gather("scatter_add", base, dim, idx) < 0) return NULL;
  if (!m1d_same_shape(idx, src))
    return m1d_fail("scatter_add: index %s and source %s must have the same shape",
                    m1d_shapestr(idx).s, m1d_shapestr(src).s);
  m1d_Tensor *out = m1d_cast_raw(base, m1d_promote(base->dtype, src->dtype));
  if (out == NULL) return NULL;
  int64_t n = m1d_numel(idx);
  m1d_Iter it;
  m1d_iter_init(&it, idx->ndim, idx->shape, idx, src, NULL);
  const int64_t *ip = idx->storage->data;
  for (int64_t i = 0; i < n; i++, m1d_iter_next(&it)) {
    int64_t oo = 0;
    for (int d = 0; d < out->ndim; d++)
      oo += (d == dim ? ip[it.o0] : it.idx[d]) * out->stride[d];
    double v = m1d_load(src->storage->data, src->dtype, it.o1);
    if (out->dtype == M1D_F32) ((float *)out->storage->data)[oo] += (float)v;
    else if (out->dtype == M1D_F64) ((double *)out->storage->data)[oo] += v;
    else ((int64_t *)out->storage->data)[oo] += (int64_t)v;
  }
  m1d_Tensor *in[2] = {base, src};
  if (m1d_needs_grad(2, in)) {
    m1d_Node *node = m1d_record("scatter_add", bw_scatter_add, out, 2, in);
    if (node == NULL) { m1d_decref(out); return NULL; }
    node->ip[0] = dim;
    m1d_node_save(node, 0, idx);
  }
  return out;
}

static int bw_flip (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_flip(g, (int)n->ip[0]);
  return gin[0] ? 0 : -1;
}

m1d_Tensor *m1d_flip (m1d_Tensor *x, int dim) {
  if (check_dim("flip", x, dim) < 0) return NULL;
  m1d_Tensor *v = m1d_view_alias(x);
  if (v == NULL) return NULL;
  if (x->shape[dim] > 0) v->offset += (x->shape[dim] - 1) * x->stride[dim];
  v->stride[dim] = -x->stride[dim];
  m1d_Tensor *out = m1d_clone_raw(v);
  m1d_decref(v);
  int64_t ip[1] = {dim};
  return rec1("flip", bw_flip, out, x, ip, 1);
}

/* ---------------------------------------------------------------- unfold / fold */

static int64_t out_len (int64_t L, int64_t k, int64_t s, int64_t p) { return (L + 2 * p - k) / s + 1; }

#define UNFOLD_LOOP(T)                                                                  \
  {                                                                                    \
    const T *xp = m1d_data(xc); T *op = m1d_data(out);                                 \
    for (int64_t b = 0; b < N; b++)                                                    \
      for (int64_t c = 0; c < C; c++)                                                  \
        for (int64_t j = 0; j < k; j++) {                                              \
          T *row = op + ((b * C + c) * k + j) * Lo;                                    \
          const T *src = xp + (b * C + c) * L;                                         \
          for (int64_t t = 0; t < Lo; t++) {                                           \
            int64_t pos = t * s + j - p;                                               \
            row[t] = (pos >= 0 && pos < L) ? src[pos] : (T)0;                          \
          }                                                                            \
        }                                                                              \
  }

#define FOLD_LOOP(T)                                                                    \
  {                                                                                    \
    const T *cp = m1d_data(cc); T *op = m1d_data(out);                                 \
    for (int64_t b = 0; b < N; b++)                                                    \
      for (int64_t c = 0; c < C; c++)                                                  \
        for (int64_t j = 0; j < k; j++) {                                              \
          const T *row = cp + ((b * C + c) * k + j) * Lo;                              \
          T *dst = op + (b * C + c) * L;                                               \
          for (int64_t t = 0; t < Lo; t++) {                                           \
            int64_t pos = t * s + j - p;                                               \
            if (pos >= 0 && pos < L) dst[pos] += row[t];                               \
          }                                                                            \
        }                                                                              \
  }

static int bw_unfold (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_fold1d(g, n->edges[0].shape[2], n->ip[0], n->ip[1], n->ip[2]);
  return gin[0] ? 0 : -1;
}

static int bw_fold (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  gin[0] = m1d_unfold1d(g, n->ip[0], n->ip[1], n->ip[2]);
  return gin[0] ? 0 : -1;
}

int m1d_check_window (const char *op, int64_t L, int64_t k, int64_t s, int64_t p,
                      const m1d_Tensor *x) {
  if (k < 1 || s < 1 || p < 0)
    return m1d_failcode("%s: kernel %lld, stride %lld, padding %lld: kernel and stride must be "
                        ">= 1, padding >= 0", op, (long long)k, (long long)s, (long long)p);
  /* keeps L + 2p far from int64 overflow (a huge stride just gives one window) */
  const int64_t big = (int64_t)1 << 40;
  if (k > big || p > big)
    return m1d_failcode("%s: kernel %lld, stride %lld, padding %lld for input %s: too large", op,
                        (long long)k, (long long)s, (long long)p, m1d_shapestr(x).s);
  if (L + 2 * p < k)
    return m1d_failcode("%s: input %s of length %lld (padding %lld) is shorter than the kernel %lld",
                        op, m1d_shapestr(x).s, (long long)L, (long long)p, (long long)k);
  return 0;
}

m1d_Tensor *m1d_unfold1d (m1d_Tensor *x, int64_t k, int64_t s, int64_t p) {
  if (x->ndim != 3)
    return m1d_fail("unfold1d: input must be [batch, channels, length], got %s", m1d_shapestr(x).s);
  if (m1d_check_float("unfold1d", x) < 0) return NULL;
  int64_t N = x->shape[0], C = x->shape[1], L = x->shape[2];
  if (m1d_check_window("unfold1d", L, k, s, p, x) < 0) return NULL;
  if ((double)C * (double)k > 1e15)          /* before C * k is formed */
    return m1d_fail("unfold1d: kernel %lld for input %s: too large", (long long)k, m1d_shapestr(x).s);
  int64_t Lo = out_len(L, k, s, p);
  int64_t shape[3] = {N, C * k, Lo};
  m1d_Tensor *xc = m1d_contiguous_raw(x);
  if (xc == NULL) return NULL;
  m1d_Tensor *out = m1d_empty(x->dtype, 3, shape);
  if (out == NULL) { m1d_decref(xc); return NULL; }
  if (x->dtype == M1D_F32) UNFOLD_LOOP(float) else UNFOLD_LOOP(double)
  m1d_decref(xc);
  int64_t ip[3] = {k, s, p};
  return rec1("unfold1d", bw_unfold, out, x, ip, 3);
}

m1d_Tensor *m1d_fold1d (m1d_Tensor *cols, int64_t L, int64_t k, int64_t s, int64_t p) {
  if (cols->ndim != 3 || k < 1 || cols->shape[1] % k != 0)
    return m1d_fail("fold1d: columns %s do not have the [batch, channels*%lld, length] layout",
                    m1d_shapestr(cols).s, (long long)k);
  if (m1d_check_window("fold1d", L, k, s, p, cols) < 0) return NULL;
  int64_t N = cols->shape[0], C = cols->shape[1] / k, Lo = cols->shape[2];
  if (Lo != out_len(L, k, s, p))
    return m1d_fail("fold1d: columns %s do not match length %lld with kernel %lld stride %lld padding %lld",
                    m1d_shapestr(cols).s, (long long)L, (long long)k, (long long)s, (long long)p);
  int64_t shape[3] = {N, C, L};
  m1d_Tensor *cc = m1d_contiguous_raw(cols);
  if (cc == NULL) return NULL;
  m1d_Tensor *out = m1d_zeros(cols->dtype, 3, shape);
  if (out == NULL) { m1d_decref(cc); return NULL; }
  if (cols->dtype == M1D_F32) FOLD_LOOP(float) else FOLD_LOOP(double)
  m1d_decref(cc);
  int64_t ip[3] = {k, s, p};
  return rec1("fold1d", bw_fold, out, cols, ip, 3);
}
