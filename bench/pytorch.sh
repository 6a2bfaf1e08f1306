#!/usr/bin/env bash
# TLDsl against PyTorch on this machine (issue #9): each case runs as separate processes, alternating TLDsl and PyTorch
# (T, P, T, P, ...), both with the same number of libtorch threads (2); both figures and their ratio are printed.
#   1. full fine-tune step rate of resnet18 (random init, AdamW) at 112x112 and 224x224, batch 32
#      (case "profile": the same step split into batch, forward, backward and optimizer time on each side;
#      case "live": the peak of the memory in use, with glibc's malloc made to return every large block at once;
#      case "kernels": layer1's convolution and BatchNorm and the stem on their own, outside both trainers)
#   2. the quickstart's frozen-backbone fine-tune, 10 epochs end to end (TLDsl: its pipeline with cached features;
#      PyTorch: the idiomatic loop, full forward every batch, same weights, images and preprocessing)
#      (case "accuracy": its test accuracy over --seeds on both sides, same images; one run cannot tell 0.5 points)
#   3. peak RSS of each side in 1 and 2, and TLDsl's RSS at the end of each epoch of 2
#      (case "unfreeze": gradual unfreezing, 3 epochs head then 3 epochs layer4 + head, same weights and images; TLDsl
#      caches the pooled features, then layer3's output; PyTorch runs the frozen part under no_grad every batch;
#      time, peak RSS and RSS at the end of every epoch on both sides)
#   4. resnet18 forward GFLOP/s (224x224, batch 32) against the sgemm rate (2048x2048) of both libraries
#   5. the generator over 50 pipelines (bench/GeneratorBench)
# Measures time: run it on a quiet machine (uptime's load below ~2.5 on 2 cores). About 45 minutes on 2 idle cores (case
# 2's PyTorch side and the 10 seeds of "accuracy" are most of it); --quick takes about 10 minutes.
#   bench/pytorch.sh                     # the full suite, appended to bench/results/<date>-pytorch.txt
#   bench/pytorch.sh --quick             # smoke test (1-2 steps, 1 epoch on 50 images per class), into $TMPDIR
#   bench/pytorch.sh --cases "step forward" --runs 3 --data /usr/share/datasets/fashion-mnist
#   bench/pytorch.sh --cases "profile accuracy"   # where a step's time goes; case 2's accuracy over --seeds "1 2 ..."
# Needs Debian's python3-torch and python3-torchvision (the system /usr/bin/python3; numpy comes with them).
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
threads=2
runs=2
quick=false
cases="step profile kernels live frozen accuracy unfreeze forward generator"
seeds="1 2 3 4 5 6 7 8 9 10"
data=samples/fashion-mnist
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=true ;;
    --runs) runs="$2"; shift ;;
    --cases) cases="$2"; shift ;;
    --data) data="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done
export PYTHONDONTWRITEBYTECODE=1
if $quick; then
  runs=1
  step112=(--warmup 1 --steps 1); step224=(--warmup 1 --steps 1); seeds="1 2"
  frozen=(--epochs 1); subset=(--per-class 50); unfreeze=(--head-epochs 1 --layer4-epochs 1)
  forward=(--gemm 512 --gemm-reps 2 --batch 4 --reps 1)
  out="${TMPDIR:-/tmp}/tldsl-pytorch-smoke.txt"
else
  step112=(--warmup 3 --steps 10); step224=(--warmup 2 --steps 5)
  frozen=(--epochs 10); subset=(--per-class 200); unfreeze=(--head-epochs 3 --layer4-epochs 3)
  forward=(--gemm 2048 --gemm-reps 5 --batch 32 --reps 3)
  mkdir -p bench/results
  out="bench/results/$(date -u +%Y-%m-%d)-pytorch.txt"
