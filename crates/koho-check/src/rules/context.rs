//! The shared phrase engine behind the content-judgement rules: rumour (`RU`),
//! undecided policy (`UP`), political (`PO`), religious (`RE`), commercial (`CM`),
//! social advocacy (`SA`), personal opinion (`OP`), illegal (`IL`), confidential
//! (`CF`), security (`SC`) and implicit ridicule (`IN003`).
//!
//! All their phrase lists (`data/phrases/*.tsv`) compile into **one** Aho-Corasick
//! automaton whose payload names the rule and the phrase's role. A post is scanned
//! once; every rule then reads its own findings from the result.
//!
//! A phrase plays one of these roles for a rule:
//!
//! * `hit` — reportable on its own (「拡散希望」).
//! * `secret` — reportable when a credential-like value follows (「パスワードは Abc#123」).
//! * `@group` — a cue; a combo (`&` line) fires when every group it names occurs
//!   in the same sentence (`s`), in neighbouring sentences (`n`) or anywhere (`p`)
//!   (「候補」 + 「おすすめ」). A one-group combo is a hit that `quiet` can clear.
//! * `deny[:scope]` — context that clears every finding of the rule in scope:
//!   a warning, a denial, a decided fact (「ではありません」「やめましょう」「可決」).
//! * `quiet[:scope]` — like `deny`, but clears combos only (an election notice quiets
//!   「候補」+「一票」, never 「後援会」).
//! * `deny-pc`, `quiet-job`, … — the same, only when the guideline allows public
//!   comment (`-pc`) or job listings (`-job`).
//! * `mask` — a longer phrase that hides the rule's hits, cues and denials inside it
//!   (「素晴らしい」 hides 「らしい」, 「検討中の方」 hides 「検討中」).
//!
//! Scopes: `s` the sentence, `n` the sentence and its neighbours, `p` the post.
//! A phrase may mark context that must match but is not reported with `|`:
//! `た|らしい` finds 「あったらしい」 and reports 「らしい」.
//! A deny or quiet phrase lying inside a kept hit or cue of the same rule does not
//! count (「禁止だけど」 is a hit, its 「禁止」 is no warning).
//!
//! The result is kept in the post's `Cx`, so the ten categories' rules share one scan.

use std::collections::HashMap;
use std::sync::LazyLock;

use daachorse::CharwiseDoubleArrayAhoCorasick;

use super::Cx;
use crate::lexicon::tsv;
use crate::normalize::Normalized;
use crate::registry::Out;

/// Every rule the engine serves. A finding list is kept per position.
pub(crate) const CODES: &[&str] = &[
    "RU001", "RU002", "UP001", "UP002", "PO001", "PO002", "RE001", "RE002", "CM001", "CM002",
    "CM003", "CM004", "SA001", "SA002", "OP001", "OP002", "IL001", "IL002", "CF001", "CF002",
    "SC001", "SC002", "SC003", "SC004", "SC005", "IN003",
];

macro_rules! phrase_files {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../data/phrases/", $name)))),*]
    };
}

/// The phrase files, merged into one automaton.
pub(crate) const FILES: &[(&str, &str)] = phrase_files![
    "rumor.tsv",
    "undecided_policy.tsv",
    "political.tsv",
    "religious.tsv",
    "commercial.tsv",
    "social_advocacy.tsv",
    "personal_opinion.tsv",
    "illegal.tsv",
    "confidential.tsv",
    "security.tsv",
    "evaluative.tsv",
    "insult.tsv",
];

/// Positions in [`CODES`] of the rules fed by code rather than phrases.
const SC002: usize = 21;
const SC003: usize = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Sentence,
    Near,
    Post,
}

/// When a `deny`/`quiet` phrase applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    PublicComment,
    JobListings,
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Hit,
    Secret,
    Cue(u16),
    Deny {
        scope: Scope,
        cond: Cond,
        combos_only: bool,
    },
    Mask,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: u8,
    role: Role,
    /// Bytes at the start and end of the match that are context, not part of the
    /// reported span (written `た|らしい` in the data).
    lead: u8,
    trail: u8,
}

#[derive(Debug)]
struct Combo {
    rule: u8,
    groups: Vec<u16>,
    scope: Scope,
}

struct Engine {
    ac: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    /// Per pattern id, every (rule, role) it has.
    entries: Vec<Vec<Entry>>,
    combos: Vec<Combo>,
    /// Per rule, the indices of its combos.
    combos_of: Vec<Vec<usize>>,
    /// Lines that could not be read, as `file: entry n: reason`. A bad line is skipped
    /// at run time (the checker must not fail on data); a test requires none.
    #[cfg_attr(not(test), allow(dead_code))]
    errors: Vec<String>,
}

fn rule_index(code: &str) -> Option<u8> {
    CODES
        .iter()
        .position(|c| *c == code)
        .and_then(|i| u8::try_from(i).ok())
}

