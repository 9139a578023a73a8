//! Errors a request can end in. A handler returns an [`AppError`]; the response
//! carries it as an extension, and the outermost middleware renders it — as an
//! HTML page or as JSON under `/api/` — with the stable code and the request id,
//! in the user's language. Never a stack trace, never the input.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use koho_check::InputError;

use crate::i18n::{Msgs, fill};

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    /// Stable, documented, never translated.
    pub code: &'static str,
    msg: fn(&Msgs) -> &'static str,
    args: Vec<(&'static str, String)>,
}

impl AppError {
    fn new(status: StatusCode, code: &'static str, msg: fn(&Msgs) -> &'static str) -> Self {
        AppError {
            status,
            code,
            msg,
            args: Vec::new(),
        }
    }

    fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// The message in one language, placeholders filled.
    pub fn message(&self, m: &Msgs) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fill((self.msg)(m), &args)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", |m| m.error_not_found)
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", |m| {
            m.error_method_not_allowed
        })
        .arg(
            "method",
            method
                .chars()
                .filter(char::is_ascii_alphabetic)
                .take(16)
                .collect::<String>(),
        )
    }

    pub fn csrf_missing() -> Self {
        Self::new(StatusCode::FORBIDDEN, "CSRF_TOKEN_MISSING", |m| {
            m.error_csrf_missing
        })
    }

    pub fn csrf_invalid() -> Self {
        Self::new(StatusCode::FORBIDDEN, "CSRF_TOKEN_INVALID", |m| {
            m.error_csrf_invalid
        })
    }

    pub fn csrf_cross_site() -> Self {
        Self::new(StatusCode::FORBIDDEN, "CSRF_CROSS_SITE", |m| {
            m.error_csrf_cross_site
        })
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "API_UNSUPPORTED_MEDIA_TYPE",
            |m| m.error_unsupported_media_type,
        )
    }

    pub fn bad_json(e: &serde_json::Error) -> Self {
        if e.is_data() {
            return Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "API_INVALID_REQUEST",
                |m| m.error_invalid_request,
            );
        }
        Self::new(StatusCode::BAD_REQUEST, "API_BAD_JSON", |m| {
            m.error_bad_json
        })
        .arg("line", e.line().to_string())
        .arg("column", e.column().to_string())
    }

    pub fn bad_form() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "FORM_BAD", |m| m.error_bad_form)
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "INPUT_TOO_LARGE", |m| {
            m.error_body_too_large
        })
        .arg("limit", limit.to_string())
    }

    /// Text the checker refuses (see [`koho_check::validate_text`]).
    pub fn input(e: &InputError) -> Self {
        let s = StatusCode::UNPROCESSABLE_ENTITY;
        match e {
            InputError::Empty => Self::new(s, e.code(), |m| m.error_input_empty),
            InputError::TooLarge { bytes } => Self::new(s, e.code(), |m| m.error_input_too_large)
                .arg("bytes", bytes.to_string())
                .arg("limit", koho_check::MAX_INPUT_BYTES.to_string()),
            InputError::ControlChar { at, code } => {
                Self::new(s, e.code(), |m| m.error_input_control_char)
                    .arg("at", (at + 1).to_string())
                    .arg("code", format!("{code:04X}"))
            }
            InputError::BidiControl { at, code } => {
                Self::new(s, e.code(), |m| m.error_input_bidi_control)
                    .arg("at", (at + 1).to_string())
                    .arg("code", format!("{code:04X}"))
            }
        }
    }

    pub fn unknown_platform(given: &str) -> Self {
        let all: Vec<&str> = koho_check::Platform::ALL.iter().map(|p| p.id()).collect();
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INPUT_UNKNOWN_PLATFORM",
            |m| m.error_unknown_platform,
        )
        .arg("platform", shorten(given))
        .arg("all", all.join(", "))
    }

    pub fn unknown_guideline(given: &str, available: &[&str]) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INPUT_UNKNOWN_GUIDELINE",
            |m| m.error_unknown_guideline,
        )
        .arg("guideline", shorten(given))
        .arg("all", available.join(", "))
    }

    pub fn no_municipality() -> Self {
        Self::new(StatusCode::NOT_FOUND, "REGISTER_NO_MUNICIPALITY", |m| {
            m.error_register_no_municipality
        })
    }

    pub fn unknown_municipality(slug: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "REGISTER_UNKNOWN_MUNICIPALITY",
            |m| m.error_register_unknown_municipality,
        )
        .arg("slug", shorten(slug))
    }

    pub fn account_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "REGISTER_ACCOUNT_NOT_FOUND", |m| {
            m.error_register_account_not_found
        })
    }

    pub fn no_policy() -> Self {
        Self::new(StatusCode::NOT_FOUND, "REGISTER_POLICY_NOT_FOUND", |m| {
            m.error_register_no_policy
        })
    }

    pub fn verify_query_too_long(limit: usize) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VERIFY_QUERY_TOO_LONG",
            |m| m.error_register_query_too_long,
        )
        .arg("limit", limit.to_string())
    }

    pub fn verify_query_control() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VERIFY_QUERY_CONTROL_CHAR",
            |m| m.error_register_query_control,
        )
    }

    pub fn verify_query_empty() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VERIFY_QUERY_EMPTY",
            |m| m.error_register_query_empty,
        )
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", |m| {
            m.error_internal
        })
    }

    // ---- sign-in and staff pages (auth)

    /// `401 AUTH_REQUIRED`: an API route that needs a bearer token got none.
    pub fn sign_in_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AUTH_REQUIRED", |m| {
            m.auth_error_required
        })
    }

    /// `401 AUTH_TOKEN_INVALID`: unknown, expired or revoked token, or its role is gone.
    pub fn token_invalid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AUTH_TOKEN_INVALID", |m| {
            m.auth_error_token
        })
    }

    /// `403 AUTH_FORBIDDEN`: the person's roles do not allow the action; `detail` (from the
    /// workflow, Japanese) names the roles that may and the guideline clause.
    pub fn forbidden(detail: String) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AUTH_FORBIDDEN", |m| {
            m.auth_error_forbidden
        })
        .arg("detail", detail)
    }

    /// A workflow's refusal with its own stable code (`WF_…`) and Japanese message.
    pub fn refused(status: StatusCode, code: &'static str, detail: String) -> Self {
        Self::new(status, code, |m| m.auth_error_refused).arg("detail", detail)
    }

    /// `422 API_INVALID_QUERY`: a query parameter has a value the route does not know.
    pub fn invalid_query(name: &'static str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "API_INVALID_QUERY", |m| {
            m.auth_error_invalid_query
        })
        .arg("name", name)
    }

    // ---- posts (staff workspace and API)

    /// `422 API_INVALID_REQUEST`: a JSON body of the posts API with missing, unknown or
    /// mistyped fields.
    pub fn invalid_request() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "API_INVALID_REQUEST",
            |m| m.posts_error_invalid_request,
        )
    }

    /// `422 POST_NO_EMERGENCY`: the guideline lists no approval exception reported
    /// afterwards, so nothing may go out at once.
    pub fn no_emergency_exception(guideline: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "POST_NO_EMERGENCY", |m| {
            m.posts_error_no_emergency
        })
        .arg("guideline", shorten(guideline))
    }
}

