//! Person names before an honorific (山田花子さん, 田中様, 佐藤氏, はるとくん),
//! confirmed with surname and given-name lists derived from
//! shuheilocale/japanese-personal-name-dataset (MIT; `data/names/`).
//!
//! The anchor is the honorific: only the few characters before one are looked at,
//! right to left — an optional reading in parentheses （ひな）, the given name, an
//! optional space, the surname.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use super::{back, char_at, char_before, is_hiragana, is_kanji, is_katakana};

static SURNAMES: &str = include_str!("../../../data/names/surnames.txt");
static GIVEN_KANJI: &str = include_str!("../../../data/names/given_kanji.txt");
static GIVEN_KANA: &str = include_str!("../../../data/names/given_kana.txt");

/// The multiply-rotate hash of rustc (FxHash): names are a few bytes long and the
/// lists are our own, so a fast hash without DoS protection is the right one.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxSet<T> = HashSet<T, BuildHasherDefault<Fx>>;

struct Lists {
    surnames: FxSet<&'static str>,
    /// Surname readings in hiragana, for names written in katakana (ヤマダ ハナコ).
    surname_kana: FxSet<&'static str>,
    /// Kanji given names as (first character, the rest or "-").
    given: FxSet<(char, &'static str)>,
    kana: FxSet<&'static str>,
}

fn entries(src: &'static str) -> impl Iterator<Item = &'static str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    let mut given = FxSet::with_capacity_and_hasher(72_000, BuildHasherDefault::default());
    for line in entries(GIVEN_KANJI) {
        let Some((first, rest)) = line.split_once('\t') else {
            continue;
        };
        let Some(f) = first.chars().next() else {
            continue;
        };
        given.extend(rest.split(' ').filter(|r| !r.is_empty()).map(|r| (f, r)));
    }
    let mut surnames = FxSet::default();
    let mut surname_kana = FxSet::default();
    for line in entries(SURNAMES) {
        let (kanji, reading) = line.split_once('\t').unwrap_or((line, ""));
        surnames.insert(kanji);
        if reading.chars().count() >= 2 {
            surname_kana.insert(reading);
        }
    }
    Lists {
        surnames,
        surname_kana,
        given,
        kana: entries(GIVEN_KANA).collect(),
    }
});

/// Loads the name lists now rather than on the first post.
#[cfg(test)]
pub(super) fn warm_up() -> usize {
    LISTS.surnames.len() + LISTS.surname_kana.len() + LISTS.given.len() + LISTS.kana.len()
}

fn is_surname(s: &str) -> bool {
    LISTS.surnames.contains(s)
}

fn is_given_kanji(s: &str) -> bool {
    let mut it = s.chars();
    let Some(f) = it.next() else {
        return false;
    };
    let rest = it.as_str();
    LISTS
        .given
        .contains(&(f, if rest.is_empty() { "-" } else { rest }))
}

fn is_given_kana(s: &str) -> bool {
    LISTS.kana.contains(s)
}

fn is_surname_kana(s: &str) -> bool {
    LISTS.surname_kana.contains(s)
}

/// A name written in katakana, surname and given name, ending at `end`: ヤマダ ハナコ,
/// ヤマダハナコ. `folded` is the text with katakana as hiragana (same offsets).
fn katakana_full_name(text: &str, folded: &str, end: usize) -> Option<usize> {
    let r = run_start(text, end, 6, is_katakana);
    let given = &folded[r..end];
    if text[..r].ends_with(' ') {
        let s = run_start(text, r - 1, 6, is_katakana);
        if s < r - 1 {
            return (is_surname_kana(&folded[s..r - 1]) && is_given_kana(given)).then_some(s);
        }
    }
    given
        .char_indices()
        .skip(2)
        .find(|&(i, _)| {
            given[i..].chars().count() >= 2
                && is_surname_kana(&given[..i])
                && is_given_kana(&given[i..])
        })
        .map(|_| r)
}

/// Honorifics that follow a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hon {
    San,
    Sama,
    Shi,
    Kun,
    Chan,
    Dono,
}

