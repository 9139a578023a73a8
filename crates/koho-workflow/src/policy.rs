//! Operation policies (運用ポリシー) generated from an account's data with the guideline's
//! template (狛江市's sample policy is the model), or a generic template built from the
//! guideline's required items when it has none. Pure functions.

use koho_guideline::{Guideline, StanceKind};
use koho_store::Platform;
use serde::Serialize;

use crate::register::platform_label;
use crate::time;

/// Everything a policy template can name, filled from the account record.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyContext {
    /// Unix ms of the policy's date.
    pub date_ms: i64,
    pub account_name: String,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub platform: Option<Platform>,
    pub handle: String,
    pub url: Option<String>,
    pub email: Option<String>,
    pub purpose: String,
    pub content: Vec<String>,
    pub tone: Option<String>,
    pub reply_policy: Option<String>,
    pub follow_policy: Option<String>,
    pub approval_needed: Option<bool>,
}

/// A rendered policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedPolicy {
    pub body: String,
    /// Placeholders the template names that had no value (rendered as 「（未定）」) or that
    /// koho does not know (left as written).
    pub unfilled: Vec<String>,
}

/// What the platform is, in the words of 狛江市's sample policy (ポリシー第2条(1)).
pub fn platform_definition(p: Platform) -> &'static str {
    match p {
        Platform::X => {
            "X Corp. が運営するインターネット上のサービスで、利用者が「ポスト」とよばれる短い文章を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Facebook => {
            "Meta Platforms, Inc. が運営するインターネット上のサービスで、利用者が記事や写真を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Instagram => {
            "Meta Platforms, Inc. が運営するインターネット上のサービスで、利用者が写真や動画を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Line => {
            "LINEヤフー株式会社が運営するメッセージサービスの公式アカウントで、登録した利用者にメッセージを配信するものをいう。"
        }
        Platform::Youtube => "Google LLC が運営するインターネット上の動画共有サービスをいう。",
        Platform::Bluesky => {
            "Bluesky Social, PBC が開発する分散型のインターネット上のサービスで、利用者が短い文章を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Mastodon => {
            "分散型のソーシャルネットワークを構成するサーバーソフトウェアで、利用者が短い文章を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Misskey => {
            "分散型のソーシャルネットワークを構成するサーバーソフトウェアで、利用者が短い文章を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Threads => {
            "Meta Platforms, Inc. が運営するインターネット上のサービスで、利用者が短い文章を投稿し、双方向のやりとりを行うものをいう。"
        }
        Platform::Blog => {
            "特定の話題について書き綴った文章や画像などを時系列順に掲載するウェブサイトをいう。"
        }
        Platform::Other => "インターネット上のソーシャルメディアサービスをいう。",
    }
}

