//! The OpenAPI description of the register's write API ([`crate::api_register`]): merged
//! into the document by [`crate::openapi::document`], so the test comparing the document
//! with the router covers these routes too.

use serde_json::{Value, json};

fn err(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn id_param(what: &str) -> Value {
    json!({ "name": "id", "in": "path", "required": true, "description": what, "schema": { "type": "string", "format": "uuid" } })
}

fn body(schema: &str, required: bool) -> Value {
    json!({
        "required": required,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn refusals(extra: &str) -> Value {
    json!({
        "400": err("`API_BAD_JSON`: the body is not JSON of this shape"),
        "401": err("`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`"),
        "403": err("`AUTH_FORBIDDEN` (the token's role may not do this; the message cites the guideline clause), `WF_NOT_AUTHORIZED` (not for this department), `WF_SELF_DECISION`, `CSRF_CROSS_SITE`"),
        "404": err("`NOT_FOUND`, `WF_NOT_FOUND`"),
        "409": err("`WF_APPLICATION_DECIDED`, `STORE_STALE`"),
        "413": err("`INPUT_TOO_LARGE`"),
        "415": err("`API_UNSUPPORTED_MEDIA_TYPE`: not `application/json`"),
        "422": err(extra)
    })
}

/// The refusals with the success answer `200`.
fn responses(success: Value, extra: &str) -> Value {
    let mut r = refusals(extra);
    if let Some(o) = r.as_object_mut() {
        o.insert("200".to_owned(), success);
    }
    r
}

fn paths() -> Value {
    let security = json!([ { "bearer": [] } ]);
    json!({
        "/api/accounts": {
            "get": {
                "operationId": "accounts",
                "summary": "Every account of the token's municipality, any state",
                "description": "The register as staff see it: applied, approved, rejected accounts too (the public `/official-accounts.json` lists only those citizens may follow).",
                "security": security,
                "responses": {
                    "200": ok("The accounts", "Accounts"),
                    "401": err("`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`"),
                    "403": err("`AUTH_FORBIDDEN`")
                }
            }
        },
        "/api/applications": {
            "post": {
                "operationId": "apply",
                "summary": "Apply for a new official account (an opening application)",
                "description": "Every field the guideline's `[[opening.fields]]` requires, and an answer to each question of its existing-account review (e.g. Komae 4(2)(a)(i)-(iii)). The account enters the register as `applied`, its handle reserved; existing accounts that resemble it are returned for the approver. Needs a token with the guideline's applicant role.",
                "security": security,
                "requestBody": body("OpeningRequest", true),
                "responses": {
                    "201": ok("Filed", "Applied"),
                    "400": err("`API_BAD_JSON`"),
                    "401": err("`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`"),
                    "403": err("`AUTH_FORBIDDEN`, `WF_NOT_AUTHORIZED` (another department)"),
                    "413": err("`INPUT_TOO_LARGE`"),
                    "415": err("`API_UNSUPPORTED_MEDIA_TYPE`"),
                    "422": err("`WF_MISSING_FIELD` (names each field and clause), `WF_REVIEW_UNANSWERED`, `WF_DUPLICATE_HANDLE`, `WF_INVALID`, `WF_EMAIL_DOMAIN`")
                }
            }
        },
        "/api/applications/{id}/approve": {
            "post": {
                "operationId": "approveApplication",
                "summary": "Approve an application (the guideline's approver; never the applicant)",
                "security": security,
                "parameters": [ id_param("The application") ],
                "requestBody": body("Decision", false),
                "responses": {
                    "200": ok("Approved; an opening's policy is drafted from the application", "Decided"),
                    "400": err("`API_BAD_JSON`"),
                    "401": err("`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`"),
                    "403": err("`AUTH_FORBIDDEN`, `WF_NOT_AUTHORIZED`, `WF_SELF_DECISION`"),
                    "404": err("`NOT_FOUND`, `WF_NOT_FOUND`"),
                    "409": err("`WF_APPLICATION_DECIDED`: decided already"),
                    "415": err("`API_UNSUPPORTED_MEDIA_TYPE`"),
                    "422": err("`WF_NO_RULE`: a waiver the guideline does not have")
                }
            }
        },
        "/api/applications/{id}/reject": {
            "post": {
                "operationId": "rejectApplication",
                "summary": "Reject an application, with a reason",
                "security": security,
                "parameters": [ id_param("The application") ],
                "requestBody": body("Reason", true),
                "responses": responses(ok("Rejected", "Decided"), "`WF_REASON_REQUIRED`")
            }
        },
        "/api/accounts/{id}/suspend": {
            "post": {
                "operationId": "suspendAccount",
                "summary": "Suspend an account: notice post, redirect to the main account, handle kept",
                "description": "The reason; the followers (the impact, where the guideline asks to assess it, e.g. Komae 4(5)); where followers are sent (by default the main account); the notice post (by default drafted from the guideline). The next periodic check of the kept account is scheduled.",
                "security": security,
                "parameters": [ id_param("The account") ],
                "requestBody": body("Suspend", true),
                "responses": responses(ok("Suspended", "Suspension"), "`WF_REASON_REQUIRED`, `WF_IMPACT_REQUIRED`, `WF_NO_REDIRECT_TARGET`, `WF_ILLEGAL_TRANSITION`, `WF_INVALID`")
            }
        },
        "/api/accounts/{id}/resume": {
            "post": {
                "operationId": "resumeAccount",
                "summary": "Run a suspended account again",
                "security": security,
                "parameters": [ id_param("The account") ],
                "responses": responses(ok("Running again", "AccountResult"), "`WF_ILLEGAL_TRANSITION`")
            }
        },
        "/api/accounts/{id}/close": {
            "post": {
                "operationId": "closeAccount",
                "summary": "Close an account, with a reason; the record and the handle stay",
                "security": security,
                "parameters": [ id_param("The account") ],
                "requestBody": body("Reason", true),
                "responses": responses(ok("Closed", "AccountResult"), "`WF_REASON_REQUIRED`, `WF_ILLEGAL_TRANSITION`")
            }
        }
    })
}

fn schemas() -> Value {
    let platforms: Vec<&str> = koho_store::Platform::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    let obj = json!({ "type": "object", "description": "The record as the register stores it" });
    json!({
        "Accounts": {
            "type": "object",
            "required": ["accounts"],
            "properties": { "accounts": { "type": "array", "items": { "$ref": "#/components/schemas/RegisterRow" } } }
        },
        "OpeningRequest": {
            "type": "object",
            "required": ["account"],
            "properties": {
                "account": {
                    "type": "object",
                    "properties": {
                        "platform": { "type": ["string", "null"], "enum": platforms },
                        "handle": { "type": "string", "examples": ["@midori_kosodate"] },
                        "url": { "type": ["string", "null"] },
                        "display_name": { "type": "string" },
                        "department": { "type": ["string", "null"], "description": "Department id" },
                        "manager": { "type": ["string", "null"], "description": "Person id of the account manager" },
                        "email": { "type": ["string", "null"], "description": "The registration address, on the municipality's domains" },
                        "purpose": { "type": "string" },
                        "content": { "type": "array", "items": { "type": "string" } },
                        "tone": { "type": ["string", "null"] },
                        "reply_policy": { "type": ["string", "null"] },
                        "follow_policy": { "type": ["string", "null"] },
                        "approval_needed": { "type": ["boolean", "null"] },
                        "main": { "type": "boolean", "default": false }
                    }
                },
                "plan": { "type": "string", "description": "The operation plan" },
                "policy": { "type": ["string", "null"], "description": "The operation policy text" },
                "credentials_note": { "type": ["string", "null"], "description": "Where the password is kept (never the password)" },
                "start_date": { "type": ["string", "null"] },
                "other": { "type": ["string", "null"] },
                "review": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Answers to the guideline's existing-account review, by question id" },
                "followers": { "type": ["integer", "null"], "minimum": 0 }
            }
        },
        "Applied": {
            "type": "object",
            "required": ["account", "application", "overlaps"],
            "properties": {
                "account": obj,
                "application": obj,
                "overlaps": { "type": "array", "items": { "type": "object" }, "description": "Existing accounts that resemble the proposal" }
            }
        },
        "Decision": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "note": { "type": ["string", "null"] },
                "waiver": { "type": "boolean", "default": false, "description": "Approve under `opening.waiver`, by its holder" }
            }
        },
        "Decided": {
            "type": "object",
            "required": ["application", "account", "policy"],
            "properties": { "application": obj, "account": obj, "policy": { "type": ["object", "null"] } }
        },
        "Reason": {
            "type": "object",
            "additionalProperties": false,
            "required": ["reason"],
            "properties": { "reason": { "type": "string" } }
        },
        "Suspend": {
            "type": "object",
            "additionalProperties": false,
            "required": ["reason"],
            "properties": {
                "reason": { "type": "string" },
                "followers": { "type": ["integer", "null"], "minimum": 0 },
                "redirect_to": { "type": ["string", "null"], "description": "Account id followers are sent to" },
                "notice_text": { "type": ["string", "null"] }
            }
        },
        "Suspension": {
            "type": "object",
            "required": ["account", "event", "notice_text", "effective_at", "next_check_at", "redirect_to"],
            "properties": {
                "account": obj,
                "event": obj,
                "notice_text": { "type": "string", "description": "The notice post to publish before the account stops" },
                "effective_at": { "type": "integer", "description": "Unix milliseconds" },
                "next_check_at": { "type": ["integer", "null"] },
                "redirect_to": { "type": ["object", "null"] }
            }
        },
        "AccountResult": {
            "type": "object",
            "required": ["account"],
            "properties": { "account": obj }
        }
    })
}

/// Adds the register's write paths and their schemas to `doc`, merging methods into path
/// items that exist already (`/api/applications` has its `get`).
pub fn extend(doc: &mut Value) {
    if let (Some(existing), Value::Object(more)) = (
        doc.pointer_mut("/paths").and_then(Value::as_object_mut),
        paths(),
    ) {
        for (path, item) in more {
            match (existing.get_mut(&path), item) {
                (Some(Value::Object(have)), Value::Object(add)) => have.extend(add),
                (_, item) => {
                    existing.insert(path, item);
                }
            }
        }
    }
    if let (Some(have), Value::Object(more)) = (
        doc.pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut),
        schemas(),
    ) {
        have.extend(more);
    }
}
