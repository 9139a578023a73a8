use koho_guideline::Category;

use super::{Cx, Rule};
use crate::PastPost;
use crate::normalize::Normalized;
use crate::registry::Out;

pub(crate) struct RepeatedPost;

impl Rule for RepeatedPost {
    const CODE: &'static str = "RP001";
    const NAME: &'static str = "near-duplicate-post";
    const CATEGORY: Category = Category::RepeatedPost;
    const SUMMARY: &'static str = "最近の投稿とほぼ同じ内容を繰り返している";
    const DOC: &'static str = "\
## 何を見つけるか
同じアカウントがガイドラインの定める期間内（既定は7日）に投稿した内容と、ほぼ同じ投稿です。
表記ゆれ・空白・記号・URL を除いた文字の並び（2文字ずつの組）の重なりで比べ、
既定では 85% 以上一致すると知らせます。

## なぜ
同じ内容を何度も繰り返すとスパム行為と受け取られ、情報が届きにくくなります。

## 例
- 見つける: 前日とほぼ同じ「ごみ収集日変更のお知らせ」を日付だけ変えずに再投稿
- 見つけない: 同じ話題でも内容が新しい投稿、期間を過ぎた定期的なお知らせ";

    fn check(cx: &Cx<'_>, out: &mut Out) {
        if cx.history.is_empty() {
            return;
        }
        let mine = shingles(cx.text());
        if mine.len() < 4 {
            return;
        }
        let threshold = cx.settings.similarity;
        let best = cx
            .history
            .posts()
            .iter()
            .filter(|p| p.days_ago <= cx.settings.window_days)
            // A post of very different length cannot reach the threshold: the
            // coefficient is at most 2·min/(sum). Skipping it changes no result, since
            // only the best post at or above the threshold is reported.
            .filter(|p| dice_bound(mine.len(), p.shingles.len()) >= threshold)
            .map(|p| (p, dice(&mine, &p.shingles)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((past, sim)) = best
            && sim >= threshold
        {
            let when = match past.days_ago {
                0 => "今日".to_string(),
                n => format!("{n}日前"),
            };
            out.at_input(
                0,
                cx.norm.input_chars,
                format!(
                    "{when}の投稿とほぼ同じ内容です（一致度 {}%）。同じ内容の繰り返しはスパムと受け取られます",
                    (sim * 100.0).round()
                ),
                Some("新しい情報を加えるか、元の投稿を共有・固定表示してください".into()),
            );
        }
    }
}

/// A past post as RP001 compares it: how long ago, and its character pairs.
#[derive(Debug, Clone)]
pub(crate) struct Past {
    days_ago: u32,
    shingles: Vec<u64>,
}

impl Past {
    pub(crate) fn new(p: &PastPost<'_>) -> Past {
        Past {
            days_ago: p.days_ago,
            shingles: shingles(&Normalized::new(p.text).text),
        }
    }
}

/// Sorted character bigrams of the text without spaces, punctuation and URLs. A pair
/// is packed into one integer, first character in the high half, so that integers
/// sort as the pairs do.
fn shingles(text: &str) -> Vec<u64> {
    let mut grams = Vec::with_capacity(text.len() / 2);
    let mut prev: Option<char> = None;
    for word in text.split_whitespace() {
        if word.starts_with("http") || word.starts_with("www.") {
            continue;
        }
        // Pairs run across words: "ごみ 収集" gives み収.
        for c in word.chars().filter(|c| c.is_alphanumeric()) {
            if let Some(p) = prev {
                grams.push((u64::from(p) << 32) | u64::from(c));
            }
            prev = Some(c);
        }
    }
    grams.sort_unstable();
    grams
}

/// The largest Dice coefficient two multisets of these sizes can have.
fn dice_bound(a: usize, b: usize) -> f64 {
    if a == 0 || b == 0 {
        return 0.0;
    }
    (2 * a.min(b)) as f64 / (a + b) as f64
}

/// Dice coefficient of two sorted multisets.
fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (2 * common) as f64 / (a.len() + b.len()) as f64
}

#[cfg(test)]
mod tests {
    use crate::PastPost;
    use crate::rules::test::run_full;