impl Hon {
    /// 「ちゃん」「くん」: mostly children.
    pub(super) fn is_childish(self) -> bool {
        matches!(self, Hon::Kun | Hon::Chan)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    /// Surname and given name: 山田花子, 佐々木トメ.
    Full,
    Surname,
    Given,
}

/// A name with its honorific, in bytes of the normalised text.
#[derive(Debug, Clone, Copy)]
pub(super) struct NameHit {
    pub(super) start: usize,
    /// End of the honorific.
    pub(super) end: usize,
    pub(super) hon: Hon,
    pub(super) kind: NameKind,
}

/// Honorific at byte `i` (whose character is `c`), with its length.
fn honorific_at(text: &str, i: usize, c: char) -> Option<(Hon, usize)> {
    let rest = &text[i..];
    let (hon, len) = match c {
        'さ' if rest.starts_with("さん") => (Hon::San, "さん".len()),
        'さ' if rest.starts_with("さま") => (Hon::Sama, "さま".len()),
        'く' if rest.starts_with("くん") => (Hon::Kun, "くん".len()),
        'ち' if rest.starts_with("ちゃん") => (Hon::Chan, "ちゃん".len()),
        '様' => (Hon::Sama, '様'.len_utf8()),
        '氏' => (Hon::Shi, '氏'.len_utf8()),
        '君' => (Hon::Kun, '君'.len_utf8()),
        '殿' => (Hon::Dono, '殿'.len_utf8()),
        _ => return None,
    };
    let after = &rest[len..];
    let Some(next) = after.chars().next() else {
        return Some((hon, len));
    };
    if is_kanji(c) {
        // 様式, 氏名, 君主, 殿堂, 君が代: the kanji starts a word of its own.
        return if is_kanji(next) || c == '君' && next == 'が' {
            None
        } else {
            Some((hon, len))
        };
    }
    // さんま, さんぽ, さまざま, さまよう, くんれん, ちゃんこ: ordinary words.
    let words: &[&str] = match hon {
        Hon::San => &["ま", "ぽ", "かく", "すう", "せい", "しょう", "ざん"],
        Hon::Sama => &["ざま", "よ", "た"],
        Hon::Kun => &["れん", "せい", "しょう"],
        Hon::Chan => &["こ", "ぽん", "ねる"],
        Hon::Shi | Hon::Dono => &[],
    };
    if words.iter().any(|w| after.starts_with(w)) && !after.starts_with("たち") {
        return None;
    }
    Some((hon, len))
}

/// Nouns that take an honorific but are no name (お客さん is caught by お).
const NOT_NAME_WORDS: &str = "奥 神 今 所 宮 上 中 前 長 高 新 金 仲間 大家 大黒 大和 王 仏 皆 殿 姫 若 将軍 天皇 皇 \
    親子 達人 匠 大臣 希望 未来 平和 太陽 大地 世界 健康 元気 勝利 正義 大人 初代 赤 坊 姉 \
    兄 母 父 婆 爺 嬢 孫 猫 犬 息子 娘 嫁 婿 主人 旦那 女将 大将 和尚 住職 皆々 一同 各位 諸 \
    同 両 某 貴 客 先方 相手 大工 八百屋 花屋";

static NOT_NAMES: LazyLock<FxSet<&'static str>> =
    LazyLock::new(|| NOT_NAME_WORDS.split_whitespace().collect());

fn is_not_name(s: &str) -> bool {
    NOT_NAMES.contains(s)
}

/// Words before a name that make it a public role, not a private person.
const PUBLIC_ROLES: &str = "議員 市長 町長 村長 区長 知事 大臣 首相 総理 教育長 議長 市議 県議 候補 候補者 選手 監督 \
    コーチ 歌手 俳優 女優 声優 作家 画家 漫画家 写真家 書家 陶芸家 落語家 講談師 演奏家 \
    音楽家 講師 教授 准教授 博士 研究者 専門家 アーティスト タレント 芸人 アナウンサー \
    キャスター 名誉市民 大使 館長 園長 校長 棋士 力士 横綱 大関 弁護士 税理士 司法書士 医師 \
    栄養士 管理栄養士 建築家 料理研究家 デザイナー パティシエ シェフ ゲスト 演者 出演 出演者 \
    指揮 司会 解説 著者 作 絵 文 撮影 マスコット キャラクター ゆるキャラ 着ぐるみ 故";

pub(super) static ROLES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| PUBLIC_ROLES.split_whitespace().collect());

