/*
** autograd.c — graph recording and the backward engine (see autograd.h).
**
** The engine: (1) an iterative depth-first walk from the roots yields the
** nodes in post-order (inputs before users); nodes created before the
** earliest target cannot reach a target and are pruned by sequence number,
** which keeps grad() inside an unrolled loop O(step), not O(loop);
** (2) a node is `needed` (its rule runs) if an input edge leads to a wanted
** leaf, a target or a needed node; (3) nodes run in reverse post-order, each summing its
** incoming gradients before its rule runs.  No recursion anywhere: unrolled
** training loops make graphs deep.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "autograd.h"
#include "ops.h"
#include "pool.h"

static int grad_enabled = 1;
int m1d_anomaly_mode = 0;
static uint64_t seq_counter = 1;
static uint64_t walk_counter = 1;

int m1d_grad_enabled (void) { return grad_enabled; }

int m1d_set_grad_enabled (int on) {
  int prev = grad_enabled;
  grad_enabled = on != 0;
  return prev;
}

void m1d_set_anomaly (int on) { m1d_anomaly_mode = on != 0; }

int m1d_check_anomaly (const char *op, const m1d_Tensor *out) {
  if (!m1d_anomaly_mode || out->dtype == M1D_I64) return 0;
  int64_t n = m1d_numel(out);
  m1d_Iter it;
  m1d_iter_init(&it, out->ndim, out->shape, out, NULL, NULL);
  for (int64_t i = 0; i < n; i++, m1d_iter_next(&it)) {
    double v = m1d_load(out->storage->data, out->dtype, it.o0);
    if (!isfinite(v))
      return m1d_failcode("anomaly: %s produced %s in its output of shape %s", op,
                          isnan(v) ? "NaN" : "Inf", m1d_shapestr(out).s);
  }
  return 0;
}

/* ---------------------------------------------------------------- recording */

int m1d_needs_grad (int n, m1d_Tensor *const *inputs) {
  if (!grad_enabled) return 0;
  for (int i = 0; i < n; i++)
    if (inputs[i] && inputs[i]->requires_grad) return 1;
  return 0;
}

/* The anomaly check of every recorded op: its output, unless it is a view of an input (a
   view produces nothing; a NaN it shows was there before). */
static int check_recorded (const char *name, const m1d_Tensor *out, int n, m1d_Tensor *const *inputs) {
  for (int i = 0; i < n; i++)
    if (inputs[i] && inputs[i]->storage == out->storage) return 0;
  return m1d_check_anomaly(name, out);
}

m1d_Node *m1d_record (const char *name, m1d_BackwardFn fn, m1d_Tensor *out,
                      int n, m1d_Tensor *const *inputs) {
  if (m1d_anomaly_mode && check_recorded(name, out, n, inputs) < 0) return NULL;
  size_t esize = sizeof(m1d_Edge) * (size_t)(n > 0 ? n : 1);
  m1d_Node *node = m1d_pool_calloc(sizeof *node);
  m1d_Edge *edges = m1d_pool_calloc(esize);
  if (node == NULL || edges == NULL) {
    m1d_pool_free(node, sizeof *node); m1d_pool_free(edges, esize);
    return m1d_fail("%s: out of memory recording the graph", name);
  }
  node->refs = 1;
  node->name = name;
  node->backward = fn;
  node->seq = seq_counter++;
  node->ninputs = n;
  node->edges = edges;
  for (int i = 0; i < n; i++) {
    m1d_Tensor *t = inputs[i];
    if (t == NULL) continue;
    m1d_Edge *e = &edges[i];
    e->ndim = t->ndim;
    memcpy(e->shape, t->shape, sizeof e->shape);
    e->dtype = t->dtype;
    if (!t->requires_grad) continue;
    e->needs = 1;
    if (t->grad_fn) { e->fn = t->grad_fn; e->fn->refs++; }
    else { e->leaf = t; m1d_incref(t); }
  }
  if (out->grad_fn) m1d_node_decref(out->grad_fn);
  out->grad_fn = node;
  out->requires_grad = 1;
  return node;
}

int m1d_node_save (m1d_Node *n, int slot, m1d_Tensor *t) {
  m1d_incref(t);
  m1d_decref(n->saved[slot]);
  n->saved[slot] = t;
  return 0;
}

