/*
** ops.h — differentiable tensor operations.
**
** Every function returns a new tensor (a new reference) or NULL with a message
** naming the op and the shapes (m1d_errmsg).  Inputs are borrowed.  When grad
** mode is on and an input requires grad, the op records a node whose backward
** rule, under create_graph, computes with these same ops, so every op here
** supports gradients of any order (first-order backwards of the fused ops are C
** loops of their own; see autograd.h and ops_rebuild.c).  Float ops accept float32 and float64; mixing them promotes to
** float64.  Dims are 0-based here (the Lua binding converts).
*/
#ifndef M1D_OPS_H
#define M1D_OPS_H

#include "tensor.h"
#include "autograd.h"
#include "ops_elementwise_table.h"

/* ---- elementwise, unary (ops_elementwise.c; one row each in ops_elementwise_table.h) ---- */
/* m1d_<name>(x) for every PLAIN row (neg, exp, log, tanh, ... : see the table for each
   op's formula, derivative and dtypes) */
#define M1D_DECLARE_PLAIN(name) m1d_Tensor *m1d_##name (m1d_Tensor *x);
#define M1D_DECLARE_CUSTOM(name)
#define M1D_DECLARE_UNARY(name, api, ...) M1D_DECLARE_##api(name)
M1D_UNARY_OPS(M1D_DECLARE_UNARY)
m1d_Tensor *m1d_elu (m1d_Tensor *x, double alpha);
m1d_Tensor *m1d_softplus (m1d_Tensor *x, double beta, double threshold);
m1d_Tensor *m1d_affine (m1d_Tensor *x, double a, double b);     /* a*x + b */
m1d_Tensor *m1d_pow_scalar (m1d_Tensor *x, double p);          /* x^p */
m1d_Tensor *m1d_rpow_scalar (m1d_Tensor *x, double c);         /* c^x */
m1d_Tensor *m1d_rdiv (m1d_Tensor *x, double c);                /* c / x */
m1d_Tensor *m1d_clamp (m1d_Tensor *x, double lo, double hi);

typedef enum { M1D_EQ, M1D_NE, M1D_LT, M1D_LE, M1D_GT, M1D_GE } m1d_Cmp;
/* Masks: 1.0 where the comparison holds, else 0.0, in the input's dtype; no gradient. */
m1d_Tensor *m1d_cmp_scalar (m1d_Tensor *x, m1d_Cmp op, double c);
m1d_Tensor *m1d_cmp (m1d_Tensor *a, m1d_Tensor *b, m1d_Cmp op);

/* ---- elementwise, binary with NumPy broadcasting ---- */
/* m1d_add, m1d_sub, m1d_mul, m1d_div, m1d_pow, m1d_maximum, m1d_minimum */
#define M1D_DECLARE_BINARY(name, ...) m1d_Tensor *m1d_##name (m1d_Tensor *a, m1d_Tensor *b);
M1D_BINARY_OPS(M1D_DECLARE_BINARY)
/* acc += g in place where acc is an unshared, contiguous float tensor without graph and g
   broadcasts to it (1), else nothing (0; add out of place): the backward engine's sums
   of gradients when nothing records. */
int m1d_accumulate_into (m1d_Tensor *acc, m1d_Tensor *g);
m1d_Tensor *m1d_where (m1d_Tensor *mask, m1d_Tensor *a, m1d_Tensor *b);  /* mask != 0 ? a : b */

/* ---- reductions (ops_reduce.c) ---- */
m1d_Tensor *m1d_sum_to (m1d_Tensor *x, int ndim, const int64_t *shape);  /* inverse of expand */
m1d_Tensor *m1d_sum (m1d_Tensor *x);                                     /* all -> 0-dim */
m1d_Tensor *m1d_sum_dim (m1d_Tensor *x, int dim, int keepdim);
m1d_Tensor *m1d_mean (m1d_Tensor *x);
m1d_Tensor *m1d_mean_dim (m1d_Tensor *x, int dim, int keepdim);
m1d_Tensor *m1d_var_dim (m1d_Tensor *x, int dim, int keepdim, int unbiased);  /* dim < 0: all */
m1d_Tensor *m1d_std_dim (m1d_Tensor *x, int dim, int keepdim, int unbiased);  /* gradient 0 at std 0 */
m1d_Tensor *m1d_argmax (m1d_Tensor *x, int dim, int keepdim);          /* int64, first max */
m1d_Tensor *m1d_argmin (m1d_Tensor *x, int dim, int keepdim);
m1d_Tensor *m1d_max_dim (m1d_Tensor *x, int dim, int keepdim, m1d_Tensor **indices);
m1d_Tensor *m1d_min_dim (m1d_Tensor *x, int dim, int keepdim, m1d_Tensor **indices);
m1d_Tensor *m1d_max (m1d_Tensor *x);             /* gradient shared among tied maxima */
m1d_Tensor *m1d_min (m1d_Tensor *x);
/* Extrema over dim (dim < 0: all elements, 0-dim) whose gradient is shared evenly among the
   tied extrema (torch.amax/amin); max_dim/min_dim give it to the returned index instead. */
