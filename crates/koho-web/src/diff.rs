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
        assert!(s.starts_with("担当"), "{s}");
        assert!(s.ends_with("）まで"), "{s}");
        assert!(s.contains("[-の山田]") || s.contains("[-の山田（]"), "{s}");
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
