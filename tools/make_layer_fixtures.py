"""tools/make_layer_fixtures.py -- PyTorch references for m1d.nn's BatchNorm1d, LayerNorm,
Embedding, Softmax, LogSoftmax, Dropout, RNN, LSTM and GRU, written into
tests/fixtures/layers/<case>/ (read by tests/lua/layers_test.lua), the recurrent layers into
tests/fixtures/recurrent/<case>/ (read by tests/lua/recurrent_test.lua), and for the
elementwise ops of src/ops_elementwise_table.h that have no case in tests/fixtures/torch/
(sin, cos, log1p, expm1, floor, ceil, round), written into tests/fixtures/elementwise/<op>/
(read by tests/lua/elementwise_ops_test.lua).

    /usr/bin/python3 tools/make_layer_fixtures.py        (from the repository root)

Debian's python3-torch (1.13) and python3-numpy.  Layout as tests/fixtures/torch/: each case
has case.txt (what it computes, its files) and float64 .npy files; scalars are stored as [1].
For a case with differentiable inputs a, b, ...: out = layer(a, b, ...) for the upstream
gradient gout; grad_a = d sum(out * gout) / da; with s = sum_i sum(grad_i * v_i),
ggrad_a = ds/da and ggrad_gout = ds/dgout (second order).  torch.autograd.gradcheck and
gradgradcheck verify each function against central differences before anything is written.
Indices are stored 0-based as torch takes them (idx.npy) and 1-based as m1d takes them
(idx1.npy); Embedding's padding_idx likewise (padding_idx.npy, padding_idx1.npy).  Dropout's masks come from different generators, so its case stores statistics:
the zero fraction and the value kept elements take, and that eval mode is the identity.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join("tests", "fixtures", "layers")
OUT_ELEMENTWISE = os.path.join("tests", "fixtures", "elementwise")
OUT_RECURRENT = os.path.join("tests", "fixtures", "recurrent")
rng = np.random.default_rng(20261203)


def t64(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def tnp(t):
    # clone: a ZeroTensor from torch 1.13's double backward has no real storage
    return t.detach().clone().numpy()


def write(case, what, files, root=OUT):
    d = os.path.join(root, case)
    os.makedirs(d, exist_ok=True)
    lines = []
    for name, arr, meaning in files:
        arr = np.ascontiguousarray(arr)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        np.save(os.path.join(d, name + ".npy"), arr)
        shape = "[" + ", ".join(str(k) for k in arr.shape) + "]"
        lines.append("  %-22s %-14s %-8s %s" % (name + ".npy", shape, str(arr.dtype), meaning))
    with open(os.path.join(d, "case.txt"), "w") as f:
        f.write("Case %s  (tools/make_layer_fixtures.py, torch %s, float64, CPU)\n\n%s\n\n"
                "Files (name, shape, dtype, meaning):\n%s\n" % (case, torch.__version__, what, "\n".join(lines)))
    print("wrote", d)


def derivative_files(fn, inputs, names, extra=(), check=True):
    """out, grad_*, v_*, ggrad_* and gout/ggrad_gout of fn(*inputs), verified first (unless
    check=False: for a gradient that differs from the function's derivative by design)."""
    if check:
        assert torch.autograd.gradcheck(fn, inputs), "gradcheck"
        assert torch.autograd.gradgradcheck(fn, inputs), "gradgradcheck"
    out = fn(*inputs)
    gout = t64(rng.normal(size=out.shape))
    grads = torch.autograd.grad((out * gout).sum(), inputs, create_graph=True)
    vs = [torch.tensor(rng.normal(size=x.shape), dtype=torch.float64) for x in inputs]
    s = sum((g * v).sum() for g, v in zip(grads, vs))
    # floor's gradient is constant zeros in torch (no graph): every second-order term is 0
    gg = (torch.autograd.grad(s, list(inputs) + [gout], allow_unused=True) if s.requires_grad
          else [None] * (len(inputs) + 1))
    gg = [torch.zeros_like(x) if g is None else g for g, x in zip(gg, list(inputs) + [gout])]
    files = [(n, tnp(x), "input") for n, x in zip(names, inputs)]
    files += list(extra)
    files += [("out", tnp(out), "forward output"), ("gout", tnp(gout), "upstream gradient, out's shape")]
    for n, g, v, ggi in zip(names, grads, vs, gg):
        files += [("grad_" + n, tnp(g), "d sum(out * gout) / d" + n),
                  ("v_" + n, tnp(v), "direction for the second order"),
                  ("ggrad_" + n, tnp(ggi), "ds/d%s, s = sum_i sum(grad_i * v_i)" % n)]
    files.append(("ggrad_gout", tnp(gg[-1]), "ds/dgout"))
    return files


def batchnorm_train(case, shape, momentum):
    C = shape[1]
    x = t64(rng.normal(size=shape) * 2 + 0.5)
    w, b = t64(rng.normal(size=C)), t64(rng.normal(size=C))
    rm0, rv0 = rng.normal(size=C), rng.uniform(0.5, 2, size=C)

    def fn(x, w, b):   # fresh running statistics each call: gradcheck calls it many times
        return F.batch_norm(x, torch.tensor(rm0), torch.tensor(rv0), w, b, True, momentum, 1e-5)

    files = derivative_files(fn, (x, w, b), ["x", "weight", "bias"],
                             [("running_mean0", rm0, "running mean before the call"),
                              ("running_var0", rv0, "running variance before the call")])
    rm, rv = torch.tensor(rm0), torch.tensor(rv0)
    F.batch_norm(x.detach(), rm, rv, w.detach(), b.detach(), True, momentum, 1e-5)
    files += [("running_mean", rm.numpy(), "running mean after the call"),
              ("running_var", rv.numpy(), "running variance after the call (unbiased batch variance)")]
    write(case, "nn.BatchNorm1d(%d, momentum=%g) in train mode on x %s: batch statistics; the running\n"
          "statistics (given) updated with momentum." % (C, momentum, list(shape)), files)


def batchnorm_eval(case, shape):
    C = shape[1]
    x = t64(rng.normal(size=shape))
    w, b = t64(rng.normal(size=C)), t64(rng.normal(size=C))
    rm, rv = rng.normal(size=C), rng.uniform(0.5, 2, size=C)

    def fn(x, w, b):
        return F.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, False, 0.1, 1e-5)

    files = derivative_files(fn, (x, w, b), ["x", "weight", "bias"],
                             [("running_mean", rm, "running mean (used, not changed)"),
                              ("running_var", rv, "running variance (used, not changed)")])
    write(case, "nn.BatchNorm1d(%d) in eval mode on x %s: normalised with the running statistics."
          % (C, list(shape)), files)