fn parse_scope(s: &str) -> Option<Scope> {
    match s {
        "s" => Some(Scope::Sentence),
        "n" => Some(Scope::Near),
        "p" => Some(Scope::Post),
        _ => None,
    }
}

impl Engine {
    fn build(files: &[(&str, &str)]) -> Engine {
        let mut errors = Vec::new();
        let mut groups: HashMap<(u8, String), u16> = HashMap::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut entries: Vec<Vec<Entry>> = Vec::new();
        let mut combos = Vec::new();
        let mut group_id = |rule: u8, name: &str| -> Option<u16> {
            let next = u16::try_from(groups.len()).ok()?;
            Some(*groups.entry((rule, name.to_owned())).or_insert(next))
        };
        for (file, src) in files {
            for (n, fields) in tsv(src).enumerate() {
                let at = format!("{file}: entry {}", n + 1);
                let (Some(phrase), Some(rules), Some(role)) =
                    (fields.first(), fields.get(1), fields.get(2))
                else {
                    errors.push(format!("{at}: needs phrase, rule and role"));
                    continue;
                };
                let mut codes = Vec::new();
                for code in rules.split(',').map(str::trim) {
                    match rule_index(code) {
                        Some(r) => codes.push(r),
                        None => errors.push(format!("{at}: unknown rule {code}")),
                    }
                }
                if *phrase == "&" {
                    let scope = match fields.get(3).copied().map(parse_scope) {
                        None => Some(Scope::Sentence),
                        Some(s) => s,
                    };
                    let Some(scope) = scope else {
                        errors.push(format!("{at}: combo scope must be s, n or p"));
                        continue;
                    };
                    for &rule in &codes {
                        let ids: Option<Vec<u16>> =
                            role.split('+').map(|g| group_id(rule, g.trim())).collect();
                        match ids {
                            Some(ids) if !ids.is_empty() => combos.push(Combo {
                                rule,
                                groups: ids,
                                scope,
                            }),
                            _ => errors.push(format!("{at}: a combo names one or more groups")),
                        }
                    }
                    continue;
                }
                let Some((key, lead, trail)) = phrase_key(phrase) else {
                    errors.push(format!("{at}: empty phrase or bad `|` context marks"));
                    continue;
                };
                for &rule in &codes {
                    let role = match parse_role(role) {
                        Ok(RoleSpec::Group(name)) => match group_id(rule, name) {
                            Some(g) => Role::Cue(g),
                            None => {
                                errors.push(format!("{at}: too many groups"));
                                continue;
                            }
                        },
                        Ok(RoleSpec::Role(r)) => r,
                        Err(e) => {
                            errors.push(format!("{at}: {e}"));
                            continue;
                        }
                    };
                    let id = *pattern_ids.entry(key.clone()).or_insert_with(|| {
                        entries.push(Vec::new());
                        entries.len() - 1
                    });
                    if let Some(list) = entries.get_mut(id) {
                        list.push(Entry {
                            rule,
                            role,
                            lead,
                            trail,
                        });
                    }
                }
            }
        }
        // A group that no combo uses, or a combo group no phrase fills, is a data error.
        let mut filled = vec![false; groups.len()];
        let mut used = vec![false; groups.len()];
        for list in &entries {
            for e in list {
                if let Role::Cue(g) = e.role {
                    filled[g as usize] = true;
                }
            }
        }
        for c in &combos {
            for &g in &c.groups {
                used[g as usize] = true;
            }
        }
        for ((rule, name), g) in &groups {
            let code = CODES.get(*rule as usize).copied().unwrap_or("?");
            if !filled[*g as usize] {
                errors.push(format!("{code}: group @{name} has no phrases"));
            }
            if !used[*g as usize] {
                errors.push(format!("{code}: group @{name} is in no combo"));
            }
        }
        let mut patterns: Vec<(String, u32)> = Vec::with_capacity(pattern_ids.len());
        for (p, id) in pattern_ids {
            if let Ok(v) = u32::try_from(id) {
                patterns.push((p, v));
            }
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            match CharwiseDoubleArrayAhoCorasick::with_values(patterns) {
                Ok(ac) => Some(ac),
                Err(e) => {
                    errors.push(format!("automaton: {e}"));
                    None
                }
            }
        };
        let mut combos_of = vec![Vec::new(); CODES.len()];
        for (i, c) in combos.iter().enumerate() {
            if let Some(list) = combos_of.get_mut(c.rule as usize) {
                list.push(i);
            }
        }
        Engine {
            ac,
            entries,
            combos,
            combos_of,
            errors,
        }
    }
}

