//! Container images: every function's `image` made a URI pinned by digest before the plan is
//! compiled, as v3 does while packaging.
//!
//! - `repo@sha256:…` is taken as it is (no AWS).
//! - `repo:tag` (or a `provider.ecr.images` entry given by such a `uri`) is looked up in ECR
//!   (`DescribeImages`), so a new image pushed under the same tag publishes a new version.
//! - A `provider.ecr.images` entry with a `path` is built with the `docker` on PATH, tagged
//!   with its name in the service's repository (`serverless-<service>-<stage>`, created when
//!   missing, with `scanOnPush` and a `maxImageCount` lifecycle policy), pushed after a
//!   `docker login` with an ECR token, and pinned to the digest ECR then reports.
//!
//! Everything that can be checked without writing is checked first (each Dockerfile, `docker`
//! on PATH, its daemon), so a missing piece writes nothing to ECR. [`resolve`] takes the
//! service and returns it with every image a `Uri`; a dry run does not call it and compiles a
//! named image as its tag (`plan::function`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use serde_json::{json, Value};

use crate::deploy::{aws_error, describe, Aws};
use crate::error::{Diagnostic, Error, KeyPath, Result};
use crate::manifest::service::{EcrImage, ImageBuild, ImageSource, Service};
use crate::naming;
use crate::progress::Progress;

/// Whether packaging `service` needs AWS (and perhaps Docker) for its images.
pub fn needs_aws(service: &Service) -> bool {
    service
        .functions
        .values()
        .filter_map(|f| f.image.as_ref())
        .any(|image| match &image.source {
            ImageSource::Uri(uri) => uri.as_str().is_some_and(|u| !pinned(u)),
            ImageSource::Named(_) => true,
        })
}

/// `…@sha256:<64 hex>`.
fn pinned(uri: &str) -> bool {
    crate::plan::image_digest(&json!(uri)).is_some()
}

/// The URI a function's image takes.
enum Takes {
    Uri(String),
    /// The pinned URI of the need with this key.
    Need(String),
}

/// What one image needs.
enum Need<'a> {
    /// An ECR URI with a tag, to be pinned to its digest.
    Tagged(String),
    /// Built from `provider.ecr.images.<name>`.
    Build(&'a str, &'a ImageBuild),
}

/// Whether [`resolve`] builds and pushes the images of `provider.ecr.images` (`package`,
/// `deploy`), or only reads ECR (`diff`: a named image stays its tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builds {
    Push,
    ReadOnly,
}

/// Returns `service` with every function's image a URI pinned by digest. See the module docs.
pub fn resolve(
    mut service: Service,
    aws: &Aws,
    rt: &tokio::runtime::Runtime,
    builds_mode: Builds,
    progress: &Progress,
) -> Result<Service> {
    // Each image once, however many functions run it; for each function, the URI its image
    // takes: pinned already, or the pinned URI of one of `needs`, by key.
    let mut needs: BTreeMap<String, Need> = BTreeMap::new();
    let mut takes: Vec<(String, Takes)> = Vec::new();
    for f in service.functions.values() {
        let Some(image) = &f.image else { continue };
        let take = match &image.source {
            ImageSource::Uri(Value::String(uri)) if !pinned(uri) => {
                needs.insert(uri.clone(), Need::Tagged(uri.clone()));
                Takes::Need(uri.clone())
            }
            ImageSource::Uri(_) => continue,
            ImageSource::Named(name) => match service.provider.ecr.images.get(name) {
                Some(EcrImage::Uri(uri)) if pinned(uri) => Takes::Uri(uri.clone()),
                Some(EcrImage::Uri(uri)) => {
                    needs.insert(name.clone(), Need::Tagged(uri.clone()));
                    Takes::Need(name.clone())
                }
                Some(EcrImage::Build(b)) if builds_mode == Builds::Push => {
                    needs.insert(name.clone(), Need::Build(name, b));
                    Takes::Need(name.clone())
                }
                // Not built (read-only: compiled as its tag), or refused by validation.
                Some(EcrImage::Build(_)) | None => continue,
            },
        };
        takes.push((f.key.clone(), take));
    }
    let builds: Vec<(&str, &ImageBuild)> = needs
        .values()
        .filter_map(|n| match n {
            Need::Build(name, b) => Some((*name, *b)),
            Need::Tagged(_) => None,
        })
        .collect();
    let dockerfiles = check_dockerfiles(&service, &builds)?;
    if !builds.is_empty() {
        check_docker()?;
    }
    let mut pinned_uris: BTreeMap<String, String> = BTreeMap::new();
    rt.block_on(async {
        for (key, need) in &needs {
            let uri = match need {
                Need::Tagged(uri) => pin_tag(aws, uri, &service.region).await?,
                Need::Build(..) => continue,
            };
            pinned_uris.insert(key.clone(), uri);
        }
        Ok::<(), Error>(())
    })?;
    if !builds.is_empty() {
        let ecr = &service.provider.ecr;
        let repo_name = naming::ecr_repository_name(&service.name, &service.stage);
        let repo = rt.block_on(repository(
            aws,
            &repo_name,
            ecr.scan_on_push,
            ecr.max_image_count,
        ))?;
        let endpoint = rt.block_on(login_endpoint(aws))?;
        docker_login(&endpoint)?;
        for ((name, build), dockerfile) in builds.iter().zip(&dockerfiles) {
            progress.status(&format!("building image {name}"));
            let local = format!("{repo_name}:{name}");
            let remote = format!("{}:{name}", repo.uri);
            docker(
                &build_args(&service.dir, &local, dockerfile, build),
                "build",
            )?;
            docker(&["tag".into(), local, remote.clone()], "tag")?;
            progress.status(&format!("pushing image {name}"));
            docker(&["push".into(), remote.clone()], "push")?;
            let uri = rt.block_on(pin_tag(aws, &remote, &service.region))?;
            pinned_uris.insert(name.to_string(), uri);
        }
    }
    for (key, take) in takes {
        let uri = match take {
            Takes::Uri(uri) => Some(uri),
            Takes::Need(need) => pinned_uris.get(&need).cloned(),
        };
        if let (Some(uri), Some(image)) = (uri, service.functions[&key].image.as_mut()) {
            image.source = ImageSource::Uri(json!(uri));
        }
    }
    Ok(service)
}

