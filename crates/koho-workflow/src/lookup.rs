//! "Is this official?": looks a URL or handle up in the public register and warns about
//! lookalikes of official accounts (impersonation, 狛江市 ポリシー第7条). Pure functions.
//!
//! A handle is reduced to a *skeleton* in stages, and two handles that differ but share a
//! skeleton look alike:
//!
//! 1. lower-case, full-width folded, without `@` and the fediverse `@host` part;
//! 2. Cyrillic and Greek homoglyphs mapped to the Latin letters they look like (`о`→`o`);
//! 3. digits that pass for letters mapped (`0`→`o`, `1`→`l`, `3`→`e`, `5`→`s`);
//! 4. letters that pass for each other merged (`i`→`l`, `rn`→`m`, `vv`→`w`, `cl`→`d`);
//! 5. separators (`_`, `.`, `-`) removed.
//!
//! Besides equal skeletons, a handle that only adds digits, is one edit (or swap) away, or
//! embeds an official handle of six or more letters is reported too.

use koho_store::{AccountState, Platform, normalize_handle};
use serde::Serialize;

use crate::overlap::fold_width;
use crate::register::RegisterRow;

/// What a query names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParsedQuery {
    /// Known when the query was a platform URL.
    pub platform: Option<Platform>,
    /// Normalised handle (lower-case, no leading `@`; `user@host` on the fediverse).
    pub handle: String,
    /// The URL, normalised, when the query was one.
    pub url: Option<String>,
}

/// The answer to "is this official?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A running (or grandfathered) official account.
    Official,
    /// An official account that is suspended: kept, but no longer posting.
    Suspended,
    /// An official account that was closed.
    Closed,
    /// Not in the register.
    NotOfficial,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Official => "公式アカウントです",
            Verdict::Suspended => "公式アカウントですが、運用を停止しています",
            Verdict::Closed => "公式アカウントでしたが、廃止されました",
            Verdict::NotOfficial => "公式アカウントではありません",
        }
    }
}

/// How a lookalike imitates an official handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trick {
    /// Cyrillic or Greek letters that look Latin.
    Homoglyph,
    /// Digits in place of letters (0/o, 1/l).
    DigitForLetter,
    /// Letters in place of letters (1/l/i, rn/m, vv/w, cl/d).
    LetterSwap,
    /// Underscores, dots or hyphens added or removed.
    Separator,
    /// Digits added.
    AddedDigits,
    /// One letter changed, added, dropped or two swapped.
    Typo,
    /// The official handle with something added around it.
    Embeds,
}

impl Trick {
    pub fn label(self) -> &'static str {
        match self {
            Trick::Homoglyph => "キリル文字・ギリシャ文字などの似た文字",
            Trick::DigitForLetter => "数字を文字に見せかけ（0/o、1/l など）",
            Trick::LetterSwap => "似た文字の置き換え（i/l、rn/m など）",
            Trick::Separator => "記号（_ . -）の追加・削除",
            Trick::AddedDigits => "数字の追加",
            Trick::Typo => "1文字違い",
            Trick::Embeds => "公式のIDに文字を付け足し",
        }
    }
}

/// An official account a handle imitates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lookalike {
    pub official: RegisterRow,
    pub tricks: Vec<Trick>,
}

/// The whole answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LookupAnswer {
    pub query: String,
    pub parsed: ParsedQuery,
    pub verdict: Verdict,
    /// The register row, when the query names an official account.
    pub account: Option<RegisterRow>,
    /// Official accounts the query imitates (only when it is not official itself).
    pub lookalikes: Vec<Lookalike>,
}

