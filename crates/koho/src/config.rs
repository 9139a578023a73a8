//! koho's settings, declared once each (vaultwarden style): the environment variable, the
//! default, the documentation and whether the value is secret. `koho config` prints the
//! effective values with secrets redacted; a bad value is refused before anything runs
//! (exit 2).

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Where a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Env,
    Default,
}

/// One declared setting.
#[derive(Debug)]
pub struct Setting {
    /// The field name, e.g. `database_url`.
    pub name: &'static str,
    /// The environment variable that sets it.
    pub env: &'static str,
    /// Japanese documentation (shown by `koho config`).
    pub doc: &'static str,
    /// The value contains credentials: shown redacted.
    pub secret: bool,
    /// How the default is derived (documentation).
    pub default_doc: &'static str,
}

/// Declares the settings: one block per setting, with its env var, docs, secrecy and
/// default (an expression over the already-loaded earlier settings, `c`).
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $field:ident: env = $env:literal, secret = $secret:literal,
            default($c:ident) = $default:expr, default_doc = $default_doc:literal;
    )+) => {
        /// The effective configuration.
        #[derive(Clone, Debug, Default)]
        pub struct Config {
            $(pub $field: String,)+
            sources: Vec<(&'static str, Source)>,
        }

        /// Every setting, in order.
        pub const SETTINGS: &[Setting] = &[$(Setting {
            name: stringify!($field),
            env: $env,
            doc: concat!($($doc),+),
            secret: $secret,
            default_doc: $default_doc,
        }),+];

        impl Config {
            /// Loads every setting from `env` (the process environment in production).
            pub fn load_from(env: &dyn Fn(&str) -> Option<String>) -> CliResult<Config> {
                let mut c = Config::default();
                $(
                    match env($env).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
                        Some(v) => {
                            c.$field = v;
                            c.sources.push((stringify!($field), Source::Env));
                        }
                        None => {
                            let $c = &c;
                            let v: CliResult<String> = $default;
                            c.$field = v?;
                            c.sources.push((stringify!($field), Source::Default));
                        }
                    }
                )+
                c.validate()?;
                Ok(c)
            }

            fn raw(&self, name: &str) -> &str {
                match name {
                    $(stringify!($field) => &self.$field,)+
                    _ => "",
                }
            }
        }
    };
}

settings! {
    /// koho のデータディレクトリ。既定のデータベース（SQLite）を置く。
    data_dir: env = "KOHO_DATA_DIR", secret = false,
        default(_c) = default_data_dir(),
        default_doc = "$XDG_DATA_HOME/koho、なければ ~/.local/share/koho";
    /// データベースの URL: sqlite://パス（1自治体向け）または postgres://ユーザー@ホスト/DB（共有）。
    database_url: env = "DATABASE_URL", secret = true,
        default(c) = Ok(format!("sqlite://{}/koho.db", c.data_dir.trim_end_matches('/'))),
        default_doc = "sqlite://<データディレクトリ>/koho.db";
    /// 操作する自治体（テナント）の ID。
    municipality: env = "KOHO_MUNICIPALITY", secret = false,
        default(_c) = Ok("midori".to_owned()),
        default_doc = "midori（デモの架空の自治体 みどり市）";
    /// `koho check` などでガイドラインを指定しないときに使うガイドライン（プリセット ID またはファイル）。
    guideline: env = "KOHO_GUIDELINE", secret = false,
        default(_c) = Ok("midori".to_owned()),
        default_doc = "midori";
    /// koho を外部に公開しているアドレス（https://…）。Instagram・Threads・LINE は投稿画像をこのアドレス配下（/m/自治体ID/media/…）から取得する。未設定なら画像付きの投稿はこれらのサービスへ送信できない。https 以外はループバック（127.0.0.1、localhost）のみ可。
    public_url: env = "KOHO_PUBLIC_URL", secret = false,
        default(_c) = Ok(String::new()),
        default_doc = "（なし）";
    /// X の OAuth 2.0 クライアント ID。アクセストークンの更新（refresh_token）に使う。
    x_client_id: env = "KOHO_X_CLIENT_ID", secret = false,
        default(_c) = Ok(String::new()),
        default_doc = "（なし: X のトークンを自動更新しない）";
    /// X の OAuth 2.0 クライアントシークレット（Confidential client の場合）。
    x_client_secret: env = "KOHO_X_CLIENT_SECRET", secret = true,
        default(_c) = Ok(String::new()),
        default_doc = "（なし: Public client として更新する）";
    /// Meta のアプリ ID。Facebook・Instagram の長期トークンの更新（fb_exchange_token）に使う。
    meta_app_id: env = "KOHO_META_APP_ID", secret = false,
        default(_c) = Ok(String::new()),
        default_doc = "（なし: Facebook・Instagram のトークンを自動更新しない）";
    /// Meta のアプリシークレット。トークンの更新と、すべての Graph API 呼び出しの appsecret_proof に使う（認証情報ごとに保存したものが優先）。
    meta_app_secret: env = "KOHO_META_APP_SECRET", secret = true,
        default(_c) = Ok(String::new()),
        default_doc = "（なし）";
}