fn numbered(items: &[String]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| format!("({}) {}", i + 1, t.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The restrictions of the account (狛江市 ポリシー第6条): from the guideline's reply and
/// follow stances and the account's own policies.
fn restrictions(g: &Guideline, ctx: &PolicyContext) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(f) = &g.follows
        && f.policy == StanceKind::Prohibited
    {
        let mut s = "投稿者の投稿表示（フォロー）を行うこと。".to_owned();
        if let Some(e) = &f.exception {
            s.push_str(&format!("ただし、{e}は、この限りでない。"));
        }
        out.push(s);
    }
    if let Some(r) = &g.replies
        && r.policy == StanceKind::Prohibited
    {
        out.push("投稿者に対し、返信（リプライ）を行うこと。".to_owned());
    }
    out.push("特定の事業者・個人に対する連絡手段として使用すること。".to_owned());
    if let Some(p) = ctx
        .follow_policy
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        && !out.iter().any(|o| o.contains(p.trim()))
    {
        out.push(format!("フォローについて: {}", p.trim()));
    }
    out
}

fn value_of(g: &Guideline, ctx: &PolicyContext, name: &str) -> Option<Option<String>> {
    let opt = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    Some(match name {
        "date" => Some(time::wareki_date(ctx.date_ms)),
        "account_name" | "display_name" => Some(ctx.account_name.clone()),
        "municipality" => Some(g.municipality.name.clone()),
        "guideline_title" => Some(g.title.clone()),
        "homepage" => Some(g.municipality.homepage.clone()),
        "account_list_url" => g.municipality.account_list_url.clone(),
        "department" => opt(&ctx.department),
        "manager" => opt(&ctx.manager),
        "platform" => ctx.platform.map(|p| platform_label(p).to_owned()),
        "platform_definition" => ctx.platform.map(|p| platform_definition(p).to_owned()),
        "handle" => Some(ctx.handle.clone()).filter(|h| !h.is_empty()),
        "url" => opt(&ctx.url),
        "email" => opt(&ctx.email),
        "purpose" => Some(ctx.purpose.clone()).filter(|p| !p.trim().is_empty()),
        "content" | "content_items" => {
            if ctx.content.is_empty() {
                None
            } else {
                Some(numbered(&ctx.content))
            }
        }
        "tone" => opt(&ctx.tone),
        "reply_policy" => opt(&ctx.reply_policy).or_else(|| {
            g.replies.as_ref().map(|r| match r.policy {
                StanceKind::Prohibited => "コメント等への個別の返信は行いません。".to_owned(),
                StanceKind::CaseByCase => "必要に応じて返信します。".to_owned(),
                StanceKind::Allowed => "コメント等には適宜返信します。".to_owned(),
            })
        }),
        "follow_policy" => opt(&ctx.follow_policy).or_else(|| {
            g.follows.as_ref().map(|f| match f.policy {
                StanceKind::Prohibited => "原則としてフォローは行いません。".to_owned(),
                StanceKind::CaseByCase => "必要に応じてフォローします。".to_owned(),
                StanceKind::Allowed => "関係機関等をフォローします。".to_owned(),
            })
        }),
        "approval_needed" => ctx.approval_needed.map(|b| {
            if b {
                "投稿は所属長の承認を得てから行う（決裁を要する）。".to_owned()
            } else {
                "投稿は運用管理者の責任で行う（決裁を要しない）。".to_owned()
            }
        }),
        "restrictions" => Some(numbered(&restrictions(g, ctx))),
        _ => return None,
    })
}

/// Placeholder names for the ids of the guideline's policy items and application fields.
fn placeholder_for_item(id: &str) -> Option<&'static str> {
    Some(match id {
        "purpose" => "purpose",
        "platform" => "platform",
        "manager" => "manager",
        "department" => "department",
        "content" => "content_items",
        "tone" => "tone",
        "reply-policy" => "reply_policy",
        "follow-policy" => "follow_policy",
        "approval-needed" => "approval_needed",
        "handle" => "handle",
        "email" => "email",
        "url" => "url",
        _ => return None,
    })
}

/// The generic template for guidelines without one: the guideline's required items (or a
/// standard list) as numbered sections.
pub fn default_template(g: &Guideline) -> String {
    let mut items: Vec<(String, String)> = match &g.operation_policy {
        Some(p) if !p.required_items.is_empty() => p
            .required_items
            .iter()
            .map(|i| {
                let body = match placeholder_for_item(&i.id) {
                    Some(ph) => format!("{{{{{ph}}}}}"),
                    None => "別に定める。".to_owned(),
                };
                (i.label.clone(), body)
            })
            .collect(),
        _ => vec![
            ("目的".to_owned(), "{{purpose}}".to_owned()),
            ("発信する内容".to_owned(), "{{content_items}}".to_owned()),
            ("運用管理者".to_owned(), "{{manager}}".to_owned()),
            ("コメントへの対応".to_owned(), "{{reply_policy}}".to_owned()),
        ],
    };
    let has = |ph: &str, items: &[(String, String)]| items.iter().any(|(_, b)| b.contains(ph));
    if !has("{{platform}}", &items) {
        items.insert(
            1,
            ("利用するサービス".to_owned(), "{{platform}}".to_owned()),
        );
    }
    if !has("{{department}}", &items) {
        items.insert(2, ("運用主体".to_owned(), "{{department}}".to_owned()));
    }
    let mut s = String::from("{{account_name}} 運用ポリシー\n\n{{date}}\n");
    for (i, (label, body)) in items.iter().enumerate() {
        s.push_str(&format!("\n{}. {label}\n{body}\n", i + 1));
    }
    let n = items.len();
    s.push_str(&format!(
        "\n{}. アカウント\nユーザー名: {{{{handle}}}}\nURL: {{{{url}}}}\n",
        n + 1
    ));
    s.push_str(&format!("\n{}. 制限事項\n{{{{restrictions}}}}\n", n + 2));
    s.push_str(&format!(
        "\n{}. なりすまし等の防止\nこのアカウントの情報を{{{{municipality}}}}ホームページの公式アカウント一覧に掲載し、公式アカウントであることを明示する。\n",
        n + 3
    ));
    s.push_str(&format!(
        "\n{}. 遵守事項\nこのアカウントの運用にあたっては、{{{{guideline_title}}}}を遵守する。\n",
        n + 4
    ));
    s
}

