//! A local Lambda Runtime API for `invoke local` of `provided*` functions: the function's
//! `bootstrap` runs as a process with `AWS_LAMBDA_RUNTIME_API` pointing here, takes the one event
//! from `GET /2018-06-01/runtime/invocation/next`, and answers on `…/{id}/response` or
//! `…/{id}/error` (or `…/runtime/init/error` when it cannot start), as in Lambda. The process is
//! stopped once it has answered, or when the function's timeout passes.
//!
//! HTTP/1.1 on loopback with the standard library: bodies with `Content-Length` or chunked,
//! connections kept alive, each in its own thread.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How the invocation ended.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// `…/response`: the handler's result.
    Response(Vec<u8>),
    /// `…/error`: the handler's error document.
    Error(Vec<u8>),
    /// `…/runtime/init/error`: the runtime could not start.
    InitError(Vec<u8>),
    /// No answer within the function's timeout.
    Timeout,
}

/// The invocation handed to the runtime.
pub struct Invocation {
    pub request_id: String,
    pub event: Vec<u8>,
    pub function_arn: String,
    pub timeout: Duration,
    /// Sent as `Lambda-Runtime-Client-Context` when not empty.
    pub client_context: Option<String>,
}

/// A Runtime API on a free loopback port, serving one invocation.
pub struct RuntimeApi {
    listener: TcpListener,
}

/// The largest request body taken (Lambda's response payload limit is 6 MB).
const MAX_BODY: usize = 6 * 1024 * 1024 + 1024;
/// The longest request line or header taken.
const MAX_LINE: usize = 64 * 1024;

