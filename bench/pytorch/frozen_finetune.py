"""Case 2: the quickstart's frozen-backbone fine-tune written as the idiomatic PyTorch loop: the offline ImageNet
ResNet-18 (torchvision's ResNet with blocks [2, 2, 2, 3], weights exported from TLDsl by `TLDsl.Bench export-backbone`),
backbone requires_grad=False and held in eval mode, the full forward every batch of every epoch, a DataLoader over the
decoded images with the same preprocessing (112x112 bilinear, BGR channel means), dropout + linear head, AdamW
(no decay on biases), one-cycle, label smoothing 0.1, batch 64, validation every epoch, test accuracy of the best epoch.
The same train/valid/test images as TLDsl (indices.txt). Timed end to end: weights, data, training, test.
--precomputed (the accuracy study over many seeds, not the timed case): the backbone's features of every image are
computed once, in eval mode as in the loop, and the same loop runs on them. The backbone draws no random numbers in
eval mode, so shuffling, dropout and head initialisation consume the same random stream as the full loop: the
training is the same up to float rounding, at a fraction of the time."""
import copy
import os
import time
import zipfile

import numpy as np
import torch
from torchvision.models.resnet import BasicBlock, ResNet

import common

BGR_MEAN = (103.0626, 115.9029, 123.1516)  # TLDsl's ImageNetResNet18Weights.BgrChannelMeans


def load_backbone(path):
    backbone = ResNet(BasicBlock, [2, 2, 2, 3])
    backbone.fc = torch.nn.Identity()
    state = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            with z.open(name) as f:
                state[name[:-len(".npy")]] = torch.from_numpy(np.load(f))
    backbone.load_state_dict(state, strict=True)
    return backbone


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


def features_of(backbone, images):
    """The backbone's features of every image of a dataset, in batches of 64, as a TensorDataset. Each DataLoader
    iteration draws its base seed from the global generator: the state is restored so the loop's stream is unchanged."""
    rng = torch.get_rng_state()
    loader = torch.utils.data.DataLoader(images, batch_size=64)
    with torch.no_grad():
        xs, ys = zip(*((backbone(x), y) for x, y in loader))
    torch.set_rng_state(rng)
    return torch.utils.data.TensorDataset(torch.cat(xs), torch.cat(ys))


def main():
    p = common.parser(__doc__)
    p.add_argument("--data", default="samples/fashion-mnist")
    p.add_argument("--export", required=True, help="folder written by TLDsl.Bench export-backbone")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=42, help="head initialisation and shuffling")
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--precomputed", action="store_true", help="compute the frozen features once (accuracy study)")
    a = p.parse_args()
    threads = common.set_threads(a.threads)
    start = time.perf_counter()
    torch.manual_seed(a.seed)
    backbone = load_backbone(os.path.join(a.export, "backbone.npz"))
    for param in backbone.parameters():
        param.requires_grad = False
    model = torch.nn.Sequential(backbone, torch.nn.Dropout(0.2), torch.nn.Linear(512, 10))

    with open(os.path.join(a.export, "indices.txt")) as f:
        train_idx, valid_idx, test_idx = [torch.tensor([int(v) for v in line.split()], dtype=torch.long) for line in f]
    train_images, train_labels, test_images, test_labels = (common.read_idx(f) for f in common.idx_files(a.data))
    affine = common.bgr_mean_affine(BGR_MEAN)

    def subset(images, labels, idx):
        return common.GrayImages(images[idx], labels[idx], a.size, *affine)

    probe_path = os.path.join(a.export, "probe.npz")
    if os.path.exists(probe_path):  # same preprocessing, architecture and weights as TLDsl? (8 images, negligible time)
        expected = torch.from_numpy(np.load(probe_path)["features"])
        probe = subset(test_images, test_labels, test_idx[:len(expected)])
        with torch.no_grad():
            got = backbone.eval()(torch.stack([probe[i][0] for i in range(len(probe))]))
        print(f"  features of {len(expected)} test images vs TLDsl's: max |difference| {(got - expected).abs().max().item():.2e} "
              f"(largest feature {expected.abs().max().item():.2f})", flush=True)

    sets = [subset(train_images, train_labels, train_idx), subset(train_images, train_labels, valid_idx),
            subset(test_images, test_labels, test_idx)]
    if a.precomputed:
        backbone.eval()
        sets = [features_of(backbone, s) for s in sets]
        model = torch.nn.Sequential(torch.nn.Identity(), model[1], model[2])  # the loop below runs the head only
    train = torch.utils.data.DataLoader(sets[0], batch_size=64, shuffle=True)
    valid = torch.utils.data.DataLoader(sets[1], batch_size=64)
    test = torch.utils.data.DataLoader(sets[2], batch_size=64)

    optimizer = common.adamw(model, 3e-3, 0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, epochs=a.epochs, steps_per_epoch=len(train),
                                                    pct_start=0.25, div_factor=25, final_div_factor=1e4,
                                                    cycle_momentum=False)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    best, best_head, rss = -1.0, None, []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        model[0].eval()  # frozen BatchNorm keeps its ImageNet statistics, as TLDsl's freeze does
        for x, y in train:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        valid_accuracy = accuracy(model, valid)
        if valid_accuracy > best:
            best, best_head = valid_accuracy, copy.deepcopy(model[2].state_dict())
        rss.append(common.rss_mib())
        print(f"  epoch {epoch + 1}: valid accuracy {valid_accuracy:.4f}, {time.perf_counter() - t0:.1f} s, RSS {rss[-1]:.1f} MiB",
              flush=True)
    model[2].load_state_dict(best_head)
    test_accuracy = accuracy(model, test)
    seconds = time.perf_counter() - start
    growth = (rss[-1] - rss[1]) / rss[1] * 100 if len(rss) >= 3 else float("nan")
    print(f"frozen-backbone fine-tune, {a.epochs} epochs, {threads} threads: {seconds:.1f} s end to end, "
          f"test accuracy {test_accuracy:.4f}, peak RSS {common.peak_rss_mib():.1f} MiB")
    common.result("frozen_seeds" if a.precomputed else "frozen", seconds=seconds, seed=a.seed, test_accuracy=test_accuracy, peak_rss_mib=common.peak_rss_mib(),
                  rss_growth_pct=growth, epochs=a.epochs, threads=threads,
                  rss_per_epoch_mib=",".join(f"{r:.0f}" for r in rss))


if __name__ == "__main__":
    main()