/// The template a guideline uses (its own, or the generic one).
pub fn template(g: &Guideline) -> String {
    match g.operation_policy.as_ref().and_then(|p| p.template.clone()) {
        Some(t) => t,
        None => default_template(g),
    }
}

/// Fills `template`'s `{{placeholders}}`.
pub fn render_template(template: &str, g: &Guideline, ctx: &PolicyContext) -> RenderedPolicy {
    let mut body = String::with_capacity(template.len() * 2);
    let mut unfilled: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        body.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            body.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = after[..end].trim();
        match value_of(g, ctx, name) {
            Some(Some(v)) => body.push_str(&v),
            Some(None) => {
                body.push_str("（未定）");
                if !unfilled.iter().any(|u| u == name) {
                    unfilled.push(name.to_owned());
                }
            }
            None => {
                body.push_str(&rest[start..start + 2 + end + 2]);
                if !unfilled.iter().any(|u| u == name) {
                    unfilled.push(name.to_owned());
                }
            }
        }
        rest = &after[end + 2..];
    }
    body.push_str(rest);
    RenderedPolicy { body, unfilled }
}

/// Renders the guideline's policy for an account.
pub fn render(g: &Guideline, ctx: &PolicyContext) -> RenderedPolicy {
    render_template(&template(g), g, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PolicyContext {
        PolicyContext {
            date_ms: 1_748_736_000_000, // 2025-06-01 00:00 UTC
            account_name: "狛江市子育て支援課X".to_owned(),
            department: Some("子ども家庭部子育て支援課".to_owned()),
            manager: Some("子育て支援課長".to_owned()),
            platform: Some(Platform::X),
            handle: "@komae_kosodate".to_owned(),
            email: Some("kosodate@city.komae.lg.jp".to_owned()),
            purpose: "子育て支援の情報を届ける".to_owned(),
            content: vec!["子育てイベント".to_owned(), "手当の申請期限".to_owned()],
            ..PolicyContext::default()
        }
    }

    #[test]
    fn komae_sample_is_filled() {
        let g = Guideline::preset("komae").unwrap().unwrap();
        let p = render(&g, &ctx());
        assert!(
            p.body
                .starts_with("狛江市子育て支援課Xアカウント運用ポリシー"),
            "{}",
            p.body
        );
        assert!(p.body.contains("令和7年6月1日"));
        assert!(p.body.contains("(1) ユーザー名 @komae_kosodate"));
        assert!(p.body.contains("(1) 子育てイベント\n(2) 手当の申請期限"));
        assert!(
            p.body
                .contains("投稿者に対し、返信（リプライ）を行うこと。")
        );
        assert!(!p.body.contains("{{"), "{}", p.body);
        assert!(p.unfilled.is_empty(), "{:?}", p.unfilled);
    }

    #[test]
    fn guidelines_without_a_template_get_the_generic_one() {
        let g = Guideline::preset("midori").unwrap().unwrap();
        let p = render(&g, &ctx());
        assert!(
            p.body.contains("1. 目的\n子育て支援の情報を届ける"),
            "{}",
            p.body
        );
        assert!(p.body.contains("コメントへの対応方針"));
        assert!(
            p.body
                .contains("みどり市ソーシャルメディア運用方針を遵守する")
        );
        assert_eq!(p.unfilled, vec!["url".to_owned()]);
    }

    #[test]
    fn unknown_placeholders_stay_and_are_reported() {
        let g = Guideline::preset("midori").unwrap().unwrap();
        let p = render_template("{{purpose}} / {{nonsense}}", &g, &ctx());
        assert_eq!(p.body, "子育て支援の情報を届ける / {{nonsense}}");
        assert_eq!(p.unfilled, vec!["nonsense".to_owned()]);
    }
}
