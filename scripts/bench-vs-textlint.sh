#!/usr/bin/env bash
# koho check --batch against textlint with Japanese rule presets, on the same posts.
#
# Both tools get the post texts of corpus/dev.jsonl (440 posts; REPEAT_CORPUS=N uses
# them N times): koho as one JSON Lines file (`koho check --batch`, guideline
# midori, every category on), textlint as one .txt file per post (its unit of
# work), linted by one `textlint` process. Each tool is timed as a whole command,
# start-up included, best of REPEAT runs, once pinned to one core (taskset -c 0;
# textlint is single-threaded) and once on every core.
#
# textlint and its presets come from the npm registry into a temporary directory
# (npm install --no-audit --no-fund); set TEXTLINT_DIR to keep and reuse it.
#
# Usage: scripts/bench-vs-textlint.sh     Environment: REPEAT (3), REPEAT_CORPUS (1),
#        TEXTLINT_DIR, CARGO_TARGET_DIR, TEXTLINT_PACKAGES (the npm packages to use),
#        NO_BUILD=1 (use the koho binary already built)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPEAT=${REPEAT:-3}
REPEAT_CORPUS=${REPEAT_CORPUS:-1}
PACKAGES=${TEXTLINT_PACKAGES:-"textlint textlint-rule-preset-ja-technical-writing textlint-rule-preset-japanese"}
KOHO=${CARGO_TARGET_DIR:-$ROOT/target}/release/koho

say() { printf '%s\n' "$*" >&2; }
command -v npm >/dev/null 2>&1 || { say "needs node and npm"; exit 1; }
command -v python3 >/dev/null 2>&1 || { say "needs python3"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/koho-vs-textlint.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TL=${TEXTLINT_DIR:-$WORK/textlint}
mkdir -p "$TL"

# ------------------------------------------------------------------ install
if [ ! -x "$TL/node_modules/.bin/textlint" ]; then
  say "installing $PACKAGES from the npm registry into $TL"
  (cd "$TL" && { [ -f package.json ] || npm init -y >/dev/null; } \
     && npm install --no-audit --no-fund --loglevel=error $PACKAGES >/dev/null)
fi
python3 - "$TL" "$PACKAGES" <<'PY'
import json, sys
d, packages = sys.argv[1], sys.argv[2].split()
rules = {p.removeprefix("textlint-rule-"): True for p in packages if p.startswith("textlint-rule-")}
json.dump({"rules": rules}, open(f"{d}/.textlintrc.json", "w"), indent=2)
PY
TEXTLINT=("$TL/node_modules/.bin/textlint" --config "$TL/.textlintrc.json" --format json)

if [ "${NO_BUILD:-0}" != 1 ]; then
  say "building koho (release)"
  cargo build --release -p koho --quiet
fi

# ------------------------------------------------------------------ posts
mkdir -p "$WORK/posts"
N=$(python3 - "$ROOT/corpus/dev.jsonl" "$WORK" "$REPEAT_CORPUS" <<'PY'
import json, sys
src, out, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
posts = [json.loads(l) for l in open(src, encoding="utf-8") if l.strip()]
n = 0
with open(f"{out}/posts.jsonl", "w", encoding="utf-8") as f:
    for _ in range(times):
        for p in posts:
            f.write(json.dumps({"id": n, "text": p["text"], "platform": p.get("platform")}, ensure_ascii=False) + "\n")
            with open(f"{out}/posts/{n:06d}.txt", "w", encoding="utf-8") as t:
                t.write(p["text"] + "\n")
            n += 1
print(n)
PY
)

# ------------------------------------------------------------------ timing
# Best wall time of REPEAT runs in seconds; the command's exit status is ignored
# (both tools exit 1 when they find something), its output is counted.
best_time() { # out-file command...
  local out=$1; shift
  local best=""
  for _ in $(seq 1 "$REPEAT"); do
    local t0 t1 s
    t0=$(date +%s%N)
    "$@" >"$out" 2>"$out.err" || true
    t1=$(date +%s%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$s; fi
  done
  echo "$best"
}
PIN=(); command -v taskset >/dev/null 2>&1 && PIN=(taskset -c 0)

say "timing koho on $N posts"
K1=$(best_time "$WORK/koho.out" "${PIN[@]}" "$KOHO" check --batch "$WORK/posts.jsonl")
KN=$(best_time "$WORK/koho.out" "$KOHO" check --batch "$WORK/posts.jsonl")
K_ANSWERS=$(wc -l <"$WORK/koho.out")
K_FINDINGS=$(python3 -c '
import json, sys
print(sum(len(json.loads(l).get("diagnostics", [])) for l in open(sys.argv[1]) if l.strip()))' "$WORK/koho.out" 2>/dev/null || echo "?")

say "timing textlint on $N posts (this takes a while)"
cd "$WORK/posts"
T1=$(best_time "$WORK/textlint.out" "${PIN[@]}" "${TEXTLINT[@]}" .)
TN=$(best_time "$WORK/textlint.out" "${TEXTLINT[@]}" .)
cd "$ROOT"
read -r T_FILES T_FINDINGS < <(python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(len(r), sum(len(f["messages"]) for f in r))
except Exception as e:
    print("? ?")' "$WORK/textlint.out")
if [ "$T_FILES" != "$N" ]; then
  say "textlint reported on $T_FILES files, expected $N; its stderr:"; tail -20 "$WORK/textlint.out.err" >&2
fi

# ------------------------------------------------------------------ report
TL_VERSION=$("$TL/node_modules/.bin/textlint" --version 2>/dev/null || echo "?")
PRESETS=$(cd "$TL" && for p in $PACKAGES; do
  [ "$p" = textlint ] && continue
  printf '%s@%s ' "$p" "$(node -p "require('./node_modules/$p/package.json').version" 2>/dev/null)"
done)
rate() { awk -v n="$N" -v s="$1" 'BEGIN{printf "%.0f", n / (s > 0 ? s : 0.001)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", a / (b > 0 ? b : 0.001)}'; }
echo
echo "== koho vs textlint: $N posts (corpus/dev.jsonl texts), whole commands, best of $REPEAT"
echo "machine: $(nproc) cores, load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version); textlint $TL_VERSION with ${PRESETS% }"
printf '%-34s %10s %12s %12s\n' "" "seconds" "posts/s" "findings"
printf '%-34s %10s %12s %12s\n' "koho check --batch, 1 core" "$K1" "$(rate "$K1")" "$K_FINDINGS"
printf '%-34s %10s %12s %12s\n' "koho check --batch, all cores" "$KN" "$(rate "$KN")" ""
printf '%-34s %10s %12s %12s\n' "textlint, 1 core" "$T1" "$(rate "$T1")" "$T_FINDINGS"
printf '%-34s %10s %12s %12s\n' "textlint, all cores" "$TN" "$(rate "$TN")" ""
echo "ratio (textlint time / koho time): 1 core $(ratio "$T1" "$K1")x, all cores $(ratio "$TN" "$KN")x"
echo "(koho answered $K_ANSWERS posts; the findings are not comparable: textlint checks writing style, koho a guideline)"
