#!/usr/bin/env python3
"""Draws the committed Fashion-MNIST sample (samples/fashion-mnist) from Debian's dataset-fashion-mnist package.

Deterministic: for each class, the indices of that class are shuffled with random.Random(SEED + class id) and the
first N are kept; the kept indices are then written in ascending order of their position in the original file.
Output files are gzip with mtime 0, so rerunning the script gives byte-identical files.

Usage: python3 scripts/make-fashion-sample.py [source-folder] [output-folder]
  defaults: /usr/share/datasets/fashion-mnist  samples/fashion-mnist
Needs only the Python standard library.
"""
import gzip
import os
import random
import struct
import sys

SEED = 20171
TRAIN_PER_CLASS = 300
TEST_PER_CLASS = 100
CLASSES = 10


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got = struct.unpack(">I", data[:4])[0]
    if got != magic:
        raise SystemExit(f"{path}: magic {got:#x}, expected {magic:#x}")
    if magic == 0x803:
        n, rows, cols = struct.unpack(">III", data[4:16])
        size = rows * cols
        return [data[16 + i * size:16 + (i + 1) * size] for i in range(n)], (rows, cols)
    n = struct.unpack(">I", data[4:8])[0]
    return list(data[8:8 + n]), None


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(payload)


def draw(src, dst, src_prefix, dst_prefix, per_class, seed_offset):
    images, (rows, cols) = read_idx(os.path.join(src, f"{src_prefix}-images-idx3-ubyte.gz"), 0x803)
    labels, _ = read_idx(os.path.join(src, f"{src_prefix}-labels-idx1-ubyte.gz"), 0x801)
    if len(images) != len(labels):
        raise SystemExit(f"{src_prefix}: {len(images)} images but {len(labels)} labels")
    chosen = []
    for c in range(CLASSES):
        idx = [i for i, l in enumerate(labels) if l == c]
        random.Random(SEED + seed_offset + c).shuffle(idx)
        if len(idx) < per_class:
            raise SystemExit(f"{src_prefix}: class {c} has only {len(idx)} images")
        chosen.extend(idx[:per_class])
    chosen.sort()
    img = struct.pack(">IIII", 0x803, len(chosen), rows, cols) + b"".join(images[i] for i in chosen)
    lab = struct.pack(">II", 0x801, len(chosen)) + bytes(labels[i] for i in chosen)
    write_gz(os.path.join(dst, f"{dst_prefix}-images-idx3-ubyte.gz"), img)
    write_gz(os.path.join(dst, f"{dst_prefix}-labels-idx1-ubyte.gz"), lab)
    print(f"{dst_prefix}: {len(chosen)} images ({per_class} per class) from {src_prefix} ({len(images)})")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "samples", "fashion-mnist")
    os.makedirs(dst, exist_ok=True)
    draw(src, dst, "train", "train", TRAIN_PER_CLASS, 0)
    draw(src, dst, "t10k", "test", TEST_PER_CLASS, 1000)


if __name__ == "__main__":
    main()
