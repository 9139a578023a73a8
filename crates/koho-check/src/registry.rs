//! The rule registry: every rule's stable code, name, category and documentation,
//! in one table (after ruff's `codes.rs`). Codes never change meaning; a retired
//! rule's code is not reused.

use koho_guideline::Category;

use crate::rules::{self, Cx};

/// A rule as users see it.
pub struct RuleInfo {
    /// Stable code: two letters for the category, three digits.
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    /// One line, Japanese, for listings.
    pub summary: &'static str,
    /// The user documentation (Markdown, Japanese): what it finds, why, examples.
    pub doc: &'static str,
    pub(crate) check: fn(&Cx<'_>, &mut Out),
}

impl std::fmt::Debug for RuleInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleInfo")
            .field("code", &self.code)
            .finish()
    }
}

/// Where a finding is, in the normalised text (bytes) or in the input (chars).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Span {
    Norm(usize, usize),
    Input(usize, usize),
}

#[derive(Debug)]
pub(crate) struct Emitted {
    pub(crate) rule: usize,
    pub(crate) span: Span,
    pub(crate) message: String,
    pub(crate) suggestion: Option<String>,
}

/// Where rules put their findings.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub(crate) current: usize,
    pub(crate) hits: Vec<Emitted>,
}

impl Out {
    /// A finding at a byte range of the normalised text.
    pub(crate) fn at(
        &mut self,
        start: usize,
        end: usize,
        message: String,
        suggestion: Option<String>,
    ) {
        self.hits.push(Emitted {
            rule: self.current,
            span: Span::Norm(start, end),
            message,
            suggestion,
        });
    }

    /// A finding at a character range of the input.
    pub(crate) fn at_input(
        &mut self,
        start: usize,
        end: usize,
        message: String,
        suggestion: Option<String>,
    ) {
        self.hits.push(Emitted {
            rule: self.current,
            span: Span::Input(start, end),
            message,
            suggestion,
        });
    }
}

macro_rules! registry {
    ($( $path:path ),* $(,)?) => {
        /// Every rule koho has, in code order.
        pub static RULES: &[RuleInfo] = &[
            $( RuleInfo {
                code: <$path as rules::Rule>::CODE,
                name: <$path as rules::Rule>::NAME,
                category: <$path as rules::Rule>::CATEGORY,
                summary: <$path as rules::Rule>::SUMMARY,
                doc: <$path as rules::Rule>::DOC,
                check: <$path as rules::Rule>::check,
            }, )*
        ];
    };
}

registry! {
    rules::length::PlatformLength,
    rules::images::ImageLocation,
    rules::images::AttachedImageConsent,
    rules::images::PeopleInPicture,
    rules::repeated::RepeatedPost,
    rules::personal_info::PhoneNumber,
    rules::personal_info::EmailAddress,
    rules::personal_info::HomeAddress,
    rules::personal_info::MyNumber,
    rules::personal_info::CorporateNumber,
    rules::personal_info::CardNumber,
    rules::personal_info::BankAccount,
    rules::personal_info::DriverLicense,
    rules::personal_info::DateOfBirth,
    rules::personal_info::PersonName,
    rules::personal_info::PersonFacts,
    rules::personal_info::ChildName,
    rules::personal_info::IdentifiableDescription,
    rules::rumor::Hearsay,
    rules::rumor::SpreadRequest,
    rules::undecided_policy::PolicyUnderConsideration,
    rules::undecided_policy::UnofficialPreview,
    rules::political::PartisanStance,
    rules::political::Campaigning,
    rules::religious::Proselytizing,
    rules::religious::ReligiousClaim,
    rules::commercial::ProductPromotion,
    rules::commercial::DiscountPromotion,
    rules::commercial::AffiliateLink,
    rules::commercial::PrivateJobListing,
    rules::social_advocacy::AdvocacyStance,
    rules::social_advocacy::CampaignCall,
    rules::personal_opinion::PersonalView,
    rules::personal_opinion::StaffFeelings,
    rules::illegal::IllegalIncitement,
    rules::illegal::PiratedContent,
    rules::confidential::InternalMaterial,
    rules::confidential::PreAnnouncementLeak,
    rules::security::Credential,
    rules::security::NetworkDetail,
    rules::security::AdminPage,
    rules::security::PhysicalSecurity,
    rules::security::Vulnerability,
    rules::discrimination::DiscriminatoryTerm,
    rules::discrimination::Stereotype,
    rules::insult::AbusiveWord,
    rules::insult::Ridicule,
    rules::insult::ImplicitRidicule,
    rules::obscene::SexualWord,
    rules::obscene::Sexualised,
    rules::masked_text::MaskRun,
    rules::masked_text::MaskInWord,
    rules::links::Shortener,
    rules::links::BrandShortener,
    rules::links::ThirdPartyLink,
    rules::copyright::Reprint,
    rules::copyright::UncreditedQuote,
    rules::copyright::CopiedMedia,
    rules::plain_language::Jargon,
    rules::plain_language::HardKanji,
    rules::plain_language::StiffEnding,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert_eq!(r.code.len(), 5, "{}", r.code);
            assert!(
                r.code[2..].chars().all(|c| c.is_ascii_digit()),
                "{}",
                r.code
            );
            assert!(!r.doc.trim().is_empty(), "{} has no documentation", r.code);
            assert!(!r.summary.trim().is_empty(), "{} has no summary", r.code);
        }
    }
}
