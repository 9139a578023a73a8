//! One-line Japanese descriptions of every rule, grouped under the clause each cites:
//! what `koho guideline show` prints and what the web UI shows beside a clause.

use crate::model::*;

/// A rule as a reader of the guideline sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleLine {
    /// The TOML section, e.g. `checks.personal-info`.
    pub section: String,
    pub text: String,
}

fn stance_ja(s: StanceKind) -> &'static str {
    match s {
        StanceKind::Prohibited => "原則行わない",
        StanceKind::CaseByCase => "必要に応じて行う",
        StanceKind::Allowed => "行う",
    }
}

impl Guideline {
    fn role_name(&self, id: &str) -> String {
        self.role(id)
            .map_or_else(|| id.to_owned(), |r| r.name.clone())
    }

    /// Every rule, as `(clauses it cites, line)`, in the order of the file's sections.
    pub fn rule_lines(&self) -> Vec<(&Cites, RuleLine)> {
        let mut v: Vec<(&Cites, RuleLine)> = Vec::new();
        let line = |section: &str, text: String| RuleLine {
            section: section.to_owned(),
            text,
        };
        let o = &self.opening;
        v.push((
            &o.clauses,
            line(
                "opening",
                format!(
                    "公式アカウントの開設: {}が申請し、{}が承認する（申請者自身は承認できない）",
                    self.role_name(&o.applicant),
                    self.role_name(&o.approver)
                ),
            ),
        ));
        if let Some(w) = &o.waiver {
            v.push((
                &w.clauses,
                line(
                    "opening.waiver",
                    format!(
                        "{}が特に必要と認めるときは手続によらず開設できる（記録に残す）",
                        self.role_name(&w.by)
                    ),
                ),
            ));
        }
        if let Some(c) = &o.reapproval_on_purpose_change {
            v.push((
                c,
                line(
                    "opening.reapproval_on_purpose_change",
                    "利用目的を変更するときは改めて承認を受ける".into(),
                ),
            ));
        }
        for f in &o.fields {
            v.push((
                &f.clauses,
                line("opening.fields", format!("開設申請の記載事項: {}", f.label)),
            ));
        }
        if let Some(r) = &o.existing_account_review {
            for q in &r.questions {
                v.push((
                    &r.clauses,
                    line(
                        "opening.existing_account_review",
                        format!("既存アカウントの活用の検討 {}: {}", q.label, q.text),
                    ),
                ));
            }
        }
        if let Some(g) = &self.grandfathering {
            v.push((
                &g.clauses,
                line(
                    "grandfathering",
                    format!(
                        "施行前からのアカウントは承認不要、{}へ報告する",
                        self.role_name(&g.report_to)
                    ),
                ),
            ));
        }
        if let Some(p) = &self.operation_policy {
            let items: Vec<&str> = p.required_items.iter().map(|i| i.label.as_str()).collect();
            let publish = if p.publish { "。公開する" } else { "" };
            v.push((
                &p.clauses,
                line(
                    "operation_policy",
                    format!("運用ポリシーの記載事項: {}{publish}", items.join("、")),
                ),
            ));
        }
        for p in &self.profile {
            v.push((
                &p.clauses,
                line("profile", format!("プロフィール: {}", p.label)),
            ));
        }
        let a = &self.post_approval;
        let default = match a.default {
            ApprovalDefault::Required => {
                format!("投稿は{}の承認を得る", self.role_name(&a.approver))
            }
            ApprovalDefault::NotRequired => "投稿の承認は不要".to_owned(),
            ApprovalDefault::PerAccount => format!(
                "投稿の承認の要否はアカウントごとの運用ポリシーで定める（承認者: {}）",
                self.role_name(&a.approver)
            ),
        };
        v.push((&a.clauses, line("post_approval", default)));
        for e in &a.exceptions {
            let report = e
                .post_hoc_report_to
                .as_ref()
                .map(|r| format!("（事後に{}へ報告し了承を得る）", self.role_name(r)))
                .unwrap_or_default();
            v.push((
                &e.clauses,
                line(
                    "post_approval.exceptions",
                    format!("承認の例外: {}{report}", e.label),
                ),
            ));
        }
        for m in &a.required_for {
            v.push((
                &m.clauses,
                line(
                    "post_approval.required_for",
                    format!("承認が必要: {}", m.label),
                ),
            ));
        }
        for c in &self.content.allowed {
            v.push((
                &c.clauses,
                line("content.allowed", format!("発信する内容: {}", c.label)),
            ));
        }
        for c in &self.content.shares {
            v.push((
                &c.clauses,
                line("content.shares", format!("シェアしてよい情報: {}", c.label)),
            ));
        }
        if let Some(r) = &self.content.requests {
            v.push((
                &r.clauses,
                line(
                    "content.requests",
                    format!(
                        "他課からの発信依頼は{}が判断する",
                        self.role_name(&r.decided_by)
                    ),
                ),
            ));
        }
        for c in &self.checks {
            let note = c
                .note
                .as_ref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default();
            v.push((
                &c.clauses,
                line(
                    &format!("checks.{}", c.category.id()),
                    format!(
                        "投稿前チェック「{}」({}){note}",
                        c.category.label_ja(),
                        c.severity.id()
                    ),
                ),
            ));
        }
        for (section, word, stance) in [
            ("replies", "返信", &self.replies),
            ("follows", "フォロー", &self.follows),
        ] {
            if let Some(s) = stance {
                let who: Vec<String> = s.exception_by.iter().map(|r| self.role_name(r)).collect();
                let exception = match (who.is_empty(), s.exception_requires_all) {
                    (true, _) => String::new(),
                    (false, true) => {
                        format!("（{}がそろって許可した場合を除く）", who.join("及び"))
                    }
                    (false, false) => format!("（{}が許可した場合を除く）", who.join("又は")),
                };
                v.push((
                    &s.clauses,
                    line(
                        section,
                        format!("{word}: {}{exception}", stance_ja(s.policy)),
                    ),
                ));
            }
        }
        for m in &self.moderation {
            v.push((
                &m.clauses,
                line(
                    "moderation",
                    format!("コメント削除・ブロックの理由: {}", m.label),
                ),
            ));
        }
        if let Some(c) = &self.credentials {
            let mut parts = Vec::new();
            if let Some(n) = c.min_length {
                parts.push(format!("{n}文字以上"));
            }
            let mut kinds = Vec::new();
            if c.require_letters {
                kinds.push("英字");
            }
            if c.require_digits {
                kinds.push("数字");
            }
            if c.require_symbols {
                kinds.push("記号");
            }
            if !kinds.is_empty() {
                parts.push(format!("{}を含む", kinds.join("・")));
            }
            if let Some(d) = c.rotation_days {
                parts.push(format!("{d}日ごとに変更"));
            }
            if c.distinct_across_platforms {
                parts.push("他のサービスと同一・類似にしない".into());
            }
            v.push((
                &c.clauses,
                line("credentials", format!("パスワード: {}", parts.join("、"))),
            ));
        }
        if let Some(d) = &self.posting_devices {
            v.push((
                &d.clauses,
                line(
                    "posting_devices",
                    format!("投稿に使う端末: {}", d.allowed.join("、")),
                ),
            ));
        }
        if let Some(i) = &self.inactivity {
            v.push((
                &i.clauses,
                line(
                    "inactivity",
                    format!(
                        "{}日間投稿がなければ{}が点検し停止等を判断する",
                        i.after_days,
                        self.role_name(&i.decided_by)
                    ),
                ),
            ));
        }
        if let Some(r) = &self.annual_review {
            v.push((
                &r.clauses,
                line(
                    "annual_review",
                    format!(
                        "毎年{}月に運用状況を点検する（{}）",
                        r.month,
                        self.role_name(&r.decided_by)
                    ),
                ),
            ));
        }
        if let Some(s) = &self.suspension {
            let mut parts = vec![format!("運用停止は{}が判断", self.role_name(&s.decided_by))];
            if let Some(n) = s.notice_days {
                parts.push(format!("{n}日前から予告"));
            }
            if s.redirect_to_main {
                parts.push("代表アカウントへ誘導".into());
            }
            if s.keep_handle {
                parts.push("アカウントは削除せず保全".into());
            }
            if let Some(n) = s.recheck_days {
                parts.push(format!("停止後も{n}日ごとに状態を確認"));
            }
            v.push((&s.clauses, line("suspension", parts.join("、"))));
            for st in &s.steps {
                v.push((
                    &st.clauses,
                    line("suspension.steps", format!("停止の手順: {}", st.label)),
                ));
            }
        }
        if let Some(c) = &self.closure {
            let reason = if c.publish_reason {
                "（理由をホームページで公表）"
            } else {
                ""
            };
            v.push((
                &c.clauses,
                line(
                    "closure",
                    format!(
                        "重大な違反時は{}がアカウントを閉鎖できる{reason}",
                        self.role_name(&c.decided_by)
                    ),
                ),
            ));
        }
        if let Some(c) = &self.correction {
            let original = match c.original {
                OriginalHandling::Delete => "誤った投稿は削除し",
                OriginalHandling::KeepMarked => "誤った投稿は訂正済みと示し",
            };
            let apology = if c.apology {
                "、おわびとともに"
            } else {
                ""
            };
            v.push((
                &c.clauses,
                line(
                    "correction",
                    format!("訂正: {original}{apology}訂正した内容を投稿する"),
                ),
            ));
        }
        for i in &self.incidents {
            let kind = match i.kind {
                IncidentKind::Impersonation => "なりすまし",
                IncidentKind::Hijack => "乗っ取り",
                IncidentKind::Backlash => "炎上",
                IncidentKind::Error => "誤り",
                IncidentKind::ImportantMention => "重要な記述の発見",
            };
            let chain: Vec<String> = i.report_chain.iter().map(|r| self.role_name(r)).collect();
            let chain = if chain.is_empty() {
                String::new()
            } else {
                format!("（報告: {}）", chain.join(" → "))
            };
            v.push((
                &i.clauses,
                line("incidents", format!("{kind}への対応{chain}")),
            ));
            for st in &i.steps {
                v.push((
                    &st.clauses,
                    line("incidents.steps", format!("{kind}: {}", st.label)),
                ));
            }
        }
        for r in &self.reminders {
            let when = match r.when {
                ReminderWhen::Posting => "投稿時の確認",
                ReminderWhen::Training => "研修・年1回の確認",
                ReminderWhen::Opening => "開設時の確認",
                ReminderWhen::Review => "点検時の確認",
            };
            v.push((
                &r.clauses,
                line("reminders", format!("{when}: {}", r.label)),
            ));
        }
        v
    }

    /// Every clause in document order with the rules citing it.
    pub fn rules_by_clause(&self) -> Vec<(&Clause, Vec<RuleLine>)> {
        let lines = self.rule_lines();
        self.clauses
            .iter()
            .map(|c| {
                let rules = lines
                    .iter()
                    .filter(|(cites, _)| cites.contains(&c.label))
                    .map(|(_, l)| l.clone())
                    .collect();
                (c, rules)
            })
            .collect()
    }
}
