/*
** l_checkpoint.c — m1d.checkpoint(fn, ...): run fn without keeping its graph,
** and recompute it when the gradient is needed.
**
** The forward call runs on detached stand-ins; its outputs are flattened into one
** tensor recorded as a single "checkpoint" node over fn's tensor arguments,
** and handed back as views of it.  The node's backward rule calls fn again:
**  - plain backward: on detached copies of the inputs that require grad, then
**    takes gradients with respect to those copies;
**  - with create_graph: on fresh identity aliases of the inputs.  The aliases
**    are newer than everything else in the graph, so the inner grad() stops at
**    them (partial derivatives, nothing counted twice), and because they are
**    aliases the gradients stay connected to the real inputs: higher orders work.
** So an unrolled loop checkpointed per segment keeps only the segment
** boundaries (parameters and optimizer state), not every activation.  The
** recomputation runs on the random generator as the first run found it (restored
** afterwards), so a Dropout inside draws the same mask.
**
** The Lua closure and non-tensor arguments live in the registry; the tensor
** arguments are held by the payload in C.  A node that dies marks its payload
** dead and releases those tensors at once (pure C, safe anywhere): they may hold
** the previous segment's node, so a whole unrolled chain goes in one pass rather
** than one link per collector cycle.  The next call sweeps the registry entries.
*/
#include <stdlib.h>
#include <string.h>
#include "bind.h"
#include "ops.h"
#include "rng.h"

lua_State *m1d_backward_L = NULL;   /* the Lua thread running backward (set by l_autograd.c) */

typedef struct Payload {
  int ref;                  /* registry ref to {fn, arg1, ..., argn, n = nargs} */
  int nargs;
  int noutputs;
  int dead;
  int nheld;
  m1d_Tensor *held[64];     /* the tensor arguments, in order (one reference each) */
  m1d_Rng rng;              /* the generator as the first run found it: the recomputation
                               draws the same numbers (Dropout's masks), as torch's
                               preserve_rng_state */
  int64_t numel[64];
  int ndim[64];
  int64_t shape[64][M1D_MAXDIM];
  struct Payload *next;
} Payload;

static Payload *payloads = NULL;

/* stands in the registry table for a tensor argument (the tensor is in held[]) */
static char held_marker;

/* Releasing a payload's tensors can free the previous segment's node and so call
   payload_free again: those releases are queued and done by the outermost call,
   so a long chain needs no deep recursion. */
static m1d_Tensor **pending = NULL;
static size_t npending = 0, cappending = 0;
static int releasing = 0;

static void payload_free (void *ud) {
  Payload *p = ud;
  p->dead = 1;
  for (int k = 0; k < p->nheld; k++) {
    if (npending == cappending) {
      size_t cap = cappending ? 2 * cappending : 256;
      m1d_Tensor **bigger = realloc(pending, cap * sizeof *bigger);
      if (bigger == NULL) { m1d_decref(p->held[k]); continue; }   /* out of memory: recurse */
      pending = bigger;
      cappending = cap;
    }
    pending[npending++] = p->held[k];
  }
  p->nheld = 0;
  if (releasing) return;
  releasing = 1;
  while (npending > 0) m1d_decref(pending[--npending]);
  releasing = 0;
}

static void sweep (lua_State *L) {
  Payload **p = &payloads;
  while (*p) {
    if ((*p)->dead) {
      Payload *d = *p;
      *p = d->next;
      luaL_unref(L, LUA_REGISTRYINDEX, d->ref);
      free(d);
    } else {
      p = &(*p)->next;
    }
  }
}

/* A live tensor at i, or NULL; never raises (m1d_testtensor does for a released one). */
static m1d_Tensor *peek_tensor (lua_State *L, int i) {
  LTensor *h = luaL_testudata(L, i, M1D_TENSOR_MT);
  return h ? h->t : NULL;
}

/* fn's results at stack positions [first, top] as a list of tensors; returns count.
   Raw access and no raising: this also runs inside backward (bw_checkpoint), where a Lua
   error would unwind through the engine, and a list's __index could hand out fresh
   tensors that nothing keeps alive. */