def batchnorm_cumulative(case, C, shapes, eval_shape):
    """nn.BatchNorm1d(C, momentum=None): the running statistics are the cumulative average
    of every batch's (factor 1/num_batches_tracked); then eval mode on them."""
    bn = torch.nn.BatchNorm1d(C, momentum=None).double()
    ref = torch.nn.BatchNorm1d(C).double()      # momentum 0.1: it counts the batches too
    files = []
    for k, shape in enumerate(shapes, 1):
        xk = rng.normal(size=shape) * k + k
        bn(torch.tensor(xk))
        ref(torch.tensor(xk))
        files += [("x%d" % k, xk, "training batch %d" % k),
                  ("running_mean%d" % k, bn.running_mean.numpy().copy(), "running mean after batch %d" % k),
                  ("running_var%d" % k, bn.running_var.numpy().copy(), "running variance after batch %d" % k)]
    bn.eval()
    ref.eval()
    x = t64(rng.normal(size=eval_shape) * 2 + 1)
    bn(x.detach())                               # eval mode: counts nothing
    ref(x.detach())
    files += [("num_batches_tracked", bn.num_batches_tracked.numpy(), "int64 0-dim (stored [1]): batches counted"),
              ("num_batches_tracked_momentum", ref.num_batches_tracked.numpy(),
               "the same for a BatchNorm1d(%d) with momentum 0.1 on the same batches" % C)]
    w, b = t64(rng.normal(size=C)), t64(rng.normal(size=C))
    rm, rv = bn.running_mean.clone(), bn.running_var.clone()

    def fn(x, w, b):
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, False, 0.1, 1e-5)

    files = derivative_files(fn, (x, w, b), ["x", "weight", "bias"], files)
    write(case, "nn.BatchNorm1d(%d, momentum=None) trained on batches %s (x1, x2, ... in order), then in\n"
          "eval mode on x %s with weight and bias given: the cumulative running statistics normalise."
          % (C, [list(sh) for sh in shapes], list(eval_shape)), files)


def layernorm(case, xshape, nshape):
    x = t64(rng.normal(size=xshape) * 3 - 1)
    w, b = t64(rng.normal(size=nshape)), t64(rng.normal(size=nshape))
    files = derivative_files(lambda x, w, b: F.layer_norm(x, nshape, w, b, 1e-5), (x, w, b),
                             ["x", "weight", "bias"])
    write(case, "nn.LayerNorm(%s) on x %s." % (list(nshape), list(xshape)), files)