m1d_Tensor *m1d_amax (m1d_Tensor *x, int dim, int keepdim, int want_max);
m1d_Tensor *m1d_logsumexp (m1d_Tensor *x, int dim, int keepdim);
m1d_Tensor *m1d_log_softmax (m1d_Tensor *x, int dim);
m1d_Tensor *m1d_softmax (m1d_Tensor *x, int dim);

/* ---- scans, sorting, vector norms (ops_scan.c, ops_sort.c, ops_vector_norm.c) ---- */
m1d_Tensor *m1d_cumsum (m1d_Tensor *x, int dim);                        /* any dtype */
/* Values sorted along dim, stable as torch.sort(stable=True) (ties keep index order, NaN
   sorts above every number); *indices (if not NULL) gets the 0-based int64 positions.
   topk: the first k of sort(x, dim, largest) (largest = descending). Any dtype;
   differentiable in the values (the gradient is scattered back to the indices). */
m1d_Tensor *m1d_sort (m1d_Tensor *x, int dim, int descending, m1d_Tensor **indices);
m1d_Tensor *m1d_topk (m1d_Tensor *x, int64_t k, int dim, int largest, m1d_Tensor **indices);
/* torch.linalg.vector_norm: (sum |x|^p)^(1/p) over dim (dim < 0: all elements), p > 0 or
   INFINITY (max |x|, the gradient shared among ties); the gradient at a zero norm is 0. */
m1d_Tensor *m1d_vector_norm (m1d_Tensor *x, double p, int dim, int keepdim);

/* ---- shape and indexing (ops_shape.c) ---- */
m1d_Tensor *m1d_reshape (m1d_Tensor *x, int ndim, const int64_t *shape);  /* one -1 allowed */
m1d_Tensor *m1d_narrow (m1d_Tensor *x, int dim, int64_t start, int64_t len);
m1d_Tensor *m1d_narrow_pad (m1d_Tensor *g, int ndim, const int64_t *shape, int dim, int64_t start);
m1d_Tensor *m1d_select (m1d_Tensor *x, int dim, int64_t i);              /* removes dim */
m1d_Tensor *m1d_permute (m1d_Tensor *x, const int *perm);
m1d_Tensor *m1d_transpose (m1d_Tensor *x, int d0, int d1);
m1d_Tensor *m1d_expand (m1d_Tensor *x, int ndim, const int64_t *shape);   /* -1 keeps a size */
m1d_Tensor *m1d_unsqueeze (m1d_Tensor *x, int dim);
m1d_Tensor *m1d_squeeze (m1d_Tensor *x, int dim);                        /* dim < 0: all size-1 */
m1d_Tensor *m1d_contiguous (m1d_Tensor *x);
m1d_Tensor *m1d_clone (m1d_Tensor *x);
m1d_Tensor *m1d_alias (m1d_Tensor *x);     /* a new view of x with an identity node */
m1d_Tensor *m1d_cast (m1d_Tensor *x, m1d_DType dt);
m1d_Tensor *m1d_cat (int n, m1d_Tensor **xs, int dim);
m1d_Tensor *m1d_stack (int n, m1d_Tensor **xs, int dim);
m1d_Tensor *m1d_index_select (m1d_Tensor *x, int dim, m1d_Tensor *idx);
m1d_Tensor *m1d_index_add (m1d_Tensor *base, int dim, m1d_Tensor *idx, m1d_Tensor *src);
m1d_Tensor *m1d_gather (m1d_Tensor *x, int dim, m1d_Tensor *idx);
m1d_Tensor *m1d_scatter_add (m1d_Tensor *base, int dim, m1d_Tensor *idx, m1d_Tensor *src);
m1d_Tensor *m1d_flip (m1d_Tensor *x, int dim);
/* im2col for 1-D signals: x [N,C,L] -> [N, C*k, Lout], zero padding p on both ends. */
m1d_Tensor *m1d_unfold1d (m1d_Tensor *x, int64_t k, int64_t stride, int64_t pad);
m1d_Tensor *m1d_fold1d (m1d_Tensor *cols, int64_t L, int64_t k, int64_t stride, int64_t pad);

