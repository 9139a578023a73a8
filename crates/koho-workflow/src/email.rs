//! Registration e-mail addresses must be the municipality's own (神栖市 第8条(4): the
//! address of the owning section). Pure functions.

use koho_guideline::{FieldId, Guideline, ProfileItem};

use crate::error::WorkflowError;

/// Whether `email`'s domain is one of `domains` or a subdomain of one.
pub fn on_domains(email: &str, domains: &[String]) -> bool {
    let Some((local, domain)) = email.trim().rsplit_once('@') else {
        return false;
    };
    if local.is_empty() {
        return false;
    }
    let domain = domain.to_lowercase();
    domains.iter().any(|d| {
        let d = d.trim().to_lowercase();
        domain == d || domain.ends_with(&format!(".{d}"))
    })
}

/// The clause that makes the e-mail rule: the profile's department-email requirement, else
/// the application's e-mail field.
pub fn clause(g: &Guideline) -> Option<String> {
    g.profile
        .iter()
        .find(|p| p.id == ProfileItem::DepartmentEmail)
        .and_then(|p| p.clauses.first().cloned())
        .or_else(|| {
            g.opening
                .fields
                .iter()
                .find(|f| f.id == FieldId::Email)
                .and_then(|f| f.clauses.first().cloned())
        })
}

/// Refuses an address outside the municipality's domains.
pub fn check(g: &Guideline, email: &str) -> Result<(), WorkflowError> {
    if on_domains(email, &g.municipality.domains) {
        return Ok(());
    }
    Err(WorkflowError::ForeignEmailDomain {
        email: email.trim().to_owned(),
        domains: g.municipality.domains.clone(),
        guideline: g.id.clone(),
        clause: clause(g),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_subdomains() {
        let d = vec!["city.kamisu.ibaraki.jp".to_owned()];
        assert!(on_domains("kouhou@city.kamisu.ibaraki.jp", &d));
        assert!(on_domains("x@KOHO.City.Kamisu.Ibaraki.jp", &d));
        assert!(!on_domains("kamisu@gmail.com", &d));
        assert!(!on_domains("x@evilcity.kamisu.ibaraki.jp.example", &d));
        assert!(!on_domains("x@notcity.kamisu.ibaraki.jp", &d));
        assert!(!on_domains("@city.kamisu.ibaraki.jp", &d));
    }

    #[test]
    fn kamisu_cites_article_8() {
        let g = Guideline::preset("kamisu").unwrap().unwrap();
        let e = check(&g, "kamisu.pr@gmail.com").unwrap_err();
        assert_eq!(e.code(), "WF_EMAIL_DOMAIN");
        assert!(e.ja().contains("第8条(4)"), "{}", e.ja());
    }
}
