//! Pure rules of posting, read from the guideline: whether a post needs approval, which
//! exception or matter applies, which shares are allowed, what the checker says. No I/O.

use std::collections::BTreeMap;

use koho_check::{Checker, Diagnostic, Input, Severity};
use koho_guideline::{ApprovalDefault, Guideline};
use koho_store::OfficialAccount;
use serde::Serialize;
use serde_json::{Value, json};

use crate::posts::error::{BlockingFinding, PostError};

/// How long after its time a post may still go out when nothing in the guideline says
/// otherwise (`post_approval.missed_after_minutes`): late posts are marked missed, since a
/// notice published hours late can mislead (an event already over, a warning lifted).
pub const DEFAULT_MISSED_AFTER_MINUTES: u32 = 60;

/// How a post gets cleared for publication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "basis", rename_all = "kebab-case")]
pub enum Clearance {
    /// The approver must approve it.
    Approval { clause: Option<String> },
    /// Staff publish it under an exception the guideline lists, with a reason.
    Exception {
        id: String,
        clause: Option<String>,
        /// An emergency post: published at once, reported afterwards to this role.
        post_hoc_report_to: Option<String>,
    },
    /// The guideline needs no approval for this post.
    NotRequired { clause: Option<String> },
}

impl Clearance {
    pub fn basis(&self) -> &'static str {
        match self {
            Clearance::Approval { .. } => "approval",
            Clearance::Exception { .. } => "exception",
            Clearance::NotRequired { .. } => "not-required",
        }
    }

    pub fn clause(&self) -> Option<&str> {
        match self {
            Clearance::Approval { clause }
            | Clearance::Exception { clause, .. }
            | Clearance::NotRequired { clause } => clause.as_deref(),
        }
    }
}

fn first(c: &[String]) -> Option<String> {
    c.first().cloned()
}

/// Validates the declared matters against `post_approval.required_for`.
pub fn check_matters(g: &Guideline, matters: &[String]) -> Result<(), PostError> {
    let known: Vec<String> = g
        .post_approval
        .required_for
        .iter()
        .map(|m| m.id.clone())
        .collect();
    for m in matters {
        if !known.contains(m) {
            return Err(PostError::UnknownMatter {
                guideline: g.id.clone(),
                id: m.clone(),
                known,
            });
        }
    }
    Ok(())
}

/// How a post to `accounts`, touching `matters`, with the exception `exception` chosen
/// (or none), is cleared: 高鍋町 3.8 (required unless an exception), 美祢市 第4-6 (not
/// required except the listed matters), 狛江市 4(2)イ (each account's policy decides).
pub fn clearance(
    g: &Guideline,
    accounts: &[OfficialAccount],
    matters: &[String],
    exception: Option<&str>,
) -> Result<Clearance, PostError> {
    let pa = &g.post_approval;
    check_matters(g, matters)?;
    if let Some(id) = exception {
        let Some(e) = pa.exceptions.iter().find(|e| e.id == id) else {
            return Err(PostError::UnknownException {
                guideline: g.id.clone(),
                id: id.to_owned(),
                known: pa.exceptions.iter().map(|e| e.id.clone()).collect(),
            });
        };
        return Ok(Clearance::Exception {
            id: e.id.clone(),
            clause: first(&e.clauses).or_else(|| first(&pa.clauses)),
            post_hoc_report_to: e.post_hoc_report_to.clone(),
        });
    }
    let matter_clause = matters.first().and_then(|m| {
        pa.required_for
            .iter()
            .find(|r| &r.id == m)
            .and_then(|r| first(&r.clauses))
    });
    match pa.default {
        ApprovalDefault::Required => Ok(Clearance::Approval {
            clause: first(&pa.clauses),
        }),
        ApprovalDefault::NotRequired if matters.is_empty() => Ok(Clearance::NotRequired {
            clause: first(&pa.clauses),
        }),
        ApprovalDefault::NotRequired => Ok(Clearance::Approval {
            clause: matter_clause.or_else(|| first(&pa.clauses)),
        }),
        ApprovalDefault::PerAccount => {
            if !matters.is_empty() || accounts.iter().any(|a| a.fields.approval_required) {
                Ok(Clearance::Approval {
                    clause: matter_clause.or_else(|| first(&pa.clauses)),
                })
            } else {
                Ok(Clearance::NotRequired {
                    clause: first(&pa.clauses),
                })
            }
        }
    }
}

