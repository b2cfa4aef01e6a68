/*
** ops_linalg.c — matmul (2-D, batched, broadcast) and linear, on OpenBLAS.
**
** Operands reach sgemm/dgemm without a copy when their last two dims are
** row-major or column-major (transposed views, e.g. W^T in linear's
** backward); anything else is copied once.  A batched left operand times a 2-D
** right operand is one GEMM over the flattened batch, which also makes its
** weight gradient one GEMM instead of a batch of them.
*/
#include "gemm.h"
#include <string.h>
#include "ops_impl.h"

/* How a 2-D slice with strides (s0, s1) and shape (r, c) maps onto BLAS. */
typedef struct { int ok; CBLAS_TRANSPOSE trans; int64_t ld; } Layout;

static Layout layout_of (int64_t r, int64_t c, int64_t s0, int64_t s1) {
  Layout l = {0, CblasNoTrans, 0};
  if ((s1 == 1 || c == 1) && (s0 >= (c > 1 ? c : 1) || r == 1)) {
    l.ok = 1; l.trans = CblasNoTrans; l.ld = r == 1 ? (c > 1 ? c : 1) : s0;
    if (l.ld < c) l.ld = c;
  } else if ((s0 == 1 || r == 1) && (s1 >= (r > 1 ? r : 1) || c == 1)) {
    l.ok = 1; l.trans = CblasTrans; l.ld = c == 1 ? (r > 1 ? r : 1) : s1;
    if (l.ld < r) l.ld = r;
  }
  return l;
}

/* C[m,n] = A[m,k] B[k,n] (+ beta C) for one slice.  Degenerate shapes, which
   elementwise nets (a 1->100->1 MLP applied to every activation) produce, skip
   GEMM's packing: k == 1 is an outer product, n == 1 or m == 1 a GEMV. */
#define OUTER(T)                                                                          \
  {                                                                                       \
    const T *a = A, *b = B; T *c = C;                                                     \
    int64_t sa = la.trans == CblasNoTrans ? la.ld : 1, sb = lb.trans == CblasNoTrans ? 1 : lb.ld; \
    for (int64_t i = 0; i < m; i++) {                                                     \
      T ai = a[i * sa], *ci = c + i * n;                                                  \
      if (beta == 0) { for (int64_t j = 0; j < n; j++) ci[j] = ai * b[j * sb]; }          \
      else { for (int64_t j = 0; j < n; j++) ci[j] = (T)beta * ci[j] + ai * b[j * sb]; }  \
    }                                                                                     \
  }

static void slice_product (m1d_DType dt, int64_t m, int64_t n, int64_t k,
                           const void *A, Layout la, const void *B, Layout lb, void *C, double beta) {
  if (m == 0 || n == 0) return;
  if (k == 0) { m1d_gemm(dt, la.trans, lb.trans, m, n, k, A, 1, B, 1, beta, C, n); return; }
  int f32 = dt == M1D_F32;
  if (k == 1) {
    if (f32) OUTER(float) else OUTER(double)
    return;
  }
  if (n == 1) {              /* C[:,0] = A x, x = column 0 of B */
    int incx = lb.trans == CblasNoTrans ? (int)lb.ld : 1;
    int rows = la.trans == CblasNoTrans ? (int)m : (int)k, cols = la.trans == CblasNoTrans ? (int)k : (int)m;
    if (f32) cblas_sgemv(CblasRowMajor, la.trans, rows, cols, 1.0f, A, (int)la.ld, B, incx, (float)beta, C, 1);
    else cblas_dgemv(CblasRowMajor, la.trans, rows, cols, 1.0, A, (int)la.ld, B, incx, beta, C, 1);
    return;
  }
  if (m == 1) {              /* C[0,:] = B^T x, x = row 0 of A */
    int incx = la.trans == CblasNoTrans ? 1 : (int)la.ld;
    CBLAS_TRANSPOSE t = lb.trans == CblasNoTrans ? CblasTrans : CblasNoTrans;
    int rows = lb.trans == CblasNoTrans ? (int)k : (int)n, cols = lb.trans == CblasNoTrans ? (int)n : (int)k;
    if (f32) cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, B, (int)lb.ld, A, incx, (float)beta, C, 1);
    else cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, B, (int)lb.ld, A, incx, beta, C, 1);
    return;
  }
  m1d_gemm(dt, la.trans, lb.trans, m, n, k, A, la.ld, B, lb.ld, beta, C, n);
}

