//! The chat room's wire format, the same JSON texts as the JavaScript page's: a post is
//! `{"name":…,"text":…}`, and the server's notices are `{"system":"welcome"|"join"|"leave",
//! "clients":N}`.

use serde::{Deserialize, Serialize};

/// What a text message of the room says.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Event {
    /// Someone joined or left (or we were welcomed); `clients` are the people here now.
    Notice { system: String, clients: usize },
    /// A message someone typed.
    Post { name: String, text: String },
}

impl Event {
    /// The event a text carries; `None` for a text that is not one (shown as it is).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// A post as sent.
pub fn post(name: &str, text: &str) -> String {
    #[derive(Serialize)]
    struct Post<'a> {
        name: &'a str,
        text: &'a str,
    }
    serde_json::to_string(&Post { name, text }).expect("two strings always serialise")
}

/// The log's wording of a notice, as the JavaScript page words it.
pub fn notice_text(system: &str, clients: usize) -> String {
    let what = match system {
        "welcome" => "You joined the room",
        "join" => "Someone joined",
        "leave" => "Someone left",
        other => other,
    };
    format!("{what} · {clients} here")
}
