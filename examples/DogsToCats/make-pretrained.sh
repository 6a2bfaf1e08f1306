#!/usr/bin/env bash
# Reproduces pretrained/small_cnn-fashion0-4.safetensors, the "model for dogs" that transfer.tl.yaml reuses:
# trains pipelines/pretrain.tl.yaml (small_cnn from scratch on Fashion-MNIST classes 0-4, 30,000 images, 3 epochs)
# and exports the run with `tldsl export`, then pins the new file's SHA-256 in pipelines/transfer.tl.yaml.
# Needs the full Fashion-MNIST in /usr/share/datasets/fashion-mnist (Debian/Ubuntu: apt-get install dataset-fashion-mnist).
# Usage: examples/DogsToCats/make-pretrained.sh [--threads N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
weights="$here/pretrained/small_cnn-fashion0-4.safetensors"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/TLDsl.Cli/TLDsl.Cli.csproj" -v q -nologo
tldsl() { dotnet "$repo/src/TLDsl.Cli/bin/Debug/net10.0/tldsl.dll" "$@"; }

tldsl train "$here/pipelines/pretrain.tl.yaml" --runs "$work/runs" "$@"
run="$(ls -d "$work"/runs/DogsPretrain/*/ | tail -n 1)"
run="${run%/}"
tldsl evaluate "$run" --checkpoint last
tldsl export "$run" --checkpoint last --out "$work/export"

mkdir -p "$(dirname "$weights")"
cp "$work/export/model.safetensors" "$weights"
sha="$(sha256sum "$weights" | cut -d ' ' -f 1)"
sed -i "s/^  sha256: [0-9a-f]\{64\}$/  sha256: $sha/" "$here/pipelines/transfer.tl.yaml"
echo "$weights: $(stat -c %s "$weights") bytes, sha256 $sha (pinned in pipelines/transfer.tl.yaml)"