static int collect_outputs (lua_State *L, int first, m1d_Tensor **outs, int max) {
  int top = lua_gettop(L), n = 0;
  if (top == first && lua_istable(L, first) && !luaL_testudata(L, first, M1D_TENSOR_MT)) {
    int len = (int)lua_rawlen(L, first);
    for (int k = 1; k <= len && n < max; k++) {
      lua_rawgeti(L, first, k);
      outs[n] = peek_tensor(L, -1);
      lua_pop(L, 1);                       /* the table (at first) holds it */
      if (outs[n] == NULL) return -k;
      n++;
    }
    return len > max ? -max - 1 : n;
  }
  for (int i = first; i <= top; i++) {
    if (n == max) return -max - 1;
    outs[n] = peek_tensor(L, i);
    if (outs[n] == NULL) return -(i - first + 1);
    n++;
  }
  return n;
}

/* one flat vector of all outputs (recorded when grad mode is on) */
static m1d_Tensor *flatten_all (int n, m1d_Tensor **outs) {
  m1d_Tensor *flat[64];
  int64_t minus1 = -1;
  int k;
  for (k = 0; k < n; k++)
    if ((flat[k] = m1d_reshape(outs[k], 1, &minus1)) == NULL) break;
  m1d_Tensor *r = k == n ? m1d_cat(n, flat, 0) : NULL;
  for (int j = 0; j < k; j++) m1d_decref(flat[j]);
  return r;
}

static int bw_checkpoint (m1d_Node *node, m1d_Tensor *g, m1d_Tensor **gin, int create_graph) {
  Payload *p = node->ud;
  lua_State *L = m1d_backward_L;
  if (L == NULL) return m1d_failcode("checkpoint: backward called outside Lua");
  int create = create_graph;
  int base = lua_gettop(L);
  if (!lua_checkstack(L, p->nargs + 8)) return m1d_failcode("checkpoint: Lua stack overflow");
  lua_rawgeti(L, LUA_REGISTRYINDEX, p->ref);           /* base+1: the saved table */
  lua_geti(L, base + 1, 1);                            /* fn */
  m1d_Tensor *targets[64];
  int target_edge[64], ntargets = 0, edge = 0, rc = -1;
  for (int a = 1; a <= p->nargs; a++) {
    lua_geti(L, base + 1, a + 1);
    if (lua_touserdata(L, -1) != &held_marker) continue;   /* not a tensor: as given */
    lua_pop(L, 1);
    int e = edge++;
    m1d_Tensor *t = p->held[e], *x;
    LTensor *h = m1d_newhandle(L);
    if (!node->edges[e].needs) { m1d_incref(t); h->t = t; continue; }
    /* replace the argument by a stand-in the inner grad() stops at */
    x = create ? m1d_alias(t) : m1d_detach(t);
    if (x && !create && m1d_set_requires_grad(x, 1) < 0) { m1d_decref(x); x = NULL; }
    if (x == NULL) { lua_settop(L, base); return -1; }
    h->t = x;
    targets[ntargets] = x;
    target_edge[ntargets++] = e;
  }
  int prev = m1d_set_grad_enabled(1);
  m1d_Rng *global = m1d_global_rng(), outer = *global;
  *global = p->rng;                       /* replay the first run's random numbers ... */
  int status = lua_pcall(L, p->nargs, LUA_MULTRET, 0);
  *global = outer;                        /* ... and leave the caller's stream untouched */
  if (status != LUA_OK) {
    m1d_set_grad_enabled(prev);
    m1d_failcode("checkpoint: recomputing the segment failed: %s", lua_tostring(L, -1));
    lua_settop(L, base);
    return -1;
  }
  m1d_Tensor *outs[64];
  int n = collect_outputs(L, base + 2, outs, 64);
  m1d_Tensor *flat = n == p->noutputs ? flatten_all(n, outs) : NULL;
  m1d_set_grad_enabled(prev);
  if (n != p->noutputs) {
    m1d_failcode("checkpoint: the recomputation returned %d tensors, the first run %d", n, p->noutputs);
  } else if (flat != NULL) {
    m1d_Tensor *res[64] = {0};
    if (!flat->requires_grad) {
      rc = 0;                                  /* outputs do not depend on the inputs */
    } else if (m1d_backward(1, &flat, &g, ntargets, targets, res, create, create) == 0) {
      for (int i = 0; i < ntargets; i++) gin[target_edge[i]] = res[i];
      rc = 0;
    }
  }
  m1d_decref(flat);
  lua_settop(L, base);
  return rc;
}