impl RuntimeApi {
    pub fn bind() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::failed(format!("could not listen on loopback: {e}")))?;
        Ok(RuntimeApi { listener })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// Serves `inv` to `child` until it answers, exits, or the timeout passes; `child` is
    /// stopped in every case.
    pub fn serve(self, inv: Invocation, mut child: Child) -> Result<Outcome> {
        let (tx, rx) = mpsc::channel::<Outcome>();
        let pending = Mutex::new(Some((inv.request_id.clone(), inv.event.clone())));
        let done = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let deadline_ms = crate::clock::now_ms() + inv.timeout.as_millis() as u64;
        let shared = Arc::new(Shared {
            pending,
            done: done.clone(),
            tx: Mutex::new(tx),
            request_id: inv.request_id.clone(),
            function_arn: inv.function_arn.clone(),
            client_context: inv.client_context.clone(),
            deadline_ms,
        });
        self.listener.set_nonblocking(true).ok();
        let listener = self.listener;
        let accept_shared = shared.clone();
        std::thread::spawn(move || {
            while !accept_shared.done.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let s = accept_shared.clone();
                        std::thread::spawn(move || {
                            let _ = connection(conn, &s);
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        let stop = |child: &mut Child| {
            done.store(true, Ordering::Relaxed);
            let _ = child.kill();
            let _ = child.wait();
        };
        loop {
            if let Ok(outcome) = rx.recv_timeout(Duration::from_millis(10)) {
                stop(&mut child);
                return Ok(outcome);
            }
            if let Ok(Some(status)) = child.try_wait() {
                // An answer may have arrived just before the exit.
                if let Ok(outcome) = rx.recv_timeout(Duration::from_millis(50)) {
                    stop(&mut child);
                    return Ok(outcome);
                }
                done.store(true, Ordering::Relaxed);
                return Err(Error::failed_with_hint(
                    format!("bootstrap exited ({status}) without answering the invocation"),
                    "a custom runtime loops on GET /2018-06-01/runtime/invocation/next and posts each result to …/response",
                ));
            }
            if started.elapsed() >= inv.timeout {
                stop(&mut child);
                return Ok(Outcome::Timeout);
            }
        }
    }
}

struct Shared {
    /// The invocation, until the runtime takes it.
    pending: Mutex<Option<(String, Vec<u8>)>>,
    done: Arc<AtomicBool>,
    tx: Mutex<mpsc::Sender<Outcome>>,
    request_id: String,
    function_arn: String,
    client_context: Option<String>,
    deadline_ms: u64,
}

fn connection(conn: TcpStream, s: &Shared) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let Some((method, path, headers)) = head(&mut reader)? else {
            return Ok(());
        };
        let body = body(&mut reader, &headers)?;
        let reply = route(&method, &path, body, s);
        match reply {
            Reply::Next(id, event) => {
                let mut extra = format!(
                    "Lambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: {}\r\nLambda-Runtime-Invoked-Function-Arn: {}\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n",
                    s.deadline_ms, s.function_arn
                );
                if let Some(c) = &s.client_context {
                    extra.push_str(&format!("Lambda-Runtime-Client-Context: {c}\r\n"));
                }
                respond(&mut out, 200, "OK", &extra, &event)?;
            }
            Reply::Wait => {
                // No second invocation: hold the request until the process is stopped.
                while !s.done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return Ok(());
            }
            Reply::Accepted => respond(&mut out, 202, "Accepted", "", br#"{"status":"OK"}"#)?,
            Reply::NotFound(msg) => {
                let body =
                    serde_json::json!({ "errorMessage": msg, "errorType": "InvalidRequestID" })
                        .to_string();
                respond(&mut out, 404, "Not Found", "", body.as_bytes())?
            }
            Reply::BadRequest(msg) => {
                let body =
                    serde_json::json!({ "errorMessage": msg, "errorType": "InvalidRequest" })
                        .to_string();
                respond(&mut out, 400, "Bad Request", "", body.as_bytes())?
            }
        }
    }
}

enum Reply {
    Next(String, Vec<u8>),
    Wait,
    Accepted,
    NotFound(String),
    BadRequest(String),
}

fn route(method: &str, path: &str, body: Vec<u8>, s: &Shared) -> Reply {
    let path = path.split('?').next().unwrap_or("");
    let send = |o: Outcome| {
        if let Ok(tx) = s.tx.lock() {
            let _ = tx.send(o);
        }
        Reply::Accepted
    };
    match (method, path) {
        ("GET", "/2018-06-01/runtime/invocation/next") => {
            match s.pending.lock().ok().and_then(|mut p| p.take()) {
                Some((id, event)) => Reply::Next(id, event),
                None => Reply::Wait,
            }
        }
        ("POST", "/2018-06-01/runtime/init/error") => send(Outcome::InitError(body)),
        ("POST", p) => {
            let Some(rest) = p.strip_prefix("/2018-06-01/runtime/invocation/") else {
                return Reply::NotFound(format!("no such path: {p}"));
            };
            let Some((id, what)) = rest.split_once('/') else {
                return Reply::NotFound(format!("no such path: {p}"));
            };
            if id != s.request_id {
                return Reply::BadRequest(format!("unknown request ID {id}"));
            }
            match what {
                "response" => send(Outcome::Response(body)),
                "error" => send(Outcome::Error(body)),
                _ => Reply::NotFound(format!("no such path: {p}")),
            }
        }
        (_, p) => Reply::NotFound(format!("no such path: {p}")),
    }
}

type Head = (String, String, Vec<(String, String)>);

/// The request line and headers, or `None` when the client closed the connection.
fn head(r: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut first = String::new();
    if read_line(r, &mut first)? == 0 {
        return Ok(None);
    }
    let mut words = first.split_whitespace();
    let method = words.next().unwrap_or("").to_string();
    let path = words.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if read_line(r, &mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if headers.len() > 200 {
            return Err(std::io::Error::other("too many headers"));
        }
    }
    Ok(Some((method, path, headers)))
}

fn read_line(r: &mut impl BufRead, into: &mut String) -> std::io::Result<usize> {
    let n = r.take(MAX_LINE as u64).read_line(into)?;
    if n == MAX_LINE && !into.ends_with('\n') {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(n)
}

fn body(r: &mut impl BufRead, headers: &[(String, String)]) -> std::io::Result<Vec<u8>> {
    let get = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h == k)
            .map(|(_, v)| v.as_str())
    };
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            read_line(r, &mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            if body.len() + size > MAX_BODY {
                return Err(std::io::Error::other("body too large"));
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            let mut end = String::new();
            read_line(r, &mut end)?;
            if size == 0 {
                return Ok(body);
            }
        }
    }
    let len: usize = get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > MAX_BODY {
        return Err(std::io::Error::other("body too large"));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(body)
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    extra: &str,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_with_either_body_framing() {
        let raw = b"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nGET /next HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
        let mut r = std::io::BufReader::new(&raw[..]);
        let (m, p, h) = head(&mut r).unwrap().unwrap();
        assert_eq!(
            (m.as_str(), p.as_str()),
            ("POST", "/2018-06-01/runtime/invocation/1/response")
        );
        assert_eq!(body(&mut r, &h).unwrap(), b"abcde");
        let (m, _, h) = head(&mut r).unwrap().unwrap();
        assert_eq!(m, "GET");
        assert_eq!(body(&mut r, &h).unwrap(), b"ok");
        assert!(head(&mut r).unwrap().is_none());
        let huge = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        let mut r = std::io::BufReader::new(huge.as_bytes());
        let (_, _, h) = head(&mut r).unwrap().unwrap();
        assert!(body(&mut r, &h).is_err());
    }
}