def embedding(case):
    idx = torch.tensor(rng.integers(0, 7, size=(3, 5)), dtype=torch.int64)
    idx[0, 0], idx[2, 4] = 0, 6        # both ends of the range
    w = t64(rng.normal(size=(7, 4)))
    files = derivative_files(lambda w: F.embedding(idx, w), (w,), ["weight"],
                             [("idx", idx.numpy(), "int64 indices, 0-based (torch)"),
                              ("idx1", idx.numpy() + 1, "the same, 1-based (m1d)")])
    write(case, "nn.Embedding(7, 4) at idx [3, 5] -> out [3, 5, 4].", files)


def embedding_padding(case, n, d, padding_idx):
    """F.embedding with padding_idx: the row is looked up as it is (not zero here) but gets no
    gradient; padding_idx is stored as torch takes it and as m1d does (1-based; negative the same)."""
    idx = torch.tensor(rng.integers(0, n, size=(4, 3)), dtype=torch.int64)
    row = padding_idx % n
    idx[0, 1], idx[3, 0], idx[2, 2] = row, row, (row + 1) % n
    w = t64(rng.normal(size=(n, d)))
    # not gradcheck'd: the padding row's gradient is zero by design, not its derivative;
    # the other rows' are the plain embedding's, which the embedding case checks
    files = derivative_files(lambda w: F.embedding(idx, w, padding_idx=padding_idx), (w,), ["weight"],
                             [("idx", idx.numpy(), "int64 indices, 0-based (torch)"),
                              ("idx1", idx.numpy() + 1, "the same, 1-based (m1d)"),
                              ("padding_idx", np.array(padding_idx, dtype=np.int64), "torch's padding_idx"),
                              ("padding_idx1", np.array(padding_idx + 1 if padding_idx >= 0 else padding_idx,
                                                        dtype=np.int64), "m1d's (1-based; negative: the same)")],
                             check=False)
    module = torch.nn.Embedding(n, d, padding_idx=padding_idx)
    assert torch.count_nonzero(module.weight[row]) == 0, "the padding row starts at zeros"
    write(case, "nn.Embedding(%d, %d, padding_idx=%d) (weight given, its padding row not zero) at idx [4, 3];\n"
          "the padding row is looked up as it is and gets no gradient." % (n, d, padding_idx), files)


def embedding_freq(case, n, d, padding_idx):
    """F.embedding with scale_grad_by_freq (and padding_idx): each row's gradient divided by
    the times idx looks it up.  Not gradcheck'd (the gradient is scaled by design).  torch
    1.13's double backward ignores the scale (embedding_dense_double_backward: "the first
    backward takes care of scaling"), so its ggrad_gout is v_weight[idx] unscaled; m1d's is
    the derivative of its scaled gradient, v_weight[idx] / count; the test checks that relation."""
    idx = torch.tensor([[0, 3, 3, 1], [3, 0, 5, 1], [2, 3, 1, 0]], dtype=torch.int64)
    w = t64(rng.normal(size=(n, d)))
    files = derivative_files(lambda w: F.embedding(idx, w, padding_idx=padding_idx, scale_grad_by_freq=True), (w,),
                             ["weight"], [("idx", idx.numpy(), "int64 indices, 0-based (torch)"),
                                          ("idx1", idx.numpy() + 1, "the same, 1-based (m1d)")], check=False)
    write(case, "nn.Embedding(%d, %d, padding_idx=%d, scale_grad_by_freq=True) (weight given) at idx [3, 4];\n"
          "ids 0 and 3 repeat.  ggrad_gout is torch's, which leaves out the 1/count scale (see the script)."
          % (n, d, padding_idx), files)


def embedding_max_norm(case, n, d, max_norm, norm_type):
    """F.embedding with max_norm: the rows looked up whose norm exceeds max_norm are scaled in
    place (torch.embedding_renorm_ under no_grad) before the lookup; first order only (after
    the renorm it is the plain lookup, whose second order the embedding case covers)."""
    idx = torch.tensor([[0, 2, 2], [5, 0, 3]], dtype=torch.int64)
    w0 = rng.normal(size=(n, d)) * np.array([2.0, 0.3, 2.0, 0.1, 3.0, 1.5, 0.2])[:n, None]
    w = t64(w0.copy())
    out = F.embedding(idx, w, max_norm=max_norm, norm_type=norm_type)
    gout = torch.tensor(rng.normal(size=out.shape), dtype=torch.float64)
    grad, = torch.autograd.grad((out * gout).sum(), w)
    norms = np.linalg.norm(w0, ord=norm_type, axis=1)
    assert (norms[[0, 2]] > max_norm).all() and norms[4] > max_norm and norms[3] < max_norm, "rows on both sides"
    write(case, "F.embedding(idx, weight, max_norm=%g, norm_type=%g), nn.Embedding(%d, %d)'s forward: rows 0, 2\n"
          "(looked up) exceed max_norm and are scaled to it, row 4 does too but is not looked up (unchanged),\n"
          "rows 3 and 5 (looked up) may be under it." % (max_norm, norm_type, n, d),
          [("weight0", w0, "weight before the call"), ("idx", idx.numpy(), "int64 indices, 0-based (torch)"),
           ("idx1", idx.numpy() + 1, "the same, 1-based (m1d)"), ("out", tnp(out), "forward output"),
           ("weight", tnp(w), "weight after the call (renormalised in place)"),
           ("gout", tnp(gout), "upstream gradient"), ("grad_weight", tnp(grad), "d sum(out * gout) / dweight")])


