"""tools/meta_gru_torch.py — the PyTorch peer of tools/meta_gru.lua: the same loop (the
paper's bidirectional GRU, hidden 6, 40 steps; STEPS unrolled SGD steps with create_graph
gradients, then d(mean inner loss)/d(lr)), timed the same way (ms per inner step, median
over repeats after one warm-up; user/system CPU; peak RSS).  Data: random inputs of the
frozen set's shape (timing only; the values do not change the work).

    /usr/bin/python3 tools/meta_gru_torch.py [--steps 30] [--batch 100] [--repeats 5] [--threads 1] [--dtype float32]
"""
import argparse, resource, statistics, time, os
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--batch", type=int, default=100)
ap.add_argument("--repeats", type=int, default=5)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--dtype", default="float32")
ap.add_argument("--lr", type=float, default=0.1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
dt = getattr(torch, a.dtype)
torch.manual_seed(0)
H, T = 6, 40
gru = nn.GRU(1, H, batch_first=True, bidirectional=True).to(dt)
fc = nn.Linear(2 * H * T, 10).to(dt)
p0 = [p.detach().requires_grad_() for p in list(gru.parameters()) + list(fc.parameters())]
X = torch.randn(a.steps * a.batch, T, dtype=dt)
Y = torch.randint(0, 10, (a.steps * a.batch,))


def model(p, x):
    # torch.nn.GRU's functional form: torch._VF.gru with the flat weight list
    h0 = x.new_zeros(2, x.shape[0], H)
    out, _ = torch._VF.gru(x.reshape(x.shape[0], T, 1), h0, p[:8], True, 1, 0.0, False, True, True)
    return F.linear(out.reshape(out.shape[0], -1), p[8], p[9])


def repeat_once():
    lr = torch.tensor(a.lr, dtype=dt, requires_grad=True)
    p, total = p0, 0
    for s in range(a.steps):
        xb, yb = X[s * a.batch:(s + 1) * a.batch], Y[s * a.batch:(s + 1) * a.batch]
        loss = F.cross_entropy(model(p, xb), yb)
        g = torch.autograd.grad(loss, p, create_graph=True)
        p = [q - lr * gq for q, gq in zip(p, g)]
        total = total + loss
    meta = total / a.steps
    return meta.item(), torch.autograd.grad(meta, lr)[0].item()


times = []
c0 = os.times()
for r in range(a.repeats + 1):
    t0 = time.perf_counter()
    meta, dlr = repeat_once()
    if r > 0:
        times.append((time.perf_counter() - t0) * 1e3 / a.steps)
c1 = os.times()
times.sort()
print("meta_gru torch %s batch %d, %d inner steps, %d repeats: %.2f ms per inner step (median; min %.2f, max %.2f)"
      % (a.dtype, a.batch, a.steps, len(times), statistics.median(times), times[0], times[-1]))
cpu = c1.user - c0.user + c1.system - c0.system
print("cpu user %.2f s, system %.2f s (all %d repeats and the warm-up: %.2f ms CPU per inner step), peak RSS %.0f MB"
      % (c1.user - c0.user, c1.system - c0.system, a.repeats + 1, cpu * 1e3 / ((a.repeats + 1) * a.steps),
         resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
print("meta-loss %.9g, d meta-loss / d lr %.9g" % (meta, dlr))