/// The normalised pattern of a phrase, with the byte lengths of its context parts:
/// `た|らしい` matches 「たらしい」 and reports 「らしい」; `a|b|c` reports only `b`.
fn phrase_key(phrase: &str) -> Option<(String, u8, u8)> {
    let norm = |p: &str| Normalized::new(p).folded;
    if !phrase.contains('|') {
        let key = norm(phrase.trim());
        return (!key.is_empty()).then_some((key, 0, 0));
    }
    let parts: Vec<&str> = phrase.split('|').collect();
    let (before, core, after) = match parts.as_slice() {
        [core] => ("", *core, ""),
        [before, core] => (*before, *core, ""),
        [before, core, after] => (*before, *core, *after),
        _ => return None,
    };
    let key = norm(phrase.replace('|', "").trim());
    let (b, c, a) = (
        norm(before.trim_start()),
        norm(core),
        norm(after.trim_end()),
    );
    if c.is_empty() || key != format!("{b}{c}{a}") {
        return None;
    }
    Some((
        key,
        u8::try_from(b.len()).ok()?,
        u8::try_from(a.len()).ok()?,
    ))
}

enum RoleSpec<'a> {
    Role(Role),
    Group(&'a str),
}

fn parse_role(s: &str) -> Result<RoleSpec<'_>, String> {
    if let Some(g) = s.strip_prefix('@') {
        return if g.is_empty() {
            Err("empty group name".into())
        } else {
            Ok(RoleSpec::Group(g))
        };
    }
    match s {
        "hit" => return Ok(RoleSpec::Role(Role::Hit)),
        "secret" => return Ok(RoleSpec::Role(Role::Secret)),
        "mask" => return Ok(RoleSpec::Role(Role::Mask)),
        _ => {}
    }
    let (head, scope) = match s.split_once(':') {
        Some((h, sc)) => (
            h,
            parse_scope(sc).ok_or_else(|| format!("unknown scope in {s}"))?,
        ),
        None => (s, Scope::Sentence),
    };
    let (kind, cond) = match head.split_once('-') {
        Some((k, "pc")) => (k, Cond::PublicComment),
        Some((k, "job")) => (k, Cond::JobListings),
        Some(_) => return Err(format!("unknown condition in {s}")),
        None => (head, Cond::Always),
    };
    let combos_only = match kind {
        "deny" => false,
        "quiet" => true,
        _ => return Err(format!("unknown role {s}")),
    };
    Ok(RoleSpec::Role(Role::Deny {
        scope,
        cond,
        combos_only,
    }))
}

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::build(FILES));

/// A byte span of the normalised text.
pub(crate) type Span = (usize, usize);

/// Findings of one post, per rule in [`CODES`] order.
type Found = Vec<Vec<Span>>;

/// Sentence starts (bytes). A sentence ends after 。！？!?, a line break or 】, and
/// a 【 starts one.
fn sentence_starts(t: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, c) in t.char_indices() {
        match c {
            '。' | '!' | '?' | '！' | '？' | '\n' | '】' | '♪' => {
                starts.push(i + c.len_utf8())
            }
            '【' => starts.push(i),
            _ => {}
        }
    }
    starts.dedup();
    starts
}

