//! Every failure sls-rs can report is a value of [`Error`], rendered in one place
//! ([`Error::render`]) so that messages look the same whichever stage produced them.
//!
//! Configuration mistakes are [`Diagnostic`]s: what is wrong, where (file, key path, line and
//! column when the YAML position is known) and a hint. They are collected, not thrown one at a
//! time, so a user sees every mistake in a file in one run.

use std::fmt;
use std::path::PathBuf;

/// One step of a [`KeyPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where a value sits in the configuration, rendered the way users read it:
/// `functions.hello.events[0].http.method`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    /// Parses a dotted path such as `custom.domains.dev` (used by `${self:…}`); `a.0` and
    /// `a[0]` both address list items.
    pub fn parse_dotted(s: &str) -> Self {
        let mut segs = Vec::new();
        for part in s.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                if open > 0 {
                    segs.push(Seg::Key(rest[..open].to_string()));
                }
                rest = &rest[open..];
                while let Some(stripped) = rest.strip_prefix('[') {
                    match stripped.find(']') {
                        Some(close) => {
                            match stripped[..close].parse::<usize>() {
                                Ok(i) => segs.push(Seg::Index(i)),
                                Err(_) => segs.push(Seg::Key(stripped[..close].to_string())),
                            }
                            rest = &stripped[close + 1..];
                        }
                        None => {
                            segs.push(Seg::Key(rest.to_string()));
                            rest = "";
                        }
                    }
                }
            } else {
                segs.push(Seg::Key(rest.to_string()));
            }
        }
        KeyPath(segs)
    }

    pub fn key(&self, k: impl Into<String>) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.into()));
        KeyPath(v)
    }

    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        KeyPath(v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A line and column in a file, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

/// One finding about the user's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub file: Option<PathBuf>,
    pub path: Option<KeyPath>,
    pub location: Option<Location>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            file: None,
            path: None,
            location: None,
            hint: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, path: &KeyPath) -> Self {
        if !path.is_empty() {
            self.path = Some(path.clone());
        }
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn located(mut self, location: Option<Location>) -> Self {
        if self.location.is_none() {
            self.location = location;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `error: …` / `warning: …`, then `  --> file:line:col (key.path)`, then `  = hint: …`.
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{label}: {}\n", self.message);
        let mut place = String::new();
        if let Some(file) = &self.file {
            place.push_str(&file.display().to_string());
            if let Some(loc) = self.location {
                place.push_str(&format!(":{}:{}", loc.line, loc.col));
            }
        }
        if let Some(path) = &self.path {
            if place.is_empty() {
                place = format!("({path})");
            } else {
                place.push_str(&format!(" ({path})"));
            }
        }
        if !place.is_empty() {
            out.push_str(&format!("  --> {place}\n"));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("  = hint: {hint}\n"));
        }
        out
    }
}

/// Everything that can stop a command.
#[derive(Debug)]
pub enum Error {
    /// The configuration is wrong: one or more diagnostics, all reported together. Exit 1.
    Config(Vec<Diagnostic>),
    /// The command line is wrong. Exit 2.
    Usage(String),
    /// Reading or writing a file failed.
    Io {
        action: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Anything else that is not the user's configuration: AWS refused, a stack failed, …
    Failed {
        message: String,
        hint: Option<String>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn config(d: Diagnostic) -> Self {
        Error::Config(vec![d])
    }

    pub fn io(action: impl Into<String>, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action: action.into(),
            path: path.into(),
            source,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Error::Failed {
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Failed {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// The one place errors become text.
    pub fn render(&self) -> String {
        match self {
            Error::Config(diags) => {
                let mut out = String::new();
                for d in diags {
                    out.push_str(&d.render());
                }
                let n = diags.iter().filter(|d| d.is_error()).count();
                if n > 1 {
                    out.push_str(&format!("error: the configuration has {n} errors\n"));
                }
                out
            }
            Error::Usage(msg) => {
                format!(
                    "error: {msg}\n  = hint: run `sls-rs --help` for the commands and options\n"
                )
            }
            Error::Io {
                action,
                path,
                source,
            } => format!("error: could not {action} {}: {source}\n", path.display()),
            Error::Failed { message, hint } => {
                let mut out = format!("error: {message}\n");
                if let Some(h) = hint {
                    out.push_str(&format!("  = hint: {h}\n"));
                }
                out
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for Error {}

/// The closest of `candidates` to `word`, for "did you mean" hints: a transposition or a
/// missing letter (edit distance) catches short words, Jaro-Winkler longer ones.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .filter_map(|c| {
            let cl = c.to_ascii_lowercase();
            let dist = strsim::osa_distance(&lower, &cl);
            let jw = strsim::jaro_winkler(&lower, &cl);
            let close = dist <= (cl.len() / 4).max(1) || jw > 0.88;
            close.then_some((dist, -jw, *c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_render_like_users_write_them() {
        let p = KeyPath::root()
            .key("functions")
            .key("hello")
            .key("events")
            .index(0)
            .key("http")
            .key("method");
        assert_eq!(p.to_string(), "functions.hello.events[0].http.method");
        assert_eq!(KeyPath::parse_dotted("a.b[2].c").to_string(), "a.b[2].c");
    }

    #[test]
    fn did_you_mean_finds_typos() {
        assert_eq!(
            did_you_mean("timout", &["timeout", "handler"]),
            Some("timeout")
        );
        assert_eq!(did_you_mean("zzz", &["timeout", "handler"]), None);
    }
}
