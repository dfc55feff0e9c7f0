//! Every integration test in one binary, so the suite links once. Each module is one stage or
//! concern as a user meets it; `common` is the harness they share.

mod common;

mod compose;
mod custom_resources;
mod deploy;
mod deploy_faults;
mod golden;
mod images;
mod invoke_local;
mod invoke_remote;
mod loader_fuzz;
mod logs_metrics;
mod manifest;
mod nested;
mod node_trees;
mod package;
mod plan;
mod plugins;
mod v3_keys;
