//! The page's state and its connection: a uniws [`Reconnecting`] socket to the demo's
//! `/chat`, whose states go into signals, whose messages are read as a `Stream` into the
//! log, and whose [`ReconnectingSender`] sends what the page sends.

use std::time::Duration;

use futures_util::{Stream, StreamExt, stream};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uniws::{
    ConnectOptions, ConnectionState, Error, Message, MessageType, ReconnectPolicy, Reconnecting,
    ReconnectingSender,
};

use crate::bytes::{digest, large_message, mib};
use crate::room::{Event, notice_text, post};

/// The subprotocol the demo's server chooses.
pub const PROTOCOL: &str = "chat.v1";
/// Our frame limit, as the JavaScript page's: a larger message comes in frames of this size
/// at most, which `recv_all` puts back together.
pub const FRAME_SIZE: usize = 64 << 10;
/// The largest whole message taken: the largest the room relays (the server's frame limit).
const MAX_MESSAGE_SIZE: usize = 4 << 20;

/// Where the connection is, shown in the header's pill.
#[derive(Clone, Copy, PartialEq)]
pub enum Status {
    Connecting,
    Open,
    /// Down: waiting `delay` before attempt `attempt`, or making it.
    Reconnecting {
        attempt: u32,
        delay: Duration,
    },
    /// Closed by us, or never connected.
    Closed,
    /// Out of reconnection attempts.
    Offline,
}

impl Status {
    /// The pill's `data-state` (the tests wait for these).
    pub fn state(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Open => "open",
            Status::Reconnecting { .. } => "reconnecting",
            Status::Closed | Status::Offline => "closed",
        }
    }

    /// The pill's colour, a class of the JavaScript page's style sheet.
    pub fn class(self) -> &'static str {
        match self {
            Status::Connecting | Status::Reconnecting { .. } => "pill pill-connecting",
            Status::Open => "pill pill-open",
            Status::Closed | Status::Offline => "pill pill-closed",
        }
    }

    pub fn label(self) -> String {
        match self {
            Status::Connecting => "connecting…".into(),
            Status::Open => "connected".into(),
            Status::Reconnecting { attempt, delay } => {
                format!("reconnecting · attempt {attempt} in {:.1} s", delay.as_secs_f64())
            }
            Status::Closed => "disconnected".into(),
            Status::Offline => "offline".into(),
        }
    }
}

/// How a log line looks: a class of the style sheet.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Theirs,
    Mine,
    System,
    Error,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Theirs => "",
            Kind::Mine => "mine",
            Kind::System => "system",
            Kind::Error => "error",
        }
    }
}

/// A line of the log; `id` is its place, the key of the list.
#[derive(Clone)]
pub struct Entry {
    pub id: usize,
    pub kind: Kind,
    pub who: Option<String>,
    pub text: String,
}

/// Everything the view shows, as signals, and the way to send. `Copy`: each closure of the
/// view takes its own.
#[derive(Clone, Copy)]
pub struct Chat {
    pub status: RwSignal<Status>,
    pub log: RwSignal<Vec<Entry>>,
    /// People in the room, from the server's last notice.
    pub clients: RwSignal<Option<usize>>,
    /// The last close: code and reason.
    pub last_close: RwSignal<Option<String>>,
    pub name: RwSignal<String>,
    /// The sender of the socket that is up (or reconnecting); browser values live on this
    /// thread only, hence local storage.
    sender: StoredValue<Option<ReconnectingSender>, LocalStorage>,
}

impl Chat {
    pub fn new(name: String) -> Self {
        Self {
            status: RwSignal::new(Status::Closed),
            log: RwSignal::new(Vec::new()),
            clients: RwSignal::new(None),
            last_close: RwSignal::new(None),
            name: RwSignal::new(name),
            sender: StoredValue::new_local(None),
        }
    }

    /// Connects to `url` and keeps the connection up (reconnecting after drops) until
    /// [`disconnect`](Self::disconnect) or the last failed attempt.
    pub fn connect(self, url: String) {
        let options = ConnectOptions::new()
            .protocol(PROTOCOL)
            .max_frame_size(FRAME_SIZE)
            .timeout(Duration::from_secs(5));
        // Quick first retries for a server restarting; about 2 minutes in all.
        let policy = ReconnectPolicy::new()
            .backoff(Duration::from_millis(250), Duration::from_secs(4))
            .max_attempts(30);
        let mut ws = Reconnecting::new(url, options, policy).on_state(move |state| self.changed(state));
        self.sender.set_value(Some(ws.sender()));
        self.status.set(Status::Connecting);
        spawn_local(async move {
            match ws.connect().await {
                Ok(()) => messages(ws).for_each(|received| self.received(received)).await,
                Err(error) => {
                    self.status.set(Status::Offline);
                    self.note(Kind::Error, format!("Could not connect: {error}"));
                }
            }
            self.sender.set_value(None);
            if self.status.get_untracked() != Status::Offline {
                self.status.set(Status::Closed);
            }
        });
    }