int m1d_node_save_output (m1d_Node *n, m1d_Tensor *out) {
  m1d_Tensor *a = m1d_view_alias(out);
  if (a == NULL) return -1;
  m1d_decref(n->out);
  n->out = a;
  return 0;
}

m1d_Tensor *m1d_node_output (m1d_Node *n) {
  m1d_Tensor *a = m1d_view_alias(n->out);
  if (a == NULL) return NULL;
  if (grad_enabled) {
    a->grad_fn = n;
    n->refs++;
    a->requires_grad = 1;
  }
  return a;
}

static void release_saved (m1d_Node *n) {
  for (int i = 0; i < M1D_NODE_SAVED; i++) { m1d_decref(n->saved[i]); n->saved[i] = NULL; }
  m1d_decref(n->out);
  n->out = NULL;
}

/* The engine's stacks start in the caller's frame and move to the heap only when
   they outgrow it, so an ordinary step makes no allocator call for them. */
static int grow (void **buf, size_t *cap, size_t elem, void *local) {
  size_t ncap = *cap * 2;
  void *p = *buf == local ? malloc(ncap * elem) : realloc(*buf, ncap * elem);
  if (p == NULL) return -1;
  if (*buf == local) memcpy(p, local, *cap * elem);
  *buf = p;
  *cap = ncap;
  return 0;
}

/* Frees a chain of nodes without recursion: nodes whose count drops to zero are
   pushed on a stack and their edges released from there. */
void m1d_node_decref (m1d_Node *n) {
  if (n == NULL || --n->refs > 0) return;
  m1d_Node *local[256];
  size_t cap = 256, top = 0;
  m1d_Node **stack = local;
  stack[top++] = n;
  while (top > 0) {
    m1d_Node *x = stack[--top];
    for (int i = 0; i < x->ninputs; i++) {
      m1d_Edge *e = &x->edges[i];
      m1d_decref(e->leaf);
      if (e->fn && --e->fn->refs == 0) {
        if (top == cap) grow((void **)&stack, &cap, sizeof *stack, local);
        if (top < cap) stack[top++] = e->fn;
        else { e->fn->refs++; m1d_node_decref(e->fn); }   /* out of memory: recurse */
      }
    }
    /* saved tensors may hold graph (create_graph): their release can re-enter here */
    release_saved(x);
    m1d_decref(x->gbuf);
    if (x->ud_free) x->ud_free(x->ud);
    m1d_pool_free(x->edges, sizeof(m1d_Edge) * (size_t)(x->ninputs > 0 ? x->ninputs : 1));
    m1d_pool_free(x, sizeof *x);
  }
  if (stack != local) free(stack);
}

/* ---------------------------------------------------------------- leaves */

int m1d_set_requires_grad (m1d_Tensor *t, int on) {
  if (t->grad_fn && !on)
    return m1d_failcode("requires_grad: cannot turn off for a non-leaf tensor (use detach())");
  if (t->grad_fn) return 0;
  if (on && t->dtype == M1D_I64)
    return m1d_failcode("requires_grad: only float32/float64 tensors can require grad (got int64 %s)",
                        m1d_shapestr(t).s);
  if (on && !t->requires_grad) t->seq = seq_counter++;
  t->requires_grad = on != 0;
  return 0;
}

m1d_Tensor *m1d_detach (m1d_Tensor *t) { return m1d_view_alias(t); }

/* ---------------------------------------------------------------- engine */

typedef struct { m1d_Node **v; size_t n, cap; m1d_Node **local; } NodeVec;

static int vec_push (NodeVec *v, m1d_Node *x) {
  if (v->n == v->cap && grow((void **)&v->v, &v->cap, sizeof *v->v, v->local) < 0)
    return m1d_failcode("backward: out of memory");
  v->v[v->n++] = x;
  return 0;
}

