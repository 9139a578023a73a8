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

pub fn document() -> Value {
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

/// `(path, method)` pairs the document describes, methods upper-case.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for method in item.keys() {
                    v.push((path.clone(), method.to_ascii_uppercase()));
                }
            }
        }
    }
    v.sort();
    v
}
