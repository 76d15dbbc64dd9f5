#!/usr/bin/env bash
# Delivery throughput of kingletd against nginx on the same machine, in one run:
#   bash bench/server/server_bench.sh [BUILD_DIR] [SECONDS]
# Starts kingletd on a temp data dir, uploads the LeNet-300 fixture (one low-profile device
# class), rolls it out, then runs wrk (2 threads, 32 connections) against
#   1. signed manifests from kingletd,
#   2. the artifact blob from kingletd,
#   3. the same blob file served statically by nginx (2 workers, sendfile, same cores),
# and prints requests/s, MB/s and kingletd/nginx. Needs wrk and nginx (deploy/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
seconds=${2:-10}
kingletd=$build/server/kingletd
kinglet=$build/server/kinglet
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "server_bench: $tool is missing; run deploy/install-deps.sh --bench" >&2; exit 1; }
done
[[ -x $kingletd && -x $kinglet ]] || { echo "server_bench: build kingletd and kinglet in $build first" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $tmp/nginx.pid ]] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    ss -ltn "sport = :$port" | grep -q LISTEN || { echo "$port"; return; }
  done
}
grpc=127.0.0.1:$(free_port)
http=127.0.0.1:$(free_port)
static=127.0.0.1:$(free_port)

"$kingletd" --data-dir "$tmp/data" --grpc-listen "$grpc" --http-listen "$http" >"$tmp/kingletd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q ready "$tmp/kingletd.log" && break; sleep 0.1; done
export KINGLET_SERVER=$grpc KINGLET_TOKEN=$(head -1 "$tmp/data/admin.token")
"$kinglet" device-classes put bench --profile low >/dev/null
for c in arm64-high arm64-low armv7-low x86-64; do "$kinglet" device-classes delete "$c" >/dev/null; done
"$kinglet" upload tests/fixtures/lenet300.onnx --name bench \
  --eval tests/fixtures/fashion_sample.npy tests/fixtures/fashion_sample_labels.npy >/dev/null
"$kinglet" rollout bench --version 1 >/dev/null
sha=$("$kinglet" model bench --json | grep '"sha256"' | head -1 | sed 's/.*"sha256": "\([0-9a-f]*\)".*/\1/')
blob=$tmp/data/blobs/${sha:0:2}/$sha
size=$(stat -c %s "$blob")

cat >"$tmp/nginx.conf" <<CONF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  etag on;
  server {
    listen $static;
    location ~ "^/v1/blobs/(..)([0-9a-f]{62})\$" {
      alias $tmp/data/blobs/\$1/\$1\$2;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
  }
}
CONF
user_directive=()
[[ $(id -u) -eq 0 ]] && user_directive=(-g "user root;")
nginx -c "$tmp/nginx.conf" -p "$tmp" "${user_directive[@]}" || { cat "$tmp/nginx.error.log" >&2; exit 1; }
sleep 0.3

run_wrk() {  # URL -> "requests/s MB/s"
  local out
  out=$(wrk -t2 -c32 -d"${seconds}s" "$1")
  local rps transfer
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  transfer=$(awk '/Transfer\/sec/ {print $2}' <<<"$out")
  case $transfer in
    *GB) transfer=$(awk -v t="${transfer%GB}" 'BEGIN {print t * 1024}') ;;
    *MB) transfer=${transfer%MB} ;;
    *KB) transfer=$(awk -v t="${transfer%KB}" 'BEGIN {print t / 1024}') ;;
  esac
  echo "$rps $transfer"
}


read -r m_rps m_mb < <(run_wrk "http://$http/v1/models/bench/manifest?device_class=bench&device_id=bench-device")
read -r k_rps k_mb < <(run_wrk "http://$http/v1/blobs/$sha")
read -r n_rps n_mb < <(run_wrk "http://$static/v1/blobs/$sha")

echo "kingletd delivery vs nginx, wrk -t2 -c32 -d${seconds}s on loopback; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); blob $size bytes"
printf '%-28s %12s %10s\n' "endpoint" "requests/s" "MB/s"
printf '%-28s %12s %10s\n' "kingletd manifest (signed)" "$m_rps" "$m_mb"
printf '%-28s %12s %10s\n' "kingletd blob" "$k_rps" "$k_mb"
printf '%-28s %12s %10s\n' "nginx blob (static)" "$n_rps" "$n_mb"
awk -v k="$k_mb" -v n="$n_mb" 'BEGIN {printf "blob throughput kingletd/nginx: %.2f\n", k / n}'
awk -v m="$m_rps" -v n="$n_rps" 'BEGIN {printf "manifests/s vs nginx blob requests/s: %.2f\n", m / n}'
