/*
** ops_elementwise.c — unary and binary elementwise ops with broadcasting,
** and their backward rules (written with the same ops, so differentiable).
**
** Kernels: unary ops run over a contiguous copy of the input; binary ops walk
** the broadcast shape with an inner loop over the last dimension (strides 0 or
** 1 in the common cases, so the compiler can vectorise).  float32 exp, sigmoid
** and tanh use the vectorisable fast_expf/fast_tanhf of fastmath.h (1.4 and 2.3 ulp); other
** float32 math uses the float libm functions, float64 the double ones.
** The ops themselves are rows of ops_elementwise_table.h: everything below that names
** an op is generated from them.
*/
#include "simd.h"
#include <math.h>
#include <string.h>
#include "ops_rule.h"
#include "fastmath.h"

int m1d_check_float (const char *op, const m1d_Tensor *x) {
  if (x->dtype == M1D_I64)
    return m1d_failcode("%s: expected a float32 or float64 tensor, got int64 %s "
                        "(convert with :float() or :double())", op, m1d_shapestr(x).s);
  return 0;
}

m1d_DType m1d_promote (m1d_DType a, m1d_DType b) {
  if (a == M1D_F64 || b == M1D_F64) return M1D_F64;
  if (a == M1D_F32 || b == M1D_F32) return M1D_F32;
  return M1D_I64;
}

m1d_Tensor *m1d_grad_fit (m1d_Tensor *g, const m1d_Edge *e) {
  m1d_Tensor *s = m1d_sum_to(g, e->ndim, e->shape);
  if (s == NULL || s->dtype == e->dtype) return s;
  m1d_Tensor *c = m1d_cast(s, e->dtype);
  m1d_decref(s);
  return c;
}

/* ================================================================ unary */

/* The table's kinds, as values */
enum { SAVES_NONE, SAVES_IN, SAVES_OUT, SAVES_NOGRAD };
enum { INT64_FLOAT, INT64_I64 };

#define AS_ENUM(name, ...) U_##name,
typedef enum { M1D_UNARY_OPS(AS_ENUM) U_CMP } UnaryOp;
#undef AS_ENUM

static const struct { const char *name; unsigned char int64, saves; } unary_info[] = {
#define AS_INFO(name, api, int64, saves, ...) {#name, INT64_##int64, SAVES_##saves},
  M1D_UNARY_OPS(AS_INFO)
#undef AS_INFO
  {"compare", INT64_I64, SAVES_NOGRAD}
};

static int cmp_holds (m1d_Cmp op, double a, double b) {
  switch (op) {
    case M1D_EQ: return a == b;
    case M1D_NE: return a != b;
    case M1D_LT: return a < b;
    case M1D_LE: return a <= b;
    case M1D_GT: return a > b;
    default: return a >= b;
  }
}

/* compare against a scalar: one loop per comparison, so that each vectorises */
#define CMP_LOOPS(T)                                                                  \
  {                                                                                   \
    T c_ = (T)p0;                                                                     \
    if ((double)c_ != p0) {                                                           \
      for (i = 0; i < n; i++) o[i] = (T)cmp_holds((m1d_Cmp)(int)p1, x[i], p0);         \
      return;                                                                         \
    }                                                                                 \
    switch ((m1d_Cmp)(int)p1) {                                                       \
      case M1D_EQ: for (i = 0; i < n; i++) o[i] = (T)(x[i] == c_); break;              \
      case M1D_NE: for (i = 0; i < n; i++) o[i] = (T)(x[i] != c_); break;              \
      case M1D_LT: for (i = 0; i < n; i++) o[i] = (T)(x[i] < c_); break;               \
      case M1D_LE: for (i = 0; i < n; i++) o[i] = (T)(x[i] <= c_); break;              \
      case M1D_GT: for (i = 0; i < n; i++) o[i] = (T)(x[i] > c_); break;               \
      default: for (i = 0; i < n; i++) o[i] = (T)(x[i] >= c_); break;                  \
    }                                                                                 \
  }

/* one loop per op and dtype, the row's formula inlined (pow by 2 multiplies) */
#define F32_CASE(name, api, int64, saves, f32, ...) \
  case U_##name: for (i = 0; i < n; i++) { float v = x[i]; o[i] = (f32); } break;
#define F64_CASE(name, api, int64, saves, f32, f64, ...) \
  case U_##name: for (i = 0; i < n; i++) { double v = x[i]; o[i] = (f64); } break;

KERNEL static void unary_f32 (UnaryOp op, int64_t n, const float *x, float *o, double p0, double p1) {
  int64_t i;
  if (op == U_pow_scalar && p0 == 2) { for (i = 0; i < n; i++) o[i] = x[i] * x[i]; return; }
  if (op == U_CMP) CMP_LOOPS(float)
  switch (op) { M1D_UNARY_OPS(F32_CASE) default: break; }
}

KERNEL static void unary_f64 (UnaryOp op, int64_t n, const double *x, double *o, double p0, double p1) {
  int64_t i;
  if (op == U_pow_scalar && p0 == 2) { for (i = 0; i < n; i++) o[i] = x[i] * x[i]; return; }
  if (op == U_CMP) CMP_LOOPS(double)
  switch (op) { M1D_UNARY_OPS(F64_CASE) default: break; }
}

/* int64 rows: the f64 formula in double, rounded back (comparisons: 0 or 1) */
#define I64_CASE_I64(name, f64) case U_##name: r = (f64); break;
#define I64_CASE_FLOAT(name, f64)
#define I64_CASE(name, api, int64, saves, f32, f64, ...) I64_CASE_##int64(name, f64)

