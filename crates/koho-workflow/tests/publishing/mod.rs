//! Shared by the publisher tests and the emergency benchmark.
pub mod fake_platform;
pub mod support;
