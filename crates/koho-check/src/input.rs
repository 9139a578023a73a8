//! What counts as a checkable post. Rejected input gets a clear reason instead of
//! diagnostics: a post with a bidi override can display differently from what the
//! approver read, so it must never reach approval silently.

use std::fmt;

/// The largest post koho checks. Facebook's 63,206 characters are the longest limit
/// of any platform; 256 KiB leaves room for that in any script.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    Empty,
    TooLarge {
        bytes: usize,
    },
    /// A control character other than tab and line breaks, at a character index.
    ControlChar {
        at: usize,
        code: u32,
    },
    /// A bidirectional override or isolate (U+202A–202E, U+2066–2069).
    BidiControl {
        at: usize,
        code: u32,
    },
}

impl InputError {
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Empty => "INPUT_EMPTY",
            InputError::TooLarge { .. } => "INPUT_TOO_LARGE",
            InputError::ControlChar { .. } => "INPUT_CONTROL_CHAR",
            InputError::BidiControl { .. } => "INPUT_BIDI_CONTROL",
        }
    }

    /// The explanation shown to staff.
    pub fn ja(&self) -> String {
        match self {
            InputError::Empty => "投稿の本文が空です".into(),
            InputError::TooLarge { bytes } => {
                format!(
                    "投稿が大きすぎます（{bytes} バイト）。{MAX_INPUT_BYTES} バイト以内にしてください"
                )
            }
            InputError::ControlChar { at, code } => format!(
                "{}文字目に表示されない制御文字 (U+{code:04X}) が含まれています。削除してください",
                at + 1
            ),
            InputError::BidiControl { at, code } => format!(
                "{}文字目に文字の表示順を変える制御文字 (U+{code:04X}) が含まれています。見た目と中身が食い違うおそれがあるため削除してください",
                at + 1
            ),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Empty => f.write_str("empty post text"),
            InputError::TooLarge { bytes } => {
                write!(f, "post text of {bytes} bytes exceeds {MAX_INPUT_BYTES}")
            }
            InputError::ControlChar { at, code } => {
                write!(f, "control character U+{code:04X} at char {at}")
            }
            InputError::BidiControl { at, code } => {
                write!(f, "bidirectional control U+{code:04X} at char {at}")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// Accepts text koho can check and show faithfully.
pub fn validate_text(text: &str) -> Result<(), InputError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge { bytes: text.len() });
    }
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    for (at, c) in text.chars().enumerate() {
        let code = c as u32;
        if matches!(code, 0x202A..=0x202E | 0x2066..=0x2069) {
            return Err(InputError::BidiControl { at, code });
        }
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            return Err(InputError::ControlChar { at, code });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_cannot_be_checked_faithfully() {
        assert_eq!(validate_text(""), Err(InputError::Empty));
        assert_eq!(validate_text(" \n　"), Err(InputError::Empty));
        assert!(matches!(
            validate_text(&"a".repeat(MAX_INPUT_BYTES + 1)),
            Err(InputError::TooLarge { .. })
        ));
        assert_eq!(
            validate_text("ab\u{7}c"),
            Err(InputError::ControlChar { at: 2, code: 7 })
        );
        assert_eq!(
            validate_text("市\u{202E}txt.exe"),
            Err(InputError::BidiControl {
                at: 1,
                code: 0x202E
            })
        );
    }

    #[test]
    fn accepts_ordinary_posts_with_line_breaks_and_emoji() {
        assert_eq!(validate_text("お知らせ\r\n\t本日は晴れ🌞"), Ok(()));
    }
}