/// Echoed user input is cut short, so an error message stays a message.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, JA};

    #[test]
    fn messages_fill_every_placeholder() {
        let errs = [
            AppError::not_found(),
            AppError::method_not_allowed("PUT"),
            AppError::csrf_missing(),
            AppError::csrf_invalid(),
            AppError::csrf_cross_site(),
            AppError::unsupported_media_type(),
            AppError::bad_json(&serde_json::from_str::<serde_json::Value>("{").unwrap_err()),
            AppError::bad_form(),
            AppError::body_too_large(10),
            AppError::input(&InputError::Empty),
            AppError::input(&InputError::TooLarge { bytes: 9 }),
            AppError::input(&InputError::ControlChar { at: 0, code: 7 }),
            AppError::input(&InputError::BidiControl {
                at: 3,
                code: 0x202E,
            }),
            AppError::unknown_platform("myspace"),
            AppError::unknown_guideline("x", &["midori"]),
            AppError::no_municipality(),
            AppError::unknown_municipality("x"),
            AppError::account_not_found(),
            AppError::no_policy(),
            AppError::verify_query_too_long(300),
            AppError::verify_query_control(),
            AppError::verify_query_empty(),
            AppError::internal(),
            AppError::sign_in_required(),
            AppError::token_invalid(),
            AppError::forbidden("x".into()),
            AppError::refused(StatusCode::CONFLICT, "WF_X", "x".into()),
            AppError::invalid_query("status"),
            AppError::invalid_request(),
            AppError::no_emergency_exception("midori"),
        ];
        for e in errs {
            for m in [&JA, &EN] {
                let s = e.message(m);
                assert!(!s.contains('{'), "{}: {s}", e.code);
            }
        }
    }

    #[test]
    fn echoed_input_is_shortened() {
        let e = AppError::unknown_platform(&"a".repeat(100));
        assert!(e.message(&JA).contains(&format!("{}…", "a".repeat(40))));
    }
}
