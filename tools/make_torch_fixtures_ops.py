#!/usr/bin/python3
"""make_torch_fixtures_ops.py -- PyTorch reference values for the scan, sorting and norm ops
(cumsum, sort, topk, norm = torch.linalg.vector_norm) and for the edge cases m1d matches
PyTorch on (logsumexp over infinite slices, std/var where the deviation is 0, the gradients
of maximum/minimum, max()/min() and max(dim) on ties).  Written to tests/fixtures/torch_ops/
in the layout of tests/fixtures/torch (see its README.md): one folder per case, a case.txt
that lists every file, float64 .npy files (indices int64, 0-based as torch gives them), and
the names x0, x1 (inputs), gout (upstream gradient), out, indices, grad_<x> = dL/d<x> for
L = sum(out * gout), v_<x> (second-order directions), ggrad_<x> = ds/d<x> and
ggrad_gout = ds/dgout for s = sum_x sum(grad_<x> * v_<x>).  Then writes README.md there.

Every case where the op is smooth at its inputs is verified after writing against
central differences (first order against the forward, second order against the first);
tie cases and infinite inputs are where the derivative is a choice, which is the point
of storing torch's.

Run from the repository root with Debian's python3 (python3-torch 1.13, python3-numpy):
    /usr/bin/python3 tools/make_torch_fixtures_ops.py
"""
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
DIR = os.path.join("tests", "fixtures", "torch_ops")
INF = float("inf")


def ties(rng, shape):
    """values on a half-integer grid, so slices hold ties"""
    return np.round(rng.standard_normal(shape) * 2) / 2


def equal_in_places(rng, a):
    """a copy of a with about half its elements redrawn, so a and it tie elsewhere"""
    b = ties(rng, a.shape)
    return np.where(rng.uniform(size=a.shape) < 0.5, a, b)


def distinct(rng, shape):
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.37 - 1.5 + rng.uniform(0, 0.1, shape)


