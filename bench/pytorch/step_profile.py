"""Where the time of a case-1 training step goes in the PyTorch loop of step_rate.py: batch (the DataLoader decodes,
resizes and normalises), forward with the loss, backward, optimizer step with zero_grad, each timed on its own.
The TLDsl side: `TLDsl.Bench step-profile` (the same parts of its trainer's step)."""
import time

import torch
import torchvision

import common

PARTS = ("batch", "forward", "backward", "optimizer")


def main():
    p = common.parser(__doc__)
    p.add_argument("--data", default="samples/fashion-mnist")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    torch.manual_seed(42)
    images, labels, _, _ = common.idx_files(a.data)
    data = common.GrayImages(common.read_idx(images), common.read_idx(labels), a.size, *common.imagenet_affine())
    batches = iter(torch.utils.data.DataLoader(data, batch_size=a.batch, shuffle=False, num_workers=0))
    model = torchvision.models.resnet18(num_classes=10)
    model.train()
    optimizer = common.adamw(model, 3e-3, 0.01)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    seconds = [0.0] * len(PARTS)
    for step in range(a.warmup + a.steps):
        t = [time.perf_counter()]
        x, y = next(batches)
        t.append(time.perf_counter())
        logits = model(x)
        loss = criterion(logits, y)
        loss.item()
        t.append(time.perf_counter())
        loss.backward()
        t.append(time.perf_counter())
        (logits.argmax(1) == y).sum().item()
        t0 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad()
        t.append(time.perf_counter() - t0 + t[-1])
        if step >= a.warmup:
            for i in range(len(PARTS)):
                seconds[i] += (t[i + 1] - t[i]) / a.steps
    print(f"step parts of a full fine-tune of resnet18, {a.size}x{a.size}, batch {a.batch}, {threads} threads "
          f"(mean of {a.steps} steps after {a.warmup}): " + ", ".join(f"{n} {s:.3f} s" for n, s in zip(PARTS, seconds))
          + f"; step {sum(seconds):.3f} s")
    common.result(f"profile_{a.size}", **{f"{n}_s": s for n, s in zip(PARTS, seconds)}, step_s=sum(seconds),
                  threads=threads, steps=a.steps)


if __name__ == "__main__":
    main()