fn default_data_dir() -> CliResult<String> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(format!(
            "{}/koho",
            x.to_string_lossy().trim_end_matches('/')
        ));
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return Ok(format!(
            "{}/.local/share/koho",
            h.to_string_lossy().trim_end_matches('/')
        ));
    }
    Err(bad(
        "KOHO_DATA_DIR",
        "データディレクトリを決められません（HOME も XDG_DATA_HOME もありません）。KOHO_DATA_DIR を設定してください",
        "cannot determine the data directory: set KOHO_DATA_DIR",
    ))
}

fn bad(env: &str, ja: impl Into<String>, en: impl Into<String>) -> CliError {
    CliError::input(
        "CONFIG_INVALID",
        format!("設定 {env} が正しくありません: {}", ja.into()),
        format!("invalid setting {env}: {}", en.into()),
    )
}

/// Checks a database URL: `sqlite://PATH`, `sqlite::memory:` or
/// `postgres[ql]://[USER[:PASSWORD]@]HOST[:PORT]/DB`.
pub fn check_database_url(url: &str) -> Result<(), (String, String)> {
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Ok(());
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err((
            format!(
                "「{url}」を URL として解釈できません（sqlite://パス または postgres://ユーザー@ホスト/DB の形で指定してください）"
            ),
            format!("`{url}` is not a URL"),
        ));
    };
    match scheme {
        "sqlite" => {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err((
                    "sqlite の URL にファイルのパスがありません（例: sqlite:///var/lib/koho/koho.db）".to_owned(),
                    "sqlite URL without a path".to_owned(),
                ));
            }
            Ok(())
        }
        "postgres" | "postgresql" => {
            let Some(rest) = rest.strip_prefix("//") else {
                return Err((
                    format!(
                        "「{url}」を解釈できません（postgres://ユーザー@ホスト/DB の形で指定してください）"
                    ),
                    format!("`{url}` lacks `//`"),
                ));
            };
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (host, port) = match host_port.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
                _ => (host_port, None),
            };
            if host.is_empty() {
                return Err((
                    format!("「{url}」にホスト名がありません"),
                    format!("`{url}` has no host"),
                ));
            }
            if let Some(p) = port
                && p.parse::<u16>().is_err()
            {
                return Err((
                    format!("「{url}」のポート番号「{p}」が数値ではありません"),
                    format!("`{url}` has an invalid port `{p}`"),
                ));
            }
            if host.chars().any(|c| c.is_whitespace()) {
                return Err((
                    format!("「{url}」のホスト名に空白があります"),
                    format!("`{url}` has whitespace in the host"),
                ));
            }
            Ok(())
        }
        other => Err((
            format!(
                "「{other}」は使えないデータベースの種類です。sqlite:// か postgres:// を指定してください"
            ),
            format!("unknown database scheme `{other}` (use sqlite:// or postgres://)"),
        )),
    }
}

/// Municipality ids: lowercase ASCII letters, digits and `-`, starting with a letter or digit.
fn check_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// Hides the password of a URL (`postgres://koho:****@db/koho`) and `password=` parameters.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some((scheme, rest)) = url.split_once("://") {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some((userinfo, host)) = authority.rsplit_once('@')
            && let Some((user, _)) = userinfo.split_once(':')
        {
            out = format!("{scheme}://{user}:****@{host}{}", &rest[end..]);
        }
    }
    if let Some(q) = out.find('?') {
        let (base, query) = out.split_at(q + 1);
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _))
                    if k.eq_ignore_ascii_case("password")
                        || k.eq_ignore_ascii_case("sslpassword") =>
                {
                    format!("{k}=****")
                }
                _ => p.to_owned(),
            })
            .collect();
        out = format!("{base}{}", params.join("&"));
    }
    out
}

impl Config {
    /// Loads from the process environment.
    pub fn load() -> CliResult<Config> {
        Config::load_from(&|k| std::env::var(k).ok())
    }

    fn validate(&self) -> CliResult<()> {
        if let Err((ja, en)) = check_database_url(&self.database_url) {
            return Err(bad("DATABASE_URL", ja, en));
        }
        if !self.public_url.is_empty()
            && let Err(e) = koho_workflow::media_links::check_public_url(&self.public_url)
        {
            return Err(bad(
                "KOHO_PUBLIC_URL",
                format!(
                    "「{}」は使えません。https:// で始まるアドレスを指定してください（http はループバックのみ）",
                    self.public_url
                ),
                e.0,
            ));
        }
        if !check_slug(&self.municipality) {
            return Err(bad(
                "KOHO_MUNICIPALITY",
                format!(
                    "「{}」は自治体 ID として使えません（英小文字・数字・ハイフン）",
                    self.municipality
                ),
                format!("`{}` is not a municipality id", self.municipality),
            ));
        }
        Ok(())
    }