/* Post-order walk from `start` over nodes with seq >= min_seq, not yet marked. */
static int walk (m1d_Node *start, uint64_t min_seq, uint64_t mark, NodeVec *order) {
  typedef struct { m1d_Node *n; int next; } Frame;
  Frame local[256];
  size_t cap = 256, top = 0;
  Frame *st = local;
  if (start->seq < min_seq || start->mark == mark) return 0;
  start->mark = mark;
  st[top++] = (Frame){start, 0};
  while (top > 0) {
    Frame *f = &st[top - 1];
    if (f->next < f->n->ninputs) {
      m1d_Node *c = f->n->edges[f->next++].fn;
      if (c && c->mark != mark && c->seq >= min_seq) {
        c->mark = mark;
        if (top == cap && grow((void **)&st, &cap, sizeof *st, local) < 0) {
          if (st != local) free(st);
          return m1d_failcode("backward: out of memory");
        }
        st[top++] = (Frame){c, 0};
      }
    } else {
      if (vec_push(order, f->n) < 0) { if (st != local) free(st); return -1; }
      top--;
    }
  }
  if (st != local) free(st);
  return 0;
}

/* acc = acc + g (recorded when grad mode is on); consumes g.  When nothing records, the
   sum goes in place into whichever of the two the engine alone holds densely (acc is often
   a bias gradient expanded from [out], and g a fresh product): the same bits either way,
   addition being commutative. */
static int accumulate (m1d_Tensor **acc, m1d_Tensor *g) {
  if (*acc == NULL) { *acc = g; return 0; }
  if (!grad_enabled) {
    if (m1d_accumulate_into(*acc, g)) { m1d_decref(g); return m1d_check_anomaly("add", *acc); }
    if (m1d_accumulate_into(g, *acc)) {
      m1d_decref(*acc);
      *acc = g;
      return m1d_check_anomaly("add", g);
    }
  }
  m1d_Tensor *s = m1d_add(*acc, g);       /* checked when it records; else here */
  m1d_decref(g);
  if (s == NULL) return -1;
  m1d_decref(*acc);
  *acc = s;
  return s->grad_fn ? 0 : m1d_check_anomaly("add", s);
}

/* the same tensor, or two handles on one recorded result */
static int same_target (const m1d_Tensor *a, const m1d_Tensor *b) {
  return a == b || (a->grad_fn != NULL && a->grad_fn == b->grad_fn);
}

static int target_index (int ntargets, m1d_Tensor **targets, m1d_Tensor *leaf) {
  for (int i = 0; i < ntargets; i++)
    if (targets[i] == leaf) return i;
  return -1;
}

/* One backward pass: what its steps share. */
typedef struct {
  NodeVec order;               /* the nodes reached, in post-order */
  uint64_t mark;               /* this pass's walk mark */
  int accumulate_leaves;       /* backward(): into .grad; grad(): into results */
  int ntargets;
  m1d_Tensor **targets, **results;
  int create_graph, retain_graph;
} Pass;

/* Step 1: the roots require grad and their upstream gradients fit them. */
static int check_roots (int nroots, m1d_Tensor **roots, m1d_Tensor **grad_roots) {
  for (int r = 0; r < nroots; r++) {
    if (!roots[r]->requires_grad)
      return m1d_failcode("backward: output %d (shape %s) does not require grad "
                          "(no input requires grad, or it was computed under no_grad)",
                          r + 1, m1d_shapestr(roots[r]).s);
    if (grad_roots == NULL || grad_roots[r] == NULL) {
      if (m1d_numel(roots[r]) != 1)
        return m1d_failcode("backward: output of shape %s is not a scalar; "
                            "pass grad_outputs of the same shape", m1d_shapestr(roots[r]).s);
    } else if (!m1d_same_shape(grad_roots[r], roots[r])) {
      return m1d_failcode("backward: grad_output %s does not match output %s",
                          m1d_shapestr(grad_roots[r]).s, m1d_shapestr(roots[r]).s);
    }
  }
  return 0;
}

/* Step 2 (grad()): the targets require grad; *min_seq = the earliest one's sequence
   number (nodes created before it cannot reach a target). */
static int check_targets (Pass *p, uint64_t *min_seq) {
  *min_seq = UINT64_MAX;
  for (int i = 0; i < p->ntargets; i++) {
    p->results[i] = NULL;
    m1d_Tensor *t = p->targets[i];
    if (!t->requires_grad)
      return m1d_failcode("grad: input %d (shape %s) does not require grad", i + 1, m1d_shapestr(t).s);
    uint64_t s = t->grad_fn ? t->grad_fn->seq : t->seq;
    if (s < *min_seq) *min_seq = s;
  }
  return 0;
}