/// Each image's Dockerfile, which must exist before anything is built or created.
fn check_dockerfiles(service: &Service, builds: &[(&str, &ImageBuild)]) -> Result<Vec<PathBuf>> {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    for (name, b) in builds {
        let file = lexical(&service.dir.join(&b.path).join(&b.file));
        if !file.is_file() {
            let at = KeyPath::root()
                .key("provider")
                .key("ecr")
                .key("images")
                .key(name.to_string());
            diags.push(
                Diagnostic::error(format!(
                    "image `{name}` has no Dockerfile at {}",
                    file.display()
                ))
                .at(&at)
                .hint("`path` is the build context, relative to the service; `file` the Dockerfile in it (default `Dockerfile`)"),
            );
        }
        out.push(file);
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(Error::Config(diags))
    }
}

/// `docker` is on PATH and reaches its daemon.
fn check_docker() -> Result<()> {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::failed_with_hint(
            "building the images of `provider.ecr.images` needs `docker`, which is not on PATH",
            "install Docker (or a client such as Podman's `docker` command) and start it, or build and push the image yourself and give its `uri`",
        )),
        Err(e) => Err(Error::failed(format!("could not run docker: {e}"))),
        Ok(o) if !o.status.success() => Err(Error::failed_with_hint(
            format!(
                "`docker` cannot reach its daemon to build the images of `provider.ecr.images`: {}",
                last_lines(&o.stderr, 3)
            ),
            "start Docker (or point DOCKER_HOST at a running daemon), or build and push the image yourself and give its `uri`",
        )),
        Ok(_) => Ok(()),
    }
}

/// `docker build -t LOCAL -f DOCKERFILE [--build-arg K=V]… [--cache-from X]… [OPTIONS…]
/// [--platform=P] [--provenance=P] CONTEXT`, as v3 builds.
fn build_args(dir: &Path, local: &str, dockerfile: &Path, b: &ImageBuild) -> Vec<String> {
    let mut args = vec![
        "build".to_string(),
        "-t".into(),
        local.into(),
        "-f".into(),
        dockerfile.display().to_string(),
    ];
    for (k, v) in &b.build_args {
        args.push("--build-arg".into());
        args.push(format!("{k}={v}"));
    }
    for c in &b.cache_from {
        args.push("--cache-from".into());
        args.push(c.clone());
    }
    args.extend(b.build_options.iter().cloned());
    if let Some(p) = &b.platform {
        args.push(format!("--platform={p}"));
    }
    if let Some(p) = &b.provenance {
        args.push(format!("--provenance={p}"));
    }
    args.push(lexical(&dir.join(&b.path)).display().to_string());
    args
}

