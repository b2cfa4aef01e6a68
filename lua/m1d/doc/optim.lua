-- The reference: Optimizers (m1d.optim).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Optimizers (m1d.optim)", key = "optim",
  entries = {
    {"m1d.optim.SGD", "optim.SGD(params, {lr =, momentum = 0, weight_decay = 0}) -> opt",
     "`opt:step()` updates in place from `.grad`; `opt:zero_grad()`."},
    {"m1d.optim.Adam", "optim.Adam(params, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8}) -> opt",
     "Adam."},
    {"m1d.optim.sgd_step", "optim.sgd_step(params, grads, lr) -> {new params}",
     "Functional SGD: new tensors p - lr * g (lr may be a tensor that requires grad)."},
  },
}
