/*
** optim.h — in-place optimizer updates for ordinary training (no graph).
** Each call updates one parameter tensor from its gradient and state tensors
** in a single pass, following torch.optim's formulas exactly (see optim.c).
** The differentiable, functional versions used by meta-learning are written
** with ops in lua/m1d/optim.lua.
*/
#ifndef M1D_OPTIM_H
#define M1D_OPTIM_H

#include "tensor.h"

/* buf may be NULL when momentum == 0; `first` marks the first step (buf = g). */
int m1d_sgd_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *buf, double lr,
                    double momentum, double dampening, double weight_decay, int nesterov, int first);
/* step counts from 1; amsgrad not supported; decoupled = AdamW */
int m1d_adam_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *m, m1d_Tensor *v,
                     int64_t step, double lr, double beta1, double beta2, double eps,
                     double weight_decay, int decoupled);
int m1d_rmsprop_update (m1d_Tensor *p, const m1d_Tensor *g, m1d_Tensor *sq, double lr,
                        double alpha, double eps, double weight_decay);

#endif
