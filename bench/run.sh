#!/usr/bin/env bash
# TLDsl's benchmarks: figures and ratios printed, and kept in bench/results/<date>.txt. Never asserted in tests.
#   bench/run.sh [all|cache|memory|step-memory|accuracy|preprocess] [--data <folder with Fashion-MNIST IDX files>]
#   bench/run.sh startup|layout|optimizer [options]   time to first batch, channels-last, AdamW grouping (not in "all")
#   bench/run.sh generator [--rounds N] [--processes K]   the source generator over 50 pipelines (target < 200 ms)
# Default data: the committed sample (samples/fashion-mnist). The full set: apt-get install dataset-fashion-mnist,
# then --data /usr/share/datasets/fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"; shift || true
if [[ "$what" == generator ]]; then
  dotnet build bench/GeneratorBench -c Release -v q -nologo >/dev/null
  mkdir -p bench/results
  { echo "== TLDsl generator benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    dotnet bench/GeneratorBench/bin/Release/net10.0/GeneratorBench.dll "$@"; } 2>&1 | tee -a "bench/results/$(date -u +%Y-%m-%d)-generator.txt"
  exit
fi
dotnet build bench/TLDsl.Bench -c Release -v q -nologo >/dev/null
bench() { dotnet bench/TLDsl.Bench/bin/Release/net10.0/TLDsl.Bench.dll "$@"; }
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d).txt"
{
  echo "== TLDsl benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  if [[ "$what" == all || "$what" == cache ]]; then echo "-- cached frozen features"; bench cache "$@"; fi
  if [[ "$what" == all || "$what" == memory ]]; then
    echo "-- memory across epochs, each training path"
    for path in layer4 frozen-cached prefix-cached frozen-uncached full; do bench memory --path "$path" "$@"; done
    # glibc keeps freed blocks below its (self-raising) mmap threshold in the heap, so RSS swings with the order of
    # allocations; with a fixed 128 KiB threshold freed tensors go back to the system and RSS is the memory in use.
    echo "-- memory in use across epochs (MALLOC_MMAP_THRESHOLD_=131072)"; MALLOC_MMAP_THRESHOLD_=131072 bench memory "$@"
  fi
  if [[ "$what" == all || "$what" == step-memory ]]; then
    echo "-- peak memory of a training step (separate processes)"
    bench step-memory --frozen "$@"
    bench step-memory --unfrozen "$@"
  fi
  if [[ "$what" == all || "$what" == accuracy ]]; then echo "-- accuracy"; bench accuracy "$@"; fi
  if [[ "$what" == all || "$what" == preprocess ]]; then echo "-- image preprocessing of one batch"; bench preprocess "$@"; fi
  if [[ "$what" == startup ]]; then echo "-- time to first batch (load average $(cut -d' ' -f1-3 /proc/loadavg))"; bench startup "$@"; fi
  if [[ "$what" == layout ]]; then echo "-- NCHW vs channels-last (load average $(cut -d' ' -f1-3 /proc/loadavg))"; bench layout "$@"; fi
  if [[ "$what" == optimizer ]]; then echo "-- AdamW step by parameter grouping (load average $(cut -d' ' -f1-3 /proc/loadavg))"; bench optimizer "$@"; fi
} 2>&1 | tee -a "$out"
