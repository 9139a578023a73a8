//! The posts API's part of the OpenAPI document (merged by `openapi::document`).

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn post_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PostView" } } }
    })
}

fn json_body(schema: &str, required: bool) -> Value {
    json!({
        "required": required,
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
    })
}

fn id_param() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "description": "The post's id (UUID)", "schema": { "type": "string", "format": "uuid" } }])
}

const AUTH_401: &str = "`AUTH_REQUIRED` or `AUTH_TOKEN_INVALID`";
const REFUSED_403: &str = "`AUTH_FORBIDDEN` (the token's role may not do this; the message cites the guideline clause), `POST_SELF_APPROVAL`, `POST_OTHER_DEPARTMENT`, `WF_NOT_AUTHORIZED`";
const CONFLICT_409: &str = "`POST_ILLEGAL_TRANSITION` (the message lists what the post's state allows), `POST_ALREADY_SENT`";
const INVALID_422: &str = "`API_INVALID_REQUEST`, `POST_CHECK_ERRORS` (the checker's error findings, with their clauses), `POST_REASON_REQUIRED`, `POST_UNKNOWN_EXCEPTION`, `POST_UNKNOWN_MATTER`, `POST_SHARE_CATEGORY`, `POST_NO_TARGETS`, `POST_ACCOUNT_NOT_POSTABLE`, `POST_TIME_PASSED`, `POST_INVALID_TIME`, `POST_INVALID`";

fn step(op: &str, summary: &str, description: &str, body: Option<(&str, bool)>) -> Value {
    let mut v = json!({
        "operationId": op,
        "summary": summary,
        "description": description,
        "security": [ { "bearer": [] } ],
        "parameters": id_param(),
        "responses": {
            "200": post_answer("The post after the step"),
            "400": error_response("`API_BAD_JSON`"),
            "401": error_response(AUTH_401),
            "403": error_response(REFUSED_403),
            "404": error_response("`NOT_FOUND`, `WF_NOT_FOUND`"),
            "409": error_response(CONFLICT_409),
            "415": error_response("`API_UNSUPPORTED_MEDIA_TYPE`: not `application/json`"),
            "422": error_response(INVALID_422)
        }
    });
    if let (Some((schema, required)), Some(o)) = (body, v.as_object_mut()) {
        o.insert("requestBody".into(), json_body(schema, required));
    }
    v
}