/// Given-name readings may follow these particles (ぞう組のはるとくん).
fn is_particle(c: char) -> bool {
    matches!(
        c,
        'の' | 'は' | 'が' | 'と' | 'も' | 'に' | 'へ' | 'や' | 'を' | 'で'
    )
}

/// Start of the run of characters matching `pred` that ends at `end`, at most `max` long.
fn run_start(text: &str, end: usize, max: usize, pred: impl Fn(char) -> bool) -> usize {
    let mut at = end;
    for (i, c) in text[..end].char_indices().rev().take(max) {
        if !pred(c) {
            break;
        }
        at = i;
    }
    at
}

/// A surname ending at `end`, possibly after one space: its start.
fn surname_before(text: &str, end: usize) -> Option<usize> {
    let end = if text[..end].ends_with(' ') {
        end - 1
    } else {
        end
    };
    let s = run_start(text, end, 4, is_kanji);
    if s == end {
        return None;
    }
    // The whole run, or a suffix of two or more characters after a place (北町山田).
    let run = &text[s..end];
    if is_surname(run) && !is_not_name(run) {
        return Some(s);
    }
    run.char_indices()
        .skip(1)
        .map(|(i, _)| s + i)
        .find(|&i| text[i..end].chars().count() >= 2 && is_surname(&text[i..end]))
}

/// Whether a kanji run splits into a surname (at least `min_surname` characters)
/// and a given name.
fn split_full(run: &str, min_surname: usize) -> bool {
    run.char_indices()
        .skip(min_surname)
        .take(4 - min_surname)
        .any(|(i, _)| {
            let (s, g) = run.split_at(i);
            g.chars().count() <= 3 && is_surname(s) && is_given_kanji(g) && !is_not_name(g)
        })
}

fn name_before(text: &str, folded: &str, h: usize, hon: Hon) -> Option<(usize, NameKind)> {
    let mut p = h;
    if text[..p].ends_with(' ') {
        p -= 1;
    }
    // A reading in parentheses: 陽菜（ひな）さん.
    if text[..p].ends_with(')') {
        let open = text[..p].rfind('(')?;
        let inner = &text[open + 1..p - 1];
        if inner.is_empty()
            || inner.chars().count() > 8
            || !inner
                .chars()
                .all(|c| is_hiragana(c) || is_katakana(c) || c == ' ')
        {
            return None;
        }
        p = open;
        if text[..p].ends_with(' ') {
            p -= 1;
        }
    }
    let last = char_before(text, p)?;
    if is_kanji(last) {
        let r = run_start(text, p, 6, is_kanji);
        let run = &text[r..p];
        if matches!(char_before(text, r), Some('お' | 'ご'))
            || run.starts_with('御')
            || is_not_name(run)
        {
            return None;
        }
        if split_full(run, 1) {
            return Some((r, NameKind::Full));
        }
        if is_given_kanji(run)
            && run.chars().count() <= 3
            && text[..r].ends_with(' ')
            && let Some(s) = surname_before(text, r)
        {
            return Some((s, NameKind::Full));
        }
        let n = run.chars().count();
        if is_surname(run) {
            return Some((r, NameKind::Surname));
        }
        if is_given_kanji(run) && (n >= 2 || hon.is_childish()) {
            return Some((r, NameKind::Given));
        }
        // A longer run ending in a name: 会社員山田花子, 北町山田.
        for (i, _) in run.char_indices().skip(1) {
            let tail = &run[i..];
            let n = tail.chars().count();
            if n >= 3 && split_full(tail, 2) {
                return Some((r + i, NameKind::Full));
            }
            let prev = run[..i].chars().next_back();
            if n >= 2
                && is_surname(tail)
                && prev.is_some_and(|c| {
                    matches!(c, '町' | '村' | '市' | '区' | '県' | '目' | '組' | '班')
                })
            {
                return Some((r + i, NameKind::Surname));
            }
        }
        return None;
    }
    if is_katakana(last) {
        // 佐々木トメさん, 大野 キクさん: a katakana given name after a surname.
        let r = run_start(text, p, 5, is_katakana);
        if r == p || text[r..p].starts_with('ー') {
            return None;
        }
        return surname_before(text, r)
            .or_else(|| katakana_full_name(text, folded, p))
            .map(|s| (s, NameKind::Full));
    }
    if is_hiragana(last) {
        let r = run_start(text, p, 8, is_hiragana);
        let run = &text[r..p];
        for (i, _) in run.char_indices() {
            let cand = &run[i..];
            let n = cand.chars().count();
            if !(2..=6).contains(&n) || !is_given_kana(cand) {
                continue;
            }
            let prefix = &run[..i];
            if let Some(pc) = prefix.chars().next_back() {
                // ぞう組のはると: a particle after a word. Not おとなり, where the
                // "particle" is inside a word of one kana or one with お/ご.
                let stem = &prefix[..prefix.len() - pc.len_utf8()];
                let word_before = stem.is_empty()
                    || stem.chars().nth(1).is_some() && !stem.starts_with(['お', 'ご']);
                if is_particle(pc) && word_before {
                    return Some((r + i, NameKind::Given));
                }
                continue;
            }
            // The whole run is the name: what comes before it?
            return match char_before(text, r) {
                Some(c) if is_kanji(c) => surname_before(text, r).map(|s| (s, NameKind::Full)),
                Some(' ') => Some(
                    surname_before(text, r).map_or((r, NameKind::Given), |s| (s, NameKind::Full)),
                ),
                Some(c) if is_katakana(c) => None,
                _ => Some((r, NameKind::Given)),
            };
        }
        return None;
    }
    None
}

