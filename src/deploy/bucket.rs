//! The deployment bucket: one directory per deployment
//! (`serverless/<service>/<stage>/<epochMs>-<ISO8601>/`), each object carrying its sha256 in
//! the `filesha256` metadata (as v3 does), which is how an unchanged deployment is recognised.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::{aws_error, Aws};
use crate::error::{Error, Result};
use crate::manifest::service::UploadEncryption;

pub const HASH_KEY: &str = "filesha256";
/// How many deployment directories are kept in the bucket.
pub const KEEP: usize = 5;

/// The bucket holding the deployed service's deployments: `provider.deploymentBucket`, else the
/// stack's own. An error when neither exists (the service was never deployed there).
pub async fn of_service(aws: &Aws, service: &crate::manifest::Service) -> Result<String> {
    if let Some(b) = service.provider.custom_bucket() {
        return Ok(b);
    }
    let name = service.stack_name();
    super::stack::physical_id(aws, &name, crate::naming::BUCKET_ID)
        .await?
        .ok_or_else(|| {
            Error::failed_with_hint(
                format!(
                    "stack {name} has no deployment bucket in {}",
                    service.region
                ),
                "deploy it first with `sls-rs deploy`, or check --stage and --region",
            )
        })
}

/// The deployment directories under `prefix` (`serverless/svc/dev/`), oldest first.
pub async fn deployment_dirs(aws: &Aws, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| aws_error("ListObjectsV2", &e))?;
        for p in page.common_prefixes() {
            if let Some(p) = p.prefix() {
                out.push(p.trim_end_matches('/').to_string());
            }
        }
        token = page.next_continuation_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    out.sort();
    Ok(out)
}

/// Every key under `dir/`, all pages.
async fn keys_in(aws: &Aws, bucket: &str, dir: &str) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(format!("{dir}/"))
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| aws_error("ListObjectsV2", &e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from)),
        );
        token = page.next_continuation_token().map(String::from);
        if token.is_none() {
            return Ok(keys);
        }
    }
}

/// The text of the object `key`.
pub async fn read_text(aws: &Aws, bucket: &str, key: &str) -> Result<String> {
    let out = aws
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| aws_error("GetObject", &e))?;
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| Error::failed(format!("reading s3://{bucket}/{key}: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes.into_bytes()).into_owned())
}

/// File name → `filesha256` of every object in `dir`.
pub async fn hashes(aws: &Aws, bucket: &str, dir: &str) -> Result<BTreeMap<String, String>> {
    let keys = keys_in(aws, bucket, dir).await?;
    let found: Vec<(String, String)> = stream::iter(keys)
        .map(|key| async move {
            let head = aws
                .s3
                .head_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| aws_error("HeadObject", &e))?;
            let sha = head
                .metadata()
                .and_then(|m| m.get(HASH_KEY))
                .cloned()
                .unwrap_or_default();
            let name = key.rsplit('/').next().unwrap_or(&key).to_string();
            Ok::<_, Error>((name, sha))
        })
        .buffer_unordered(super::IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().collect())
}

pub enum Content {
    Bytes(Vec<u8>),
    File(PathBuf),
}

pub struct Upload {
    pub name: String,
    pub content: Content,
    pub sha256: String,
    pub content_type: &'static str,
    /// Whether an object with the same hash in the last deployment may be copied instead:
    /// for zips, whose hash is of their exact bytes, not for templates, whose hash leaves out
    /// the deployment's directory and time they name.
    pub copyable: bool,
}

