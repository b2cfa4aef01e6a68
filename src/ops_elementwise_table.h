/*
** ops_elementwise_table.h — the elementwise ops, one row each.
**
** Everything about an elementwise op lives in its row; ops_elementwise.c generates the
** enum, the names, the kernels' cases, the int64 path and the backward rule's case from
** it, ops.h the declaration, src/bind/l_tensor.c the Lua binding and the method entry.
** Adding a unary op whose derivative is made of existing ops is a row here, a doc entry
** (lua/m1d/doc/methods.lua) and a test line.
**
** Unary:  X(name, api, int64, saves, f32, f64, grad)
**   name   m1d_<name> in C, x:<name>() in Lua, the node's name in the graph
**   api    PLAIN: m1d_<name>(x), its binding and method are generated;
**          CUSTOM: scalar parameters p0, p1, a wrapper of its own (checks them) in
**          ops_elementwise.c and, where Lua sees it, a binding of its own
**   int64  I64: int64 tensors too (the f64 formula in double, back to int64); FLOAT: raise
**   saves  what the rule reads: IN (x), OUT (y, the output), NONE; NOGRAD: never records
**   f32, f64  the element's value from v (the input element, float or double) and the
**          scalar parameters p0, p1 (double); f32 runs under every target_clones build, so
**          the same bits on every CPU (see fastmath.h for fast_expf and friends)
**   grad   the input's gradient from g (the upstream gradient), x, y, p0, p1, written with
**          the NULL-passing ops of ops_rule.h (MUL, ADD, ...), or a helper taking the
**          rule's scope S; every temporary belongs to the rule's scope
**
** Binary:  X(name, i64, f32, f64, save_a, save_b, save_out, grad_a, grad_b, num_r, num_l)
**   i64, f32, f64  the element's value from A and B (int64 arithmetic wraps, as NumPy)
**   save_a, save_b  when the rule needs the operand: ALWAYS, NEVER, IF_NA / IF_NB (only
**          when a's / b's gradient is wanted: mul's a is read only for b's gradient)
**   save_out  1: the rule reads y
**   grad_a, grad_b  the operands' gradients, summed to their shapes (FIT(t, i))
**   num_r, num_l  t op c and c op t for a Lua number c (the binding's scalar forms)
*/
#ifndef M1D_OPS_ELEMENTWISE_TABLE_H
#define M1D_OPS_ELEMENTWISE_TABLE_H

#define M1D_UNARY_OPS(X)                                                                          \
  X(neg, PLAIN, I64, NONE, -v, -v, NEG(g))                                                        \
  X(exp, PLAIN, FLOAT, OUT, fast_expf(v), exp(v), MUL(g, y))                                      \
  X(log, PLAIN, FLOAT, IN, logf(v), log(v), DIV(g, x))                                            \
  X(tanh, PLAIN, FLOAT, OUT, fast_tanhf(v), tanh(v), KEEP(act_backward(U_tanh, g, y)))            \
  X(sigmoid, PLAIN, FLOAT, OUT, fast_sigmoidf(v), 1.0 / (1.0 + exp(-v)),                          \
    KEEP(act_backward(U_sigmoid, g, y)))                                                          \
  X(relu, PLAIN, FLOAT, OUT, v > 0 ? v : 0.0f, v > 0 ? v : 0.0, KEEP(relu_backward(g, y)))        \
  X(sqrt, PLAIN, FLOAT, OUT, sqrtf(v), sqrt(v), MUL(g, RDIV(y, 0.5)))                             \
  X(abs, PLAIN, I64, IN, fabsf(v), fabs(v), MUL(g, SIGN(x)))                                      \
  X(sign, PLAIN, I64, NOGRAD, (float)((v > 0) - (v < 0)), (double)((v > 0) - (v < 0)), NULL)      \
  X(erf, PLAIN, FLOAT, IN, erff(v), erf(v),                   /* g 2/sqrt(pi) exp(-x^2) */        \
    MUL(g, AFFINE(EXP(AFFINE(MUL(x, x), -1, 0)), 1.12837916709551257390, 0)))                     \
  X(silu, PLAIN, FLOAT, IN, v * fast_sigmoidf(v), v * (1.0 / (1.0 + exp(-v))), silu_grad(S, g, x)) \
  X(gelu, PLAIN, FLOAT, IN, 0.5f * v * (1.0f + erff(v * 0.70710678118654752440f)),               \
    0.5 * v * (1.0 + erf(v * 0.70710678118654752440)), gelu_grad(S, g, x))                       \
  X(elu, CUSTOM, FLOAT, IN, v > 0 ? v : (float)p0 * expm1f(v), v > 0 ? v : p0 * expm1(v),        \
    elu_grad(S, g, x, p0))                                                                        \
  X(softplus, CUSTOM, FLOAT, IN,                                                                  \
    v * (float)p0 > (float)p1 ? v : log1pf(fast_expf(v * (float)p0)) / (float)p0,                 \
    v * p0 > p1 ? v : log1p(exp(v * p0)) / p0, softplus_grad(S, g, x, p0, p1))                    \
  X(affine, CUSTOM, I64, NONE, (float)p0 * v + (float)p1, p0 * v + p1, AFFINE(g, p0, 0))          \
  X(pow_scalar, CUSTOM, FLOAT, IN, powf(v, (float)p0), pow(v, p0), pow_scalar_grad(S, g, x, p0))  \
  X(rpow_scalar, CUSTOM, FLOAT, OUT, powf((float)p0, v), pow(p0, v),      /* g y log(c) */        \
    MUL(g, AFFINE(y, log(p0), 0)))                                                                \
  X(rdiv, CUSTOM, FLOAT, IN, (float)p0 / v, p0 / v, MUL(g, RDIV(MUL(x, x), -p0)))                 \
  X(clamp, CUSTOM, I64, IN,                                                                       \
    v < (float)p0 ? (float)p0 : (v > (float)p1 ? (float)p1 : v), v < p0 ? p0 : (v > p1 ? p1 : v), \
    MUL(g, MUL(CMPS(x, M1D_GE, p0), CMPS(x, M1D_LE, p1))))                                        \
  X(sin, PLAIN, FLOAT, IN, sinf(v), sin(v), MUL(g, COS(x)))                                       \
  X(cos, PLAIN, FLOAT, IN, cosf(v), cos(v), MUL(g, NEG(SIN(x))))                                  \
  X(log1p, PLAIN, FLOAT, IN, log1pf(v), log1p(v), DIV(g, AFFINE(x, 1, 1)))                        \
  X(expm1, PLAIN, FLOAT, OUT, expm1f(v), expm1(v), MUL(g, AFFINE(y, 1, 1)))                       \
  X(floor, PLAIN, FLOAT, NONE, floorf(v), floor(v), AFFINE(g, 0, 0))                              \
  X(ceil, PLAIN, FLOAT, NONE, ceilf(v), ceil(v), AFFINE(g, 0, 0))                                 \
  X(round, PLAIN, FLOAT, NONE, nearbyintf(v), nearbyint(v), AFFINE(g, 0, 0))  /* half to even */

