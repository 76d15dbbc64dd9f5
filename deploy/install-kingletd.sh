#!/usr/bin/env bash
# Installs kingletd as a systemd service on Debian 12: dependencies, build, binaries in
# /usr/local/bin, config in /etc/kingletd, a `kingletd` system user, the unit enabled and
# started. Idempotent: an existing config and data directory are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "install-kingletd: run as root" >&2; exit 1; fi

deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target kingletd kinglet
install -m 0755 build/server/kingletd build/server/kinglet /usr/local/bin/
id kingletd >/dev/null 2>&1 || useradd --system --home /var/lib/kingletd --shell /usr/sbin/nologin kingletd
install -d -m 0755 /etc/kingletd
[[ -f /etc/kingletd/kingletd.conf ]] || install -m 0644 deploy/kingletd.conf.example /etc/kingletd/kingletd.conf
install -m 0644 deploy/systemd/kingletd.service /etc/systemd/system/kingletd.service
if [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable --now kingletd
  echo "install-kingletd: running; the admin token is in /var/lib/kingletd/admin.token"
else
  echo "install-kingletd: installed (no systemd here; start /usr/local/bin/kingletd --config /etc/kingletd/kingletd.conf)"
fi