impl LookupAnswer {
    /// One paragraph for the public.
    pub fn message_ja(&self) -> String {
        let mut s = format!("「{}」は{}。", self.query.trim(), self.verdict.label());
        if let Some(a) = &self.account {
            s.push_str(&format!(
                "（{} {}、{}）",
                a.platform_label,
                a.handle,
                a.department.as_deref().unwrap_or("所属未設定")
            ));
            if let Some(r) = &a.redirect_to {
                s.push_str(&format!("今後の情報は {r} をご覧ください。"));
            }
        }
        for l in self.lookalikes.iter().take(3) {
            let tricks: Vec<&str> = l.tricks.iter().map(|t| t.label()).collect();
            s.push_str(&format!(
                "\n注意: 公式アカウント「{} {}」（{}）に似せたIDです（{}）。なりすましのおそれがあります。",
                l.official.platform_label,
                l.official.handle,
                l.official.display_name,
                tricks.join("、")
            ));
        }
        if self.lookalikes.len() > 3 {
            s.push_str(&format!(
                "\nほかに {} 件の公式アカウントにも似ています。",
                self.lookalikes.len() - 3
            ));
        }
        s
    }
}

/// Lower-cased URL without scheme, `www.`, query, fragment and trailing slash.
pub fn normalize_url(url: &str) -> String {
    let u = url.trim();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(u);
    let u = u.split(['?', '#']).next().unwrap_or(u);
    let u = u.strip_prefix("www.").unwrap_or(u);
    u.trim_end_matches('/').to_lowercase()
}

/// Reads a URL or handle.
pub fn parse_query(query: &str) -> ParsedQuery {
    let q = fold_width(query.trim());
    let looks_like_url = q.starts_with("http://")
        || q.starts_with("https://")
        || q.split('/')
            .next()
            .is_some_and(|h| h.contains('.') && q.contains('/'));
    if !looks_like_url {
        return ParsedQuery {
            platform: None,
            handle: normalize_handle(&q),
            url: None,
        };
    }
    let url = normalize_url(&q);
    let mut parts = url.split('/');
    let host = parts.next().unwrap_or_default();
    let host = host
        .strip_prefix("m.")
        .or_else(|| host.strip_prefix("mobile."))
        .unwrap_or(host);
    let path: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
    let first = path.first().copied().unwrap_or_default();
    let (platform, handle) = match host {
        "x.com" | "twitter.com" => (Some(Platform::X), first.to_owned()),
        "facebook.com" | "fb.com" => (Some(Platform::Facebook), first.to_owned()),
        "instagram.com" => (Some(Platform::Instagram), first.to_owned()),
        "threads.net" | "threads.com" => (Some(Platform::Threads), first.to_owned()),
        "youtube.com" => {
            let h = match first {
                "channel" | "c" | "user" => path.get(1).copied().unwrap_or_default(),
                _ => first,
            };
            (Some(Platform::Youtube), h.to_owned())
        }
        "line.me" | "page.line.me" => (
            Some(Platform::Line),
            path.last().copied().unwrap_or_default().to_owned(),
        ),
        "bsky.app" => {
            let h = if first == "profile" {
                path.get(1).copied().unwrap_or_default()
            } else {
                first
            };
            (Some(Platform::Bluesky), h.to_owned())
        }
        _ => {
            // Mastodon, Misskey and other fediverse servers: https://host/@user.
            match first.strip_prefix('@') {
                Some(user) if !user.contains('@') => (None, format!("{user}@{host}")),
                Some(user) => (None, user.to_owned()),
                None => (None, first.to_owned()),
            }
        }
    };
    ParsedQuery {
        platform,
        handle: normalize_handle(&handle),
        url: Some(url),
    }
}

/// Stage 1: the local part of a normalised handle (no fediverse host, no `.bsky.social`).
fn local_part(handle: &str) -> String {
    let h = fold_width(&normalize_handle(handle));
    let h = h.split('@').next().unwrap_or_default().to_owned();
    h.strip_suffix(".bsky.social")
        .map(str::to_owned)
        .unwrap_or(h)
}

