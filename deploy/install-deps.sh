#!/usr/bin/env bash
# Installs every Debian package Kinglet needs to build, test and run. Idempotent: packages that
# are already present are skipped, so a second run only checks.
#
#   deploy/install-deps.sh            build + test + fixture-data packages (prometheus and
#                                     chromium are for the observability tests; the aarch64
#                                     cross compiler and qemu-user run the engine's ARM64 tests)
#   deploy/install-deps.sh --fixtures also the Python packages tools/make_fixtures.py needs
#   deploy/install-deps.sh --bench    also wrk and nginx for bench/server, Node.js and npm for
#                                     bench/engine's ONNX Runtime peer
# (the flags combine).
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
  g++-aarch64-linux-gnu qemu-user
)
for flag in "$@"; do
  case "$flag" in
    --fixtures) packages+=(python3-torch python3-torchvision python3-onnx python3-numpy) ;;
    --bench)
      packages+=(wrk nginx-light bc)
      # Debian's nodejs + npm, unless a Node.js with npm is already installed (e.g. NodeSource's
      # nodejs, which bundles npm and conflicts with Debian's npm package).
      command -v npm > /dev/null || packages+=(nodejs npm)
      ;;
    *) echo "install-deps: unknown flag $flag (expected --fixtures, --bench)" >&2; exit 2 ;;
  esac
done

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
