//! A municipality's social-media guideline as data.
//!
//! koho never hard-codes a municipality's rules: a guideline file (TOML) names the
//! roles, procedures, prohibited content and incident playbooks, and every rule cites
//! the clause it comes from, with the clause's original text. Five guidelines ship
//! as presets. The format is documented in `docs/guidelines/format.md`.
//!
//! This crate is pure: it parses text it is given and never touches files or clocks.

mod category;
mod describe;
mod model;
mod parse;
mod platform;
mod problem;
mod reader;

pub use category::Category;
pub use describe::RuleLine;
pub use model::*;
pub use platform::Platform;
pub use problem::{GuidelineErrors, Located, Problem, ProblemKind, RefKind, line_col};

/// The presets shipped with koho: `(id, TOML source)`.
pub const PRESETS: &[(&str, &str)] = &[
    ("takanabe", include_str!("../presets/takanabe.toml")),
    ("komae", include_str!("../presets/komae.toml")),
    ("mine", include_str!("../presets/mine.toml")),
    ("urausu", include_str!("../presets/urausu.toml")),
    ("kamisu", include_str!("../presets/kamisu.toml")),
];

/// Guidelines written for koho from scratch as examples: `midori` is the fictional
/// みどり市 of the demo and the evaluation corpus, with every check category enabled.
pub const EXAMPLES: &[(&str, &str)] =
    &[("midori", include_str!("../../../guidelines/midori.toml"))];

/// The TOML source of a built-in guideline: a preset or an example.
pub fn preset_source(id: &str) -> Option<&'static str> {
    PRESETS
        .iter()
        .chain(EXAMPLES)
        .find(|(p, _)| *p == id)
        .map(|(_, s)| *s)
}

impl Guideline {
    /// Parses and validates a guideline. `origin` names the source in error reports
    /// (a file path, or `preset:<id>`).
    pub fn parse(origin: &str, src: &str) -> Result<Guideline, GuidelineErrors> {
        parse::parse(src).map_err(|problems| GuidelineErrors {
            origin: origin.to_owned(),
            source: src.to_owned(),
            problems,
        })
    }

    /// Loads a built-in guideline (preset or example) by id.
    pub fn preset(id: &str) -> Option<Result<Guideline, GuidelineErrors>> {
        preset_source(id).map(|src| Guideline::parse(&format!("preset:{id}"), src))
    }

    pub fn clause(&self, label: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.label == label)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// The check rule for a category, if this guideline has a clause for it.
    pub fn check(&self, category: Category) -> Option<&CheckRule> {
        self.checks.iter().find(|c| c.category == category)
    }

    /// Every clause label some rule of this guideline cites, in first-cited order.
    pub fn cited_clauses(&self) -> Vec<&str> {
        let mut all: Vec<&Cites> = Vec::new();
        let o = &self.opening;
        all.push(&o.clauses);
        all.extend(o.waiver.iter().map(|w| &w.clauses));
        all.extend(o.reapproval_on_purpose_change.iter());
        all.extend(o.fields.iter().map(|f| &f.clauses));
        all.extend(o.existing_account_review.iter().map(|r| &r.clauses));
        all.extend(self.grandfathering.iter().map(|g| &g.clauses));
        all.extend(self.operation_policy.iter().map(|p| &p.clauses));
        all.extend(self.profile.iter().map(|p| &p.clauses));
        all.push(&self.post_approval.clauses);
        all.extend(self.post_approval.exceptions.iter().map(|e| &e.clauses));
        all.extend(self.post_approval.required_for.iter().map(|e| &e.clauses));
        all.extend(self.content.allowed.iter().map(|c| &c.clauses));
        all.extend(self.content.shares.iter().map(|c| &c.clauses));
        all.extend(self.content.requests.iter().map(|c| &c.clauses));
        all.extend(self.checks.iter().map(|c| &c.clauses));
        all.extend(self.replies.iter().map(|s| &s.clauses));
        all.extend(self.follows.iter().map(|s| &s.clauses));
        all.extend(self.moderation.iter().map(|m| &m.clauses));
        all.extend(self.credentials.iter().map(|c| &c.clauses));
        all.extend(self.posting_devices.iter().map(|c| &c.clauses));
        all.extend(self.inactivity.iter().map(|c| &c.clauses));
        all.extend(self.annual_review.iter().map(|c| &c.clauses));
        if let Some(s) = &self.suspension {
            all.push(&s.clauses);
            all.extend(s.steps.iter().map(|st| &st.clauses));
        }
        all.extend(self.closure.iter().map(|c| &c.clauses));
        all.extend(self.correction.iter().map(|c| &c.clauses));
        for i in &self.incidents {
            all.push(&i.clauses);
            all.extend(i.steps.iter().map(|st| &st.clauses));
        }
        all.extend(self.reminders.iter().map(|r| &r.clauses));
        let mut out: Vec<&str> = Vec::new();
        for label in all.into_iter().flatten() {
            if !out.contains(&label.as_str()) {
                out.push(label);
            }
        }
        out
    }
}