/// Uploads `files` into `dir`, in parallel. A copyable file whose content is already in
/// `previous` (a directory of the last deployment) is copied inside S3 instead of sent again.
pub async fn upload(
    aws: &Aws,
    bucket: &str,
    dir: &str,
    files: Vec<Upload>,
    previous: Option<(&str, &BTreeMap<String, String>)>,
    sse: &UploadEncryption,
) -> Result<(usize, usize)> {
    let results: Vec<bool> = stream::iter(files)
        .map(|f| async move {
            let key = format!("{dir}/{}", f.name);
            if let Some((prev_dir, prev)) = previous {
                if f.copyable
                    && !sse.customer()
                    && prev.get(&f.name) == Some(&f.sha256)
                    && !f.sha256.is_empty()
                {
                    aws.s3
                        .copy_object()
                        .bucket(bucket)
                        .key(&key)
                        .copy_source(format!("{bucket}/{prev_dir}/{}", f.name))
                        .set_server_side_encryption(sse.algorithm.as_deref().map(Into::into))
                        .set_ssekms_key_id(sse.kms_key_id.clone())
                        .send()
                        .await
                        .map_err(|e| aws_error("CopyObject", &e))?;
                    return Ok::<_, Error>(false);
                }
            }
            let body = match &f.content {
                Content::Bytes(b) => ByteStream::from(b.clone()),
                Content::File(p) => ByteStream::from_path(p)
                    .await
                    .map_err(|e| Error::failed(format!("could not read {}: {e}", p.display())))?,
            };
            aws.s3
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(body)
                .content_type(f.content_type)
                .metadata(HASH_KEY, &f.sha256)
                .set_server_side_encryption(sse.algorithm.as_deref().map(Into::into))
                .set_ssekms_key_id(sse.kms_key_id.clone())
                .set_sse_customer_algorithm(sse.customer_algorithm.clone())
                .set_sse_customer_key(sse.customer_key.clone())
                .set_sse_customer_key_md5(sse.customer_key_md5.clone())
                .send()
                .await
                .map_err(|e| aws_error(&format!("uploading {}", f.name), &e))?;
            Ok(true)
        })
        .buffer_unordered(super::IN_FLIGHT)
        .try_collect()
        .await?;
    let sent = results.iter().filter(|s| **s).count();
    Ok((sent, results.len() - sent))
}

/// How many deployment directories `service` keeps: `deploymentBucket.maxPreviousDeploymentArtifacts`,
/// else [`KEEP`].
pub fn kept(service: &crate::manifest::Service) -> usize {
    service
        .provider
        .deployment_bucket
        .as_ref()
        .and_then(|b| b.max_previous_deployments)
        .unwrap_or(KEEP)
}

/// Deletes every deployment directory but the newest [`KEEP`].
pub async fn prune(aws: &Aws, bucket: &str, prefix: &str, keep: usize) -> Result<usize> {
    let dirs = deployment_dirs(aws, bucket, prefix).await?;
    if dirs.len() <= keep {
        return Ok(0);
    }
    let old = &dirs[..dirs.len() - keep];
    let mut removed = 0;
    for dir in old {
        let ids: Vec<ObjectIdentifier> = keys_in(aws, bucket, dir)
            .await?
            .iter()
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if ids.is_empty() {
            continue;
        }
        delete_batch(aws, bucket, ids).await?;
        removed += 1;
    }
    Ok(removed)
}

async fn delete_batch(aws: &Aws, bucket: &str, ids: Vec<ObjectIdentifier>) -> Result<()> {
    for chunk in ids.chunks(1000) {
        let delete = Delete::builder()
            .set_objects(Some(chunk.to_vec()))
            .quiet(true)
            .build()
            .map_err(|e| Error::failed(format!("internal: {e}")))?;
        aws.s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws_error("DeleteObjects", &e))?;
    }
    Ok(())
}

/// Deletes every version and delete marker under `prefix` (the whole bucket for `""`), so a
/// versioned bucket can be deleted. Returns how many were deleted.
pub async fn empty(aws: &Aws, bucket: &str, prefix: &str) -> Result<usize> {
    let mut total = 0;
    loop {
        let page = match aws
            .s3
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if super::describe(&e).contains("NoSuchBucket") => return Ok(total),
            Err(e) => return Err(aws_error("ListObjectVersions", &e)),
        };
        // Every object version and every delete marker, by key and version.
        let entries = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        let ids: Vec<ObjectIdentifier> = entries
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(String::from))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(total);
        }
        total += ids.len();
        delete_batch(aws, bucket, ids).await?;
    }
}

/// `https://…` URL of an object, for `TemplateURL`. With an endpoint override (a local AWS),
/// the virtual-hosted AWS form `https://BUCKET.s3.amazonaws.com/KEY`, which such services map
/// to their own S3 (moto reads the bucket from the host and refuses its own path-style URL).
pub fn object_url(aws: &Aws, bucket: &str, key: &str) -> String {
    match &aws.endpoint {
        Some(_) => format!("https://{bucket}.s3.amazonaws.com/{key}"),
        None => super::partition::s3_object_url(&aws.region, bucket, key),
    }
}