static int check_dims (const char *op, const m1d_Tensor *a, const m1d_Tensor *b) {
  if (m1d_check_float(op, a) < 0 || m1d_check_float(op, b) < 0) return -1;
  if (a->dtype != b->dtype)
    return m1d_failcode("%s: dtypes differ: %s %s and %s %s", op, m1d_dtype_name(a->dtype),
                        m1d_shapestr(a).s, m1d_dtype_name(b->dtype), m1d_shapestr(b).s);
  return 0;
}

/* out = a @ b without autograd; a, b at least 2-D, batch dims broadcast */
static m1d_Tensor *matmul_raw (m1d_Tensor *a, m1d_Tensor *b) {
  int64_t m = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1];
  int64_t k2 = b->shape[b->ndim - 2], n = b->shape[b->ndim - 1];
  if (k != k2)
    return m1d_fail("matmul: shapes %s and %s are not aligned (%lld != %lld)",
                    m1d_shapestr(a).s, m1d_shapestr(b).s, (long long)k, (long long)k2);
  /* batch shape: broadcast of a's and b's leading dims */
  int na = a->ndim - 2, nb = b->ndim - 2, nbatch = na > nb ? na : nb;
  int64_t shape[M1D_MAXDIM];
  for (int d = 0; d < nbatch; d++) {
    int da = d - (nbatch - na), db = d - (nbatch - nb);
    int64_t sa = da >= 0 ? a->shape[da] : 1, sb = db >= 0 ? b->shape[db] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      return m1d_fail("matmul: batch dims of %s and %s cannot be broadcast",
                      m1d_shapestr(a).s, m1d_shapestr(b).s);
    shape[d] = sa == 1 ? sb : sa;
  }
  shape[nbatch] = m; shape[nbatch + 1] = n;
  m1d_Tensor *ac = a, *bc = b, *out = NULL;
  m1d_incref(a); m1d_incref(b);
  Layout la = layout_of(m, k, a->stride[a->ndim - 2], a->stride[a->ndim - 1]);
  Layout lb = layout_of(k, n, b->stride[b->ndim - 2], b->stride[b->ndim - 1]);
  if (!la.ok) { m1d_decref(ac); if ((ac = m1d_clone_raw(a)) == NULL) goto done; la = layout_of(m, k, k, 1); }
  if (!lb.ok) { m1d_decref(bc); if ((bc = m1d_clone_raw(b)) == NULL) goto done; lb = layout_of(k, n, n, 1); }
  if ((out = m1d_empty(a->dtype, nbatch + 2, shape)) == NULL) goto done;
  int64_t batches = 1;
  for (int d = 0; d < nbatch; d++) batches *= shape[d];
  size_t es = m1d_dtype_size(a->dtype);
  int64_t idx[M1D_MAXDIM] = {0};
  for (int64_t i = 0; i < batches; i++) {
    int64_t oa = ac->offset, ob = bc->offset;
    for (int d = 0; d < nbatch; d++) {
      int da = d - (nbatch - na), db = d - (nbatch - nb);
      if (da >= 0 && ac->shape[da] != 1) oa += idx[d] * ac->stride[da];
      if (db >= 0 && bc->shape[db] != 1) ob += idx[d] * bc->stride[db];
    }
    slice_product(a->dtype, m, n, k, (char *)ac->storage->data + oa * es, la,
         (char *)bc->storage->data + ob * es, lb, (char *)m1d_data(out) + (size_t)(i * m * n) * es, 0);
    for (int d = nbatch - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
done:
  m1d_decref(ac); m1d_decref(bc);
  return out;
}

static int bw_matmul (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *a = n->saved[0], *b = n->saved[1], *t = NULL, *p = NULL;
  if (n->edges[0].needs) {                 /* ga = g b^T, summed over broadcast batch */
    TRY(t, m1d_transpose(b, b->ndim - 2, b->ndim - 1)); TRY(p, m1d_matmul(g, t));
    TRY(gin[0], m1d_grad_fit(p, &n->edges[0])); DROP(t); DROP(p);
  }
  if (n->edges[1].needs) {                 /* gb = a^T g */
    TRY(t, m1d_transpose(a, a->ndim - 2, a->ndim - 1)); TRY(p, m1d_matmul(t, g));
    TRY(gin[1], m1d_grad_fit(p, &n->edges[1])); DROP(t); DROP(p);
  }
  return 0;
fail:
  m1d_decref(t); m1d_decref(p); m1d_decref(gin[0]); gin[0] = NULL;
  return -1;
}

m1d_Tensor *m1d_matmul (m1d_Tensor *a, m1d_Tensor *b) {
  if (check_dims("matmul", a, b) < 0) return NULL;
  if (a->ndim < 2 || b->ndim < 2)
    return m1d_fail("matmul: needs 2-D or batched operands, got %s and %s (use reshape for vectors)",
                    m1d_shapestr(a).s, m1d_shapestr(b).s);
  if (a->ndim > 2 && b->ndim == 2) {       /* [..., m, k] @ [k, n] as one GEMM */
    if (a->shape[a->ndim - 1] != b->shape[0])
      return m1d_fail("matmul: shapes %s and %s are not aligned (%lld != %lld)", m1d_shapestr(a).s,
                      m1d_shapestr(b).s, (long long)a->shape[a->ndim - 1], (long long)b->shape[0]);
    int64_t flat[2] = {-1, a->shape[a->ndim - 1]}, shape[M1D_MAXDIM];
    m1d_Tensor *a2 = m1d_reshape(a, 2, flat), *p = NULL, *r = NULL;
    if (a2 && (p = m1d_matmul(a2, b))) {
      memcpy(shape, a->shape, sizeof shape);
      shape[a->ndim - 1] = b->shape[1];
      r = m1d_reshape(p, a->ndim, shape);
    }
    m1d_decref(a2); m1d_decref(p);
    return r;
  }
  m1d_Tensor *out = matmul_raw(a, b);
  m1d_Tensor *in[2] = {a, b};
  if (out == NULL || !m1d_needs_grad(2, in)) return out;
  m1d_Node *node = m1d_record("matmul", bw_matmul, out, 2, in);
  if (node == NULL) { m1d_decref(out); return NULL; }
  /* each operand is read only for the other's gradient: a kept graph (create_graph)
     holds nothing for a side that needs none (a weight gradient g^T x of data x) */
  if (node->edges[1].needs) m1d_node_save(node, 0, a);
  if (node->edges[0].needs) m1d_node_save(node, 1, b);
  return out;
}

/* torch.bmm: [B, n, k] @ [B, k, m] -> [B, n, m], no broadcasting (a strict matmul: the same
   batched GEMM loop, the same rule, whose gradients g b^T and a^T g are bmm's again). */
m1d_Tensor *m1d_bmm (m1d_Tensor *a, m1d_Tensor *b) {
  if (check_dims("bmm", a, b) < 0) return NULL;
  if (a->ndim != 3 || b->ndim != 3)
    return m1d_fail("bmm: needs 3-D operands [B, n, k] and [B, k, m], got %s and %s",
                    m1d_shapestr(a).s, m1d_shapestr(b).s);
  if (a->shape[0] != b->shape[0])
    return m1d_fail("bmm: batch sizes differ: %s and %s (bmm does not broadcast; matmul does)",
                    m1d_shapestr(a).s, m1d_shapestr(b).s);
  if (a->shape[2] != b->shape[1])
    return m1d_fail("bmm: shapes %s and %s are not aligned (%lld != %lld)", m1d_shapestr(a).s,
                    m1d_shapestr(b).s, (long long)a->shape[2], (long long)b->shape[1]);
  return m1d_matmul(a, b);
}

/* ---------------------------------------------------------------- linear */

static int bw_linear (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *x = n->saved[0], *w = n->saved[1], *t = NULL;
  if (n->edges[0].needs) TRY(gin[0], m1d_matmul(g, w));                 /* g W */
  if (n->edges[1].needs) {                                              /* g^T x */
    TRY(t, m1d_transpose(g, 0, 1)); TRY(gin[1], m1d_matmul(t, x)); DROP(t);
  }
  /* the bias gradient: g summed over rows, straight to [out] (one sum node; sum_dim made a
     [1, out] sum and a squeeze, two nodes and tensors per layer and step of an unrolled loop) */
  if (n->ninputs > 2 && n->edges[2].needs) TRY(gin[2], m1d_sum_to(g, 1, &n->edges[2].shape[0]));
  return 0;
fail:
  m1d_decref(t);
  for (int i = 0; i < 3; i++) { m1d_decref(gin[i]); gin[i] = NULL; }
  return -1;
}

m1d_Tensor *m1d_linear (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b) {
  if (check_dims("linear", x, w) < 0 || (b && check_dims("linear", x, b) < 0)) return NULL;
  if (w->ndim != 2 || x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1])
    return m1d_fail("linear: input %s and weight %s: the input's last dim must equal the "
                    "weight's dim 2", m1d_shapestr(x).s, m1d_shapestr(w).s);
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return m1d_fail("linear: bias %s does not match weight %s (want [%lld])", m1d_shapestr(b).s,
                    m1d_shapestr(w).s, (long long)w->shape[0]);
  if (x->ndim != 2) {                      /* [..., in] -> flatten, apply, restore */
    int64_t flat[2] = {-1, w->shape[1]}, shape[M1D_MAXDIM];
    m1d_Tensor *x2 = m1d_reshape(x, 2, flat), *p = NULL, *r = NULL;
    if (x2 && (p = m1d_linear(x2, w, b))) {
      memcpy(shape, x->shape, sizeof shape);
      shape[x->ndim - 1] = w->shape[0];
      r = m1d_reshape(p, x->ndim, shape);
    }
    m1d_decref(x2); m1d_decref(p);
    return r;
  }
  int64_t N = x->shape[0], in = w->shape[1], O = w->shape[0];
  int64_t shape[2] = {N, O};
  m1d_Tensor *out = m1d_empty(x->dtype, 2, shape);
  if (out == NULL) return NULL;
  double beta = 0;
  if (b) {                                  /* rows start as the bias, GEMM adds x W^T */
    m1d_Tensor *row = m1d_view_expand(b, 2, shape);
    if (row == NULL) { m1d_decref(out); return NULL; }
    m1d_copy_into(out, row);
    m1d_decref(row);
    beta = 1;
  }
  m1d_Tensor *xc = x, *wc = w;
  Layout lx = layout_of(N, in, x->stride[0], x->stride[1]);
  Layout lw = layout_of(in, O, w->stride[1], w->stride[0]);   /* W^T as a view */
  if (!lx.ok) { if ((xc = m1d_clone_raw(x)) == NULL) { m1d_decref(out); return NULL; } lx = layout_of(N, in, in, 1); }
  if (!lw.ok) {
    if ((wc = m1d_clone_raw(w)) == NULL) { if (xc != x) m1d_decref(xc); m1d_decref(out); return NULL; }
    lw = layout_of(in, O, 1, in);
  }
  slice_product(x->dtype, N, O, in, m1d_data(xc), lx, m1d_data(wc), lw, m1d_data(out), beta);
  if (xc != x) m1d_decref(xc);
  if (wc != w) m1d_decref(wc);
  m1d_Tensor *ins[3] = {x, w, b};
  int nin = b ? 3 : 2;
  if (!m1d_needs_grad(nin, ins)) return out;
  m1d_Node *node = m1d_record("linear", bw_linear, out, nin, ins);
  if (node == NULL) { m1d_decref(out); return NULL; }
  /* x is read only for w's gradient and w only for x's (the first layer's weight, over
     data, is not kept for an unrolled graph) */
  if (node->edges[1].needs) m1d_node_save(node, 0, x);
  if (node->edges[0].needs) m1d_node_save(node, 1, w);
  return out;
}