#define M1D_BINARY_OPS(X)                                                                         \
  X(add, wrap_add(A, B), A + B, A + B, NEVER, NEVER, 0, FIT(g, 0), FIT(g, 1),                     \
    m1d_affine(t, 1, c), m1d_affine(t, 1, c))                                                     \
  X(sub, wrap_sub(A, B), A - B, A - B, NEVER, NEVER, 0, FIT(g, 0), FIT(NEG(g), 1),                \
    m1d_affine(t, 1, -c), m1d_affine(t, -1, c))                                                   \
  X(mul, wrap_mul(A, B), A * B, A * B, IF_NB, IF_NA, 0,                                           \
    mul_grad(S, n, g, b, 0, create_graph), mul_grad(S, n, g, a, 1, create_graph),                 \
    m1d_affine(t, c, 0), m1d_affine(t, c, 0))                                                     \
  X(div, idiv(A, B), A / B, A / B, IF_NB, ALWAYS, 0,                   /* g/b, -g a / b^2 */      \
    FIT(DIV(g, b), 0), FIT(NEG(DIV(MUL(g, a), MUL(b, b))), 1),                                    \
    m1d_affine(t, 1 / c, 0), m1d_rdiv(t, c))                                                      \
  X(pow, ipow(A, B), powf(A, B), pow(A, B), ALWAYS, ALWAYS, 1,                                    \
    pow_grad_base(S, n, g, a, b), pow_grad_exponent(S, n, g, a, b, y),                            \
    m1d_pow_scalar(t, c), m1d_rpow_scalar(t, c))                                                  \
  X(maximum, A >= B ? A : B, A >= B ? A : B, A >= B ? A : B, ALWAYS, ALWAYS, 0,                   \
    chosen_grad(S, n, g, a, b, M1D_GE, M1D_GT, 0),                                                \
    chosen_grad(S, n, g, a, b, M1D_GE, M1D_GT, 1),                                                \
    with_scalar(m1d_maximum, t, c, 0), with_scalar(m1d_maximum, t, c, 1))                         \
  X(minimum, A <= B ? A : B, A <= B ? A : B, A <= B ? A : B, ALWAYS, ALWAYS, 0,                   \
    chosen_grad(S, n, g, a, b, M1D_LE, M1D_LT, 0),                                                \
    chosen_grad(S, n, g, a, b, M1D_LE, M1D_LT, 1),                                                \
    with_scalar(m1d_minimum, t, c, 0), with_scalar(m1d_minimum, t, c, 1))

#endif
