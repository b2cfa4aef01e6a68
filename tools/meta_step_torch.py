"""tools/meta_step_torch.py -- the PyTorch twin of tools/meta_step.lua (same loop, same
models, batch 100, float32, one thread), for side-by-side ratios.

A learned lr (0-dim tensor requiring grad), K inner steps p <- p - lr * grad(loss(p),
create_graph=True) through functional_call, then d(final loss)/d(lr).  Prints
one JSON line per (model, K): ms per inner step, wall and process CPU time (median of repeats; the first outer step,
in a fresh process, separately), user/system CPU and minor faults per inner step, peak RSS.

    /usr/bin/python3 tools/meta_step_torch.py [--models mlp,cnn] [--ks 30,60] [--repeats 7]
Data: the repo's frozen MNIST-1D (vendor/.../frozen/*.npy is not needed: random data of
the same shape and label range; the cost does not depend on the values).
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def child(name, K, repeats, batch):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    try:
        from torch.func import functional_call
    except ImportError:               # torch < 2.0 (Debian 12: 1.13)
        from torch.nn.utils.stateless import functional_call
    torch.set_num_threads(1)
    torch.manual_seed(0)

    class ResMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.l3 = nn.Linear(40, 100), nn.Linear(100, 100), nn.Linear(100, 10)

        def forward(self, x):
            h = F.relu(self.l1(x))
            h = h + F.relu(self.l2(h))
            return self.l3(h)

    class CNN(nn.Module):
        def __init__(self, c=25):
            super().__init__()
            self.c1 = nn.Conv1d(1, c, 5, stride=2, padding=1)
            self.c2 = nn.Conv1d(c, c, 3, stride=2, padding=1)
            self.c3 = nn.Conv1d(c, c, 3, stride=2, padding=1)
            self.fc = nn.Linear(c * 5, 10)

        def forward(self, x):
            h = x.reshape(-1, 1, x.shape[-1])
            h = F.relu(self.c1(h))
            h = F.relu(self.c2(h))
            h = F.relu(self.c3(h))
            return self.fc(h.flatten(1))

    model = {"mlp": ResMLP, "cnn": CNN}[name]()
    names = [n for n, _ in model.named_parameters()]
    init = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
    n = 4000
    X = torch.randn(n, 40)
    Y = torch.randint(0, 10, (n,))

    def batch_at(s):
        st = (s * batch) % (n - batch)
        return X[st:st + batch], Y[st:st + batch]

    def apply(p, x):
        return functional_call(model, dict(zip(names, p)), (x,))

    lr = torch.tensor(0.05, requires_grad=True)

    def stat():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime, r.ru_stime, r.ru_minflt

    times, cpus, warm = [], [], None
    s0 = stat()
    for r in range(repeats + 1):
        if r == 1:
            s1 = stat()
        t0, c0 = time.perf_counter(), time.process_time()
        p = init
        for s in range(1, K + 1):
            x, y = batch_at(s)
            loss = F.cross_entropy(apply(p, x), y)
            g = torch.autograd.grad(loss, p, create_graph=True)
            p = [a - lr * b for a, b in zip(p, g)]
        x, y = batch_at(K + 1)
        final = F.cross_entropy(apply(p, x), y)
        glr = torch.autograd.grad(final, lr)[0]
        assert glr.item() == glr.item()
        dt = (time.perf_counter() - t0) * 1e3 / K
        dc = (time.process_time() - c0) * 1e3 / K
        if r == 0:
            sw = stat()
            warm = {"warm_ms": dt, "warm_user_ms": (sw[0] - s0[0]) * 1e3 / K,
                    "warm_sys_ms": (sw[1] - s0[1]) * 1e3 / K, "warm_minflt": (sw[2] - s0[2]) / K}
        else:
            times.append(dt)
            cpus.append(dc)
        del p, final, glr, g, loss
    s2 = stat()
    steps = repeats * K
    out = {"model": name, "K": K, "ms": statistics.median(times), "cpu_ms": statistics.median(cpus),
           "user_ms": (s2[0] - s1[0]) * 1e3 / steps, "sys_ms": (s2[1] - s1[1]) * 1e3 / steps,
           "minflt": (s2[2] - s1[2]) / steps,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    out.update(warm)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--ks", default="30,60")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--child", default="")
    ap.add_argument("--k", type=int, default=30)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.k, a.repeats, a.batch)
        return
    for name in a.models.split(","):
        for k in a.ks.split(","):
            cmd = [sys.executable, __file__, "--child", name, "--k", k, "--repeats", str(a.repeats),
                   "--batch", str(a.batch)]
            line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            r = json.loads(line)
            print("%-4s K %3d  %.3f ms/step, %.3f ms CPU/step  (first outer step %.3f ms/step, sys %.3f ms/step, %.0f minflt/step)  "
                  "user %.3f sys %.3f ms/step  peak RSS %.1f MB"
                  % (name, r["K"], r["ms"], r["cpu_ms"], r["warm_ms"], r["warm_sys_ms"], r["warm_minflt"], r["user_ms"],
                     r["sys_ms"], r["peak_rss_mb"]))


if __name__ == "__main__":
    main()