/// Whether a share in `category` is allowed (美祢市 第4-2(4)). A guideline that lists no
/// share categories does not restrict shares.
pub fn check_share(g: &Guideline, category: Option<&str>) -> Result<(), PostError> {
    let shares = &g.content.shares;
    if shares.is_empty() {
        return Ok(());
    }
    let ok = category.is_some_and(|c| shares.iter().any(|s| s.id == c));
    if ok {
        return Ok(());
    }
    Err(PostError::ShareCategory {
        category: category.map(str::to_owned),
        allowed: shares.iter().map(|s| s.id.clone()).collect(),
        guideline: g.id.clone(),
        clause: shares.first().and_then(|s| s.clauses.last().cloned()),
    })
}

/// The window after a post's time within which it may still go out, in ms.
pub fn missed_after_ms(g: &Guideline) -> i64 {
    let minutes = g
        .post_approval
        .missed_after_minutes
        .unwrap_or(DEFAULT_MISSED_AFTER_MINUTES);
    i64::from(minutes) * 60_000
}

/// The text that goes to one platform: its variant or the common text, with the apology
/// of a correction after it.
pub fn text_for(body: &str, apology: Option<&str>, variants: &Value, platform: &str) -> String {
    let main = variants
        .get(platform)
        .and_then(Value::as_str)
        .unwrap_or(body);
    match apology.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => format!("{main}\n\n{a}"),
        None => main.to_owned(),
    }
}

/// The checker's findings for every platform the post goes to, as stored with the version,
/// and the findings that block submission.
pub struct CheckOutcome {
    pub json: Value,
    pub blocking: Vec<BlockingFinding>,
}

