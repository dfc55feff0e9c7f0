//! sls-rs: a compiler from Serverless Framework v3 `serverless.yml` to CloudFormation, and the
//! deployer that drives it.
//!
//! ```text
//! serverless.yml ─▶ manifest ─▶ Service ─▶ plan ─▶ Template + artifacts ─▶ package ─▶ deploy
//! ```
//! See ARCHITECTURE.md for where each part lives and why.

// Diagnostics are large on purpose (file, key path, position, hint) and only travel on the
// error path, where a few bytes of copying do not matter.
#![allow(clippy::result_large_err)]

pub mod cfn;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compose;
pub mod deploy;
pub mod diff;
pub mod error;
pub mod events;
pub mod manifest;
pub mod naming;
pub mod package;
pub mod plan;
pub mod plugins;
pub mod progress;
pub mod yaml;

pub use error::{Error, Result};
