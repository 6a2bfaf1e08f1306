#!/usr/bin/env bash
# The table: test accuracy and CPU time against training-set size (10, 50, 200, 1000 images per class and all) for
# (a) logistic regression on pixels, (b) the network from scratch, (c) a frozen pre-trained backbone + new head,
# (d) gradual unfreezing and (e) the fine_tune recipe with trivial_augment + mixup/cutmix and test-time flips;
# 10 and 50 per class over 3 seeds (mean ± sd), and in S2 an ablation of (e)'s pieces at 200 per class.
# S1 = small CNN pre-trained on Fashion-MNIST classes 0-4 -> classes 5-9, S2 = ImageNet ResNet-18 at 112x112 ->
# Fashion-MNIST. Needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist). Budget 90 minutes on 2 idle
# cores, at most 10 minutes a cell (the plan says which cells are capped or left out): run it on a quiet machine (it
# measures time). Writes bench/results/table-<date>.md.
#   bench/table.sh                              # the whole table
#   bench/table.sh --scenario s2 --sizes 10,50  # a part of it (also --methods scratch,finetune, --seeds 3,
#                                               #   --seed-sizes 10,50, --ablation-size 200|none, --s2-size 112,
#                                               #   --s2-test-per-class 100, --budget-min 90, --cell-max-min 10)
#   bench/table.sh --quick                      # smoke test: tiny sizes, 32x32, one epoch per phase, every method
#   bench/table.sh --plan-only                  # time each method's parts here and print the estimated plan
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/TLDsl.Bench -c Release -v q -nologo >/dev/null
mkdir -p bench/results
out="bench/results/table-$(date -u +%Y-%m-%d).md"
if [[ " $* " == *" --quick "* || " $* " == *" --plan-only "* ]]; then out="${TMPDIR:-/tmp}/tldsl-table-smoke.md"; fi
dotnet bench/TLDsl.Bench/bin/Release/net10.0/TLDsl.Bench.dll table --out "$out" --command "$(echo "bench/table.sh $*" | sed "s/ *$//")" "$@"
