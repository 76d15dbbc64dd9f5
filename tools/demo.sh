#!/usr/bin/env bash
# The main job as far as it is built: install deps, build, start kingletd on its embedded
# defaults (or reuse the one already running), upload the bundled Fashion-MNIST LeNet-5, wait
# for its compression jobs (one per device class), roll it out, fetch the signed manifest and
# the artifact over HTTP as a phone would, check its hash, and run it on 16 bundled test images.
# Idempotent: a second run reuses the daemon and uploads a new version.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target kingletd kinglet

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

# 3. What a phone does: signed manifest for its class, then the blob, checked against it.
manifest=$(curl -fsS "http://127.0.0.1:8080/v1/models/fashion/manifest?device_class=x86-64&device_id=demo-device")
echo "manifest: $manifest"
sha=$(grep -o '"sha256":"[0-9a-f]*"' <<<"$manifest" | cut -d'"' -f4)
curl -fsS "http://127.0.0.1:8080/v1/blobs/$sha" -o build/demo/fashion.kgl
echo "$sha  build/demo/fashion.kgl" | sha256sum -c -
"$kinglet" inspect build/demo/fashion.kgl
"$kinglet" run build/demo/fashion.kgl --input "$fixtures/fashion_sample.npy" --top 3
"$kinglet" eval build/demo/fashion.kgl "$fixtures/fashion_sample.npy" "$fixtures/fashion_sample_labels.npy"
echo "demo: kingletd keeps running (admin 127.0.0.1:50051, delivery http://127.0.0.1:8080, data $data)"
