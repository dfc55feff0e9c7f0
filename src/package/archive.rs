//! Deterministic zips: entries sorted, no directory entries, every date 1980-01-01 00:00,
//! mode 0644 (0755 when any execute bit is set), Deflate; pnpm's links as symlink entries. The same content gives the same bytes
//! whatever the files' mtimes, so unchanged code keeps its CodeSha256.
//!
//! Files are compressed in parallel (rayon) in bounded chunks and appended in order, so memory
//! stays near one chunk's compressed size however large the tree.

use std::io::{Read, Seek, Write};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::write::{PreparedZipFile, SimpleFileOptions};
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::select::Entry;
use crate::error::{Error, Result};

/// Files larger than this are streamed one at a time rather than held compressed in memory.
const STREAM_ABOVE: u64 = 16 * 1024 * 1024;
/// A chunk of files compressed together: at most this many files or bytes.
const CHUNK_FILES: usize = 256;
const CHUNK_BYTES: u64 = 8 * 1024 * 1024;

fn options(e: &Entry) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(if e.executable { 0o755 } else { 0o644 })
        .large_file(e.size >= u32::MAX as u64)
}

fn zip_err(e: zip::result::ZipError, what: &str) -> Error {
    Error::failed(format!("could not write {what}: {e}"))
}

/// Writes `entries` as a zip into `w`.
pub fn write<W: Write + Seek>(entries: &[Entry], w: W, what: &str) -> Result<W> {
    let mut zip = ZipWriter::new(w);
    let mut i = 0;
    while i < entries.len() {
        let e = &entries[i];
        if let Some(target) = &e.link {
            let opts = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .last_modified_time(DateTime::default())
                .unix_permissions(0o777);
            zip.add_symlink(e.name.as_str(), target.as_str(), opts)
                .map_err(|err| zip_err(err, what))?;
            i += 1;
            continue;
        }
        if e.size > STREAM_ABOVE {
            zip.start_file(e.name.as_str(), options(e))
                .map_err(|err| zip_err(err, what))?;
            let mut f =
                std::fs::File::open(&e.path).map_err(|err| Error::io("read", &e.path, err))?;
            std::io::copy(&mut f, &mut zip).map_err(|err| Error::io("read", &e.path, err))?;
            i += 1;
            continue;
        }
        let mut end = i;
        let mut bytes = 0;
        while end < entries.len()
            && end - i < CHUNK_FILES
            && entries[end].size <= STREAM_ABOVE
            && entries[end].link.is_none()
            && (bytes == 0 || bytes + entries[end].size <= CHUNK_BYTES)
        {
            bytes += entries[end].size;
            end += 1;
        }
        let prepared: Vec<std::result::Result<PreparedZipFile, (usize, zip::result::ZipError)>> =
            entries[i..end]
                .par_iter()
                .enumerate()
                .map(|(k, e)| {
                    PreparedZipFile::from_path(e.name.as_str(), &e.path, options(e))
                        .map_err(|err| (i + k, err))
                })
                .collect();
        for p in prepared {
            match p {
                Ok(p) => zip.add_prepared_file(p).map_err(|err| zip_err(err, what))?,
                Err((k, err)) => {
                    return Err(Error::failed(format!(
                        "could not read {}: {err}",
                        entries[k].path.display()
                    )))
                }
            }
        }
        i = end;
    }
    zip.finish().map_err(|e| zip_err(e, what))
}

/// sha256 of everything `r` yields: (base64, hex).
pub fn sha256<R: Read>(mut r: R) -> std::io::Result<(String, String)> {
    use base64::Engine;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let digest = h.finalize();
    let hex = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Ok((
        base64::engine::general_purpose::STANDARD.encode(digest),
        hex,
    ))
}