fn sentence_of(starts: &[usize], pos: usize) -> usize {
    starts.partition_point(|&s| s <= pos).saturating_sub(1)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A phrase that begins or ends with an ASCII letter or digit must not continue a
/// word of the text (「ok」 in "tokyo", 「ip」 in "ship").
fn at_word_boundary(t: &[u8], start: usize, end: usize) -> bool {
    let first = t.get(start).copied().unwrap_or(0);
    let last = t.get(end.wrapping_sub(1)).copied().unwrap_or(0);
    let before = start
        .checked_sub(1)
        .and_then(|i| t.get(i))
        .copied()
        .unwrap_or(b' ');
    let after = t.get(end).copied().unwrap_or(b' ');
    let glued_before = is_word_byte(first) && is_word_byte(before);
    let glued_after = is_word_byte(last) && is_word_byte(after);
    !glued_before && !glued_after
}

/// After 「パスワードは」: where a concrete value ends — ≥ 4 ASCII characters with a
/// digit or a symbol (or ≥ 8 letters), or a quoted value with ≥ 4 ASCII characters —
/// if one follows. Advice such as 「パスワードは12文字以上」 has none.
fn value_end(t: &str, end: usize) -> Option<usize> {
    let rest = t.get(end..)?;
    let trimmed = rest.trim_start_matches([' ', '\u{3000}', ':', '=']);
    let start = end + (rest.len() - trimmed.len());
    let mut chars = trimmed.chars();
    if let Some(open) = chars.next()
        && let Some(close) = match open {
            '「' => Some('」'),
            '『' => Some('』'),
            '"' => Some('"'),
            '\'' => Some('\''),
            '“' => Some('”'),
            _ => None,
        }
    {
        let inner: String = chars.take_while(|&c| c != close).take(41).collect();
        let n = inner.chars().count();
        let closed = trimmed
            .get(open.len_utf8() + inner.len()..)
            .is_some_and(|r| r.starts_with(close));
        let ascii = inner.chars().filter(char::is_ascii_graphic).count();
        return ((1..=40).contains(&n)
            && ascii >= 4
            && closed
            && !inner.contains(['。', '、', ' ']))
        .then(|| start + open.len_utf8() + inner.len() + close.len_utf8());
    }
    let token: &str = trimmed
        .split(|c: char| !c.is_ascii_graphic() || matches!(c, '(' | ')' | ',' | '。'))
        .next()
        .unwrap_or("")
        .trim_end_matches('.');
    let special = token.chars().any(|c| {
        c.is_ascii_digit() || matches!(c, '#' | '!' | '$' | '%' | '&' | '*' | '@' | '+' | '?' | '_')
    });
    (token.len() >= 4 && (special || token.len() >= 8) && !token.starts_with("http"))
        .then(|| start + token.len())
}

#[derive(Debug, Clone, Copy)]
struct Event {
    rule: u8,
    role: Role,
    start: usize,
    end: usize,
    /// Sentence of `start`.
    sent: usize,
}

fn scan(cx: &Cx<'_>) -> Found {
    let engine = &*ENGINE;
    let text = &cx.norm.folded;
    let bytes = text.as_bytes();
    let starts = sentence_starts(text);
    let mut events: Vec<Event> = Vec::new();
    if let Some(ac) = &engine.ac {
        for m in ac.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !at_word_boundary(bytes, start, end) {
                continue;
            }
            let Some(list) = engine.entries.get(m.value() as usize) else {
                continue;
            };
            for e in list {
                let (start, end) = (
                    start + e.lead as usize,
                    end - (e.trail as usize).min(end - start),
                );
                let end = match e.role {
                    Role::Secret => match value_end(text, end) {
                        Some(v) => v,
                        None => continue,
                    },
                    _ => end,
                };
                events.push(Event {
                    rule: e.rule,
                    role: e.role,
                    start,
                    end,
                    sent: sentence_of(&starts, start),
                });
            }
        }
    }
    // An address inside a URL is the URL's business (an IP host is an admin URL).
    let urls = cx.urls();
    for (start, end) in ipv4_addresses(text)
        .into_iter()
        .filter(|&(s, e)| !urls.iter().any(|u| u.start <= s && e <= u.end))
    {
        events.push(Event {
            rule: SC002 as u8,
            role: Role::Hit,
            start,
            end,
            sent: sentence_of(&starts, start),
        });
    }
    for u in urls {
        if is_admin_url(&cx.norm.text, u) {
            events.push(Event {
                rule: SC003 as u8,
                role: Role::Hit,
                start: u.start,
                end: u.end,
                sent: sentence_of(&starts, u.start),
            });
        }
    }
    let mut found: Found = vec![Vec::new(); CODES.len()];
    events.sort_by_key(|e| e.rule);
    for chunk in events.chunk_by(|a, b| a.rule == b.rule) {
        let rule = chunk[0].rule;
        if let Some(slot) = found.get_mut(rule as usize) {
            *slot = judge(engine, rule, chunk, &starts, cx);
        }
    }
    drop_enclosing(&mut found);
    for f in &mut found {
        for span in f.iter_mut() {
            *span = balance_brackets(text, *span);
        }
    }
    found
}

/// One place, one finding per category: where a rule's span contains another span of
/// the same category (same two-letter prefix), only the narrower, more precise one
/// stays (「賛成に一票を」 rather than the whole sentence around it).
fn drop_enclosing(found: &mut Found) {
    let all: Vec<(usize, Span)> = found
        .iter()
        .enumerate()
        .flat_map(|(i, spans)| spans.iter().map(move |&sp| (i, sp)))
        .collect();
    let same_category =
        |i: usize, j: usize| CODES.get(i).map(|c| c.get(..2)) == CODES.get(j).map(|c| c.get(..2));
    for (i, spans) in found.iter_mut().enumerate() {
        spans.retain(|&w| {
            !all.iter().any(|&(j, n)| {
                j != i && same_category(i, j) && (contains(w, n) || (w == n && j < i))
            })
        });
    }
}

