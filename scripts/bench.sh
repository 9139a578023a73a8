#!/usr/bin/env bash
# Measures koho's checker as a user meets it (see docs/performance.md):
#   - `koho check --batch` throughput on 100,000 posts of up to 500 characters,
#     start-up included, on one core (taskset -c 0) and on every core;
#   - cold start of `koho check` on a short post (process + guideline + checker +
#     first check), with hyperfine if installed, else a loop of 50 runs;
#   - peak resident memory (/usr/bin/time -v);
#   - instruction counts with callgrind, which shared cores do not disturb;
#   - the per-call latency report of the criterion bench (p50/p99), unless --no-latency.
# Prints a summary table and exits 0 (non-zero only when something could not run).
#
# Usage: scripts/bench.sh [--quick] [--no-build] [--no-latency] [--no-callgrind] [--profile]
#   --quick         10,000 posts, one repetition
#   --no-build      use the koho binary already built (target/release/koho)
#   --no-latency    skip the per-call latency report (saves building the bench)
#   --no-callgrind  skip the instruction counts
#   --profile       also print callgrind's most expensive functions and every rule's
#                   inclusive cost for 500-character posts
# Environment: POSTS (100000), REPEAT (3, the best run counts), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

POSTS=${POSTS:-100000}
REPEAT=${REPEAT:-3}
LATENCY=1
CALLGRIND=1
PROFILE=0
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --quick) POSTS=10000; REPEAT=1 ;;
    --no-latency) LATENCY=0 ;;
    --no-callgrind) CALLGRIND=0 ;;
    --profile) PROFILE=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "scripts/bench.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KOHO=$TARGET_DIR/release/koho
WORK=$(mktemp -d "${TMPDIR:-/tmp}/koho-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

# ------------------------------------------------------------------ tools
need_apt() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 from Debian's packages"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null) || true
  fi
  command -v "$1" >/dev/null 2>&1
}
HAVE_TIME=0; [ -x /usr/bin/time ] || need_apt /usr/bin/time time || true; [ -x /usr/bin/time ] && HAVE_TIME=1
HAVE_HYPERFINE=0; need_apt hyperfine hyperfine && HAVE_HYPERFINE=1
HAVE_TASKSET=0; command -v taskset >/dev/null 2>&1 && HAVE_TASKSET=1
HAVE_VALGRIND=0; command -v valgrind >/dev/null 2>&1 && HAVE_VALGRIND=1
command -v python3 >/dev/null 2>&1 || { say "scripts/bench.sh needs python3 (to make the posts)"; exit 1; }

# ------------------------------------------------------------------ build
if [ "$BUILD" = 1 ]; then
  say "building koho (release)"
  cargo build --release -p koho --quiet
fi
[ -x "$KOHO" ] || { say "no binary at $KOHO"; exit 1; }

# ------------------------------------------------------------------ posts
# Posts are corpus/dev.jsonl texts (test.jsonl stays held out), joined with line
# breaks from a random post on and cut at a random length of 40-500 characters
# ("mixed"), or at exactly 500 ("500"). Each keeps the platform of its first post.
python3 - "$ROOT/corpus/dev.jsonl" "$WORK" "$POSTS" <<'PY'
import json, random, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
posts = [json.loads(l) for l in open(src, encoding="utf-8") if l.strip()]
rng = random.Random(20240601)
def make(i, length):
    k = rng.randrange(len(posts))
    first = posts[k]
    text = ""
    while len(text) < length:
        text += ("\n" if text else "") + posts[k % len(posts)]["text"]
        k += 1 + rng.randrange(7)
    text = text[:length].rstrip() or first["text"][:length]
    line = {"id": f"p{i}", "text": text}
    if first.get("platform"):
        line["platform"] = first["platform"]
    return json.dumps(line, ensure_ascii=False)
