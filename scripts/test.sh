#!/usr/bin/env bash
# Runs every koho test: the Rust workspace on SQLite, and on PostgreSQL too when a
# server can be reached or started on 127.0.0.1. Usage: scripts/test.sh [cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return 0; fi
  command -v pg_isready >/dev/null 2>&1 || {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "scripts/test.sh: installing PostgreSQL from Debian's packages" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || return 0
    else
      return 0
    fi
  }
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && break; sleep 1; done
    fi
  fi
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    echo "scripts/test.sh: PostgreSQL tests enabled (DATABASE_URL=$DATABASE_URL)" >&2
  else
    echo "scripts/test.sh: no PostgreSQL server; running SQLite tests only" >&2
  fi
}

# Browser tests of the web application (tests/browser): Debian's Chromium driven by
# playwright-core, with axe-core accessibility checks. They need node and npm; as
# root, Chromium is installed from Debian's packages when missing. KOHO_SKIP_BROWSER=1
# skips them.
run_browser_tests() {
  if [ -n "${KOHO_SKIP_BROWSER:-}" ]; then return 0; fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: node not found; skipping the browser tests (tests/browser)" >&2
    return 0
  fi
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "scripts/test.sh: installing Chromium from Debian's packages" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "scripts/test.sh: no Chromium and no way to install it; skipping the browser tests" >&2
      return 0
    fi
  fi
  # The binary `cargo test` just built; the tests build it themselves when it is missing.
  local bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/koho"
  if [ -x "$bin" ]; then export KOHO_BIN="$bin"; fi
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && npm test)
}

# The Bluesky connector's tests run against the reference PDS from npm
# (tests/peers/bluesky). Without node they skip themselves.
install_bluesky_peer() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: node not found; the Bluesky PDS tests will be skipped" >&2
    return 0
  fi
  bash tests/peers/bluesky/install.sh
}

ensure_postgres
install_bluesky_peer
cargo test --workspace "$@"
run_browser_tests
