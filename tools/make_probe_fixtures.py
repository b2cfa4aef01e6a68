#!/usr/bin/python3
"""make_probe_fixtures.py -- scikit-learn and PyTorch references for m1d.knn, m1d.probe and
m1d.optim.LBFGS (issue 17: the pixel-space baselines of MNIST-1D).

Writes tests/fixtures/probe/:
  values.json            scalars: sklearn's accuracies, objective values, iteration counts
  knn_*.npy              KNeighborsClassifier predictions per test example (int64) and, for
                         the 10-NN euclidean case, the neighbour indices (0-based) in order
  tie_*.npy              a small integer-valued case full of exactly equal distances and of
                         tied votes, with the predictions and neighbours of the rule m1d.knn
                         documents (stable_knn below, numpy); sklearn's heap keeps other
                         equally distant points there (values.json counts the rows), which
                         is why this case is not compared with sklearn.  On the frozen data
                         the script asserts that the rule and sklearn agree.
  logreg_coef.npy, logreg_intercept.npy
                         LogisticRegression(C=1) at its optimum (tol 1e-10) on the
                         standardised frozen data
  lbfgs_<case>_*.npy     torch.optim.LBFGS iterates (parameters after every step call, the
                         loss each step returned, func_evals and n_iter), float64

The data is the vendored frozen MNIST-1D (vendor/mnist1d/*.npy, float64), standardised with
StandardScaler (train mean and population sd, ddof = 0).  The logistic objective is
  sum_i cross_entropy(W x_i + b, y_i) + ||W||^2 / (2 C)
evaluated in float64 from sklearn's coef_ and intercept_.

Needs Debian's python3-sklearn (1.2.1; apt-get install python3-sklearn), python3-numpy and
python3-torch (1.13).  Run from the repository root:
    /usr/bin/python3 tools/make_probe_fixtures.py
One thread (OMP_NUM_THREADS=1) so that sklearn's neighbour search visits the training
points in order (its tie-break among equal distances depends on that order).
"""
import json
import os
import warnings

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

OUT = "tests/fixtures/probe"
VENDOR = "vendor/mnist1d"


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


def load_frozen():
    return tuple(np.load(os.path.join(VENDOR, n + ".npy")) for n in ("x", "y", "x_test", "y_test"))