/// `/svc/./img/../x` → `/svc/x`, as v3's `path.resolve` writes paths for Docker.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Runs `docker ARGS`; on failure the error holds the end of its output.
fn docker(args: &[String], what: &str) -> Result<Vec<u8>> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::failed(format!("could not run docker {what}: {e}")))?;
    if !out.status.success() {
        let mut all = out.stdout.clone();
        all.extend_from_slice(&out.stderr);
        return Err(Error::failed(format!(
            "docker {what} failed ({}):\n{}",
            out.status,
            last_lines(&all, 30)
        )));
    }
    Ok(out.stdout)
}

/// `docker login` to the account's registry with an ECR token, the password on stdin.
fn docker_login(endpoint: &(String, String)) -> Result<()> {
    let (registry, password) = endpoint;
    let mut child = Command::new("docker")
        .args(["login", "--username", "AWS", "--password-stdin", registry])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::failed(format!("could not run docker login: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(password.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::failed(format!("docker login: {e}")))?;
    if !out.status.success() {
        return Err(Error::failed(format!(
            "docker login to {registry} failed: {}",
            last_lines(&out.stderr, 5)
        )));
    }
    Ok(())
}

fn last_lines(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// An ECR image URI taken apart: `<registry>.dkr.ecr.<region>.<suffix>/<repo>[:tag]`.
#[derive(Debug, PartialEq)]
struct EcrUri<'a> {
    registry: &'a str,
    region: &'a str,
    /// Everything before the repository: the host and its `/`.
    host: &'a str,
    repository: &'a str,
    tag: &'a str,
}

fn parse_ecr_uri(uri: &str) -> Option<EcrUri<'_>> {
    let (host, rest) = uri.split_once('/')?;
    let mut parts = host.split('.');
    let registry = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    // A tag follows the last `:` after the last `/` (a registry port cannot occur here).
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (rest, "latest"),
    };
    Some(EcrUri {
        registry,
        region,
        host,
        repository,
        tag,
    })
}

/// `repo:tag` → `repo@sha256:…`, the digest ECR has for the tag now.
async fn pin_tag(aws: &Aws, uri: &str, region: &str) -> Result<String> {
    let Some(p) = parse_ecr_uri(uri) else {
        return Err(Error::failed_with_hint(
            format!("image `{uri}` is not in ECR, so Lambda cannot run it"),
            "push it to an ECR repository in the service's region and give that URI",
        ));
    };
    if p.region != region {
        return Err(Error::failed_with_hint(
            format!(
                "image `{uri}` is in {}, but the service deploys to {region}",
                p.region
            ),
            "Lambda runs images from its own region: push the image there (ECR replication can copy it)",
        ));
    }
    let ecr = aws_sdk_ecr::Client::new(&aws.config);
    let out = ecr
        .describe_images()
        .registry_id(p.registry)
        .repository_name(p.repository)
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(p.tag)
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            let code = e.code().unwrap_or_default().to_string();
            let hint = match code.as_str() {
                "ImageNotFoundException" => format!("push the image with tag `{}` first", p.tag),
                "RepositoryNotFoundException" => {
                    format!(
                        "create the repository `{}` and push the image",
                        p.repository
                    )
                }
                _ => "check the URI and your access to the repository".into(),
            };
            Error::failed_with_hint(
                format!("could not find image `{uri}` in ECR: {}", describe(&e)),
                hint,
            )
        })?;
    let digest = out
        .image_details()
        .first()
        .and_then(|d| d.image_digest())
        .ok_or_else(|| Error::failed(format!("ECR has no digest for image `{uri}`")))?;
    Ok(format!("{}/{}@{digest}", p.host, p.repository))
}

/// The repository built images go to: found, or created with `scanOnPush`; with
/// `maxImageCount`, a lifecycle policy expiring older images.
struct Repository {
    uri: String,
}

async fn repository(
    aws: &Aws,
    name: &str,
    scan_on_push: bool,
    max_image_count: Option<i64>,
) -> Result<Repository> {
    let ecr = aws_sdk_ecr::Client::new(&aws.config);
    let found = ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await;
    let uri = match found {
        Ok(out) => out
            .repositories()
            .first()
            .and_then(|r| r.repository_uri())
            .map(str::to_string),
        Err(e) if e.code() == Some("RepositoryNotFoundException") => None,
        Err(e) => return Err(aws_error(&format!("reading ECR repository {name}"), &e)),
    };
    let uri = match uri {
        Some(u) => u,
        None => ecr
            .create_repository()
            .repository_name(name)
            .image_scanning_configuration(
                aws_sdk_ecr::types::ImageScanningConfiguration::builder()
                    .scan_on_push(scan_on_push)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws_error(&format!("creating ECR repository {name}"), &e))?
            .repository()
            .and_then(|r| r.repository_uri())
            .map(str::to_string)
            .ok_or_else(|| Error::failed(format!("ECR created {name} without a URI")))?,
    };
    if let Some(n) = max_image_count {
        ecr.put_lifecycle_policy()
            .repository_name(name)
            .lifecycle_policy_text(lifecycle_policy(n))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    &format!("setting the lifecycle policy of ECR repository {name}"),
                    &e,
                )
            })?;
    }
    Ok(Repository { uri })
}

