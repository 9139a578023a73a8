//! docs/rules.md is generated from the rule registry, so each rule's documentation
//! lives beside its code. Regenerate with `KOHO_BLESS=1 cargo test -p koho-check --test rules_doc`.

// Helpers outside #[test] functions are test code too; clippy.toml only covers the
// test functions themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use koho_check::{Category, RULES};

fn render() -> String {
    let mut s = String::from(
        "# チェック規則 / Check rules\n\n\
         <!-- generated from crates/koho-check (each rule's DOC); do not edit by hand -->\n\n\
         規則はガイドラインの `[checks.<区分>]` で有効になり、重大度（error / warning / info）と根拠の条項はガイドラインが決めます。\n\
         `[checks.<区分>] rules = { コード = \"off\" }` で規則ごとに無効化・重大度の変更ができます。`koho rules コード` でも表示できます。\n\n\
         | コード | 区分 | 名前 | 概要 |\n| --- | --- | --- | --- |\n",
    );
    for r in RULES {
        s.push_str(&format!(
            "| [{0}](#{1}) | `{2}` | `{3}` | {4} |\n",
            r.code,
            r.code.to_lowercase(),
            r.category.id(),
            r.name,
            r.summary
        ));
    }
    for c in Category::ALL {
        let rules: Vec<_> = RULES.iter().filter(|r| r.category == *c).collect();
        if rules.is_empty() {
            continue;
        }
        s.push_str(&format!("\n## {}（`{}`）\n", c.label_ja(), c.id()));
        for r in rules {
            let doc = r.doc.replace("\n## ", "\n#### ");
            let doc = doc
                .strip_prefix("## ")
                .map_or(doc.clone(), |d| format!("#### {d}"));
            s.push_str(&format!(
                "\n### {}\n\n`{}` — {}\n\n{}\n",
                r.code,
                r.name,
                r.summary,
                doc.trim_end()
            ));
        }
    }
    s
}

#[test]
fn docs_rules_md_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
    let want = render();
    if std::env::var_os("KOHO_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run KOHO_BLESS=1 cargo test -p koho-check --test rules_doc"
    );
}

#[test]
fn every_category_has_at_least_one_rule() {
    for c in Category::ALL {
        assert!(RULES.iter().any(|r| r.category == *c), "no rule for {c}");
    }
}
