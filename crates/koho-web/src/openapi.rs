//! The OpenAPI 3.1 description of the JSON API. A test compares its paths and
//! methods with the router's API routes ([`crate::api_routes`]), so the two cannot
//! drift apart.

use koho_check::{Category, Platform};
use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

/// The register's paths answer for the default municipality at the root and for every
/// municipality under `/m/{slug}`.
fn register_servers() -> Value {
    json!([
        { "url": "/", "description": "The default municipality" },
        {
            "url": "/m/{slug}",
            "description": "A municipality of a shared deployment",
            "variables": { "slug": { "default": "midori", "description": "The municipality's slug" } }
        }
    ])
}

fn register_schemas() -> Value {
    let states: Vec<&str> = koho_store::AccountState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let store_platforms: Vec<&str> = koho_store::Platform::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    json!({
        "Municipality": {
            "type": "object",
            "required": ["slug", "name", "guideline"],
            "properties": {
                "slug": { "type": "string", "examples": ["midori"] },
                "name": { "type": "string", "examples": ["\u{307f}\u{3069}\u{308a}\u{5e02}"] },
                "guideline": { "type": "string", "description": "Id of the guideline the municipality runs by" }
            }
        },
        "Register": {
            "type": "object",
            "required": ["municipality", "accounts"],
            "properties": {
                "municipality": { "$ref": "#/components/schemas/Municipality" },
                "accounts": { "type": "array", "items": { "$ref": "#/components/schemas/RegisterRow" } }
            }
        },
        "RegisterRow": {
            "type": "object",
            "required": ["account_id", "platform", "platform_label", "handle", "url", "display_name", "department", "kind", "state", "state_label", "policy_version", "policy_url", "redirect_to", "reason"],
            "properties": {
                "account_id": { "type": "string" },
                "platform": { "type": "string", "enum": store_platforms },
                "platform_label": { "type": "string", "description": "In Japanese" },
                "handle": { "type": "string", "examples": ["@midori_city"] },
                "url": { "type": ["string", "null"] },
                "display_name": { "type": "string" },
                "department": { "type": ["string", "null"] },
                "kind": { "type": "string", "enum": ["main", "topic"] },
                "state": { "type": "string", "enum": states },
                "state_label": { "type": "string", "description": "In Japanese" },
                "policy_version": { "type": ["integer", "null"] },
                "policy_url": { "type": ["string", "null"], "description": "Path of the published operation policy page" },
                "redirect_to": { "type": ["string", "null"], "description": "For a suspended or closed account: the account to follow instead" },
                "reason": { "type": ["string", "null"], "description": "Why it was suspended or closed, when the guideline publishes it" }
            }
        },
        "VerifyAnswer": {
            "type": "object",
            "required": ["municipality", "query", "parsed", "verdict", "account", "lookalikes", "message"],
            "properties": {
                "municipality": { "$ref": "#/components/schemas/Municipality" },
                "query": { "type": "string" },
                "parsed": {
                    "type": "object",
                    "properties": {
                        "platform": { "type": ["string", "null"] },
                        "handle": { "type": "string" },
                        "url": { "type": ["string", "null"] }
                    }
                },
                "verdict": { "type": "string", "enum": ["official", "suspended", "closed", "not-official"] },
                "account": { "oneOf": [ { "$ref": "#/components/schemas/RegisterRow" }, { "type": "null" } ] },
                "lookalikes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["official", "tricks"],
                        "properties": {
                            "official": { "$ref": "#/components/schemas/RegisterRow" },
                            "tricks": { "type": "array", "items": { "type": "string", "enum": ["homoglyph", "digit-for-letter", "letter-swap", "separator", "added-digits", "typo", "embeds"] } }
                        }
                    }
                },
                "message": { "type": "string", "description": "The answer in one Japanese paragraph" }
            }
        }
    })
}

pub fn document() -> Value {
    let mut doc = base_document();
    if let (Some(schemas), Value::Object(more)) = (
        doc.pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut),
        register_schemas(),
    ) {
        schemas.extend(more);
    }
    crate::openapi_register::extend(&mut doc);
    if let (Some(schemas), Value::Object(more)) = (
        doc.pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut),
        crate::openapi_posts::schemas(),
    ) {
        schemas.extend(more);
    }
    if let (Some(paths), Value::Object(more)) = (
        doc.pointer_mut("/paths").and_then(Value::as_object_mut),
        crate::openapi_posts::paths(),
    ) {
        paths.extend(more);
    }
    doc
}