static void unary_i64 (UnaryOp op, int64_t n, const int64_t *x, int64_t *o, double p0, double p1) {
  for (int64_t i = 0; i < n; i++) {
    double v = (double)x[i], r;
    switch (op) {
      M1D_UNARY_OPS(I64_CASE)
      default: r = cmp_holds((m1d_Cmp)(int)p1, v, p0); break;
    }
    o[i] = m1d_d2i(r);
  }
}

static m1d_Tensor *unary_raw (UnaryOp op, m1d_Tensor *xin, double p0, double p1) {
  if (xin->dtype == M1D_I64 && unary_info[op].int64 != INT64_I64)
    return m1d_fail("%s: expected a float32 or float64 tensor, got int64 %s "
                    "(convert with :float() or :double())", unary_info[op].name, m1d_shapestr(xin).s);
  m1d_Tensor *xc = m1d_contiguous_raw(xin);
  if (xc == NULL) return NULL;
  m1d_Tensor *out = m1d_empty(xc->dtype, xc->ndim, xc->shape);
  if (out == NULL) { m1d_decref(xc); return NULL; }
  int64_t n = m1d_numel(xc);
  if (xc->dtype == M1D_F32) unary_f32(op, n, m1d_data(xc), m1d_data(out), p0, p1);
  else if (xc->dtype == M1D_F64) unary_f64(op, n, m1d_data(xc), m1d_data(out), p0, p1);
  else unary_i64(op, n, m1d_data(xc), m1d_data(out), p0, p1);
  m1d_decref(xc);
  return out;
}

/* The backward rules.  `x` = saved input, `y` = the output (re-attached). */
static int bw_unary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph);

static m1d_Tensor *unary (UnaryOp op, m1d_Tensor *x, double p0, double p1) {
  m1d_Tensor *out = unary_raw(op, x, p0, p1);
  int saves = unary_info[op].saves;
  if (out == NULL || saves == SAVES_NOGRAD || !m1d_needs_grad(1, &x)) return out;
  m1d_Node *node = m1d_record(unary_info[op].name, bw_unary, out, 1, &x);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = op;
  node->p[0] = p0;
  node->p[1] = p1;
  /* relu keeps its output, not its input: y > 0 exactly where x > 0, and the output is
     what the next layer keeps anyway (linear saves its input), so in a graph that is
     kept (create_graph, retain_graph) the pre-activation can be freed.  neg and affine's
     rules read only the upstream gradient: keeping x kept a tensor per such op alive in
     every recorded backward (tanh's, sigmoid's, div's use affine). */
  if ((saves == SAVES_OUT && m1d_node_save_output(node, out) < 0) ||
      (saves == SAVES_IN && m1d_node_save(node, 0, x) < 0)) {
    m1d_decref(out); return NULL;
  }
  return out;
}


/* The first-order backward of relu, tanh and sigmoid in one loop: g * f' from the saved
   output (y > 0 for relu).  The rules below take two or three ops and as
   many temporaries; these compute the same operations in the same order, so the same
   bits (g * (x > 0), g * (-(y y) + 1), g * (y (-y + 1))). */
#define ACT_GRAD_LOOPS(T)                                                                 \
  switch (op) {                                                                           \
    case U_relu: for (int64_t i = 0; i < n; i++) o[i] = g[i] * (T)(v[i] > 0); break;      \
    case U_tanh: for (int64_t i = 0; i < n; i++) o[i] = g[i] * (-(v[i] * v[i]) + (T)1); break; \
    default: for (int64_t i = 0; i < n; i++) o[i] = g[i] * (v[i] * (-v[i] + (T)1)); break; \
  }

KERNEL static void act_grad_f32 (UnaryOp op, int64_t n, const float *g, const float *v, float *o) {
  ACT_GRAD_LOOPS(float)
}

KERNEL static void act_grad_f64 (UnaryOp op, int64_t n, const double *g, const double *v, double *o) {
  ACT_GRAD_LOOPS(double)
}

/* the fused path when it applies: 1 done (gin[0] set), 0 not applicable, -1 error */
static int bw_activation_fused (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  UnaryOp op = (UnaryOp)n->ip[0];
  if (create_graph || (op != U_relu && op != U_tanh && op != U_sigmoid)) return 0;
  m1d_Tensor *v = n->out;                      /* relu, tanh, sigmoid: the output */
  if (v == NULL || v->dtype != g->dtype || v->dtype == M1D_I64 || !m1d_same_shape(v, g) ||
      !m1d_is_contiguous(v) || !m1d_is_contiguous(g))
    return 0;
  m1d_Tensor *r = m1d_empty(g->dtype, g->ndim, g->shape);
  if (r == NULL) return -1;
  if (g->dtype == M1D_F32) act_grad_f32(op, m1d_numel(g), m1d_data(g), m1d_data(v), m1d_data(r));
  else act_grad_f64(op, m1d_numel(g), m1d_data(g), m1d_data(v), m1d_data(r));
  gin[0] = r;
  return 1;
}

/* relu's gradient g * (y > 0) from its output y, as one recorded op (create_graph): its
   derivative in g is itself, y gets none (zero almost everywhere), and it keeps y, which
   the graph keeps anyway, where cmp and mul kept a mask of their own.  The same loop as
   the first-order path, so the same bits. */
static m1d_Tensor *relu_backward (m1d_Tensor *g, m1d_Tensor *y);

static int bw_relu_backward (m1d_Node *n, m1d_Tensor *H, m1d_Tensor **gin, int create_graph) {
  return (gin[0] = relu_backward(H, n->saved[0])) ? 0 : -1;
}

