"""Shared helpers of the PyTorch programs that bench/pytorch.sh runs against TLDsl's cases (bench/TLDsl.Bench)."""
import argparse
import gzip
import os
import struct

import torch
import torch.nn.functional as F

# torchvision's ImageNet statistics (RGB, [0, 1]) and the offline ImageNet ResNet-18's BGR channel means (0-255),
# as TLDsl applies them (src/TLDsl.Runtime/Models/Normalization.cs; the mean image only applies at 224x224).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (TLDsl side: the same number)")
    return p


def set_threads(threads):
    torch.set_num_threads(threads)
    return threads


def rss_mib(key="VmRSS:"):
    """Resident memory of this process from /proc, as TLDsl's bench reads it (key VmHWM: for the peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    raise KeyError(key)


def peak_rss_mib():
    return rss_mib("VmHWM:")


def result(case, **values):
    """The one machine-readable line each program prints; bench/pytorch/compare.py pairs it with TLDsl's."""
    def fmt(v):
        return f"{v:.6g}" if isinstance(v, float) else str(v)
    print(f"RESULT case={case} side=pytorch " + " ".join(f"{k}={fmt(v)}" for k, v in values.items()), flush=True)


def idx_files(folder):
    """The four IDX files of a Fashion-MNIST folder: the committed sample's names or Debian's (t10k-*), raw or gzip."""
    def pick(*names):
        for n in names:
            if os.path.exists(os.path.join(folder, n)):
                return os.path.join(folder, n)
        raise FileNotFoundError(f"none of {names} in {folder}")
    return (pick("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"),
            pick("train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"),
            pick("test-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "test-images-idx3-ubyte", "t10k-images-idx3-ubyte"),
            pick("test-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "test-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"))


def read_idx(path):
    """An IDX file as a uint8 tensor: images [N, rows, cols] or labels [N]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


class GrayImages(torch.utils.data.Dataset):
    """Decoded 28x28 grayscale images as a torchvision-style dataset: each item is resized (bilinear, antialiased, as
    TLDsl does), repeated to 3 channels and normalised on access: x' = x * scale + shift per channel, x in [0, 1]."""

    def __init__(self, images, labels, size, scale, shift):
        self.images, self.labels, self.size = images, labels.long(), size
        self.scale = torch.tensor(scale).view(3, 1, 1)
        self.shift = torch.tensor(shift).view(3, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float().div(255).view(1, 1, *self.images.shape[1:])
        x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)[0]
        return x.expand(3, -1, -1) * self.scale + self.shift, self.labels[i]


def imagenet_affine():
    """(scale, shift) of torchvision's ImageNet normalisation."""
    return [1 / s for s in IMAGENET_STD], [-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]


def bgr_mean_affine(bgr_mean):
    """(scale, shift) of the Caffe/CNTK convention: 0-255 pixels, BGR order, channel means subtracted, no division.
    Grayscale repeated to 3 channels reads the same in BGR and RGB order, so only the means' order matters."""
    return [255.0] * 3, [-m for m in bgr_mean]


def adamw(model, lr, weight_decay):
    """AdamW over the trainable parameters, no weight decay on biases and normalisation scales (as TLDsl)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW([
        {"params": [p for p in params if p.dim() > 1], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0},
    ], lr=lr, betas=(0.9, 0.999), eps=1e-8)
