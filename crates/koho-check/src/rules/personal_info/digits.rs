//! Runs of digit groups as people write numbers: 「090-1234-5678」「0123 48 2906」
//! 「(03)1234-5678」「4821 3570 9624」「第 5312 0847 6930 号」.
//!
//! A chunk is a sequence of ASCII digit groups joined by short separators (space,
//! hyphen, dot, parentheses). Spaces may also separate two unrelated numbers, so
//! the rules try every group of a chunk as a starting point and check where the
//! number they recognise ends.

pub(super) const MAX_GROUPS: usize = 8;
/// Longest digit string any rule needs (card numbers: 19).
pub(super) const MAX_DIGITS: usize = 24;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Group {
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Group {
    pub(super) fn len(self) -> usize {
        self.end - self.start
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Chunk {
    groups: [Group; MAX_GROUPS],
    n: usize,
}

/// Digits of one or more groups, concatenated without allocating.
#[derive(Debug, Clone, Copy)]
pub(super) struct Digits {
    buf: [u8; MAX_DIGITS],
    len: usize,
}

impl Digits {
    pub(super) fn new() -> Self {
        Digits {
            buf: [0; MAX_DIGITS],
            len: 0,
        }
    }

    /// Appends ASCII digits; false (and unchanged) when they do not fit.
    pub(super) fn push(&mut self, s: &[u8]) -> bool {
        if self.len + s.len() > MAX_DIGITS {
            return false;
        }
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
        true
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Digit values 0–9.
    pub(super) fn values(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.as_bytes().iter().map(|b| u32::from(b - b'0'))
    }
}

impl Chunk {
    pub(super) fn groups(&self) -> &[Group] {
        &self.groups[..self.n]
    }

    /// How many digits the chunk holds in all.
    pub(super) fn digit_count(&self) -> usize {
        self.groups().iter().map(|g| g.len()).sum()
    }

    /// The separator text before group `k` (empty for the first group).
    pub(super) fn sep_before<'t>(&self, text: &'t str, k: usize) -> &'t str {
        if k == 0 || k >= self.n {
            return "";
        }
        &text[self.groups[k - 1].end..self.groups[k].start]
    }

    /// Whether a number may start at group `k`: the first group, or one set off
    /// from the previous group by a space or a parenthesis rather than a hyphen
    /// or dot that would make it the middle of a longer number.
    pub(super) fn can_start(&self, text: &str, k: usize) -> bool {
        k == 0
            || self
                .sep_before(text, k)
                .bytes()
                .any(|b| matches!(b, b' ' | b'(' | b')'))
    }

    /// Whether a number ending with group `k` really ends there.
    pub(super) fn can_end(&self, text: &str, k: usize) -> bool {
        k + 1 >= self.n || self.can_start(text, k + 1)
    }

    /// Digits of groups `k..k + m`, or `None` when too long.
    pub(super) fn digits(&self, text: &str, k: usize, m: usize) -> Option<Digits> {
        let mut d = Digits::new();
        for g in self.groups.get(k..k + m)? {
            if !d.push(&text.as_bytes()[g.start..g.end]) {
                return None;
            }
        }
        Some(d)
    }

    /// Byte span of groups `k..k + m`.
    pub(super) fn span(&self, k: usize, m: usize) -> (usize, usize) {
        (self.groups[k].start, self.groups[k + m - 1].end)
    }
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

/// Every chunk of the text, in order.
pub(super) fn chunks(text: &str) -> impl Iterator<Item = Chunk> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let mut chunk = Chunk {
            groups: [Group::default(); MAX_GROUPS],
            n: 0,
        };
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            chunk.groups[chunk.n] = Group { start, end: i };
            chunk.n += 1;
            if chunk.n == MAX_GROUPS {
                break;
            }
            // Up to three separator bytes, then a digit: the chunk goes on.
            let mut j = i;
            while j < bytes.len() && j - i < 3 && is_sep(bytes[j]) {
                j += 1;
            }
            if j > i
                && j < bytes.len()
                && bytes[j].is_ascii_digit()
                && !bytes[i..j].starts_with(b"..")
            {
                i = j;
            } else {
                break;
            }
        }
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(text: &str) -> Vec<Vec<&str>> {
        chunks(text)
            .map(|c| c.groups().iter().map(|g| &text[g.start..g.end]).collect())
            .collect()
    }

    #[test]
    fn groups_follow_separators() {
        assert_eq!(
            shapes("電話(03)1234-5678まで"),
            vec![vec!["03", "1234", "5678"]]
        );
        assert_eq!(
            shapes("0123 48 2906、12月"),
            vec![vec!["0123", "48", "2906"], vec!["12"]]
        );
        assert_eq!(shapes("1,000円"), vec![vec!["1"], vec!["000"]]);
    }

    #[test]
    fn start_and_end_need_a_space_or_parenthesis() {
        let t = "0123-45-6789 090-1234-5678";
        let c = chunks(t).next().unwrap();
        assert!(c.can_start(t, 3));
        assert!(!c.can_start(t, 1));
        assert!(c.can_end(t, 2));
        assert!(!c.can_end(t, 1));
    }
}
