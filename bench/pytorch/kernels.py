"""Single kernels of a ResNet-18 training step, as `TLDsl.Bench kernels` times them in TorchSharp's libtorch: layer1's
3x3 convolution and training-mode BatchNorm (32x64x56x56), forward and forward+backward, and the 7x7 stride-2 stem."""
import time

import torch
import torch.nn.functional as F

import common


def milliseconds(run, reps):
    for _ in range(2):
        run()
    start = time.perf_counter()
    for _ in range(reps):
        run()
    return (time.perf_counter() - start) / reps * 1000


def main():
    p = common.parser(__doc__)
    p.add_argument("--reps", type=int, default=10)
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(32, 64, 56, 56, requires_grad=True)
    w = torch.randn(64, 64, 3, 3, requires_grad=True)
    gamma, beta = torch.ones(64, requires_grad=True), torch.zeros(64, requires_grad=True)
    mean, variance = torch.zeros(64), torch.ones(64)
    stem, stem_weight = torch.randn(32, 3, 224, 224), torch.randn(64, 3, 7, 7, requires_grad=True)
    kernels = {
        "conv3x3_fwd_ms": lambda: F.conv2d(x, w, padding=1),
        "conv3x3_fwd_bwd_ms": lambda: F.conv2d(x, w, padding=1).sum().backward(),
        "bn_train_fwd_ms": lambda: F.batch_norm(x, mean, variance, gamma, beta, training=True),
        "bn_train_fwd_bwd_ms": lambda: F.batch_norm(x, mean, variance, gamma, beta, training=True).sum().backward(),
        "stem7x7_fwd_ms": lambda: F.conv2d(stem, stem_weight, stride=2, padding=3),
    }
    results = {k: milliseconds(run, a.reps) for k, run in kernels.items()}
    print(f"kernels, {threads} threads, mean of {a.reps}: " + ", ".join(f"{k} {v:.1f}" for k, v in results.items()))
    common.result("kernels", **results, threads=threads)


if __name__ == "__main__":
    main()
