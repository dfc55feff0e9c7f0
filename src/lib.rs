//! sls-rs: a compiler from Serverless Framework v3 `serverless.yml` to CloudFormation, and the
//! deployer that drives it.
//!
//! ```text
//! serverless.yml ─▶ manifest ─▶ Service ─▶ plan ─▶ Template + artifacts ─▶ package ─▶ deploy
//! ```
//! See ARCHITECTURE.md for where each part lives and why.

pub mod cli;
pub mod commands;
pub mod error;
pub mod events;
pub mod manifest;
pub mod naming;
pub mod yaml;

pub use error::{Error, Result};
