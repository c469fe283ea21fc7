//! Broadcast among connected clients, for `serve --mode broadcast` and the demo's chat: every
//! text and binary message a client sends goes to every client, the sender included. With
//! notices (the chat), a client is welcomed with `{"system":"welcome","clients":N}` and the
//! others hear `{"system":"join"|"leave","clients":N}`. Messages a slow client missed are
//! counted, and logged at most once a second: remote clients control how often it happens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use uniws::{Message, SendHalf, WebSocket};

use crate::messages::{Next, next_message};

/// Messages a slow client may fall behind by before it misses some.
const BACKLOG: usize = 256;

/// A message for every client but `skip`.
#[derive(Clone)]
struct Post {
    skip: Option<u64>,
    message: Message,
}

/// The connected clients.
pub struct Hub {
    posts: broadcast::Sender<Post>,
    next_id: AtomicU64,
    notices: bool,
    /// Messages slow clients missed since the last report.
    missed: AtomicU64,
}

impl Hub {
    /// A hub with no clients; `notices` turns on the chat's system messages.
    pub fn new(notices: bool) -> Arc<Self> {
        let hub = Arc::new(Self {
            posts: broadcast::channel(BACKLOG).0,
            next_id: AtomicU64::new(0),
            notices,
            missed: AtomicU64::new(0),
        });
        tokio::spawn(report_missed(Arc::downgrade(&hub)));
        hub
    }

    fn clients(&self) -> usize {
        self.posts.receiver_count()
    }

    fn post(&self, skip: Option<u64>, message: Message) {
        // Without receivers there is no one to tell.
        let _ = self.posts.send(Post { skip, message });
    }

    fn notice(&self, skip: Option<u64>, kind: &str) {
        if self.notices {
            self.post(skip, Message::text(notice(kind, self.clients())));
        }
    }

    /// Serves one client until it leaves.
    pub async fn serve_client(self: Arc<Self>, ws: WebSocket) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (mut send, mut recv) = ws.split();
        let inbox = self.posts.subscribe();
        let clients = self.clients();
        // The others hear of the newcomer before it can hear of anyone: whoever it hears
        // from next knew of it.
        self.notice(Some(id), "join");
        let welcomed = !self.notices || send.send(Message::text(notice("welcome", clients))).await.is_ok();
        let forwarder = tokio::spawn(forward(self.clone(), inbox, send, id));
        while welcomed && let Ok(Next::Data(message)) = next_message(&mut recv).await {
            self.post(None, message);
        }
        forwarder.abort();
        let _ = forwarder.await; // its inbox is gone: the count below no longer has it
        self.notice(None, "leave");
    }
}

/// Sends the client every post not meant to skip it, until sending fails.
async fn forward(hub: Arc<Hub>, mut inbox: broadcast::Receiver<Post>, mut send: SendHalf, id: u64) {
    loop {
        match inbox.recv().await {
            Ok(post) if post.skip == Some(id) => {}
            Ok(post) => {
                if send.send_all(post.message).await.is_err() {
                    return;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                hub.missed.fetch_add(missed, Ordering::Relaxed);
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Logs what slow clients missed, once a second at most, while the hub lasts. The log's
/// writer never blocks (see `main`), and this bounds how much of it clients can cause.
async fn report_missed(hub: Weak<Hub>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let missed = hub.missed.swap(0, Ordering::Relaxed);
        if missed > 0 {
            tracing::warn!("slow clients missed {missed} messages");
        }
    }
}

/// A system notice as JSON: `{"system":"join","clients":2}`.
pub fn notice(kind: &str, clients: usize) -> String {
    format!(r#"{{"system":{},"clients":{clients}}}"#, json_string(kind))
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c < ' ' => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_are_json() {
        assert_eq!(notice("welcome", 3), r#"{"system":"welcome","clients":3}"#);
        assert_eq!(json_string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
    }
}