/// Widens a span that cuts a 「…」 or 『…』 in half so that the excerpt reads well
/// (「でんき」への切り替え → 「ひかりでんき」への切り替え).
fn balance_brackets(t: &str, (mut s, mut e): Span) -> Span {
    const LIMIT: usize = 60;
    for (open, close) in [('「', '」'), ('『', '』')] {
        let Some(inside) = t.get(s..e) else {
            return (s, e);
        };
        let opens = inside.matches(open).count();
        let closes = inside.matches(close).count();
        if closes > opens {
            let before = t.get(s.saturating_sub(LIMIT * 3)..s).unwrap_or("");
            if let Some(i) = before.rfind(open) {
                s -= before.len() - i;
            }
        } else if opens > closes {
            let after = t.get(e..(e + LIMIT * 3).min(t.len())).unwrap_or("");
            if let Some(i) = after.find(close) {
                e += i + close.len_utf8();
            }
        }
    }
    (s, e)
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn contains(outer: (usize, usize), inner: (usize, usize)) -> bool {
    outer.0 <= inner.0 && inner.1 <= outer.1 && outer != inner
}

/// One rule's findings from its events.
fn judge(engine: &Engine, rule: u8, events: &[Event], starts: &[usize], cx: &Cx<'_>) -> Vec<Span> {
    let masks: Vec<Span> = events
        .iter()
        .filter(|e| matches!(e.role, Role::Mask))
        .map(|e| (e.start, e.end))
        .collect();
    let masked = |s: Span| masks.iter().any(|&m| contains(m, s));
    let triggers: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(e.role, Role::Hit | Role::Secret | Role::Cue(_)) && !masked((e.start, e.end))
        })
        .collect();
    if triggers.is_empty() {
        return Vec::new();
    }
    // (start, end, first sentence, last sentence, is combo)
    let mut cands: Vec<(usize, usize, usize, usize, bool)> = Vec::new();
    for e in &triggers {
        if matches!(e.role, Role::Hit | Role::Secret) {
            let last = sentence_of(starts, e.end.saturating_sub(1)).max(e.sent);
            cands.push((e.start, e.end, e.sent, last, false));
        }
    }
    // Cues sorted by group, so each group's occurrences are one slice.
    let mut cues: Vec<(u16, &Event)> = triggers
        .iter()
        .filter_map(|e| match e.role {
            Role::Cue(g) => Some((g, *e)),
            _ => None,
        })
        .collect();
    cues.sort_unstable_by_key(|(g, e)| (*g, e.start));
    let occ = |g: u16| {
        let lo = cues.partition_point(|(x, _)| *x < g);
        let hi = cues.partition_point(|(x, _)| *x <= g);
        cues.get(lo..hi).unwrap_or(&[])
    };
    if !cues.is_empty() {
        for &c in engine
            .combos_of
            .get(rule as usize)
            .map_or(&[][..], Vec::as_slice)
        {
            let Some(combo) = engine.combos.get(c) else {
                continue;
            };
            if combo.groups.iter().any(|&g| occ(g).is_empty()) {
                continue;
            }
            let reach = match combo.scope {
                Scope::Sentence => 0,
                Scope::Near => 1,
                Scope::Post => usize::MAX,
            };
            let Some((&first, rest)) = combo.groups.split_first() else {
                continue;
            };
            for (_, anchor) in occ(first) {
                let (mut lo, mut hi) = (anchor.start, anchor.end);
                let (mut slo, mut shi) = (anchor.sent, anchor.sent);
                let mut all = true;
                for &g in rest {
                    let near = occ(g)
                        .iter()
                        .filter(|(_, e)| {
                            e.sent.abs_diff(anchor.sent) <= reach
                                && !overlaps((e.start, e.end), (anchor.start, anchor.end))
                        })
                        .min_by_key(|(_, e)| e.start.abs_diff(anchor.start));
                    match near {
                        Some((_, e)) => {
                            lo = lo.min(e.start);
                            hi = hi.max(e.end);
                            slo = slo.min(e.sent);
                            shi = shi.max(e.sent);
                        }
                        None => {
                            all = false;
                            break;
                        }
                    }
                }
                if all {
                    cands.push((lo, hi, slo, shi, true));
                }
            }
        }
    }
    if cands.is_empty() {
        return Vec::new();
    }
    let denies: Vec<(Scope, bool, usize)> = events
        .iter()
        .filter_map(|e| match e.role {
            Role::Deny {
                scope,
                cond,
                combos_only,
            } => {
                let on = match cond {
                    Cond::Always => true,
                    Cond::PublicComment => cx.settings.allow_public_comment,
                    Cond::JobListings => cx.settings.allow_job_listings,
                };
                let inside_trigger = triggers
                    .iter()
                    .any(|t| contains((t.start, t.end), (e.start, e.end)));
                (on && !masked((e.start, e.end)) && !inside_trigger).then_some((
                    scope,
                    combos_only,
                    e.sent,
                ))
            }
            _ => None,
        })
        .collect();
    let mut kept: Vec<Span> = cands
        .into_iter()
        .filter(|&(_, _, s0, s1, combo)| {
            !denies.iter().any(|&(scope, combos_only, ds)| {
                (combo || !combos_only)
                    && match scope {
                        Scope::Post => true,
                        Scope::Sentence => (s0..=s1).contains(&ds),
                        Scope::Near => (s0.saturating_sub(1)..=s1 + 1).contains(&ds),
                    }
            })
        })
        .map(|(s, e, ..)| (s, e))
        .collect();
    kept.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(kept.len());
    for (s, e) in kept {
        match merged.last_mut() {
            Some(last) if s < last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// IPv4 addresses (first octet ≥ 10, so version numbers like 1.2.0.3 stay out).
fn ipv4_addresses(t: &str) -> Vec<Span> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        let mut octets = Vec::with_capacity(4);
        loop {
            let k = j;
            while j < b.len() && b[j].is_ascii_digit() && j - k < 4 {
                j += 1;
            }
            let digits = &t[k..j];
            if digits.is_empty() || digits.len() > 3 {
                break;
            }
            octets.push(digits.parse::<u16>().unwrap_or(999));
            if octets.len() == 4 || j >= b.len() || b[j] != b'.' {
                break;
            }
            j += 1;
        }
        let trailing = b.get(j).is_some_and(|c| {
            c.is_ascii_digit() || (*c == b'.' && b.get(j + 1).is_some_and(u8::is_ascii_digit))
        });
        if octets.len() == 4 && octets.iter().all(|&o| o <= 255) && octets[0] >= 10 && !trailing {
            out.push((start, j));
        }
        i = j.max(i + 1);
    }
    out
}

