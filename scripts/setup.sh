#!/usr/bin/env bash
# One-time (and idempotent) setup: npm dependencies from the lock file, then the pinned NATS and
# Temporal server binaries, built from the Go module proxy into a cache outside the checkout.
# A second run, or a fresh clone on the same machine, finds everything cached and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.nudge-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] installing npm dependencies (npm ci) …" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

bash scripts/install-servers.sh >/dev/null
