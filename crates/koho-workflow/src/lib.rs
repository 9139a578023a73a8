//! koho's official-account register: opening, approval, operation policies, suspension and
//! closure of a municipality's social-media accounts, each step driven by the municipality's
//! guideline and recorded in the audit log with the clause that required it.
//!
//! * [`Workflow`] runs the transitions against a [`koho_store::Store`], one transaction per
//!   step (change + audit entry citing guideline id and clause label).
//! * [`state`] is the explicit state machine; an illegal move is `WF_ILLEGAL_TRANSITION`.
//! * [`application`], [`overlap`], [`policy`], [`profile`], [`register`] and [`lookup`] are
//!   pure: they take the guideline and rows and return values, so they are tested with
//!   tables.
//! * [`demo`] fills a fresh database with the fictional みどり市.
//! * [`auth`] signs staff in (argon2id password + [`totp`] code), keeps sessions and API
//!   tokens, locks out after repeated failures, and says which role may do what.
//!
//! * [`publisher`] drains the durable outbox through the platform connectors (exactly once
//!   or unconfirmed, never twice); [`credentials`] seals their tokens at rest.
//!
//! Nothing here reads a clock: every step takes `now` (Unix milliseconds), and the
//! publisher takes a [`publisher::Clock`].

pub mod admin;
pub mod application;
pub mod auth;
pub mod credentials;
pub mod demo;
pub mod demo_posts;
pub mod email;
pub mod error;
pub mod lookup;
pub mod media_links;
pub mod nationwide;
pub mod overlap;
pub mod policy;
pub mod posts;
pub mod profile;
pub mod publisher;
pub mod register;
pub mod roles;
pub mod state;
pub mod time;
pub mod totp;
mod workflow;

pub use application::{AccountDraft, GrandfatheredReport, OpeningRequest, PurposeChange};
pub use error::{MissingField, UnansweredQuestion, WorkflowError};
pub use lookup::{LookupAnswer, Verdict, lookup};
pub use register::RegisterRow;
pub use state::{Action, next_state};
pub use workflow::{
    AccountDetail, Applied, Decided, DueCheck, PurposeChangeOutcome, SuspendRequest, Suspension,
    Workflow, notice_post, subject,
};
