/*
** ops_elementwise.c — unary and binary elementwise ops with broadcasting,
** and their backward rules (written with the same ops, so differentiable).
**
** Kernels: unary ops run over a contiguous copy of the input; binary ops walk
** the broadcast shape with an inner loop over the last dimension (strides 0 or
** 1 in the common cases, so the compiler can vectorise).  float32 exp, sigmoid
** and tanh use the vectorisable fast_expf/fast_tanhf of fastmath.h (1.4 and 2.3 ulp); other
** float32 math uses the float libm functions, float64 the double ones.
*/
/* GCC vectorises at -O2 only loops it can prove need no epilogue; these elementwise
   loops pay off with the dynamic cost model (no reassociation: results unchanged).
   no-trapping-math lets it turn the clamps in fast_expf into vector selects: m1d
   never enables floating-point traps, and NaN/Inf results are unchanged. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif
#include <math.h>
#include <string.h>
#include "ops_impl.h"
#include "fastmath.h"

/* The float kernels are also built for AVX-512 and AVX2 (16 or 8 floats a vector instead
   of SSE2's 4), picked at load time by the CPU (GCC's target_clones).  Elementwise IEEE arithmetic,
   no FMA contraction (-ffp-contract=off) and the same inlined fast_expf/fast_tanhf:
   every build gives the same bits.  In a meta-learning inner loop the elementwise ops
   on [50,50] tensors were a quarter of the time, in SSE2's 4-wide loops. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KERNEL
#endif

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

typedef enum {
  U_NEG, U_EXP, U_LOG, U_TANH, U_SIGMOID, U_RELU, U_SQRT, U_ABS, U_SIGN, U_ERF,
  U_SILU, U_GELU, U_ELU, U_SOFTPLUS, U_AFFINE, U_POW, U_RPOW, U_RDIV, U_CLAMP,
  U_CMP
} UnaryOp;

static const char *const unary_names[] = {
  "neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sign", "erf",
  "silu", "gelu", "elu", "softplus", "affine", "pow", "rpow", "rdiv", "clamp", "compare"
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

#define SIGMOIDF(v) fast_sigmoidf(v)
#define SIGMOIDD(v) (1.0 / (1.0 + exp(-(v))))

/* One loop per op and dtype: T the element type, F a suffix-free libm name mapper. */
#define UNARY_LOOPS(T, EXP, LOG, TANH, SQRT, FABS, ERF, POW, SIGM, ONE, LOG1P, EXPM1)                 \
  switch (op) {                                                                       \
    case U_NEG: { for (i = 0; i < n; i++) o[i] = -x[i]; } break;                          \
    case U_EXP: { for (i = 0; i < n; i++) o[i] = EXP(x[i]); } break;                      \
    case U_LOG: { for (i = 0; i < n; i++) o[i] = LOG(x[i]); } break;                      \
    case U_TANH: { for (i = 0; i < n; i++) o[i] = TANH(x[i]); } break;                    \
    case U_SIGMOID: { for (i = 0; i < n; i++) o[i] = SIGM(x[i]); } break;                 \
    case U_RELU: { for (i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : (T)0; } break;        \
    case U_SQRT: { for (i = 0; i < n; i++) o[i] = SQRT(x[i]); } break;                    \
    case U_ABS: { for (i = 0; i < n; i++) o[i] = FABS(x[i]); } break;                     \
    case U_SIGN: { for (i = 0; i < n; i++) o[i] = (T)((x[i] > 0) - (x[i] < 0)); } break;  \
    case U_ERF: { for (i = 0; i < n; i++) o[i] = ERF(x[i]); } break;                      \
    case U_SILU: { for (i = 0; i < n; i++) o[i] = x[i] * SIGM(x[i]); } break;             \
    case U_GELU: { for (i = 0; i < n; i++) \
        o[i] = (T)0.5 * x[i] * (ONE + ERF(x[i] * (T)0.70710678118654752440)); } break;   \
    case U_ELU: { for (i = 0; i < n; i++) \
        o[i] = x[i] > 0 ? x[i] : (T)p0 * EXPM1(x[i]); } break;                    \
    case U_SOFTPLUS: { for (i = 0; i < n; i++) \
        o[i] = x[i] * (T)p0 > (T)p1 ? x[i] : LOG1P(EXP(x[i] * (T)p0)) / (T)p0; } break; \
    case U_AFFINE: { for (i = 0; i < n; i++) o[i] = (T)p0 * x[i] + (T)p1; } break;        \
    case U_POW:                                                                       \
      if (p0 == 2) { for (i = 0; i < n; i++) o[i] = x[i] * x[i]; }                    \
      else { for (i = 0; i < n; i++) o[i] = POW(x[i], (T)p0); } break;                \
    case U_RPOW: { for (i = 0; i < n; i++) o[i] = POW((T)p0, x[i]); } break;              \
    case U_RDIV: { for (i = 0; i < n; i++) o[i] = (T)p0 / x[i]; } break;                  \
    case U_CLAMP: { for (i = 0; i < n; i++) \
        o[i] = x[i] < (T)p0 ? (T)p0 : (x[i] > (T)p1 ? (T)p1 : x[i]); } break;           \
    case U_CMP: {                         /* one loop per comparison, so it vectorises */ \
      T c_ = (T)p0;                                                                   \
      if ((double)c_ != p0) {                                                         \
        for (i = 0; i < n; i++) o[i] = (T)cmp_holds((m1d_Cmp)(int)p1, x[i], p0);       \
        break;                                                                        \
      }                                                                               \
      switch ((m1d_Cmp)(int)p1) {                                                     \
        case M1D_EQ: for (i = 0; i < n; i++) o[i] = (T)(x[i] == c_); break;            \
        case M1D_NE: for (i = 0; i < n; i++) o[i] = (T)(x[i] != c_); break;            \
        case M1D_LT: for (i = 0; i < n; i++) o[i] = (T)(x[i] < c_); break;             \
        case M1D_LE: for (i = 0; i < n; i++) o[i] = (T)(x[i] <= c_); break;            \
        case M1D_GT: for (i = 0; i < n; i++) o[i] = (T)(x[i] > c_); break;             \
        default: for (i = 0; i < n; i++) o[i] = (T)(x[i] >= c_); break;                \
      } } break;                                                                      \
  }

KERNEL static void unary_f32 (UnaryOp op, int64_t n, const float *x, float *o, double p0, double p1) {
  int64_t i;
  UNARY_LOOPS(float, fast_expf, logf, fast_tanhf, sqrtf, fabsf, erff, powf, SIGMOIDF, 1.0f, log1pf, expm1f)
}

KERNEL static void unary_f64 (UnaryOp op, int64_t n, const double *x, double *o, double p0, double p1) {
  int64_t i;
  UNARY_LOOPS(double, exp, log, tanh, sqrt, fabs, erf, pow, SIGMOIDD, 1.0, log1p, expm1)
}

static m1d_Tensor *unary_raw (UnaryOp op, m1d_Tensor *xin, double p0, double p1) {
  if (xin->dtype == M1D_I64 && op != U_NEG && op != U_ABS && op != U_SIGN && op != U_CMP &&
      op != U_AFFINE && op != U_CLAMP)
    return m1d_fail("%s: expected a float32 or float64 tensor, got int64 %s "
                    "(convert with :float() or :double())", unary_names[op], m1d_shapestr(xin).s);
  m1d_Tensor *xc = m1d_contiguous_raw(xin);
  if (xc == NULL) return NULL;
  m1d_Tensor *out = m1d_empty(xc->dtype, xc->ndim, xc->shape);
  if (out == NULL) { m1d_decref(xc); return NULL; }
  int64_t n = m1d_numel(xc), i;
  if (xc->dtype == M1D_F32) unary_f32(op, n, m1d_data(xc), m1d_data(out), p0, p1);
  else if (xc->dtype == M1D_F64) unary_f64(op, n, m1d_data(xc), m1d_data(out), p0, p1);
  else {
    const int64_t *x = m1d_data(xc);
    int64_t *o = m1d_data(out);
    for (i = 0; i < n; i++) {
      double v = (double)x[i], r;
      switch (op) {
        case U_NEG: r = -v; break;
        case U_ABS: r = fabs(v); break;
        case U_SIGN: r = (v > 0) - (v < 0); break;
        case U_AFFINE: r = p0 * v + p1; break;
        case U_CLAMP: r = v < p0 ? p0 : (v > p1 ? p1 : v); break;
        default: r = cmp_holds((m1d_Cmp)(int)p1, v, p0); break;
      }
      o[i] = m1d_d2i(r);
    }
  }
  m1d_decref(xc);
  if (m1d_check_anomaly(unary_names[op], out) < 0) { m1d_decref(out); return NULL; }
  return out;
}

/* The backward rules.  `x` = saved input, `y` = the output (re-attached). */
static int bw_unary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph);