/// Whether a public role or a mascot is named right before the name.
fn public_role_before(text: &str, start: usize) -> bool {
    let w = &text[back(text, start, 14, |c| c == '\n')..start];
    let w = w.trim_end_matches([' ', ':', '・', '、', 'の', '「', '(']);
    let Some(last) = w.chars().next_back() else {
        return false;
    };
    // 看護師, 保健師, 社会福祉士: a professional title right before the name.
    matches!(last, '師' | '士')
        || ROLES.iter().any(|r| r.ends_with(last) && w.ends_with(r))
        // A company named after its founder: 「株式会社田中様」「(株)山田様」.
        || ["株式会社", "有限会社", "合同会社", "(株)", "(有)", "法人"].iter().any(|r| w.ends_with(r))
        // A speaker or guest of an event: 「講師：みどり病院の山本さん」.
        || ["講師", "講演", "登壇", "ゲスト", "出演"].iter().any(|r| w.contains(r))
        || ["マスコット", "キャラクター", "ゆるキャラ"].iter().any(|r| w.contains(r))
}

/// A role in parentheses right after the honorific: 山田花子さん（管理栄養士）.
fn public_role_after(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    let Some(inner) = rest.strip_prefix('(') else {
        return false;
    };
    let Some(close) = inner.find(')') else {
        return false;
    };
    let inner = &inner[..close];
    !inner.bytes().any(|b| b.is_ascii_digit())
        && (ROLES.iter().any(|r| inner.ends_with(r))
            || inner.ends_with(['士', '師', '家', '員', '長', '授', '者']))
}

/// Where honorifics may start: a literal search, far faster than walking characters.
static ANCHORS: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new("さん|さま|くん|ちゃん|様|氏|君|殿").ok());