static m1d_Tensor *relu_backward (m1d_Tensor *g, m1d_Tensor *y) {
  if (g->dtype != y->dtype || g->dtype == M1D_I64 || !m1d_same_shape(g, y) ||
      !m1d_is_contiguous(g) || !m1d_is_contiguous(y)) {        /* unusual: composed */
    m1d_Tensor *mask = m1d_cmp_scalar(y, M1D_GT, 0), *r = mask ? m1d_mul(g, mask) : NULL;
    m1d_decref(mask);
    return r;
  }
  m1d_Tensor *r = m1d_empty(g->dtype, g->ndim, g->shape), *ya = NULL;
  if (r == NULL) return NULL;
  if (g->dtype == M1D_F32) act_grad_f32(U_relu, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  else act_grad_f64(U_relu, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  if (!m1d_needs_grad(1, &g)) return r;
  m1d_Node *node = m1d_record("relu_backward", bw_relu_backward, r, 1, &g);
  if (node == NULL || (ya = m1d_detach(y)) == NULL) { m1d_decref(r); return NULL; }
  m1d_node_save(node, 0, ya);               /* a detached alias: the mask is no edge */
  m1d_decref(ya);
  return r;
}

/* tanh's and sigmoid's gradients likewise, from the output y: g (1 - y^2) and
   g y (1 - y), with the first-order loop's bits (the composed rules' operations in their
   order).  Their derivatives: in g the op itself; in y, H g (-2 y) and H g (1 - 2 y).
   The composed rules (mul, affine, mul) kept y^2 or 1 - y and their product besides g and
   y; this keeps g and y only.  Without a graph to record, both derivatives in one loop. */
static m1d_Tensor *act_backward (UnaryOp op, m1d_Tensor *g, m1d_Tensor *y);

#define ACT_BW2_LOOPS(T)                                                                  \
  static void act_bw2_##T (UnaryOp op, int64_t n, const T *H, const T *g, const T *y,    \
                           T *gg, T *gy) {                                                \
    for (int64_t i = 0; i < n; i++) {                                                     \
      if (op == U_tanh) {                                                                 \
        if (gg) gg[i] = H[i] * (-(y[i] * y[i]) + (T)1);                                   \
        if (gy) gy[i] = (H[i] * g[i]) * y[i] * (T)-2;                                     \
      } else {                                                                            \
        if (gg) gg[i] = H[i] * (y[i] * (-y[i] + (T)1));                                   \
        if (gy) gy[i] = (H[i] * g[i]) * ((T)-2 * y[i] + (T)1);                            \
      }                                                                                   \
    }                                                                                     \
  }
ACT_BW2_LOOPS(float)
ACT_BW2_LOOPS(double)

/* the fused loop for both derivatives when nothing records: 0, or -1 on allocation failure */
static int act_backward2_fused (UnaryOp op, m1d_Tensor *H, m1d_Tensor *g, m1d_Tensor *y, m1d_Tensor **gin,
                                int ng, int ny) {
  if ((ng && (gin[0] = m1d_empty(y->dtype, y->ndim, y->shape)) == NULL) ||
      (ny && (gin[1] = m1d_empty(y->dtype, y->ndim, y->shape)) == NULL)) {
    m1d_decref(gin[0]); gin[0] = NULL;
    return -1;
  }
  int64_t cnt = m1d_numel(y);
  void *gg = ng ? m1d_data(gin[0]) : NULL, *gy = ny ? m1d_data(gin[1]) : NULL;
  if (y->dtype == M1D_F32) act_bw2_float(op, cnt, m1d_data(H), ny ? m1d_data(g) : NULL, m1d_data(y), gg, gy);
  else act_bw2_double(op, cnt, m1d_data(H), ny ? m1d_data(g) : NULL, m1d_data(y), gg, gy);
  return 0;
}

/* saved: 0 y, 1 g (when y needs a gradient) */
static int bw_act_backward (m1d_Node *n, m1d_Tensor *H, m1d_Tensor **gin, int create_graph) {
  UnaryOp op = (UnaryOp)n->ip[0];
  m1d_Tensor *y = n->saved[0], *g = n->saved[1];
  int ng = n->edges[0].needs, ny = n->edges[1].needs;
  if (!create_graph && H->dtype == y->dtype && m1d_same_shape(H, y) && m1d_is_contiguous(H) &&
      m1d_is_contiguous(y) && (!ny || (g->dtype == y->dtype && m1d_is_contiguous(g))))
    return act_backward2_fused(op, H, g, y, gin, ng, ny);
  M1D_RULE_SCOPE(S);
  if (ng) gin[0] = m1d_rule_result(S, KEEP(act_backward(op, H, y)));
  if (ny) gin[1] = m1d_rule_result(S, op == U_tanh ? AFFINE(MUL(MUL(H, g), y), -2, 0)
                                                   : MUL(MUL(H, g), AFFINE(y, -2, 1)));
  return m1d_rule_close(S);
}

static m1d_Tensor *act_backward (UnaryOp op, m1d_Tensor *g, m1d_Tensor *y) {
  m1d_Tensor *r = NULL;
  if (g->dtype != y->dtype || g->dtype == M1D_I64 || !m1d_same_shape(g, y) ||
      !m1d_is_contiguous(g) || !m1d_is_contiguous(y)) {        /* unusual: composed */
    M1D_RULE_SCOPE(S);
    r = m1d_rule_result(S, op == U_tanh ? MUL(g, AFFINE(MUL(y, y), -1, 1)) : MUL(g, MUL(y, AFFINE(y, -1, 1))));
    m1d_rule_close(S);
    return r;
  }
  if ((r = m1d_empty(g->dtype, g->ndim, g->shape)) == NULL) return NULL;
  if (g->dtype == M1D_F32) act_grad_f32(op, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  else act_grad_f64(op, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  m1d_Tensor *in[2] = {g, y};
  if (!m1d_needs_grad(2, in)) return r;
  m1d_Node *node = m1d_record(op == U_tanh ? "tanh_backward" : "sigmoid_backward", bw_act_backward, r, 2, in);
  if (node == NULL) { m1d_decref(r); return NULL; }
  node->ip[0] = op;
  m1d_node_save(node, 0, y);
  if (node->edges[1].needs) m1d_node_save(node, 1, g);
  return r;
}


/* the rules' longer gradients (g the upstream gradient, x the input) */
static m1d_Tensor *silu_grad (m1d_RuleScope *S, m1d_Tensor *g, m1d_Tensor *x) {
  m1d_Tensor *s = SIGMOID(x);                       /* g s (1 + x (1 - s)) */
  return MUL(g, MUL(s, AFFINE(MUL(x, AFFINE(s, -1, 1)), 1, 1)));
}

static m1d_Tensor *gelu_grad (m1d_RuleScope *S, m1d_Tensor *g, m1d_Tensor *x) {
  m1d_Tensor *Phi = AFFINE(ERF(AFFINE(x, 0.70710678118654752440, 0)), 0.5, 0.5);   /* g (Phi + x phi) */
  m1d_Tensor *xphi = AFFINE(MUL(x, EXP(AFFINE(MUL(x, x), -0.5, 0))), 0.39894228040143267794, 0);
  return MUL(g, ADD(Phi, xphi));
}

static m1d_Tensor *elu_grad (m1d_RuleScope *S, m1d_Tensor *g, m1d_Tensor *x, double alpha) {
  m1d_Tensor *m = CMPS(x, M1D_GT, 0);               /* g (m + (1-m) alpha exp(min(x,0))) */
  return MUL(g, ADD(m, MUL(AFFINE(m, -alpha, alpha), EXP(NEG(RELU(NEG(x)))))));
}

static m1d_Tensor *softplus_grad (m1d_RuleScope *S, m1d_Tensor *g, m1d_Tensor *x, double beta, double threshold) {
  m1d_Tensor *bx = AFFINE(x, beta, 0), *m = CMPS(bx, M1D_GT, threshold);
  return MUL(g, ADD(m, MUL(SIGMOID(bx), AFFINE(m, -1, 1))));   /* g (m + (1-m) sigmoid(beta x)) */
}

static m1d_Tensor *pow_scalar_grad (m1d_RuleScope *S, m1d_Tensor *g, m1d_Tensor *x, double p) {
  if (p == 0) return AFFINE(g, 0, 0);               /* g p x^(p-1) */
  if (p == 1) return g;
  return MUL(g, AFFINE(p == 2 ? x : POWS(x, p - 1), p, 0));
}

static int bw_unary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  int fused = bw_activation_fused(n, g, gin, create_graph);
  if (fused != 0) return fused < 0 ? -1 : 0;
  M1D_RULE_SCOPE(S);
  m1d_Tensor *x = n->saved[0], *y = n->out ? KEEP(m1d_node_output(n)) : NULL;
  double p0 = n->p[0], p1 = n->p[1];
  (void)x; (void)p1;
  if (S->failed) return m1d_rule_close(S);
  switch ((UnaryOp)n->ip[0]) {
#define GRAD_CASE(name, api, int64, saves, f32, f64, grad) \
    case U_##name: gin[0] = m1d_rule_result(S, grad); break;
    M1D_UNARY_OPS(GRAD_CASE)
#undef GRAD_CASE
    default: break;
  }
  return m1d_rule_close(S);
}

/* the public ops: generated for PLAIN rows; CUSTOM rows check their parameters */
#define PUBLIC_PLAIN(name) m1d_Tensor *m1d_##name (m1d_Tensor *x) { return unary(U_##name, x, 0, 0); }
#define PUBLIC_CUSTOM(name)
#define PUBLIC(name, api, ...) PUBLIC_##api(name)
M1D_UNARY_OPS(PUBLIC)
#undef PUBLIC

/* NaN parameters are errors: a NaN alpha, threshold or clamp bound gave NaN outputs, or
   no bound at all, without a word */
m1d_Tensor *m1d_elu (m1d_Tensor *x, double alpha) {
  if (!isfinite(alpha)) return m1d_fail("elu: alpha must be a finite number, got %g", alpha);
  return unary(U_elu, x, alpha, 0);
}
m1d_Tensor *m1d_softplus (m1d_Tensor *x, double beta, double threshold) {
  if (!(beta > 0) || !isfinite(beta)) return m1d_fail("softplus: beta must be positive, got %g", beta);
  if (isnan(threshold)) return m1d_fail("softplus: threshold is NaN");
  return unary(U_softplus, x, beta, threshold);
}
m1d_Tensor *m1d_affine (m1d_Tensor *x, double a, double b) { return unary(U_affine, x, a, b); }
m1d_Tensor *m1d_pow_scalar (m1d_Tensor *x, double p) { return unary(U_pow_scalar, x, p, 0); }
m1d_Tensor *m1d_rpow_scalar (m1d_Tensor *x, double c) { return unary(U_rpow_scalar, x, c, 0); }
m1d_Tensor *m1d_rdiv (m1d_Tensor *x, double c) { return unary(U_rdiv, x, c, 0); }
m1d_Tensor *m1d_clamp (m1d_Tensor *x, double lo, double hi) {
  if (isnan(lo) || isnan(hi)) return m1d_fail("clamp: min %g and max %g must not be NaN", lo, hi);
  if (lo > hi) return m1d_fail("clamp: min %g is greater than max %g", lo, hi);
  return unary(U_clamp, x, lo, hi);
}
m1d_Tensor *m1d_cmp_scalar (m1d_Tensor *x, m1d_Cmp op, double c) {
  return unary(U_CMP, x, c, (double)op);
}

/* ================================================================ binary */

#define AS_ENUM(name, ...) B_##name,
typedef enum { M1D_BINARY_OPS(AS_ENUM) B_CMP } BinaryOp;
#undef AS_ENUM
#define AS_NAME(name, ...) #name,
static const char *const binary_names[] = {M1D_BINARY_OPS(AS_NAME) "compare"};
#undef AS_NAME

/* int64 arithmetic wraps around on overflow, as NumPy's does (signed overflow is undefined
   in C); division truncates, INT64_MIN / -1 wraps, and binary_raw rejects a zero divisor
   before anything runs (it raised SIGFPE and killed the process). */
static int64_t wrap_add (int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_sub (int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t wrap_mul (int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static int64_t idiv (int64_t a, int64_t b) { return b == -1 ? wrap_sub(0, a) : a / b; }

static int64_t ipow (int64_t a, int64_t b) {
  uint64_t r = 1, x = (uint64_t)a;
  if (b < 0) return 0;
  while (b) { if (b & 1) r *= x; x *= x; b >>= 1; }
  return (int64_t)r;
}

/* One loop per op, the row's formula inlined; SA_, SB_ the strides, constants in the
   common cases (1 or 0), so the compiler can vectorise. */
#define BIN_CASE_float(name, i64, f32, ...) \
  case B_##name: for (i = 0; i < n; i++) { float A = a[i * SA_], B = b[i * SB_]; o[i] = (f32); } break;
#define BIN_CASE_double(name, i64, f32, f64, ...) \
  case B_##name: for (i = 0; i < n; i++) { double A = a[i * SA_], B = b[i * SB_]; o[i] = (f64); } break;
#define BIN_LOOPS(T, SA, SB)                                                             \
  {                                                                                    \
    const int64_t SA_ = (SA), SB_ = (SB);                                              \
    switch (op) {                                                                      \
      M1D_BINARY_OPS(BIN_CASE_##T)                                                     \
      case B_CMP: for (i = 0; i < n; i++) o[i] = (T)cmp_holds(cmp, a[i * SA_], b[i * SB_]); break; \
    }                                                                                  \
  }

/* rows of n elements: row r reads a + r*ra, b + r*rb and writes o + r*n.  Two dims per call:
   a gradient [100,25,5] plus a bias gradient expanded from [1,25,1] made a call per row of
   5, 7400 calls a CNN meta-step, when the loop was over the last dim alone. */
#define BIN_KERNEL(NAME, T)                                                               \
  KERNEL static void NAME (BinaryOp op, m1d_Cmp cmp, int64_t rows, int64_t n, const T *a,  \
                           int64_t sa, int64_t ra, const T *b, int64_t sb, int64_t rb, T *o) { \
    for (int64_t r = 0; r < rows; r++, a += ra, b += rb, o += n) {                       \
      int64_t i;                                                                         \
      if (sa == 1 && sb == 1) BIN_LOOPS(T, 1, 1)                                         \
      else if (sa == 1 && sb == 0) BIN_LOOPS(T, 1, 0)                                    \
      else if (sa == 0 && sb == 1) BIN_LOOPS(T, 0, 1)                                    \
      else BIN_LOOPS(T, sa, sb)                                                          \
    }                                                                                    \
  }

BIN_KERNEL(bin_f32, float)
BIN_KERNEL(bin_f64, double)

static void bin_i64 (BinaryOp op, m1d_Cmp cmp, int64_t rows, int64_t n, const int64_t *a, int64_t sa,
                     int64_t ra, const int64_t *b, int64_t sb, int64_t rb, int64_t *o) {
  for (int64_t r = 0; r < rows; r++, a += ra, b += rb, o += n)
  for (int64_t i = 0; i < n; i++) {
    int64_t A = a[i * sa], B = b[i * sb];
    switch (op) {
#define BIN_CASE_I64(name, i64, ...) case B_##name: o[i] = (i64); break;
      M1D_BINARY_OPS(BIN_CASE_I64)
#undef BIN_CASE_I64
      case B_CMP: o[i] = (int64_t)cmp_holds(cmp, A, B); break;
    }
  }
}

static int has_zero_i64 (const m1d_Tensor *t) {
  m1d_Iter it;
  int64_t n = m1d_numel(t);
  const int64_t *p = t->storage->data;
  m1d_iter_init(&it, t->ndim, t->shape, t, NULL, NULL);
  for (int64_t i = 0; i < n; i++, m1d_iter_next(&it)) if (p[it.o0] == 0) return 1;
  return 0;
}

/* strides of t viewed under the broadcast shape (0 where broadcast) */
static void bcast_strides (const m1d_Tensor *t, int ndim, const int64_t *shape, int64_t *st) {
  for (int d = 0; d < ndim; d++) {
    int td = d - (ndim - t->ndim);
    st[d] = (td >= 0 && t->shape[td] == shape[d] && shape[d] != 1) ? t->stride[td] : 0;
  }
}

/* out = a op b over the broadcast shape (out contiguous, of that shape; a and b of its
   dtype).  out may be a itself (an in-place accumulation): every kernel reads element i
   of a before it writes element i of out. */
static void binary_loop (BinaryOp op, m1d_Cmp cmp, m1d_Tensor *ac, m1d_Tensor *bc, m1d_Tensor *out,
                         int ndim, const int64_t *shape) {
  m1d_DType dt = out->dtype;
  int64_t sa[M1D_MAXDIM], sb[M1D_MAXDIM];
  bcast_strides(ac, ndim, shape, sa);
  bcast_strides(bc, ndim, shape, sb);
  /* collapse: one inner run over the last dim, rows over the one before, outer dims walked
     with an index */
  int64_t inner = ndim ? shape[ndim - 1] : 1, isa = ndim ? sa[ndim - 1] : 0,
          isb = ndim ? sb[ndim - 1] : 0;
  int64_t rows = ndim >= 2 ? shape[ndim - 2] : 1, ra = ndim >= 2 ? sa[ndim - 2] : 0,
          rb = ndim >= 2 ? sb[ndim - 2] : 0;
  int nouter = ndim - 2;                        /* dims walked by the index */
  /* fully flat when both are contiguous with the output's shape */
  if (m1d_is_contiguous(ac) && m1d_is_contiguous(bc) && m1d_numel(ac) == m1d_numel(out) &&
      m1d_numel(bc) == m1d_numel(out)) {
    inner = m1d_numel(out); isa = isb = 1; rows = 1; nouter = 0;
  } else if (m1d_is_contiguous(ac) && m1d_numel(ac) == m1d_numel(out) && m1d_numel(bc) == 1) {
    inner = m1d_numel(out); isa = 1; isb = 0; rows = 1; nouter = 0;
  } else if (m1d_is_contiguous(bc) && m1d_numel(bc) == m1d_numel(out) && m1d_numel(ac) == 1) {
    inner = m1d_numel(out); isa = 0; isb = 1; rows = 1; nouter = 0;
  }
  int64_t outer = m1d_numel(out) / (inner * rows);
  int64_t idx[M1D_MAXDIM] = {0}, oa = ac->offset, ob = bc->offset;
  size_t es = m1d_dtype_size(dt);
  char *pa = ac->storage->data, *pb = bc->storage->data, *po = m1d_data(out);
  for (int64_t r = 0; r < outer; r++) {
    void *ap = pa + oa * es, *bp = pb + ob * es, *op_ = po + r * rows * inner * es;
    if (dt == M1D_F32) bin_f32(op, cmp, rows, inner, ap, isa, ra, bp, isb, rb, op_);
    else if (dt == M1D_F64) bin_f64(op, cmp, rows, inner, ap, isa, ra, bp, isb, rb, op_);
    else bin_i64(op, cmp, rows, inner, ap, isa, ra, bp, isb, rb, op_);
    for (int d = nouter - 1; d >= 0; d--) {     /* advance the outer index */
      if (++idx[d] < shape[d]) { oa += sa[d]; ob += sb[d]; break; }
      idx[d] = 0;
      oa -= sa[d] * (shape[d] - 1);
      ob -= sb[d] * (shape[d] - 1);
    }
  }
}

static m1d_Tensor *binary_raw (BinaryOp op, m1d_Cmp cmp, m1d_Tensor *a, m1d_Tensor *b) {
  int ndim;
  int64_t shape[M1D_MAXDIM];
  if (m1d_broadcast_shape(binary_names[op], a, b, &ndim, shape) < 0) return NULL;
  m1d_DType dt = m1d_promote(a->dtype, b->dtype);
  if (dt == M1D_I64 && op == B_div && has_zero_i64(b))
    return m1d_fail("div: integer division by zero (int64 %s by int64 %s)", m1d_shapestr(a).s,
                    m1d_shapestr(b).s);
  m1d_Tensor *ac = a, *bc = b;
  if (a->dtype != dt && (ac = m1d_cast_raw(a, dt)) == NULL) return NULL;
  if (b->dtype != dt && (bc = m1d_cast_raw(b, dt)) == NULL) {
    if (ac != a) m1d_decref(ac);
    return NULL;
  }
  m1d_Tensor *out = m1d_empty(dt, ndim, shape);
  if (out != NULL && m1d_numel(out) > 0) binary_loop(op, cmp, ac, bc, out, ndim, shape);
  if (ac != a) m1d_decref(ac);
  if (bc != b) m1d_decref(bc);
  return out;
}

/* acc += g, in place, for the backward engine's sums of gradients when nothing records
   (see accumulate in autograd.c): acc a float tensor that nobody else holds (its handle
   and its storage have one reference each) whose elements fill its storage in some order
   of its dims (contiguous, or transposed: the gradient of a transposed operand is), g of
   its dtype, broadcast to its shape and read in acc's order with unit or zero stride.  Returns 1 if it added, 0 if these conditions do not
   hold (the caller adds out of place).  The same bits as m1d_add (the
   same kernel, elementwise), one fresh tensor fewer: a meta-learning step's outer backward
   sums about a hundred [100,100] gradients. */
int m1d_accumulate_into (m1d_Tensor *acc, m1d_Tensor *g) {
  int nd = acc->ndim;
  if (acc->refs != 1 || acc->storage->refs != 1 || acc->grad_fn || acc->requires_grad ||
      acc->dtype == M1D_I64 || g->dtype != acc->dtype || m1d_numel(acc) == 0 || g->ndim > nd)
    return 0;
  /* both viewed in acc's memory order: dims sorted by acc's stride, largest first */
  m1d_Tensor A = *acc, G = *g;
  int perm[M1D_MAXDIM];
  for (int d = 0; d < nd; d++) perm[d] = d;
  for (int i = 1; i < nd; i++)                  /* insertion sort: a few dims */
    for (int j = i; j > 0 && acc->stride[perm[j - 1]] < acc->stride[perm[j]]; j--) {
      int t = perm[j]; perm[j] = perm[j - 1]; perm[j - 1] = t;
    }
  for (int d = 0; d < nd; d++) {
    int s = perm[d], gd = s - (nd - g->ndim);
    int64_t n = acc->shape[s];
    if (gd >= 0 && g->shape[gd] != n && g->shape[gd] != 1) return 0;   /* does not broadcast */
    A.shape[d] = n; A.stride[d] = acc->stride[s];
    G.shape[d] = n; G.stride[d] = (gd >= 0 && g->shape[gd] == n && n != 1) ? g->stride[gd] : 0;
  }
  G.ndim = nd;
  if (!m1d_is_contiguous(&A)) return 0;        /* a strided or expanded view: not dense */
  /* g read with a stride in the inner loop (a transposed g into a row-major acc) is a
     scalar loop: adding out of place, in the output's order, was no slower */
  int last = nd - 1;
  while (last > 0 && A.shape[last] == 1) last--;
  if (nd > 0 && G.stride[last] != 0 && G.stride[last] != 1) return 0;
  binary_loop(B_add, M1D_EQ, &A, &G, &A, nd, A.shape);
  return 1;
}

/* The gradient of mul's one-element factor (a learning rate times a gradient, say): the
   total of g * other in one pass, without the product's temporary.  First order only (under
   create_graph, mul then sum record their nodes); NULL with no error where the fast path
   does not apply (broadcast other operand, mixed dtypes, non-contiguous data).  Same bits
   as mul then sum_to: the same rounded products in the same 8 running sums. */
static m1d_Tensor *scalar_factor_grad (m1d_Tensor *g, m1d_Tensor *other, const m1d_Edge *e) {
  int64_t n = m1d_numel(g);
  int64_t en = 1;
  for (int d = 0; d < e->ndim; d++) en *= e->shape[d];
  if (en != 1 || n < 2 || g->dtype != e->dtype || other->dtype != g->dtype || m1d_numel(other) != n ||
      !m1d_is_contiguous(g) || !m1d_is_contiguous(other))
    return NULL;
  m1d_Tensor *r = m1d_empty(e->dtype, e->ndim, e->shape);
  if (r == NULL) return NULL;
  m1d_fill(r, g->dtype == M1D_F32 ? m1d_dot_f32(m1d_data(g), m1d_data(other), n)
                                  : m1d_dot_f64(m1d_data(g), m1d_data(other), n));
  return r;
}

/* mul's gradient for input i: g times the other operand, summed to i's shape; for a
   one-element factor without a graph to record, the total in one pass */
static m1d_Tensor *mul_grad (m1d_RuleScope *S, m1d_Node *n, m1d_Tensor *g, m1d_Tensor *other, int i,
                             int create_graph) {
  m1d_Tensor *r;
  if (!create_graph && g->dtype != M1D_I64 && (r = scalar_factor_grad(g, other, &n->edges[i])) != NULL)
    return KEEP(r);
  return FIT(MUL(g, other), i);
}

/* pow's gradient in its base, g b a^(b-1); b a^(b-1) is 0 * Inf = NaN at a = 0, b = 0,
   where the derivative is 0 (as torch) */
static m1d_Tensor *pow_grad_base (m1d_RuleScope *S, m1d_Node *n, m1d_Tensor *g, m1d_Tensor *a, m1d_Tensor *b) {
  m1d_Tensor *d = MUL(POW(a, AFFINE(b, 1, -1)), b);
  m1d_Tensor *safe = WHERE(CMPS(b, M1D_NE, 0), d, d ? SCALAR(d->dtype, 0) : NULL);
  return FIT(MUL(g, safe), 0);
}

/* and in its exponent, g y log(a); y log(a) is 0 * -Inf = NaN at a = 0, b > 0, where the
   derivative is 0 (as torch) */
static m1d_Tensor *pow_grad_exponent (m1d_RuleScope *S, m1d_Node *n, m1d_Tensor *g, m1d_Tensor *a,
                                      m1d_Tensor *b, m1d_Tensor *y) {
  m1d_Tensor *d = MUL(g, MUL(y, LOG(a)));
  m1d_Tensor *keep = ADD(CMPS(a, M1D_NE, 0), CMPS(b, M1D_LT, 0));
  return FIT(WHERE(keep, d, d ? SCALAR(d->dtype, 0) : NULL), 1);
}

/* maximum's and minimum's: the gradient goes to the chosen side (a where a c b holds
   strictly), half to each on ties, as torch: a's share is ((a c= b) + (a c b)) / 2 */
static m1d_Tensor *chosen_grad (m1d_RuleScope *S, m1d_Node *n, m1d_Tensor *g, m1d_Tensor *a, m1d_Tensor *b,
                                m1d_Cmp c_or_equal, m1d_Cmp c, int i) {
  m1d_Tensor *share = AFFINE(ADD(CMP(a, b, c_or_equal), CMP(a, b, c)), 0.5, 0);
  return FIT(MUL(g, i == 0 ? share : AFFINE(share, -1, 1)), i);
}

static int bw_binary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  M1D_RULE_SCOPE(S);
  m1d_Tensor *a = n->saved[0], *b = n->saved[1], *y = n->out ? KEEP(m1d_node_output(n)) : NULL;
  int na = n->edges[0].needs, nb = n->edges[1].needs;
  (void)a; (void)b; (void)y;
  if (S->failed) return m1d_rule_close(S);
  switch ((BinaryOp)n->ip[0]) {
#define GRAD_CASE(name, i64, f32, f64, save_a, save_b, save_out, grad_a, grad_b, ...) \
    case B_##name:                                                                   \
      if (na) gin[0] = m1d_rule_result(S, grad_a);                                   \
      if (nb) gin[1] = m1d_rule_result(S, grad_b);                                   \
      break;
    M1D_BINARY_OPS(GRAD_CASE)
#undef GRAD_CASE
    default: break;
  }
  return m1d_rule_close(S);
}

/* What the rule reads.  mul reads a only for b's gradient and b only for a's: a
   create_graph backward multiplies gradients by constants (relu's mask, a learning rate
   that needs no gradient), and saving the gradient too kept a tensor per such op alive in
   an unrolled graph for nothing.  div reads a only for b's gradient. */
enum { SAVE_NEVER, SAVE_ALWAYS, SAVE_IF_NA, SAVE_IF_NB };
static const struct { unsigned char a, b, out; } binary_saves[] = {
#define AS_SAVES(name, i64, f32, f64, save_a, save_b, save_out, ...) {SAVE_##save_a, SAVE_##save_b, save_out},
  M1D_BINARY_OPS(AS_SAVES)
#undef AS_SAVES
  {SAVE_NEVER, SAVE_NEVER, 0}
};

static int wanted_saved (int when, int na, int nb) {
  return when == SAVE_ALWAYS || (when == SAVE_IF_NA && na) || (when == SAVE_IF_NB && nb);
}

static m1d_Tensor *binary (BinaryOp op, m1d_Tensor *a, m1d_Tensor *b) {
  m1d_Tensor *out = binary_raw(op, M1D_EQ, a, b);
  m1d_Tensor *in[2] = {a, b};
  if (out == NULL || !m1d_needs_grad(2, in)) return out;
  m1d_Node *node = m1d_record(binary_names[op], bw_binary, out, 2, in);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = op;
  int na = node->edges[0].needs, nb = node->edges[1].needs, fail = 0;
  if (wanted_saved(binary_saves[op].a, na, nb)) fail |= m1d_node_save(node, 0, a);
  if (wanted_saved(binary_saves[op].b, na, nb)) fail |= m1d_node_save(node, 1, b);
  if (binary_saves[op].out) fail |= m1d_node_save_output(node, out);
  if (fail) { m1d_decref(out); return NULL; }
  return out;
}

#define PUBLIC(name, ...) \
  m1d_Tensor *m1d_##name (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_##name, a, b); }
M1D_BINARY_OPS(PUBLIC)
#undef PUBLIC
m1d_Tensor *m1d_cmp (m1d_Tensor *a, m1d_Tensor *b, m1d_Cmp op) {
  return binary_raw(B_CMP, op, a, b);
}

/* where(mask, a, b): a where mask != 0, else b.  The forward selects (mask*a +
   (1-mask)*b would turn an Inf or NaN in the branch not taken into NaN); the
   backward multiplies by the saved 0/1 mask, which keeps it differentiable. */
static int bw_where (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  M1D_RULE_SCOPE(S);
  m1d_Tensor *m = n->saved[0];
  if (n->edges[1].needs) gin[1] = m1d_rule_result(S, FIT(MUL(g, m), 1));
  if (n->edges[2].needs) gin[2] = m1d_rule_result(S, FIT(MUL(g, AFFINE(m, -1, 1)), 2));
  return m1d_rule_close(S);
}

m1d_Tensor *m1d_where (m1d_Tensor *mask, m1d_Tensor *a, m1d_Tensor *b) {
  int nab, ndim;
  int64_t sab[M1D_MAXDIM], shape[M1D_MAXDIM];
  if (m1d_broadcast_shape("where", a, b, &nab, sab) < 0) return NULL;
  m1d_Tensor *ab = m1d_view_expand(a, nab, sab);     /* a header with the a-b shape */
  if (ab == NULL) return NULL;
  int rc = m1d_broadcast_shape("where", mask, ab, &ndim, shape);
  m1d_decref(ab);
  if (rc < 0) return NULL;
  m1d_DType dt = m1d_promote(a->dtype, b->dtype);
  m1d_Tensor *out = NULL, *m = NULL, *mc = NULL;
  if ((out = m1d_empty(dt, ndim, shape)) == NULL || m1d_copy_into(out, b) < 0 ||
      (m = m1d_cmp_scalar(mask, M1D_NE, 0)) == NULL || (mc = m1d_cast_raw(m, dt)) == NULL)
    goto fail;
  m1d_Iter it;
  int64_t cnt = m1d_numel(out);
  size_t es = m1d_dtype_size(dt);
  m1d_iter_init(&it, ndim, shape, out, mask, a);
  for (int64_t i = 0; i < cnt; i++, m1d_iter_next(&it)) {
    if (m1d_load(mask->storage->data, mask->dtype, it.o1) == 0) continue;
    if (a->dtype == dt)
      memcpy((char *)out->storage->data + (size_t)it.o0 * es, (char *)a->storage->data + (size_t)it.o2 * es, es);
    else
      m1d_store(out->storage->data, dt, it.o0, m1d_load(a->storage->data, a->dtype, it.o2));
  }
  m1d_Tensor *in[3] = {NULL, a, b};         /* the mask gets no gradient: no edge */
  if (m1d_needs_grad(3, in)) {
    m1d_Node *node = m1d_record("where", bw_where, out, 3, in);
    if (node == NULL) goto fail;
    m1d_node_save(node, 0, mc);
  }
  m1d_decref(m); m1d_decref(mc);
  return out;
fail:
  m1d_decref(out); m1d_decref(m); m1d_decref(mc);
  return NULL;
}
