#!/usr/bin/env bash
# Installs every Debian package Kinglet needs to build, test and run. Idempotent: packages that
# are already present are skipped, so a second run only checks.
#
#   deploy/install-deps.sh            build + test + fixture-data packages (prometheus and
#                                     chromium are for the observability tests)
#   deploy/install-deps.sh --fixtures also the Python packages tools/make_fixtures.py needs
#   deploy/install-deps.sh --bench    also wrk and nginx for bench/server
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  libgrpc++-dev protobuf-compiler-grpc libsqlite3-dev libssl-dev
  libboost-dev libboost-program-options-dev nlohmann-json3-dev
  libonnx-testdata dataset-fashion-mnist
  zlib1g-dev libzstd-dev zstd gzip curl ca-certificates openssl
  prometheus chromium fonts-dejavu-core
)
if [[ "${1:-}" == "--fixtures" ]]; then
  packages+=(python3-torch python3-torchvision python3-onnx python3-numpy)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
