//! Where the stage and the region come from, as v3 decides them. Variables (`${sls:stage}`,
//! `${aws:region}`), `.env.<stage>` files, validation and the AWS connection all ask here, so
//! the answer cannot differ between them.

pub const STAGE: &str = "dev";
pub const REGION: &str = "us-east-1";

/// `--stage`, then `provider.stage`, then `dev`.
pub fn stage(option: Option<String>, provider: Option<String>) -> String {
    option.or(provider).unwrap_or_else(|| STAGE.to_string())
}

/// `--region`, then `provider.region`, then `AWS_REGION` / `AWS_DEFAULT_REGION`, then
/// `us-east-1`. `env` looks a variable up (the process environment, or `.env` values).
pub fn region(
    option: Option<String>,
    provider: Option<String>,
    env: impl Fn(&str) -> Option<String>,
) -> String {
    option
        .or(provider)
        .or_else(|| {
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|k| env(k).filter(|v| !v.is_empty()))
        })
        .unwrap_or_else(|| REGION.to_string())
}