    /// Where a setting's value came from.
    pub fn source(&self, name: &str) -> Source {
        self.sources
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Source::Default, |(_, s)| *s)
    }

    /// The value as `koho config` shows it.
    pub fn shown(&self, setting: &Setting) -> String {
        let raw = self.raw(setting.name);
        if setting.secret && !raw.is_empty() && !raw.contains("://") {
            // A plain secret (an app secret), not a URL with a password in it.
            "****".to_owned()
        } else if setting.secret {
            redact_url(raw)
        } else {
            raw.to_owned()
        }
    }

    /// The SQLite file of `database_url`, when it is one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
            return None;
        }
        Some(std::path::PathBuf::from(path))
    }
}

/// `koho config`: the effective settings, secrets redacted.
pub fn show(json: bool) -> CliResult<u8> {
    let c = Config::load()?;
    if json {
        let list: Vec<serde_json::Value> = SETTINGS
            .iter()
            .map(|s| {
                serde_json::json!({
                    "name": s.name,
                    "env": s.env,
                    "value": c.shown(s),
                    "source": c.source(s.name),
                    "secret": s.secret,
                    "default": s.default_doc,
                    "doc": s.doc.trim(),
                })
            })
            .collect();
        crate::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        ))?;
        return Ok(0);
    }
    let mut s = String::new();
    for st in SETTINGS {
        let source = match c.source(st.name) {
            Source::Env => "環境変数",
            Source::Default => "既定値",
        };
        s.push_str(&format!(
            "{} = {}    （{source}{}）\n    {}\n    既定値: {}\n",
            st.env,
            c.shown(st),
            if st.secret {
                "、秘密情報は伏せ字"
            } else {
                ""
            },
            st.doc.trim(),
            st.default_doc
        ));
    }
    crate::out(&s)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> CliResult<Config> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load_from(&move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_derive_from_the_data_dir() {
        let c = load(&[("KOHO_DATA_DIR", "/srv/koho/")]).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/koho/koho.db");
        assert_eq!(c.municipality, "midori");
        assert_eq!(c.source("database_url"), Source::Default);
        assert_eq!(c.source("data_dir"), Source::Env);
        assert_eq!(
            c.sqlite_path().unwrap(),
            std::path::PathBuf::from("/srv/koho/koho.db")
        );
    }

    #[test]
    fn bad_urls_are_refused_in_japanese() {
        for url in [
            "mysql://x/y",
            "koho.db",
            "postgres://",
            "postgres://h:port/db",
            "sqlite://",
        ] {
            let e = load(&[("KOHO_DATA_DIR", "/x"), ("DATABASE_URL", url)]).unwrap_err();
            assert_eq!(e.exit, 2, "{url}");
            assert!(e.ja.contains("DATABASE_URL"), "{}", e.ja);
        }
        assert!(
            load(&[
                ("KOHO_DATA_DIR", "/x"),
                ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koho")
            ])
            .is_ok()
        );
        assert!(
            load(&[
                ("KOHO_DATA_DIR", "/x"),
                ("KOHO_MUNICIPALITY", "Midori City")
            ])
            .is_err()
        );
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("postgres://koho:s3cret@db:5432/koho"),
            "postgres://koho:****@db:5432/koho"
        );
        assert_eq!(
            redact_url("postgres://db/koho?user=k&password=x"),
            "postgres://db/koho?user=k&password=****"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/koho.db"),
            "sqlite:///var/lib/koho.db"
        );
        let c = load(&[
            ("KOHO_DATA_DIR", "/x"),
            ("DATABASE_URL", "postgres://u:pw@h/d"),
        ])
        .unwrap();
        let s = SETTINGS.iter().find(|s| s.env == "DATABASE_URL").unwrap();
        assert!(!c.shown(s).contains("pw"));
        let c = load(&[
            ("KOHO_DATA_DIR", "/x"),
            ("KOHO_META_APP_SECRET", "0123456789abcdef"),
        ])
        .unwrap();
        let s = SETTINGS
            .iter()
            .find(|s| s.env == "KOHO_META_APP_SECRET")
            .unwrap();
        assert_eq!(c.shown(s), "****");
    }

    #[test]
    fn the_public_url_is_https_or_loopback() {
        for ok in ["https://koho.city.example.jp", "http://127.0.0.1:8080/"] {
            let c = load(&[("KOHO_DATA_DIR", "/x"), ("KOHO_PUBLIC_URL", ok)]).unwrap();
            assert!(c.public_url.starts_with("http"));
        }
        for bad in ["http://koho.city.example.jp", "koho.city.example.jp"] {
            let e = load(&[("KOHO_DATA_DIR", "/x"), ("KOHO_PUBLIC_URL", bad)]).unwrap_err();
            assert_eq!(e.exit, 2, "{bad}");
            assert!(e.ja.contains("KOHO_PUBLIC_URL"), "{}", e.ja);
        }
        let c = load(&[("KOHO_DATA_DIR", "/x")]).unwrap();
        assert!(c.public_url.is_empty());
    }
}
