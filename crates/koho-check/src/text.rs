//! Small text facts several rules share: where the URLs are, what host they name.

use std::sync::LazyLock;

use regex::Regex;

/// A URL in the normalised text.
#[derive(Debug, Clone)]
pub(crate) struct UrlMatch {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Lower-case host name, without `www.`-style stripping.
    pub(crate) host: String,
}

// ASCII classes on purpose: Unicode `\w` would run on into the Japanese that follows
// a URL with no space ("https://example.jp/をご覧ください").
static URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(?:https?://|www\.)[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]*)?|(?-u:\b)[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|net|org|jp|io|co|ly|gl|gd|me|to|info|biz|link|page|site|app|dev|cc|tv|be|us|ws|la|li|nu|im|fm|am|sh|tk|ml|ga|cf|gq|xyz|shop|online|tokyo)(?:/[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]*)?(?-u:\b)",
    )
    .ok()
});

/// Every URL-like span, including bare domains such as `bit.ly/abc`.
pub(crate) fn find_urls(text: &str) -> Vec<UrlMatch> {
    let Some(re) = URL.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in re.find_iter(text) {
        let s = m.as_str();
        // An e-mail address's domain is not a link.
        if m.start() > 0 && text.as_bytes()[m.start() - 1] == b'@' {
            continue;
        }
        let mut end = m.end();
        // Sentence punctuation right after a URL is not part of it.
        while end > m.start()
            && matches!(
                text.as_bytes()[end - 1],
                b'.' | b',' | b')' | b']' | b'!' | b'?' | b'\'' | b';' | b':'
            )
        {
            end -= 1;
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let host: String = rest
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if host.contains('.') {
            out.push(UrlMatch {
                start: m.start(),
                end,
                host,
            });
        }
    }
    out
}

/// Whether `host` is `domain` or one of its subdomains.
pub(crate) fn host_within(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// Public bodies' domains: national and local government, always trustworthy links.
pub(crate) fn is_public_body(host: &str) -> bool {
    host.ends_with(".go.jp")
        || host.ends_with(".lg.jp")
        || host_within(host, "gov")
        || host.ends_with(".ed.jp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stop_at_japanese_and_punctuation() {
        let t = "詳しくはhttps://www.city.example.lg.jp/a/b.htmlをご覧ください。bit.ly/3abc も。";
        let u = find_urls(t);
        assert_eq!(u.len(), 2);
        assert_eq!(
            &t[u[0].start..u[0].end],
            "https://www.city.example.lg.jp/a/b.html"
        );
        assert_eq!(u[0].host, "www.city.example.lg.jp");
        assert_eq!(u[1].host, "bit.ly");
    }

    #[test]
    fn email_domain_is_not_a_url() {
        assert!(find_urls("mail: taro@example.com").is_empty());
    }

    #[test]
    fn subdomain_matching() {
        assert!(host_within("www.city.komae.lg.jp", "city.komae.lg.jp"));
        assert!(!host_within(
            "evilcity.komae.lg.jp.example.com",
            "city.komae.lg.jp"
        ));
        assert!(!host_within("xcity.komae.lg.jp", "city.komae.lg.jp"));
    }
}
