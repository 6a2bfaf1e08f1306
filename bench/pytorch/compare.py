"""Pairs the RESULT lines of TLDsl's and PyTorch's runs of each case (from a file or stdin) and prints both figures
(median over the runs, each run in brackets) and their ratio. Used by bench/pytorch.sh; asserts nothing."""
import statistics
import sys
from collections import defaultdict

# key -> (label, how to compare: "higher" = TLDsl/PyTorch (TLDsl is faster above 1), "lower" = PyTorch/TLDsl (a time:
#         TLDsl's speed-up), "ratio" = TLDsl/PyTorch as it is,
#         "pp" = difference in percentage points, None = figures only)
KEYS = {
    "steps_per_s": ("steps/s", "higher"),
    "images_per_s": ("images/s", "higher"),
    "batch_s": ("batch (decode, resize, normalise), s", "lower"),
    "forward_s": ("forward + loss, s", "lower"),
    "backward_s": ("backward, s", "lower"),
    "optimizer_s": ("optimizer step + zero_grad, s", "lower"),
    "step_s": ("whole step, s", "lower"),
    "conv3x3_fwd_ms": ("conv 3x3, 32x64x56x56, forward, ms", "lower"),
    "conv3x3_fwd_bwd_ms": ("same, forward + backward, ms", "lower"),
    "bn_train_fwd_ms": ("BatchNorm (training), forward, ms", "lower"),
    "bn_train_fwd_bwd_ms": ("same, forward + backward, ms", "lower"),
    "stem7x7_fwd_ms": ("stem conv 7x7/2, 224x224, forward, ms", "lower"),
    "seconds": ("end-to-end time, s", "lower"),
    "test_accuracy": ("test accuracy", "pp"),
    "sgemm_gflops": ("sgemm GFLOP/s (own BLAS)", "higher"),
    "forward_images_per_s": ("forward images/s", "higher"),
    "forward_gflops": ("forward GFLOP/s", "higher"),
    "pct_of_sgemm": ("forward, % of own sgemm", None),
    "pct_of_peak": ("forward, % of machine peak", None),
    "gflop_per_image": ("GFLOP/image (counted)", None),
    "peak_rss_mib": ("peak RSS, MiB", "ratio"),
    "rss_growth_pct": ("RSS growth epoch 2 -> last, %", None),
    "rss_growth_head_pct": ("RSS growth, head phase, its epoch 2 -> last, %", None),
    "rss_growth_layer4_pct": ("RSS growth, layer4 phase, its epoch 2 -> last, %", None),
    "wall_s": ("process wall time, s", "lower"),
}

TITLES = {
    "step_112": "1. full fine-tune step rate, resnet18 random init, 112x112, batch 32, AdamW",
    "step_224": "1. full fine-tune step rate, resnet18 random init, 224x224, batch 32, AdamW",
    "kernels": "1d. single libtorch kernels of the step (TorchSharp's libtorch 2.10 vs PyTorch 1.13; no trainer around them)",
    "live_112": "1c. peak memory in use, 112x112 (MALLOC_MMAP_THRESHOLD_=131072: RSS follows the memory in use; steps/s not comparable)",
    "live_224": "1c. peak memory in use, 224x224 (MALLOC_MMAP_THRESHOLD_=131072: RSS follows the memory in use; steps/s not comparable)",
    "frozen": "2./3. frozen-backbone fine-tune end to end (ImageNet ResNet-18 [2,2,2,3], 112x112; TLDsl caches features)",
    "profile_112": "1b. where a step's time goes, 112x112 (seconds per step; TLDsl's trainer parts vs the PyTorch loop's)",
    "profile_224": "1b. where a step's time goes, 224x224 (seconds per step; TLDsl's trainer parts vs the PyTorch loop's)",
    "frozen_seeds": "2b. frozen fine-tune test accuracy over seeds, same images (PyTorch: its loop on precomputed features)",
    "unfreeze": "2c. gradual unfreezing end to end (3 epochs head, 3 epochs layer4 + head; TLDsl caches pooled, then layer3 features)",
    "forward": "4. resnet18 forward (inference, 224x224, batch 32) vs sgemm",
}


