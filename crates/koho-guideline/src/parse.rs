//! Builds a [`Guideline`] from TOML, collecting every problem on the way.

use std::collections::{HashMap, HashSet};

use toml::de::{DeTable, DeValue};

use crate::category::Category;
use crate::model::*;
use crate::problem::{Problem, ProblemKind, RefKind};
use crate::reader::{At, Obj, Sink, closest};

/// Names used before they are known to exist; resolved once the whole file is read.
#[derive(Default)]
struct Refs {
    roles: Vec<At<String>>,
    clauses: Vec<At<String>>,
    questions: Vec<At<String>>,
}

struct Cx {
    sink: Sink,
    refs: Refs,
    /// Every role id declared, even one whose definition has errors, so a bad `kind`
    /// is reported once and not again at every place the role is used.
    declared_roles: Vec<String>,
}

impl Cx {
    fn push(&mut self, span: std::ops::Range<usize>, kind: ProblemKind) {
        self.sink.push(span, kind);
    }
}

/// The clauses a rule cites. `clause` may be one label or a list; a rule without one
/// inherits `inherit` (its parent's), and a top-level rule without one is an error.
fn cites(o: &mut Obj<'_, '_>, cx: &mut Cx, inherit: Option<&Cites>) -> Cites {
    match o.opt_str_list(&mut cx.sink, "clause") {
        Some(list) if !list.is_empty() => {
            let labels = list.iter().map(|a| a.value.clone()).collect();
            cx.refs.clauses.extend(list);
            labels
        }
        Some(_) => {
            cx.push(
                o.span(),
                ProblemKind::Empty {
                    key: join(o.path(), "clause"),
                },
            );
            Vec::new()
        }
        None => match inherit {
            Some(parent) => parent.clone(),
            None => {
                if !o.has("clause") {
                    cx.push(
                        o.span().start..o.span().start + 1,
                        ProblemKind::MissingKey {
                            key: join(o.path(), "clause"),
                        },
                    );
                }
                Vec::new()
            }
        },
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn role(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> Option<RoleId> {
    let at = o.str(&mut cx.sink, key)?;
    let v = at.value.clone();
    cx.refs.roles.push(at);
    Some(v)
}

fn opt_role(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> Option<RoleId> {
    let at = o.opt_str(&mut cx.sink, key)?;
    let v = at.value.clone();
    cx.refs.roles.push(at);
    Some(v)
}

fn role_list(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> Vec<RoleId> {
    let list = o.opt_str_list(&mut cx.sink, key).unwrap_or_default();
    let out = list.iter().map(|a| a.value.clone()).collect();
    cx.refs.roles.extend(list);
    out
}

fn string_list(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> Vec<String> {
    o.opt_str_list(&mut cx.sink, key)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.value)
        .collect()
}

/// A string that must be one of `allowed`.
fn choice<T>(
    o: &mut Obj<'_, '_>,
    cx: &mut Cx,
    key: &str,
    allowed: &[&str],
    parse: impl Fn(&str) -> Option<T>,
    required: bool,
) -> Option<T> {
    let at = if required {
        o.str(&mut cx.sink, key)?
    } else {
        o.opt_str(&mut cx.sink, key)?
    };
    let parsed = parse(&at.value);
    if parsed.is_none() {
        cx.push(
            at.span,
            ProblemKind::InvalidValue {
                key: join(o.path(), key),
                value: at.value,
                expected: allowed.join(", "),
            },
        );
    }
    parsed
}

fn text(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> String {
    o.str(&mut cx.sink, key)
        .map(|a| a.value)
        .unwrap_or_default()
}

fn opt_text(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str) -> Option<String> {
    o.opt_str(&mut cx.sink, key).map(|a| a.value)
}

fn u32_opt(o: &mut Obj<'_, '_>, cx: &mut Cx, key: &str, max: i64) -> Option<u32> {
    o.opt_int(&mut cx.sink, key, 1..=max)
        .and_then(|n| u32::try_from(n).ok())
}

/// Unique ids within one list.
fn unique_ids<'x>(cx: &mut Cx, kind: RefKind, ids: impl Iterator<Item = &'x At<String>>) {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.value.as_str()) {
            cx.push(
                id.span.clone(),
                ProblemKind::Duplicate {
                    kind,
                    name: id.value.clone(),
                },
            );
        }
    }
}

/// Reads a list of `{ id, label, clause? }` tables.
fn labelled(
    list: Vec<Obj<'_, '_>>,
    cx: &mut Cx,
    parent: &Cites,
    kind: RefKind,
) -> Vec<(String, String, Cites)> {
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for mut o in list {
        let id = o.str(&mut cx.sink, "id");
        let label = text(&mut o, cx, "label");
        let c = cites(&mut o, cx, Some(parent));
        o.finish(&mut cx.sink, &["id", "label", "clause"]);
        if let Some(id) = id {
            out.push((id.value.clone(), label, c));
            ids.push(id);
        }
    }
    unique_ids(cx, kind, ids.iter());
    out
}

pub(crate) fn parse(src: &str) -> Result<Guideline, Vec<Problem>> {
    let (doc, syntax) = DeTable::parse_recoverable(src);
    if !syntax.is_empty() {
        return Err(syntax
            .into_iter()
            .map(|e| Problem {
                span: e.span().unwrap_or(0..0),
                kind: ProblemKind::Syntax {
                    message: e.message().trim().to_owned(),
                },
            })
            .collect());
    }
    let mut cx = Cx {
        sink: Sink::default(),
        refs: Refs::default(),
        declared_roles: Vec::new(),
    };
    let mut root = Obj::root(&doc);
    let g = read_root(&mut root, &mut cx);
    root.finish(&mut cx.sink, ROOT_KEYS);
    if let Some(g) = &g {
        resolve(g, &mut cx);
    }
    match g {
        Some(g) if cx.sink.problems.is_empty() => Ok(g),
        _ => {
            let mut p = cx.sink.problems;
            if p.is_empty() {
                // Unreachable in practice: a missing section is always reported.
                p.push(Problem {
                    span: 0..0,
                    kind: ProblemKind::MissingKey {
                        key: "guideline".into(),
                    },
                });
            }
            Err(p)
        }
    }
}

const ROOT_KEYS: &[&str] = &[
    "guideline",
    "documents",
    "municipality",
    "roles",
    "clauses",
    "opening",
    "grandfathering",
    "operation_policy",
    "profile",
    "post_approval",
    "content",
    "checks",
    "replies",
    "follows",
    "moderation",
    "credentials",
    "posting_devices",
    "inactivity",
    "annual_review",
    "suspension",
    "closure",
    "correction",
    "incidents",
    "reminders",
];

fn read_root(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Option<Guideline> {
    let head = root.table(&mut cx.sink, "guideline").map(|mut o| {
        let id = o.str(&mut cx.sink, "id");
        if let Some(id) = &id {
            let ok = id
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                cx.push(
                    id.span.clone(),
                    ProblemKind::InvalidValue {
                        key: "guideline.id".into(),
                        value: id.value.clone(),
                        expected: "lower-case ASCII letters, digits and '-'".into(),
                    },
                );
            }
        }
        let title = text(&mut o, cx, "title");
        let adopted = o.opt_date(&mut cx.sink, "adopted");
        o.finish(&mut cx.sink, &["id", "title", "adopted"]);
        (id.map(|a| a.value).unwrap_or_default(), title, adopted)
    });

    let documents = root
        .tables(&mut cx.sink, "documents")
        .into_iter()
        .map(|mut o| {
            let d = Document {
                id: text(&mut o, cx, "id"),
                title: text(&mut o, cx, "title"),
                date: o.opt_date(&mut cx.sink, "date"),
            };
            o.finish(&mut cx.sink, &["id", "title", "date"]);
            d
        })
        .collect::<Vec<_>>();

    let municipality = root
        .table(&mut cx.sink, "municipality")
        .map(|o| read_municipality(o, cx));
    let roles = read_roles(root, cx);
    let clauses = read_clauses(root, cx, &documents);

    let opening = root
        .table(&mut cx.sink, "opening")
        .map(|o| read_opening(o, cx));
    let grandfathering = root.opt_table(&mut cx.sink, "grandfathering").map(|mut o| {
        let g = Grandfathering {
            clauses: cites(&mut o, cx, None),
            report_to: role(&mut o, cx, "report_to").unwrap_or_default(),
        };
        o.finish(&mut cx.sink, &["clause", "report_to"]);
        g
    });
    let operation_policy = root
        .opt_table(&mut cx.sink, "operation_policy")
        .map(|mut o| {
            let clauses = cites(&mut o, cx, None);
            let items = o.tables(&mut cx.sink, "items");
            let required_items = labelled(items, cx, &clauses, RefKind::Item)
                .into_iter()
                .map(|(id, label, _)| PolicyItem { id, label })
                .collect();
            let p = OperationPolicy {
                required_items,
                publish: o.opt_bool(&mut cx.sink, "publish").unwrap_or(true),
                template: opt_text(&mut o, cx, "template"),
                clauses,
            };
            o.finish(&mut cx.sink, &["clause", "items", "publish", "template"]);
            p
        });
    let profile = root
        .tables(&mut cx.sink, "profile")
        .into_iter()
        .filter_map(|mut o| {
            let id = choice(
                &mut o,
                cx,
                "id",
                ProfileItem::IDS,
                ProfileItem::from_id,
                true,
            );
            let label = text(&mut o, cx, "label");
            let clauses = cites(&mut o, cx, None);
            o.finish(&mut cx.sink, &["id", "label", "clause"]);
            Some(ProfileRequirement {
                id: id?,
                label,
                clauses,
            })
        })
        .collect();
    let post_approval = root
        .table(&mut cx.sink, "post_approval")
        .map(|o| read_post_approval(o, cx));
    let content = match root.opt_table(&mut cx.sink, "content") {
        Some(o) => read_content(o, cx),
        None => ContentRules {
            allowed: Vec::new(),
            shares: Vec::new(),
            requests: None,
        },
    };
    let checks = read_checks(root, cx);
    let replies = root
        .opt_table(&mut cx.sink, "replies")
        .map(|o| read_stance(o, cx));
    let follows = root
        .opt_table(&mut cx.sink, "follows")
        .map(|o| read_stance(o, cx));
    let moderation = read_moderation(root, cx);
    let credentials = root
        .opt_table(&mut cx.sink, "credentials")
        .map(|o| read_credentials(o, cx));
    let posting_devices = root
        .opt_table(&mut cx.sink, "posting_devices")
        .map(|mut o| {
            let d = PostingDevices {
                allowed: string_list(&mut o, cx, "allowed"),
                exception: opt_text(&mut o, cx, "exception"),
                exception_by: opt_role(&mut o, cx, "exception_by"),
                clauses: cites(&mut o, cx, None),
            };
            o.finish(
                &mut cx.sink,
                &["allowed", "exception", "exception_by", "clause"],
            );
            d
        });
    let inactivity = root.opt_table(&mut cx.sink, "inactivity").map(|mut o| {
        let i = Inactivity {
            after_days: match o.opt_int(&mut cx.sink, "after_days", 1..=3650) {
                Some(n) => u32::try_from(n).unwrap_or(90),
                None => {
                    if !o.has("after_days") {
                        cx.push(
                            o.span().start..o.span().start + 1,
                            ProblemKind::MissingKey {
                                key: "inactivity.after_days".into(),
                            },
                        );
                    }
                    0
                }
            },
            decided_by: role(&mut o, cx, "decided_by").unwrap_or_default(),
            clauses: cites(&mut o, cx, None),
        };
        o.finish(&mut cx.sink, &["after_days", "decided_by", "clause"]);
        i
    });
    let annual_review = root.opt_table(&mut cx.sink, "annual_review").map(|mut o| {
        let month = o
            .opt_int(&mut cx.sink, "month", 1..=12)
            .and_then(|m| u8::try_from(m).ok())
            .unwrap_or(3);
        let criteria = o.opt_str_list(&mut cx.sink, "criteria").unwrap_or_default();
        let r = AnnualReview {
            month,
            decided_by: role(&mut o, cx, "decided_by").unwrap_or_default(),
            criteria: criteria.iter().map(|a| a.value.clone()).collect(),
            clauses: cites(&mut o, cx, None),
        };
        cx.refs.questions.extend(criteria);
        o.finish(&mut cx.sink, &["month", "decided_by", "criteria", "clause"]);
        r
    });
    let suspension = root.opt_table(&mut cx.sink, "suspension").map(|mut o| {
        let clauses = cites(&mut o, cx, None);
        let steps = read_steps(&mut o, cx, &clauses);
        let s = Suspension {
            decided_by: role(&mut o, cx, "decided_by").unwrap_or_default(),
            notice_days: u32_opt(&mut o, cx, "notice_days", 3650),
            recheck_days: u32_opt(&mut o, cx, "recheck_days", 3650),
            keep_handle: o.opt_bool(&mut cx.sink, "keep_handle").unwrap_or(true),
            redirect_to_main: o
                .opt_bool(&mut cx.sink, "redirect_to_main")
                .unwrap_or(false),
            publish_reason: o.opt_bool(&mut cx.sink, "publish_reason").unwrap_or(false),
            steps,
            clauses,
        };
        o.finish(
            &mut cx.sink,
            &[
                "clause",
                "steps",
                "decided_by",
                "notice_days",
                "recheck_days",
                "keep_handle",
                "redirect_to_main",
                "publish_reason",
            ],
        );
        s
    });
    let closure = root.opt_table(&mut cx.sink, "closure").map(|mut o| {
        let c = Closure {
            decided_by: role(&mut o, cx, "decided_by").unwrap_or_default(),
            publish_reason: o.opt_bool(&mut cx.sink, "publish_reason").unwrap_or(false),
            clauses: cites(&mut o, cx, None),
        };
        o.finish(&mut cx.sink, &["decided_by", "publish_reason", "clause"]);
        c
    });
    let correction = root.opt_table(&mut cx.sink, "correction").map(|mut o| {
        let original = choice(
            &mut o,
            cx,
            "original",
            &["delete", "keep-marked"],
            |s| match s {
                "delete" => Some(OriginalHandling::Delete),
                "keep-marked" => Some(OriginalHandling::KeepMarked),
                _ => None,
            },
            true,
        );
        let c = Correction {
            original: original.unwrap_or(OriginalHandling::Delete),
            apology: o.opt_bool(&mut cx.sink, "apology").unwrap_or(false),
            demanded_by: opt_role(&mut o, cx, "demanded_by"),
            clauses: cites(&mut o, cx, None),
        };
        o.finish(
            &mut cx.sink,
            &["original", "apology", "demanded_by", "clause"],
        );
        c
    });
    let incidents = read_incidents(root, cx);
    let reminders = read_reminders(root, cx);

    let (id, title, adopted) = head?;
    let municipality = municipality?;
    let opening = opening?;
    let post_approval = post_approval?;
    Some(Guideline {
        id,
        title,
        municipality,
        adopted,
        documents,
        roles,
        clauses,
        opening,
        grandfathering,
        operation_policy,
        profile,
        post_approval,
        content,
        checks,
        replies,
        follows,
        moderation,
        credentials,
        posting_devices,
        inactivity,
        annual_review,
        suspension,
        closure,
        correction,
        incidents,
        reminders,
    })
}

fn read_municipality(mut o: Obj<'_, '_>, cx: &mut Cx) -> Municipality {
    let name = text(&mut o, cx, "name");
    let homepage = o.str(&mut cx.sink, "homepage");
    let account_list_url = o.opt_str(&mut cx.sink, "account_list_url");
    for url in homepage.iter().chain(account_list_url.iter()) {
        if !(url.value.starts_with("https://") || url.value.starts_with("http://")) {
            cx.push(
                url.span.clone(),
                ProblemKind::InvalidValue {
                    key: "municipality.homepage".into(),
                    value: url.value.clone(),
                    expected: "an http(s):// URL".into(),
                },
            );
        }
    }
    let domains = o.opt_str_list(&mut cx.sink, "domains").unwrap_or_default();
    for d in &domains {
        let ok = d.value.contains('.')
            && d.value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !ok {
            cx.push(
                d.span.clone(),
                ProblemKind::InvalidValue {
                    key: "municipality.domains".into(),
                    value: d.value.clone(),
                    expected:
                        "a lower-case host name without scheme or path, e.g. city.komae.lg.jp"
                            .into(),
                },
            );
        }
    }
    let phones = o.opt_str_list(&mut cx.sink, "phones").unwrap_or_default();
    let mut digits = Vec::new();
    for p in &phones {
        let d: String = p.value.chars().filter(char::is_ascii_digit).collect();
        let shape_ok = p
            .value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')'));
        if !shape_ok || !(10..=11).contains(&d.len()) || !d.starts_with('0') {
            cx.push(
                p.span.clone(),
                ProblemKind::InvalidValue {
                    key: "municipality.phones".into(),
                    value: p.value.clone(),
                    expected: "a Japanese phone number such as 03-3430-1111".into(),
                },
            );
        } else {
            digits.push(d);
        }
    }
    let timezone = opt_text(&mut o, cx, "timezone").unwrap_or_else(|| "Asia/Tokyo".into());
    let fiscal_year_start_month = o
        .opt_int(&mut cx.sink, "fiscal_year_start_month", 1..=12)
        .and_then(|m| u8::try_from(m).ok())
        .unwrap_or(4);
    let m = Municipality {
        name,
        homepage: homepage.map(|a| a.value).unwrap_or_default(),
        account_list_url: account_list_url.map(|a| a.value),
        domains: domains.into_iter().map(|a| a.value).collect(),
        phones: digits,
        departments: string_list(&mut o, cx, "departments"),
        place_names: string_list(&mut o, cx, "place_names"),
        timezone,
        fiscal_year_start_month,
    };
    o.finish(
        &mut cx.sink,
        &[
            "name",
            "homepage",
            "account_list_url",
            "domains",
            "phones",
            "departments",
            "place_names",
            "timezone",
            "fiscal_year_start_month",
        ],
    );
    m
}

fn read_roles(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<Role> {
    let Some(mut t) = root.table(&mut cx.sink, "roles") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in t.entries() {
        cx.declared_roles.push(key.value.clone());
        let Some(mut o) = t.entry_table(&mut cx.sink, &key, v) else {
            continue;
        };
        let name = text(&mut o, cx, "name");
        let kind = choice(&mut o, cx, "kind", RoleKind::IDS, RoleKind::from_id, true);
        o.finish(&mut cx.sink, &["name", "kind"]);
        if let Some(kind) = kind {
            out.push(Role {
                id: key.value,
                name,
                kind,
            });
        }
    }
    t.finish(&mut cx.sink, &[]);
    out
}

fn read_clauses(root: &mut Obj<'_, '_>, cx: &mut Cx, documents: &[Document]) -> Vec<Clause> {
    let mut labels = Vec::new();
    let mut out = Vec::new();
    let docs: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
    for mut o in root.tables(&mut cx.sink, "clauses") {
        let label = o.str(&mut cx.sink, "label");
        let document = o.opt_str(&mut cx.sink, "document");
        if let Some(d) = &document
            && !docs.contains(&d.value.as_str())
        {
            cx.push(
                d.span.clone(),
                ProblemKind::InvalidValue {
                    key: join(o.path(), "document"),
                    value: d.value.clone(),
                    expected: if docs.is_empty() {
                        "a document declared in [[documents]]".into()
                    } else {
                        docs.join(", ")
                    },
                },
            );
        }
        let title = opt_text(&mut o, cx, "title");
        let body = text(&mut o, cx, "text");
        o.finish(&mut cx.sink, &["label", "document", "title", "text"]);
        if let Some(label) = label {
            out.push(Clause {
                label: label.value.clone(),
                document: document.map(|a| a.value),
                title,
                text: body,
            });
            labels.push(label);
        }
    }
    unique_ids(cx, RefKind::Clause, labels.iter());
    out
}

fn read_opening(mut o: Obj<'_, '_>, cx: &mut Cx) -> Opening {
    let clauses = cites(&mut o, cx, None);
    let applicant = role(&mut o, cx, "applicant").unwrap_or_default();
    let approver = role(&mut o, cx, "approver").unwrap_or_default();
    let waiver = o.opt_table(&mut cx.sink, "waiver").map(|mut w| {
        let r = Waiver {
            by: role(&mut w, cx, "by").unwrap_or_default(),
            clauses: cites(&mut w, cx, Some(&clauses)),
        };
        w.finish(&mut cx.sink, &["by", "clause"]);
        r
    });
    let reapproval_on_purpose_change = o
        .opt_table(&mut cx.sink, "reapproval_on_purpose_change")
        .map(|mut r| {
            let c = cites(&mut r, cx, None);
            r.finish(&mut cx.sink, &["clause"]);
            c
        });
    let mut field_ids = Vec::new();
    let mut fields = Vec::new();
    for mut f in o.tables(&mut cx.sink, "fields") {
        let id_at = f.opt_str(&mut cx.sink, "id");
        let id = choice(&mut f, cx, "id", FieldId::IDS, FieldId::from_id, true);
        let label = text(&mut f, cx, "label");
        let c = cites(&mut f, cx, Some(&clauses));
        f.finish(&mut cx.sink, &["id", "label", "clause"]);
        if let (Some(id), Some(at)) = (id, id_at) {
            fields.push(ApplicationField {
                id,
                label,
                clauses: c,
            });
            field_ids.push(at);
        }
    }
    // "other" may repeat (the forms have several その他 rows); real fields may not.
    let strict: Vec<_> = field_ids.iter().filter(|a| a.value != "other").collect();
    unique_ids(cx, RefKind::Item, strict.into_iter());
    let existing_account_review =
        o.opt_table(&mut cx.sink, "existing_account_review")
            .map(|mut r| {
                let c = cites(&mut r, cx, Some(&clauses));
                let mut ids = Vec::new();
                let mut questions = Vec::new();
                for mut q in r.tables(&mut cx.sink, "questions") {
                    let id = q.str(&mut cx.sink, "id");
                    let label = text(&mut q, cx, "label");
                    let body = text(&mut q, cx, "text");
                    q.finish(&mut cx.sink, &["id", "label", "text"]);
                    if let Some(id) = id {
                        questions.push(Question {
                            id: id.value.clone(),
                            label,
                            text: body,
                        });
                        ids.push(id);
                    }
                }
                unique_ids(cx, RefKind::Question, ids.iter());
                r.finish(&mut cx.sink, &["clause", "questions"]);
                ExistingAccountReview {
                    clauses: c,
                    questions,
                }
            });
    let application_form = o
        .opt_table(&mut cx.sink, "application_form")
        .map(|f| read_form(f, cx));
    let approval_form = o
        .opt_table(&mut cx.sink, "approval_form")
        .map(|f| read_form(f, cx));
    if !applicant.is_empty() && applicant == approver {
        cx.push(
            o.span().start..o.span().start + 1,
            ProblemKind::Inconsistent {
                message_en: "opening.approver must differ from opening.applicant: an application is never decided by its applicant".into(),
                message_ja: "開設を申請する役割と承認する役割が同じです。申請者自身が承認することはできません".into(),
            },
        );
    }
    o.finish(
        &mut cx.sink,
        &[
            "clause",
            "applicant",
            "approver",
            "waiver",
            "reapproval_on_purpose_change",
            "fields",
            "existing_account_review",
            "application_form",
            "approval_form",
        ],
    );
    Opening {
        clauses,
        applicant,
        approver,
        waiver,
        reapproval_on_purpose_change,
        fields,
        existing_account_review,
        application_form,
        approval_form,
    }
}

fn read_form(mut f: Obj<'_, '_>, cx: &mut Cx) -> Form {
    let form = Form {
        number: text(&mut f, cx, "number"),
        title: text(&mut f, cx, "title"),
        addressee: opt_text(&mut f, cx, "addressee"),
        body: opt_text(&mut f, cx, "body"),
    };
    f.finish(&mut cx.sink, &["number", "title", "addressee", "body"]);
    form
}

fn read_post_approval(mut o: Obj<'_, '_>, cx: &mut Cx) -> PostApproval {
    let clauses = cites(&mut o, cx, None);
    let default = choice(
        &mut o,
        cx,
        "default",
        &["required", "not-required", "per-account"],
        |s| match s {
            "required" => Some(ApprovalDefault::Required),
            "not-required" => Some(ApprovalDefault::NotRequired),
            "per-account" => Some(ApprovalDefault::PerAccount),
            _ => None,
        },
        true,
    )
    .unwrap_or(ApprovalDefault::Required);
    let approver = role(&mut o, cx, "approver").unwrap_or_default();
    let mut ids = Vec::new();
    let mut exceptions = Vec::new();
    for mut e in o.tables(&mut cx.sink, "exceptions") {
        let id = e.str(&mut cx.sink, "id");
        let label = text(&mut e, cx, "label");
        let c = cites(&mut e, cx, Some(&clauses));
        let post_hoc_report_to = opt_role(&mut e, cx, "post_hoc_report_to");
        e.finish(
            &mut cx.sink,
            &["id", "label", "clause", "post_hoc_report_to"],
        );
        if let Some(id) = id {
            exceptions.push(ApprovalException {
                id: id.value.clone(),
                label,
                clauses: c,
                post_hoc_report_to,
            });
            ids.push(id);
        }
    }
    unique_ids(cx, RefKind::Item, ids.iter());
    let missed_after_minutes = u32_opt(&mut o, cx, "missed_after_minutes", 10_080);
    let required = o.tables(&mut cx.sink, "required_for");
    let required_for = labelled(required, cx, &clauses, RefKind::Item)
        .into_iter()
        .map(|(id, label, clauses)| ApprovalMatter { id, label, clauses })
        .collect::<Vec<_>>();
    if default == ApprovalDefault::Required && !required_for.is_empty() {
        cx.push(
            o.span().start..o.span().start + 1,
            ProblemKind::Inconsistent {
                message_en: "post_approval.required_for only makes sense when default is not-required or per-account".into(),
                message_ja: "post_approval.default が required のときは required_for を書く必要はありません（すべて承認が必要です）".into(),
            },
        );
    }
    o.finish(
        &mut cx.sink,
        &[
            "clause",
            "default",
            "approver",
            "exceptions",
            "required_for",
            "missed_after_minutes",
        ],
    );
    PostApproval {
        clauses,
        default,
        approver,
        exceptions,
        required_for,
        missed_after_minutes,
    }
}

fn read_content(mut o: Obj<'_, '_>, cx: &mut Cx) -> ContentRules {
    let to_cats = |v: Vec<(String, String, Cites)>| {
        v.into_iter()
            .map(|(id, label, clauses)| ContentCategory { id, label, clauses })
            .collect::<Vec<_>>()
    };
    let allowed = o.tables(&mut cx.sink, "allowed");
    let allowed = to_cats(labelled_required(allowed, cx));
    let shares = o.tables(&mut cx.sink, "shares");
    let shares = to_cats(labelled_required(shares, cx));
    let requests = o.opt_table(&mut cx.sink, "requests").map(|mut r| {
        let q = Requests {
            decided_by: role(&mut r, cx, "decided_by").unwrap_or_default(),
            clauses: cites(&mut r, cx, None),
        };
        r.finish(&mut cx.sink, &["decided_by", "clause"]);
        q
    });
    o.finish(&mut cx.sink, &["allowed", "shares", "requests"]);
    ContentRules {
        allowed,
        shares,
        requests,
    }
}

/// Like [`labelled`], but each item must cite its own clause.
fn labelled_required(list: Vec<Obj<'_, '_>>, cx: &mut Cx) -> Vec<(String, String, Cites)> {
    let mut ids = Vec::new();
    let mut out = Vec::new();
    for mut o in list {
        let id = o.str(&mut cx.sink, "id");
        let label = text(&mut o, cx, "label");
        let c = cites(&mut o, cx, None);
        o.finish(&mut cx.sink, &["id", "label", "clause"]);
        if let Some(id) = id {
            out.push((id.value.clone(), label, c));
            ids.push(id);
        }
    }
    unique_ids(cx, RefKind::ContentCategory, ids.iter());
    out
}

const CHECK_KEYS: &[&str] = &[
    "severity",
    "clause",
    "note",
    "rules",
    "window_days",
    "similarity",
    "allow_job_listings",
    "trusted_domains",
    "allow_public_comment",
];

fn read_checks(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<CheckRule> {
    let Some(mut t) = root.opt_table(&mut cx.sink, "checks") else {
        return Vec::new();
    };
    let ids: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
    let mut out = Vec::new();
    for (key, v) in t.entries() {
        let Some(category) = Category::from_id(&key.value) else {
            cx.push(
                key.span.clone(),
                ProblemKind::UnknownReference {
                    kind: RefKind::Category,
                    name: key.value.clone(),
                    hint: closest(&key.value, &ids).map(str::to_owned),
                },
            );
            continue;
        };
        let Some(mut o) = t.entry_table(&mut cx.sink, &key, v) else {
            continue;
        };
        let severity = choice(
            &mut o,
            cx,
            "severity",
            &["error", "warning", "info"],
            Severity::from_id,
            true,
        );
        let clauses = cites(&mut o, cx, None);
        let note = opt_text(&mut o, cx, "note");
        let mut options = CheckOptions {
            window_days: u32_opt(&mut o, cx, "window_days", 365),
            similarity: o.opt_float(&mut cx.sink, "similarity", 0.5, 1.0),
            allow_job_listings: o
                .opt_bool(&mut cx.sink, "allow_job_listings")
                .unwrap_or(false),
            trusted_domains: string_list(&mut o, cx, "trusted_domains"),
            allow_public_comment: o
                .opt_bool(&mut cx.sink, "allow_public_comment")
                .unwrap_or(false),
        };
        options
            .trusted_domains
            .iter_mut()
            .for_each(|d| d.make_ascii_lowercase());
        let option_of: &[(&str, Category)] = &[
            ("window_days", Category::RepeatedPost),
            ("similarity", Category::RepeatedPost),
            ("allow_job_listings", Category::Commercial),
            ("trusted_domains", Category::ThirdPartyLink),
            ("allow_public_comment", Category::UndecidedPolicy),
        ];
        for (opt, owner) in option_of {
            if o.has(opt) && *owner != category {
                cx.push(
                    o.span().start..o.span().start + 1,
                    ProblemKind::Inconsistent {
                        message_en: format!("option `{opt}` belongs to checks.{owner}, not checks.{category}"),
                        message_ja: format!("オプション「{opt}」は checks.{owner} のものです（checks.{category} には書けません）"),
                    },
                );
            }
        }
        let rules = read_rule_overrides(&mut o, cx);
        o.finish(&mut cx.sink, CHECK_KEYS);
        if let Some(severity) = severity {
            out.push(CheckRule {
                category,
                severity,
                clauses,
                note,
                options,
                rules,
            });
        }
    }
    out
}

fn read_rule_overrides(o: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<RuleOverride> {
    let Some(mut t) = o.opt_table(&mut cx.sink, "rules") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in t.entries() {
        let DeValue::String(s) = v.get_ref() else {
            cx.push(
                v.span(),
                ProblemKind::WrongType {
                    key: format!("{}.{}", t.path(), key.value),
                    expected: "string",
                    found: "non-string",
                },
            );
            continue;
        };
        let severity = match s.as_ref() {
            "off" => None,
            other => match Severity::from_id(other) {
                Some(sev) => Some(sev),
                None => {
                    cx.push(
                        v.span(),
                        ProblemKind::InvalidValue {
                            key: format!("{}.{}", t.path(), key.value),
                            value: other.to_owned(),
                            expected: "error, warning, info, off".into(),
                        },
                    );
                    continue;
                }
            },
        };
        out.push(RuleOverride {
            code: key.value,
            severity,
            span: key.span,
        });
    }
    t.finish(&mut cx.sink, &[]);
    out
}

fn read_stance(mut o: Obj<'_, '_>, cx: &mut Cx) -> Stance {
    let policy = choice(
        &mut o,
        cx,
        "policy",
        &["prohibited", "case-by-case", "allowed"],
        |s| match s {
            "prohibited" => Some(StanceKind::Prohibited),
            "case-by-case" => Some(StanceKind::CaseByCase),
            "allowed" => Some(StanceKind::Allowed),
            _ => None,
        },
        true,
    )
    .unwrap_or(StanceKind::Prohibited);
    let s = Stance {
        policy,
        exception_by: role_list(&mut o, cx, "exception_by"),
        exception_requires_all: o
            .opt_bool(&mut cx.sink, "exception_requires_all")
            .unwrap_or(false),
        exception: opt_text(&mut o, cx, "exception"),
        must_state: o.opt_bool(&mut cx.sink, "must_state").unwrap_or(false),
        clauses: cites(&mut o, cx, None),
    };
    o.finish(
        &mut cx.sink,
        &[
            "policy",
            "exception_by",
            "exception_requires_all",
            "exception",
            "must_state",
            "clause",
        ],
    );
    s
}

fn read_moderation(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<ModerationGround> {
    let ids: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for mut o in root.tables(&mut cx.sink, "moderation") {
        let id = o.str(&mut cx.sink, "id");
        let label = text(&mut o, cx, "label");
        let category = o.opt_str(&mut cx.sink, "category").and_then(|c| {
            let found = Category::from_id(&c.value);
            if found.is_none() {
                cx.push(
                    c.span.clone(),
                    ProblemKind::UnknownReference {
                        kind: RefKind::Category,
                        name: c.value.clone(),
                        hint: closest(&c.value, &ids).map(str::to_owned),
                    },
                );
            }
            found
        });
        let clauses = cites(&mut o, cx, None);
        o.finish(&mut cx.sink, &["id", "label", "category", "clause"]);
        if let Some(id) = id {
            out.push(ModerationGround {
                id: id.value.clone(),
                label,
                category,
                clauses,
            });
            seen.push(id);
        }
    }
    unique_ids(cx, RefKind::Item, seen.iter());
    out
}

fn read_credentials(mut o: Obj<'_, '_>, cx: &mut Cx) -> Credentials {
    let require = o.opt_str_list(&mut cx.sink, "require").unwrap_or_default();
    let mut has = HashMap::new();
    for r in &require {
        match r.value.as_str() {
            "letters" | "digits" | "symbols" => {
                has.insert(r.value.clone(), true);
            }
            _ => cx.push(
                r.span.clone(),
                ProblemKind::InvalidValue {
                    key: "credentials.require".into(),
                    value: r.value.clone(),
                    expected: "letters, digits, symbols".into(),
                },
            ),
        }
    }
    let c = Credentials {
        min_length: u32_opt(&mut o, cx, "min_length", 128),
        require_letters: has.contains_key("letters"),
        require_digits: has.contains_key("digits"),
        require_symbols: has.contains_key("symbols"),
        rotation_days: u32_opt(&mut o, cx, "rotation_days", 3650),
        distinct_across_platforms: o
            .opt_bool(&mut cx.sink, "distinct_across_platforms")
            .unwrap_or(false),
        clauses: cites(&mut o, cx, None),
    };
    o.finish(
        &mut cx.sink,
        &[
            "min_length",
            "require",
            "rotation_days",
            "distinct_across_platforms",
            "clause",
        ],
    );
    c
}

fn read_steps(o: &mut Obj<'_, '_>, cx: &mut Cx, parent: &Cites) -> Vec<Step> {
    let list = o.tables(&mut cx.sink, "steps");
    labelled(list, cx, parent, RefKind::Item)
        .into_iter()
        .map(|(id, label, clauses)| Step { id, label, clauses })
        .collect()
}

fn read_incidents(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<Incident> {
    let mut seen: Vec<At<String>> = Vec::new();
    let mut out = Vec::new();
    for mut o in root.tables(&mut cx.sink, "incidents") {
        let kind_at = o.opt_str(&mut cx.sink, "kind");
        let kind = choice(
            &mut o,
            cx,
            "kind",
            IncidentKind::IDS,
            IncidentKind::from_id,
            true,
        );
        let clauses = cites(&mut o, cx, None);
        let report_chain = role_list(&mut o, cx, "report_chain");
        let steps = read_steps(&mut o, cx, &clauses);
        o.finish(&mut cx.sink, &["kind", "clause", "report_chain", "steps"]);
        if let (Some(kind), Some(at)) = (kind, kind_at) {
            out.push(Incident {
                kind,
                report_chain,
                steps,
                clauses,
            });
            seen.push(at);
        }
    }
    unique_ids(cx, RefKind::Item, seen.iter());
    out
}

fn read_reminders(root: &mut Obj<'_, '_>, cx: &mut Cx) -> Vec<Reminder> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for mut o in root.tables(&mut cx.sink, "reminders") {
        let id = o.str(&mut cx.sink, "id");
        let when = choice(
            &mut o,
            cx,
            "when",
            &["posting", "training", "opening", "review"],
            |s| match s {
                "posting" => Some(ReminderWhen::Posting),
                "training" => Some(ReminderWhen::Training),
                "opening" => Some(ReminderWhen::Opening),
                "review" => Some(ReminderWhen::Review),
                _ => None,
            },
            true,
        );
        let label = text(&mut o, cx, "label");
        let clauses = cites(&mut o, cx, None);
        o.finish(&mut cx.sink, &["id", "when", "label", "clause"]);
        if let (Some(id), Some(when)) = (id, when) {
            out.push(Reminder {
                id: id.value.clone(),
                when,
                label,
                clauses,
            });
            seen.push(id);
        }
    }
    unique_ids(cx, RefKind::Item, seen.iter());
    out
}

/// Checks that every role, clause and question named anywhere is defined.
fn resolve(g: &Guideline, cx: &mut Cx) {
    let declared = std::mem::take(&mut cx.declared_roles);
    let roles: Vec<&str> = declared.iter().map(String::as_str).collect();
    let clauses: Vec<&str> = g.clauses.iter().map(|c| c.label.as_str()).collect();
    let questions: Vec<&str> = g
        .opening
        .existing_account_review
        .iter()
        .flat_map(|r| r.questions.iter().map(|q| q.id.as_str()))
        .collect();
    let refs = std::mem::take(&mut cx.refs);
    for (list, known, kind) in [
        (&refs.roles, &roles, RefKind::Role),
        (&refs.clauses, &clauses, RefKind::Clause),
        (&refs.questions, &questions, RefKind::Question),
    ] {
        for r in list {
            if !known.contains(&r.value.as_str()) {
                cx.push(
                    r.span.clone(),
                    ProblemKind::UnknownReference {
                        kind,
                        name: r.value.clone(),
                        hint: closest(&r.value, known).map(str::to_owned),
                    },
                );
            }
        }
    }
}
