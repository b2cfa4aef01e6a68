"""tools/make_attention_fixtures.py -- PyTorch references for m1d.bmm, the batched matmul,
nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.models.transformer, written into
tests/fixtures/attention/<case>/ (read by tests/lua/attention_test.lua).

    /usr/bin/python3 tools/make_attention_fixtures.py        (from the repository root)

Debian's python3-torch (1.13) and python3-numpy.  The layout is tools/make_layer_fixtures.py's:
each case has case.txt and float64 .npy files; for differentiable inputs a, b, ...:
out = f(a, b, ...), grad_a = d sum(out * gout) / da for the upstream gradient gout, and with
s = sum_i sum(grad_i * v_i), ggrad_a = ds/da and ggrad_gout = ds/dgout (second order).
torch.autograd.gradcheck and gradgradcheck verify each function first.  A module's
parameters are inputs too, named as torch's named_parameters with "." -> "_", in that order
(which is m1d's parameter order).  The attention cases' out is the output and the averaged
attention weights, flattened and concatenated, so both are compared with their derivatives.
Modules run in eval mode (dropout off).  Boolean masks are stored as int64 0/1 (m1d's
boolean masks), float masks as float64.
"""
import os

import numpy as np
import torch
from torch.nn.utils.stateless import functional_call

OUT = os.path.join("tests", "fixtures", "attention")
rng = np.random.default_rng(20261204)


def t64(a, grad=True):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def tnp(t):
    return t.detach().clone().numpy()


def write(case, what, files):
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    lines = []
    for name, arr, meaning in files:
        arr = np.ascontiguousarray(arr)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        np.save(os.path.join(d, name + ".npy"), arr)
        shape = "[" + ", ".join(str(k) for k in arr.shape) + "]"
        lines.append("  %-28s %-14s %-8s %s" % (name + ".npy", shape, str(arr.dtype), meaning))
    with open(os.path.join(d, "case.txt"), "w") as f:
        f.write("Case %s  (tools/make_attention_fixtures.py, torch %s, float64, CPU)\n\n%s\n\n"
                "Files (name, shape, dtype, meaning):\n%s\n" % (case, torch.__version__, what, "\n".join(lines)))
    print("wrote", d)


def derivative_files(fn, inputs, names, extra=(), second=True):
    """out, grad_*, v_*, ggrad_* and gout/ggrad_gout of fn(*inputs), verified first."""
    assert torch.autograd.gradcheck(fn, inputs), "gradcheck"
    if second:
        assert torch.autograd.gradgradcheck(fn, inputs), "gradgradcheck"
    out = fn(*inputs)
    gout = t64(rng.normal(size=out.shape))
    grads = torch.autograd.grad((out * gout).sum(), inputs, create_graph=True)
    files = [(n, tnp(x), "input") for n, x in zip(names, inputs)]
    files += list(extra)
    files += [("out", tnp(out), "forward output"), ("gout", tnp(gout), "upstream gradient, out's shape")]
    vs = [torch.tensor(rng.normal(size=x.shape), dtype=torch.float64) for x in inputs]
    if second:
        s = sum((g * v).sum() for g, v in zip(grads, vs))
        gg = torch.autograd.grad(s, list(inputs) + [gout], allow_unused=True)
        gg = [torch.zeros_like(x) if g is None else g for g, x in zip(gg, list(inputs) + [gout])]
    for i, (n, g) in enumerate(zip(names, grads)):
        files.append(("grad_" + n, tnp(g), "d sum(out * gout) / d" + n))
        if second:
            files += [("v_" + n, tnp(vs[i]), "direction for the second order"),
                      ("ggrad_" + n, tnp(gg[i]), "ds/d%s, s = sum_i sum(grad_i * v_i)" % n)]
    if second:
        files.append(("ggrad_gout", tnp(gg[-1]), "ds/dgout"))
    return files


def randomize(module, scale=0.5):
    """Parameters drawn at random (biases not zero, norms not ones), float64, as leaves."""
    module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.normal(size=p.shape) * scale))
    names = [n for n, _ in module.named_parameters()]
    params = [t64(tnp(p)) for _, p in module.named_parameters()]
    return names, params


