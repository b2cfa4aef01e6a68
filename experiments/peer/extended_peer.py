#!/usr/bin/python3
"""PyTorch side of bench.lua's extended sections (transformer, mlp_bn; written here, for make
bench-peer): the training step of each model of models.EXTENDED named by --models, batch 100
from the frozen training set in order (extended_models.py), Adam lr 1e-2, 50 warm-up steps, then the median over
--reps of the mean time of --steps steps.  Prints one JSON line {model: ms per step}.  Run by
bench_peer.py --only extended.
"""
import argparse, json, os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy as np
import torch
import torch.nn.functional as F
from extended_models import EXTENDED


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="directory holding frozen/x.npy and frozen/y.npy")
    p.add_argument("--models", default=",".join(EXTENDED), help="comma-separated, of " + ", ".join(EXTENDED))
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    x = torch.from_numpy(np.load(os.path.join(a.data, "frozen", "x.npy")).astype(np.float32))
    y = torch.from_numpy(np.load(os.path.join(a.data, "frozen", "y.npy")).astype(np.int64))
    n, B = x.shape[0], 100
    out = {}
    for name in a.models.split(","):
        torch.manual_seed(0)
        m = EXTENDED[name]()
        m.train()
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
        for _ in range(a.reps):
            t0 = time.perf_counter()
            for _ in range(a.steps):
                step()
            times.append((time.perf_counter() - t0) / a.steps * 1e3)
        times.sort()
        out[name] = times[len(times) // 2]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
