//! The Lambda runtimes and their lifecycle dates (deprecation, then the dates after which AWS
//! refuses to create and then to update functions with them), from AWS's published schedule as
//! cfn-lint 1.51 carries it. The status of a runtime is computed against today's date, so the
//! table stays right as dates pass; keep it current when AWS announces new dates.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Current,
    /// No more security updates; still deploys.
    Deprecated,
    /// AWS no longer creates or updates functions with it.
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
    pub language: Language,
    pub deprecated: &'static str,
    pub create_block: &'static str,
    pub update_block: &'static str,
    /// What to move to; empty for the newest of a line.
    pub successor: &'static str,
}

impl Runtime {
    /// The status on `today` (`YYYY-MM-DD`; ISO dates compare as strings).
    pub fn status(&self, today: &str) -> Status {
        if today >= self.update_block {
            Status::Blocked
        } else if today >= self.deprecated {
            Status::Deprecated
        } else {
            Status::Current
        }
    }
}

use Language::*;

const fn rt(
    name: &'static str,
    language: Language,
    deprecated: &'static str,
    create_block: &'static str,
    update_block: &'static str,
    successor: &'static str,
) -> Runtime {
    Runtime {
        name,
        language,
        deprecated,
        create_block,
        update_block,
        successor,
    }
}