/// A URL to an administration, login or intranet page.
fn is_admin_url(text: &str, u: &crate::text::UrlMatch) -> bool {
    const SEGMENTS: &[&str] = &[
        "admin",
        "wp-admin",
        "wp-login.php",
        "administrator",
        "phpmyadmin",
        "cpanel",
        "dashboard",
        "manage",
        "manager",
        "console",
        "login",
        "signin",
    ];
    const HOSTS: &[&str] = &[
        "cms",
        "admin",
        "intra",
        "intranet",
        "internal",
        "staff",
        "manage",
        "vpn",
        "webmail",
        "owa",
        "groupware",
    ];
    let host = u.host.as_str();
    if host.split('.').next().is_some_and(|h| HOSTS.contains(&h)) {
        return true;
    }
    if host
        .rsplit('.')
        .next()
        .is_some_and(|t| t == "local" || t == "lan" || t == "internal")
    {
        return true;
    }
    if !ipv4_addresses(host).is_empty() {
        return true;
    }
    let s = text.get(u.start..u.end).unwrap_or("");
    let after_scheme = s.split_once("://").map_or(s, |(_, r)| r);
    let path = after_scheme.split_once('/').map_or("", |(_, p)| p);
    let hostport = after_scheme.split('/').next().unwrap_or("");
    if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
    {
        return true;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|seg| SEGMENTS.contains(&seg))
}

/// Runs `f` over this post's findings, scanning the post only once for all rules.
fn with_found<R>(cx: &Cx<'_>, f: impl FnOnce(&Found) -> R) -> R {
    f(cx.phrases.get_or_init(|| scan(cx)))
}

/// The input text a span covers, shortened for a message.
pub(crate) fn quote(cx: &Cx<'_>, (s, e): Span) -> String {
    let (a, b) = cx.norm.to_input(s, e);
    let n = b.saturating_sub(a);
    let mut q: String = cx.input.text.chars().skip(a).take(n.min(24)).collect();
    if n > 24 {
        q.push('…');
    }
    q
}

/// A quote for a message: 「…」, or 『…』 when the text itself has 「」.
fn bracketed(q: &str) -> String {
    if q.contains(['「', '」']) {
        format!("『{q}』")
    } else {
        format!("「{q}」")
    }
}

/// Reports every finding of rule `code` in this post. `message` receives the quoted
/// excerpt, brackets included.
pub(crate) fn report(
    cx: &Cx<'_>,
    out: &mut Out,
    code: &str,
    message: impl Fn(&str) -> String,
    suggestion: &str,
) {
    let Some(i) = rule_index(code) else {
        return;
    };
    let spans: Vec<Span> = with_found(cx, |f| f.get(i as usize).cloned().unwrap_or_default());
    for span in spans {
        let q = bracketed(&quote(cx, span));
        out.at(span.0, span.1, message(&q), Some(suggestion.to_owned()));
    }
}