/// Runs the same engine as `koho check` on the text for each platform, with the post's
/// images (location data, people in the picture) as `koho check --image` reads them.
/// `history` is the accounts' recent published texts with their age in whole days, for the
/// repeated-post rule (狛江市 4(4)イ).
pub fn run_checker(
    g: &Guideline,
    body: &str,
    apology: Option<&str>,
    variants: &Value,
    platforms: &[String],
    history: &[(String, u32)],
    images: &[koho_check::ImageFacts],
) -> Result<CheckOutcome, PostError> {
    let past: Vec<koho_check::PastPost<'_>> = history
        .iter()
        .map(|(text, days_ago)| koho_check::PastPost {
            text,
            days_ago: *days_ago,
        })
        .collect();
    let checker = Checker::new(g).map_err(|errs| PostError::Invalid {
        field: "guideline",
        ja: format!(
            "ガイドラインのチェック設定に不明な規則があります: {}",
            errs.iter()
                .map(|e| e.code.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        en: format!(
            "the guideline's check settings name {} unknown rule(s)",
            errs.len()
        ),
    })?;
    let mut per: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    let mut blocking = Vec::new();
    let mut list: Vec<String> = platforms.to_vec();
    list.sort();
    list.dedup();
    if list.is_empty() {
        list.push(String::new());
    }
    for p in &list {
        let text = text_for(body, apology, variants, p);
        koho_check::validate_text(&text).map_err(|e| PostError::Invalid {
            field: "body",
            ja: e.ja(),
            en: e.to_string(),
        })?;
        let input = Input {
            text: &text,
            platform: koho_guideline::Platform::from_id(p),
            history: &past,
            images,
        };
        let diags = checker.check(&input);
        for d in diags.iter().filter(|d| d.severity == Severity::Error) {
            blocking.push(BlockingFinding {
                platform: (!p.is_empty()).then(|| p.clone()),
                rule: d.rule.to_owned(),
                message: d.message.clone(),
                clauses: d.clauses.iter().map(|c| c.clause.clone()).collect(),
            });
        }
        per.insert(p.clone(), diags);
    }
    let json = json!({
        "guideline": g.id,
        "platforms": per.iter().map(|(p, d)| json!({
            "platform": if p.is_empty() { Value::Null } else { Value::String(p.clone()) },
            "diagnostics": d,
        })).collect::<Vec<_>>(),
    });
    Ok(CheckOutcome { json, blocking })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(id: &str) -> Guideline {
        Guideline::preset(id).unwrap().unwrap()
    }

    #[test]
    fn takanabe_needs_approval_unless_an_exception_is_chosen() {
        let g = preset("takanabe");
        let c = clearance(&g, &[], &[], None).unwrap();
        assert_eq!(
            c,
            Clearance::Approval {
                clause: Some("3.8".into())
            }
        );
        let c = clearance(&g, &[], &[], Some("emergency")).unwrap();
        match c {
            Clearance::Exception {
                id,
                post_hoc_report_to,
                ..
            } => {
                assert_eq!(id, "emergency");
                assert_eq!(post_hoc_report_to.as_deref(), Some("section-chief"));
            }
            other => panic!("{other:?}"),
        }
        let e = clearance(&g, &[], &[], Some("because")).unwrap_err();
        assert_eq!(e.code(), "POST_UNKNOWN_EXCEPTION");
    }

    #[test]
    fn mine_needs_approval_only_for_listed_matters() {
        let g = preset("mine");
        assert_eq!(
            clearance(&g, &[], &[], None).unwrap().basis(),
            "not-required"
        );
        let c = clearance(&g, &[], &["official-view".into()], None).unwrap();
        assert_eq!(c.basis(), "approval");
        let e = clearance(&g, &[], &["gossip".into()], None).unwrap_err();
        assert_eq!(e.code(), "POST_UNKNOWN_MATTER");
    }

    #[test]
    fn mine_shares_only_listed_categories() {
        let g = preset("mine");
        assert!(check_share(&g, Some("landscape")).is_ok());
        let e = check_share(&g, Some("celebrity-gossip")).unwrap_err();
        assert_eq!(e.code(), "POST_SHARE_CATEGORY");
        assert!(e.ja().contains("第4-2(4)"), "{}", e.ja());
        assert!(check_share(&g, None).is_err());
        // 高鍋町 lists no share categories: nothing to restrict.
        assert!(check_share(&preset("takanabe"), None).is_ok());
    }

    #[test]
    fn the_missed_window_comes_from_the_guideline() {
        assert_eq!(missed_after_ms(&preset("takanabe")), 60 * 60_000);
        let src = koho_guideline::preset_source("takanabe").unwrap().replacen(
            "default = \"required\"",
            "default = \"required\"\nmissed_after_minutes = 15",
            1,
        );
        let g = Guideline::parse("takanabe-15", &src).unwrap();
        assert_eq!(missed_after_ms(&g), 15 * 60_000);
        let bad = koho_guideline::preset_source("takanabe").unwrap().replacen(
            "default = \"required\"",
            "default = \"required\"\nmissed_after_minutes = 0",
            1,
        );
        assert!(Guideline::parse("takanabe-0", &bad).is_err());
    }

    #[test]
    fn variants_and_apology_make_the_platform_text() {
        let v = json!({"x": "短い版"});
        assert_eq!(text_for("本文", None, &v, "x"), "短い版");
        assert_eq!(
            text_for("本文", Some("お詫びします"), &v, "facebook"),
            "本文\n\nお詫びします"
        );
    }

    #[test]
    fn checker_findings_block_and_are_kept_per_platform() {
        let g = preset("takanabe");
        let body = "山田太郎さん（090-1234-5678）の住所は高鍋町大字上江1234番地です。";
        let out = run_checker(
            &g,
            body,
            None,
            &json!({}),
            &["x".into(), "facebook".into()],
            &[],
            &[],
        )
        .unwrap();
        assert!(!out.blocking.is_empty());
        assert_eq!(out.json["platforms"].as_array().unwrap().len(), 2);
        let clean = run_checker(
            &g,
            "本日は晴天です。",
            None,
            &json!({}),
            &["x".into()],
            &[],
            &[],
        )
        .unwrap();
        assert!(clean.blocking.is_empty(), "{:?}", clean.json);
        let photo = [koho_check::ImageFacts {
            name: "photo.jpg".into(),
            has_gps: true,
        }];
        // 神栖市 第9条(7) (location data) and 第9条(4) (people in photos) both apply.
        let with_photo = run_checker(
            &preset("kamisu"),
            "本日は晴天です。",
            None,
            &json!({}),
            &["x".into()],
            &[],
            &photo,
        )
        .unwrap();
        let rules: Vec<&str> = with_photo.json["platforms"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["rule"].as_str())
            .collect();
        assert!(rules.contains(&"GT001"), "{rules:?}");
        assert!(rules.contains(&"PR001"), "{rules:?}");
    }
}