def softmax(case, shape, dim, log):
    x = t64(rng.normal(size=shape) * 2)
    f = F.log_softmax if log else F.softmax
    files = derivative_files(lambda x: f(x, dim), (x,), ["x"])
    write(case, "nn.%s(dim=%d) (torch, 0-based; m1d dim %d) on x %s."
          % ("LogSoftmax" if log else "Softmax", dim, dim + 1, list(shape)), files)


def dropout(case, p, n):
    torch.manual_seed(0)
    x = torch.tensor(rng.uniform(1, 2, size=n), dtype=torch.float64)
    drop = torch.nn.Dropout(p)
    y = drop(x)
    zero_fraction = (y == 0).double().mean().item()
    kept = y[y != 0] / x[y != 0]
    assert torch.allclose(kept, kept[0].expand_as(kept)), "one scale for every kept element"
    drop.eval()
    assert torch.equal(drop(x), x), "eval mode is the identity"
    write(case, "nn.Dropout(%g) on x [%d] (values in [1, 2)): statistics of torch's train-mode output."
          % (p, n),
          [("x", x.numpy(), "input"),
           ("zero_fraction", np.array(zero_fraction), "fraction of zeros in torch's output"),
           ("kept_scale", np.array(kept[0].item()), "out / x where out is not zero (1 / (1 - p))")])


def elementwise(name, fn, x, what):
    """out = fn(x) with its first and second derivatives, x [3, 5]"""
    files = derivative_files(fn, (x,), ["x"])
    write(name, "torch.%s on x [3, 5]: %s" % (name, what), files, OUT_ELEMENTWISE)


def elementwise_ops():
    # its own generator: these cases do not move the layers' random draws
    global rng
    rng, layers_rng = np.random.default_rng(20261204), rng
    # away from the integers and the halves, where floor, ceil and round jump (finite
    # differences there would see the jump); round's halves are tested in Lua
    steps = t64(rng.integers(-4, 5, size=(3, 5)) + rng.uniform(0.1, 0.4, size=(3, 5))
                * rng.choice([-1, 1], size=(3, 5)))
    elementwise("sin", torch.sin, t64(rng.normal(size=(3, 5)) * 2), "sine (radians)")
    elementwise("cos", torch.cos, t64(rng.normal(size=(3, 5)) * 2), "cosine (radians)")
    elementwise("log1p", torch.log1p, t64(rng.uniform(-0.9, 3, size=(3, 5))), "log(1 + x), x in (-0.9, 3)")
    elementwise("expm1", torch.expm1, t64(rng.normal(size=(3, 5))), "exp(x) - 1")
    elementwise("floor", torch.floor, steps, "largest integer <= x (zero gradient)")
    elementwise("ceil", torch.ceil, steps, "smallest integer >= x (zero gradient)")
    elementwise("round", torch.round, steps, "nearest integer, halves to even (zero gradient)")
    rng = layers_rng


