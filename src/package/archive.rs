//! Deterministic zips: entries sorted, no directory entries, every date 1980-01-01 00:00,
//! mode 0644 (0755 when any execute bit is set), Deflate; pnpm's links as symlink entries. The
//! same content gives the same bytes whatever the files' mtimes, so unchanged code keeps its
//! CodeSha256.
//!
//! The writer is sls-rs's own, and only appends: the archive streams into any `Write` (a file,
//! or nothing for a dry run) while its size and sha256 are taken, so nothing is read back and a
//! dry run holds no archive in memory. Files are compressed in parallel (rayon) in bounded
//! chunks and appended in order, each worker reusing one compressor; a file too large for a
//! chunk is compressed through a temporary file. What stays in memory for the whole archive is
//! the central directory, written as it will appear (46 bytes and the name per entry).
//!
//! The bytes are those the `zip` crate writes for the same entries (a test holds the two side by
//! side), so archives keep the hashes earlier versions gave them.

use std::cell::RefCell;
use std::io::{Read, Seek, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::select::{Entry, Files};
use crate::error::{Error, Result};

/// Files larger than this are compressed through a temporary file, one at a time.
const STREAM_ABOVE: u64 = 16 * 1024 * 1024;
/// A chunk of files compressed together: at most this many files or bytes.
const CHUNK_FILES: usize = 256;
const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const ZIP64_END_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const DEFLATED: u16 = 8;
const STORED: u16 = 0;
/// 1980-01-01 00:00:00 in MS-DOS form.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Made by: Unix (the low byte is the version the entry needs).
const UNIX: u16 = 3 << 8;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

/// What was written: the archive's size and sha256 (base64, hex).
#[derive(Debug, Clone)]
pub struct Written {
    pub size: u64,
    pub sha256: (String, String),
}

/// One entry's data, ready to append.
struct Member {
    method: u16,
    crc: u32,
    size: u64,
    data: Data,
}

enum Data {
    Bytes(Vec<u8>),
    Spooled(std::fs::File, u64),
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::Bytes(b) => b.len() as u64,
            Data::Spooled(_, n) => *n,
        }
    }
}

/// The output: every byte counted and hashed on its way out.
struct Out<W: Write> {
    w: W,
    hash: Sha256,
    pos: u64,
}

