//! A character diff for showing what changed between two versions of a post. Japanese has no
//! spaces to split words at, and a post is short, so characters are the unit: the longest
//! common subsequence after the common head and tail are set aside.

/// What a run of text is in the newer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Same,
    Added,
    Removed,
}

/// A run of characters with one [`Op`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub op: Op,
    pub text: String,
}

/// Above this many cells the table is not built and the middle is shown as replaced: the
/// page must stay fast for the longest post the checker takes.
const MAX_CELLS: usize = 4_000_000;

fn push(out: &mut Vec<Piece>, op: Op, c: &[char]) {
    if c.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last) if last.op == op => last.text.extend(c),
        _ => out.push(Piece {
            op,
            text: c.iter().collect(),
        }),
    }
}

/// The pieces that turn `old` into `new`: unchanged, removed and added runs, in reading order
/// (a removal before the addition that replaces it).
pub fn diff(old: &str, new: &str) -> Vec<Piece> {
    let a: Vec<char> = old.chars().collect();
    let b: Vec<char> = new.chars().collect();
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out = Vec::new();
    push(&mut out, Op::Same, &a[..head]);
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > MAX_CELLS {
        push(&mut out, Op::Removed, am);
        push(&mut out, Op::Added, bm);
    } else {
        // lcs[i][j]: the LCS length of am[i..] and bm[j..].
        let w = m + 1;
        let mut lcs = vec![0u32; (n + 1) * w];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * w + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                push(&mut out, Op::Same, &am[i..=i]);
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                push(&mut out, Op::Removed, &am[i..=i]);
                i += 1;
            } else {
                push(&mut out, Op::Added, &bm[j..=j]);
                j += 1;
            }
        }
    }
    push(&mut out, Op::Same, &a[a.len() - tail..]);
    readable(out)
}

/// The length of a change block: its longer side.
fn size(b: &Block) -> usize {
    match b {
        Block::Same(_) => 0,
        Block::Change { removed, added } => removed.chars().count().max(added.chars().count()),
    }
}

enum Block {
    Same(String),
    Change { removed: String, added: String },
}

/// Folds an unchanged run between two changes into them when it is no longer than either
/// change (the semantic clean-up of diff-match-patch): a changed phone number reads as one
/// number replaced, not as digits shuffled.
fn readable(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut blocks: Vec<Block> = Vec::new();
    for p in pieces {
        match (p.op, blocks.last_mut()) {
            (Op::Same, _) => blocks.push(Block::Same(p.text)),
            (Op::Removed, Some(Block::Change { removed, .. })) => removed.push_str(&p.text),
            (Op::Added, Some(Block::Change { added, .. })) => added.push_str(&p.text),
            (Op::Removed, _) => blocks.push(Block::Change {
                removed: p.text,
                added: String::new(),
            }),
            (Op::Added, _) => blocks.push(Block::Change {
                removed: String::new(),
                added: p.text,
            }),
        }
    }
    let mut i = 1;
    while i + 1 < blocks.len() {
        let between = matches!(blocks[i - 1], Block::Change { .. })
            && matches!(blocks[i + 1], Block::Change { .. });
        let short = match &blocks[i] {
            Block::Same(s) => {
                let n = s.chars().count();
                n <= size(&blocks[i - 1]) && n <= size(&blocks[i + 1])
            }
            Block::Change { .. } => false,
        };
        if short && between {
            let next = blocks.remove(i + 1);
            let same = blocks.remove(i);
            if let (
                Block::Change { removed, added },
                Block::Same(s),
                Block::Change {
                    removed: r2,
                    added: a2,
                },
            ) = (&mut blocks[i - 1], same, next)
            {
                removed.push_str(&s);
                removed.push_str(&r2);
                added.push_str(&s);
                added.push_str(&a2);
            }
            // The grown change may now swallow the run before it.
            i = i.saturating_sub(2).max(1);
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Same(text) => out.push(Piece { op: Op::Same, text }),
            Block::Change { removed, added } => {
                if !removed.is_empty() {
                    out.push(Piece {
                        op: Op::Removed,
                        text: removed,
                    });
                }
                if !added.is_empty() {
                    out.push(Piece {
                        op: Op::Added,
                        text: added,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(p: &[Piece]) -> String {
        p.iter()
            .map(|p| match p.op {
                Op::Same => p.text.clone(),
                Op::Added => format!("[+{}]", p.text),
                Op::Removed => format!("[-{}]", p.text),
            })
            .collect()
    }

    #[test]
    fn a_replaced_phone_number_shows_as_removed_then_added() {
        let d = diff(
            "担当の山田（090-1234-5678）まで",
            "担当課（0123-45-6790）まで",
        );
        let s = show(&d);
        // The number reads as replaced as a whole, not as digits shuffled.
        assert_eq!(s, "担当[-の山田（090-1234-5678][+課（0123-45-6790]）まで");
        // Rebuilding either side from the pieces gives the texts back.
        let old: String = d
            .iter()
            .filter(|p| p.op != Op::Added)
            .map(|p| p.text.as_str())
            .collect();
        let new: String = d
            .iter()
            .filter(|p| p.op != Op::Removed)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(old, "担当の山田（090-1234-5678）まで");
        assert_eq!(new, "担当課（0123-45-6790）まで");
    }

    #[test]
    fn long_unchanged_runs_between_changes_stay_unchanged() {
        let s = show(&diff("あ防災訓練のお知らせい", "か防災訓練のお知らせき"));
        assert_eq!(s, "[-あ][+か]防災訓練のお知らせ[-い][+き]");
    }

    #[test]
    fn equal_texts_are_one_unchanged_piece_and_empty_sides_work() {
        assert_eq!(show(&diff("同じ", "同じ")), "同じ");
        assert_eq!(show(&diff("", "新しい")), "[+新しい]");
        assert_eq!(show(&diff("古い", "")), "[-古い]");
        assert!(diff("", "").is_empty());
    }

    #[test]
    fn very_long_changes_fall_back_to_a_replacement() {
        let a = "あ".repeat(3000);
        let b = "い".repeat(3000);
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].op, d[1].op), (Op::Removed, Op::Added));
    }
}