def knn_cases(x, y, xt, yt, values):
    """sklearn's predictions on the frozen data: euclidean k = 10 (the baseline), 4 and 1
    (k = 4 has tied votes), cosine k = 10, and the float32 copy of the data."""
    cases = [("euclidean_k10", 10, "euclidean", np.float64),
             ("euclidean_k4", 4, "euclidean", np.float64),
             ("euclidean_k1", 1, "euclidean", np.float64),
             ("cosine_k10", 10, "cosine", np.float64),
             ("euclidean_k10_f32", 10, "euclidean", np.float32)]
    for name, k, metric, dt in cases:
        clf = KNeighborsClassifier(n_neighbors=k, metric=metric).fit(x.astype(dt), y)
        pred = clf.predict(xt.astype(dt)).astype(np.int64)
        save("knn_" + name + "_pred", pred)
        values["knn_" + name + "_test_acc"] = float((pred == yt).mean())
        if metric == "euclidean" and dt == np.float64:
            ref, _, counts = stable_knn(x, y, xt, k)
            values["knn_" + name + "_rows_with_tied_vote"] = int(
                ((counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())
            assert (ref == pred).all(), "the stable rule and sklearn disagree on " + name
        if name == "euclidean_k10":
            _, ind = clf.kneighbors(xt)
            save("knn_euclidean_k10_neighbors", ind.astype(np.int64))


def stable_knn(xtr, ytr, xte, k):
    """The rule m1d.knn documents, independently of sklearn: neighbours ordered by squared
    distance with a stable sort (the lower training index first among equal distances),
    then the most frequent label among them, the lowest label winning a tied vote."""
    d2 = ((xte[:, None, :] - xtr[None, :, :]) ** 2).sum(axis=2)
    ind = np.argsort(d2, axis=1, kind="stable")[:, :k]
    counts = np.stack([np.bincount(ytr[r], minlength=ytr.max() + 1) for r in ind])
    return counts.argmax(axis=1).astype(np.int64), ind.astype(np.int64), counts


def tie_case(values):
    """Integer points in {0,1,2}^3: many exactly equal distances (squared distances are
    small integers, exact in float64), labels 0..3 so that votes tie too.  The references
    are stable_knn's: sklearn's brute-force search keeps its k nearest in a max-heap that
    rejects a distance equal to the current k-th, so which of several equally distant
    points it keeps depends on the heap's order (and on its chunking and thread count),
    not on the index.  values.json records on how many rows sklearn's neighbour set
    differs from the stable one (k = 1 agrees: the first of equal distances is kept)."""
    rng = np.random.default_rng(17)
    xtr = rng.integers(0, 3, size=(60, 3)).astype(np.float64)
    ytr = rng.integers(0, 4, size=60).astype(np.int64)
    xte = rng.integers(0, 3, size=(25, 3)).astype(np.float64)
    save("tie_x", xtr); save("tie_y", ytr); save("tie_x_test", xte)
    for k in (1, 4, 5):
        pred, ind, counts = stable_knn(xtr, ytr, xte, k)
        save("tie_k%d_pred" % k, pred)
        save("tie_k%d_neighbors" % k, ind)
        _, sk_ind = KNeighborsClassifier(n_neighbors=k).fit(xtr, ytr).kneighbors(xte)
        values["tie_k%d_rows_where_sklearn_keeps_other_ties" % k] = int(
            (np.sort(sk_ind, axis=1) != np.sort(ind, axis=1)).any(axis=1).sum())
        values["tie_k%d_rows_with_tied_vote" % k] = int(
            ((counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())


def objective(coef, intercept, x, y, C=1.0):
    z = x @ coef.T + intercept
    zmax = z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(z - zmax).sum(axis=1))
    return float((lse - z[np.arange(len(y)), y]).sum() + 0.5 * (coef ** 2).sum() / C)


def logistic(x, y, xt, yt, values):
    sc = StandardScaler().fit(x)
    xs, xts = sc.transform(x), sc.transform(xt)
    # the notebook's setting: lbfgs, C = 1, tol 1e-2 (stops early)
    with warnings.catch_warnings():   # it stops at max_iter = 100 before tol is met
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(C=1.0, tol=1e-2, max_iter=100).fit(xs, y)
    values["logreg_tol1e-2_train_acc"] = float(clf.score(xs, y))
    values["logreg_tol1e-2_test_acc"] = float(clf.score(xts, yt))
    values["logreg_tol1e-2_objective"] = objective(clf.coef_, clf.intercept_, xs, y)
    values["logreg_tol1e-2_n_iter"] = int(clf.n_iter_[0])
    # the optimum of the same objective
    opt = LogisticRegression(C=1.0, tol=1e-10, max_iter=100000).fit(xs, y)
    values["logreg_opt_train_acc"] = float(opt.score(xs, y))
    values["logreg_opt_test_acc"] = float(opt.score(xts, yt))
    values["logreg_opt_objective"] = objective(opt.coef_, opt.intercept_, xs, y)
    values["logreg_opt_n_iter"] = int(opt.n_iter_[0])
    save("logreg_coef", opt.coef_)
    save("logreg_intercept", opt.intercept_)
    save("scaler_mean", sc.mean_)
    save("scaler_scale", sc.scale_)


# ---------------------------------------------------------------- torch.optim.LBFGS iterates

def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def softmax_regression(w, b, xs, ys):
    """a small two-parameter problem (a matrix and a vector): mean cross-entropy + 0.05 ||w||^2"""
    z = xs @ w + b
    return torch.nn.functional.cross_entropy(z, ys) + 0.05 * (w ** 2).sum()


def lbfgs_cases(values):
    g = torch.Generator().manual_seed(5)
    xs = torch.randn(12, 3, generator=g, dtype=torch.float64)
    ys = torch.randint(0, 4, (12,), generator=g)
    save("lbfgs_data_x", xs.numpy()); save("lbfgs_data_y", ys.numpy().astype(np.int64))
    cases = {
        # name: (make params, loss fn, options, steps)
        "rosen_wolfe": (lambda: [torch.tensor([-1.5, 2.0, -0.5, 1.0], dtype=torch.float64)],
                        lambda p: rosenbrock(p[0]),
                        dict(lr=1, max_iter=10, history_size=5, line_search_fn="strong_wolfe"), 8),
        "rosen_plain": (lambda: [torch.tensor([-1.2, 1.0, 0.8], dtype=torch.float64)],
                        lambda p: rosenbrock(p[0]),
                        dict(lr=0.05, max_iter=7, history_size=3), 6),
        "softmax_wolfe": (lambda: [torch.zeros(3, 4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)],
                          lambda p: softmax_regression(p[0], p[1], xs, ys),
                          dict(max_iter=4, line_search_fn="strong_wolfe", tolerance_change=1e-12), 5),
        "softmax_plain": (lambda: [torch.full((3, 4), 0.1, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)],
                          lambda p: softmax_regression(p[0], p[1], xs, ys),
                          dict(lr=0.8, max_iter=5, max_eval=4, history_size=2), 5),
    }
    for name, (make, fn, opts, steps) in cases.items():
        params = [p.requires_grad_() for p in make()]
        for i, p in enumerate(params):
            save("lbfgs_%s_init%d" % (name, i + 1), p.detach().numpy())
        opt = torch.optim.LBFGS(params, **opts)

        def closure():
            opt.zero_grad()
            loss = fn(params)
            loss.backward()
            return loss
        losses, evals, iters = [], [], []
        flat = []
        for _ in range(steps):
            losses.append(float(opt.step(closure)))
            st = opt.state[params[0]]
            evals.append(st["func_evals"]); iters.append(st["n_iter"])
            flat.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy().copy())
        save("lbfgs_%s_params" % name, np.stack(flat))
        save("lbfgs_%s_loss" % name, np.array(losses))
        save("lbfgs_%s_func_evals" % name, np.array(evals, dtype=np.int64))
        save("lbfgs_%s_n_iter" % name, np.array(iters, dtype=np.int64))
        values["lbfgs_" + name + "_options"] = opts
        values["lbfgs_" + name + "_steps"] = steps


def main():
    os.makedirs(OUT, exist_ok=True)
    values = {"sklearn_version": sklearn.__version__, "torch_version": torch.__version__}
    x, y, xt, yt = load_frozen()
    knn_cases(x, y, xt, yt, values)
    tie_case(values)
    logistic(x, y, xt, yt, values)
    lbfgs_cases(values)
    with open(os.path.join(OUT, "values.json"), "w") as f:
        json.dump(values, f, indent=1, sort_keys=True)
        f.write("\n")
    for k in sorted(values):
        if not k.startswith("lbfgs"):
            print("%-34s %s" % (k, values[k]))


if __name__ == "__main__":
    main()
