#!/usr/bin/env python3
"""Validate the koho evaluation corpus and print counts per category per split.

Usage: python3 corpus/stats.py [--markdown]

Checks every line of corpus/dev.jsonl, corpus/test.jsonl and corpus/dev-extra.jsonl:
  * valid JSON object, UTF-8, only known fields, required fields present
  * ids unique across all files and shaped dev-NNNN / test-NNNN / dx-NNNN
  * labels are known category ids, no duplicates
  * platform / images / history well-formed
  * consistency: `length` <=> the post exceeds its platform's limit,
    `geotag` whenever a GPS-tagged image is attached, `repeated-post` needs history
  * no exact duplicate texts; warns about near-duplicates between dev (or dev-extra) and test
dev-extra.jsonl is a second development set (implicit violations); it is shown
in its own column and is not part of the dev/test split or the dev share.
Exits 1 when any error is found. Standard library only (uses `regex` for
grapheme clusters when it is installed).
"""
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

try:  # optional, for exact grapheme clusters (Bluesky)
    import regex as _regex
except ImportError:  # pragma: no cover
    _regex = None

HERE = Path(__file__).resolve().parent
FILES = {"dev": HERE / "dev.jsonl", "test": HERE / "test.jsonl", "dev-extra": HERE / "dev-extra.jsonl"}
ID_PREFIX = {"dev": "dev", "test": "test", "dev-extra": "dx"}

CATEGORIES = [
    "personal-info", "discrimination", "insult", "illegal", "rumor", "obscene",
    "confidential", "security", "undecided-policy", "political", "religious",
    "commercial", "social-advocacy", "personal-opinion", "masked-text",
    "url-shortener", "third-party-link", "copyright", "portrait", "geotag",
    "repeated-post", "plain-language", "length",
]
PLATFORMS = ["x", "facebook", "instagram", "line", "bluesky", "mastodon", "misskey", "threads"]
IMAGES = {"images/with-gps.jpg", "images/plain.jpg", "images/with-gps.png", "images/with-gps.webp"}
GPS_IMAGES = {"images/with-gps.jpg", "images/with-gps.png", "images/with-gps.webp"}
FIELDS_REQUIRED = {"id", "text", "labels", "note"}
FIELDS_OPTIONAL = {"platform", "images", "history", "guideline"}

MIN_PER_CAT = {"dev": 8, "test": 6}
MIN_PER_CAT_TOTAL = 14
MIN_TOTAL = 480
MIN_ORDINARY = 240
MIN_HARD_NEGATIVE = 80
# dev-extra.jsonl: implicit forms of these categories, >= 20 each
EXTRA_CATEGORIES = [
    "insult", "illegal", "confidential", "security", "political", "religious", "commercial",
    "social-advocacy", "personal-opinion", "rumor", "undecided-policy", "discrimination",
    "copyright", "obscene",
]
MIN_EXTRA = {"per category": 20, "posts": 400, "ordinary": 120}
HARD_NEG_MARK = "ハードネガティブ"

# ---------------------------------------------------------------- lengths
URL_RE = re.compile(
    r"https?://[^\s　「」『』（）()、。]+"
    r"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:com|net|org|jp|ly|co|gd|nu|ee|gl|me|to|io|cc|at|id|be|info)"
    r"(?:/[^\s　「」『』（）()、。]*)?(?![\w.])",
    re.IGNORECASE,
)
# twitter-text v3: code points in these ranges weigh 100 (1 unit), all others 200 (2 units)
X_LIGHT = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)]


def _x_weight_char(cp: int) -> int:
    for lo, hi in X_LIGHT:
        if lo <= cp <= hi:
            return 1
    return 2