fn base_document() -> Value {
    let platforms: Vec<&str> = Platform::ALL.iter().map(|p| p.id()).collect();
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.id()).collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "koho API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of koho: the pre-publication check against the municipality's guideline (open), and the register for API clients holding a token (`Authorization: Bearer`). Error messages are in Japanese; error codes are stable.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "paths": {
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness: the server is up and which guidelines it serves",
                    "responses": {
                        "200": {
                            "description": "Up",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } }
                        }
                    }
                }
            },
            "/api/check": {
                "post": {
                    "operationId": "check",
                    "summary": "Check a draft post against a guideline",
                    "description": "Returns the same diagnostics as `koho check --format json`, and the length of the post the way the chosen platform counts it. Requests must be `application/json` (this is also what protects the endpoint from cross-site requests).",
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CheckRequest" } } }
                    },
                    "responses": {
                        "200": {
                            "description": "Checked (findings, if any, are in `diagnostics`)",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CheckResponse" } } }
                        },
                        "400": error_response("`API_BAD_JSON`: the body is not JSON"),
                        "403": error_response("`CSRF_CROSS_SITE`: sent by a browser from another site"),
                        "413": error_response("`INPUT_TOO_LARGE`: the body is larger than the limit"),
                        "415": error_response("`API_UNSUPPORTED_MEDIA_TYPE`: not `application/json`"),
                        "422": error_response("`API_INVALID_REQUEST`, `INPUT_EMPTY`, `INPUT_TOO_LARGE`, `INPUT_CONTROL_CHAR`, `INPUT_BIDI_CONTROL`, `INPUT_UNKNOWN_PLATFORM`, `INPUT_UNKNOWN_GUIDELINE`")
                    }
                }
            },
            "/official-accounts.json": {
                "servers": register_servers(),
                "get": {
                    "operationId": "officialAccounts",
                    "summary": "The public register of official accounts",
                    "description": "Every official account the municipality runs (running, grandfathered, suspended, closed), in register order. The default municipality answers at the root, any municipality of a shared deployment under `/m/{slug}`. Cacheable: `Cache-Control: public`, `ETag` (send `If-None-Match` for a 304). The same rows as `/official-accounts.csv` and the HTML page `/official-accounts`.",
                    "responses": {
                        "200": {
                            "description": "The register",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Register" } } }
                        },
                        "304": { "description": "Not modified since the ETag sent in `If-None-Match`" },
                        "404": error_response("`REGISTER_UNKNOWN_MUNICIPALITY`, `REGISTER_NO_MUNICIPALITY`")
                    }
                }
            },
            "/verify": {
                "servers": register_servers(),
                "get": {
                    "operationId": "verify",
                    "summary": "Is this account official?",
                    "description": "Looks a URL or handle up in the public register and names official accounts it imitates (homoglyphs, digits for letters, one-letter changes …). Answers JSON when `Accept` asks for `application/json` (and not `text/html`); otherwise the HTML page with its form. Cacheable like the register.",
                    "parameters": [
                        { "name": "q", "in": "query", "required": true, "description": "A profile URL (`https://x.com/midori_city`) or a handle (`@midori_city`), at most 300 characters", "schema": { "type": "string", "maxLength": 300 } }
                    ],
                    "responses": {
                        "200": {
                            "description": "The answer (JSON), or the page (HTML)",
                            "content": {
                                "application/json": { "schema": { "$ref": "#/components/schemas/VerifyAnswer" } },
                                "text/html": {}
                            }
                        },
                        "304": { "description": "Not modified" },
                        "404": error_response("`REGISTER_UNKNOWN_MUNICIPALITY`, `REGISTER_NO_MUNICIPALITY`"),
                        "422": error_response("`VERIFY_QUERY_EMPTY`, `VERIFY_QUERY_TOO_LONG`, `VERIFY_QUERY_CONTROL_CHAR`")
                    }
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": { "200": { "description": "OpenAPI 3.1 document", "content": { "application/json": {} } } }
                }
            },
            "/api/me": {
                "get": {
                    "operationId": "me",
                    "summary": "Who the API token acts for",
                    "description": "The person the token was issued for, their roles, and the one role (`scope`) the token may act with.",
                    "security": [ { "bearer": [] } ],
                    "responses": {
                        "200": {
                            "description": "The token's person and scope",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Me" } } }
                        },
                        "401": error_response("`AUTH_REQUIRED` (no `Authorization: Bearer`) or `AUTH_TOKEN_INVALID` (unknown, expired, revoked, or the person lost the role)"),
                        "403": error_response("`AUTH_FORBIDDEN`: the token's role may not do this; the message cites the guideline clause")
                    }
                }
            },
            "/api/applications": {
                "get": {
                    "operationId": "applications",
                    "summary": "Account applications of the token's municipality, newest first",
                    "security": [ { "bearer": [] } ],
                    "parameters": [
                        { "name": "status", "in": "query", "required": false, "schema": { "type": "string", "enum": ["draft", "submitted", "approved", "rejected", "withdrawn"] } }
                    ],
                    "responses": {
                        "200": {
                            "description": "The applications",
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Applications" } } }
                        },
                        "401": error_response("`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`"),
                        "403": error_response("`AUTH_FORBIDDEN`"),
                        "422": error_response("`API_INVALID_QUERY`: unknown `status`")
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token `koho_<municipality>.<secret>` from `koho token issue`. It acts as one person with one of their roles. `/api/check`, `/api/openapi.json` and `/healthz` need none."
                }
            },
            "schemas": {
                "Me": {
                    "type": "object",
                    "required": ["person", "scope", "municipality"],
                    "properties": {
                        "person": {
                            "type": "object",
                            "required": ["id", "display_name", "roles"],
                            "properties": {
                                "id": { "type": "string" },
                                "display_name": { "type": "string" },
                                "roles": { "type": "array", "items": { "type": "string" } }
                            }
                        },
                        "scope": { "type": "string", "description": "The one role the token acts with" },
                        "municipality": { "type": "string", "description": "The municipality's slug" }
                    }
                },
                "Applications": {
                    "type": "object",
                    "required": ["applications"],
                    "properties": {
                        "applications": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "kind", "status", "platform", "handle", "display_name", "applicant_id", "submitted_at", "account_id"],
                                "properties": {
                                    "id": { "type": "string" },
                                    "kind": { "type": "string", "enum": ["opening", "purpose-change"] },
                                    "status": { "type": "string" },
                                    "platform": { "type": "string" },
                                    "handle": { "type": "string" },
                                    "display_name": { "type": "string" },
                                    "applicant_id": { "type": "string" },
                                    "submitted_at": { "type": ["integer", "null"], "description": "Unix milliseconds" },
                                    "account_id": { "type": ["string", "null"] }
                                }
                            }
                        }
                    }
                },
                "CheckRequest": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": { "type": "string", "description": "The post text (UTF-8, at most 262144 bytes, no control or bidirectional formatting characters)" },
                        "platform": { "type": "string", "enum": platforms, "description": "The platform the post is for; enables the length count and the length rule" },
                        "guideline": { "type": "string", "description": "Guideline id; default: the server's guideline (see /healthz)" }
                    }
                },
                "CheckResponse": {
                    "type": "object",
                    "required": ["diagnostics", "length"],
                    "properties": {
                        "diagnostics": { "type": "array", "items": { "$ref": "#/components/schemas/Diagnostic" } },
                        "length": {
                            "oneOf": [ { "$ref": "#/components/schemas/Length" }, { "type": "null" } ],
                            "description": "null when no platform was given or the platform has no limit"
                        }
                    }
                },
                "Diagnostic": {
                    "type": "object",
                    "required": ["rule", "name", "category", "severity", "start", "end", "excerpt", "message", "clauses"],
                    "properties": {
                        "rule": { "type": "string", "description": "Stable rule code, e.g. PI001", "examples": ["PI001"] },
                        "name": { "type": "string", "examples": ["phone-number"] },
                        "category": { "type": "string", "enum": categories },
                        "severity": { "type": "string", "enum": ["error", "warning", "info"] },
                        "start": { "type": "integer", "minimum": 0, "description": "Start, in Unicode scalar values of the text" },
                        "end": { "type": "integer", "minimum": 0, "description": "End (exclusive), in Unicode scalar values" },
                        "excerpt": { "type": "string" },
                        "message": { "type": "string", "description": "In Japanese" },
                        "suggestion": { "type": "string" },
                        "clauses": { "type": "array", "items": { "$ref": "#/components/schemas/ClauseRef" } }
                    }
                },
                "ClauseRef": {
                    "type": "object",
                    "required": ["guideline", "clause", "text"],
                    "properties": {
                        "guideline": { "type": "string" },
                        "clause": { "type": "string", "description": "The clause label, as the guideline writes it" },
                        "text": { "type": "string", "description": "The clause's original text" }
                    }
                },
                "Length": {
                    "type": "object",
                    "required": ["platform", "unit", "count", "limit", "over_at"],
                    "properties": {
                        "platform": { "type": "string", "enum": platforms },
                        "unit": { "type": "string", "enum": ["weighted", "graphemes", "chars"] },
                        "count": { "type": "integer", "minimum": 0 },
                        "limit": { "type": "integer", "minimum": 1 },
                        "over_at": { "type": ["integer", "null"], "description": "Index (Unicode scalar values) of the first character beyond the limit" }
                    }
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "version", "guidelines"],
                    "properties": {
                        "status": { "const": "ok" },
                        "version": { "type": "string" },
                        "guidelines": { "type": "array", "items": { "type": "string" } }
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "request_id"],
                            "properties": {
                                "code": { "type": "string", "description": "Stable error code" },
                                "message": { "type": "string", "description": "In Japanese" },
                                "request_id": { "type": "string", "description": "Also in the x-request-id header and the server log" }
                            }
                        }
                    }
                }
            }
        }
    })
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(path, method)` pairs the document describes, methods upper-case.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                // Path items also hold `servers`, `parameters` …: only methods count.
                for method in item.keys().filter(|k| METHODS.contains(&k.as_str())) {
                    v.push((path.clone(), method.to_ascii_uppercase()));
                }
            }
        }
    }
    v.sort();
    v
}
