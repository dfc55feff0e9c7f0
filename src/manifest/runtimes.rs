//! The Lambda runtimes and their support status, as of late 2026.
//!
//! `Deprecated` runtimes still deploy but get no security updates: a warning. `Blocked` ones
//! AWS no longer lets functions be created or updated with: a warning offline, an error before a
//! deploy uploads anything. Keep this table current; it is the one place that knows.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Current,
    Deprecated,
    Blocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Node,
    Python,
    Ruby,
    Java,
    Dotnet,
    Custom,
}

pub struct Runtime {
    pub name: &'static str,
    pub status: Status,
    pub language: Language,
    /// What to move to, for deprecated and blocked runtimes.
    pub replacement: &'static str,
}

use Language::*;
use Status::*;

const fn rt(
    name: &'static str,
    status: Status,
    language: Language,
    replacement: &'static str,
) -> Runtime {
    Runtime {
        name,
        status,
        language,
        replacement,
    }
}

pub const RUNTIMES: &[Runtime] = &[
    rt("nodejs", Blocked, Node, "nodejs22.x"),
    rt("nodejs4.3", Blocked, Node, "nodejs22.x"),
    rt("nodejs4.3-edge", Blocked, Node, "nodejs22.x"),
    rt("nodejs6.10", Blocked, Node, "nodejs22.x"),
    rt("nodejs8.10", Blocked, Node, "nodejs22.x"),
    rt("nodejs10.x", Blocked, Node, "nodejs22.x"),
    rt("nodejs12.x", Blocked, Node, "nodejs22.x"),
    rt("nodejs14.x", Blocked, Node, "nodejs22.x"),
    rt("nodejs16.x", Blocked, Node, "nodejs22.x"),
    rt("nodejs18.x", Deprecated, Node, "nodejs22.x"),
    rt("nodejs20.x", Deprecated, Node, "nodejs22.x"),
    rt("nodejs22.x", Current, Node, ""),
    rt("nodejs24.x", Current, Node, ""),
    rt("python2.7", Blocked, Python, "python3.13"),
    rt("python3.6", Blocked, Python, "python3.13"),
    rt("python3.7", Blocked, Python, "python3.13"),
    rt("python3.8", Blocked, Python, "python3.13"),
    rt("python3.9", Deprecated, Python, "python3.13"),
    rt("python3.10", Deprecated, Python, "python3.13"),
    rt("python3.11", Deprecated, Python, "python3.13"),
    rt("python3.12", Current, Python, ""),
    rt("python3.13", Current, Python, ""),
    rt("python3.14", Current, Python, ""),
    rt("ruby2.5", Blocked, Ruby, "ruby3.4"),
    rt("ruby2.7", Blocked, Ruby, "ruby3.4"),
    rt("ruby3.2", Deprecated, Ruby, "ruby3.4"),
    rt("ruby3.3", Current, Ruby, ""),
    rt("ruby3.4", Current, Ruby, ""),
    rt("java8", Blocked, Java, "java21"),
    rt("java8.al2", Current, Java, ""),
    rt("java11", Current, Java, ""),
    rt("java17", Current, Java, ""),
    rt("java21", Current, Java, ""),
    rt("java25", Current, Java, ""),
    rt("dotnetcore1.0", Blocked, Dotnet, "dotnet8"),
    rt("dotnetcore2.0", Blocked, Dotnet, "dotnet8"),
    rt("dotnetcore2.1", Blocked, Dotnet, "dotnet8"),
    rt("dotnetcore3.1", Blocked, Dotnet, "dotnet8"),
    rt("dotnet6", Blocked, Dotnet, "dotnet8"),
    rt("dotnet7", Blocked, Dotnet, "dotnet8"),
    rt("dotnet8", Current, Dotnet, ""),
    rt("dotnet10", Current, Dotnet, ""),
    rt("go1.x", Blocked, Custom, "provided.al2023"),
    rt("provided", Blocked, Custom, "provided.al2023"),
    rt("provided.al2", Current, Custom, ""),
    rt("provided.al2023", Current, Custom, ""),
];

pub fn find(name: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.name == name)
}

pub fn names() -> Vec<&'static str> {
    RUNTIMES.iter().map(|r| r.name).collect()
}

/// The runtime when neither provider nor function names one: the newest Node.js LTS.
pub const DEFAULT: &str = "nodejs22.x";
