//! The public archive (神栖市 第7条(1)): every published post, with its corrections beside
//! it, so that anyone can check a post on a platform against the municipality's own pages;
//! and the same list as an Atom 1.0 feed (RFC 4287).

use std::collections::BTreeMap;

use koho_guideline::OriginalHandling;
use koho_store::{PostId, PostKind, TargetState};
use serde::Serialize;

use crate::Workflow;
use crate::posts::error::PostError;
use crate::posts::rules::text_for;
use crate::posts::state::target_state_label;
use crate::posts::tz;

/// Where a post appeared.
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveLink {
    pub platform: String,
    pub handle: String,
    pub display_name: String,
    pub url: Option<String>,
    pub published_at: i64,
    pub state: TargetState,
    pub state_label: &'static str,
}

/// A post the entry is related to (the original, or a correction of it).
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveRef {
    pub post_id: PostId,
    pub text: String,
    pub published_at: Option<i64>,
}

/// One published post.
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveEntry {
    pub post_id: PostId,
    pub kind: PostKind,
    /// The first publication on any account.
    pub published_at: i64,
    /// The last change the public can see: a later publication or a correction.
    pub updated_at: i64,
    /// The common text (with a correction's apology).
    pub text: String,
    pub links: Vec<ArchiveLink>,
    /// For a correction: the post it corrects.
    pub corrects: Option<ArchiveRef>,
    /// Corrections of this post that were published.
    pub corrected_by: Vec<ArchiveRef>,
    /// How the guideline treats a corrected original (`delete` or `keep-marked`).
    pub original_handling: Option<String>,
}

/// What the feed says about itself.
#[derive(Clone, Debug)]
pub struct FeedInfo {
    pub title: String,
    /// Absolute URL of the feed (`rel="self"`), also used as its id.
    pub self_url: String,
    /// Absolute URL of the archive page (`rel="alternate"`).
    pub html_url: String,
    /// The municipality, as author of every entry.
    pub author: String,
    pub timezone: String,
}

impl Workflow {
    /// The most recent `limit` published posts, newest first, each with its corrections.
    pub async fn archive(&self, limit: usize) -> Result<Vec<ArchiveEntry>, PostError> {
        let g = self.guideline();
        let mut r = self.store().read(self.tenant()).await?;
        // Several targets per post: read enough rows to fill `limit` posts in most cases.
        let rows = r
            .posts()
            .published_targets(i64::try_from(limit.saturating_mul(8)).unwrap_or(i64::MAX))
            .await?;
        let mut order: Vec<PostId> = Vec::new();
        let mut by_post: BTreeMap<PostId, Vec<koho_store::PostTarget>> = BTreeMap::new();
        for t in rows {
            if !by_post.contains_key(&t.post_id) {
                order.push(t.post_id.clone());
            }
            by_post.entry(t.post_id.clone()).or_default().push(t);
        }
        let handling = g.correction.as_ref().map(|c| match c.original {
            OriginalHandling::Delete => "delete".to_owned(),
            OriginalHandling::KeepMarked => "keep-marked".to_owned(),
        });
        let mut out = Vec::new();
        for id in order.into_iter().take(limit) {
            let post = r.posts().get(&id).await?;
            let version = r.posts().version(&id, post.version).await?;
            let text = text_for(
                &version.body,
                version.apology.as_deref(),
                &serde_json::json!({}),
                "",
            );
            let mut links = Vec::new();
            for t in by_post.remove(&id).unwrap_or_default() {
                let a = r.accounts().get(&t.account_id).await?;
                links.push(ArchiveLink {
                    platform: a.fields.platform.to_string(),
                    handle: a.fields.handle.clone(),
                    display_name: a.fields.display_name.clone(),
                    url: t.remote_url.clone(),
                    published_at: t.published_at.unwrap_or(post.updated_at),
                    state: t.state,
                    state_label: target_state_label(t.state),
                });
            }
            links.sort_by_key(|l| l.published_at);
            let published_at = links
                .iter()
                .map(|l| l.published_at)
                .min()
                .unwrap_or(post.created_at);
            let mut updated_at = links
                .iter()
                .map(|l| l.published_at)
                .max()
                .unwrap_or(published_at);
            let corrects = match &post.corrects_post_id {
                Some(o) => {
                    let op = r.posts().get(o).await?;
                    let ov = r.posts().version(o, op.version).await?;
                    let first = r
                        .posts()
                        .targets(o)
                        .await?
                        .iter()
                        .filter_map(|t| t.published_at)
                        .min();
                    Some(ArchiveRef {
                        post_id: o.clone(),
                        text: ov.body,
                        published_at: first,
                    })
                }
                None => None,
            };
            let mut corrected_by = Vec::new();
            for c in r.posts().corrections_of(&id).await? {
                let first = r
                    .posts()
                    .targets(&c.id)
                    .await?
                    .iter()
                    .filter_map(|t| t.published_at)
                    .min();
                if let Some(at) = first {
                    let cv = r.posts().version(&c.id, c.version).await?;
                    updated_at = updated_at.max(at);
                    corrected_by.push(ArchiveRef {
                        post_id: c.id.clone(),
                        text: text_for(&cv.body, cv.apology.as_deref(), &serde_json::json!({}), ""),
                        published_at: Some(at),
                    });
                }
            }
            out.push(ArchiveEntry {
                original_handling: if corrected_by.is_empty() {
                    None
                } else {
                    handling.clone()
                },
                post_id: id,
                kind: post.kind,
                published_at,
                updated_at,
                text,
                links,
                corrects,
                corrected_by,
            });
        }
        Ok(out)
    }
}

