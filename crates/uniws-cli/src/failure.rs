//! The command's one error type: a message for people, always shown on one line.

use std::fmt;

/// Why a subcommand failed, as printed after `uniws: `.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    pub fn new(message: impl fmt::Display) -> Self {
        Self(message.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Errors from below may span lines; the report is one.
        let mut words = self.0.split_whitespace();
        if let Some(first) = words.next() {
            f.write_str(first)?;
        }
        words.try_for_each(|word| write!(f, " {word}"))
    }
}

/// Adds what was being done to an error: `cannot read key.pem: No such file or directory`.
pub trait Context<T> {
    fn context<D: fmt::Display>(self, doing: impl FnOnce() -> D) -> Result<T, Failure>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn context<D: fmt::Display>(self, doing: impl FnOnce() -> D) -> Result<T, Failure> {
        self.map_err(|error| Failure(format!("{}: {error}", doing())))
    }
}