def module_fn(module, names, n_inputs, call):
    """fn(*inputs, *params) -> call(module with those params, *inputs)."""
    def fn(*args):
        inputs, params = args[:n_inputs], args[n_inputs:]
        return call(lambda *a, **k: functional_call(module, dict(zip(names, params)), a, k), *inputs)
    return fn


def bmm_case():
    a, b = t64(rng.normal(size=(3, 2, 4))), t64(rng.normal(size=(3, 4, 5)))
    write("bmm", "torch.bmm(a [3,2,4], b [3,4,5]).", derivative_files(torch.bmm, (a, b), ["a", "b"]))


def matmul_4d_case():
    a, b = t64(rng.normal(size=(2, 3, 4, 5))), t64(rng.normal(size=(3, 5, 2)))
    write("matmul_4d", "torch.matmul(a [2,3,4,5], b [3,5,2]): the batch dims broadcast ([2,3] with [3]).",
          derivative_files(torch.matmul, (a, b), ["a", "b"]))


def mha_case(case, E, H, q_shape, kv_shape=None, batch_first=False, bias=True, attn_mask=None, kpm=None,
             average=True, kdim=None, vdim=None, v_shape=None):
    """v_shape: value's shape when it differs from key's (kv_shape), with kdim/vdim."""
    mha = torch.nn.MultiheadAttention(E, H, batch_first=batch_first, bias=bias, kdim=kdim, vdim=vdim)
    names, params = randomize(mha)
    mha.eval()
    q = t64(rng.normal(size=q_shape))
    ins, in_names = [q], ["query"]
    if kv_shape is not None:
        ins += [t64(rng.normal(size=kv_shape)), t64(rng.normal(size=v_shape or kv_shape))]
        in_names += ["key", "value"]
    masks = {}
    if attn_mask is not None:
        masks["attn_mask"] = attn_mask
    if kpm is not None:
        masks["key_padding_mask"] = kpm

    def call(m, *xs):
        k = xs[1] if len(xs) > 1 else xs[0]
        v = xs[2] if len(xs) > 1 else xs[0]
        out, w = m(xs[0], k, v, need_weights=True, average_attn_weights=average, **masks)
        return torch.cat([out.reshape(-1), w.reshape(-1)])

    fn = module_fn(mha, names, len(ins), call)
    pnames = [n.replace(".", "_") for n in names]
    extra = []
    for key, m in masks.items():
        extra.append((key, m.numpy().astype(np.int64) if m.dtype == torch.bool else m.numpy(),
                      "int64 0/1 (torch bool, 1 = masked)" if m.dtype == torch.bool else "additive float mask"))
    out, w = functional_call(mha, dict(zip(names, params)), tuple(ins if len(ins) == 3 else [q, q, q]),
                             dict(need_weights=True, average_attn_weights=average, **masks))
    extra += [("attn_out", tnp(out), "the attention output alone"), ("attn_weights", tnp(w), "the weights alone")]
    files = derivative_files(fn, tuple(ins + params), in_names + pnames, extra)
    desc = ("nn.MultiheadAttention(%d, %d, batch_first=%s, bias=%s%s) in eval mode, query %s%s%s%s%s; out is\n"
            "cat(output.flatten(), weights.flatten()) (weights %s)."
            % (E, H, batch_first, bias, "" if kdim is None else ", kdim=%d, vdim=%d" % (kdim, vdim), list(q_shape),
               "" if kv_shape is None else ", key/value %s" % list(kv_shape) if v_shape is None
               else ", key %s, value %s" % (list(kv_shape), list(v_shape)),
               " (self-attention: key = value = query)" if kv_shape is None else "",
               ", attn_mask" if attn_mask is not None else "", ", key_padding_mask" if kpm is not None else "",
               "averaged over heads" if average else "per head"))
    write(case, desc, files)


