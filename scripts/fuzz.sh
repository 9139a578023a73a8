#!/usr/bin/env bash
# Runs koho's fuzz targets (fuzz/, cargo-fuzz + libFuzzer, AddressSanitizer) for a
# bounded time each and exits non-zero if any of them crashed, timed out or ran
# out of memory. See docs/performance.md.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 60)
#   TARGET   check, guideline, media (default: all three)
# Environment: FUZZ_JOBS (parallel libFuzzer workers per target, default 1),
#   FUZZ_SANITIZER (address, the default, or none: koho itself forbids unsafe code,
#   ASan watches the dependencies' unsafe code; none runs about twice as fast),
#   CARGO_TARGET_DIR (the fuzz build goes to $CARGO_TARGET_DIR/fuzz).
#
# The stable toolchain is enough: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags
# cargo-fuzz passes (sanitizer, coverage instrumentation). Corpora live in
# fuzz/corpus/<target> (kept between runs, not in git) and are seeded from the
# corpus posts, the guideline presets and the test images. A crash leaves its input
# in fuzz/artifacts/<target>/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(check guideline media)
JOBS=${FUZZ_JOBS:-1}
SANITIZER=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/fuzz

say() { printf '%s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi

# ------------------------------------------------------------------ seeds
seed() {
  python3 - "$ROOT" <<'PY'
import hashlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
def put(target, data):
    d = root / "fuzz" / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
for f in sorted((root / "corpus").glob("*.jsonl")):
    for line in f.read_text(encoding="utf-8").splitlines():
        if line.strip():
            post = json.loads(line)
            put("check", post["text"].encode())
            for h in post.get("history", []):
                put("check", h["text"].encode())
for f in sorted((root / "crates" / "koho-guideline" / "presets").glob("*.toml")) + sorted((root / "guidelines").glob("*.toml")):
    put("guideline", f.read_bytes())
for d in (root / "corpus" / "images", root / "crates" / "koho-media" / "tests" / "fixtures"):
    for f in sorted(d.glob("*")) if d.is_dir() else []:
        if f.is_file():
            put("media", f.read_bytes())
# A libFuzzer dictionary for `check`: the phrases the rules look for (first column
# of the checker's word lists), so mutations splice in words that matter.
words = set()
data = root / "crates" / "koho-check" / "data"
for f in sorted(data.glob("*.tsv")) + sorted(data.glob("phrases/*.tsv")):
    for line in f.read_text(encoding="utf-8").splitlines():
        w = line.split("\t")[0].strip()
        if w and not line.startswith("#") and len(w.encode()) <= 64:
            words.add(w)
words |= {"さん", "様", "http://", "https://", "bit.ly/", "@", "〒", "090-", "０９０", "\u3000", "\r\n"}
def esc(w):
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}" for b in w.encode())
d = root / "fuzz" / "dict"
d.mkdir(exist_ok=True)
(d / "check.dict").write_text("".join(f'"{esc(w)}"\n' for w in sorted(words)))
# ... and for `guideline`: the tables and keys the presets use, and TOML syntax.
import re
toml = set('[ ] [[ ]] = " """ \'\'\' , { } # true false \n'.split(" "))
for f in sorted((root / "crates" / "koho-guideline" / "presets").glob("*.toml")) + sorted((root / "guidelines").glob("*.toml")):
    for line in f.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*(\[\[?[^\]]+\]\]?)", line) or re.match(r"\s*([A-Za-z0-9_.-]+)\s*=", line)
        if m:
            toml.add(m.group(1))
(d / "guideline.dict").write_text("".join(f'"{esc(w)}"\n' for w in sorted(toml)))
PY
}
command -v python3 >/dev/null 2>&1 && seed || say "no python3: running without seeds"

# ------------------------------------------------------------------ build
say "building the fuzz targets (release, debug assertions, sanitizer: $SANITIZER)"
: >"$ROOT/fuzz/build.log"
for t in "${TARGETS[@]}"; do
  cargo fuzz build --fuzz-dir fuzz --target-dir "$TARGET_DIR" -s "$SANITIZER" "$t" >/dev/null 2>>"$ROOT/fuzz/build.log" || {
    tail -30 "$ROOT/fuzz/build.log" >&2; exit 1; }
done
rm -f "$ROOT/fuzz/build.log"

# ------------------------------------------------------------------ run
max_len() {
  case "$1" in
    check) echo 4096 ;;       # posts: a few thousand bytes covers every platform but Facebook
    guideline) echo 65536 ;;  # the largest preset is about 50 KB
    *) echo 65536 ;;
  esac
}

FAILED=()
SUMMARY=()
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log=$(mktemp "${TMPDIR:-/tmp}/koho-fuzz-$t.XXXXXX")
  say "fuzzing $t for ${SECONDS_EACH}s"
  args=(-max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  [ -f "fuzz/dict/$t.dict" ] && args+=(-dict="fuzz/dict/$t.dict")
  [ "$JOBS" -gt 1 ] && args+=(-fork="$JOBS" -ignore_crashes=0)
  rc=0
  cargo fuzz run --fuzz-dir fuzz --target-dir "$TARGET_DIR" -s "$SANITIZER" "$t" "fuzz/corpus/$t" -- "${args[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  units=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    FAILED+=("$t")
    SUMMARY+=("$(printf '%-10s %12s %10s %-22s %7s  FAILED (exit %s)' "$t" "${execs:-?}" "${rate:-?}" "$cov" "$units" "$rc")")
    say "---- $t failed; the end of its log:"
    grep -vE '^#[0-9]+' "$log" | tail -40 >&2
    ls -t "fuzz/artifacts/$t" 2>/dev/null | head -3 | sed "s|^|reproducer: fuzz/artifacts/$t/|" >&2
  else
    SUMMARY+=("$(printf '%-10s %12s %10s %-22s %7s  ok' "$t" "${execs:-?}" "${rate:-?}" "$cov" "$units")")
  fi
  rm -f "$log"
done

echo
echo "== fuzzing, ${SECONDS_EACH}s per target, sanitizer $SANITIZER ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %12s %10s %-22s %7s  %s\n' target executions "execs/s" coverage corpus result
printf '%s\n' "${SUMMARY[@]}"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "failed: ${FAILED[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
