#!/usr/bin/env bash
# Load test of `koho serve` from a second process on loopback (see docs/performance.md):
#   - the live-check endpoint POST /api/check with a 300-character post, 64 connections;
#   - public pages (/official-accounts, .json, /verify) at 200 concurrent connections;
#   - the server's peak resident memory (VmHWM) with the demo data after the load.
# Targets (issue #6): live check >= 3,000 requests/s with p99 <= 20 ms on 2 cores; public
# pages p99 <= 20 ms at 200 clients; resident memory <= 150 MB.
#
# Usage: scripts/bench-web.sh [--no-build] [--duration SECONDS]
# Environment: CARGO_TARGET_DIR, WRK_THREADS (1: the server keeps the other core).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=1
DURATION=10
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --duration) DURATION=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "scripts/bench-web.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KOHO=$TARGET_DIR/release/koho
WRK_THREADS=${WRK_THREADS:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/koho-bench-web.XXXXXX")
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }

if ! command -v wrk >/dev/null; then
  say "installing wrk from Debian's packages"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk >/dev/null; else sudo apt-get install -y -q wrk >/dev/null; fi
fi
if [ "$BUILD" = 1 ]; then
  cargo build --release -q -p koho
fi

# The server: demo municipality in a fresh SQLite file (the embedded default).
DATABASE_URL="sqlite://$WORK/koho.db" KOHO_LOG=error "$KOHO" serve --demo --addr 127.0.0.1:0 >"$WORK/serve.out" &
SERVER=$!
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://[0-9.:]*/' "$WORK/serve.out" 2>/dev/null | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "${URL:-}" ] || { say "koho serve printed no URL"; exit 1; }
BASE=${URL%/}
say "koho serve (pid $SERVER) at $BASE"

# wrk: POST a JSON body; report p50/p99 and requests/s in one line.
cat >"$WORK/check.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local text = "【お知らせ】みどり市では、11月25日（水）午前9時から市民センターで子育て相談会を開催します。"
  .. "事前の申し込みは不要です。保健師と栄養士が、離乳食や発達についての相談にお答えします。"
  .. "駐車場に限りがありますので、できるだけ公共交通機関をご利用ください。"
  .. "詳しくは市のホームページをご覧ください。https://www.city.midori.example.jp/kosodate/ "
  .. "問い合わせ: 子育て支援課 0120-000-000（平日8時30分～17時15分）"
wrk.body = '{"text":"' .. text .. '","platform":"x"}'
LUA
cat >"$WORK/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
LUA
cat "$WORK/check.lua" "$WORK/report.lua" >"$WORK/check-report.lua"

run() { # name connections url [script]
  local name=$1 conns=$2 url=$3 script=${4:-$WORK/report.lua}
  # A warm-up, then the measured run.
  wrk -t"$WRK_THREADS" -c"$conns" -d2s -s "$script" "$url" >/dev/null 2>&1 || true
  local line
  line=$(wrk -t"$WRK_THREADS" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$url" | grep '^RESULT')
  printf '%-28s %4s clients  %s\n' "$name" "$conns" "${line#RESULT }"
}

echo "== koho serve load test, $(nproc) cores, ${DURATION}s per endpoint =="
run "POST /api/check" 64 "$BASE/api/check" "$WORK/check-report.lua"
for path in /official-accounts /official-accounts.json "/verify?q=%40midori_clty" /healthz; do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$path")" = 200 ]; then
    run "GET $path" 200 "$BASE$path"
  else
    echo "GET $path: not served by this build, skipped"
  fi
done
echo "resident memory (peak) of koho serve: $(grep VmHWM /proc/$SERVER/status | awk '{printf "%.1f MB", $2/1024}')"
