//! A fault-injecting HTTP proxy on loopback, in front of moto, for what moto cannot do:
//! throttling, server faults, connections dropped midway, and recorded responses (a stack
//! that rolled back, one that is busy, a function that failed). Rules match the CloudFormation
//! Query API's `Action`, or for REST APIs (Lambda) a path the request's starts with, optionally
//! only after another action was seen (a REST request is seen as `METHOD /path`) or when the
//! body holds given text, a given number of times; everything else is forwarded to moto
//! unchanged.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub enum Reply {
    /// A status and an XML body.
    Respond(u16, String),
    /// A status, headers and a JSON body (a REST API's answer).
    RespondJson(u16, Vec<(String, String)>, String),
    /// A status, headers (the content type among them) and a binary body (CBOR).
    RespondBytes(u16, Vec<(String, String)>, Vec<u8>),
    /// Close the connection without answering.
    Drop,
    /// Forward to moto, send half of its answer, close.
    Truncate,
}

#[derive(Clone)]
pub struct Rule {
    pub action: String,
    /// Text the request's body must hold, all of it (CBOR keeps strings as they are).
    pub body_has: Vec<String>,
    pub after: Option<String>,
    pub times: usize,
    pub reply: Reply,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<String>,
    bodies: Vec<(String, String)>,
}

pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let state: Arc<Mutex<State>> = Arc::default();
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &s);
                });
            }
        });
        Proxy { url, state }
    }

    pub fn rule(&self, action: &str, after: Option<&str>, times: usize, reply: Reply) {
        self.state.lock().unwrap().rules.push(Rule {
            action: action.into(),
            body_has: Vec::new(),
            after: after.map(String::from),
            times,
            reply,
        });
    }

    /// [`Proxy::rule`] for requests whose body also holds each of `body_has`.
    pub fn rule_with(&self, action: &str, body_has: &[&str], times: usize, reply: Reply) {
        self.state.lock().unwrap().rules.push(Rule {
            action: action.into(),
            body_has: body_has.iter().map(|s| s.to_string()).collect(),
            after: None,
            times,
            reply,
        });
    }

    pub fn clear(&self) {
        let mut s = self.state.lock().unwrap();
        s.rules.clear();
        s.seen.clear();
        s.bodies.clear();
    }

    /// The form-encoded bodies of the requests for `action`, in order.
    pub fn bodies(&self, action: &str) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .bodies
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// How many requests for `action` reached the proxy.
    pub fn count(&self, action: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|a| *a == action)
            .count()
    }
}

/// A recorded response from tests/fixtures/recorded, with `{stack}` and `{status}` filled in.
pub fn recorded(name: &str, stack: &str, status: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/recorded")
        .join(name);
    std::fs::read_to_string(p)
        .unwrap()
        .replace("{stack}", stack)
        .replace("{status}", status)
}

fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let text = String::from_utf8_lossy(&body);
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    // The Query API's action, else (REST and CBOR APIs) the method and path: `PUT /2015-03-31/…`.
    let action = text
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(String::from)
        .unwrap_or_else(|| {
            let method = head.split_whitespace().next().unwrap_or("");
            format!("{method} {}", path.split('?').next().unwrap_or(""))
        });
    let reply = {
        let mut s = state.lock().unwrap();
        let seen = s.seen.clone();
        let mut chosen = None;
        for r in s.rules.iter_mut() {
            let matches = if r.action.starts_with('/') {
                path.starts_with(&r.action)
            } else {
                r.action == action
            };
            let matches = matches && r.body_has.iter().all(|b| text.contains(b.as_str()));
            if matches && r.times > 0 && r.after.as_ref().is_none_or(|a| seen.contains(a)) {
                r.times -= 1;
                chosen = Some(r.reply.clone());
                break;
            }
        }
        s.seen.push(action.clone());
        s.bodies.push((action.clone(), text.to_string()));
        chosen
    };
    match reply {
        Some(Reply::Respond(code, xml)) => {
            let reason = if code == 200 {
                "OK"
            } else if code == 400 {
                "Bad Request"
            } else {
                "Internal Server Error"
            };
            write!(client, "HTTP/1.1 {code} {reason}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}", xml.len())?;
            return Ok(());
        }
        Some(Reply::RespondJson(code, headers, json)) => {
            let extra: String = headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\r\n"))
                .collect();
            write!(client, "HTTP/1.1 {code} OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{json}", json.len())?;
            return Ok(());
        }
        Some(Reply::RespondBytes(code, headers, body)) => {
            let extra: String = headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\r\n"))
                .collect();
            write!(
                client,
                "HTTP/1.1 {code} OK\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            client.write_all(&body)?;
            return Ok(());
        }
        Some(Reply::Drop) => return Ok(()),
        _ => {}
    }
    // Forward, asking moto to close so the whole answer is read to the end.
    let mut up = TcpStream::connect(upstream)?;
    let mut forwarded = String::new();
    for line in head.lines() {
        if line.to_ascii_lowercase().starts_with("connection:") || line.is_empty() {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    up.write_all(forwarded.as_bytes())?;
    up.write_all(&body)?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer)?;
    if matches!(reply, Some(Reply::Truncate)) {
        client.write_all(&answer[..answer.len() / 2])?;
        return Ok(());
    }
    // Our answer also ends the client's connection.
    let text = String::from_utf8_lossy(&answer);
    if let Some(split) = text.find("\r\n\r\n") {
        let (h, _) = answer.split_at(split);
        let mut headers = String::from_utf8_lossy(h)
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect::<Vec<_>>()
            .join("\r\n");
        headers.push_str("\r\nConnection: close\r\n\r\n");
        client.write_all(headers.as_bytes())?;
        client.write_all(&answer[split + 4..])?;
    } else {
        client.write_all(&answer)?;
    }
    Ok(())
}