/// Every name with an honorific in the normalised text.
pub(super) fn find_names(text: &str, folded: &str) -> Vec<NameHit> {
    let mut hits = Vec::new();
    let Some(anchors) = ANCHORS.as_ref() else {
        return hits;
    };
    for m in anchors.find_iter(text) {
        let i = m.start();
        let Some(c) = char_at(text, i) else {
            continue;
        };
        let Some((hon, len)) = honorific_at(text, i, c) else {
            continue;
        };
        let Some((start, kind)) = name_before(text, folded, i, hon) else {
            continue;
        };
        // 平氏, 源氏: a one-character surname with 氏 is a clan.
        if hon == Hon::Shi && kind == NameKind::Surname && text[start..i].chars().count() == 1 {
            continue;
        }
        if public_role_before(text, start) || public_role_after(text, i + len) {
            continue;
        }
        hits.push(NameHit {
            start,
            end: i + len,
            hon,
            kind,
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Normalized;

    fn names(text: &str) -> Vec<String> {
        let n = Normalized::new(text);
        find_names(&n.text, &n.folded)
            .iter()
            .map(|h| n.text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn lists_load() {
        assert!(warm_up() > 80_000);
        assert!(is_surname("佐々木") && is_surname("田中"));
        assert!(is_given_kanji("花子") && is_given_kanji("翔"));
        assert!(is_given_kana("はると"));
        assert!(!is_given_kana("みな"));
    }

    #[test]
    fn finds_names() {
        assert_eq!(names("山田花子さんが来庁"), vec!["山田花子さん"]);
        assert_eq!(
            names("田中様、佐藤氏、鈴木くん"),
            vec!["田中様", "佐藤氏", "鈴木くん"]
        );
        assert_eq!(names("ぞう組のはるとくん（5さい）"), vec!["はるとくん"]);
        assert_eq!(names("はなちゃん"), vec!["はなちゃん"]);
        assert_eq!(names("会社経営 森本 健司さん"), vec!["森本 健司さん"]);
        assert_eq!(names("高橋 美代子 様"), vec!["高橋 美代子 様"]);
        assert_eq!(
            names("佐藤 陽菜（ひな）さん"),
            vec![
                "佐藤 陽菜（ひな）さん"
                    .replace('（', "(")
                    .replace('）', ")")
            ]
        );
        assert_eq!(names("南町の佐々木トメさん"), vec!["佐々木トメさん"]);
        assert_eq!(names("大野 キクさん"), vec!["大野 キクさん"]);
        assert_eq!(names("本町4丁目　田村 真一さま"), vec!["田村 真一さま"]);
        assert_eq!(names("北町自治会長の吉田さん宅"), vec!["吉田さん"]);
        assert_eq!(names("佐藤ひなさん"), vec!["佐藤ひなさん"]);
        assert_eq!(names("名義 ヤマダ ハナコ様"), vec!["ヤマダ ハナコ様"]);
        assert_eq!(names("名義 ｽｽﾞｷﾊﾅｺ様"), vec!["スズキハナコ様"]);
    }

    #[test]
    fn skips_ordinary_words() {
        for t in [
            "市民の皆さん",
            "皆様",
            "みなさん",
            "みなさま",
            "お客様",
            "お子さん",
            "お母さん",
            "お父さん",
            "おばあちゃん",
            "おじいさん",
            "おばさん",
            "おじさん",
            "おにいさん",
            "おねえちゃん",
            "赤ちゃん",
            "たくさんの方",
            "神様",
            "奥さん",
            "奥さま",
            "園児さん",
            "新会員さん",
            "生産者さん",
            "設計事務所さん",
            "みどり飲料さん",
            "人気ブロガーさん",
            "女性モデルさん",
            "申請様式",
            "氏名",
            "様々な",
            "ご先祖さま",
            "お疲れさま",
            "ごちそうさま",
            "おかげさまで",
            "いっしょにおさんぽ",
            "避難訓練",
            "ちゃんと手を洗う",
            "子どもたちはちゃんと",
            "広報課さん",
            "お店屋さん",
            "イエス様",
            "県議会議員の遠藤さやか氏",
            "人気歌手・星野ミライさん",
            "講師：山田花子さん",
            "マスコットキャラクターのみどりちゃん",
            "山田花子さん（管理栄養士）",
            "市長",
            "お隣さん",
            "お巡りさん",
            "ぞうさん",
            "くまさん",
            "うさぎさん",
            "ねこちゃん",
            "わんちゃん",
            "講師：みどり病院 認知症看護認定看護師 山本 さくらさん",
            "講師：みどり病院の山本さくらさん",
            "保育士の田中さん",
            "株式会社田中様",
            "(株)山田様",
            "スタッフさん",
            "おとなりさん同士で",
            "ひまわり組の歌",
            "サポーターさん",
            "ママさん",
            "おうじさま",
            "てんしさん",
            "ようせいさん",
            "あかちゃん",
            "おかあさん",
            "1位「佐藤」さん",
            "平氏の落人",
            "みどりんくん",
            "観光大使の俳優 川村 奏さん",
        ] {
            assert!(names(t).is_empty(), "{t}: {:?}", names(t));
        }
    }
}