def parse(lines):
    runs = defaultdict(lambda: defaultdict(list))
    for line in lines:
        if not line.startswith("RESULT "):
            continue
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        runs[fields.pop("case")][fields.pop("side")].append(fields)
    return runs


def number(v):
    try:
        return float(v)
    except ValueError:
        return None


def fmt(v):
    return "n/a" if v is None else f"{v:.4f}" if abs(v) < 1 else f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def seeds_summary(t, p):
    """Mean and spread of the test accuracy over seeds, and the difference of the means with its standard error (the
    seeds are not paired: the two sides draw different random numbers from the same seed)."""
    tv = [number(r["test_accuracy"]) for r in t]
    pv = [number(r["test_accuracy"]) for r in p]
    if len(tv) < 2 or len(pv) < 2:
        return
    tm, pm = statistics.mean(tv), statistics.mean(pv)
    ts, ps = statistics.stdev(tv), statistics.stdev(pv)
    se = (ts ** 2 / len(tv) + ps ** 2 / len(pv)) ** 0.5
    print(f"  test accuracy over seeds: TLDsl mean {tm:.4f} (sd {ts:.4f}, {len(tv)} seeds), PyTorch mean {pm:.4f} "
          f"(sd {ps:.4f}, {len(pv)} seeds); difference {(tm - pm) * 100:+.2f} pp, standard error {se * 100:.2f} pp")


def main():
    runs = parse(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    # The machine's practical float32 peak: the faster of the two sgemm rates (TorchSharp's libtorch ships MKL).
    peak = max((number(r["sgemm_gflops"]) for side in runs.get("forward", {}).values() for r in side), default=None)
    if peak:
        for side in runs["forward"].values():
            for r in side:
                r["pct_of_peak"] = str(number(r["forward_gflops"]) / peak * 100)
    for case in sorted(runs, key=lambda c: list(TITLES).index(c) if c in TITLES else 99):
        sides = runs[case]
        t, p = sides.get("tldsl", []), sides.get("pytorch", [])
        print(f"{TITLES.get(case, case)}   [{len(t)} TLDsl run(s), {len(p)} PyTorch run(s), alternating]")
        print(f"  {'':34} {'TLDsl':>12} {'PyTorch':>12}   ratio")
        for key, (label, how) in KEYS.items():
            tv = [number(r[key]) for r in t if key in r and number(r[key]) is not None]
            pv = [number(r[key]) for r in p if key in r and number(r[key]) is not None]
            if not tv and not pv:
                continue
            tm = statistics.median(tv) if tv else None
            pm = statistics.median(pv) if pv else None
            ratio = ""
            if tm is not None and pm is not None:
                if how == "higher" and pm:
                    ratio = f"TLDsl {tm / pm:.2f}x"
                elif how == "lower" and tm:
                    ratio = f"PyTorch/TLDsl {pm / tm:.2f}x"
                elif how == "ratio" and pm:
                    ratio = f"TLDsl/PyTorch {tm / pm:.2f}x"
                elif how == "pp":
                    ratio = f"TLDsl {(tm - pm) * 100:+.1f} pp"
            print(f"  {label:34} {fmt(tm):>12} {fmt(pm):>12}   {ratio}")
            if len(tv) > 1 or len(pv) > 1:
                print(f"  {'':36}runs: TLDsl {' '.join(fmt(v) for v in tv)}; PyTorch {' '.join(fmt(v) for v in pv)}")
        if case == "frozen_seeds":
            seeds_summary(t, p)
        for side, rs in (("TLDsl", t), ("PyTorch", p)):
            for r in rs:
                if "rss_per_epoch_mib" in r:
                    print(f"  {side} RSS at the end of each epoch, MiB: {r['rss_per_epoch_mib']}")
        print()


if __name__ == "__main__":
    main()
