#!/usr/bin/env bash
# bench/engine — one command, one run: the engine against ONNX Runtime (npm onnxruntime-node
# 1.30.0, CPU provider, all graph optimisations, intra-op threads = ours) on SqueezeNet 1.1,
# MobileNetV2, ResNet-18, the LeNets, firenet and the LSTM/GRU fixtures at 1 and 2 threads; the
# GEMM against this CPU's FP32 peak; and the stripped size the engine adds to an app on x86-64
# and aarch64.
#
#   bash bench/engine/run.sh
#
# int8 columns: the LeNets compressed with `kinglet compress --int8` (their fully connected layers,
# and with AVX-512 VNNI LeNet-5's conv2, run on the int8 tiles). Installs what it needs (deploy/install-deps.sh --bench --fixtures, npm package into
# build/bench-engine/), builds, exports MobileNetV2/ResNet-18 with random weights (not
# committed), converts every ONNX model with `kinglet convert --optimize`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

deploy/install-deps.sh --bench --fixtures
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$jobs" --target kinglet gemm_bench kinglet_engine

work=build/bench-engine
mkdir -p "$work"
if [[ ! -f "$work/node_modules/onnxruntime-node/package.json" ]]; then
  # --ignore-scripts: the CPU binaries ship in the package; its install script only fetches GPU
  # extras.
  (cd "$work" && npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node@1.30.0)
fi
export NODE_PATH="$PWD/$work/node_modules"

/usr/bin/python3 tools/make_bench_models.py --out "$work"
fixtures=(squeezenet1_1 lenet300 lenet5 firenet lstm_classifier gru_classifier)
for name in "${fixtures[@]}"; do
  for suffix in .onnx .input.npy .output.npy; do cp -u "tests/fixtures/$name$suffix" "$work/"; done
done
models=(squeezenet1_1 mobilenet_v2 resnet18 lenet300 lenet5 firenet lstm_classifier gru_classifier)
for name in "${models[@]}"; do
  build/server/kinglet convert "$work/$name.onnx" -o "$work/$name.kgl" --optimize > /dev/null
done
# int8 artifacts (weights int8 per output channel) for the Fashion-MNIST models; their
# agreement with float32 over the 10,000 test images is checked by tests/models (Int8Agreement).
for name in lenet300 lenet5; do
  build/server/kinglet compress "$work/$name.onnx" -o "$work/$name.int8.kgl" --int8 --quiet \
    --eval tests/fixtures/fashion_sample.npy tests/fixtures/fashion_sample_labels.npy > /dev/null
done

echo "== latency: engine vs ONNX Runtime $(node -p "require('onnxruntime-node/package.json').version") (best median of 5 alternating rounds)"
node bench/engine/compare.js build/server/kinglet "$work" "${models[@]}"

echo
echo "== GEMM"
build/bench/gemm_bench

echo
echo "== engine size in an app (text + data of a stripped link of bench/engine/size_probe.cc minus an empty program's)"
# Loaded bytes rather than file size: aarch64 binaries pad their segments to 64 KB in the file.
probe_size() {  # compiler, size tool, engine library -> bytes the engine adds
  local cxx=$1 size_tool=$2 lib=$3
  local out="$work/size-$(basename "$(dirname "$(dirname "$lib")")")"
  "$cxx" -O2 -std=c++17 -Iengine/include bench/engine/size_probe.cc -o "$out-probe" \
    -Wl,--gc-sections -s "$lib" -lpthread
  echo 'int main() { return 0; }' | "$cxx" -x c++ - -o "$out-empty" -s
  local probe empty
  probe=$("$size_tool" "$out-probe" | awk 'NR == 2 { print $1 + $2 }')
  empty=$("$size_tool" "$out-empty" | awk 'NR == 2 { print $1 + $2 }')
  echo $((probe - empty))
}
# The engine as apps build it (KINGLET_APP_ENGINE: no exceptions, unwind tables or RTTI); the
# aarch64 tree is the one tools/test.sh runs the tests in, with the same options.
cmake -S . -B build-app -G Ninja -DCMAKE_BUILD_TYPE=Release -DKINGLET_ENGINE_ONLY=ON -DKINGLET_APP_ENGINE=ON \
  > /dev/null
cmake --build build-app -j"$jobs" --target kinglet_engine > /dev/null
cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release -DKINGLET_ENGINE_ONLY=ON -DKINGLET_APP_ENGINE=ON \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake > /dev/null
cmake --build build-aarch64 -j"$jobs" --target kinglet_engine > /dev/null
x86=$(probe_size g++ size build-app/engine/libkinglet_engine.a)
arm=$(probe_size aarch64-linux-gnu-g++ aarch64-linux-gnu-size build-aarch64/engine/libkinglet_engine.a)
printf "x86-64:  %7d bytes (%.0f KB; target <= 300 KB)\n" "$x86" "$(echo "$x86 / 1024" | bc -l)"
printf "aarch64: %7d bytes (%.0f KB; target <= 200 KB)\n" "$arm" "$(echo "$arm / 1024" | bc -l)"