/* ---- linear algebra (ops_linalg.c) ---- */
m1d_Tensor *m1d_matmul (m1d_Tensor *a, m1d_Tensor *b);   /* 2-D or batched, broadcast */
m1d_Tensor *m1d_bmm (m1d_Tensor *a, m1d_Tensor *b);      /* [B,n,k] @ [B,k,m], same B */
m1d_Tensor *m1d_linear (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b);  /* x W^T + b; b may be NULL */

/* ---- layers and losses (ops_nn.c) ---- */
m1d_Tensor *m1d_onehot (m1d_Tensor *labels, int64_t k, m1d_DType dt);
m1d_Tensor *m1d_cross_entropy (m1d_Tensor *logits, m1d_Tensor *labels);   /* mean over rows */
/* Its gradient as one differentiable op: (softmax(x) - onehot(labels)) * g / N, x [N,K],
   g a one-element tensor (the upstream gradient of the loss). */
m1d_Tensor *m1d_cross_entropy_backward (m1d_Tensor *x, m1d_Tensor *labels, m1d_Tensor *g);
/* Softmax's Jacobian (rows of x [N,K]) times v [N,K]: p * (v - rowsum(v * p)), p = softmax(x, 1). */
m1d_Tensor *m1d_softmax_jvp (m1d_Tensor *x, m1d_Tensor *v);
m1d_Tensor *m1d_nll (m1d_Tensor *logp, m1d_Tensor *labels);
m1d_Tensor *m1d_mse (m1d_Tensor *a, m1d_Tensor *b);                      /* mean over elements */
/* The layout of conv1d's activations: NCL is [batch, channels, length], as torch; CLN is
   [channels, length, batch], which m1d's CNN models keep between their layers (its
   columns are copies of whole rows, and the GEMM writes the output in place). */
typedef enum { M1D_NCL = 0, M1D_CLN = 1 } m1d_ConvLayout;
m1d_Tensor *m1d_conv1d (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad,
                        m1d_ConvLayout layout);
/* The two other products of a convolution (ops_conv1d.c), the gradients of conv1d in its input
   and its weight; differentiable to any order, fused at every order.
   conv_transpose1d: x [N,I,Lin], w [I,O,k], b [O] or NULL -> [N,O,(Lin-1)*stride - 2*pad + k +
   output_padding], as torch.nn.functional.conv_transpose1d (0 <= output_padding < stride).
   conv1d_weight_grad: x [N,C,L], g [N,O,Lout] -> [O,C,k], the weight gradient of conv1d(x, w)
   for the upstream gradient g (torch.nn.grad.conv1d_weight).
   In the CLN layout every [N, C, L] above reads [C, L, N].
   conv1d_composed: conv1d from unfold1d, matmul and reshapes, the reference for the tests. */
m1d_Tensor *m1d_conv_transpose1d (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad,
                                  int64_t output_padding, m1d_ConvLayout layout);
m1d_Tensor *m1d_conv1d_weight_grad (m1d_Tensor *x, m1d_Tensor *g, int64_t k, int64_t stride, int64_t pad,
                                    m1d_ConvLayout layout);
m1d_Tensor *m1d_conv1d_composed (m1d_Tensor *x, m1d_Tensor *w, m1d_Tensor *b, int64_t stride, int64_t pad);
m1d_Tensor *m1d_max_pool1d (m1d_Tensor *x, int64_t k, int64_t stride, m1d_ConvLayout layout);
m1d_Tensor *m1d_avg_pool1d (m1d_Tensor *x, int64_t k, int64_t stride, m1d_ConvLayout layout);
m1d_Tensor *m1d_lp_pool1d (m1d_Tensor *x, double p, int64_t k, int64_t stride, m1d_ConvLayout layout);
/* Normalisation (ops_norm.c): (x - mean) / sqrt(var + eps), biased variance.  layer_norm
   over the last ndims dims of each sample; batch_norm over every dim but 1 of [N, C] or
   [N, C, L], also giving the batch's mean and biased variance [C] (float64, no gradient;
   mean/var may be NULL).  m1d_normalize_composed: the same of x viewed as [A, C, B] over
   dims 0 and 2, made of differentiable ops (the fused ops' higher-order rebuild). */
m1d_Tensor *m1d_layer_norm (m1d_Tensor *x, int ndims, double eps);
m1d_Tensor *m1d_batch_norm (m1d_Tensor *x, double eps, m1d_Tensor **mean, m1d_Tensor **var);
m1d_Tensor *m1d_normalize_composed (m1d_Tensor *x, int64_t A, int64_t C, int64_t B, double eps);
/* The same pools composed of unfold1d and reductions: the rebuild of the fused pools'
   higher-order gradients and the tests' reference (ops_pool.c). */
