#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Pure standard library (no NumPy): the .npy headers are written the way NumPy 1.24
writes them, plus the variants the reader accepts (versions 2.0 and 3.0, big-endian,
every integer kind, bool, 0-d, empty, Python-2 longs, NUL padding).  Run from the
repository root:  python3 tests/fuzz/seeds.py
"""
import hashlib
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def npy(descr, shape, data, version=(1, 0), fortran="False", shape_text=None, pad=b" "):
    if shape_text is None:
        shape_text = "(" + "".join("%d, " % s for s in shape)[:-2] + ("," if len(shape) == 1 else "") + ")"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_text)
    h = d.encode("latin1")
    pre = 10 if version[0] == 1 else 12
    total = pre + len(h) + 1
    h = h + pad * ((64 - total % 64) % 64) + b"\n"
    if version[0] == 1:
        head = b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(h))
    else:
        head = b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(h))
    return head + h + data


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def seeds_npy():
    out = {}
    fmt = {"f4": "f", "f8": "d", "i1": "b", "i2": "h", "i4": "i", "i8": "q",
           "u1": "B", "u2": "H", "u4": "I", "u8": "Q", "b1": "?"}
    for code, f in fmt.items():
        shape = (2, 3)
        vals = [(i * 7 - 5) if code[0] in "fi" else (i * 3) for i in range(6)]
        if code == "b1":
            vals = [i % 2 == 0 for i in range(6)]
        bo = "|" if code in ("i1", "u1", "b1") else "<"
        out["le_%s" % code] = npy(bo + code, shape, struct.pack("<%d%s" % (6, f), *vals))
    out["be_f8"] = npy(">f8", (3,), struct.pack(">3d", 1.5, -2.0, 3.25))
    out["be_i4"] = npy(">i4", (2, 2), struct.pack(">4i", 1, -2, 3, -4))
    out["native_f8"] = npy("=f8", (2,), struct.pack("<2d", 1.0, 2.0))
    out["nobyteorder_i2"] = npy("i2", (2,), struct.pack("<2h", 1, 2))
    out["zero_dim"] = npy("<f8", (), struct.pack("<d", 42.0))
    out["empty"] = npy("<f4", (0, 5), b"")
    out["one_dim"] = npy("<i8", (4,), struct.pack("<4q", 0, 1, 2, 3))
    out["eight_dims"] = npy("<f4", (1, 2, 1, 2, 1, 2, 1, 1), struct.pack("<8f", *range(8)))
    out["v2"] = npy("<f8", (2,), struct.pack("<2d", 1, 2), version=(2, 0))
    out["v3"] = npy("<u2", (2,), struct.pack("<2H", 1, 2), version=(3, 0))
    out["py2_long"] = npy("<f4", (2,), struct.pack("<2f", 1, 2), shape_text="(2L,)")
    out["nul_padded"] = npy("<f4", (1,), struct.pack("<f", 1), pad=b"\0")
    out["fortran"] = npy("<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4), fortran="True")
    out["u8_too_big"] = npy("<u8", (1,), struct.pack("<Q", 1 << 63))
    out["truncated"] = npy("<f8", (100,), struct.pack("<2d", 1, 2))
    out["huge_shape"] = npy("<f8", (0, 1 << 62, 1 << 62), b"")
    out["mnist1d_like"] = npy("<f4", (4, 40), struct.pack("<160f", *[i / 7 for i in range(160)]))
    return out


def arg(raw=None, small=None, kind="q"):
    """One argument of fuzz_mnist1d_args: a selector byte, then 8 raw bytes or 1 small byte."""
    if raw is not None:
        return b"\x01" + struct.pack("<" + kind, raw)
    return b"\x00" + bytes([small & 0xFF])


def seeds_mnist1d():
    # fields in order: num_samples train_split template_len padding0 padding1 scale_coeff
    # max_translation corr_noise_scale iid_noise_scale shear_scale shuffle_seq
    # final_seq_length seed
    def make(ns=50, split=0.8, tl=12, p0=36, p1=60, sc=0.4, mt=48, corr=0.25, iid=2e-2,
             shear=0.75, shuffle=0, fl=40, seed=42):
        small_int = lambda v, lo, span: arg(small=v - lo) if lo <= v < lo + span else arg(raw=v)
        return b"".join([
            small_int(ns, 0, 110), arg(raw=split, kind="d"), small_int(tl, -2, 40),
            small_int(p0, -2, 80), small_int(p1, -2, 100), arg(raw=sc, kind="d"),
            small_int(mt, -2, 120), arg(raw=corr, kind="d"), arg(raw=iid, kind="d"),
            arg(raw=shear, kind="d"), small_int(shuffle, 0, 3), small_int(fl, -2, 80),
            small_int(seed, 0, 256)])
    return {
        "defaults_small": make(),
        "shuffled": make(shuffle=1, seed=3),
        "short": make(ns=10, tl=0, p0=0, p1=2, fl=1, mt=1),
        "all_train": make(split=1.0),
        "all_test": make(split=0.0),
        "no_noise": make(sc=0, corr=0, iid=0, shear=0),
        "nan_split": make(split=float("nan")),
        "inf_scale": make(sc=float("inf")),
        "huge_samples": make(ns=1 << 62),
        "huge_len": make(fl=1 << 62, ns=100),
        "neg_padding": make(p0=-1),
        "padding_reversed": make(p0=60, p1=36),
        "big_seed": make(seed=1 << 32),
        "bad_shuffle": make(shuffle=2),
    }


def model(tensors, version=1, count=None, fix=True):
    """An m1d model file (layout in src/modelfile.c), behind fuzz_modelfile's control byte."""
    b = b"M1DMODEL" + struct.pack("<II", version, len(tensors) if count is None else count)
    for name, dtype, shape, data in tensors:
        b += struct.pack("<I", len(name)) + name.encode() + struct.pack("<II", dtype, len(shape))
        b += b"".join(struct.pack("<q", s) for s in shape) + data
    return (b"\x01" if fix else b"\x00") + b + hashlib.sha256(b).digest()


def seeds_modelfile():
    f32 = lambda *v: struct.pack("<%df" % len(v), *v)
    lin = [("weight", 0, (2, 3), f32(*range(6))), ("bias", 0, (2,), f32(1, 2))]
    return {
        "linear": model(lin),
        "linear_unfixed": model(lin, fix=False),
        "empty_model": model([]),
        "all_dtypes": model([("a", 0, (1,), f32(1)), ("b", 1, (2,), struct.pack("<2d", 1, 2)),
                             ("c", 2, (2, 1), struct.pack("<2q", -1, 7))]),
        "scalar": model([("s", 1, (), struct.pack("<d", 3.5))]),
        "zero_size": model([("z", 0, (0, 4), b"")]),
        "eight_dims": model([("e", 0, (1,) * 8, f32(2))]),
        "bad_version": model(lin, version=2),
        "bad_count": model(lin, count=1000),
        "bad_dtype": model([("x", 7, (1,), f32(1))]),
        "short_data": model([("x", 1, (4,), struct.pack("<d", 1))]),
    }


def write(target, files):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("fuzz_npy", seeds_npy())
    write("fuzz_mnist1d_args", seeds_mnist1d())
    write("fuzz_modelfile", seeds_modelfile())
