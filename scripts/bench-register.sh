#!/usr/bin/env bash
# Load test of the public register at national scale: a fresh PostgreSQL database with
# every municipality of Japan (1,741 × 10 accounts, 5 years of audit history), `koho serve`
# on it (release build), and a concurrent load from a second process (wrk) against
# /m/{slug}/official-accounts, .json and /m/{slug}/verify?q=… across all slugs.
# Prints p50/p90/p99. Target: p99 < 10 ms. Results: docs/performance.md.
#
# Settings (environment): PG_URL (server, default postgres://postgres@127.0.0.1:5432),
# BENCH_DB (database, default koho_bench_register; dropped and created again unless
# BENCH_KEEP_DB=1 and it exists), BENCH_MUNICIPALITIES (1741), BENCH_CONNECTIONS (32),
# BENCH_THREADS (2), BENCH_DURATION (30s), BENCH_WARMUP (10s).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
BENCH_DB=${BENCH_DB:-koho_bench_register}
export BENCH_MUNICIPALITIES=${BENCH_MUNICIPALITIES:-1741}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-30s}
WARMUP=${BENCH_WARMUP:-10s}

command -v wrk >/dev/null || { echo "bench-register: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
command -v psql >/dev/null || { echo "bench-register: psql is missing (apt-get install -y postgresql-client)" >&2; exit 2; }

# KOHO_BIN: an already built binary (it must be a release build for numbers to record).
if [ -z "${KOHO_BIN:-}" ]; then
  cargo build --release -p koho
fi
BIN="${KOHO_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/koho}"
export DATABASE_URL="$PG_URL/$BENCH_DB"
export KOHO_LOG=warn

exists=$(psql "$PG_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'")
if [ "${BENCH_KEEP_DB:-0}" != 1 ] || [ "$exists" != 1 ]; then
  psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
  echo "== generating $BENCH_MUNICIPALITIES municipalities into $BENCH_DB"
  /usr/bin/time -f "generation: %e s, %M KiB max RSS" "$BIN" demo --nationwide --municipalities "$BENCH_MUNICIPALITIES"
fi
psql -tA "$DATABASE_URL" -c "SELECT 'municipalities ' || count(*) FROM municipalities" \
  -c "SELECT 'accounts ' || count(*) FROM official_accounts" \
  -c "SELECT 'audit entries ' || count(*) FROM audit_log" \
  -c "SELECT 'database size ' || pg_size_pretty(pg_database_size(current_database()))"
last=$(printf 'm%04d' "$BENCH_MUNICIPALITIES")
echo "== audit verify ($last)"
KOHO_MUNICIPALITY="$last" "$BIN" audit verify

log=$(mktemp)
started=$(date +%s.%N)
"$BIN" serve --addr 127.0.0.1:0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 3000); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; echo "bench-register: koho serve did not start" >&2; exit 1; }
echo "== koho serve at $url (ready after $(echo "$(date +%s.%N) - $started" | bc) s, RSS $(ps -o rss= -p "$server") KiB)"

echo "== warm-up: every municipality's register read once into the server's cache"
warm_started=$(date +%s.%N)
seq 1 "$BENCH_MUNICIPALITIES" | xargs -P 4 -I{} sh -c 'curl -fsS -o /dev/null "$0/m/$(printf "m%04d" {})/official-accounts.json"' "$url"
echo "   $(echo "$(date +%s.%N) - $warm_started" | bc) s for $BENCH_MUNICIPALITIES municipalities (cold: rows read from PostgreSQL)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s scripts/bench-register.lua "$url" | tail -n1
echo "== measured: $DURATION, $CONNECTIONS connections, $THREADS threads"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/bench-register.lua "$url"
echo "== server RSS after the load: $(ps -o rss= -p "$server") KiB"