# name, what (the torch call), inputs (name -> array maker), fn(*tensors) -> out or (out, indices),
# smooth (verify by central differences)
def cases(rng):
    m0, n0 = ties(rng, (3, 4)), ties(rng, (3, 4))
    return [
        ("cumsum_dim1", "out = torch.cumsum(x0, dim=1), x0 [3,5]",
         {"x0": rng.standard_normal((3, 5))}, lambda x: torch.cumsum(x, 1), True),
        ("cumsum_dim0_3d", "out = torch.cumsum(x0, dim=0), x0 [4,3,2]",
         {"x0": rng.standard_normal((4, 3, 2))}, lambda x: torch.cumsum(x, 0), True),
        ("sort_dim1", "out, indices = torch.sort(x0, dim=1, stable=True), x0 [3,7] with ties",
         {"x0": ties(rng, (3, 7))}, lambda x: tuple(torch.sort(x, dim=1, stable=True)), False),
        ("sort_dim0_desc", "out, indices = torch.sort(x0, dim=0, descending=True, stable=True), x0 [6,3] with ties",
         {"x0": ties(rng, (6, 3))}, lambda x: tuple(torch.sort(x, dim=0, descending=True, stable=True)), False),
        ("sort_long", "out, indices = torch.sort(x0, dim=1, stable=True), x0 [2,40] with ties (past the insertion-sort runs)",
         {"x0": ties(rng, (2, 40))}, lambda x: tuple(torch.sort(x, dim=1, stable=True)), False),
        ("topk_dim1", "out, indices = torch.topk(x0, 3, dim=1) (largest, sorted), x0 [4,6] distinct values",
         {"x0": distinct(rng, (4, 6))}, lambda x: tuple(torch.topk(x, 3, 1)), True),
        ("topk_dim0_smallest", "out, indices = torch.topk(x0, 2, dim=0, largest=False), x0 [5,3] distinct values",
         {"x0": distinct(rng, (5, 3))}, lambda x: tuple(torch.topk(x, 2, 0, largest=False)), True),
        ("norm2_all", "out = torch.linalg.vector_norm(x0), x0 [3,4]",
         {"x0": rng.standard_normal((3, 4))}, lambda x: torch.linalg.vector_norm(x), True),
        ("norm2_dim1_zero_row", "out = torch.linalg.vector_norm(x0, 2, dim=1), x0 [3,4], row 2 all zeros",
         {"x0": np.vstack([rng.standard_normal((1, 4)), np.zeros((1, 4)), rng.standard_normal((1, 4))])},
         lambda x: torch.linalg.vector_norm(x, 2, 1), False),
        ("norm1_dim0", "out = torch.linalg.vector_norm(x0, 1, dim=0), x0 [4,3]",
         {"x0": rng.standard_normal((4, 3))}, lambda x: torch.linalg.vector_norm(x, 1, 0), True),
        ("norminf_dim1_ties", "out = torch.linalg.vector_norm(x0, inf, dim=1), x0 [3,4], rows with tied |max|",
         {"x0": np.array([[1.5, -3.0, 3.0, 0.5], [2.0, -0.5, 1.0, 0.25], [-1.0, 1.0, 1.0, -1.0]])},
         lambda x: torch.linalg.vector_norm(x, INF, 1), False),
        ("norm3_all", "out = torch.linalg.vector_norm(x0, 3), x0 [2,5]",
         {"x0": rng.standard_normal((2, 5))}, lambda x: torch.linalg.vector_norm(x, 3), True),
        ("norm1_5_dim1_keepdim", "out = torch.linalg.vector_norm(x0, 1.5, dim=1, keepdim=True), x0 [3,4]",
         {"x0": rng.standard_normal((3, 4))}, lambda x: torch.linalg.vector_norm(x, 1.5, 1, keepdim=True), True),
        ("norm0_5_dim1_zeros", "out = torch.linalg.vector_norm(x0, 0.5, dim=1), x0 [3,4] holding zeros, row 3 all zeros",
         {"x0": np.array([[0.7, 0.0, -1.2, 0.4], [0.0, 2.0, 0.0, -0.3], [0.0, 0.0, 0.0, 0.0]])},
         lambda x: torch.linalg.vector_norm(x, 0.5, 1), False),
        ("maximum_ties", "out = torch.maximum(x0, x1), x0 and x1 [3,4] equal in places",
         {"x0": m0, "x1": equal_in_places(rng, m0)}, lambda a, b: torch.maximum(a, b), False),
        ("minimum_ties", "out = torch.minimum(x0, x1), x0 [3,4] and x1 [4] (broadcast) equal in places",
         {"x0": n0, "x1": equal_in_places(rng, n0[1])}, lambda a, b: torch.minimum(a, b), False),
        ("max_all_ties", "out = x0.max() over all elements, x0 [3,4] with the maximum 2.5 three times",
         {"x0": np.array([[2.5, 1.0, -1.0, 2.5], [0.0, 2.5, 1.5, -2.0], [1.0, 1.0, 0.5, 2.0]])},
         lambda x: x.max(), False),
        ("min_all_ties", "out = x0.min() over all elements, x0 [2,3] with the minimum -1 twice",
         {"x0": np.array([[-1.0, 0.5, 2.0], [3.0, -1.0, 0.0]])}, lambda x: x.min(), False),
        ("max_dim1_ties", "out, indices = x0.max(dim=1), x0 [3,4] with tied maxima in rows (the gradient goes "
         "to the returned index)",
         {"x0": np.array([[2.5, 1.0, 2.5, 0.0], [0.0, 1.0, 1.0, 1.0], [3.0, -1.0, 0.5, 2.0]])},
         lambda x: tuple(x.max(1)), False),
        ("min_dim0_ties", "out, indices = x0.min(dim=0), x0 [3,2] with tied minima",
         {"x0": np.array([[-1.0, 2.0], [-1.0, 0.5], [0.0, 0.5]])}, lambda x: tuple(x.min(0)), False),
        ("logsumexp_inf", "out = torch.logsumexp(x0, dim=1), x0 [3,2]: a finite row, an all -inf row, "
         "a row holding +inf (grad_x0 holds torch's NaNs)",
         {"x0": np.array([[0.3, -1.2], [-INF, -INF], [0.3, INF]])}, lambda x: torch.logsumexp(x, 1), False),
        ("std_dim1_zero", "out = x0.std(dim=1) (unbiased), x0 [2,3], row 2 constant",
         {"x0": np.array([[1.0, 2.0, 3.5], [2.0, 2.0, 2.0]])}, lambda x: x.std(1), False),
        ("std_all_zero", "out = x0.std() over all elements (unbiased), x0 [2,3] constant",
         {"x0": np.full((2, 3), 2.0)}, lambda x: x.std(), False),
        ("var_dim1_zero", "out = x0.var(dim=1, unbiased=False), x0 [2,3], row 2 constant",
         {"x0": np.array([[1.0, 2.0, 3.5], [2.0, 2.0, 2.0]])}, lambda x: x.var(1, unbiased=False), False),
    ]


def tnp(t, shape):
    # torch 1.13 double backwards may return None or a ZeroTensor whose .numpy() is garbage
    if t is None or t._is_zerotensor():
        return np.zeros(shape)
    return t.detach().clone().numpy()


