#!/usr/bin/python3
"""PyTorch peer of the unrolled meta-gradient step in experiments/bench.lua (sections
meta_mlp, meta_cnn, meta_gru), defined identically on both sides.

float32, 1 thread, batch 100, the frozen MNIST-1D training set in order (batch t = rows
t*100 .. t*100+99, wrapping).  From the model's initial parameters p (a list; models.py's
ResMLP, CNN, BiGRU) and lr = 0.1 as a 0-dim tensor requiring grad, K inner steps of
    loss = cross_entropy(functional_call(model, p, x_t), y_t)
    g = torch.autograd.grad(loss, p, create_graph=True);  p = [p_i - lr * g_i]
then meta = cross_entropy(functional_call(model, p, x_K), y_K) on the next batch and
torch.autograd.grad(meta, lr).

Measured per model, in this order: the peak RSS of one meta-step of K inner steps (the first,
also the warm-up) and of one of 2K, each with the high-water mark reset to the current RSS
first (/proc/self/clear_refs), whose difference / K is the memory one unrolled step costs,
and the user / system CPU of that first meta-step per inner step; then --reps timed
meta-steps: the median meta-step time / K ("per inner step": forward, inner gradient and
that step's share of the outer backward), their user / system CPU per inner step and minor
page faults (/proc/self/stat, as bench.lua reads them).  The last stdout line is JSON.

    /usr/bin/python3 meta_peer.py --data DIR [--models mlp,cnn,gru] [--k 30] [--reps N] [--lr 0.1]
                                  [--dtype float32|float64] [--save OUT]

--save OUT writes each model's initial parameters (OUT/NAME/p1.npy .. pN.npy, in
named_parameters order, which is m1d's parameters() order) and its meta-loss and
meta-gradient (OUT/NAME/torch.txt), for bench.lua --meta_init OUT to recompute; with
--dtype float64 the data are read as stored (float64): tests/fixtures/meta_bench was made by
    meta_peer.py --data DIR --k 3 --reps 1 --dtype float64 --save tests/fixtures/meta_bench

DIR holds frozen/{x,y,x_test,y_test}.npy (bench_peer.py links the vendored copy there).
"""
import os
import statistics
import sys
import time

import common  # noqa: E402  (sets the thread policy before torch is imported)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.nn.utils.stateless import functional_call  # noqa: E402

import models  # noqa: E402

REPS = {"mlp": 15, "cnn": 7, "gru": 3}   # as bench.lua
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat():
    """user and system CPU seconds and minor faults of this process (proc(5) fields 14, 15, 10)"""
    with open("/proc/self/stat") as f:
        t = f.read().rsplit(")", 1)[1].split()
    return {"minflt": int(t[7]), "utime": int(t[11]) / CLK_TCK, "stime": int(t[12]) / CLK_TCK}


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def status_mb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return None


def apply(model, names, p, x):
    """functional_call(model, p, x), also for the GRU: torch 1.13's functional_call swaps
    parameters by attribute lookup, but nn.GRU's forward reads the list _flat_weights, so
    the given parameters would go unused (torch.autograd.grad then fails with "appears to not
    have been used"); that list is pointed at them for the call (torch 2.0 does this itself)."""
    d = dict(zip(names, p))
    saved = []
    for mname, m in model.named_modules():
        if isinstance(m, torch.nn.RNNBase):
            prefix = mname + "." if mname else ""
            saved.append((m, m._flat_weights))
            m._flat_weights = [d[prefix + w] for w in m._flat_weights_names]
    try:
        return functional_call(model, d, (x,))
    finally:
        for m, fw in saved:
            m._flat_weights = fw


def meta_step(model, names, p0, lr, k, x, y, batch):
    n = x.shape[0]

    def rows(t):
        s = (t * batch) % n   # 4000 rows = 40 whole batches: a batch never straddles the end
        return x[s:s + batch], y[s:s + batch]

    p = list(p0)
    for t in range(k):
        xb, yb = rows(t)
        loss = F.cross_entropy(apply(model, names, p, xb), yb)
        g = torch.autograd.grad(loss, p, create_graph=True)
        p = [pi - lr * gi for pi, gi in zip(p, g)]
    xv, yv = rows(k)
    meta = F.cross_entropy(apply(model, names, p, xv), yv)
    (d,) = torch.autograd.grad(meta, lr)
    return d, meta


