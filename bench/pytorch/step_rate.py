"""Case 1: training steps per second of a full fine-tune of torchvision's ResNet-18 (random init, every parameter
trains) on Fashion-MNIST batches decoded, resized and normalised on the fly; AdamW, label-smoothed cross-entropy.
The TLDsl side: `TLDsl.Bench step-rate` (its trainer on the same pipeline)."""
import time

import torch
import torchvision

import common


def main():
    p = common.parser(__doc__)
    p.add_argument("--data", default="samples/fashion-mnist")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--case", help="the RESULT line's case name (default step_<size>)")
    p.add_argument("--trace", action="store_true", help="print RSS after each step")
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    if a.trace:
        print(f"  start: RSS {common.rss_mib():.0f} MiB, peak {common.peak_rss_mib():.0f} MiB")
    torch.manual_seed(42)
    images, labels, _, _ = common.idx_files(a.data)
    data = common.GrayImages(common.read_idx(images), common.read_idx(labels), a.size, *common.imagenet_affine())
    loader = torch.utils.data.DataLoader(data, batch_size=a.batch, shuffle=True, num_workers=0)
    model = torchvision.models.resnet18(num_classes=10)
    model.train()
    optimizer = common.adamw(model, 3e-3, 0.01)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    warmup = max(1, a.warmup)
    done, start = 0, None
    for x, y in loader:
        logits = model(x)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item(), (logits.argmax(1) == y).sum().item()
        done += 1
        if a.trace:
            print(f"  step {done}: RSS {common.rss_mib():.0f} MiB, peak {common.peak_rss_mib():.0f} MiB")
        if done == warmup:
            start = time.perf_counter()
        elif done == warmup + a.steps:
            break
    else:
        raise SystemExit(f"the epoch ended before {warmup + a.steps} steps")
    rate = a.steps / (time.perf_counter() - start)
    print(f"full fine-tune of resnet18 (random init), {a.size}x{a.size}, batch {a.batch}, {threads} threads: "
          f"{rate:.3f} steps/s, {rate * a.batch:.1f} images/s ({a.steps} timed steps after {warmup} warm-up)")
    common.result(a.case or f"step_{a.size}", steps_per_s=rate, images_per_s=rate * a.batch, peak_rss_mib=common.peak_rss_mib(),
                  threads=threads, batch=a.batch, steps=a.steps)


if __name__ == "__main__":
    main()
