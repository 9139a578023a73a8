//! Turns the message catalogue (`i18n/ja.toml`, `i18n/en.toml`) into Rust: one
//! struct field per message, so a template or handler naming a message that does
//! not exist fails to compile, and the two languages must have the same keys.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

const LANGS: &[(&str, &str)] = &[("JA", "i18n/ja.toml"), ("EN", "i18n/en.toml")];

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        if !k
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(format!(
                "message key `{prefix}{k}` must be lower-case ASCII"
            ));
        }
        let key = format!("{prefix}{k}");
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&format!("{key}."), t, out)?,
            _ => return Err(format!("message `{key}` must be a string or a table")),
        }
    }
    Ok(())
}

fn field(key: &str) -> String {
    key.replace(['.', '-'], "_")
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut catalogues: Vec<(&str, BTreeMap<String, String>)> = Vec::new();
    for (name, path) in LANGS {
        println!("cargo::rerun-if-changed={path}");
        let src = std::fs::read_to_string(path)?;
        let table: toml::Table = src.parse().map_err(|e| format!("{path}: {e}"))?;
        let mut flat = BTreeMap::new();
        flatten("", &table, &mut flat).map_err(|e| format!("{path}: {e}"))?;
        catalogues.push((name, flat));
    }
    let keys: Vec<&String> = catalogues[0].1.keys().collect();
    for (name, cat) in &catalogues[1..] {
        let other: Vec<&String> = cat.keys().collect();
        if other != keys {
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| !cat.contains_key(k.as_str()))
                .collect();
            let extra: Vec<_> = other
                .iter()
                .filter(|k| !catalogues[0].1.contains_key(k.as_str()))
                .collect();
            return Err(format!(
                "catalogue {name} differs from JA: missing {missing:?}, extra {extra:?}"
            )
            .into());
        }
    }
    let mut seen = BTreeMap::new();
    for k in &keys {
        if let Some(prev) = seen.insert(field(k), (*k).clone()) {
            return Err(format!("message keys `{prev}` and `{k}` map to the same field").into());
        }
    }

    let mut s = String::new();
    s.push_str("/// Every user-visible message, one field per catalogue key.\n");
    s.push_str("#[allow(dead_code)]\n#[derive(Debug)]\npub struct Msgs {\n");
    for k in &keys {
        writeln!(s, "    /// `{k}`\n    pub {}: &'static str,", field(k))?;
    }
    s.push_str("}\n\n");
    for (name, cat) in &catalogues {
        writeln!(s, "pub static {name}: Msgs = Msgs {{")?;
        for (k, v) in cat {
            writeln!(s, "    {}: {v:?},", field(k))?;
        }
        s.push_str("};\n\n");
    }
    s.push_str("/// Every key, in order.\npub const KEYS: &[&str] = &[\n");
    for k in &keys {
        writeln!(s, "    {k:?},")?;
    }
    s.push_str("];\n\n");
    s.push_str("impl Msgs {\n    /// A message by its dotted key, for keys computed at run time (`category.<id>`).\n");
    s.push_str(
        "    pub fn get(&self, key: &str) -> Option<&'static str> {\n        Some(match key {\n",
    );
    for k in &keys {
        writeln!(s, "            {k:?} => self.{},", field(k))?;
    }
    s.push_str("            _ => return None,\n        })\n    }\n}\n");

    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("i18n.rs");
    std::fs::write(out, s)?;
    Ok(())
}