/// Keeps the newest `n` images.
fn lifecycle_policy(n: i64) -> String {
    json!({
        "rules": [{
            "rulePriority": 1,
            "action": { "type": "expire" },
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": n },
        }]
    })
    .to_string()
}

/// The registry to log in to and the password, from an ECR authorization token
/// (`AWS:<password>` in base64).
async fn login_endpoint(aws: &Aws) -> Result<(String, String)> {
    use base64::Engine;
    let ecr = aws_sdk_ecr::Client::new(&aws.config);
    let out = ecr
        .get_authorization_token()
        .send()
        .await
        .map_err(|e| aws_error("getting an ECR login token", &e))?;
    let data = out
        .authorization_data()
        .first()
        .ok_or_else(|| Error::failed("ECR gave no login token"))?;
    let token = base64::engine::general_purpose::STANDARD
        .decode(data.authorization_token().unwrap_or_default())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::failed("ECR's login token is not base64 text"))?;
    let password = token
        .split_once(':')
        .map(|(_, p)| p.to_string())
        .ok_or_else(|| Error::failed("ECR's login token has no password"))?;
    let endpoint = data.proxy_endpoint().unwrap_or_default().to_string();
    Ok((endpoint, password))
}

/// `remove`: the repository v3 and sls-rs push built images to, with its images. Absent, or
/// not readable without ECR permissions the service never needed, is not an error.
pub async fn remove_repository(aws: &Aws, service: &Service) -> Result<bool> {
    let name = naming::ecr_repository_name(&service.name, &service.stage);
    let ecr = aws_sdk_ecr::Client::new(&aws.config);
    match ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.code(),
                Some("RepositoryNotFoundException" | "AccessDeniedException")
            ) =>
        {
            if e.code() == Some("AccessDeniedException") && !service.provider.ecr.images.is_empty()
            {
                eprintln!(
                    "warning: could not read ECR repository {name} (access denied); it is not removed"
                );
            }
            return Ok(false);
        }
        Err(e) => return Err(aws_error(&format!("reading ECR repository {name}"), &e)),
    }
    ecr.delete_repository()
        .repository_name(&name)
        .force(true)
        .send()
        .await
        .map_err(|e| aws_error(&format!("removing ECR repository {name}"), &e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_uris_come_apart() {
        let p = parse_ecr_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v2").unwrap();
        assert_eq!(
            p,
            EcrUri {
                registry: "123456789012",
                region: "eu-west-1",
                host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                repository: "team/app",
                tag: "v2",
            }
        );
        let p = parse_ecr_uri("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app").unwrap();
        assert_eq!((p.repository, p.tag), ("app", "latest"));
        assert!(parse_ecr_uri("docker.io/library/node:20").is_none());
    }

    #[test]
    fn builds_as_v3_builds() {
        let b = ImageBuild {
            path: "./sub/../img".into(),
            file: "Dockerfile.prod".into(),
            build_args: [("A".to_string(), "1".to_string())].into_iter().collect(),
            build_options: vec!["--label".into(), "x=y".into()],
            cache_from: vec!["repo:cache".into()],
            platform: Some("linux/arm64".into()),
            provenance: Some("false".into()),
        };
        let args = build_args(
            Path::new("/svc"),
            "serverless-s-dev:app",
            Path::new("/svc/img/Dockerfile.prod"),
            &b,
        );
        assert_eq!(
            args.join(" "),
            "build -t serverless-s-dev:app -f /svc/img/Dockerfile.prod --build-arg A=1 --cache-from repo:cache --label x=y --platform=linux/arm64 --provenance=false /svc/img"
        );
    }

    #[test]
    fn the_lifecycle_policy_keeps_the_newest() {
        let v: Value = serde_json::from_str(&lifecycle_policy(7)).unwrap();
        assert_eq!(v["rules"][0]["selection"]["countNumber"], 7);
        assert_eq!(
            v["rules"][0]["selection"]["countType"],
            "imageCountMoreThan"
        );
    }
}
