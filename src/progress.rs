//! What long operations say on stderr while they run: a progress bar on a terminal, plain lines
//! otherwise (CI logs), nothing with `--quiet`. stdout is never used, so it stays clean for
//! `--dry-run` output and `--json`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Quiet,
    Plain,
    Bar,
}

pub struct Progress {
    mode: Mode,
    bar: Mutex<Option<(ProgressBar, Instant, String)>>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Plain
        };
        Progress {
            mode,
            bar: Mutex::new(None),
        }
    }

    pub fn quiet() -> Self {
        Progress {
            mode: Mode::Quiet,
            bar: Mutex::new(None),
        }
    }

    pub fn start(&self, total: u64, label: &str) {
        let bar = match self.mode {
            Mode::Quiet => return,
            Mode::Plain => ProgressBar::hidden(),
            Mode::Bar => {
                let b = ProgressBar::new(total);
                b.set_style(
                    ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                b.set_message(label.to_string());
                b
            }
        };
        if self.mode == Mode::Plain {
            eprintln!(
                "{label} {total} artifact{}…",
                if total == 1 { "" } else { "s" }
            );
        }
        if let Ok(mut g) = self.bar.lock() {
            *g = Some((bar, Instant::now(), label.to_string()));
        }
    }

    pub fn inc(&self, _item: &str) {
        if let Ok(g) = self.bar.lock() {
            if let Some((b, _, _)) = g.as_ref() {
                b.inc(1);
            }
        }
    }

    pub fn finish(&self) {
        if let Ok(mut g) = self.bar.lock() {
            if let Some((b, started, label)) = g.take() {
                b.finish_and_clear();
                if self.mode != Mode::Quiet && !label.is_empty() {
                    eprintln!("{label} done in {} ms", started.elapsed().as_millis());
                }
            }
        }
    }

    /// On a terminal, a spinner line showing what is going on now (replaced by the next call,
    /// cleared by [`Progress::finish`]); elsewhere nothing, the plain lines say it all.
    pub fn status(&self, msg: &str) {
        if self.mode != Mode::Bar {
            return;
        }
        if let Ok(mut g) = self.bar.lock() {
            match g.as_ref() {
                Some((b, _, _)) => b.set_message(msg.to_string()),
                None => {
                    let b = ProgressBar::new_spinner();
                    b.enable_steady_tick(std::time::Duration::from_millis(120));
                    b.set_message(msg.to_string());
                    *g = Some((b, Instant::now(), String::new()));
                }
            }
        }
    }

    /// A line of its own, unless quiet.
    pub fn line(&self, msg: &str) {
        if self.mode == Mode::Quiet {
            return;
        }
        match self
            .bar
            .lock()
            .ok()
            .and_then(|g| g.as_ref().map(|(b, _, _)| b.clone()))
        {
            Some(b) => b.suspend(|| eprintln!("{msg}")),
            None => eprintln!("{msg}"),
        }
    }
}