static m1d_Tensor *unary (UnaryOp op, m1d_Tensor *x, double p0, double p1) {
  m1d_Tensor *out = unary_raw(op, x, p0, p1);
  if (out == NULL || op == U_SIGN || op == U_CMP || !m1d_needs_grad(1, &x)) return out;
  m1d_Node *node = m1d_record(unary_names[op], bw_unary, out, 1, &x);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = op;
  node->p[0] = p0;
  node->p[1] = p1;
  /* relu keeps its output, not its input: y > 0 exactly where x > 0, and the output is
     what the next layer keeps anyway (linear saves its input), so in a graph that is
     kept (create_graph, retain_graph) the pre-activation can be freed. */
  int uses_output = op == U_EXP || op == U_TANH || op == U_SIGMOID || op == U_SQRT ||
                    op == U_RPOW || op == U_RELU;
  /* neg and affine's rules read only the upstream gradient: keeping x kept a tensor per
     such op alive in every recorded backward (tanh's, sigmoid's, div's use affine) */
  int uses_nothing = op == U_NEG || op == U_AFFINE;
  if (!uses_nothing && (uses_output ? m1d_node_save_output(node, out) : m1d_node_save(node, 0, x))) {
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
    case U_RELU: for (int64_t i = 0; i < n; i++) o[i] = g[i] * (T)(v[i] > 0); break;      \
    case U_TANH: for (int64_t i = 0; i < n; i++) o[i] = g[i] * (-(v[i] * v[i]) + (T)1); break; \
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
  if (create_graph || (op != U_RELU && op != U_TANH && op != U_SIGMOID)) return 0;
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
  if (g->dtype == M1D_F32) act_grad_f32(U_RELU, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  else act_grad_f64(U_RELU, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
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
      if (op == U_TANH) {                                                                 \
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

/* saved: 0 y, 1 g (when y needs a gradient) */
static int bw_act_backward (m1d_Node *n, m1d_Tensor *H, m1d_Tensor **gin, int create_graph) {
  UnaryOp op = (UnaryOp)n->ip[0];
  m1d_Tensor *y = n->saved[0], *g = n->saved[1], *t1 = NULL, *t2 = NULL;
  int ng = n->edges[0].needs, ny = n->edges[1].needs;
  if (!create_graph && H->dtype == y->dtype && m1d_same_shape(H, y) && m1d_is_contiguous(H) &&
      m1d_is_contiguous(y) && (!ny || (g->dtype == y->dtype && m1d_is_contiguous(g)))) {
    if (ng) TRY(gin[0], m1d_empty(y->dtype, y->ndim, y->shape));
    if (ny) TRY(gin[1], m1d_empty(y->dtype, y->ndim, y->shape));
    int64_t cnt = m1d_numel(y);
    void *gg = ng ? m1d_data(gin[0]) : NULL, *gy = ny ? m1d_data(gin[1]) : NULL;
    if (y->dtype == M1D_F32) act_bw2_float(op, cnt, m1d_data(H), ny ? m1d_data(g) : NULL, m1d_data(y), gg, gy);
    else act_bw2_double(op, cnt, m1d_data(H), ny ? m1d_data(g) : NULL, m1d_data(y), gg, gy);
    return 0;
  }
  if (ng) TRY(gin[0], act_backward(op, H, y));
  if (ny) {
    TRY(t1, m1d_mul(H, g));
    TRY(t2, op == U_TANH ? m1d_mul(t1, y) : m1d_affine(y, -2, 1));
    if (op == U_TANH) TRY(gin[1], m1d_affine(t2, -2, 0));
    else TRY(gin[1], m1d_mul(t1, t2));
  }
  m1d_decref(t1); m1d_decref(t2);
  return 0;
fail:
  m1d_decref(t1); m1d_decref(t2);
  for (int i = 0; i < 2; i++) { m1d_decref(gin[i]); gin[i] = NULL; }
  return -1;
}

static m1d_Tensor *act_backward (UnaryOp op, m1d_Tensor *g, m1d_Tensor *y) {
  m1d_Tensor *a = NULL, *b = NULL, *r = NULL;
  if (g->dtype != y->dtype || g->dtype == M1D_I64 || !m1d_same_shape(g, y) ||
      !m1d_is_contiguous(g) || !m1d_is_contiguous(y)) {        /* unusual: composed */
    if (op == U_TANH) { if ((a = m1d_mul(y, y)) && (b = m1d_affine(a, -1, 1))) r = m1d_mul(g, b); }
    else if ((a = m1d_affine(y, -1, 1)) && (b = m1d_mul(y, a))) r = m1d_mul(g, b);
    m1d_decref(a); m1d_decref(b);
    return r;
  }
  if ((r = m1d_empty(g->dtype, g->ndim, g->shape)) == NULL) return NULL;
  if (g->dtype == M1D_F32) act_grad_f32(op, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  else act_grad_f64(op, m1d_numel(g), m1d_data(g), m1d_data(y), m1d_data(r));
  m1d_Tensor *in[2] = {g, y};
  if (!m1d_needs_grad(2, in)) return r;
  m1d_Node *node = m1d_record(op == U_TANH ? "tanh_backward" : "sigmoid_backward", bw_act_backward, r, 2, in);
  if (node == NULL) { m1d_decref(r); return NULL; }
  node->ip[0] = op;
  m1d_node_save(node, 0, y);
  if (node->edges[1].needs) m1d_node_save(node, 1, g);
  return r;
}

static int bw_unary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  int fused = bw_activation_fused(n, g, gin, create_graph);
  if (fused != 0) return fused < 0 ? -1 : 0;
  m1d_Tensor *x = n->saved[0], *y = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL, *r = NULL;
  double p0 = n->p[0], p1 = n->p[1];
  if (n->out) TRY(y, m1d_node_output(n));
  switch ((UnaryOp)n->ip[0]) {
    case U_NEG: TRY(r, m1d_neg(g)); break;
    case U_EXP: TRY(r, m1d_mul(g, y)); break;
    case U_LOG: TRY(r, m1d_div(g, x)); break;
    case U_TANH: case U_SIGMOID:                   /* g (1 - y^2), g y (1 - y) */
      TRY(r, act_backward((UnaryOp)n->ip[0], g, y)); break;
    case U_RELU: TRY(r, relu_backward(g, y)); break;
    case U_SQRT:                                   /* g * 0.5 / y */
      TRY(a, m1d_rdiv(y, 0.5)); TRY(r, m1d_mul(g, a)); break;
    case U_ABS:
      TRY(a, m1d_sign(x)); TRY(r, m1d_mul(g, a)); break;
    case U_ERF:                                    /* g 2/sqrt(pi) exp(-x^2) */
      TRY(a, m1d_mul(x, x)); TRY(b, m1d_affine(a, -1, 0)); TRY(c, m1d_exp(b));
      TRY(d, m1d_affine(c, 1.12837916709551257390, 0)); TRY(r, m1d_mul(g, d)); break;
    case U_SILU: {                                 /* g s (1 + x (1 - s)) */
      m1d_Tensor *s = NULL, *e = NULL;
      TRY(s, m1d_sigmoid(x));
      if ((a = m1d_affine(s, -1, 1)) == NULL || (b = m1d_mul(x, a)) == NULL ||
          (c = m1d_affine(b, 1, 1)) == NULL || (e = m1d_mul(s, c)) == NULL ||
          (r = m1d_mul(g, e)) == NULL) { m1d_decref(s); m1d_decref(e); goto fail; }
      m1d_decref(s); m1d_decref(e);
      break;
    }
    case U_GELU: {                                 /* g (Phi(x) + x phi(x)) */
      m1d_Tensor *e = NULL, *f = NULL, *h = NULL;
      int ok = (a = m1d_affine(x, 0.70710678118654752440, 0)) && (b = m1d_erf(a)) &&
               (c = m1d_affine(b, 0.5, 0.5)) && (d = m1d_mul(x, x)) &&
               (e = m1d_affine(d, -0.5, 0)) && (f = m1d_exp(e)) &&
               (h = m1d_mul(x, f));
      m1d_Tensor *phi = NULL, *sum = NULL;
      ok = ok && (phi = m1d_affine(h, 0.39894228040143267794, 0)) && (sum = m1d_add(c, phi)) &&
           (r = m1d_mul(g, sum));
      m1d_decref(e); m1d_decref(f); m1d_decref(h); m1d_decref(phi); m1d_decref(sum);
      if (!ok) goto fail;
      break;
    }
    case U_ELU: {                                  /* g (m + (1-m) alpha exp(min(x,0))) */
      m1d_Tensor *e = NULL, *f = NULL, *h = NULL, *k = NULL;
      int ok = (a = m1d_cmp_scalar(x, M1D_GT, 0)) && (b = m1d_neg(x)) && (c = m1d_relu(b)) &&
               (d = m1d_neg(c)) && (e = m1d_exp(d)) && (f = m1d_affine(a, -p0, p0)) &&
               (h = m1d_mul(f, e)) && (k = m1d_add(a, h)) && (r = m1d_mul(g, k));
      m1d_decref(e); m1d_decref(f); m1d_decref(h); m1d_decref(k);
      if (!ok) goto fail;
      break;
    }
    case U_SOFTPLUS: {                             /* g (m + (1-m) sigmoid(beta x)) */
      m1d_Tensor *e = NULL, *f = NULL, *h = NULL;
      int ok = (a = m1d_affine(x, p0, 0)) && (b = m1d_cmp_scalar(a, M1D_GT, p1)) &&
               (c = m1d_sigmoid(a)) && (d = m1d_affine(b, -1, 1)) && (e = m1d_mul(c, d)) &&
               (f = m1d_add(b, e)) && (r = m1d_mul(g, f));
      m1d_decref(e); m1d_decref(f); m1d_decref(h);
      if (!ok) goto fail;
      break;
    }
    case U_AFFINE: TRY(r, m1d_affine(g, p0, 0)); break;
    case U_POW:                                    /* g p x^(p-1) */
      if (p0 == 0) { TRY(r, m1d_affine(g, 0, 0)); break; }
      if (p0 == 1) { m1d_incref(g); r = g; break; }
      TRY(a, p0 == 2 ? (m1d_incref(x), x) : m1d_pow_scalar(x, p0 - 1));
      TRY(b, m1d_affine(a, p0, 0)); TRY(r, m1d_mul(g, b)); break;
    case U_RPOW:                                   /* g y log(c) */
      TRY(a, m1d_affine(y, log(p0), 0)); TRY(r, m1d_mul(g, a)); break;
    case U_RDIV:                                   /* g * (-c / x^2) */
      TRY(a, m1d_mul(x, x)); TRY(b, m1d_rdiv(a, -p0)); TRY(r, m1d_mul(g, b)); break;
    case U_CLAMP:                                  /* g where lo <= x <= hi */
      TRY(a, m1d_cmp_scalar(x, M1D_GE, p0)); TRY(b, m1d_cmp_scalar(x, M1D_LE, p1));
      TRY(c, m1d_mul(a, b)); TRY(r, m1d_mul(g, c)); break;
    default: break;
  }
  gin[0] = r;
  m1d_decref(y); m1d_decref(a); m1d_decref(b); m1d_decref(c); m1d_decref(d);
  return 0;
fail:
  m1d_decref(y); m1d_decref(a); m1d_decref(b); m1d_decref(c); m1d_decref(d); m1d_decref(r);
  return -1;
}

m1d_Tensor *m1d_neg (m1d_Tensor *x) { return unary(U_NEG, x, 0, 0); }
m1d_Tensor *m1d_exp (m1d_Tensor *x) { return unary(U_EXP, x, 0, 0); }
m1d_Tensor *m1d_log (m1d_Tensor *x) { return unary(U_LOG, x, 0, 0); }
m1d_Tensor *m1d_tanh (m1d_Tensor *x) { return unary(U_TANH, x, 0, 0); }
m1d_Tensor *m1d_sigmoid (m1d_Tensor *x) { return unary(U_SIGMOID, x, 0, 0); }
m1d_Tensor *m1d_relu (m1d_Tensor *x) { return unary(U_RELU, x, 0, 0); }
m1d_Tensor *m1d_sqrt (m1d_Tensor *x) { return unary(U_SQRT, x, 0, 0); }
m1d_Tensor *m1d_abs (m1d_Tensor *x) { return unary(U_ABS, x, 0, 0); }
m1d_Tensor *m1d_sign (m1d_Tensor *x) { return unary(U_SIGN, x, 0, 0); }
m1d_Tensor *m1d_erf (m1d_Tensor *x) { return unary(U_ERF, x, 0, 0); }
m1d_Tensor *m1d_silu (m1d_Tensor *x) { return unary(U_SILU, x, 0, 0); }
m1d_Tensor *m1d_gelu (m1d_Tensor *x) { return unary(U_GELU, x, 0, 0); }
/* NaN parameters are errors: a NaN alpha, threshold or clamp bound gave NaN outputs, or
   no bound at all, without a word */
m1d_Tensor *m1d_elu (m1d_Tensor *x, double alpha) {
  if (!isfinite(alpha)) return m1d_fail("elu: alpha must be a finite number, got %g", alpha);
  return unary(U_ELU, x, alpha, 0);
}
m1d_Tensor *m1d_softplus (m1d_Tensor *x, double beta, double threshold) {
  if (!(beta > 0) || !isfinite(beta)) return m1d_fail("softplus: beta must be positive, got %g", beta);
  if (isnan(threshold)) return m1d_fail("softplus: threshold is NaN");
  return unary(U_SOFTPLUS, x, beta, threshold);
}
m1d_Tensor *m1d_affine (m1d_Tensor *x, double a, double b) { return unary(U_AFFINE, x, a, b); }
m1d_Tensor *m1d_pow_scalar (m1d_Tensor *x, double p) { return unary(U_POW, x, p, 0); }
m1d_Tensor *m1d_rpow_scalar (m1d_Tensor *x, double c) { return unary(U_RPOW, x, c, 0); }
m1d_Tensor *m1d_rdiv (m1d_Tensor *x, double c) { return unary(U_RDIV, x, c, 0); }
m1d_Tensor *m1d_clamp (m1d_Tensor *x, double lo, double hi) {
  if (isnan(lo) || isnan(hi)) return m1d_fail("clamp: min %g and max %g must not be NaN", lo, hi);
  if (lo > hi) return m1d_fail("clamp: min %g is greater than max %g", lo, hi);
  return unary(U_CLAMP, x, lo, hi);
}
m1d_Tensor *m1d_cmp_scalar (m1d_Tensor *x, m1d_Cmp op, double c) {
  return unary(U_CMP, x, c, (double)op);
}

/* ================================================================ binary */

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_CMP } BinaryOp;
static const char *const binary_names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "compare"};

#define BIN_LOOPS(T, POW, SA, SB)                                                        \
  switch (op) {                                                                        \
    case B_ADD: for (i = 0; i < n; i++) o[i] = a[i * SA] + b[i * SB]; break;            \
    case B_SUB: for (i = 0; i < n; i++) o[i] = a[i * SA] - b[i * SB]; break;            \
    case B_MUL: for (i = 0; i < n; i++) o[i] = a[i * SA] * b[i * SB]; break;            \
    case B_DIV: for (i = 0; i < n; i++) o[i] = a[i * SA] / b[i * SB]; break;            \
    case B_POW: for (i = 0; i < n; i++) o[i] = POW(a[i * SA], b[i * SB]); break;        \
    case B_MAX: for (i = 0; i < n; i++) o[i] = a[i * SA] >= b[i * SB] ? a[i * SA] : b[i * SB]; break; \
    case B_MIN: for (i = 0; i < n; i++) o[i] = a[i * SA] <= b[i * SB] ? a[i * SA] : b[i * SB]; break; \
    case B_CMP: for (i = 0; i < n; i++) o[i] = (T)cmp_holds(cmp, a[i * SA], b[i * SB]); break; \
  }

/* rows of n elements: row r reads a + r*ra, b + r*rb and writes o + r*n.  Two dims per call:
   a gradient [100,25,5] plus a bias gradient expanded from [1,25,1] made a call per row of
   5, 7400 calls a CNN meta-step, when the loop was over the last dim alone. */
#define BIN_KERNEL(NAME, T, POW)                                                          \
  KERNEL static void NAME (BinaryOp op, m1d_Cmp cmp, int64_t rows, int64_t n, const T *a,      \
                           int64_t sa, int64_t ra, const T *b, int64_t sb, int64_t rb, T *o) { \
    for (int64_t r = 0; r < rows; r++, a += ra, b += rb, o += n) {                       \
      int64_t i;                                                                         \
      if (sa == 1 && sb == 1) { BIN_LOOPS(T, POW, 1, 1) }                                \
      else if (sa == 1 && sb == 0) { BIN_LOOPS(T, POW, 1, 0) }                           \
      else if (sa == 0 && sb == 1) { BIN_LOOPS(T, POW, 0, 1) }                           \
      else { BIN_LOOPS(T, POW, sa, sb) }                                                 \
    }                                                                                    \
  }

BIN_KERNEL(bin_f32, float, powf)
BIN_KERNEL(bin_f64, double, pow)

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

static void bin_i64 (BinaryOp op, m1d_Cmp cmp, int64_t rows, int64_t n, const int64_t *a, int64_t sa,
                     int64_t ra, const int64_t *b, int64_t sb, int64_t rb, int64_t *o) {
  for (int64_t r = 0; r < rows; r++, a += ra, b += rb, o += n)
  for (int64_t i = 0; i < n; i++) {
    int64_t x = a[i * sa], y = b[i * sb];
    switch (op) {
      case B_ADD: o[i] = wrap_add(x, y); break;
      case B_SUB: o[i] = wrap_sub(x, y); break;
      case B_MUL: o[i] = wrap_mul(x, y); break;
      case B_DIV: o[i] = idiv(x, y); break;
      case B_POW: o[i] = ipow(x, y); break;
      case B_MAX: o[i] = x >= y ? x : y; break;
      case B_MIN: o[i] = x <= y ? x : y; break;
      case B_CMP: o[i] = (int64_t)cmp_holds(cmp, x, y); break;
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
  if (dt == M1D_I64 && op == B_DIV && has_zero_i64(b))
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
  if (out && m1d_check_anomaly(binary_names[op], out) < 0) { m1d_decref(out); return NULL; }
  return out;
}

/* acc += g, in place, for the backward engine's sums of gradients when nothing records
   (see accumulate in autograd.c): acc a float tensor that nobody else holds (its handle
   and its storage have one reference each) whose elements fill its storage in some order
   of its dims (contiguous, or transposed: the gradient of a transposed operand is), g of
   its dtype, broadcast to its shape and read in acc's order with unit or zero stride.  Returns 1 if it added, 0 if these conditions do not
   hold (the caller adds out of place), -1 on an anomaly.  The same bits as m1d_add (the
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
  binary_loop(B_ADD, M1D_EQ, &A, &G, &A, nd, A.shape);
  return m1d_check_anomaly("add", acc) < 0 ? -1 : 1;
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

static int bw_binary (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *a = n->saved[0], *b = n->saved[1], *y = NULL, *t1 = NULL, *t2 = NULL, *t3 = NULL;
  m1d_Tensor *ga = NULL, *gb = NULL;
  int na = n->edges[0].needs, nb = n->edges[1].needs;
  if (n->out) TRY(y, m1d_node_output(n));
  switch ((BinaryOp)n->ip[0]) {
    case B_ADD:
      if (na) TRY(ga, m1d_grad_fit(g, &n->edges[0]));
      if (nb) TRY(gb, m1d_grad_fit(g, &n->edges[1]));
      break;
    case B_SUB:
      if (na) TRY(ga, m1d_grad_fit(g, &n->edges[0]));
      if (nb) { TRY(t1, m1d_neg(g)); TRY(gb, m1d_grad_fit(t1, &n->edges[1])); }
      break;
    case B_MUL:
      if (na && !(!create_graph && g->dtype != M1D_I64 && (ga = scalar_factor_grad(g, b, &n->edges[0]))))
        { TRY(t1, m1d_mul(g, b)); TRY(ga, m1d_grad_fit(t1, &n->edges[0])); }
      if (nb && !(!create_graph && g->dtype != M1D_I64 && (gb = scalar_factor_grad(g, a, &n->edges[1]))))
        { TRY(t2, m1d_mul(g, a)); TRY(gb, m1d_grad_fit(t2, &n->edges[1])); }
      break;
    case B_DIV:                                   /* ga = g/b, gb = -g a / b^2 */
      if (na) { TRY(t1, m1d_div(g, b)); TRY(ga, m1d_grad_fit(t1, &n->edges[0])); }
      if (nb) {
        TRY(t2, m1d_mul(g, a)); TRY(t3, m1d_mul(b, b)); DROP(t1);
        TRY(t1, m1d_div(t2, t3)); DROP(t2); TRY(t2, m1d_neg(t1));
        TRY(gb, m1d_grad_fit(t2, &n->edges[1]));
      }
      break;
    case B_POW:                                   /* ga = g b a^(b-1), gb = g y log(a) */
      if (na) {
        TRY(t1, m1d_affine(b, 1, -1)); TRY(t2, m1d_pow(a, t1)); TRY(t3, m1d_mul(t2, b));
        DROP(t1); DROP(t2);
        /* b a^(b-1) is 0 * Inf = NaN at a = 0, b = 0, where the derivative is 0 (as torch) */
        TRY(t1, m1d_cmp_scalar(b, M1D_NE, 0)); TRY(t2, m1d_scalar(t3->dtype, 0));
        m1d_Tensor *w = m1d_where(t1, t3, t2);
        DROP(t1); DROP(t2); DROP(t3);
        TRY(t3, w);
        TRY(t1, m1d_mul(g, t3)); TRY(ga, m1d_grad_fit(t1, &n->edges[0]));
        DROP(t1); DROP(t3);
      }
      if (nb) {
        TRY(t1, m1d_log(a)); TRY(t2, m1d_mul(y, t1)); TRY(t3, m1d_mul(g, t2));
        DROP(t1); DROP(t2);
        /* y log(a) is 0 * -Inf = NaN at a = 0, b > 0, where the derivative is 0 (as torch) */
        m1d_Tensor *k1 = NULL, *k2 = NULL, *w = NULL;
        if ((k1 = m1d_cmp_scalar(a, M1D_NE, 0)) && (k2 = m1d_cmp_scalar(b, M1D_LT, 0)) &&
            (t1 = m1d_add(k1, k2)) && (t2 = m1d_scalar(t3->dtype, 0)))
          w = m1d_where(t1, t3, t2);
        m1d_decref(k1); m1d_decref(k2);
        DROP(t3);
        TRY(t3, w);
        TRY(gb, m1d_grad_fit(t3, &n->edges[1]));
      }
      break;
    case B_MAX: case B_MIN: {                     /* the gradient goes to the chosen side, */
      m1d_Cmp c = n->ip[0] == B_MAX ? M1D_GE : M1D_LE, strict = n->ip[0] == B_MAX ? M1D_GT : M1D_LT;
      TRY(t2, m1d_cmp(a, b, c)); TRY(t3, m1d_cmp(a, b, strict));
      TRY(t1, m1d_add(t2, t3)); DROP(t2); DROP(t3);
      TRY(t2, m1d_affine(t1, 0.5, 0)); DROP(t1);  /* half to each on ties, as torch */
      t1 = t2; t2 = NULL;
      if (na) { TRY(t2, m1d_mul(g, t1)); TRY(ga, m1d_grad_fit(t2, &n->edges[0])); }
      if (nb) { TRY(t3, m1d_affine(t1, -1, 1)); DROP(t2);
                TRY(t2, m1d_mul(g, t3)); TRY(gb, m1d_grad_fit(t2, &n->edges[1])); }
      break;
    }
    default: break;
  }
  gin[0] = ga; gin[1] = gb;
  m1d_decref(y); m1d_decref(t1); m1d_decref(t2); m1d_decref(t3);
  return 0;
fail:
  m1d_decref(y); m1d_decref(t1); m1d_decref(t2); m1d_decref(t3); m1d_decref(ga); m1d_decref(gb);
  return -1;
}

static m1d_Tensor *binary (BinaryOp op, m1d_Tensor *a, m1d_Tensor *b) {
  m1d_Tensor *out = binary_raw(op, M1D_EQ, a, b);
  m1d_Tensor *in[2] = {a, b};
  if (out == NULL || !m1d_needs_grad(2, in)) return out;
  m1d_Node *node = m1d_record(binary_names[op], bw_binary, out, 2, in);
  if (node == NULL) { m1d_decref(out); return NULL; }
  node->ip[0] = op;
  int fail = 0;
  /* Save what the rule will read.  mul reads a only for b's gradient and b only for a's:
     a create_graph backward multiplies gradients by constants (relu's mask, a learning
     rate that needs no gradient), and saving the gradient too kept a tensor per such op
     alive in an unrolled graph for nothing.  div reads a only for b's gradient. */
  int na = node->edges[0].needs, nb = node->edges[1].needs;
  if (op == B_MUL) {
    if (nb) fail |= m1d_node_save(node, 0, a);
    if (na) fail |= m1d_node_save(node, 1, b);
  } else if (op == B_DIV) {
    if (nb) fail |= m1d_node_save(node, 0, a);
    fail |= m1d_node_save(node, 1, b);
  } else if (op == B_POW || op == B_MAX || op == B_MIN) {
    fail |= m1d_node_save(node, 0, a);
    fail |= m1d_node_save(node, 1, b);
  }
  if (op == B_POW) fail |= m1d_node_save_output(node, out);
  if (fail) { m1d_decref(out); return NULL; }
  return out;
}

m1d_Tensor *m1d_add (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_ADD, a, b); }
m1d_Tensor *m1d_sub (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_SUB, a, b); }
m1d_Tensor *m1d_mul (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_MUL, a, b); }
m1d_Tensor *m1d_div (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_DIV, a, b); }
m1d_Tensor *m1d_pow (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_POW, a, b); }
m1d_Tensor *m1d_maximum (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_MAX, a, b); }
m1d_Tensor *m1d_minimum (m1d_Tensor *a, m1d_Tensor *b) { return binary(B_MIN, a, b); }
m1d_Tensor *m1d_cmp (m1d_Tensor *a, m1d_Tensor *b, m1d_Cmp op) {
  return binary_raw(B_CMP, op, a, b);
}