/// The paths of the posts API.
pub fn paths() -> Value {
    json!({
        "/api/posts": {
            "get": {
                "operationId": "posts",
                "summary": "Posts of the token's municipality, newest first",
                "security": [ { "bearer": [] } ],
                "parameters": [
                    { "name": "state", "in": "query", "required": false, "schema": { "type": "string", "enum": ["draft", "submitted", "approved", "rejected", "expired", "withdrawn"] } }
                ],
                "responses": {
                    "200": {
                        "description": "The posts",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Posts" } } }
                    },
                    "401": error_response(AUTH_401),
                    "403": error_response("`AUTH_FORBIDDEN`"),
                    "422": error_response("`API_INVALID_QUERY`: unknown `state`")
                }
            },
            "post": {
                "operationId": "draftPost",
                "summary": "Write a draft post for one or more official accounts",
                "description": "Checked at once against the municipality's guideline for every platform it goes to; the findings are in `version.diagnostics`, and error findings block submission until fixed or overridden by an approver.",
                "security": [ { "bearer": [] } ],
                "requestBody": json_body("NewPost", true),
                "responses": {
                    "201": post_answer("The draft"),
                    "400": error_response("`API_BAD_JSON`"),
                    "401": error_response(AUTH_401),
                    "403": error_response(REFUSED_403),
                    "404": error_response("`WF_NOT_FOUND`: an account id is unknown"),
                    "415": error_response("`API_UNSUPPORTED_MEDIA_TYPE`"),
                    "422": error_response(INVALID_422)
                }
            }
        },
        "/api/posts/{id}": {
            "get": {
                "operationId": "post",
                "summary": "One post: current version with its findings, targets, decisions and post-hoc report",
                "security": [ { "bearer": [] } ],
                "parameters": id_param(),
                "responses": {
                    "200": post_answer("The post"),
                    "401": error_response(AUTH_401),
                    "403": error_response("`AUTH_FORBIDDEN`"),
                    "404": error_response("`NOT_FOUND`, `WF_NOT_FOUND`")
                }
            }
        },
        "/api/posts/{id}/submit": {
            "post": step("submitPost", "Submit a draft", "For approval, or cleared at once under one of the guideline's exceptions with its reason (as in Takanabe 3.8), or where the guideline needs no approval. An emergency exception publishes at once and opens a post-hoc report.", Some(("SubmitPost", false)))
        },
        "/api/posts/{id}/approve": {
            "post": step("approvePost", "Approve a submitted post", "Only the approver the guideline names, within the post's department, and never the author.", Some(("Note", false)))
        },
        "/api/posts/{id}/reject": {
            "post": step("rejectPost", "Send a submitted post back", "A reason is required; the author is told. Same approver rules as approving.", Some(("Reason", true)))
        },
        "/api/posts/{id}/schedule": {
            "post": step("schedulePost", "Set the time a post goes out", "`publish_at` is a local time in the municipality's time zone (`2026-06-01T09:30`); null or absent: as soon as it is cleared. Refused once anything was sent.", Some(("Schedule", false)))
        },
        "/api/emergency": {
            "post": {
                "operationId": "emergency",
                "summary": "Push an emergency notice: published at once, reported afterwards",
                "description": "For other municipal systems (disaster information, warnings). Drafts the notice for the accounts given and submits it under the guideline's emergency exception (the one with a post-hoc report), so it goes out at once; the role the guideline names is asked to acknowledge the report. The checker still runs: error findings refuse it with `POST_CHECK_ERRORS` (the draft is kept).",
                "security": [ { "bearer": [] } ],
                "requestBody": json_body("Emergency", true),
                "responses": {
                    "201": post_answer("The post, cleared, with its post-hoc report"),
                    "400": error_response("`API_BAD_JSON`"),
                    "401": error_response(AUTH_401),
                    "403": error_response(REFUSED_403),
                    "404": error_response("`WF_NOT_FOUND`: an account id is unknown"),
                    "415": error_response("`API_UNSUPPORTED_MEDIA_TYPE`"),
                    "422": error_response("`POST_NO_EMERGENCY` (the guideline has no emergency exception), and the codes of drafting and submitting")
                }
            }
        }
    })
}

