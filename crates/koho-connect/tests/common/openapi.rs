//! A small offline validator of HTTP requests against an official OpenAPI 3 document:
//! the path and method must exist, required header and query parameters must be
//! present and well-typed, unknown query parameters are errors, and the body (JSON or
//! multipart form) must satisfy the operation's schema — `$ref`, `allOf`, `oneOf`,
//! `anyOf`, discriminators, `required`, `additionalProperties: false`, types, `enum`,
//! `pattern`, lengths, item counts, `format: uuid`.

use regex::Regex;
use serde_json::Value;

pub struct Spec {
    doc: Value,
}

pub struct SentRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: &'a [u8],
}

impl Spec {
    pub fn load(path: &str) -> Spec {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: Value = if path.ends_with(".json") {
            serde_json::from_str(&text).unwrap()
        } else {
            serde_yaml::from_str(&text).unwrap()
        };
        Spec { doc }
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        let mut v = v;
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let ptr = r.trim_start_matches('#');
            v = self
                .doc
                .pointer(ptr)
                .unwrap_or_else(|| panic!("unresolved $ref {r}"));
        }
        v
    }

    fn find_path(&self, path: &str) -> Option<(&str, &Value)> {
        let paths = self.doc.get("paths")?.as_object()?;
        if let Some((k, v)) = paths.get_key_value(path) {
            return Some((k.as_str(), v));
        }
        let segs: Vec<&str> = path.split('/').collect();
        paths
            .iter()
            .filter(|(tmpl, _)| {
                let t: Vec<&str> = tmpl.split('/').collect();
                t.len() == segs.len()
                    && t.iter().zip(&segs).all(|(a, b)| {
                        (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b
                    })
            })
            // The most literal template wins (`/2/users/me` over `/2/users/{id}`).
            .max_by_key(|(tmpl, _)| tmpl.split('/').filter(|s| !s.starts_with('{')).count())
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Every way `req` breaks the spec; empty when it conforms.
    pub fn check(&self, req: &SentRequest<'_>) -> Vec<String> {
        let mut errs = Vec::new();
        let Some((tmpl, item)) = self.find_path(req.path) else {
            return vec![format!(
                "{} {}: no such path in the spec",
                req.method, req.path
            )];
        };
        let Some(op) = item.get(req.method.to_lowercase()) else {
            return vec![format!("{} {tmpl}: method not in the spec", req.method)];
        };
        let params: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            )
            .map(|p| self.resolve(p))
            .collect();
        for p in &params {
            let name = p["name"].as_str().unwrap_or_default();
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            let schema = p.get("schema").map(|s| self.resolve(s));
            let values: Vec<&str> = match p["in"].as_str() {
                Some("header") => req
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
                    .collect(),
                Some("query") => req
                    .query
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                _ => continue,
            };
            if values.is_empty() && required {
                errs.push(format!("{tmpl}: required parameter {name} missing"));
            }
            if let Some(s) = schema {
                for v in values {
                    let typed = match s.get("type").and_then(Value::as_str) {
                        Some("integer") => v
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(v.into())),
                        Some("array") => {
                            Value::Array(v.split(',').map(|x| Value::String(x.into())).collect())
                        }
                        _ => Value::String(v.into()),
                    };
                    self.validate(&typed, s, &format!("{tmpl} {name}"), false, &mut errs);
                }
            }
        }
        for (k, _) in &req.query {
            if !params
                .iter()
                .any(|p| p["in"] == "query" && p["name"].as_str() == Some(k))
            {
                errs.push(format!("{tmpl}: unknown query parameter {k}"));
            }
        }
        if let Some(body) = op.get("requestBody").map(|b| self.resolve(b)) {
            let required = body
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if req.body.is_empty() {
                if required {
                    errs.push(format!("{tmpl}: request body required"));
                }
                return errs;
            }
            let ct = req.content_type.clone().unwrap_or_default();
            let media = ct.split(';').next().unwrap_or("").trim().to_owned();
            let Some(content) = body["content"].get(&media) else {
                errs.push(format!("{tmpl}: content type {media} not accepted"));
                return errs;
            };
            let value = if media == "multipart/form-data" {
                parse_multipart(&ct, req.body)
            } else {
                match serde_json::from_slice(req.body) {
                    Ok(v) => v,
                    Err(e) => {
                        errs.push(format!("{tmpl}: body is not JSON: {e}"));
                        return errs;
                    }
                }
            };
            let schema = self.resolve(&content["schema"]);
            self.validate(&value, schema, &format!("{tmpl} body"), false, &mut errs);
        } else if !req.body.is_empty() {
            errs.push(format!("{tmpl}: the operation takes no body"));
        }
        errs
    }

    fn validate(
        &self,
        v: &Value,
        schema: &Value,
        at: &str,
        in_all_of: bool,
        errs: &mut Vec<String>,
    ) {
        let s = self.resolve(schema);
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.validate(v, sub, at, true, errs);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                let ok = alts.iter().any(|alt| {
                    let mut e = Vec::new();
                    self.validate(v, alt, at, false, &mut e);
                    e.is_empty()
                });
                if !ok {
                    errs.push(format!("{at}: matches none of {key}"));
                }
            }
        }
        // A discriminator sends the value to its concrete schema, which usually
        // includes this one through allOf: do not follow it again from there.
        if !in_all_of && let Some(d) = s.get("discriminator") {
            let prop = d["propertyName"].as_str().unwrap_or("type");
            match v.get(prop).and_then(Value::as_str) {
                Some(tag) => match d["mapping"].get(tag) {
                    Some(target) => {
                        // Mapping values are bare references, not `{"$ref": …}`.
                        let ptr = target.as_str().unwrap_or_default().trim_start_matches('#');
                        let t = self
                            .doc
                            .pointer(ptr)
                            .unwrap_or_else(|| panic!("unresolved mapping {target}"));
                        if !std::ptr::eq(t, s) {
                            self.validate(v, t, &format!("{at}<{tag}>"), false, errs);
                        }
                    }
                    None => errs.push(format!("{at}: unknown {prop} {tag}")),
                },
                None => errs.push(format!("{at}: missing discriminator {prop}")),
            }
        }
        if let Some(values) = s.get("enum").and_then(Value::as_array)
            && !values.contains(v)
        {
            errs.push(format!("{at}: {v} not in enum"));
        }
        match s.get("type").and_then(Value::as_str) {
            Some("object") => {
                let Some(obj) = v.as_object() else {
                    errs.push(format!("{at}: expected object, got {v}"));
                    return;
                };
                for r in s
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let r = r.as_str().unwrap_or_default();
                    if !obj.contains_key(r) {
                        errs.push(format!("{at}: required property {r} missing"));
                    }
                }
                let props = s.get("properties").and_then(Value::as_object);
                for (k, val) in obj {
                    match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.validate(val, ps, &format!("{at}.{k}"), false, errs),
                        None => {
                            if s.get("additionalProperties") == Some(&Value::Bool(false)) {
                                errs.push(format!("{at}: property {k} not allowed"));
                            }
                        }
                    }
                }
            }
            Some("array") => {
                let Some(items) = v.as_array() else {
                    errs.push(format!("{at}: expected array, got {v}"));
                    return;
                };
                if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    errs.push(format!("{at}: fewer than {min} items"));
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                    && items.len() as u64 > max
                {
                    errs.push(format!("{at}: more than {max} items"));
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(item, item_schema, &format!("{at}[{i}]"), false, errs);
                    }
                }
            }
            Some("string") => {
                let Some(text) = v.as_str() else {
                    errs.push(format!("{at}: expected string, got {v}"));
                    return;
                };
                let n = text.chars().count() as u64;
                if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                    && n > max
                {
                    errs.push(format!("{at}: longer than {max}"));
                }
                if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                    && n < min
                {
                    errs.push(format!("{at}: shorter than {min}"));
                }
                if let Some(p) = s.get("pattern").and_then(Value::as_str)
                    && !Regex::new(p).unwrap().is_match(text)
                {
                    errs.push(format!("{at}: {text:?} does not match {p}"));
                }
                match s.get("format").and_then(Value::as_str) {
                    Some("uuid") if (uuid::Uuid::parse_str(text).is_err() || text.len() != 36) => {
                        errs.push(format!("{at}: {text:?} is not a UUID"));
                    }
                    Some("uri") if url::Url::parse(text).is_err() => {
                        errs.push(format!("{at}: {text:?} is not a URI"));
                    }
                    _ => {}
                }
            }
            Some("integer") => match v.as_i64() {
                None => errs.push(format!("{at}: expected integer, got {v}")),
                Some(n) => {
                    if let Some(min) = s.get("minimum").and_then(Value::as_i64)
                        && n < min
                    {
                        errs.push(format!("{at}: {n} below {min}"));
                    }
                    if let Some(max) = s.get("maximum").and_then(Value::as_i64)
                        && n > max
                    {
                        errs.push(format!("{at}: {n} above {max}"));
                    }
                }
            },
            Some("number") if !v.is_number() => {
                errs.push(format!("{at}: expected number, got {v}"))
            }
            Some("boolean") if !v.is_boolean() => {
                errs.push(format!("{at}: expected boolean, got {v}"));
            }
            _ => {}
        }
    }
}

/// The fields of a multipart form as a JSON object of strings (file parts included,
/// as the text of their bytes), which is how the spec's schemas describe them.
fn parse_multipart(content_type: &str, body: &[u8]) -> Value {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .unwrap_or_default()
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut obj = serde_json::Map::new();
    for part in text.split(delim.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))
            .map(|n| {
                n.split("\r\n")
                    .next()
                    .unwrap_or(n)
                    .trim_matches('"')
                    .to_owned()
            });
        if let Some(name) = name {
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            obj.insert(name, Value::String(content.to_owned()));
        }
    }
    Value::Object(obj)
}

/// Checks every request a wiremock server received; panics with all violations.
pub async fn assert_conforms(spec: &Spec, server: &wiremock::MockServer) -> usize {
    let reqs = server.received_requests().await.unwrap();
    let mut all = Vec::new();
    for r in &reqs {
        let sent = SentRequest {
            method: r.method.as_str(),
            path: r.url.path(),
            query: r
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            content_type: r
                .headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: &r.body,
        };
        all.extend(spec.check(&sent));
    }
    assert!(
        all.is_empty(),
        "requests break the official spec:\n{}",
        all.join("\n")
    );
    reqs.len()
}