impl<W: Write> Out<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.write_all(bytes)
    }
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.hash.update(&buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// The archive being written: the output and the central directory so far.
struct Archive<W: Write> {
    out: Out<W>,
    central: Vec<u8>,
    count: u64,
    /// The highest version any entry needs.
    needed: u16,
    what: String,
}

impl<W: Write> Archive<W> {
    fn fail(&self, e: std::io::Error) -> Error {
        Error::failed(format!("could not write {}: {e}", self.what))
    }

    fn too_large(&self, why: &str) -> Error {
        Error::failed(format!(
            "{} would be larger than a zip without ZIP64 sizes can hold ({why}); Lambda takes at most 250 MB unzipped",
            self.what
        ))
    }

    fn add(&mut self, name: &str, mode: u32, m: Member) -> Result<()> {
        let csize = m.data.len();
        if m.size >= u32::MAX as u64 || csize >= u32::MAX as u64 {
            return Err(self.too_large(&format!("`{name}` alone")));
        }
        let offset = self.out.pos;
        if offset >= u32::MAX as u64 {
            return Err(self.too_large("4 GiB of entries"));
        }
        let needed: u16 = if m.method == DEFLATED { 20 } else { 10 };
        let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
        let name_len = u16::try_from(name.len())
            .map_err(|_| Error::failed(format!("`{name}` is too long a name for a zip")))?;
        let mut local = Vec::with_capacity(30 + name.len());
        put32(&mut local, LOCAL_SIG);
        put16(&mut local, needed);
        put16(&mut local, flags);
        put16(&mut local, m.method);
        put16(&mut local, DOS_TIME);
        put16(&mut local, DOS_DATE);
        put32(&mut local, m.crc);
        put32(&mut local, csize as u32);
        put32(&mut local, m.size as u32);
        put16(&mut local, name_len);
        put16(&mut local, 0);
        local.extend_from_slice(name.as_bytes());
        self.out.put(&local).map_err(|e| self.fail(e))?;
        match m.data {
            Data::Bytes(b) => self.out.put(&b).map_err(|e| self.fail(e))?,
            Data::Spooled(mut f, _) => {
                f.rewind().map_err(|e| self.fail(e))?;
                std::io::copy(&mut f, &mut self.out).map_err(|e| self.fail(e))?;
            }
        }
        let c = &mut self.central;
        put32(c, CENTRAL_SIG);
        put16(c, UNIX | needed);
        put16(c, needed);
        put16(c, flags);
        put16(c, m.method);
        put16(c, DOS_TIME);
        put16(c, DOS_DATE);
        put32(c, m.crc);
        put32(c, csize as u32);
        put32(c, m.size as u32);
        put16(c, name_len);
        put16(c, 0); // extra
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        put32(c, mode << 16);
        put32(c, offset as u32);
        c.extend_from_slice(name.as_bytes());
        self.count += 1;
        self.needed = self.needed.max(needed);
        Ok(())
    }

    fn finish(mut self) -> Result<Written> {
        let start = self.out.pos;
        let central = std::mem::take(&mut self.central);
        self.out.put(&central).map_err(|e| self.fail(e))?;
        let size = central.len() as u64;
        drop(central);
        let zip64 = self.count > u16::MAX as u64 || start.max(size) > u32::MAX as u64;
        let mut end = Vec::with_capacity(98);
        if zip64 {
            put32(&mut end, ZIP64_END_SIG);
            end.extend_from_slice(&44u64.to_le_bytes());
            // Made by and needed: the highest any entry needs, as the `zip` crate writes them.
            put16(&mut end, self.needed);
            put16(&mut end, self.needed);
            put32(&mut end, 0);
            put32(&mut end, 0);
            end.extend_from_slice(&self.count.to_le_bytes());
            end.extend_from_slice(&self.count.to_le_bytes());
            end.extend_from_slice(&size.to_le_bytes());
            end.extend_from_slice(&start.to_le_bytes());
            put32(&mut end, ZIP64_LOCATOR_SIG);
            put32(&mut end, 0);
            end.extend_from_slice(&(start + size).to_le_bytes());
            put32(&mut end, 1);
        }
        put32(&mut end, END_SIG);
        put16(&mut end, 0);
        put16(&mut end, 0);
        let n = self.count.min(u16::MAX as u64) as u16;
        put16(&mut end, n);
        put16(&mut end, n);
        put32(&mut end, if zip64 { u32::MAX } else { size as u32 });
        put32(&mut end, start.min(u32::MAX as u64) as u32);
        put16(&mut end, 0);
        self.out.put(&end).map_err(|e| self.fail(e))?;
        self.out.w.flush().map_err(|e| self.fail(e))?;
        let digest = self.out.hash.finalize();
        Ok(Written {
            size: self.out.pos,
            sha256: encode(&digest),
        })
    }
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn mode(e: &Entry) -> u32 {
    S_IFREG | if e.executable { 0o755 } else { 0o644 }
}

/// A writer that takes the CRC-32 and length of what passes through it.
struct Crc<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

thread_local! {
    /// Each worker's compressor, reused from file to file. Files are fed to it as
    /// `std::io::copy` feeds them (8 KiB reads): DEFLATE output depends on how the input
    /// arrives, and this is how the `zip` crate was fed when sls-rs wrote through it.
    static DEFLATE: RefCell<DeflateEncoder<Vec<u8>>> =
        RefCell::new(DeflateEncoder::new(Vec::new(), Compression::default()));
}

/// Reads and compresses one file of a chunk.
fn member(path: &std::path::Path, size: u64) -> std::io::Result<Member> {
    DEFLATE.with(|d| {
        let enc = &mut *d.borrow_mut();
        enc.reset(Vec::with_capacity(size as usize / 3 + 64))?;
        let mut w = Crc {
            inner: &mut *enc,
            crc: crc32fast::Hasher::new(),
            size: 0,
        };
        std::io::copy(&mut std::fs::File::open(path)?, &mut w)?;
        let (crc, size) = (w.crc.finalize(), w.size);
        enc.try_finish()?;
        let mut data = enc.reset(Vec::new())?;
        data.shrink_to_fit();
        Ok(Member {
            method: DEFLATED,
            crc,
            size,
            data: Data::Bytes(data),
        })
    })
}

/// Compresses a large file into a temporary file.
fn spooled(path: &std::path::Path) -> std::io::Result<Member> {
    let mut w = Crc {
        inner: DeflateEncoder::new(tempfile::tempfile()?, Compression::default()),
        crc: crc32fast::Hasher::new(),
        size: 0,
    };
    std::io::copy(&mut std::fs::File::open(path)?, &mut w)?;
    let mut spool = w.inner.finish()?;
    let len = spool.stream_position()?;
    Ok(Member {
        method: DEFLATED,
        crc: w.crc.finalize(),
        size: w.size,
        data: Data::Spooled(spool, len),
    })
}

/// Writes `files` as a zip into `w`.
pub fn write<W: Write>(files: &Files, w: W, what: &str) -> Result<Written> {
    let tree = files.tree();
    let entries: Vec<&Entry> = files.iter().collect();
    let mut zip = Archive {
        out: Out {
            w,
            hash: Sha256::new(),
            pos: 0,
        },
        central: Vec::with_capacity(entries.iter().map(|e| 46 + e.name.len()).sum()),
        count: 0,
        needed: 10,
        what: what.to_string(),
    };
    let read_err = |e: &Entry, err: std::io::Error| Error::io("read", tree.path(e), err);
    let mut i = 0;
    while i < entries.len() {
        let e = entries[i];
        if let Some(target) = &e.link {
            let m = Member {
                method: STORED,
                crc: crc32fast::hash(target.as_bytes()),
                size: target.len() as u64,
                data: Data::Bytes(target.as_bytes().to_vec()),
            };
            zip.add(&e.name, S_IFLNK | 0o777, m)?;
            i += 1;
            continue;
        }
        if e.size > STREAM_ABOVE {
            let m = spooled(&tree.path(e)).map_err(|err| read_err(e, err))?;
            zip.add(&e.name, mode(e), m)?;
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
        let members: Vec<std::io::Result<Member>> = entries[i..end]
            .par_iter()
            .map(|e| member(&tree.path(e), e.size))
            .collect();
        for (e, m) in entries[i..end].iter().zip(members) {
            let m = m.map_err(|err| read_err(e, err))?;
            zip.add(&e.name, mode(e), m)?;
        }
        i = end;
    }
    zip.finish()
}

fn encode(digest: &[u8]) -> (String, String) {
    use base64::Engine;
    let hex = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    (
        base64::engine::general_purpose::STANDARD.encode(digest),
        hex,
    )
}

/// sha256 (base64, hex) and size of a file on disk: a zip built elsewhere, or rewritten.
pub fn hash_file(path: &std::path::Path) -> Result<((String, String), u64)> {
    let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((sha256(f).map_err(|e| Error::io("read", path, e))?, size))
}

/// sha256 of everything `r` yields: (base64, hex).
pub fn sha256<R: Read>(mut r: R) -> std::io::Result<(String, String)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(encode(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyPath;
    use crate::package::select::{self, Patterns};
    use std::sync::Arc;

    /// The same entries through the `zip` crate, with the options sls-rs used before it wrote
    /// its own archives.
    fn reference(files: &Files) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
        use zip::{CompressionMethod, DateTime, ZipWriter};
        let mut z = ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for e in files.iter() {
            if let Some(t) = &e.link {
                let o = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Stored)
                    .last_modified_time(DateTime::default())
                    .unix_permissions(0o777);
                z.add_symlink(e.name.as_str(), t.as_str(), o).unwrap();
                continue;
            }
            let o = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(DateTime::default())
                .unix_permissions(if e.executable { 0o755 } else { 0o644 });
            z.start_file(e.name.as_str(), o).unwrap();
            let mut f = std::fs::File::open(files.tree().path(e)).unwrap();
            std::io::copy(&mut f, &mut z).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn all(dir: &std::path::Path) -> Files {
        let tree = Arc::new(select::walk(dir).unwrap());
        let p = Patterns::new(&[], &KeyPath::root()).unwrap();
        select::select(&tree, &p, |_| true)
    }

    /// Panics at the first byte where `a` and `b` differ, showing both around it.
    fn same(a: &[u8], b: &[u8]) {
        if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
            let w = |v: &[u8]| v[i.saturating_sub(16)..(i + 16).min(v.len())].to_vec();
            panic!("byte {i} differs: ours {:?}, zip crate {:?}", w(a), w(b));
        }
        assert_eq!(a.len(), b.len(), "lengths differ");
    }

    fn ours(files: &Files) -> (Vec<u8>, Written) {
        let mut v = Vec::new();
        let w = write(files, &mut v, "test.zip").unwrap();
        (v, w)
    }

    #[test]
    fn the_same_bytes_as_the_zip_crate() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("node_modules/.pnpm/a@1/node_modules/a")).unwrap();
        std::fs::write(
            d.join("node_modules/.pnpm/a@1/node_modules/a/index.js"),
            "x",
        )
        .unwrap();
        std::os::unix::fs::symlink(".pnpm/a@1/node_modules/a", d.join("node_modules/a")).unwrap();
        std::fs::write(
            d.join("handler.js"),
            "exports.h = async () => 1;\n".repeat(400),
        )
        .unwrap();
        std::fs::write(d.join("empty.txt"), "").unwrap();
        std::fs::write(d.join("café ünïcode.js"), "é").unwrap();
        let big: Vec<u8> = (0..(STREAM_ABOVE as usize + 5000))
            .map(|i| ((i * 7919) % 251) as u8)
            .collect();
        std::fs::write(d.join("big.bin"), &big).unwrap();
        let chunked: String = (0..3000).map(|i| format!("line {i}\n")).collect();
        for i in 0..300 {
            std::fs::write(
                d.join(format!("f{i:03}.js")),
                &chunked[..(i * 97) % chunked.len()],
            )
            .unwrap();
        }
        let run = d.join("run.sh");
        std::fs::write(&run, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        let files = all(d);
        assert!(files.iter().any(|e| e.link.is_some()));
        let (bytes, w) = ours(&files);
        same(&bytes, &reference(&files));
        assert_eq!(w.size, bytes.len() as u64);
        assert_eq!(w.sha256, sha256(bytes.as_slice()).unwrap());
    }

    #[test]
    fn more_entries_than_a_zip_without_zip64_holds() {
        // Stored links need nothing on disk, and take the same path through the central
        // directory and the end records as files.
        let n = u16::MAX as usize + 10;
        let entries = (0..n)
            .map(|i| select::Entry {
                name: format!("d/{i:06}"),
                size: 0,
                executable: false,
                link: Some("x".into()),
            })
            .collect();
        let tree = Arc::new(select::Tree {
            root: "/nonexistent".into(),
            entries,
        });
        let p = Patterns::new(&[], &KeyPath::root()).unwrap();
        let files = select::select(&tree, &p, |_| true);
        let (bytes, _) = ours(&files);
        same(&bytes, &reference(&files));
        let z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), n);
    }
}