fi
build() { local log; log="$(dotnet build "$1" -c Release -v q -nologo 2>&1)" || { echo "$log" | grep -E 'error|Error' | sort -u >&2; echo "build of $1 failed" >&2; exit 1; }; }
build bench/TLDsl.Bench
tldsl() { dotnet bench/TLDsl.Bench/bin/Release/net10.0/TLDsl.Bench.dll "$@"; }
scratch="$(mktemp -d "${TMPDIR:-/tmp}/tldsl-pytorch.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
results="$scratch/results.txt"
touch "$results"

# run <side> <command...>: one process; its output indented, its RESULT line kept with the process's wall time.
run() {
  local side="$1"; shift
  local start end
  start=$(date +%s.%N)
  if ! "$@" >"$scratch/out.txt" 2>&1; then
    sed 's/^/    /' "$scratch/out.txt" | tail -20
    echo "  FAILED ($side): $*"
    return 1
  fi
  end=$(date +%s.%N)
  grep -v '^RESULT ' "$scratch/out.txt" | sed "s/^/  $side: /" | tail -60
  grep '^RESULT ' "$scratch/out.txt" | sed "s/\$/ wall_s=$(awk "BEGIN { printf \"%.1f\", $end - $start }")/" >>"$results"
}

# alternate <n> <tldsl args...> -- <python script and args...>: T, P, T, P, ... n times each.
alternate() {
  local n="$1"; shift
  local t=() p=()
  while [[ "$1" != "--" ]]; do t+=("$1"); shift; done
  shift
  p=("$@")
  for ((i = 1; i <= n; i++)); do
    run TLDsl tldsl "${t[@]}" --threads "$threads"
    run PyTorch "$py" "${p[@]}" --threads "$threads"
  done
}

