#!/usr/bin/env bash
# Runs the whole test suite from a fresh clone: installs packages, builds, runs every CTest
# suite; cross-compiles the engine and its tests for aarch64 and runs them under qemu-user
# (NEON kernels included); then rebuilds the engine and the .kgl reader tests with
# AddressSanitizer + UBSan and runs them (the corruption tests feed thousands of damaged files
# to the reader). Idempotent; build trees live in build/, build-aarch64/ and build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release -DKINGLET_ENGINE_ONLY=ON -DKINGLET_APP_ENGINE=ON \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
cmake --build build-aarch64 -j"$jobs"
ctest --test-dir build-aarch64 --output-on-failure -j"$jobs"

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKINGLET_SANITIZE=ON
cmake --build build-asan -j"$jobs" --target engine_tests format_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'engine|format'
echo "test.sh: all suites passed (release x86-64, aarch64 under qemu, ASan/UBSan)"