m1d_Tensor *m1d_max_pool1d_composed (m1d_Tensor *x, int64_t k, int64_t stride);
m1d_Tensor *m1d_avg_pool1d_composed (m1d_Tensor *x, int64_t k, int64_t stride);
m1d_Tensor *m1d_lp_pool1d_composed (m1d_Tensor *x, double p, int64_t k, int64_t stride);
/* One GRU direction over a sequence (ops_gru.c): x [B,T,I], h0 [B,H] or NULL,
   w_ih [3H,I], w_hh [3H,H], b_ih, b_hh [3H] -> all hidden states [B,T,H]. */
m1d_Tensor *m1d_gru (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                     m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse);
/* The GRU's first-order gradients for an upstream gradient gy [B,T,H] (ops_gru.c), as one
   differentiable op (its backward fused too): grads[0..5] = d<gy, gru(...)>/d(x, h0, w_ih,
   w_hh, b_ih, b_hh), new references (grads[1] NULL without h0), views of one packed
   tensor.  0, or -1 with a message. */
int m1d_gru_backward (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh, m1d_Tensor *b_ih,
                      m1d_Tensor *b_hh, m1d_Tensor *gy, int reverse, m1d_Tensor *grads[6]);

/* One LSTM direction over a sequence (ops_lstm.c): x [B,T,I], h0, c0 [B,H] or NULL,
   w_ih [4H,I], w_hh [4H,H] (gates i, f, g, o), b_ih, b_hh [4H] or NULL -> [B,T,2H], the
   hidden state then the cell state of every step.  Fused, its first-order backward too;
   higher orders through m1d_lstm_composed, the same made of differentiable ops. */
m1d_Tensor *m1d_lstm (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *c0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                      m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse);
m1d_Tensor *m1d_lstm_composed (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *c0, m1d_Tensor *w_ih,
                               m1d_Tensor *w_hh, m1d_Tensor *b_ih, m1d_Tensor *b_hh, int reverse);

/* One Elman RNN direction over a sequence (ops_rnn.c): h' = act(W_ih x + b_ih + W_hh h + b_hh),
   act tanh (relu = 0) or relu; x [B,T,I], h0 [B,H] or NULL, w_ih [H,I], w_hh [H,H], b_ih,
   b_hh [H] or NULL -> every state [B,T,H].  Fused, its first-order backward too; higher
   orders through m1d_rnn_composed, the same made of differentiable ops. */
m1d_Tensor *m1d_rnn (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh, m1d_Tensor *b_ih,
                     m1d_Tensor *b_hh, int relu, int reverse);
m1d_Tensor *m1d_rnn_composed (m1d_Tensor *x, m1d_Tensor *h0, m1d_Tensor *w_ih, m1d_Tensor *w_hh,
                              m1d_Tensor *b_ih, m1d_Tensor *b_hh, int relu, int reverse);

/* A 1 -> H -> 1 tanh MLP on every element of x and its first nder (0..3) derivatives
   (ops_pointwise_mlp.c): out[k] = sum_j w2_j w1_j^k tanh^(k)(w1_j x + b1_j), shape [nder+1, x...];
   w1, b1, w2 hold H elements each (e.g. Linear(1, H) and Linear(H, 1) weights). */
m1d_Tensor *m1d_pointwise_mlp (m1d_Tensor *x, m1d_Tensor *w1, m1d_Tensor *b1, m1d_Tensor *w2, int nder);
/* Sums of tanh derivatives over a 1 -> H tanh layer, z_ij = a_j x_i + b_j, row r of order
   orders[r] in 0 .. M1D_TANH_MAXORDER (ops_tanh_sums.c); x [N], a [H], b [H]:
   tanh_hsum: c [R, H] -> [R, N], out[r,i] = sum_j c[r,j] tanh^(orders[r])(z_ij)
   tanh_xsum: w [R, N] -> [R, H], out[r,j] = sum_i w[r,i] tanh^(orders[r])(z_ij)
   Fused, at every order of derivative. */
#define M1D_TANH_MAXORDER 15
m1d_Tensor *m1d_tanh_hsum (m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *c, int R, const int *orders);
m1d_Tensor *m1d_tanh_xsum (m1d_Tensor *x, m1d_Tensor *a, m1d_Tensor *b, m1d_Tensor *w, int R, const int *orders);

/* Dtype checks shared by the op files. */
int m1d_check_float (const char *op, const m1d_Tensor *x);
m1d_DType m1d_promote (m1d_DType a, m1d_DType b);

#endif