/* where(mask, a, b): a where mask != 0, else b.  The forward selects (mask*a +
   (1-mask)*b would turn an Inf or NaN in the branch not taken into NaN); the
   backward multiplies by the saved 0/1 mask, which keeps it differentiable. */
static int bw_where (m1d_Node *n, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  m1d_Tensor *m = n->saved[0], *nm = NULL, *t = NULL;
  if (n->edges[1].needs) { TRY(t, m1d_mul(g, m)); TRY(gin[1], m1d_grad_fit(t, &n->edges[1])); DROP(t); }
  if (n->edges[2].needs) {
    TRY(nm, m1d_affine(m, -1, 1)); TRY(t, m1d_mul(g, nm)); TRY(gin[2], m1d_grad_fit(t, &n->edges[2]));
  }
  m1d_decref(nm); m1d_decref(t);
  return 0;
fail:
  m1d_decref(nm); m1d_decref(t); m1d_decref(gin[1]); gin[1] = NULL;
  return -1;
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
    double mv = mask->dtype == M1D_F32 ? ((float *)mask->storage->data)[it.o1]
              : mask->dtype == M1D_F64 ? ((double *)mask->storage->data)[it.o1]
              : (double)((int64_t *)mask->storage->data)[it.o1];
    if (mv == 0) continue;
    char *dst = (char *)out->storage->data + (size_t)it.o0 * es;
    if (a->dtype == dt) memcpy(dst, (char *)a->storage->data + (size_t)it.o2 * es, es);
    else {
      double v = a->dtype == M1D_F32 ? ((float *)a->storage->data)[it.o2]
               : a->dtype == M1D_F64 ? ((double *)a->storage->data)[it.o2]
               : (double)((int64_t *)a->storage->data)[it.o2];
      if (dt == M1D_F32) *(float *)dst = (float)v; else *(double *)dst = v;
    }
  }
  m1d_Tensor *in[3] = {NULL, a, b};         /* the mask gets no gradient: no edge */
  if (m1d_needs_grad(3, in)) {
    m1d_Node *node = m1d_record("where", bw_where, out, 3, in);
    if (node == NULL) goto fail;
    m1d_node_save(node, 0, mc);
  }
  m1d_decref(m); m1d_decref(mc);
  if (m1d_check_anomaly("where", out) < 0) { m1d_decref(out); return NULL; }
  return out;
fail:
  m1d_decref(out); m1d_decref(m); m1d_decref(mc);
  return NULL;
}