def graphemes(text: str):
    if _regex is not None:
        return _regex.findall(r"\X", text)
    out = []  # rough fallback: attach combining marks, VS, ZWJ sequences
    for ch in text:
        cp = ord(ch)
        if out and (unicodedata.combining(ch) or cp in (0xFE0F, 0xFE0E, 0x200D) or 0x1F3FB <= cp <= 0x1F3FF
                    or out[-1].endswith("\u200d")):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def x_weighted_length(text: str) -> int:
    """Approximation of twitter-text's weighted length (limit 280)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for m in URL_RE.finditer(text):
        total += _x_weight_text(text[pos:m.start()]) + 23
        pos = m.end()
    return total + _x_weight_text(text[pos:])


def _x_weight_text(seg: str) -> int:
    n = 0
    for g in graphemes(seg):
        cps = [ord(c) for c in g]
        if len(cps) > 1 and any(cp >= 0x1F000 or cp in (0xFE0F, 0x200D) or 0x2600 <= cp <= 0x27BF for cp in cps):
            n += 2  # an emoji sequence counts as one emoji
        else:
            n += sum(_x_weight_char(cp) for cp in cps)
    return n


def url_as_23(text: str) -> int:
    return len(URL_RE.sub("x" * 23, text))


LIMITS = {
    "x": (280, x_weighted_length, "weighted (CJK=2, URL=23)"),
    "bluesky": (300, lambda t: len(graphemes(t)), "graphemes"),
    "mastodon": (500, url_as_23, "chars (URL=23)"),
    "threads": (500, len, "chars"),
    "misskey": (3000, len, "chars"),
    "instagram": (2200, len, "chars"),
    "line": (5000, len, "chars"),
    "facebook": (63206, len, "chars"),
}


def platform_length(platform: str, text: str):
    limit, fn, unit = LIMITS[platform]
    return fn(text), limit, unit


# ---------------------------------------------------------------- validation
def ngrams(text: str, n: int = 3):
    t = re.sub(r"\s+", "", text)
    return {t[i:i + n] for i in range(max(len(t) - n + 1, 1))}


def load(errors):
    posts = {}
    for split, path in FILES.items():
        posts[split] = []
        if not path.exists():
            errors.append(f"{path.name}: missing")
            continue
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            errors.append(f"{path.name}: not UTF-8 ({e})")
            continue
        for lineno, line in enumerate(content.split("\n"), 1):
            if not line.strip():
                if lineno != len(content.split("\n")):
                    errors.append(f"{path.name}:{lineno}: blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{path.name}:{lineno}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"{path.name}:{lineno}: not a JSON object")
                continue
            posts[split].append((lineno, obj))
    return posts


def validate(posts, errors, warnings):
    seen_ids = {}
    seen_texts = {}
    for split, items in posts.items():
        for lineno, p in items:
            where = f"{split}.jsonl:{lineno}"
            keys = set(p)
            for k in FIELDS_REQUIRED - keys:
                errors.append(f"{where}: missing field '{k}'")
            for k in keys - FIELDS_REQUIRED - FIELDS_OPTIONAL:
                errors.append(f"{where}: unknown field '{k}'")
            pid = p.get("id")
            prefix = ID_PREFIX[split]
            if not isinstance(pid, str) or not re.fullmatch(rf"{prefix}-\d{{4}}", pid):
                errors.append(f"{where}: bad id {pid!r} (expected {prefix}-NNNN)")
            elif pid in seen_ids:
                errors.append(f"{where}: duplicate id {pid} (also {seen_ids[pid]})")
            else:
                seen_ids[pid] = where
            where = f"{where} ({pid})"
            text = p.get("text")
            if not isinstance(text, str) or not text.strip():
                errors.append(f"{where}: text must be a non-empty string")
                text = ""
            elif text in seen_texts:
                errors.append(f"{where}: same text as {seen_texts[text]}")
            else:
                seen_texts[text] = where
            if text and not (10 <= len(text) <= 6000):
                warnings.append(f"{where}: unusual text length {len(text)}")
            note = p.get("note")
            if not isinstance(note, str) or not note.strip():
                errors.append(f"{where}: note must be a non-empty string")
            labels = p.get("labels")
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                errors.append(f"{where}: labels must be a list of strings")
                labels = []
            for lab in labels:
                if lab not in CATEGORIES:
                    errors.append(f"{where}: unknown label {lab!r}")
            if len(set(labels)) != len(labels):
                errors.append(f"{where}: duplicate labels")
            platform = p.get("platform")
            if platform is not None and platform not in PLATFORMS:
                errors.append(f"{where}: unknown platform {platform!r}")
                platform = None
            images = p.get("images")
            if images is not None:
                if not isinstance(images, list) or not images or not all(i in IMAGES for i in images):
                    errors.append(f"{where}: images must be a non-empty list of {sorted(IMAGES)}")
                    images = []
            images = images or []
            for i in images:
                if i in IMAGES and not (HERE / i).exists():
                    warnings.append(f"{where}: {i} does not exist (yet)")
            history = p.get("history")
            if history is not None:
                ok = isinstance(history, list) and history and all(
                    isinstance(h, dict) and set(h) == {"text", "days_ago"} and isinstance(h["text"], str)
                    and h["text"].strip() and isinstance(h["days_ago"], int) and h["days_ago"] >= 0
                    for h in history)
                if not ok:
                    errors.append(f"{where}: history must be a non-empty list of {{text, days_ago>=0}}")
            if "guideline" in p:
                warnings.append(f"{where}: 'guideline' set; the evaluation guideline enables every category")
            # consistency checks
            if "length" in labels:
                if platform is None:
                    errors.append(f"{where}: 'length' needs a platform")
                else:
                    n, limit, unit = platform_length(platform, text)
                    if n <= limit:
                        errors.append(f"{where}: labelled 'length' but {n} {unit} <= {limit} on {platform}")
            elif platform is not None and text:
                n, limit, unit = platform_length(platform, text)
                if n > limit:
                    errors.append(f"{where}: {n} {unit} > {limit} on {platform} but not labelled 'length'")
            if any(i in GPS_IMAGES for i in images) and "geotag" not in labels:
                errors.append(f"{where}: GPS-tagged image attached but not labelled 'geotag'")
            if "geotag" in labels and not any(i in GPS_IMAGES for i in images):
                warnings.append(f"{where}: 'geotag' without a GPS-tagged image (text-only location)")
            if "portrait" in labels and not images:
                errors.append(f"{where}: 'portrait' needs an attached image")
            if "repeated-post" in labels and not history:
                errors.append(f"{where}: 'repeated-post' needs history")
    # near-duplicates between dev / dev-extra and test (paraphrase leak)
    dev_grams = [(p.get("id"), ngrams(p.get("text", "")))
                 for s in ("dev", "dev-extra") for _, p in posts.get(s, [])]
    for _, p in posts.get("test", []):
        g = ngrams(p.get("text", ""))
        for did, dg in dev_grams:
            inter = len(g & dg)
            if inter and inter / len(g | dg) > 0.5:
                warnings.append(f"{p.get('id')}: near-duplicate of {did} (3-gram Jaccard {inter / len(g | dg):.2f})")


def table(posts, markdown):
    cat = {s: Counter() for s in posts}
    other = {s: Counter() for s in posts}
    for s, items in posts.items():
        for _, p in items:
            labels = p.get("labels") or []
            for lab in labels:
                cat[s][lab] += 1
            other[s]["posts"] += 1
            if not labels:
                other[s]["ordinary"] += 1
                if HARD_NEG_MARK in (p.get("note") or ""):
                    other[s]["hard-negative"] += 1
            else:
                other[s]["violating"] += 1
                if len(labels) > 1:
                    other[s]["multi-label"] += 1
            if p.get("images"):
                other[s]["with images"] += 1
            if p.get("history"):
                other[s]["with history"] += 1
            other[s]["platform:" + (p.get("platform") or "(none)")] += 1
    rows = [(c, cat["dev"][c], cat["test"][c], cat["dev-extra"][c]) for c in CATEGORIES]
    summary = ["posts", "ordinary", "hard-negative", "violating", "multi-label", "with images", "with history"]
    plats = sorted({k for s in other for k in other[s] if k.startswith("platform:")})
    lines = []
    if markdown:
        lines.append("| category | dev | test | total | dev-extra |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for c, d, t, x in rows:
            lines.append(f"| {c} | {d} | {t} | {d + t} | {x} |")
        for k in summary + plats:
            d, t, x = other["dev"][k], other["test"][k], other["dev-extra"][k]
            lines.append(f"| *{k}* | {d} | {t} | {d + t} | {x} |")
    else:
        lines.append(f"{'category':<20}{'dev':>6}{'test':>6}{'total':>7}{'dev-extra':>11}")
        for c, d, t, x in rows:
            lines.append(f"{c:<20}{d:>6}{t:>6}{d + t:>7}{x:>11}")
        lines.append("-" * 50)
        for k in summary + plats:
            d, t, x = other["dev"][k], other["test"][k], other["dev-extra"][k]
            lines.append(f"{k:<20}{d:>6}{t:>6}{d + t:>7}{x:>11}")
    return "\n".join(lines), cat, other


def main():
    markdown = "--markdown" in sys.argv
    errors, warnings = [], []
    posts = load(errors)
    validate(posts, errors, warnings)
    out, cat, other = table(posts, markdown)
    print(out)
    # minimum sizes
    short = []
    total = other["dev"]["posts"] + other["test"]["posts"]
    if total < MIN_TOTAL:
        short.append(f"total posts {total} < {MIN_TOTAL}")
    ordinary = other["dev"]["ordinary"] + other["test"]["ordinary"]
    if ordinary < MIN_ORDINARY:
        short.append(f"ordinary posts {ordinary} < {MIN_ORDINARY}")
    hn = other["dev"]["hard-negative"] + other["test"]["hard-negative"]
    if hn < MIN_HARD_NEGATIVE:
        short.append(f"hard negatives {hn} < {MIN_HARD_NEGATIVE}")
    for c in CATEGORIES:
        for s, m in MIN_PER_CAT.items():
            if cat[s][c] < m:
                short.append(f"{c}: {cat[s][c]} in {s} < {m}")
        if cat["dev"][c] + cat["test"][c] < MIN_PER_CAT_TOTAL:
            short.append(f"{c}: total {cat['dev'][c] + cat['test'][c]} < {MIN_PER_CAT_TOTAL}")
    for c in EXTRA_CATEGORIES:
        if cat["dev-extra"][c] < MIN_EXTRA["per category"]:
            short.append(f"{c}: {cat['dev-extra'][c]} in dev-extra < {MIN_EXTRA['per category']}")
    for k in ("posts", "ordinary"):
        if other["dev-extra"][k] < MIN_EXTRA[k]:
            short.append(f"dev-extra {k} {other['dev-extra'][k]} < {MIN_EXTRA[k]}")
    share = other["dev"]["posts"] / total if total else 0
    print()
    print(f"dev share: {share:.0%} (target ~60%)")
    for w in warnings:
        print("warning:", w)
    for s in short:
        print("below target:", s)
    for e in errors:
        print("ERROR:", e)
    print(f"{len(errors)} errors, {len(warnings)} warnings, {len(short)} below target")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
