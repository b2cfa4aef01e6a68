"""tools/make_torch_fixtures_ce.py -- PyTorch reference for cross_entropy to third order
(the derivatives m1d's cross_entropy_backward and softmax_jvp compute), written into
tests/fixtures/torch/op_cross_entropy_3rd/ in the layout of the other cases there (see its
README.md: case.txt, float64 .npy files, scalars stored as [1]).

    /usr/bin/python3 tools/make_torch_fixtures_ce.py        (from the repository root)

Debian's python3-torch (1.13) and python3-numpy.  Every derivative is verified against
central differences of the order below it before anything is written.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

CASE = "op_cross_entropy_3rd"
OUT = os.path.join("tests", "fixtures", "torch", CASE)
N, K = 6, 5


def tnp(t):
    # clone: a ZeroTensor from torch 1.13's double backward has no real storage (README)
    return t.detach().clone().numpy().astype(np.float64)


def main():
    rng = np.random.default_rng(20261203)
    x0 = torch.tensor(rng.normal(size=(N, K)) * 1.5, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 3, 1, 1, 4, 2], dtype=torch.int64)
    gout = torch.tensor(rng.normal(size=()), dtype=torch.float64, requires_grad=True)
    v = torch.tensor(rng.normal(size=(N, K)), dtype=torch.float64)
    w = torch.tensor(rng.normal(size=(N, K)), dtype=torch.float64)

    def first(x, g):
        out = F.cross_entropy(x, labels)
        return out, torch.autograd.grad(out * g, x, create_graph=True)[0]

    def second(x, g):
        _, gx = first(x, g)
        s = (gx * v).sum()
        return s, torch.autograd.grad(s, (x, g), create_graph=True)

    out, grad_x0 = first(x0, gout)
    s2, (ggrad_x0, ggrad_gout) = second(x0, gout)
    s3 = (ggrad_x0 * w).sum()
    gggrad_x0, gggrad_gout = torch.autograd.grad(s3, (x0, gout))

    # verify each order against central differences of the order below
    eps = 1e-6
    xd, gd = x0.detach().clone(), gout.detach().clone()

    def s2_at(x, g):
        xx = x.clone().requires_grad_(True)
        return (first(xx, g)[1] * v).sum().item()

    def s3_at(x, g):
        xx, gg = x.clone().requires_grad_(True), g.clone().requires_grad_(True)
        return (second(xx, gg)[1][0] * w).sum().item()

    num2 = np.zeros((N, K))
    num3 = np.zeros((N, K))
    for i in range(N):
        for j in range(K):
            xp, xm = xd.clone(), xd.clone()
            xp[i, j] += eps
            xm[i, j] -= eps
            num2[i, j] = (s2_at(xp, gd) - s2_at(xm, gd)) / (2 * eps)
            num3[i, j] = (s3_at(xp, gd) - s3_at(xm, gd)) / (2 * eps)
    num3g = (s3_at(xd, gd + eps) - s3_at(xd, gd - eps)) / (2 * eps)
    assert np.abs(num2 - tnp(ggrad_x0)).max() < 1e-7, "second order vs differences"
    assert np.abs(num3 - tnp(gggrad_x0)).max() < 1e-7, "third order vs differences"
    assert abs(num3g - gggrad_gout.item()) < 1e-7, "third order in gout vs differences"

    files = [
        ("x0", tnp(x0), "input 0 (logits)"),
        ("labels", labels.numpy(), "int64 class labels (not differentiable)"),
        ("gout", tnp(gout).reshape(1), "upstream gradient dL/dout, same shape as out"),
        ("out", tnp(out).reshape(1), "forward output"),
        ("grad_x0", tnp(grad_x0), "dL/dx0 where L = out * gout"),
        ("v_x0", tnp(v), "direction for the second order"),
        ("ggrad_x0", tnp(ggrad_x0), "ds/dx0, s = sum(grad_x0 * v_x0) (second order)"),
        ("ggrad_gout", tnp(ggrad_gout).reshape(1), "ds/dgout (second order)"),
        ("w_x0", tnp(w), "direction for the third order"),
        ("gggrad_x0", tnp(gggrad_x0), "dr/dx0, r = sum(ggrad_x0 * w_x0) (third order)"),
        ("gggrad_gout", tnp(gggrad_gout).reshape(1), "dr/dgout (third order)"),
    ]
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, arr, meaning in files:
        np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(arr))
        shape = "[" + ", ".join(str(d) for d in arr.shape) + "]"
        lines.append("  %-16s %-14s %-8s %s" % (name + ".npy", shape, str(arr.dtype), meaning))
    with open(os.path.join(OUT, "case.txt"), "w") as f:
        f.write(
            "Case %s  (group 8: added for m1d's fused cross_entropy_backward)\n\n"
            "What: out = cross_entropy(x0, labels), reduction 'mean', x0 logits [%d,%d], labels int64 [%d];\n"
            "derivatives of L = out * gout to third order: grad_x0 = dL/dx0; with s = sum(grad_x0 * v_x0),\n"
            "ggrad_x0 = ds/dx0 and ggrad_gout = ds/dgout; with r = sum(ggrad_x0 * w_x0), gggrad_x0 = dr/dx0\n"
            "and gggrad_gout = dr/dgout.  Made by tools/make_torch_fixtures_ce.py (torch %s, float64, CPU),\n"
            "which checks the second and third order against central differences before writing.\n\n"
            "Files (name, shape, dtype, meaning):\n%s\n" % (CASE, N, K, N, torch.__version__, "\n".join(lines)))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
