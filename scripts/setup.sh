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

# Chromium for the browser-tracking test (test/e2e/browser-tracking.test.ts drives it with
# playwright-core, which downloads no browser): Debian's package, installed once.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  as_root=""
  if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then as_root="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
    echo "[setup] installing chromium (apt-get) …" >&2
    $as_root apt-get update -qq && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "[setup] no chromium on PATH: install it (apt-get install chromium) or set NUDGE_CHROMIUM for the browser test" >&2
  fi
fi
