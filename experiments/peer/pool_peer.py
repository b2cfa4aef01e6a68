#!/usr/bin/python3
"""PyTorch side of bench.lua's section `pooling` (written here, for make bench-peer): the
training step of the pooling study's five models (models.ConvPool: no_pool, stride_2,
max_pool, avg_pool, l2_pool), batch 100 from the frozen training set in order, Adam lr
1e-2, 50 warm-up steps, then the median over --reps of the mean time of --steps steps.
Prints one JSON line {kind: ms per step}.  Run by bench_peer.py --only pooling.
"""
import argparse, json, os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy as np
import torch
import torch.nn.functional as F
from models import ConvPool

KINDS = ["no_pool", "stride_2", "max_pool", "avg_pool", "l2_pool"]


def load_frozen(data_dir):
    """The frozen training set (x float32, y int64) from data_dir/frozen/{x,y}.npy."""
    x = torch.from_numpy(np.load(os.path.join(data_dir, "frozen", "x.npy")).astype(np.float32))
    y = torch.from_numpy(np.load(os.path.join(data_dir, "frozen", "y.npy")).astype(np.int64))
    return x, y


def median_step_ms(m, x, y, steps, reps, B=100):
    """ms per training step of model m (Adam lr 1e-2, cross-entropy, batches of B in order
    with wrap-around): 50 warm-up steps, then the median over reps of the mean of steps."""
    n = x.shape[0]
    opt = torch.optim.Adam(m.parameters(), 1e-2)
    s = [0]

    def step():
        st = (s[0] * B) % n
        loss = F.cross_entropy(m(x[st:st + B]), y[st:st + B])
        opt.zero_grad()
        loss.backward()
        opt.step()
        s[0] += 1

    for _ in range(50):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - t0) / steps * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="directory holding frozen/x.npy and frozen/y.npy")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    x, y = load_frozen(a.data)
    out = {}
    for kind in KINDS:
        torch.manual_seed(0)
        out[kind] = median_step_ms(ConvPool(kind), x, y, a.steps, a.reps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