pub const RUNTIMES: &[Runtime] = &[
    rt(
        "dotnet6",
        Dotnet,
        "2024-12-20",
        "2026-06-01",
        "2026-07-01",
        "dotnet10",
    ),
    rt(
        "dotnet8",
        Dotnet,
        "2026-11-10",
        "2026-12-10",
        "2027-01-11",
        "dotnet10",
    ),
    rt(
        "dotnet9",
        Dotnet,
        "2026-11-10",
        "2026-12-10",
        "2027-01-11",
        "dotnet10",
    ),
    rt(
        "dotnet10",
        Dotnet,
        "2029-11-14",
        "2029-12-14",
        "2030-01-14",
        "",
    ),
    rt(
        "dotnetcore1.0",
        Dotnet,
        "2019-06-27",
        "2019-06-30",
        "2019-07-30",
        "dotnet10",
    ),
    rt(
        "dotnetcore2.0",
        Dotnet,
        "2019-05-30",
        "2019-04-30",
        "2019-05-30",
        "dotnet10",
    ),
    rt(
        "dotnetcore2.1",
        Dotnet,
        "2022-01-05",
        "2022-01-05",
        "2022-04-13",
        "dotnet10",
    ),
    rt(
        "dotnetcore3.1",
        Dotnet,
        "2023-04-03",
        "2023-04-03",
        "2023-05-03",
        "dotnet10",
    ),
    rt(
        "go1.x",
        Custom,
        "2024-01-08",
        "2024-02-08",
        "2026-07-01",
        "provided.al2023",
    ),
    rt(
        "java8",
        Java,
        "2024-01-08",
        "2024-02-08",
        "2026-07-01",
        "java25",
    ),
    rt(
        "java8.al2",
        Java,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "java25",
    ),
    rt(
        "java11",
        Java,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "java25",
    ),
    rt(
        "java17",
        Java,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "java25",
    ),
    rt(
        "java21",
        Java,
        "2029-06-30",
        "2029-07-31",
        "2029-08-31",
        "java25",
    ),
    rt("java25", Java, "2029-06-30", "2029-07-31", "2029-08-31", ""),
    rt(
        "nodejs",
        Node,
        "2016-08-30",
        "2016-09-30",
        "2016-10-31",
        "nodejs24.x",
    ),
    rt(
        "nodejs4.3",
        Node,
        "2020-03-05",
        "2020-02-03",
        "2020-03-05",
        "nodejs24.x",
    ),
    rt(
        "nodejs4.3-edge",
        Node,
        "2020-03-05",
        "2019-03-31",
        "2019-04-30",
        "nodejs24.x",
    ),
    rt(
        "nodejs6.10",
        Node,
        "2019-08-12",
        "2019-07-12",
        "2019-08-12",
        "nodejs24.x",
    ),
    rt(
        "nodejs8.10",
        Node,
        "2020-03-06",
        "2020-02-04",
        "2020-03-06",
        "nodejs24.x",
    ),
    rt(
        "nodejs10.x",
        Node,
        "2021-07-30",
        "2021-07-30",
        "2022-02-14",
        "nodejs24.x",
    ),
    rt(
        "nodejs12.x",
        Node,
        "2023-03-31",
        "2023-03-31",
        "2023-04-30",
        "nodejs24.x",
    ),
    rt(
        "nodejs14.x",
        Node,
        "2023-12-04",
        "2024-01-09",
        "2026-07-01",
        "nodejs24.x",
    ),
    rt(
        "nodejs16.x",
        Node,
        "2024-06-12",
        "2026-06-01",
        "2026-07-01",
        "nodejs24.x",
    ),
    rt(
        "nodejs18.x",
        Node,
        "2025-09-01",
        "2026-06-01",
        "2026-07-01",
        "nodejs24.x",
    ),
    rt(
        "nodejs20.x",
        Node,
        "2026-04-30",
        "2026-06-01",
        "2026-07-01",
        "nodejs24.x",
    ),
    rt(
        "nodejs22.x",
        Node,
        "2027-04-30",
        "2027-06-01",
        "2027-07-01",
        "nodejs24.x",
    ),
    rt(
        "nodejs24.x",
        Node,
        "2028-04-30",
        "2028-06-01",
        "2028-07-01",
        "",
    ),
    rt(
        "provided",
        Custom,
        "2024-01-08",
        "2024-02-08",
        "2026-07-01",
        "provided.al2023",
    ),
    rt(
        "provided.al2",
        Custom,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "provided.al2023",
    ),
    rt(
        "provided.al2023",
        Custom,
        "2029-06-30",
        "2029-07-31",
        "2029-08-31",
        "",
    ),
    rt(
        "python2.7",
        Python,
        "2021-07-15",
        "2021-07-15",
        "2022-05-30",
        "python3.14",
    ),
    rt(
        "python3.6",
        Python,
        "2022-07-18",
        "2022-07-18",
        "2022-08-29",
        "python3.14",
    ),
    rt(
        "python3.7",
        Python,
        "2023-12-04",
        "2024-01-09",
        "2026-03-09",
        "python3.14",
    ),
    rt(
        "python3.8",
        Python,
        "2024-10-14",
        "2026-06-01",
        "2026-07-01",
        "python3.14",
    ),
    rt(
        "python3.9",
        Python,
        "2025-12-15",
        "2026-06-01",
        "2026-07-01",
        "python3.14",
    ),
    rt(
        "python3.10",
        Python,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "python3.14",
    ),
    rt(
        "python3.11",
        Python,
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "python3.14",
    ),
    rt(
        "python3.12",
        Python,
        "2028-10-31",
        "2028-11-30",
        "2029-01-10",
        "python3.14",
    ),
    rt(
        "python3.13",
        Python,
        "2029-06-30",
        "2029-07-31",
        "2029-08-31",
        "python3.14",
    ),
    rt(
        "python3.14",
        Python,
        "2029-06-30",
        "2029-07-31",
        "2029-08-31",
        "",
    ),
    rt(
        "ruby2.5",
        Ruby,
        "2021-07-30",
        "2021-07-30",
        "2022-03-31",
        "ruby3.4",
    ),
    rt(
        "ruby2.7",
        Ruby,
        "2023-12-07",
        "2024-01-09",
        "2026-07-01",
        "ruby3.4",
    ),
    rt(
        "ruby3.2",
        Ruby,
        "2026-03-31",
        "2026-06-01",
        "2026-07-01",
        "ruby3.4",
    ),
    rt(
        "ruby3.3",
        Ruby,
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
        "ruby3.4",
    ),
    rt(
        "ruby3.4",
        Ruby,
        "2028-03-31",
        "2028-04-30",
        "2028-05-31",
        "",
    ),
];

pub fn find(name: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.name == name)
}

pub fn names() -> Vec<&'static str> {
    RUNTIMES.iter().map(|r| r.name).collect()
}

/// The runtime when neither provider nor function names one: the newest Node.js LTS.
pub const DEFAULT: &str = "nodejs24.x";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_dates() {
        let n20 = find("nodejs20.x").unwrap();
        assert_eq!(n20.status("2026-01-01"), Status::Current);
        assert_eq!(n20.status("2026-05-01"), Status::Deprecated);
        assert_eq!(n20.status("2026-11-26"), Status::Blocked);
        assert_eq!(
            find("nodejs24.x").unwrap().status("2026-11-26"),
            Status::Current
        );
    }
}