def evaluate(fn, arrays, names):
    """out (and indices), first- and second-order results, from numpy arrays"""
    ins = [torch.tensor(arrays[n], requires_grad=True) for n in names]
    r = fn(*ins)
    out, idx = (r if isinstance(r, tuple) else (r, None))
    res = {"out": out.detach().clone().numpy()}
    if idx is not None:
        res["indices"] = idx.numpy().astype(np.int64)
    if "gout" not in arrays:
        return res
    gout = torch.tensor(arrays["gout"], requires_grad=True)
    grads = torch.autograd.grad((out * gout).sum(), ins, create_graph=True, allow_unused=True)
    s = 0
    for g, n in zip(grads, names):
        res["grad_" + n] = tnp(g, arrays[n].shape)
        if g is not None and g.requires_grad:
            s = s + (g * torch.tensor(arrays["v_" + n])).sum()
    gg = [None] * (len(names) + 1)
    if torch.is_tensor(s) and s.requires_grad:
        gg = torch.autograd.grad(s, ins + [gout], allow_unused=True)
    for g, n in zip(gg, names + ["gout"]):
        res["ggrad_" + n] = tnp(g, arrays[n].shape)
    return res


def make(rng, name, what, inputs, fn):
    names = sorted(inputs)
    arrays = dict(inputs)
    first = evaluate(fn, arrays, names)
    arrays["gout"] = rng.standard_normal(first["out"].shape)
    for n in names:
        arrays["v_" + n] = rng.standard_normal(arrays[n].shape)
    arrays.update(evaluate(fn, arrays, names))
    order = names + ["gout", "out"] + (["indices"] if "indices" in arrays else []) + \
        ["grad_" + n for n in names] + ["v_" + n for n in names] + ["ggrad_" + n for n in names] + ["ggrad_gout"]
    meaning = {"gout": "upstream gradient for out", "out": "forward output", "indices": "0-based int64 indices",
               "ggrad_gout": "ds/dgout (= J.v)"}
    for n in names:
        meaning.update({n: "input", "grad_" + n: "dL/d" + n, "v_" + n: "direction for the second order",
                        "ggrad_" + n: "ds/d" + n + " (second order)"})
    d = os.path.join(DIR, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    text = ["Case %s  (tools/make_torch_fixtures_ops.py)" % name, "", "What: " + what + ".",
            "First order: L = sum(out * gout); second order: s = sum over inputs of sum(grad_<x> * v_<x>).",
            "", "Files (name, shape, dtype, meaning):"]
    for f in order:
        a = arrays[f]
        dt = np.int64 if f == "indices" else np.float64
        np.save(os.path.join(d, f + ".npy"), np.ascontiguousarray(a, dtype=dt))
        text.append("  %-18s %-10s %-8s %s" % (f + ".npy", str(list(np.shape(a))), np.dtype(dt).name, meaning[f]))
    text += ["", "Computed in torch.float64 on the CPU with torch %s." % torch.__version__]
    with open(os.path.join(d, "case.txt"), "w") as fh:
        fh.write("\n".join(text) + "\n")
    return arrays, names, len(order) + 1


def fd_verify(name, fn, arrays, names, eps=1e-6, tol=1e-6):
    """first order against central differences of L, second order against those of s"""
    def value(key, a):
        r = evaluate(fn, a, names)
        if key == "L":
            return float(np.sum(r["out"] * a["gout"]))
        return sum(float(np.sum(r["grad_" + n] * a["v_" + n])) for n in names)
    worst = 0.0
    for key, wrt, want in (("L", names, "grad_"), ("s", names + ["gout"], "ggrad_")):
        for k in wrt:
            a = {kk: np.array(vv, dtype=np.float64) for kk, vv in arrays.items() if kk != "indices"}
            num = np.zeros(a[k].shape)
            for i in np.ndindex(a[k].shape):
                old = a[k][i]
                a[k][i] = old + eps; fp = value(key, a)
                a[k][i] = old - eps; fm = value(key, a)
                a[k][i] = old
                num[i] = (fp - fm) / (2 * eps)
            err = np.max(np.abs(num - arrays[want + k]), initial=0) / (1 + np.max(np.abs(arrays[want + k]), initial=0))
            worst = max(worst, err)
            if err > tol:
                raise SystemExit("%s: %s%s differs from central differences by %.3g" % (name, want, k, err))
    return worst


def main():
    rng = np.random.default_rng(20261218)
    rows = []
    for name, what, inputs, fn, smooth in cases(rng):
        arrays, names, nfiles = make(rng, name, what, inputs, fn)
        note = "verified by central differences (%.1e)" % fd_verify(name, fn, arrays, names) if smooth else "tie/edge case"
        print("%-22s %s" % (name, note))
        rows.append("| `%s` | %s | %d |" % (name, what.replace("|", "\\|"), nfiles))
    readme = ["# PyTorch reference: scan, sorting, norm ops and edge cases", "",
              "Made by `tools/make_torch_fixtures_ops.py` with torch %s (float64, CPU); read by "
              "tests/lua/sort_scan_norm_test.lua. Layout and naming as tests/fixtures/torch/README.md "
              "(case.txt lists every file; `indices` are int64 and 0-based, as torch returns them)." % torch.__version__,
              "", "| case | what | files |", "| --- | --- | --- |"] + rows
    with open(os.path.join(DIR, "README.md"), "w") as fh:
        fh.write("\n".join(readme) + "\n")


if __name__ == "__main__":
    main()
