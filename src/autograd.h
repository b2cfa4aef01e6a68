/*
** autograd.h — define-by-run reverse-mode differentiation.
**
** Each op that sees an input requiring grad (while grad mode is on) records a
** node: its backward rule, one edge per input (the input's node, or the leaf
** tensor itself) and the tensors its rule needs.  Under create_graph a rule
** computes with the runtime's own differentiable ops, with grad mode on, so the
** backward pass is recorded too: gradients of gradients.  Without it, a rule may
** take a fused path of plain C loops (the fused ops' first-order backward; the
** rule is told which by its create_graph argument).  Every op is single-output;
** a non-leaf tensor is identified by its node.
**
** Cycles are impossible by construction: a node holds its inputs (created
** before it), never its own output.  Ops whose rule needs the output save a
** detached alias of it and re-attach the node when the rule runs
** (m1d_node_output), as PyTorch's SavedVariable does.
*/
#ifndef M1D_AUTOGRAD_H
#define M1D_AUTOGRAD_H

#include "tensor.h"

typedef struct m1d_Node m1d_Node;

/* Fills gin[i] (a new reference, or NULL for "no gradient") for every input
   i with n->edges[i].needs; returns 0, or -1 with a message.  create_graph: the
   gradients must themselves be differentiable (grad mode is on while the rule runs,
   so the ops it calls record); otherwise a rule may take a fused path that records
   nothing. */
typedef int (*m1d_BackwardFn) (m1d_Node *n, m1d_Tensor *gout, m1d_Tensor **gin, int create_graph);

typedef struct m1d_Edge {
  m1d_Node *fn;           /* producer of a non-leaf input (ref held) */
  m1d_Tensor *leaf;       /* a leaf input requiring grad (ref held) */
  int needs;              /* fn or leaf is set */
  int ndim;
  int64_t shape[M1D_MAXDIM];
  m1d_DType dtype;
} m1d_Edge;

#define M1D_NODE_SAVED 4

struct m1d_Node {
  int refs;
  const char *name;
  m1d_BackwardFn backward;
  uint64_t seq;               /* creation order: inputs always have smaller seq */
  int ninputs;
  m1d_Edge *edges;
  m1d_Tensor *saved[M1D_NODE_SAVED];  /* tensors the rule needs (refs held) */
  m1d_Tensor *out;            /* detached alias of the output, if the rule needs it */
  double p[4];                /* scalar parameters of the op */
  int64_t ip[8];              /* integer parameters of the op */
  int released;               /* saved tensors freed after a backward without retain_graph */
  void *ud;                   /* foreign payload (a Lua closure for checkpoint), or NULL */
  void (*ud_free) (void *ud); /* releases ud when the node dies */
  /* engine scratch */
  uint64_t mark;
  int needed, target;
  uint32_t wanted;            /* bit i: this backward uses edge i's gradient (see m1d_edge_wanted) */
  m1d_Tensor *gbuf;
};

/* ---- grad mode ---- */
int m1d_grad_enabled (void);
int m1d_set_grad_enabled (int on);      /* returns the previous mode */

/* ---- recording (used by ops) ---- */
/* Whether an op over these inputs must record (grad mode on and one requires grad). */
int m1d_needs_grad (int n, m1d_Tensor *const *inputs);
/* A node for `out` over inputs; out gets grad_fn and requires_grad.
   Returns the node (owned by out) or NULL on allocation failure (out untouched). */
m1d_Node *m1d_record (const char *name, m1d_BackwardFn fn, m1d_Tensor *out,
                      int n, m1d_Tensor *const *inputs);
int m1d_node_save (m1d_Node *n, int slot, m1d_Tensor *t);   /* keeps a ref */
int m1d_node_save_output (m1d_Node *n, m1d_Tensor *out);    /* detached alias */
/* The saved output re-attached to this node while backward runs with grad mode on
   (so rules that use the output stay differentiable); a new reference. */
m1d_Tensor *m1d_node_output (m1d_Node *n);
void m1d_node_decref (m1d_Node *n);
/* Whether the running backward uses the gradient of input i: a rule may skip the work for
   an input that requires grad but leads to no target (the meta-parameters of an inner
   m1d.grad, say).  Set by the engine before the rule runs; inputs past 32 always count. */
static inline int m1d_edge_wanted (const m1d_Node *n, int i) {
  return n->edges[i].needs && (i >= 32 || (n->wanted >> i & 1u));
}

/* ---- leaves ---- */
int m1d_set_requires_grad (m1d_Tensor *t, int on);   /* leaves only */
m1d_Tensor *m1d_detach (m1d_Tensor *t);               /* shares storage, no graph */

/* ---- the engine ---- */
/* Backpropagates from roots (with upstream gradients, or ones for one-element roots).
   targets == NULL: accumulate into .grad of every leaf that requires grad (backward()).
   Otherwise: results[i] = d(roots)/d(targets[i]) (zeros when unused), new references.
   create_graph records the backward pass; without retain_graph the saved tensors of
   the traversed nodes are released. */
int m1d_backward (int nroots, m1d_Tensor **roots, m1d_Tensor **grad_roots,
                  int ntargets, m1d_Tensor **targets, m1d_Tensor **results,
                  int create_graph, int retain_graph);

/* ---- anomaly mode: the first op producing NaN/Inf fails, naming the op ----
   Checked in three places, which every op's output passes: m1d_record (the output of
   every op that records), the engine (every gradient a rule returns, every sum of
   gradients) and the Lua binding's m1d_pushtensor (the output of an op that recorded
   nothing).  Off, each place costs one test of m1d_anomaly_mode. */
extern int m1d_anomaly_mode;
static inline int m1d_anomaly_enabled (void) { return m1d_anomaly_mode; }
void m1d_set_anomaly (int on);
/* 0, or -1 with "anomaly: <op> produced NaN|Inf in its output of shape ..." (off: 0) */
int m1d_check_anomaly (const char *op, const m1d_Tensor *out);

#endif