/* Step 3: the nodes the roots reach, in post-order, each reset and told whether it is a
   target; which of them must run their rule.  Post-order puts inputs first, so `needed`
   (an input leads to a wanted leaf, a target, or a node whose rule must run) takes one pass. */
static int collect_nodes (Pass *p, int nroots, m1d_Tensor **roots, uint64_t min_seq) {
  for (int r = 0; r < nroots; r++)
    if (roots[r]->grad_fn && walk(roots[r]->grad_fn, min_seq, p->mark, &p->order) < 0) return -1;
  for (size_t k = 0; k < p->order.n; k++) {
    m1d_Node *n = p->order.v[k];
    if (n->released)
      return m1d_failcode("backward: trying to backward through the graph a second time "
                          "(node %s); pass retain_graph=true the first time", n->name);
    n->target = -1;
    n->gbuf = NULL;
  }
  if (!p->accumulate_leaves)
    for (int i = 0; i < p->ntargets; i++) {
      m1d_Node *f = p->targets[i]->grad_fn;
      if (f && f->mark == p->mark && f->target < 0) f->target = i;   /* listed twice: the first wins */
    }
  for (size_t k = 0; k < p->order.n; k++) {
    m1d_Node *n = p->order.v[k];
    int need = 0;
    n->wanted = 0;
    for (int i = 0; i < n->ninputs; i++) {
      m1d_Edge *e = &n->edges[i];
      int w = (e->fn && e->fn->mark == p->mark && (e->fn->needed || e->fn->target >= 0)) ||
              (e->leaf && (p->accumulate_leaves || target_index(p->ntargets, p->targets, e->leaf) >= 0));
      if (w) { need = 1; if (i < 32) n->wanted |= 1u << i; }
    }
    n->needed = need;
  }
  return 0;
}

/* Where a gradient for a leaf goes: its .grad, a result, or nowhere (consumes g). */
static int deliver_to_leaf (Pass *p, m1d_Tensor *leaf, m1d_Tensor *g) {
  if (p->accumulate_leaves) return accumulate(&leaf->grad, g);
  int t = target_index(p->ntargets, p->targets, leaf);
  if (t >= 0) return accumulate(&p->results[t], g);
  m1d_decref(g);
  return 0;
}

/* Step 4: the roots' upstream gradients (ones for a one-element root) into their nodes. */
static int seed_roots (Pass *p, int nroots, m1d_Tensor **roots, m1d_Tensor **grad_roots) {
  for (int r = 0; r < nroots; r++) {
    m1d_Tensor *g = (grad_roots && grad_roots[r]) ? grad_roots[r] : NULL;
    /* a grad_output of another dtype is cast to the output's (as PyTorch does): fused
       rules read their upstream gradient as raw data of their own dtype */
    if (g && g->dtype != roots[r]->dtype) { if ((g = m1d_cast(g, roots[r]->dtype)) == NULL) return -1; }
    else if (g) m1d_incref(g);
    else if ((g = m1d_full(roots[r]->dtype, roots[r]->ndim, roots[r]->shape, 1.0)) == NULL) return -1;
    if (roots[r]->grad_fn) {
      if (roots[r]->grad_fn->mark != p->mark) { m1d_decref(g); continue; }
      if (accumulate(&roots[r]->grad_fn->gbuf, g) < 0) return -1;
    } else if (deliver_to_leaf(p, roots[r], g) < 0) {
      return -1;
    }
  }
  return 0;
}

/* Step 5, once per node in reverse post-order: its summed gradient through its rule, the
   results to its inputs' nodes or leaves. */
