"""Case 4: the machine's practical float32 peak (a large square matmul) and torchvision's ResNet-18 forward rate
(inference, batch 32, 224x224) in GFLOP/s as a share of it. FLOPs are counted from the layer shapes seen in a forward
pass (2 per multiply-accumulate of every convolution and linear layer), a cross-check of TLDsl's analytic count.
The TLDsl side: `TLDsl.Bench forward-rate`."""
import time

import torch
import torchvision

import common


def rate(action, warmup, reps):
    for _ in range(warmup):
        action()
    start = time.perf_counter()
    for _ in range(reps):
        action()
    return reps / (time.perf_counter() - start)


def flops_per_image(model, size):
    macs = []

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            macs.append(output.numel() * module.in_channels // module.groups * kh * kw)
        elif isinstance(module, torch.nn.Linear):
            macs.append(output.numel() * module.in_features)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return 2 * sum(macs)


def main():
    p = common.parser(__doc__)
    p.add_argument("--gemm", type=int, default=2048)
    p.add_argument("--gemm-reps", type=int, default=5)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    torch.manual_seed(0)
    x, y = torch.randn(a.gemm, a.gemm), torch.randn(a.gemm, a.gemm)
    gemm = rate(lambda: torch.matmul(x, y), 1, a.gemm_reps) * 2.0 * a.gemm ** 3 / 1e9
    del x, y
    model = torchvision.models.resnet18().eval()
    flops = flops_per_image(model, a.size)
    batch = torch.randn(a.batch, 3, a.size, a.size)
    with torch.no_grad():
        images_per_s = rate(lambda: model(batch), 1, a.reps) * a.batch
    forward = images_per_s * flops / 1e9
    print(f"sgemm {a.gemm}x{a.gemm}: {gemm:.1f} GFLOP/s; resnet18 forward {a.size}x{a.size} batch {a.batch}: "
          f"{images_per_s:.1f} images/s x {flops / 1e9:.3f} GFLOP/image = {forward:.1f} GFLOP/s = "
          f"{forward / gemm * 100:.1f}% of the sgemm rate ({threads} threads)")
    common.result("forward", sgemm_gflops=gemm, forward_images_per_s=images_per_s, forward_gflops=forward,
                  pct_of_sgemm=forward / gemm * 100, gflop_per_image=flops / 1e9, peak_rss_mib=common.peak_rss_mib(),
                  threads=threads)


if __name__ == "__main__":
    main()