/// Test helper: every text of `fail` gets a finding from some rule of this engine in
/// `category`, no text of `pass` does.
#[cfg(test)]
pub(crate) fn category_cases(category: &str, pass: &[&str], fail: &[&str]) {
    let of = |t: &str| -> Vec<crate::Diagnostic> {
        crate::rules::test::run(t, None)
            .into_iter()
            .filter(|d| CODES.contains(&d.rule) && d.category.id() == category)
            .collect()
    };
    for t in fail {
        assert!(!of(t).is_empty(), "{category} should flag: {t}");
    }
    for t in pass {
        let d = of(t);
        assert!(
            d.is_empty(),
            "{category} should not flag: {t}\n got: {d:#?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_files_are_well_formed() {
        let e = &*ENGINE;
        assert!(e.errors.is_empty(), "{:#?}", e.errors);
        assert!(e.ac.is_some());
        assert!(e.entries.len() > 500, "{}", e.entries.len());
    }

    #[test]
    fn excerpts_keep_brackets_whole() {
        let t = "節約なら「ひかりでんき」への切り替えが";
        let s = t.find("でんき").unwrap();
        let e = t.len();
        let (a, b) = balance_brackets(t, (s, e));
        assert_eq!(&t[a..b], "「ひかりでんき」への切り替えが");
        let s = t.find("「").unwrap();
        let e = t.find("でんき").unwrap();
        let (a, b) = balance_brackets(t, (s, e));
        assert_eq!(&t[a..b], "「ひかりでんき」");
    }

    #[test]
    fn the_narrowest_finding_of_a_category_wins() {
        let mut f: Found = vec![Vec::new(); CODES.len()];
        f[4] = vec![(0, 30)]; // PO001, a whole sentence
        f[5] = vec![(10, 20)]; // PO002, a phrase inside it
        f[20] = vec![(0, 30)]; // SC001, another category
        drop_enclosing(&mut f);
        assert!(f[4].is_empty());
        assert_eq!(f[5], vec![(10, 20)]);
        assert_eq!(f[20], vec![(0, 30)]);
    }

    #[test]
    fn code_detectors_point_at_their_rules() {
        assert_eq!(CODES[SC002], "SC002");
        assert_eq!(CODES[SC003], "SC003");
    }

    #[test]
    fn every_engine_rule_is_registered() {
        for code in CODES {
            assert!(
                crate::RULES.iter().any(|r| r.code == *code),
                "{code} is not in the registry"
            );
        }
    }

    #[test]
    fn sentences_split_on_japanese_punctuation_and_brackets() {
        let t = "【お知らせ】一文目。二文目！三文目";
        let s = sentence_starts(t);
        assert_eq!(s.len(), 4);
        assert_eq!(sentence_of(&s, t.find("二").unwrap()), 2);
    }

    #[test]
    fn ipv4_needs_four_octets() {
        let t = "サーバ(192.168.10.25)とver 1.2.3.4、2025.6.12、10.0.0.256";
        let ips: Vec<&str> = ipv4_addresses(t)
            .into_iter()
            .map(|(s, e)| &t[s..e])
            .collect();
        assert_eq!(ips, vec!["192.168.10.25"]);
    }

    #[test]
    fn credential_values() {
        fn t(s: &str) -> Option<&str> {
            value_end(s, 0).map(|e| &s[..e])
        }
        assert_eq!(t(" midori#2025 です"), Some(" midori#2025"));
        assert_eq!(t("「みどり2025」です"), Some("「みどり2025」"));
        assert_eq!(t("abcd1234."), Some("abcd1234"));
        assert_eq!(t("12文字以上にしましょう"), None);
        assert_eq!(t("snsごとに変えましょう"), None);
        assert_eq!(t("定期的に変更"), None);
        assert_eq!(t("「すぐに変更」、"), None);
        assert_eq!(t("「12文字以上」にしてください"), None);
        assert_eq!(t("『Midori-2025』"), Some("『Midori-2025』"));
    }

    /// The engine's categories.
    const MINE: &[&str] = &[
        "rumor",
        "undecided-policy",
        "political",
        "religious",
        "commercial",
        "social-advocacy",
        "personal-opinion",
        "illegal",
        "confidential",
        "security",
    ];

    /// Recall per category and findings on posts without that label, on the
    /// development split (`corpus/dev.jsonl`; the held-out test split is never read).
    /// `cargo test -p koho-check --lib engine_dev_corpus -- --ignored --nocapture`
    #[test]
    #[ignore = "reads corpus/dev.jsonl"]
    fn engine_dev_corpus() {
        let path = std::env::var("KOHO_CORPUS").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl").into()
        });
        let src = std::fs::read_to_string(path).unwrap();
        let verbose = std::env::var("KOHO_VERBOSE").is_ok();
        let mut rows: Vec<(usize, usize, usize)> = vec![(0, 0, 0); MINE.len()];
        let (mut ordinary, mut ordinary_errors, mut ordinary_any) = (0, 0, 0);
        for line in src.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = v["text"].as_str().unwrap();
            let labels: Vec<&str> = v["labels"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|l| l.as_str())
                .collect();
            // This engine's rules only (the learned pass of the same categories is measured
            // by its own tests).
            let diags: Vec<_> = crate::rules::test::run(text, None)
                .into_iter()
                .filter(|d| CODES.contains(&d.rule))
                .collect();
            if labels.is_empty() {
                ordinary += 1;
                if diags.iter().any(|d| d.severity == crate::Severity::Error) {
                    ordinary_errors += 1;
                }
                if !diags.is_empty() {
                    ordinary_any += 1;
                    if verbose {
                        let what: Vec<String> = diags
                            .iter()
                            .map(|d| format!("{}「{}」", d.rule, d.excerpt))
                            .collect();
                        println!("ORD {} {text}\n    {what:?}", v["id"]);
                    }
                }
            }
            for (i, cat) in MINE.iter().enumerate() {
                let hit = diags.iter().any(|d| d.category.id() == *cat);
                let labelled = labels.contains(cat);
                if labelled {
                    rows[i].0 += 1;
                    if hit {
                        rows[i].1 += 1;
                    }
                }
                if hit && !labelled {
                    rows[i].2 += 1;
                }
                if verbose && labelled != hit {
                    let what: Vec<String> = diags
                        .iter()
                        .filter(|d| d.category.id() == *cat)
                        .map(|d| format!("{}「{}」", d.rule, d.excerpt))
                        .collect();
                    println!(
                        "{} {cat} {} {text}\n    {what:?}",
                        if hit { "FP" } else { "FN" },
                        v["id"]
                    );
                }
            }
        }
        println!(
            "{:<18} {:>5} {:>7} {:>7}",
            "category", "posts", "recall", "extra"
        );
        for (i, cat) in MINE.iter().enumerate() {
            let (n, tp, fp) = rows[i];
            println!(
                "{cat:<18} {n:>5} {:>7.2} {fp:>7}",
                tp as f64 / n.max(1) as f64
            );
        }
        println!("ordinary posts with an error from these rules: {ordinary_errors}/{ordinary}");
        println!("ordinary posts with any finding (warnings too): {ordinary_any}/{ordinary}");
    }

    /// Prints this engine's findings for each line of `KOHO_PROBE` (development aid).
    /// `KOHO_PROBE='…' cargo test -p koho-check --lib engine_probe -- --ignored --nocapture`
    #[test]
    #[ignore = "development aid"]
    fn engine_probe() {
        let src = std::env::var("KOHO_PROBE").unwrap_or_default();
        for text in src.lines().filter(|l| !l.trim().is_empty()) {
            println!("{text}");
            for d in crate::rules::test::run(text, None)
                .iter()
                .filter(|d| CODES.contains(&d.rule))
            {
                println!(
                    "  {} {:?} [{}..{}] 「{}」 {}\n      → {}",
                    d.rule,
                    d.severity,
                    d.start,
                    d.end,
                    d.excerpt,
                    d.message,
                    d.suggestion.as_deref().unwrap_or("")
                );
            }
        }
    }

    /// Time for this engine's rules on 500-character posts built from the corpus, one
    /// call per post (normalisation excluded: every rule shares it).
    /// `cargo test --release -p koho-check --lib engine_speed -- --ignored --nocapture`
    #[test]
    #[ignore = "timing; run in release"]
    fn engine_speed() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/dev.jsonl");
        let src = std::fs::read_to_string(path).unwrap();
        let texts: Vec<String> = src
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["text"].as_str().map(str::to_owned))
            .collect();
        let all: String = texts.concat();
        let chars: Vec<char> = all.chars().collect();
        let posts: Vec<String> = (0..2000)
            .map(|i| {
                let start = (i * 389) % (chars.len() - 500);
                chars[start..start + 500].iter().collect()
            })
            .collect();
        let mine: Vec<usize> = crate::RULES
            .iter()
            .enumerate()
            .filter(|(_, r)| CODES.contains(&r.code))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(mine.len(), CODES.len());
        let settings = crate::Settings {
            allow_public_comment: true,
            allow_job_listings: true,
            ..Default::default()
        };
        let t = std::time::Instant::now();
        let mut n = 0;
        for (_, src) in FILES {
            for f in tsv(src) {
                n += f
                    .first()
                    .map_or(0, |p| phrase_key(p).map_or(0, |k| k.0.len()));
            }
        }
        println!("normalising the phrases: {:?} ({n} bytes)", t.elapsed());
        let t = std::time::Instant::now();
        let fresh = Engine::build(FILES);
        println!(
            "engine build: {:?} ({} patterns, {} combos)",
            t.elapsed(),
            fresh.entries.len(),
            fresh.combos.len()
        );
        let _ = &*ENGINE;
        // Each post is timed 5 times (fresh context and cache each time) and the fastest
        // run kept, so that preemption on a shared machine does not count as latency.
        let mut times = Vec::with_capacity(posts.len());
        for p in &posts {
            let input = crate::Input {
                text: p,
                ..Default::default()
            };
            let norm = Normalized::new(p);
            let mut best = std::time::Duration::MAX;
            for _round in 0..5 {
                let cx = Cx::new(&input, &norm, &settings);
                let mut out = Out::default();
                let t = std::time::Instant::now();
                for &i in &mine {
                    out.current = i;
                    (crate::RULES[i].check)(&cx, &mut out);
                }
                best = best.min(t.elapsed());
                std::hint::black_box(&out);
            }
            times.push(best);
        }
        times.sort();
        let pct = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
        println!(
            "{} rules, 500-char posts: p50 {:?} p90 {:?} p99 {:?} max {:?}",
            mine.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            times[times.len() - 1]
        );
    }

    #[test]
    fn context_marks_split_the_reported_part() {
        assert_eq!(
            phrase_key("た|らしい"),
            Some(("たらしい".to_string(), 3, 0))
        );
        assert_eq!(phrase_key("ア|イ|ウ"), Some(("あいう".to_string(), 3, 3)));
        assert_eq!(phrase_key("ＯＫ"), Some(("ok".to_string(), 0, 0)));
        assert_eq!(phrase_key("a||b"), None);
        assert_eq!(phrase_key(""), None);
    }

    #[test]
    fn ascii_phrases_respect_word_boundaries() {
        let b = "tokyo ok".as_bytes();
        assert!(!at_word_boundary(b, 1, 3));
        assert!(at_word_boundary(b, 6, 8));
    }
}
