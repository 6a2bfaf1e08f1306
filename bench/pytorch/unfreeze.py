"""Gradual unfreezing (issue #18) written as the idiomatic PyTorch loop: the offline ImageNet ResNet-18 (weights
exported from TLDsl by `TLDsl.Bench export-backbone`), 112x112, the same train/valid/test images as TLDsl
(indices.txt: 200 per class, 10% validate), dropout + linear head, label smoothing 0.1, batch 64, AdamW (no decay on
biases), constant rates. Phase 1, 3 epochs: the backbone frozen (requires_grad False, eval mode), its full forward
every batch under no_grad, head at 3e-3. Phase 2, 3 epochs: layer4 trainable too (its BatchNorm in training mode);
the stem to layer3 run under no_grad every batch, layer4 and the head with autograd; layer4 at 1e-4, head at 1e-3.
One optimizer across both phases (parameters without a gradient are skipped). Validation every epoch; test accuracy
of the best epoch. Prints the RSS at the end of every epoch and the peak RSS."""
import copy
import os
import time

import torch

import common
from frozen_finetune import BGR_MEAN, load_backbone


class Model(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.head = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(512, 10))
        self.layer4_trains = False

    def forward(self, x):
        b = self.backbone
        with torch.no_grad():
            x = b.layer3(b.layer2(b.layer1(b.maxpool(b.relu(b.bn1(b.conv1(x)))))))
            if not self.layer4_trains:
                x = b.layer4(x)
        if self.layer4_trains:
            x = b.layer4(x)
        return self.head(torch.flatten(b.avgpool(x), 1))

    def set_mode(self):
        """Training mode for what trains; the frozen backbone keeps its ImageNet BatchNorm statistics."""
        self.train()
        self.backbone.eval()
        if self.layer4_trains:
            self.backbone.layer4.train()


def groups(module, lr, weight_decay):
    params = list(module.parameters())
    return [{"params": [p for p in params if p.dim() > 1], "weight_decay": weight_decay, "lr": lr},
            {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0, "lr": lr}]


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


def main():
    p = common.parser(__doc__)
    p.add_argument("--data", default="samples/fashion-mnist")
    p.add_argument("--export", required=True, help="folder written by TLDsl.Bench export-backbone")
    p.add_argument("--head-epochs", type=int, default=3)
    p.add_argument("--layer4-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--size", type=int, default=112)
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    start = time.perf_counter()
    torch.manual_seed(a.seed)
    backbone = load_backbone(os.path.join(a.export, "backbone.npz"))
    for param in backbone.parameters():
        param.requires_grad = False
    model = Model(backbone)

    with open(os.path.join(a.export, "indices.txt")) as f:
        train_idx, valid_idx, test_idx = [torch.tensor([int(v) for v in line.split()], dtype=torch.long) for line in f]
    train_images, train_labels, test_images, test_labels = (common.read_idx(f) for f in common.idx_files(a.data))
    affine = common.bgr_mean_affine(BGR_MEAN)
    train = torch.utils.data.DataLoader(common.GrayImages(train_images[train_idx], train_labels[train_idx], a.size, *affine),
                                        batch_size=64, shuffle=True)
    valid = torch.utils.data.DataLoader(common.GrayImages(train_images[valid_idx], train_labels[valid_idx], a.size, *affine),
                                        batch_size=64)
    test = torch.utils.data.DataLoader(common.GrayImages(test_images[test_idx], test_labels[test_idx], a.size, *affine),
                                       batch_size=64)

    optimizer = torch.optim.AdamW(groups(model.head, 3e-3, 0.01) + groups(backbone.layer4, 1e-4, 0.01),
                                  betas=(0.9, 0.999), eps=1e-8)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    best, best_state, rss = -1.0, None, []
    phases = [("head", a.head_epochs, 3e-3, None), ("layer4", a.layer4_epochs, 1e-3, 1e-4)]
    for name, epochs, head_lr, layer4_lr in phases:
        if layer4_lr is not None:
            model.layer4_trains = True
            for param in backbone.layer4.parameters():
                param.requires_grad = True
        for g in optimizer.param_groups[:2]:
            g["lr"] = head_lr
        for g in optimizer.param_groups[2:]:
            g["lr"] = layer4_lr or 0.0
        for _ in range(epochs):
            t0 = time.perf_counter()
            model.set_mode()
            for x, y in train:
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            valid_accuracy = accuracy(model, valid)
            if valid_accuracy > best:  # what trains so far: the head and layer4 (its BatchNorm statistics too)
                best = valid_accuracy
                best_state = copy.deepcopy({"head": model.head.state_dict(), "layer4": backbone.layer4.state_dict()})
            rss.append(common.rss_mib())
            print(f"  {name} epoch {len(rss)}: valid accuracy {valid_accuracy:.4f}, {time.perf_counter() - t0:.1f} s, "
                  f"RSS {rss[-1]:.1f} MiB (peak so far {common.peak_rss_mib():.1f})", flush=True)
    model.head.load_state_dict(best_state["head"])
    backbone.layer4.load_state_dict(best_state["layer4"])
    test_accuracy = accuracy(model, test)
    seconds = time.perf_counter() - start

    def growth(first, epochs):
        return (rss[first + epochs - 1] - rss[first + 1]) / rss[first + 1] * 100 if epochs >= 2 else float("nan")

    print(f"gradual unfreezing, {a.head_epochs} + {a.layer4_epochs} epochs, {threads} threads: {seconds:.1f} s end to end, "
          f"test accuracy {test_accuracy:.4f}, peak RSS {common.peak_rss_mib():.1f} MiB")
    common.result("unfreeze", seconds=seconds, test_accuracy=test_accuracy, peak_rss_mib=common.peak_rss_mib(),
                  rss_growth_head_pct=growth(0, a.head_epochs), rss_growth_layer4_pct=growth(a.head_epochs, a.layer4_epochs),
                  threads=threads, rss_per_epoch_mib=",".join(f"{r:.0f}" for r in rss))


if __name__ == "__main__":
    main()
