/*
** ops_rebuild.c — the higher-order backward of fused ops.
**
** A fused op computes in loops of its own, which autograd cannot see into.  Most
** fused ops have differentiable rules made of fused ops again (conv1d, cross_entropy,
** pointwise_mlp: every order stays fused).  Where one has none for some order (today
** the GRU's third and higher: the backward of gru_backward under create_graph; the
** LSTM's and the RNN's second and higher: their backward under create_graph), the
** rule instead rebuilds the op's output from differentiable ops, on identity stand-ins
** of its inputs, and backpropagates through that: every further order, equal in value
** to the fused path up to rounding.  This is that common part; the op supplies the
** rebuild.
*/
#include "ops_impl.h"

#define MAX_INPUTS 8

int m1d_backward_by_rebuilding (m1d_Node *node, m1d_Tensor *const *inputs, int n, m1d_RebuildFn rebuild,
                                m1d_Tensor *g, m1d_Tensor **gin) {
  m1d_Tensor *stand[MAX_INPUTS] = {0}, *targets[MAX_INPUTS], *res[MAX_INPUTS] = {0}, *out = NULL;
  int edge_of[MAX_INPUTS], nt = 0, rc = -1;
  if (n > MAX_INPUTS) return m1d_failcode("%s: more than %d inputs to rebuild", node->name, MAX_INPUTS);
  for (int i = 0, e = 0; i < n; i++) {
    if (inputs[i] == NULL) continue;                 /* an optional input left out: no edge */
    if (node->edges[e].needs) {
      if ((stand[i] = m1d_alias(inputs[i])) == NULL) goto done;
      targets[nt] = stand[i];
      edge_of[nt++] = e;
    } else {
      stand[i] = inputs[i];
      m1d_incref(stand[i]);
    }
    e++;
  }
  if ((out = rebuild(stand, node)) == NULL) goto done;
  if (m1d_backward(1, &out, &g, nt, targets, res, 1, 1) == 0) {
    for (int k = 0; k < nt; k++) gin[edge_of[k]] = res[k];
    rc = 0;
  }
done:
  m1d_decref(out);
  for (int i = 0; i < n; i++) m1d_decref(stand[i]);
  return rc;
}