/// Escapes text for XML character data and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids (C0 controls other than tab, LF, CR).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The first line of a text, shortened, as an entry title.
fn title_of(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut t: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        t.push('…');
    }
    if t.is_empty() {
        "（本文なし）".to_owned()
    } else {
        t
    }
}

/// Renders the archive as an Atom 1.0 feed. Entry ids are `urn:uuid:` of the post ids
/// (UUIDv7), stable across renders; each platform copy is an `alternate` link, and a
/// correction and its original point at each other with `related` links.
pub fn render_atom(info: &FeedInfo, entries: &[ArchiveEntry]) -> Result<String, PostError> {
    let updated = entries.iter().map(|e| e.updated_at).max().unwrap_or(0);
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ja\">\n");
    x.push_str(&format!("  <title>{}</title>\n", esc(&info.title)));
    x.push_str(&format!("  <id>{}</id>\n", esc(&info.self_url)));
    x.push_str(&format!(
        "  <updated>{}</updated>\n",
        tz::rfc3339(updated, &info.timezone)?
    ));
    x.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        esc(&info.self_url)
    ));
    x.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        esc(&info.html_url)
    ));
    x.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        esc(&info.author)
    ));
    x.push_str("  <generator>koho</generator>\n");
    for e in entries {
        x.push_str("  <entry>\n");
        let prefix = match e.kind {
            PostKind::Correction => "【訂正】",
            PostKind::Share => "【シェア】",
            PostKind::Original => "",
        };
        x.push_str(&format!(
            "    <title>{}{}</title>\n",
            prefix,
            esc(&title_of(&e.text))
        ));
        x.push_str(&format!(
            "    <id>urn:uuid:{}</id>\n",
            esc(e.post_id.as_str())
        ));
        x.push_str(&format!(
            "    <published>{}</published>\n",
            tz::rfc3339(e.published_at, &info.timezone)?
        ));
        x.push_str(&format!(
            "    <updated>{}</updated>\n",
            tz::rfc3339(e.updated_at, &info.timezone)?
        ));
        x.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}#post-{}\"/>\n",
            esc(&info.html_url),
            esc(e.post_id.as_str())
        ));
        for l in &e.links {
            if let Some(url) = &l.url {
                x.push_str(&format!(
                    "    <link rel=\"related\" href=\"{}\" title=\"{} {}（{}）\"/>\n",
                    esc(url),
                    esc(&l.platform),
                    esc(&l.handle),
                    esc(l.state_label)
                ));
            }
            x.push_str(&format!("    <category term=\"{}\"/>\n", esc(&l.platform)));
        }
        if let Some(o) = &e.corrects {
            x.push_str(&format!(
                "    <link rel=\"related\" href=\"{}#post-{}\" title=\"訂正前の投稿\"/>\n",
                esc(&info.html_url),
                esc(o.post_id.as_str())
            ));
        }
        for c in &e.corrected_by {
            x.push_str(&format!(
                "    <link rel=\"related\" href=\"{}#post-{}\" title=\"訂正の投稿\"/>\n",
                esc(&info.html_url),
                esc(c.post_id.as_str())
            ));
        }
        let mut content = e.text.clone();
        if let Some(o) = &e.corrects {
            content.push_str(&format!("\n\n（訂正前）{}", o.text));
        }
        for c in &e.corrected_by {
            let how = match e.original_handling.as_deref() {
                Some("delete") => "この投稿は訂正のため各媒体から削除しました。",
                _ => "この投稿には訂正があります。",
            };
            content.push_str(&format!("\n\n{how}（訂正後）{}", c.text));
        }
        x.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            esc(&content)
        ));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, text: &str) -> ArchiveEntry {
        ArchiveEntry {
            post_id: PostId::from(id),
            kind: PostKind::Original,
            published_at: 1_780_273_800_000,
            updated_at: 1_780_273_800_000,
            text: text.to_owned(),
            links: vec![ArchiveLink {
                platform: "x".into(),
                handle: "@town".into(),
                display_name: "町".into(),
                url: Some("https://x.example/town/status/1?a=1&b=2".into()),
                published_at: 1_780_273_800_000,
                state: TargetState::Published,
                state_label: "公開済み",
            }],
            corrects: None,
            corrected_by: Vec::new(),
            original_handling: None,
        }
    }

    fn info() -> FeedInfo {
        FeedInfo {
            title: "高鍋町 公式SNS投稿アーカイブ".into(),
            self_url: "https://town.example/archive.atom".into(),
            html_url: "https://town.example/archive".into(),
            author: "高鍋町".into(),
            timezone: "Asia/Tokyo".into(),
        }
    }

    #[test]
    fn feed_parses_as_atom_with_escaped_text() {
        let e = entry(
            "0190a000-0000-7000-8000-000000000001",
            "<b>花火大会</b> & 交通規制\u{1}のお知らせ",
        );
        let xml = render_atom(&info(), &[e]).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let feed = doc.root_element();
        assert_eq!(feed.tag_name().name(), "feed");
        assert_eq!(
            feed.tag_name().namespace(),
            Some("http://www.w3.org/2005/Atom")
        );
        let entries: Vec<_> = feed
            .children()
            .filter(|n| n.has_tag_name("entry"))
            .collect();
        assert_eq!(entries.len(), 1);
        let content = entries[0]
            .children()
            .find(|n| n.has_tag_name("content"))
            .unwrap();
        assert_eq!(
            content.text().unwrap(),
            "<b>花火大会</b> & 交通規制のお知らせ"
        );
        let updated = feed.children().find(|n| n.has_tag_name("updated")).unwrap();
        assert_eq!(updated.text(), Some("2026-06-01T09:30:00+09:00"));
        let id = entries[0]
            .children()
            .find(|n| n.has_tag_name("id"))
            .unwrap();
        assert_eq!(
            id.text(),
            Some("urn:uuid:0190a000-0000-7000-8000-000000000001")
        );
        let related = entries[0]
            .children()
            .find(|n| n.has_tag_name("link") && n.attribute("rel") == Some("related"))
            .unwrap();
        assert_eq!(
            related.attribute("href"),
            Some("https://x.example/town/status/1?a=1&b=2")
        );
    }

    #[test]
    fn empty_feed_is_valid() {
        let xml = render_atom(&info(), &[]).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert!(
            doc.root_element()
                .children()
                .all(|n| !n.has_tag_name("entry"))
        );
    }
}
