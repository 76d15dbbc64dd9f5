#!/usr/bin/env bash
# The main job as far as it exists today: build Kinglet, convert the bundled Fashion-MNIST
# LeNet-5 (ONNX, trained by tools/make_fixtures.py) to .kgl, inspect it, classify 16 bundled
# test images and report their accuracy. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target kinglet

kinglet=build/server/kinglet
fixtures=tests/fixtures
mkdir -p build/demo
"$kinglet" convert "$fixtures/lenet5.onnx" -o build/demo/lenet5.kgl
"$kinglet" inspect build/demo/lenet5.kgl
"$kinglet" run build/demo/lenet5.kgl --input "$fixtures/fashion_sample.npy" --top 3
"$kinglet" eval build/demo/lenet5.kgl "$fixtures/fashion_sample.npy" "$fixtures/fashion_sample_labels.npy"
"$kinglet" bench build/demo/lenet5.kgl --runs 100
