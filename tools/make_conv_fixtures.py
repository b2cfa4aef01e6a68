#!/usr/bin/python3
"""make_conv_fixtures.py -- PyTorch reference fixtures for the convolution products
(tests/fixtures/torch, group 8): torch.nn.functional.conv_transpose1d with its first
and second derivatives, conv1d without bias at an odd length, and conv1d followed by
tanh to third order.  The other groups of that folder come from
bench/fixtures/make_torch_fixtures.py, which is not in this repository; this script
writes its cases in the same layout (README.md there): one folder per case, a case.txt
that lists every file, float64 .npy files, and naming x / weight / bias, gout, out,
grad_<name>, v_<name>, ggrad_<name>, ggrad_gout (plus u_<name> and gggrad_<name> for
the third order).  It then rewrites the group-8 section of README.md, and verifies
every case after writing: the forward against a loop-by-loop numpy implementation,
every derivative against central differences of the order below.

Run from the repository root with Debian's python3 (python3-torch, python3-numpy):
    /usr/bin/python3 tools/make_conv_fixtures.py [--verify]
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DIR = "tests/fixtures/torch"
BEGIN, END = "<!-- group 8 (tools/make_conv_fixtures.py): begin -->", "<!-- group 8: end -->"

# name, what, fn kind, params, shapes (x, weight, bias or None), seed
CASES = [
    ("op_conv_transpose1d_a", "transpose", dict(stride=2, padding=1, output_padding=1),
     ((2, 3, 5), (3, 2, 3), (2,)), 801),
    ("op_conv_transpose1d_b", "transpose", dict(stride=1, padding=2, output_padding=0),
     ((2, 4, 6), (4, 3, 4), None), 802),
    ("op_conv_transpose1d_c", "transpose", dict(stride=3, padding=0, output_padding=2),
     ((3, 2, 4), (2, 5, 5), (5,)), 803),
    ("op_conv1d_nobias", "conv", dict(stride=2, padding=2), ((2, 3, 11), (2, 3, 4), None), 804),
    ("op_conv1d_tanh_third", "conv_tanh", dict(stride=2, padding=1), ((2, 2, 9), (3, 2, 3), (3,)), 805),
]


def forward(kind, p, x, w, b):
    if kind == "transpose":
        return F.conv_transpose1d(x, w, b, stride=p["stride"], padding=p["padding"],
                                  output_padding=p["output_padding"])
    y = F.conv1d(x, w, b, stride=p["stride"], padding=p["padding"])
    return torch.tanh(y) if kind == "conv_tanh" else y


def numpy_forward(kind, p, x, w, b):
    """loop by loop, independent of torch"""
    s, pad = p["stride"], p["padding"]
    N, Cin, Lin = x.shape
    k = w.shape[2]
    if kind == "transpose":     # out[n, o, l*s + j - pad] += x[n, i, l] * w[i, o, j]
        Cout = w.shape[1]
        L = (Lin - 1) * s - 2 * pad + k + p["output_padding"]
        out = np.zeros((N, Cout, L))
        for n in range(N):
            for i in range(Cin):
                for o in range(Cout):
                    for l in range(Lin):
                        for j in range(k):
                            t = l * s + j - pad
                            if 0 <= t < L:
                                out[n, o, t] += x[n, i, l] * w[i, o, j]
    else:                       # out[n, o, l] = sum x[n, c, l*s + j - pad] * w[o, c, j]
        Cout = w.shape[0]
        Lo = (Lin + 2 * pad - k) // s + 1
        out = np.zeros((N, Cout, Lo))
        for n in range(N):
            for o in range(Cout):
                for l in range(Lo):
                    for c in range(Cin):
                        for j in range(k):
                            t = l * s + j - pad
                            if 0 <= t < Lin:
                                out[n, o, l] += x[n, c, t] * w[o, c, j]
    if b is not None:
        out += b[None, :, None]
    return np.tanh(out) if kind == "conv_tanh" else out


def tnp(t):
    # torch 1.13 double backwards may return a ZeroTensor whose .numpy() is garbage (README)
    if t is None:
        return None
    if t._is_zerotensor():
        return np.zeros(tuple(t.shape))
    return t.detach().clone().numpy()


def compute(kind, p, arrays, names):
    """out, first, second (and third) order results as numpy arrays, from numpy inputs"""
    ins = [torch.tensor(arrays[n], requires_grad=True) for n in names]
    gout = torch.tensor(arrays["gout"], requires_grad=True)
    out = forward(kind, p, *ins, *([None] if len(ins) == 2 else []))
    grads = torch.autograd.grad((out * gout).sum(), ins, create_graph=True)
    s2 = sum((g * torch.tensor(arrays["v_" + n])).sum() for g, n in zip(grads, names))
    gg = torch.autograd.grad(s2, ins + [gout], create_graph=True, allow_unused=True)
    res = {"out": tnp(out)}
    for g, n in zip(grads, names):
        res["grad_" + n] = tnp(g)
    for g, n in zip(gg, names + ["gout"]):
        res["ggrad_" + n] = tnp(g) if g is not None else np.zeros(arrays[n].shape)
    if kind == "conv_tanh":
        s3 = sum((g * torch.tensor(arrays["u_" + n])).sum() for g, n in zip(gg, names) if g is not None)
        ggg = torch.autograd.grad(s3, ins, allow_unused=True)
        for g, n in zip(ggg, names):
            res["gggrad_" + n] = tnp(g) if g is not None else np.zeros(arrays[n].shape)
    return res


def make_case(name, kind, p, shapes, seed):
    rng = np.random.default_rng(seed)
    names = ["x", "weight"] + (["bias"] if shapes[2] is not None else [])
    arrays = {}
    for n, sh in zip(names, shapes):
        arrays[n] = rng.standard_normal(sh)
    out_shape = forward(kind, p, *[torch.tensor(arrays[n]) for n in names],
                        *([None] if len(names) == 2 else [])).shape
    arrays["gout"] = rng.standard_normal(tuple(out_shape))
    for n in names:
        arrays["v_" + n] = rng.standard_normal(arrays[n].shape)
    if kind == "conv_tanh":
        for n in names:
            arrays["u_" + n] = rng.standard_normal(arrays[n].shape)
    arrays.update(compute(kind, p, arrays, names))
    return names, arrays


def describe(name, kind, p, names, arrays):
    x, w = arrays["x"], arrays["weight"]
    if kind == "transpose":
        call = ("out = torch.nn.functional.conv_transpose1d(x, weight, %s, stride=%d, padding=%d, "
                "output_padding=%d)" % ("bias" if "bias" in names else "None", p["stride"], p["padding"],
                                        p["output_padding"]))
        lay = ("x [batch, in_ch, length]; weight [in_ch, out_ch, k] (PyTorch's transposed layout); "
               "bias [out_ch];\nLout = (Lin - 1)*stride - 2*padding + k + output_padding = (%d - 1)*%d - 2*%d + %d + %d = %d.\n"
               "It is the adjoint of conv1d: out[b,o,l*stride + j - padding] += x[b,i,l] * weight[i,o,j]."
               % (x.shape[2], p["stride"], p["padding"], w.shape[2], p["output_padding"], arrays["out"].shape[2]))
    else:
        call = ("out = %storch.nn.functional.conv1d(x, weight, %s, stride=%d, padding=%d)%s"
                % ("tanh(" if kind == "conv_tanh" else "", "bias" if "bias" in names else "None",
                   p["stride"], p["padding"], ")" if kind == "conv_tanh" else ""))
        lay = ("x [batch, in_ch, length]; weight [out_ch, in_ch, k]; Lout = floor((L + 2*padding - k)/stride) + 1"
               " = %d.\nA cross-correlation (the kernel is not flipped)." % arrays["out"].shape[2])
    text = ["Case %s  (group 8: convolution products, tools/make_conv_fixtures.py)" % name, "",
            "What: " + call + ".", lay,
            "Inputs, gout, directions: numpy default_rng(seed) normals (seed in the script).", "",
            "First order: L = sum(out * gout); grad_<name> = dL/d<name>.",
            "Second order: s = sum over inputs of sum(grad_<name> * v_<name>) with the first-order",
            "gradients as functions of the inputs and gout; ggrad_<name> = ds/d<name>, ggrad_gout = ds/dgout."]
    if kind == "conv_tanh":
        text += ["Third order: s3 = sum over inputs of sum(ggrad_<name> * u_<name>) with the second-order",
                 "results as functions of the inputs (gout and v_* fixed); gggrad_<name> = ds3/d<name>."]
    text += ["", "Files (name, shape, dtype, meaning):"]
    order = names + ["gout", "out"] + ["grad_" + n for n in names] + ["v_" + n for n in names] + \
        ["ggrad_" + n for n in names] + ["ggrad_gout"]
    if kind == "conv_tanh":
        order += ["u_" + n for n in names] + ["gggrad_" + n for n in names]
    meaning = {"gout": "upstream gradient for out", "out": "forward output", "ggrad_gout": "ds/dgout (= J.v)"}
    for n in names:
        meaning[n] = "input"
        meaning["grad_" + n] = "dL/d" + n
        meaning["v_" + n] = "direction for the second order"
        meaning["ggrad_" + n] = "ds/d" + n + " (second order)"
        meaning["u_" + n] = "direction for the third order"
        meaning["gggrad_" + n] = "ds3/d" + n + " (third order)"
    for f in order:
        text.append("  %-18s %-14s float64  %s" % (f + ".npy", str(list(arrays[f].shape)), meaning[f]))
    text += ["", "File format: .npy version 1.0, little-endian, C order, float64; computed in",
             "torch.float64 on the CPU with torch %s." % torch.__version__]
    return "\n".join(text) + "\n", order


def write_case(name, kind, p, names, arrays):
    d = os.path.join(DIR, name)
    os.makedirs(d, exist_ok=True)
    text, order = describe(name, kind, p, names, arrays)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for f in order:
        np.save(os.path.join(d, f + ".npy"), np.ascontiguousarray(arrays[f], dtype=np.float64))
    with open(os.path.join(d, "case.txt"), "w") as fh:
        fh.write(text)
    return len(order) + 1, sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def fd_check(name, f, arrays, keys, want, eps=1e-6, tol=1e-6):
    """central differences of the scalar f(arrays) in each element of arrays[k] against want[k]"""
    worst = 0.0
    for k in keys:
        a = arrays[k]
        num = np.zeros(a.shape)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps; fp = f(arrays)
            a[i] = old - eps; fm = f(arrays)
            a[i] = old
            num[i] = (fp - fm) / (2 * eps)
        err = np.max(np.abs(num - want[k])) / (1 + np.max(np.abs(want[k])))
        worst = max(worst, err)
        if err > tol:
            raise SystemExit("%s: %s differs from central differences by %.3g" % (name, k, err))
    return worst


def verify(name, kind, p):
    d = os.path.join(DIR, name)
    text = open(os.path.join(d, "case.txt")).read()
    files = [ln.split()[0][:-4] for ln in text.splitlines() if ln.startswith("  ") and ".npy" in ln]
    arrays = {f: np.load(os.path.join(d, f + ".npy")) for f in files}
    names = [n for n in ("x", "weight", "bias") if n in arrays]
    b = arrays.get("bias")
    ref = numpy_forward(kind, p, arrays["x"], arrays["weight"], b)
    ferr = np.max(np.abs(ref - arrays["out"]))
    if ferr > 1e-12:
        raise SystemExit("%s: forward differs from the numpy loops by %.3g" % (name, ferr))

    def loss(a):
        return float(np.sum(numpy_forward(kind, p, a["x"], a["weight"], a.get("bias")) * a["gout"]))
    e1 = fd_check(name + " first order", loss, dict(arrays), names, {n: arrays["grad_" + n] for n in names})

    def s2(a):
        r = compute(kind, p, dict(a), names)
        return sum(float(np.sum(r["grad_" + n] * a["v_" + n])) for n in names)
    e2 = fd_check(name + " second order", s2, dict(arrays), names + ["gout"],
                  {k: arrays["ggrad_" + k] for k in names + ["gout"]})
    e3 = 0.0
    if kind == "conv_tanh":
        def s3(a):
            r = compute(kind, p, dict(a), names)
            return sum(float(np.sum(r["ggrad_" + n] * a["u_" + n])) for n in names)
        e3 = fd_check(name + " third order", s3, dict(arrays), names, {n: arrays["gggrad_" + n] for n in names})
    print("%-24s forward %.1e, first %.1e, second %.1e, third %.1e (relative to central differences)"
          % (name, ferr, e1, e2, e3))


def readme_section(rows):
    lines = [BEGIN, "", "## Group 8: Convolution products (tools/make_conv_fixtures.py)", "",
             "Made by `tools/make_conv_fixtures.py` in this repository (same layout and naming; "
             "inputs are numpy normals, not PyTorch initialisations); it re-checks every case "
             "against numpy loops and central differences.", "",
             "| case | what | files | KiB |", "| --- | --- | --- | --- |"]
    lines += rows + ["", END]
    return "\n".join(lines)


def main():
    only_verify = "--verify" in sys.argv[1:]
    rows = []
    for name, kind, p, shapes, seed in CASES:
        if not only_verify:
            names, arrays = make_case(name, kind, p, shapes, seed)
            nfiles, size = write_case(name, kind, p, names, arrays)
            what = describe(name, kind, p, names, arrays)[0].splitlines()[2][len("What: "):].rstrip(".")
            shp = " with x %s, weight %s" % (list(arrays["x"].shape), list(arrays["weight"].shape))
            rows.append("| `%s` | `%s`%s%s | %d | %.1f |" % (name, what, shp,
                        "; third order too" if kind == "conv_tanh" else "", nfiles, size / 1024))
        verify(name, kind, p)
    if not only_verify:
        path = os.path.join(DIR, "README.md")
        readme = open(path).read()
        if BEGIN in readme:
            readme = readme[:readme.index(BEGIN)] + readme_section(rows) + readme[readme.index(END) + len(END):]
        else:
            readme = readme.rstrip("\n") + "\n\n" + readme_section(rows) + "\n"
        open(path, "w").write(readme)


if __name__ == "__main__":
    main()