def run(name, data, k, reps, lr0, batch, seed, dtype=torch.float32):
    torch.manual_seed(seed)
    model = models.BASELINES[name]().to(dtype)
    names = [n for n, _ in model.named_parameters()]
    p0 = [p for _, p in model.named_parameters()]
    lr = torch.tensor(lr0, dtype=dtype, requires_grad=True)
    x, y = data["x"], data["y"]
    res = {"K": k, "reps": reps, "lr": lr0, "params": models.n_params(model)}

    def peak_of(kk):
        ok = reset_peak_rss()
        base = status_mb("VmRSS")
        d, meta = meta_step(model, names, p0, lr, kk, x, y, batch)
        return (status_mb("VmHWM") if ok else None), base

    c0 = proc_stat()
    pk, base = peak_of(k)
    c1 = proc_stat()
    p2k, _ = peak_of(2 * k)
    if pk is not None and p2k is not None:
        res.update(rss_base_mb=base, peak_rss_mb_K=pk, peak_rss_mb_2K=p2k, rss_mb_per_step=(p2k - pk) / k)
    res["cold_user_ms_per_step"] = (c1["utime"] - c0["utime"]) * 1e3 / k
    res["cold_sys_ms_per_step"] = (c1["stime"] - c0["stime"]) * 1e3 / k
    res["cold_minflt_per_step"] = (c1["minflt"] - c0["minflt"]) / k

    times = []
    s0 = proc_stat()
    for _ in range(reps):
        t0 = time.perf_counter()
        d, meta = meta_step(model, names, p0, lr, k, x, y, batch)
        times.append((time.perf_counter() - t0) * 1e3)
    s1 = proc_stat()
    nsteps = reps * k
    res.update(meta_step_ms=times, inner_step_ms=statistics.median(times) / k,
               dmeta_dlr=d.item(), meta_loss=meta.item(),
               user_ms_per_step=(s1["utime"] - s0["utime"]) * 1e3 / nsteps,
               sys_ms_per_step=(s1["stime"] - s0["stime"]) * 1e3 / nsteps,
               minflt_per_step=(s1["minflt"] - s0["minflt"]) / nsteps)
    return res


def save(d, name, a, res):
    import numpy as np
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(a.seed)   # the same initial parameters run() started from
    model = models.BASELINES[name]().to(getattr(torch, a.dtype))
    for i, (pn, p) in enumerate(model.named_parameters(), 1):
        np.save(os.path.join(d, "p%d.npy" % i), p.detach().numpy())
    with open(os.path.join(d, "torch.txt"), "w") as f:
        f.write("# meta_peer.py --k %d --lr %r --dtype %s --seed %d, torch %s; parameters: %s\n" % (
            a.k, a.lr, a.dtype, a.seed, torch.__version__,
            " ".join(pn for pn, _ in model.named_parameters())))
        f.write("K %d\nlr %.17g\nmeta_loss %.17g\ndmeta_dlr %.17g\n" % (a.k, a.lr, res["meta_loss"], res["dmeta_dlr"]))


def main():
    p = common.base_parser("PyTorch peer of bench.lua's unrolled meta-gradient step")
    p.add_argument("--models", default="mlp,cnn,gru")
    p.add_argument("--k", type=int, default=30)
    p.add_argument("--reps", type=int, default=0, help="timed meta-steps (default: mlp 15, cnn 7, gru 3)")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--save", default="", help="write initial parameters and results here (see the header)")
    a = p.parse_args()
    if a.k < 1 or a.reps < 0 or a.batch < 1:
        sys.exit("meta_peer.py: --k and --batch must be >= 1, --reps >= 0")
    names = a.models.split(",")
    for n in names:
        if n not in REPS:
            sys.exit("meta_peer.py: unknown model %r (mlp, cnn, gru)" % n)
    t_start = time.perf_counter()
    data = common.load(a.data, "frozen")
    dtype = getattr(torch, a.dtype)
    if a.dtype == "float64":   # common.load rounds to float32; the stored data are float64
        import numpy as np
        data["x"] = torch.from_numpy(np.load(os.path.join(a.data, "frozen", "x.npy")).astype(np.float64))
    out = {}
    for n in names:
        out[n] = run(n, data, a.k, a.reps or REPS[n], a.lr, a.batch, a.seed, dtype)
        if a.save:
            save(os.path.join(a.save, n), n, a, out[n])
        r = out[n]
        print("%-4s K %d  %.3f ms per inner step  user %.3f sys %.3f ms/step  peak %.1f/%.1f MB (K/2K), "
              "%.3f MB/step  dmeta/dlr %.6g" % (n, a.k, r["inner_step_ms"], r["user_ms_per_step"],
                                                 r["sys_ms_per_step"], r.get("peak_rss_mb_K", -1),
                                                 r.get("peak_rss_mb_2K", -1), r.get("rss_mb_per_step", -1),
                                                 r["dmeta_dlr"]), file=sys.stderr, flush=True)
    common.emit("meta_peer", "paper", {"meta": out}, t_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