def recurrent(case, kind, n_in, H, B, T, with_state, unbatched=False, **kw):
    """nn.RNN / nn.LSTM / nn.GRU run functionally on the module's own initial parameters (as float64
    inputs, named as torch names them): out is the flattened output, h_n (and c_n) in one
    vector, so that one upstream gradient covers all of them.  unbatched: x [T, n_in] and
    the states [layers*dirs, H] (B unused), torch 1.13's unbatched input."""
    torch.manual_seed(len(case))
    mod = getattr(torch.nn, kind)(n_in, H, **kw).double()
    pnames = [n for n, _ in mod.named_parameters()]
    params = [t64(p.detach().numpy()) for _, p in mod.named_parameters()]
    bf = kw.get("batch_first", False)
    dirs = 2 if kw.get("bidirectional", False) else 1
    layers = kw.get("num_layers", 1)
    x = t64(rng.normal(size=(T, n_in) if unbatched else (B, T, n_in) if bf else (T, B, n_in)))
    snames = (["h0", "c0"] if kind == "LSTM" else ["h0"]) if with_state else []
    states = [t64(rng.normal(size=(layers * dirs, H) if unbatched else (layers * dirs, B, H)) * 0.5) for _ in snames]
    ns = len(states)

    def fn(x, *rest):
        st, ps = rest[:ns], rest[ns:]
        hx = None if ns == 0 else (tuple(st) if kind == "LSTM" else st[0])
        # the forward reads _flat_weights (functional_call in 1.13 does not reach it)
        mod._flat_weights = list(ps)
        out, hn = mod(x, hx)
        finals = list(hn) if kind == "LSTM" else [hn]
        return torch.cat([out.reshape(-1)] + [f.reshape(-1) for f in finals])

    files = derivative_files(fn, tuple([x] + states + params), ["x"] + snames + pnames)
    write(case, "nn.%s(%d, %d, %s) (torch's initial parameters) on %sx %s%s; out is the output, h_n%s "
          "flattened and concatenated." % (kind, n_in, H, kw, "the unbatched " if unbatched else "", list(x.shape),
                                           " with initial state " + ", ".join(snames) if ns else "",
                                           " and c_n" if kind == "LSTM" else ""), files, OUT_RECURRENT)


def main():
    batchnorm_train("batchnorm_train_2d", (6, 4), 0.1)
    batchnorm_train("batchnorm_train_3d", (5, 3, 7), 0.3)
    batchnorm_eval("batchnorm_eval_3d", (4, 3, 6))
    layernorm("layernorm_2dims", (4, 3, 5), (3, 5))
    layernorm("layernorm_last", (2, 3, 6), (6,))
    embedding("embedding")
    softmax("softmax_dim1", (3, 4, 5), 1, False)
    softmax("log_softmax_dim0", (4, 3), 0, True)
    dropout("dropout", 0.3, 5000)
    recurrent("lstm_uni_state", "LSTM", 2, 3, 3, 4, True, batch_first=True)
    recurrent("lstm_bi_2layers", "LSTM", 2, 3, 2, 3, False, batch_first=True, bidirectional=True, num_layers=2)
    recurrent("lstm_nobias_seqfirst_state", "LSTM", 3, 2, 2, 3, True, bias=False, bidirectional=True)
    recurrent("rnn_tanh_bi_2layers_state", "RNN", 2, 3, 2, 4, True, batch_first=True, bidirectional=True,
              num_layers=2)
    recurrent("rnn_relu_nobias_seqfirst", "RNN", 3, 4, 3, 3, False, nonlinearity="relu", bias=False)
    elementwise_ops()
    # appended after every earlier case, so that their random draws (and files) stay the same
    batchnorm_cumulative("batchnorm_cumulative", 3, [(5, 3, 4), (7, 3, 4), (4, 3, 4)], (3, 3, 2))
    embedding_padding("embedding_padding", 7, 4, 2)
    embedding_padding("embedding_padding_negative", 6, 3, -2)
    embedding_max_norm("embedding_max_norm", 7, 3, 1.5, 2.0)
    embedding_max_norm("embedding_max_norm_l1", 7, 3, 2.0, 1.0)
    recurrent("lstm_unbatched_bi_2layers_state", "LSTM", 2, 3, None, 4, True, unbatched=True, batch_first=True,
              bidirectional=True, num_layers=2)
    recurrent("rnn_unbatched_state", "RNN", 3, 2, None, 5, True, unbatched=True)
    embedding_freq("embedding_freq", 6, 3, 1)
    # nn.GRU's options beyond the paper's one layer (its one-layer cases are in tests/fixtures/torch/)
    recurrent("gru_bi_2layers_state", "GRU", 2, 3, 2, 4, True, batch_first=True, bidirectional=True, num_layers=2)
    recurrent("gru_nobias_seqfirst_2layers_state", "GRU", 3, 2, 3, 3, True, bias=False, num_layers=2)
    recurrent("gru_nobias_bi", "GRU", 2, 3, 2, 3, False, batch_first=True, bias=False, bidirectional=True)
    recurrent("gru_unbatched_bi_2layers_state", "GRU", 2, 3, None, 4, True, unbatched=True, batch_first=True,
              bidirectional=True, num_layers=2)
    recurrent("gru_unbatched", "GRU", 3, 2, None, 5, False, unbatched=True)


if __name__ == "__main__":
    main()
