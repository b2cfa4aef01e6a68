#!/usr/bin/python3
"""PyTorch side of bench.lua's extended sections (transformer, mlp_bn; written here, for make
bench-peer): the training step of each model of models.EXTENDED named by --models, batch 100
from the frozen training set in order (extended_models.py), Adam lr 1e-2, 50 warm-up steps, then the median over
--reps of the mean time of --steps steps.  Prints one JSON line {model: ms per step}.  Run by
bench_peer.py --only extended.
"""
import argparse, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch
from extended_models import EXTENDED
from pool_peer import load_frozen, median_step_ms   # the same timing loop


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="directory holding frozen/x.npy and frozen/y.npy")
    p.add_argument("--models", default=",".join(EXTENDED), help="comma-separated, of " + ", ".join(EXTENDED))
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    x, y = load_frozen(a.data)
    out = {}
    for name in a.models.split(","):
        torch.manual_seed(0)
        m = EXTENDED[name]()
        m.train()
        out[name] = median_step_ms(m, x, y, a.steps, a.reps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