for name, length in (("mixed", None), ("500", 500)):
    total = 0
    with open(f"{out}/{name}.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            line = make(i, length or rng.randint(40, 500))
            total += len(json.loads(line)["text"])
            f.write(line + "\n")
    with open(f"{out}/{name}.meta", "w") as f:
        f.write(f"{total / n:.0f}\n")
with open(f"{out}/short.txt", "w", encoding="utf-8") as f:
    f.write("本日午前9時から、みどり市民会館で子育て相談会を開きます。予約は不要です。")
# A 500-character post whose check wakes every lazily built table (names, phrases).
with open(f"{out}/500.jsonl", encoding="utf-8") as f, open(f"{out}/long.txt", "w", encoding="utf-8") as g:
    g.write(json.loads(f.readline())["text"])
# A small batch for instruction counts.
with open(f"{out}/mixed.jsonl", encoding="utf-8") as f, open(f"{out}/cg.jsonl", "w", encoding="utf-8") as g:
    for i, line in zip(range(2000), f):
        g.write(line)
with open(f"{out}/500.jsonl", encoding="utf-8") as f, open(f"{out}/cg500.jsonl", "w", encoding="utf-8") as g:
    for i, line in zip(range(1000), f):
        g.write(line)
open(f"{out}/empty.jsonl", "w").close()
PY
MEAN_MIXED=$(cat "$WORK/mixed.meta")

# ------------------------------------------------------------------ throughput
# One run: prints "wall_s cpu_s maxrss_kb" (GNU time), after checking the output.
run_batch() { # file pin(0/1)
  local file=$1 pin=$2 pre=()
  [ "$pin" = 1 ] && [ "$HAVE_TASKSET" = 1 ] && pre=(taskset -c 0)
  local rc=0
  if [ "$HAVE_TIME" = 1 ]; then
    "${pre[@]}" /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" \
      "$KOHO" check --batch "$file" >"$WORK/out.jsonl" || rc=$?
  else
    local t0 t1; t0=$(date +%s.%N)
    "${pre[@]}" "$KOHO" check --batch "$file" >"$WORK/out.jsonl" || rc=$?
    t1=$(date +%s.%N)
    echo "$(echo "$t1 - $t0" | bc) 0 0 0" >"$WORK/time.txt"
  fi
  # 0: no error found; 1: some post has an error-severity finding. 2 would be bad input.
  if [ "$rc" -gt 1 ]; then say "koho check --batch exited $rc"; exit 1; fi
  local lines; lines=$(wc -l <"$WORK/out.jsonl")
  [ "$lines" = "$POSTS" ] || { say "expected $POSTS answers, got $lines"; exit 1; }
  # GNU time puts "Command exited with non-zero status 1" before its line.
  tail -n 1 "$WORK/time.txt" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'
}

# Best of REPEAT runs: prints "posts_per_s wall_s cpu_s posts_per_cpu_s maxrss_kb".
best_batch() { # file pin
  local best="" rss=0
  for _ in $(seq 1 "$REPEAT"); do
    read -r wall cpu kb < <(run_batch "$1" "$2")
    [ "$kb" -gt "$rss" ] && rss=$kb
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then
      best="$wall $cpu"
    fi
  done
  read -r wall cpu <<<"$best"
  awk -v n="$POSTS" -v w="$wall" -v c="$cpu" -v r="$rss" \
    'BEGIN{printf "%.0f %.2f %.2f %.0f %d\n", n / (w > 0 ? w : 0.01), w, c, n / (c > 0 ? c : 0.01), r}'
}

say "koho check --batch: $POSTS posts, best of $REPEAT runs each"
read -r T1_RATE T1_WALL T1_CPU T1_CPURATE T1_RSS < <(best_batch "$WORK/mixed.jsonl" 1)
read -r TN_RATE TN_WALL TN_CPU TN_CPURATE TN_RSS < <(best_batch "$WORK/mixed.jsonl" 0)
read -r T5_RATE T5_WALL T5_CPU T5_CPURATE T5_RSS < <(best_batch "$WORK/500.jsonl" 1)

# ------------------------------------------------------------------ cold start
# Prints "mean p95 min" in ms of `koho check FILE` and says how it was measured.
cold_start() { # file
  local file=$1
  rm -f "$WORK/cold.json"
  if [ "$HAVE_HYPERFINE" = 1 ]; then
    hyperfine -N --warmup 5 --runs 50 -i --export-json "$WORK/cold.json" \
      "$KOHO check $file" >/dev/null 2>&1 || true
  fi
  if [ -s "$WORK/cold.json" ]; then
    python3 - "$WORK/cold.json" <<'PY'
import json, sys
t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
p95 = t[min(len(t) - 1, int(round(0.95 * len(t) + 0.5)) - 1)]
print(f"{sum(t) / len(t) * 1e3:.1f} {p95 * 1e3:.1f} {t[0] * 1e3:.1f}")
PY
  else
    for _ in $(seq 1 5); do "$KOHO" check "$file" >/dev/null 2>&1 || true; done
    for _ in $(seq 1 50); do
      t0=$(date +%s%N); "$KOHO" check "$file" >/dev/null 2>&1 || true; t1=$(date +%s%N)
      echo $(( (t1 - t0) / 1000 ))
    done | sort -n | awk '{a[NR] = $1; s += $1} END {i = int(NR * 0.95 + 0.5);
      printf "%.1f %.1f %.1f\n", s / NR / 1000, a[i] / 1000, a[1] / 1000}'
  fi
}
if [ "$HAVE_HYPERFINE" = 1 ]; then COLD_HOW="hyperfine -N, 5 warm-up + 50 runs"; else COLD_HOW="shell loop, 5 warm-up + 50 runs"; fi
say "cold start: koho check on a short post and on a 500-character one"
read -r COLD_MEAN COLD_P95 COLD_MIN < <(cold_start "$WORK/short.txt")
read -r COLD5_MEAN COLD5_P95 COLD5_MIN < <(cold_start "$WORK/long.txt")
COLD_RSS=0
if [ "$HAVE_TIME" = 1 ]; then
  /usr/bin/time -v "$KOHO" check "$WORK/long.txt" >/dev/null 2>"$WORK/cold-v.txt" || true
  COLD_RSS=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/cold-v.txt")