/// Cyrillic, Greek and other letters that pass for Latin ones.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' | 'є' => 'e',
        'һ' | 'н' => 'h',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'к' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'о' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ԝ' => 'w',
        'с' => 'c',
        'ь' => 'b',
        // Greek
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        'ω' => 'w',
        // Latin lookalikes outside ASCII
        'ı' => 'i',
        'ɑ' => 'a',
        'ɡ' => 'g',
        'ℓ' => 'l',
        _ => return None,
    })
}

fn map_homoglyphs(s: &str) -> String {
    s.chars().map(|c| homoglyph(c).unwrap_or(c)).collect()
}

fn map_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            '3' => 'e',
            '5' => 's',
            _ => c,
        })
        .collect()
}

fn merge_letters(s: &str) -> String {
    s.replace(['i', '|'], "l")
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d")
}

fn strip_separators(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '.' | '-'))
        .collect()
}

/// The stages of a handle's reduction.
#[derive(Debug)]
struct Stages {
    plain: String,
    latin: String,
    digits: String,
    letters: String,
    skeleton: String,
    /// Skeleton with every digit dropped (before mapping), for "added digits".
    no_digits: String,
}

fn stages(handle: &str) -> Stages {
    let plain = local_part(handle);
    let latin = map_homoglyphs(&plain);
    let digits = map_digits(&latin);
    let letters = merge_letters(&digits);
    let skeleton = strip_separators(&letters);
    let no_digits: String = latin.chars().filter(|c| !c.is_ascii_digit()).collect();
    let no_digits = strip_separators(&merge_letters(&no_digits));
    Stages {
        plain,
        latin,
        digits,
        letters,
        skeleton,
        no_digits,
    }
}

/// Optimal-string-alignment distance (edits and adjacent swaps), capped at 3.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return 3;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()].min(3)
}

/// How `candidate` imitates `official`, or `None` if it does not look alike (or is the
/// same handle).
pub fn imitation(candidate: &str, official: &str) -> Option<Vec<Trick>> {
    let q = stages(candidate);
    let o = stages(official);
    if q.plain.is_empty() || o.plain.is_empty() || q.plain == o.plain {
        return None;
    }
    let mut tricks = Vec::new();
    if q.skeleton == o.skeleton {
        if q.latin != q.plain {
            tricks.push(Trick::Homoglyph);
        }
        if q.digits != q.latin && o.digits == o.latin {
            tricks.push(Trick::DigitForLetter);
        }
        if q.letters != q.digits || o.letters != o.digits {
            // Only a letter swap if the two differ before merging letters.
            if strip_separators(&q.digits) != strip_separators(&o.digits) {
                tricks.push(Trick::LetterSwap);
            }
        }
        if (strip_separators(&q.plain) != q.plain || strip_separators(&o.plain) != o.plain)
            && q.letters != o.letters
        {
            tricks.push(Trick::Separator);
        }
        if tricks.is_empty() {
            tricks.push(Trick::Typo);
        }
        return Some(tricks);
    }
    if !q.no_digits.is_empty() && q.no_digits == o.no_digits && q.latin.len() > o.latin.len() {
        if q.latin != q.plain {
            tricks.push(Trick::Homoglyph);
        }
        tricks.push(Trick::AddedDigits);
        return Some(tricks);
    }
    let shortest = q.skeleton.chars().count().min(o.skeleton.chars().count());
    // One edit away, before or after merging look-alike letters (`cl`→`d` would turn a
    // swapped `ci` into two edits).
    let edits = distance(&q.skeleton, &o.skeleton).min(distance(
        &strip_separators(&q.digits),
        &strip_separators(&o.digits),
    ));
    if shortest >= 5 && edits == 1 {
        if q.latin != q.plain {
            tricks.push(Trick::Homoglyph);
        }
        tricks.push(Trick::Typo);
        return Some(tricks);
    }
    if o.skeleton.chars().count() >= 6 && q.skeleton.contains(&o.skeleton) {
        if q.latin != q.plain {
            tricks.push(Trick::Homoglyph);
        }
        tricks.push(Trick::Embeds);
        return Some(tricks);
    }
    None
}