{
  echo "== TLDsl vs PyTorch, $(date -u '+%Y-%m-%d %H:%M UTC')$($quick && echo ' (SMOKE TEST: --quick, figures meaningless)')"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB; load at start:$(uptime | sed 's/.*load average://')"
  packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  libtorch="$(ls "$packages/libtorch-cpu-linux-x64" 2>/dev/null | tail -1)"
  mkl=no; grep -a -q -m1 "Intel(R) oneAPI Math Kernel Library" "$packages/libtorch-cpu-linux-x64/$libtorch/runtimes/linux-x64/native/libtorch_cpu.so" 2>/dev/null && mkl=yes
  echo "TLDsl: .NET $(dotnet --version), TorchSharp-cpu $(grep -o 'TorchSharp-cpu" Version="[^"]*' Directory.Packages.props | cut -d'"' -f3), libtorch $libtorch (MKL linked in: $mkl; its own libgomp)"
  echo "PyTorch: $("$py" -c 'import torch, torchvision, numpy; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {numpy.__version__}")') (Debian), libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
  "$py" -c 'import torch; print(torch.__config__.show())' | grep -v '^$' | sed 's/, CXX_FLAGS=[^,]*//; s/^/  /'
  echo "threads: $threads on both sides (torch.set_num_threads); data: $data; every run a separate process, alternating TLDsl, PyTorch"
  for c in $cases; do
    case "$c" in
      step)
        echo "-- 1. full fine-tune step rate ($runs runs each per size)"
        alternate "$runs" step-rate --size 112 "${step112[@]}" --data "$data" -- bench/pytorch/step_rate.py --size 112 "${step112[@]}" --data "$data"
        alternate "$runs" step-rate --size 224 "${step224[@]}" --data "$data" -- bench/pytorch/step_rate.py --size 224 "${step224[@]}" --data "$data"
        ;;
      profile)
        echo "-- 1b. where a full fine-tune step's time goes ($runs runs each per size)"
        alternate "$runs" step-profile --size 112 "${step112[@]}" --data "$data" -- bench/pytorch/step_profile.py --size 112 "${step112[@]}" --data "$data"
        alternate "$runs" step-profile --size 224 "${step224[@]}" --data "$data" -- bench/pytorch/step_profile.py --size 224 "${step224[@]}" --data "$data"
        ;;
      kernels)
        echo "-- 1d. single kernels of the step ($runs runs each)"
        alternate "$runs" kernels -- bench/pytorch/kernels.py
        ;;
      live)
        # glibc keeps freed blocks below its (self-raising) mmap threshold in the heap, so the peak RSS of case 1 is
        # the memory in use plus what the allocator holds. A fixed 128 KiB threshold maps and unmaps every large
        # tensor: RSS then follows the memory in use (slower steps; only the peak is read here).
        echo "-- 1c. peak of the memory in use (MALLOC_MMAP_THRESHOLD_=131072: freed tensors go back to the system)"
        for size in 112 224; do
          MALLOC_MMAP_THRESHOLD_=131072 run TLDsl tldsl step-rate --size "$size" --warmup 2 --steps 3 --case "live_$size" --data "$data" --threads "$threads"
          MALLOC_MMAP_THRESHOLD_=131072 run PyTorch "$py" bench/pytorch/step_rate.py --size "$size" --warmup 2 --steps 3 --case "live_$size" --data "$data" --threads "$threads"
        done
        ;;
      frozen)
        echo "-- 2. frozen-backbone fine-tune end to end (1 run each; weights, indices and a feature probe exported from TLDsl first)"
        tldsl export-backbone --out "$scratch/export" "${subset[@]}" --data "$data" | sed 's/^/  /'
        alternate 1 frozen-finetune "${frozen[@]}" "${subset[@]}" --data "$data" -- bench/pytorch/frozen_finetune.py "${frozen[@]}" --export "$scratch/export" --data "$data"
        ;;
      accuracy)
        # Case 2's accuracy over seeds, on the same images (TLDsl's data seed 42): --seed only changes the head's
        # initialisation, dropout and shuffling. PyTorch runs its loop on precomputed features (same training, faster).
        echo "-- 2b. frozen fine-tune test accuracy over seeds ($seeds; same images on both sides)"
        [[ -d "$scratch/export" ]] || tldsl export-backbone --out "$scratch/export" "${subset[@]}" --data "$data" | sed 's/^/  /'
        for s in $seeds; do
          run TLDsl tldsl frozen-finetune "${frozen[@]}" "${subset[@]}" --data "$data" --seed "$s" --case frozen_seeds --threads "$threads"
          run PyTorch "$py" bench/pytorch/frozen_finetune.py "${frozen[@]}" --export "$scratch/export" --data "$data" --precomputed --seed "$s" --threads "$threads"
        done
        ;;
      unfreeze)
        echo "-- 2c. gradual unfreezing end to end: 3 epochs head, 3 epochs layer4 + head ($runs runs each; same weights and images)"
        [[ -d "$scratch/export" ]] || tldsl export-backbone --out "$scratch/export" "${subset[@]}" --data "$data" | sed 's/^/  /'
        alternate "$runs" unfreeze "${unfreeze[@]}" "${subset[@]}" --data "$data" -- bench/pytorch/unfreeze.py "${unfreeze[@]}" --export "$scratch/export" --data "$data"
        ;;
      forward)
        echo "-- 4. forward GFLOP/s vs sgemm ($runs runs each)"
        alternate "$runs" forward-rate "${forward[@]}" -- bench/pytorch/forward_rate.py "${forward[@]}"
        ;;
      generator)
        echo "-- 5. generator, 50 pipelines (bench/GeneratorBench)"
        build bench/GeneratorBench
        dotnet bench/GeneratorBench/bin/Release/net10.0/GeneratorBench.dll | sed 's/^/  /'
        ;;
      *) echo "unknown case $c (step, profile, kernels, live, frozen, accuracy, unfreeze, forward, generator)" ;;
    esac
  done
  echo "-- summary (medians; ratio > 1 means TLDsl is faster, except where labelled)"
  "$py" bench/pytorch/compare.py "$results" | sed 's/^/  /'
  echo "load at end:$(uptime | sed 's/.*load average://')"
  echo
} 2>&1 | tee -a "$out"
echo "written to $out"