    const NOTICE: &str = "【ごみ収集日の変更】年末年始は収集日が変わります。12月31日から1月3日まで収集はお休みです。詳しくはホームページをご覧ください。";

    fn flagged(text: &str, history: &[PastPost<'_>]) -> bool {
        run_full(text, &[], history)
            .iter()
            .any(|d| d.rule == "RP001")
    }

    #[test]
    fn a_trivially_edited_repeat_within_the_window_is_flagged() {
        let again = "【ごみ収集日の変更】年末年始は収集日が変わります！12月31日〜1月3日まで収集はお休みです。詳しくはホームページをご覧ください";
        assert!(flagged(
            again,
            &[PastPost {
                text: NOTICE,
                days_ago: 1
            }]
        ));
        assert!(flagged(
            NOTICE,
            &[PastPost {
                text: NOTICE,
                days_ago: 0
            }]
        ));
    }

    #[test]
    fn outside_the_window_or_new_content_is_fine() {
        assert!(!flagged(
            NOTICE,
            &[PastPost {
                text: NOTICE,
                days_ago: 30
            }]
        ));
        let other = "【ごみ収集】1月4日から通常どおり収集します。燃やすごみは月曜と木曜です。分別にご協力ください。";
        assert!(!flagged(
            other,
            &[PastPost {
                text: NOTICE,
                days_ago: 1
            }]
        ));
        assert!(!flagged(NOTICE, &[]));
    }

    #[test]
    fn the_span_covers_the_whole_post() {
        let d = run_full(
            NOTICE,
            &[],
            &[PastPost {
                text: NOTICE,
                days_ago: 2,
            }],
        );
        let hit = d.iter().find(|d| d.rule == "RP001").unwrap();
        assert_eq!((hit.start, hit.end), (0, NOTICE.chars().count()));
        assert!(hit.message.contains("2日前"));
    }

    #[test]
    fn pairs_run_across_words_and_skip_urls_and_punctuation() {
        let pack = |a: char, b: char| (u64::from(a) << 32) | u64::from(b);
        let mut want = vec![pack('ご', 'み'), pack('み', '収'), pack('収', '集')];
        want.sort_unstable();
        assert_eq!(super::shingles("ごみ、 https://example.jp 収集"), want);
    }

    #[test]
    fn a_prepared_history_finds_what_the_input_history_finds() {
        use crate::rules::test::CHECKER;
        use crate::{History, Input};
        let past = [
            PastPost {
                text: "【ごみ収集】1月4日から通常どおり収集します。",
                days_ago: 0,
            },
            PastPost {
                text: NOTICE,
                days_ago: 3,
            },
            PastPost {
                text: NOTICE,
                days_ago: 40,
            },
            PastPost {
                text: "短い",
                days_ago: 1,
            },
        ];
        let history = History::new(&past);
        assert_eq!(history.len(), 4);
        let again = "【ごみ収集日の変更】年末年始は収集日が変わります！12月31日〜1月3日まで収集はお休みです。";
        for text in [NOTICE, again, "市民まつりを開催します。", ""] {
            let direct = CHECKER.check(&Input {
                text,
                platform: None,
                images: &[],
                history: &past,
            });
            let prepared = CHECKER.check_with_history(
                &Input {
                    text,
                    ..Input::default()
                },
                &history,
            );
            assert_eq!(direct, prepared, "{text}");
        }
        assert!(
            CHECKER
                .check_with_history(
                    &Input {
                        text: NOTICE,
                        ..Input::default()
                    },
                    &history
                )
                .iter()
                .any(|d| d.rule == "RP001" && d.message.contains("3日前"))
        );
    }
}