fn verdict(state: AccountState) -> Verdict {
    match state {
        AccountState::Active | AccountState::Grandfathered => Verdict::Official,
        AccountState::Suspended => Verdict::Suspended,
        AccountState::Closed => Verdict::Closed,
        _ => Verdict::NotOfficial,
    }
}

/// Rank of a verdict when a bare handle matches accounts on several platforms.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Official => 0,
        Verdict::Suspended => 1,
        Verdict::Closed => 2,
        Verdict::NotOfficial => 3,
    }
}

/// Answers "is this official?" for a URL or handle against the public register `rows`.
pub fn lookup(query: &str, rows: &[RegisterRow]) -> LookupAnswer {
    let parsed = parse_query(query);
    let public: Vec<&RegisterRow> = rows
        .iter()
        .filter(|r| crate::state::is_public(r.state))
        .collect();
    let platform_ok = |r: &RegisterRow| parsed.platform.is_none_or(|p| p == r.platform);
    let same_handle = |r: &RegisterRow| {
        let h = normalize_handle(&r.handle);
        h == parsed.handle
            || (parsed.platform.is_none()
                && !parsed.handle.contains('@')
                && local_part(&h) == parsed.handle
                && h.contains('@'))
    };
    let same_url =
        |r: &RegisterRow| parsed.url.is_some() && r.url.as_deref().map(normalize_url) == parsed.url;
    let exact = public
        .iter()
        .filter(|r| same_url(r) || (platform_ok(r) && same_handle(r)))
        .min_by_key(|r| rank(verdict(r.state)));
    if let Some(row) = exact {
        return LookupAnswer {
            query: query.to_owned(),
            verdict: verdict(row.state),
            account: Some((*row).clone()),
            parsed,
            lookalikes: Vec::new(),
        };
    }
    let mut lookalikes: Vec<Lookalike> = public
        .iter()
        .filter_map(|r| {
            imitation(&parsed.handle, &r.handle).map(|tricks| Lookalike {
                official: (*r).clone(),
                tricks,
            })
        })
        .collect();
    // Same platform first, close imitations before embeddings, running accounts before
    // closed ones, the longest (most specific) official handle first.
    lookalikes.sort_by_key(|l| {
        (
            !platform_ok(&l.official),
            l.tricks.contains(&Trick::Embeds),
            l.tricks.len(),
            rank(verdict(l.official.state)),
            std::cmp::Reverse(local_part(&l.official.handle).chars().count()),
            l.official.handle.clone(),
        )
    });
    LookupAnswer {
        query: query.to_owned(),
        parsed,
        verdict: Verdict::NotOfficial,
        account: None,
        lookalikes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let p = parse_query("https://twitter.com/Komae_City?ref_src=abc");
        assert_eq!(p.platform, Some(Platform::X));
        assert_eq!(p.handle, "komae_city");
        let p = parse_query("https://www.youtube.com/@midori-city");
        assert_eq!(
            (p.platform, p.handle.as_str()),
            (Some(Platform::Youtube), "midori-city")
        );
        let p = parse_query("https://social.example/@midori_city");
        assert_eq!(p.handle, "midori_city@social.example");
        let p = parse_query("https://bsky.app/profile/midori-city.bsky.social");
        assert_eq!(p.handle, "midori-city.bsky.social");
        let p = parse_query("＠ｋｏｍａｅ＿ｃｉｔｙ");
        assert_eq!(p.handle, "komae_city");
    }

    #[test]
    fn distance_counts_swaps_as_one() {
        assert_eq!(distance("komaecity", "komaectiy"), 1);
        assert_eq!(distance("abc", "abd"), 1);
        assert_eq!(distance("abc", "xyz"), 3);
    }
}