def encoder_case(case, d, H, ff, x_shape, second=True, kpm=None, src_mask=None, **kw):
    layer = torch.nn.TransformerEncoderLayer(d, H, dim_feedforward=ff, **kw)
    names, params = randomize(layer)
    layer.eval()
    x = t64(rng.normal(size=x_shape))
    masks = {}
    if kpm is not None:
        masks["src_key_padding_mask"] = kpm
    if src_mask is not None:
        masks["src_mask"] = src_mask
    fn = module_fn(layer, names, 1, lambda m, x: m(x, **masks))
    extra = [(k, m.numpy().astype(np.int64) if m.dtype == torch.bool else m.numpy(), "mask") for k, m in masks.items()]
    files = derivative_files(fn, tuple([x] + params), ["x"] + [n.replace(".", "_") for n in names], extra, second)
    write(case, "nn.TransformerEncoderLayer(%d, %d, dim_feedforward=%d, %s) in eval mode on x %s%s."
          % (d, H, ff, ", ".join("%s=%s" % kv for kv in kw.items()), list(x_shape),
             "".join(", " + k for k in masks)), files)


class Transformer(torch.nn.Module):
    """nn.models.transformer as m1d builds it (experiments/peer/models.py has the same)."""

    def __init__(self, d=32, heads=4, ff=64, layers=2, length=40, positional=True):
        super().__init__()
        self.embed = torch.nn.Linear(1, d)
        self.pos = torch.nn.Parameter(torch.zeros(length, d)) if positional else None
        self.layers = torch.nn.ModuleList([torch.nn.TransformerEncoderLayer(
            d, heads, dim_feedforward=ff, dropout=0.0, batch_first=True, norm_first=True) for _ in range(layers)])
        self.norm = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, 10)

    def forward(self, x):
        h = self.embed(x.reshape(x.shape[0], x.shape[1], 1))
        if self.pos is not None:
            h = h + self.pos
        for layer in self.layers:
            h = layer(h)
        return self.head(self.norm(h).mean(1))


def model_case():
    model = Transformer(d=8, heads=2, ff=12, layers=2, length=40)
    names, params = randomize(model)
    model.eval()
    x = t64(rng.normal(size=(3, 40)))
    fn = module_fn(model, names, 1, lambda m, x: m(x))
    files = derivative_files(fn, tuple([x] + params), ["x"] + ["p%02d" % (i + 1) for i in range(len(params))],
                             second=False)
    write("model_transformer", "nn.models.transformer{d_model = 8, heads = 2, dim_feedforward = 12} (2 pre-norm\n"
          "encoder layers, learned positions, final LayerNorm, mean over positions, Linear head) on x [3, 40];\n"
          "parameters p01.. in m1d's order (%s)." % ", ".join(names), files)


def main():
    torch.manual_seed(0)
    bmm_case()
    matmul_4d_case()
    mha_case("mha_self", 6, 2, (4, 2, 6))
    L, S = 3, 5
    kpm = torch.tensor([[False, False, True, False, True], [False, False, False, False, False]])
    mha_case("mha_cross_masks", 6, 3, (2, L, 6), (2, S, 6), batch_first=True,
             attn_mask=torch.tensor(rng.normal(size=(L, S))), kpm=kpm)
    causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    mha_case("mha_causal_unbatched_nobias", 4, 2, (4, 4), bias=False, attn_mask=causal, average=False)
    encoder_case("encoder_post_relu", 6, 2, 8, (4, 2, 6), dropout=0.1)
    encoder_case("encoder_pre_gelu_masked", 6, 2, 8, (2, 4, 6), kpm=torch.tensor([[False, False, False, True],
                                                                                 [False, False, False, False]]),
                 activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-3)
    model_case()
    # appended after every earlier case, so that their random draws (and files) stay the same
    mha_case("mha_kdim_vdim", 6, 2, (3, 2, 6), (4, 2, 5), kdim=5, vdim=3, v_shape=(4, 2, 3),
             kpm=torch.tensor([[False, True, False, False], [False, False, False, True]]))
    mha_case("mha_kdim_vdim_nobias_bf", 4, 2, (2, 3, 4), (2, 5, 2), batch_first=True, bias=False, kdim=2, vdim=7,
             v_shape=(2, 5, 7))


if __name__ == "__main__":
    main()
