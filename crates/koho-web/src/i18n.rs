//! The message catalogue: `i18n/ja.toml` and `i18n/en.toml`, compiled into
//! [`Msgs`] by the build script. Japanese is the default language; English is
//! chosen with `?lang=en` (remembered in a cookie).

include!(concat!(env!("OUT_DIR"), "/i18n.rs"));

use koho_guideline::{Category, Platform, Severity};

/// A language of the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn from_code(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// Replaces each `{name}` in a message with its value.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl Msgs {
    pub fn platform(&self, p: Platform) -> &'static str {
        self.get(&format!("platform.{}", p.id()))
            .unwrap_or_else(|| p.label())
    }

    pub fn category(&self, c: Category) -> &'static str {
        self.get(&format!("category.{}", c.id()))
            .unwrap_or_else(|| c.label_ja())
    }

    pub fn severity(&self, s: Severity) -> &'static str {
        match s {
            Severity::Error => self.severity_error,
            Severity::Warning => self.severity_warning,
            Severity::Info => self.severity_info,
        }
    }

    /// The messages the editor's script needs, as `(key, text)`.
    pub fn for_script(&self) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<(&'static str, &'static str)> = KEYS
            .iter()
            .filter(|k| {
                k.starts_with("check.")
                    || k.starts_with("length.")
                    || k.starts_with("severity.")
                    || k.starts_with("category.")
                    || k.starts_with("posts.live.")
                    || k.starts_with("platform.")
            })
            .filter_map(|k| self.get(k).map(|t| (*k, t)))
            .collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        assert_eq!(fill("{n} 件（{x}）", &[("n", "3")]), "3 件（{x}）");
        assert_eq!(fill("a {b", &[("b", "c")]), "a {b");
        assert_eq!(fill("", &[]), "");
    }

    #[test]
    fn every_platform_category_and_severity_has_a_label_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let m = lang.msgs();
            for p in Platform::ALL {
                assert!(
                    m.get(&format!("platform.{}", p.id())).is_some(),
                    "{lang:?} platform {p}"
                );
            }
            for c in Category::ALL {
                assert!(
                    m.get(&format!("category.{}", c.id())).is_some(),
                    "{lang:?} category {c}"
                );
            }
        }
    }

    #[test]
    fn placeholders_agree_between_languages() {
        fn names(s: &str) -> Vec<String> {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            v.sort();
            v
        }
        for k in KEYS {
            let ja = JA.get(k).unwrap();
            let en = EN.get(k).unwrap();
            assert_eq!(names(ja), names(en), "placeholders of `{k}` differ");
        }
    }

    #[test]
    fn english_catalogue_has_no_japanese_left() {
        let allowed = ["lang.other_name"];
        for k in KEYS {
            if allowed.contains(k) {
                continue;
            }
            let en = EN.get(k).unwrap();
            assert!(
                !en.chars()
                    .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF)),
                "en `{k}` still has Japanese: {en}"
            );
        }
    }
}
