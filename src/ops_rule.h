/*
** ops_rule.h — backward rules written as expressions.
**
** A rule declares a scope (M1D_RULE_SCOPE), which owns every temporary the rule makes,
** and writes its gradients with the ops below: each takes the scope implicitly (the
** local S), passes a NULL operand through without calling anything, and keeps the
** first error's message (m1d_errmsg), so a chain such as MUL(g, AFFINE(EXP(x), 2, 0))
** needs no check between its steps.  m1d_rule_result hands the final tensor out as a
** new reference (NULL if anything failed) and m1d_rule_close frees the temporaries:
**
**   M1D_RULE_SCOPE(S);
**   gin[0] = m1d_rule_result(S, MUL(g, COS(x)));
**   return m1d_rule_close(S);            (0, or -1 when a step failed)
**
** Private to the op files (the short macro names would clash elsewhere).
*/
#ifndef M1D_OPS_RULE_H
#define M1D_OPS_RULE_H

#include "ops_impl.h"

#define M1D_RULE_MAX 24           /* temporaries a rule may hold: gelu's, the longest, keeps 11 */

typedef struct m1d_RuleScope {
  m1d_Tensor *t[M1D_RULE_MAX];
  int n;
  int failed;
} m1d_RuleScope;

#define M1D_RULE_SCOPE(S) m1d_RuleScope S##_scope_ = {{NULL}, 0, 0}, *S = &S##_scope_

/* t owned by the scope from now on (t NULL: the scope records the failure) */
static inline m1d_Tensor *m1d_rule_keep (m1d_RuleScope *s, m1d_Tensor *t) {
  if (t == NULL) { s->failed = 1; return NULL; }
  if (s->n == M1D_RULE_MAX) {
    m1d_decref(t);
    s->failed = 1;
    return m1d_fail("backward rule: more than %d temporaries", M1D_RULE_MAX);
  }
  return s->t[s->n++] = t;
}

/* r (owned by the scope, or a borrowed input) as a new reference for gin[] */
static inline m1d_Tensor *m1d_rule_result (m1d_RuleScope *s, m1d_Tensor *r) {
  if (r == NULL || s->failed) return NULL;
  m1d_incref(r);
  return r;
}

static inline int m1d_rule_close (m1d_RuleScope *s) {
  for (int i = 0; i < s->n; i++) m1d_decref(s->t[i]);
  s->n = 0;
  return s->failed ? -1 : 0;
}

/* the ops, NULL in -> NULL out (and nothing called); functions, so that an operand
   written as an expression is evaluated once */
typedef m1d_Tensor *(*m1d_Op1) (m1d_Tensor *);
typedef m1d_Tensor *(*m1d_Op2) (m1d_Tensor *, m1d_Tensor *);
typedef m1d_Tensor *(*m1d_OpK) (m1d_Tensor *, double);

static inline m1d_Tensor *m1d_rule_absent (m1d_RuleScope *s) { s->failed = 1; return NULL; }
static inline m1d_Tensor *m1d_rule1 (m1d_RuleScope *s, m1d_Op1 f, m1d_Tensor *a) {
  return a ? m1d_rule_keep(s, f(a)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule2 (m1d_RuleScope *s, m1d_Op2 f, m1d_Tensor *a, m1d_Tensor *b) {
  return a && b ? m1d_rule_keep(s, f(a, b)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_k (m1d_RuleScope *s, m1d_OpK f, m1d_Tensor *a, double k) {
  return a ? m1d_rule_keep(s, f(a, k)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_affine (m1d_RuleScope *s, m1d_Tensor *a, double k, double c) {
  return a ? m1d_rule_keep(s, m1d_affine(a, k, c)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_cmps (m1d_RuleScope *s, m1d_Tensor *a, m1d_Cmp op, double c) {
  return a ? m1d_rule_keep(s, m1d_cmp_scalar(a, op, c)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_cmp (m1d_RuleScope *s, m1d_Tensor *a, m1d_Tensor *b, m1d_Cmp op) {
  return a && b ? m1d_rule_keep(s, m1d_cmp(a, b, op)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_where (m1d_RuleScope *s, m1d_Tensor *m, m1d_Tensor *a, m1d_Tensor *b) {
  return m && a && b ? m1d_rule_keep(s, m1d_where(m, a, b)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_fit (m1d_RuleScope *s, m1d_Tensor *a, const m1d_Edge *e) {
  return a ? m1d_rule_keep(s, m1d_grad_fit(a, e)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_narrow (m1d_RuleScope *s, m1d_Tensor *a, int dim, int64_t start, int64_t len) {
  return a ? m1d_rule_keep(s, m1d_narrow(a, dim, start, len)) : m1d_rule_absent(s);
}
static inline m1d_Tensor *m1d_rule_select (m1d_RuleScope *s, m1d_Tensor *a, int dim, int64_t i) {
  return a ? m1d_rule_keep(s, m1d_select(a, dim, i)) : m1d_rule_absent(s);
}
/* b may be NULL (no bias) */
static inline m1d_Tensor *m1d_rule_linear (m1d_RuleScope *s, m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b) {
  return x && w ? m1d_rule_keep(s, m1d_linear(x, w, b)) : m1d_rule_absent(s);
}

#define KEEP(e) m1d_rule_keep(S, (e))
#define NEG(a) m1d_rule1(S, m1d_neg, (a))
#define EXP(a) m1d_rule1(S, m1d_exp, (a))
#define LOG(a) m1d_rule1(S, m1d_log, (a))
#define SIN(a) m1d_rule1(S, m1d_sin, (a))
#define COS(a) m1d_rule1(S, m1d_cos, (a))
#define SIGN(a) m1d_rule1(S, m1d_sign, (a))
#define RELU(a) m1d_rule1(S, m1d_relu, (a))
#define ERF(a) m1d_rule1(S, m1d_erf, (a))
#define SIGMOID(a) m1d_rule1(S, m1d_sigmoid, (a))
#define TANH(a) m1d_rule1(S, m1d_tanh, (a))
#define ADD(a, b) m1d_rule2(S, m1d_add, (a), (b))
#define SUB(a, b) m1d_rule2(S, m1d_sub, (a), (b))
#define MUL(a, b) m1d_rule2(S, m1d_mul, (a), (b))
#define DIV(a, b) m1d_rule2(S, m1d_div, (a), (b))
#define POW(a, b) m1d_rule2(S, m1d_pow, (a), (b))
#define RDIV(a, c) m1d_rule_k(S, m1d_rdiv, (a), (c))
#define POWS(a, p) m1d_rule_k(S, m1d_pow_scalar, (a), (p))
#define AFFINE(a, k, c) m1d_rule_affine(S, (a), (k), (c))
#define CMPS(a, op, c) m1d_rule_cmps(S, (a), (op), (c))
#define CMP(a, b, op) m1d_rule_cmp(S, (a), (b), (op))
#define WHERE(m, a, b) m1d_rule_where(S, (m), (a), (b))
#define SCALAR(dt, v) KEEP(m1d_scalar((dt), (v)))
#define NARROW(a, dim, start, len) m1d_rule_narrow(S, (a), (dim), (start), (len))
#define SELECT(a, dim, i) m1d_rule_select(S, (a), (dim), (i))
#define LINEAR(x, w, b) m1d_rule_linear(S, (x), (w), (b))
/* a gradient summed over broadcast dims and cast to input i's edge (of the node n) */
#define FIT(a, i) m1d_rule_fit(S, (a), &n->edges[i])

#endif
