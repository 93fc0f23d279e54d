#!/usr/bin/env bash
# Installs the pinned server binaries (Temporal CLI dev server, nats-server) from the Go module proxy
# into a cache outside the checkout, keyed by version, so later runs and fresh clones reuse them.
# Prints the two binary paths as KEY=path lines on the last lines of stdout.
set -euo pipefail

TEMPORAL_VERSION="${NUDGE_TEMPORAL_VERSION:-1.5.1}"
NATS_VERSION="${NUDGE_NATS_VERSION:-2.15.2}"
CACHE_ROOT="${NUDGE_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nudge/bin}"

log() { printf '[install-servers] %s\n' "$*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; else
      log "Go toolchain not found: install Go (https://go.dev/dl) or put it on PATH"; exit 1; fi
  fi
}

# build NAME VERSION MODULE LDFLAGS EXPECTED_MINUTES
build() {
  local name=$1 version=$2 module=$3 ldflags=$4 minutes=$5
  local dir="$CACHE_ROOT/$name-$version"
  if [ -x "$dir/$name" ]; then log "$name $version cached at $dir/$name"; return; fi
  need_go
  mkdir -p "$dir.partial"
  log "building $name $version from the Go module proxy (cold: about $minutes min on 2 cores)…"
  local started=$SECONDS
  GOBIN="$dir.partial" CGO_ENABLED=0 go install -ldflags "$ldflags" "$module@v$version" 2>&1 | sed "s/^/[go $name] /" >&2 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && log "  still building $name… $((SECONDS - started))s elapsed"
  done
  wait "$pid" || { log "building $name failed"; rm -rf "$dir.partial"; exit 1; }
  [ -x "$dir.partial/$name" ] || { log "go install produced no $name binary"; exit 1; }
  rm -rf "$dir"; mv "$dir.partial" "$dir"
  log "$name $version built in $((SECONDS - started))s"
}

build temporal "$TEMPORAL_VERSION" github.com/temporalio/cli/cmd/temporal \
  "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_VERSION" 6 &
t=$!
build nats-server "$NATS_VERSION" github.com/nats-io/nats-server/v2 "-s -w" 1 &
n=$!
wait $t; wait $n

echo "TEMPORAL_BIN=$CACHE_ROOT/temporal-$TEMPORAL_VERSION/temporal"
echo "NATS_SERVER_BIN=$CACHE_ROOT/nats-server-$NATS_VERSION/nats-server"
