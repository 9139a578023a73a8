#!/usr/bin/env python3
"""Derive koho's compact name lists from shuheilocale's Japanese personal name
dataset (MIT, see LICENSE in this directory).

Usage: python3 derive.py /path/to/dataset   (the directory holding the *_org.csv files)

Inputs (no header rows):
  last_name_org.csv          kanji, count, kana, romaji            (1,999 surnames)
  first_name_{man,woman}_org.csv   kana, romaji, kanji variant...  (given names)
Outputs (UTF-8, one entry per line, `#` comments):
  surnames.txt     `kanji<TAB>hiragana reading`, most frequent first, plus additions.txt's
                   [surname] (`kanji:reading`)
  given_kanji.txt  kanji given names, 1-4 characters, grouped by first character:
                   `<first char>\t<rest> <rest> ...` where `-` stands for "no rest"
  given_kana.txt   hiragana readings of given names, 2-6 characters, minus
                   additions.txt's [not-kana-name], plus its [kana-name]
"""
import csv
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

src = Path(sys.argv[1])
here = Path(__file__).resolve().parent


def sections(path):
    out = defaultdict(list)
    cur = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = line[1:-1]
            continue
        out[cur].extend(line.split())
    return out


add = sections(here / "additions.txt")


def is_kanji(c):
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or c == "々"


def is_hira(c):
    return 0x3041 <= ord(c) <= 0x3096 or c == "ー"


header = "# Derived by derive.py from shuheilocale/japanese-personal-name-dataset (MIT, see LICENSE).\n"

surnames = []
seen = set()
for row in csv.reader(open(src / "last_name_org.csv", encoding="utf-8")):
    s = unicodedata.normalize("NFKC", row[0].strip())
    r = unicodedata.normalize("NFKC", row[2].strip())
    if s and all(is_kanji(c) for c in s) and s not in seen:
        seen.add(s)
        surnames.append((s, r if all(is_hira(c) for c in r) else ""))
for entry in add["surname"]:
    s, _, r = entry.partition(":")
    if s not in seen:
        seen.add(s)
        surnames.append((s, r))
lines = [f"{s}\t{r}" if r else s for s, r in surnames]
(here / "surnames.txt").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")

kanji = set()
kana = set()
for f in ("first_name_man_org.csv", "first_name_woman_org.csv"):
    for row in csv.reader(open(src / f, encoding="utf-8")):
        r = unicodedata.normalize("NFKC", row[0].strip())
        if 2 <= len(r) <= 6 and all(is_hira(c) for c in r):
            kana.add(r)
        for k in row[2:]:
            k = unicodedata.normalize("NFKC", k.strip())
            if 1 <= len(k) <= 4 and all(is_kanji(c) for c in k):
                kanji.add(k)
kanji.update(add["kanji-name"])
kanji.difference_update(add["not-kanji-name"])
kana.update(add["kana-name"])
kana.difference_update(add["not-kana-name"])

groups = defaultdict(list)
for k in sorted(kanji):
    groups[k[0]].append(k[1:] or "-")
lines = [f"{first}\t{' '.join(rest)}" for first, rest in sorted(groups.items())]
(here / "given_kanji.txt").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
(here / "given_kana.txt").write_text(header + "\n".join(sorted(kana)) + "\n", encoding="utf-8")
print(len(surnames), "surnames,", len(kanji), "kanji given names,", len(kana), "kana given names")
