"""tools/make_layer_fixtures.py -- PyTorch references for m1d.nn's BatchNorm1d, LayerNorm,
Embedding, Softmax, LogSoftmax, Dropout, RNN and LSTM, written into
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
(idx1.npy).  Dropout's masks come from different generators, so its case stores statistics:
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


def derivative_files(fn, inputs, names, extra=()):
    """out, grad_*, v_*, ggrad_* and gout/ggrad_gout of fn(*inputs), verified first."""
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


def recurrent(case, kind, n_in, H, B, T, with_state, **kw):
    """nn.RNN / nn.LSTM run functionally on the module's own initial parameters (as float64
    inputs, named as torch names them): out is the flattened output, h_n (and c_n) in one
    vector, so that one upstream gradient covers all of them."""
    torch.manual_seed(len(case))
    mod = getattr(torch.nn, kind)(n_in, H, **kw).double()
    pnames = [n for n, _ in mod.named_parameters()]
    params = [t64(p.detach().numpy()) for _, p in mod.named_parameters()]
    bf = kw.get("batch_first", False)
    dirs = 2 if kw.get("bidirectional", False) else 1
    layers = kw.get("num_layers", 1)
    x = t64(rng.normal(size=(B, T, n_in) if bf else (T, B, n_in)))
    snames = (["h0", "c0"] if kind == "LSTM" else ["h0"]) if with_state else []
    states = [t64(rng.normal(size=(layers * dirs, B, H)) * 0.5) for _ in snames]
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
    write(case, "nn.%s(%d, %d, %s) (torch's initial parameters) on x %s%s; out is the output, h_n%s "
          "flattened and concatenated." % (kind, n_in, H, kw, list(x.shape),
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


if __name__ == "__main__":
    main()