fi

# ------------------------------------------------------------------ instructions
IR_COLD=""; IR_COLD5=""; IR_POST=""; IR_POST500=""
callgrind_total() { # out-file args...
  local out=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1 || true
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}
if [ "$CALLGRIND" = 1 ] && [ "$HAVE_VALGRIND" = 1 ]; then
  say "instruction counts (callgrind)"
  IR_COLD=$(callgrind_total "$WORK/cg.cold" "$KOHO" check "$WORK/short.txt")
  IR_COLD5=$(callgrind_total "$WORK/cg.cold5" "$KOHO" check "$WORK/long.txt")
  IR_EMPTY=$(callgrind_total "$WORK/cg.empty" "$KOHO" check --batch "$WORK/empty.jsonl")
  IR_MIXED=$(callgrind_total "$WORK/cg.mixed" "$KOHO" check --batch "$WORK/cg.jsonl")
  IR_500=$(callgrind_total "$WORK/cg.500" "$KOHO" check --batch "$WORK/cg500.jsonl")
  if [ -n "$IR_EMPTY" ] && [ -n "$IR_MIXED" ] && [ -n "$IR_500" ]; then
    IR_POST=$(( (IR_MIXED - IR_EMPTY) / 2000 ))
    IR_POST500=$(( (IR_500 - IR_EMPTY) / 1000 ))
  fi
  if [ "$PROFILE" = 1 ] && command -v callgrind_annotate >/dev/null 2>&1; then
    {
      echo "== callgrind: koho check --batch, 1000 posts of 500 characters (instructions)"
      echo "-- every rule's check, inclusive:"
      callgrind_annotate --inclusive=yes --threshold=100 "$WORK/cg.500" 2>/dev/null \
        | grep -E 'as koho_check::rules::Rule>::check|koho_check::Checker::check|Normalized::new' \
        | sed -E 's/ \[[^]]*\]$//' | head -100 || true
      echo "-- most expensive functions, exclusive:"
      callgrind_annotate "$WORK/cg.500" 2>/dev/null | sed -n '/^Ir/,$p' | sed -E 's/ \[[^]]*\]$//' | head -45 || true
      echo
      echo "== callgrind: cold start, koho check on a 500-character post (inclusive; lazy tables)"
      callgrind_annotate --inclusive=yes "$WORK/cg.cold5" 2>/dev/null | sed -n '/^Ir/,$p' \
        | grep -E 'koho|daachorse|regex|LazyLock|Once' | sed -E 's/ \[[^]]*\]$//' | head -40 || true
    } >"$WORK/profile.txt"
  fi
fi

# ------------------------------------------------------------------ latency report
P50_500=""; P99_500=""; P99_500W=""; P99_500H=""; P99_100=""; P99_350=""; FIRST_CALL=""
if [ "$LATENCY" = 1 ]; then
  say "per-call latency report (criterion bench, release profile)"
  if (cd crates/koho-check && KOHO_BENCH_REPORT=only cargo bench --quiet --profile release --bench check) \
       >"$WORK/latency.txt" 2>"$WORK/latency.err"; then
    S=$(grep -m1 'summary:' "$WORK/latency.txt" || true)
    val() { sed -nE "s/.*$1=([0-9.]+).*/\\1/p" <<<"$S"; }
    P50_500=$(val p50_500_cpu_us); P99_500=$(val p99_500_cpu_us); P99_500W=$(val p99_500_wall_us)
    P99_500H=$(val p99_500h_cpu_us); P99_100=$(val p99_100_cpu_us); P99_350=$(val p99_350_cpu_us)
    FIRST_CALL=$(awk '/first check, 500 chars/ {print $(NF-1)}' "$WORK/latency.txt")
  else
    say "the latency report failed:"; tail -20 "$WORK/latency.err" >&2
  fi
fi