/* m1d.checkpoint(fn, ...) -> fn(...)'s tensors, their graph recomputed in backward */
static int l_checkpoint (lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  int nargs = lua_gettop(L) - 1;
  m1d_Tensor *ins[64];
  int nin = 0;
  for (int a = 2; a <= nargs + 1; a++) {
    m1d_Tensor *t = m1d_testtensor(L, a);
    if (t == NULL) continue;
    if (nin == 64) return luaL_error(L, "checkpoint: at most 64 tensor arguments");
    ins[nin++] = t;
  }
  sweep(L);
  if (!m1d_needs_grad(nin, ins)) {               /* nothing to differentiate: a plain call */
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
  }
  /* keep fn and its non-tensor arguments for the recomputation (tensors: held[]) */
  lua_createtable(L, nargs + 1, 0);
  for (int a = 1; a <= nargs + 1; a++) {
    if (a > 1 && m1d_testtensor(L, a)) lua_pushlightuserdata(L, &held_marker);
    else lua_pushvalue(L, a);
    lua_rawseti(L, -2, a);
  }
  int saved = lua_gettop(L);
  m1d_Rng rng_before = *m1d_global_rng();      /* 2.5 kB, for the recomputation to replay */
  /* the forward on detached stand-ins: fn may build a graph inside (e.g. an inner
     m1d.grad), but nothing of it is kept once the outputs are detached below */
  lua_pushvalue(L, 1);
  for (int a = 2; a <= nargs + 1; a++) {
    m1d_Tensor *t = m1d_testtensor(L, a);
    if (t && t->requires_grad) {
      m1d_Tensor *x = m1d_detach(t);
      if (x && m1d_set_requires_grad(x, 1) < 0) { m1d_decref(x); x = NULL; }
      if (x == NULL) return luaL_error(L, "%s", m1d_errmsg());
      LTensor *h = m1d_newhandle(L);
      h->t = x;
    } else {
      lua_pushvalue(L, a);
    }
  }
  lua_call(L, nargs, LUA_MULTRET);
  m1d_Tensor *outs[64];
  int as_list = lua_gettop(L) == saved + 1 && lua_istable(L, saved + 1) && !m1d_testtensor(L, saved + 1);
  int n = collect_outputs(L, saved + 1, outs, 64);
  if (n <= 0)
    return luaL_error(L, "checkpoint: fn must return tensors (a tensor, several, or a list; at most 64)");
  Payload *p = calloc(1, sizeof *p);
  if (p == NULL) return luaL_error(L, "checkpoint: out of memory");
  p->nargs = nargs;
  p->noutputs = n;
  p->rng = rng_before;
  m1d_DType dt = outs[0]->dtype;
  for (int k = 0; k < n; k++) {
    if (outs[k]->dtype != dt || dt == M1D_I64) {
      free(p);
      return luaL_error(L, "checkpoint: outputs must all be float tensors of one dtype");
    }
    p->numel[k] = m1d_numel(outs[k]);
    p->ndim[k] = outs[k]->ndim;
    memcpy(p->shape[k], outs[k]->shape, sizeof p->shape[k]);
  }
  int prev = m1d_set_grad_enabled(0);
  m1d_Tensor *flat = flatten_all(n, outs);
  m1d_set_grad_enabled(prev);
  if (flat == NULL) { free(p); return luaL_error(L, "%s", m1d_errmsg()); }
  LTensor *fh = m1d_newhandle(L);          /* owns flat while we record */
  fh->t = flat;
  m1d_Node *node = m1d_record("checkpoint", bw_checkpoint, flat, nin, ins);
  if (node == NULL) { free(p); return luaL_error(L, "%s", m1d_errmsg()); }
  lua_pushvalue(L, saved);
  p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  for (int k = 0; k < nin; k++) { m1d_incref(ins[k]); p->held[k] = ins[k]; }
  p->nheld = nin;
  node->ud = p;
  node->ud_free = payload_free;
  p->next = payloads;
  payloads = p;
  /* hand back views of the flat output in fn's shapes */
  int first = lua_gettop(L) + 1;
  int64_t off = 0;
  for (int k = 0; k < n; k++) {
    m1d_Tensor *v = m1d_narrow(flat, 0, off, p->numel[k]);
    m1d_Tensor *r = v ? m1d_reshape(v, p->ndim[k], p->shape[k]) : NULL;
    m1d_decref(v);
    m1d_pushtensor(L, r);
    off += p->numel[k];
  }
  if (as_list) {                           /* a list returned, a list given back */
    lua_createtable(L, n, 0);
    for (int k = 0; k < n; k++) { lua_pushvalue(L, first + k); lua_rawseti(L, -2, k + 1); }
    return 1;
  }
  return n;
}

void m1d_open_checkpoint (lua_State *L) {
  lua_pushcfunction(L, l_checkpoint);
  lua_setfield(L, -2, "checkpoint");
}