    /// Our close (1000): no reconnection follows; the message stream ends with the server's
    /// answer.
    pub fn disconnect(self) {
        let Some(sender) = self.sender.get_value() else { return };
        spawn_local(async move {
            if let Err(error) = sender.close(1000, "bye for now").await {
                self.note(Kind::Error, format!("Close: {error}"));
            }
        });
    }

    /// Sends a post with our name.
    pub fn say(self, text: String) {
        let message = post(&self.name.get_untracked(), &text);
        self.send(Message::text(message));
    }

    /// Sends the 3 MiB message through `send_all`: the browser sends it as one message, the
    /// server passes it on in frames of at most each client's frame size.
    pub fn send_large(self) {
        spawn_local(async move {
            let data = large_message();
            self.note(
                Kind::System,
                format!("Sending {} (SHA-256 {}) through send_all…", mib(data.len()), digest(&data).await),
            );
            self.send(Message::binary(data));
        });
    }

    fn send(self, message: Message) {
        let Some(sender) = self.sender.get_value() else { return };
        spawn_local(async move {
            if let Err(error) = sender.send_all(message).await {
                self.note(Kind::Error, format!("Not sent: {error}"));
            }
        });
    }

    /// The socket's state changes: the pill, the last close, and a line in the log.
    fn changed(self, state: &ConnectionState<'_>) {
        match state {
            ConnectionState::Connected { attempt } => {
                self.status.set(Status::Open);
                if *attempt > 0 {
                    self.note(Kind::System, format!("Connected again at attempt {attempt}"));
                }
            }
            ConnectionState::Dropped(drop) => {
                let why = drop.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
                self.last_close.set(Some(format!("{} {}", drop.code, drop.reason).trim_end().to_owned()));
                self.note(Kind::Error, format!("Connection dropped: close code {}{why}", drop.code));
            }
            ConnectionState::Reconnecting { attempt, delay } => {
                self.status.set(Status::Reconnecting { attempt: *attempt, delay: *delay })
            }
            ConnectionState::AttemptFailed { attempt, error } => {
                self.note(Kind::Error, format!("Attempt {attempt} failed: {error}"))
            }
            ConnectionState::GaveUp => self.status.set(Status::Offline),
            // Non-exhaustive: a state a later uniws adds is not shown.
            _ => {}
        }
    }

    /// A message of the stream into the log.
    async fn received(self, received: uniws::Result<Message>) {
        let message = match received {
            Ok(message) => message,
            // The end after our own close.
            Err(Error::Closed) => return,
            Err(error) => return self.note(Kind::Error, format!("Connection lost: {error}")),
        };
        match message.message_type() {
            MessageType::Text => self.show(message.as_text().unwrap_or_default()),
            MessageType::Binary => {
                let data = message.data();
                let text = format!(
                    "Received a {} binary message (SHA-256 {}), whole from the Stream (recv_all over frames of at most {} KiB)",
                    mib(data.len()),
                    digest(data).await,
                    FRAME_SIZE >> 10
                );
                self.note(Kind::System, text);
            }
            MessageType::Close => {
                let code = message.close_code().map_or("none".into(), |c| c.to_string());
                let reason = message.as_text().unwrap_or_default();
                self.last_close.set(Some(format!("{code} {reason}").trim_end().to_owned()));
            }
            // Pings and pongs: the browser answers pings itself.
            _ => {}
        }
    }

    /// A text of the room into the log.
    fn show(self, text: &str) {
        match Event::parse(text) {
            Some(Event::Notice { system, clients }) => {
                self.clients.set(Some(clients));
                self.note(Kind::System, notice_text(&system, clients));
            }
            Some(Event::Post { name, text }) => {
                let mine = name == self.name.get_untracked();
                let (kind, who) = if mine { (Kind::Mine, "You".into()) } else { (Kind::Theirs, name) };
                self.push(kind, Some(who), text);
            }
            None => self.push(Kind::Theirs, None, text.to_owned()),
        }
    }

    fn note(self, kind: Kind, text: String) {
        self.push(kind, None, text);
    }

    fn push(self, kind: Kind, who: Option<String>, text: String) {
        self.log.update(|log| log.push(Entry { id: log.len(), kind, who, text }));
    }
}

/// The socket's whole messages as a `Stream`, across reconnections; it ends after our own
/// close (with the server's close message) or an error (out of attempts). uniws's `Stream`,
/// `Messages`, is over one connection, and `Reconnecting` is not a `Stream`: `unfold` makes it
/// one.
fn messages(ws: Reconnecting) -> impl Stream<Item = uniws::Result<Message>> {
    stream::unfold(Some(ws), |ws| async move {
        let mut ws = ws?;
        let received = ws.recv_all(MAX_MESSAGE_SIZE).await;
        let goes_on = matches!(&received, Ok(m) if m.message_type() != MessageType::Close);
        Some((received, goes_on.then_some(ws)))
    })
}
