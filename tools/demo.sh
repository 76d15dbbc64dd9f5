#!/usr/bin/env bash
# The main job: install deps, build, start kingletd on its embedded defaults (or reuse the one
# already running), upload the bundled Fashion-MNIST LeNet-5, wait for its compression jobs (one
# per device class), roll it out, then run the example app, which fetches the model lazily
# through the client SDK (signed manifest, verified blob, cache), classifies 16 bundled test
# images and reports its latency; the operator's view follows (telemetry, /metrics, dashboard).
# Idempotent: a second run reuses the daemon and uploads a new version.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target kingletd kinglet kinglet-demo-app

kinglet=build/server/kinglet
kingletd=build/server/kingletd
fixtures=tests/fixtures
mkdir -p build/demo
if [[ $(id -u) -eq 0 ]]; then data=/var/lib/kingletd; else data=${XDG_DATA_HOME:-$HOME/.local/share}/kingletd; fi
export KINGLET_SERVER=127.0.0.1:50051

# 1. kingletd on its defaults (admin gRPC 127.0.0.1:50051, delivery HTTP 127.0.0.1:8080).
server_state() {  # the CLI's exit code: 3 = nothing listening (4 = listening, token refused)
  "$kinglet" --token probe models >/dev/null 2>&1 && echo 0 || echo $?
}
if [[ $(server_state) -eq 3 ]]; then
  echo "demo: starting kingletd (log: build/demo/kingletd.log)"
  nohup "$kingletd" >build/demo/kingletd.log 2>&1 &
  for _ in $(seq 100); do
    [[ $(server_state) -ne 3 ]] && break
    sleep 0.1
  done
fi
export KINGLET_TOKEN=$(head -1 "$data/admin.token")
"$kinglet" device-classes

# 2. Upload; xqueeze compresses it once per device class. 16 evaluation images and a zero
#    budget: no compression step may change any of their predictions.
"$kinglet" upload "$fixtures/lenet5.onnx" --name fashion \
  --eval "$fixtures/fashion_sample.npy" "$fixtures/fashion_sample_labels.npy" --max-drop 0
version=$("$kinglet" model fashion --json | grep -o '"version": [0-9]*' | tail -1 | grep -o '[0-9]*$')
"$kinglet" rollout fashion --version "$version"
"$kinglet" model fashion

# 3. What a phone app does: the SDK picks this device's class, fetches and verifies the signed
#    manifest and the artifact on first use, caches them, runs, and reports latency.
build/examples/kinglet-demo-app/kinglet-demo-app --server http://127.0.0.1:8080 --public-key "$data/signing.pub" \
  --model fashion --cache build/demo/app-cache "$fixtures/fashion_sample.npy" "$fixtures/fashion_sample_labels.npy"

# 4. What the operator sees.
"$kinglet" telemetry fashion
curl -fsS http://127.0.0.1:8080/metrics | grep '^kinglet_device_inference_seconds_count' || true
echo "demo: kingletd keeps running (admin 127.0.0.1:50051, data $data)"
echo "demo: dashboard: http://127.0.0.1:8080/dashboard?model=fashion   metrics: http://127.0.0.1:8080/metrics"
