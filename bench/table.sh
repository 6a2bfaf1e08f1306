#!/usr/bin/env bash
# The table: test accuracy and CPU time against training-set size (10, 50, 200, 1000 images per class and all) for
# logistic regression on pixels, the network from scratch, a frozen pre-trained backbone + new head, and gradual
# unfreezing; S1 = small CNN pre-trained on Fashion-MNIST classes 0-4 -> classes 5-9, S2 = ImageNet ResNet-18 ->
# Fashion-MNIST. Needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist). About 40 minutes on 2 idle
# cores: run it on a quiet machine (it measures time). Writes bench/results/table-<date>.md.
#   bench/table.sh                              # the whole table
#   bench/table.sh --scenario s2 --sizes 10,50  # a part of it
#   bench/table.sh --quick                      # smoke test: tiny sizes, one epoch per phase
#   bench/table.sh --plan-only                  # time each method's parts here and print the estimated plan
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/TLDsl.Bench -c Release -v q -nologo >/dev/null
mkdir -p bench/results
out="bench/results/table-$(date -u +%Y-%m-%d).md"
if [[ " $* " == *" --quick "* || " $* " == *" --plan-only "* ]]; then out="${TMPDIR:-/tmp}/tldsl-table-smoke.md"; fi
dotnet bench/TLDsl.Bench/bin/Release/net10.0/TLDsl.Bench.dll table --out "$out" --command "$(echo "bench/table.sh $*" | sed "s/ *$//")" "$@"