/// The schemas of the posts API.
pub fn schemas() -> Value {
    json!({
        "Posts": {
            "type": "object",
            "required": ["posts"],
            "properties": { "posts": { "type": "array", "items": { "$ref": "#/components/schemas/Post" } } }
        },
        "Post": {
            "type": "object",
            "required": ["id", "kind", "state", "version", "author_id", "matters", "created_at", "updated_at"],
            "properties": {
                "id": { "type": "string" },
                "kind": { "type": "string", "enum": ["original", "correction", "share"] },
                "state": { "type": "string", "enum": ["draft", "submitted", "approved", "rejected", "expired", "withdrawn"] },
                "version": { "type": "integer", "description": "The current version number" },
                "corrects_post_id": { "type": ["string", "null"] },
                "share_category": { "type": ["string", "null"] },
                "share_url": { "type": ["string", "null"] },
                "request_id": { "type": ["string", "null"] },
                "department_id": { "type": ["string", "null"] },
                "author_id": { "type": "string" },
                "matters": { "type": "array", "items": { "type": "string" } },
                "approval_basis": { "type": ["string", "null"], "enum": ["approval", "exception", "not-required", null] },
                "exception_id": { "type": ["string", "null"] },
                "exception_reason": { "type": ["string", "null"] },
                "publish_at": { "type": ["integer", "null"], "description": "Unix milliseconds; null: as soon as cleared" },
                "created_at": { "type": "integer" },
                "updated_at": { "type": "integer" }
            }
        },
        "PostView": {
            "type": "object",
            "required": ["post", "state_label", "version", "targets", "decisions", "report", "allowed_actions", "blocked"],
            "properties": {
                "post": { "$ref": "#/components/schemas/Post" },
                "state_label": { "type": "string", "description": "In Japanese" },
                "version": {
                    "type": "object",
                    "description": "The current version: text, per-platform texts, and the checker's findings per platform (`diagnostics.platforms[].diagnostics`, each a Diagnostic)",
                    "properties": {
                        "version": { "type": "integer" },
                        "body": { "type": "string" },
                        "apology": { "type": ["string", "null"] },
                        "variants": { "type": "object", "additionalProperties": { "type": "string" } },
                        "diagnostics": { "type": "object" },
                        "error_count": { "type": "integer" }
                    }
                },
                "targets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": { "type": "string" },
                            "account_id": { "type": "string" },
                            "state": { "type": "string", "enum": ["waiting", "scheduled", "published", "failed", "unconfirmed", "missed", "expired", "retracting", "deleted", "corrected", "withdrawn"] },
                            "publish_at": { "type": ["integer", "null"] },
                            "remote_url": { "type": ["string", "null"] },
                            "published_at": { "type": ["integer", "null"] },
                            "platform": { "type": "string" },
                            "handle": { "type": "string" },
                            "display_name": { "type": "string" },
                            "state_label": { "type": "string" }
                        }
                    }
                },
                "decisions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "version": { "type": "integer" },
                            "kind": { "type": "string", "enum": ["approve", "reject", "exception", "not-required", "override"] },
                            "decided_by": { "type": "string" },
                            "reason": { "type": ["string", "null"] },
                            "clause_label": { "type": ["string", "null"], "description": "The guideline clause the decision rests on" },
                            "decided_at": { "type": "integer" }
                        }
                    }
                },
                "report": { "type": ["object", "null"], "description": "The post-hoc report of an emergency post" },
                "allowed_actions": { "type": "array", "items": { "type": "string" } },
                "blocked": { "type": "boolean", "description": "The current version has error findings not overridden" }
            }
        },
        "NewPost": {
            "type": "object",
            "required": ["accounts", "body"],
            "additionalProperties": false,
            "properties": {
                "accounts": { "type": "array", "items": { "type": "string" }, "description": "Official account ids" },
                "body": { "type": "string" },
                "kind": { "type": "string", "enum": ["original", "share"] },
                "variants": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Per-platform texts (platform id → text) where the common one does not fit" },
                "matters": { "type": "array", "items": { "type": "string" }, "description": "The guideline's `post_approval.required_for` matters the post touches" },
                "share_category": { "type": "string", "description": "For a share: one of the guideline's share categories" },
                "share_url": { "type": "string" },
                "publish_at": { "type": "string", "description": "Local time in the municipality's time zone, `2026-06-01T09:30`", "examples": ["2026-06-01T09:30"] }
            }
        },
        "SubmitPost": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "exception": {
                    "type": "object",
                    "required": ["id", "reason"],
                    "properties": {
                        "id": { "type": "string", "description": "An exception id of the guideline's `post_approval.exceptions`" },
                        "reason": { "type": "string" }
                    }
                }
            }
        },
        "Note": {
            "type": "object",
            "additionalProperties": false,
            "properties": { "note": { "type": "string" } }
        },
        "Reason": {
            "type": "object",
            "additionalProperties": false,
            "required": ["reason"],
            "properties": { "reason": { "type": "string" } }
        },
        "Schedule": {
            "type": "object",
            "additionalProperties": false,
            "properties": { "publish_at": { "type": ["string", "null"], "examples": ["2026-06-01T09:30"] } }
        },
        "Emergency": {
            "type": "object",
            "required": ["accounts", "body", "reason"],
            "additionalProperties": false,
            "properties": {
                "accounts": { "type": "array", "items": { "type": "string" } },
                "body": { "type": "string" },
                "reason": { "type": "string", "description": "Why it cannot wait for approval (recorded, shown in the post-hoc report)" },
                "variants": { "type": "object", "additionalProperties": { "type": "string" } }
            }
        }
    })
}