static int run_node (Pass *p, m1d_Node *n) {
  m1d_Tensor *g = n->gbuf;
  n->gbuf = NULL;
  if (g == NULL) return 0;
  if (n->target >= 0) {
    m1d_incref(g);
    if (accumulate(&p->results[n->target], g) < 0) { m1d_decref(g); return -1; }
  }
  if (!n->needed) { m1d_decref(g); return 0; }
  m1d_Tensor *gin_local[8], **gin = gin_local;
  if (n->ninputs > 8 && (gin = calloc((size_t)n->ninputs, sizeof *gin)) == NULL) {
    m1d_decref(g);
    return m1d_failcode("backward: out of memory");
  }
  memset(gin, 0, sizeof(*gin) * (size_t)(n->ninputs < 8 ? 8 : n->ninputs));
  int brc = n->backward(n, g, gin, p->create_graph);
  m1d_decref(g);
  if (brc < 0) {                       /* say which rule failed (anomalies, allocation) */
    char inner[sizeof(((m1d_ShapeStr *)0)->s) * 8];
    snprintf(inner, sizeof inner, "%s", m1d_errmsg());
    m1d_failcode("in the backward of %s: %s", n->name, inner);
  }
  if (brc == 0 && m1d_anomaly_mode)     /* every gradient a rule returns */
    for (int i = 0; i < n->ninputs && brc == 0; i++)
      if (gin[i] && m1d_check_anomaly(n->name, gin[i]) < 0) brc = -1;
  for (int i = 0; i < n->ninputs; i++) {
    m1d_Tensor *gi = gin[i];
    if (gi == NULL) continue;
    m1d_Edge *e = &n->edges[i];
    if (brc < 0) { m1d_decref(gi); continue; }
    if (!p->create_graph && gi->requires_grad) {   /* keep plain grads graph-free */
      m1d_Tensor *d = m1d_detach(gi); m1d_decref(gi); gi = d;
      if (gi == NULL) { brc = -1; continue; }
    }
    if (e->fn && e->fn->mark == p->mark) { if (accumulate(&e->fn->gbuf, gi) < 0) brc = -1; }
    else if (e->leaf) { if (deliver_to_leaf(p, e->leaf, gi) < 0) brc = -1; }
    else m1d_decref(gi);
  }
  if (gin != gin_local) free(gin);
  if (brc < 0) return -1;
  if (!p->retain_graph) { release_saved(n); n->released = 1; }
  return 0;
}

/* Step 6 (grad()): zeros for a target nothing reached; a target listed twice gets its
   gradient at every position (as torch.autograd.grad). */
static int finish_results (Pass *p) {
  for (int i = 0; i < p->ntargets; i++) {
    m1d_Tensor *t = p->targets[i];
    if (p->results[i] == NULL && (p->results[i] = m1d_zeros(t->dtype, t->ndim, t->shape)) == NULL) return -1;
  }
  for (int i = 1; i < p->ntargets; i++)
    for (int j = 0; j < i; j++)
      if (same_target(p->targets[i], p->targets[j])) {
        m1d_incref(p->results[j]);
        m1d_decref(p->results[i]);
        p->results[i] = p->results[j];
        break;
      }
  return 0;
}

int m1d_backward (int nroots, m1d_Tensor **roots, m1d_Tensor **grad_roots,
                  int ntargets, m1d_Tensor **targets, m1d_Tensor **results,
                  int create_graph, int retain_graph) {
  m1d_Node *order_local[1024];
  Pass p = {{order_local, 0, 1024, order_local}, walk_counter++, targets == NULL, ntargets, targets, results,
            create_graph, retain_graph};
  uint64_t min_seq = 0;
  int rc = -1;
  if (check_roots(nroots, roots, grad_roots) < 0) return -1;
  if (!p.accumulate_leaves && check_targets(&p, &min_seq) < 0) return -1;
  if (collect_nodes(&p, nroots, roots, min_seq) == 0) {
    int prev_mode = m1d_set_grad_enabled(create_graph);
    if (seed_roots(&p, nroots, roots, grad_roots) == 0) {
      size_t k = p.order.n;
      while (k-- > 0 && run_node(&p, p.order.v[k]) == 0) {}
      if (k == (size_t)-1 && (p.accumulate_leaves || finish_results(&p) == 0)) rc = 0;
    }
    m1d_set_grad_enabled(prev_mode);
  }
  for (size_t k = 0; k < p.order.n; k++) {
    m1d_decref(p.order.v[k]->gbuf);
    p.order.v[k]->gbuf = NULL;
  }
  if (rc < 0 && !p.accumulate_leaves)
    for (int i = 0; i < ntargets; i++) { m1d_decref(results[i]); results[i] = NULL; }
  if (p.order.v != order_local) free(p.order.v);
  return rc;
}