# ------------------------------------------------------------------ summary
verdict() { # value op limit
  [ -z "$1" ] && { echo "-"; return; }
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN{ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "met" : "NOT met"}'
}
RSS_MB=$(awk -v a="$T1_RSS" -v b="$TN_RSS" -v c="$T5_RSS" -v d="$COLD_RSS" \
  'BEGIN{m = a; if (b > m) m = b; if (c > m) m = c; if (d > m) m = d; printf "%.1f", m / 1024}')

{
echo
echo "== koho benchmark summary"
echo "machine: $(nproc) cores ($(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "koho: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes'), $(rustc --version), $("$KOHO" rules 2>/dev/null | grep -cE '^[A-Z]{2}[0-9]{3}' || echo '?') rules listed by koho rules"
echo "posts: $POSTS, corpus/dev.jsonl texts joined and cut; mixed = 40-500 characters (mean $MEAN_MIXED), guideline midori (all 23 categories)"
echo
printf '%-52s %16s %14s %8s\n' "measurement" "value" "target" "verdict"
printf '%-52s %16s %14s %8s\n' "batch, mixed, 1 core (taskset -c 0), wall" "$T1_RATE posts/s" ">= 20000" "$(verdict "$T1_RATE" '>=' 20000)"
printf '%-52s %16s %14s %8s\n' "batch, mixed, 1 core, per CPU-second (user+sys)" "$T1_CPURATE posts/s" "" ""
printf '%-52s %16s %14s %8s\n' "batch, mixed, all $(nproc) cores, wall" "$TN_RATE posts/s" "" ""
printf '%-52s %16s %14s %8s\n' "batch, 500 chars, 1 core, wall" "$T5_RATE posts/s" "" ""
printf '%-52s %16s %14s %8s\n' "batch, 500 chars, 1 core, per CPU-second" "$T5_CPURATE posts/s" "" ""
printf '%-52s %16s %14s %8s\n' "cold start koho check, short post, mean" "${COLD_MEAN:-?} ms" "<= 50 ms" "$(verdict "$COLD_MEAN" '<=' 50)"
printf '%-52s %16s %14s %8s\n' "cold start, p95 / min" "${COLD_P95:-?} / ${COLD_MIN:-?} ms" "" ""
printf '%-52s %16s %14s %8s\n' "cold start koho check, 500-char post, mean" "${COLD5_MEAN:-?} ms" "<= 50 ms" "$(verdict "$COLD5_MEAN" '<=' 50)"
printf '%-52s %16s %14s %8s\n' "cold start, 500-char post, p95 / min" "${COLD5_P95:-?} / ${COLD5_MIN:-?} ms" "" ""
printf '%-52s %16s %14s %8s\n' "peak RSS (max of the runs above)" "$RSS_MB MB" "<= 100 MB" "$(verdict "$RSS_MB" '<=' 100)"
if [ -n "$P99_500" ]; then
printf '%-52s %16s %14s %8s\n' "check(), 500 chars, p99 thread CPU" "$P99_500 µs" "<= 300 µs" "$(verdict "$P99_500" '<=' 300)"
printf '%-52s %16s %14s %8s\n' "check(), 500 chars, p99 wall (incl. preemption)" "$P99_500W µs" "" ""
printf '%-52s %16s %14s %8s\n' "check(), 500 chars, p50 thread CPU" "$P50_500 µs" "" ""
printf '%-52s %16s %14s %8s\n' "check(), 100 / 350 chars, p99 thread CPU" "$P99_100 / $P99_350 µs" "" ""
printf '%-52s %16s %14s %8s\n' "check(), 500 chars + 20-post history, p99 CPU" "$P99_500H µs" "" ""
printf '%-52s %16s %14s %8s\n' "first check() in a process (lazy init), median" "$FIRST_CALL µs" "" ""
fi
if [ -n "$IR_COLD" ]; then
printf '%-52s %16s %14s %8s\n' "instructions, cold start koho check, short / 500" "$IR_COLD / $IR_COLD5" "" ""
printf '%-52s %16s %14s %8s\n' "instructions per post in --batch, mixed / 500" "$IR_POST / $IR_POST500" "" ""
fi
echo
echo "cold start measured with: $COLD_HOW; batch wall time and RSS with GNU time, best of $REPEAT"
if [ "$LATENCY" = 1 ] && [ -s "$WORK/latency.txt" ]; then
  echo; echo "== per-call latency report (crates/koho-check/benches/check.rs)"
  sed -n '/== start-up/,$p' "$WORK/latency.txt" | grep -v 'summary:'
fi
if [ -s "$WORK/profile.txt" ]; then echo; cat "$WORK/profile.txt"; fi
} | tee "${BENCH_SUMMARY:-/dev/null}"
exit 0
