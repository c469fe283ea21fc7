//! The `websocket` target: two uniws ends, a client (`connect_over`) and a server
//! (`ServerOptions::accept`), over an in-memory pipe, driven through the public API only.
//! Each end is split; its sending half runs a script of sends, pings and a close, its
//! receiving half a script of receives, cycled until the connection ends. All four run on one
//! current-thread runtime with a paused clock, so a run is deterministic.
//!
//! Input layout: byte 0: bit 0 the client offers permessage-deflate, bit 1 the server accepts
//! it, bit 2 and 3 no context takeover for the client's and the server's compressor, bits 4-5
//! window bits (`WINDOW_BITS`), bits 6-7 the threshold (`THRESHOLDS`); byte 1: the client's
//! `max_frame_size` (low nibble) and the server's (high nibble), from `FRAME_LIMITS`; byte 2:
//! the pipe's buffer (`PIPES`); then up to `MAX_OPS` operations, each a tag byte (bit 0: the
//! client's or the server's; bit 1: its sending or its receiving half; bits 2-7: the kind)
//! and the bytes its kind reads. Sending kinds (tag >> 2) % 8: `send_all` (0, 1, 6, 7),
//! `send` of one frame (2), `send` polled 1 to 8 times then dropped (3), a ping (4), the
//! close (5). A message reads two bytes: bit 0 text, bit 1 incompressible, bits 2-5 a length
//! (`LENGTHS`), then a seed; a cancellation one more, the polls. Receiving kinds (tag >> 2) %
//! 4: `recv` (0), `recv_all` (1, one byte: its limit from `RECV_ALL_LIMITS`), and both polled
//! 1 to 8 times then dropped (2, 3; one more byte, the polls). The payloads of one input add
//! up to `MAX_TOTAL` at most; each sending script ends with a close.
//!
//! Properties:
//! - no panic, and no hang: the run ends before a virtual hour, within `MAX_IDLE_POLLS` polls
//!   without an operation completing, and without waiting for the close timeout (both ends
//!   always read, so every close is answered);
//! - a receiver that got the peer's close got every message the peer's `send`/`send_all`
//!   returned `Ok` for, intact, whole, in order, each of the right type, and nothing else but
//!   what a dropped `send` may have sent (all of its frame or nothing); one that failed got a
//!   prefix of that;
//! - the same for pings, and each pong answers a ping the peer received, in order;
//! - the only errors are those the limits and the close make: `send` of a frame over the
//!   sender's own limit fails with `FrameTooLarge` and sends nothing (and fits otherwise); a
//!   receive fails with `FrameTooLarge` (the real size) only if the peer sent a frame over the
//!   receiver's limit, with `MessageTooLarge` only at the limit of a `recv_all` (this one,
//!   or one dropped before) that a message the peer sent exceeds; `Closed` only once a close
//!   was sent or a receive failed, and then for good; a close received carries 1000 and
//!   "bye" from a `close`, or 1009 from a receiver that failed on a limit; after it,
//!   receiving fails with `Closed`.
//!
//! An end whose receiving fails drops its sending half at once, as an application would.
//!
//! Not driven: a `send_all` dropped half-way. How many of its frames went out is not
//! observable, and the next message would continue the unfinished one.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use uniws::{
    CloseCode, ConnectOptions, DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Error, Message, MessageType, RecvHalf,
    SendHalf, ServerOptions, connect_over,
};

use super::Source;

const FRAME_LIMITS: [usize; 8] = [125, 126, 300, 1000, 4096, 16 << 10, 64 << 10, 1 << 20];
const PIPES: [usize; 4] = [64, 1000, 16 << 10, 64 << 10];
const WINDOW_BITS: [u8; 4] = [15, 8, 9, 12];
const THRESHOLDS: [usize; 4] = [0, 32, 1, 1024];
const LENGTHS: [usize; 16] =
    [0, 1, 5, 125, 126, 300, 1000, 4096, 4097, 16 << 10, (16 << 10) + 1, 65535, 65536, 70_000, 100_000, 2];
const RECV_ALL_LIMITS: [usize; 8] = [0, 1, 125, 1000, 4096, 65536, 1 << 20, usize::MAX];
/// The most payload one input sends, to keep the target fast.
const MAX_TOTAL: usize = 256 << 10;
const MAX_OPS: usize = 64;
/// Polls of the whole run in a row without any operation completing: a livelock.
const MAX_IDLE_POLLS: u64 = 100_000;
/// Virtual time that only a hang reaches (the clock is paused and jumps when all wait).
const HANG: Duration = Duration::from_secs(3600);

/// Checks one fuzz input; panics on a broken property.
pub fn check(data: &[u8]) {
    let mut src = Source::new(data);
    let setup = Setup::read(&mut src);
    let mut scripts: [Script; 2] = Default::default();
    let mut room = MAX_TOTAL;
    for _ in 0..MAX_OPS {
        if src.is_empty() {
            break;
        }
        let tag = src.byte();
        let script = &mut scripts[usize::from(tag & 1)];
        if tag & 2 == 0 {
            script.sends.push(SendOp::read(tag >> 2, &mut src, &mut room));
        } else {
            script.recvs.push(RecvOp::read(tag >> 2, &mut src));
        }
    }
    for script in &mut scripts {
        script.sends.push(SendOp::Close);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let [client, server] = runtime.block_on(run(&setup, &scripts));
    judge(&setup, [&client, &server]);
}

/// The connection's parameters.
#[derive(Debug)]
struct Setup {
    client_deflate: DeflateOptions,
    server_deflate: DeflateOptions,
    /// The client's and the server's frame limits.
    limits: [usize; 2],
    pipe: usize,
}

impl Setup {
    fn read(src: &mut Source<'_>) -> Self {
        let flags = src.byte();
        let bits = WINDOW_BITS[usize::from((flags >> 4) & 3)];
        let threshold = THRESHOLDS[usize::from(flags >> 6)];
        let deflate = |on: bool, base: DeflateOptions| {
            if !on {
                return DeflateOptions::disabled();
            }
            base.client_no_context_takeover(flags & 4 != 0)
                .server_no_context_takeover(flags & 8 != 0)
                .client_max_window_bits(bits)
                .server_max_window_bits(bits)
                .threshold(threshold)
        };
        let limits = src.byte();
        Self {
            client_deflate: deflate(flags & 1 != 0, DeflateOptions::client()),
            server_deflate: deflate(flags & 2 != 0, DeflateOptions::server()),
            limits: [FRAME_LIMITS[usize::from(limits & 7)], FRAME_LIMITS[usize::from((limits >> 4) & 7)]],
            pipe: PIPES[usize::from(src.byte() & 3)],
        }
    }
}

/// One end's operations.
#[derive(Debug, Default)]
struct Script {
    sends: Vec<SendOp>,
    recvs: Vec<RecvOp>,
}

#[derive(Debug)]
enum SendOp {
    SendAll(Message),
    Send(Message),
    /// `send`, polled this many times at most, then dropped.
    SendCancelled(Message, u32),
    Ping(Vec<u8>),
    Close,
}

impl SendOp {
    fn read(kind: u8, src: &mut Source<'_>, room: &mut usize) -> Self {
        match kind % 8 {
            2 => Self::Send(message(src, room)),
            3 => Self::SendCancelled(message(src, room), polls(src)),
            4 => Self::Ping(seeded(src.byte(), usize::from(src.byte() % 126), false)),
            5 => Self::Close,
            _ => Self::SendAll(message(src, room)),
        }
    }
}

fn polls(src: &mut Source<'_>) -> u32 {
    1 + u32::from(src.byte() % 8)
}

/// A data message of at most `room` bytes, taken from it.
fn message(src: &mut Source<'_>, room: &mut usize) -> Message {
    let tag = src.byte();
    let len = LENGTHS[usize::from((tag >> 2) & 15)].min(*room);
    *room -= len;
    let data = seeded(src.byte(), len, tag & 2 != 0);
    if tag & 1 == 0 {
        return Message::binary(data);
    }
    // Characters of one to four bytes, so that frames are cut between and inside them.
    let text: String =
        data.iter().map(|&b| ['a', 'é', '€', '😀'][usize::from(b & 3)]).take(len / 2).collect();
    Message::text(text)
}

/// `len` bytes from `seed`: a short repeating pattern, or (`noise`) xorshift bytes that
/// deflate cannot shrink.
fn seeded(seed: u8, len: usize, noise: bool) -> Vec<u8> {
    if !noise {
        return (0..len).map(|i| seed.wrapping_add((i % 7) as u8)).collect();
    }
    let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ u64::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct RecvOp {
    /// `recv_all` with this limit, or `recv`.
    all: Option<usize>,
    /// Polled this many times at most, then dropped.
    cancel: Option<u32>,
}

impl RecvOp {
    fn read(kind: u8, src: &mut Source<'_>) -> Self {
        let all = (kind & 1 != 0).then(|| RECV_ALL_LIMITS[usize::from(src.byte() % 8)]);
        let cancel = (kind & 2 != 0).then(|| polls(src));
        Self { all, cancel }
    }
}

/// What one end did and saw.
#[derive(Debug, Default)]
struct Record {
    /// The data messages its sends put on the wire, as tokens, and how surely.
    sent: Vec<(Vec<Token>, Sent)>,
    pings_sent: Vec<(Vec<Token>, Sent)>,
    /// The length of every data message a send started with, sent or not.
    attempted: Vec<usize>,
    /// What its receives returned, as tokens.
    received: Vec<Token>,
    pings_received: Vec<Token>,
    pongs_received: Vec<Token>,
    /// The close message received, and how receiving ended.
    close: Option<Message>,
    end: Option<Error>,
    /// The limits of the `recv_all` calls made, in order: the failure one of them met may
    /// reach a later call if it was dropped meanwhile.
    recv_all_limits: Vec<usize>,
    /// Whether the peer had dropped its socket when receiving ended.
    peer_gone: bool,
    /// Whether a send failed with `Closed`, with the event count when the first did.
    closed_at: Option<u64>,
    /// The event count when this end's close went out.
    close_sent_at: Option<u64>,
}

/// How much of a message a send put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// All of it: the send returned `Ok`.
    All,
    /// All or nothing: a `send` dropped, or failed on a stream gone under it.
    AllOrNothing,
    /// Some of its frames: a `send_all` that failed once the connection closed.
    Prefix,
}

/// A message as a receiver sees it, boundaries and types included but not how it was cut
/// into frames: its bytes, then the end of the message with whether it was text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    Byte(u8),
    End(bool),
}

fn push_tokens(tokens: &mut Vec<Token>, message: &Message) {
    tokens.extend(message.data().iter().map(|&b| Token::Byte(b)));
    if !message.is_partial() {
        tokens.push(Token::End(message.message_type() == MessageType::Text));
    }
}

fn tokens_of(message: &Message) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(message.len() + 1);
    push_tokens(&mut tokens, message);
    tokens
}

/// What the four halves share: each end's record, a count of completed operations (the
/// progress the livelock check watches) and what each half is doing (for a hang's report).
struct Shared {
    records: [RefCell<Record>; 2],
    events: Cell<u64>,
    doing: [RefCell<String>; 4],
    /// How many of each end's halves are done, and so dropped: with both, its stream is.
    done: [Cell<u8>; 2],
    /// Each end's receiving failed: its sending half is to stop (and whom to wake for it).
    failed: [Cell<bool>; 2],
    failed_waker: [RefCell<Option<std::task::Waker>>; 2],
}

impl Shared {
    /// Whether `end` has dropped both its halves, closing its end of the pipe.
    fn gone(&self, end: usize) -> bool {
        self.done[end].get() == 2
    }

    /// A half of `end` is done: it is dropped as this returns.
    fn finish(&self, half: usize, end: usize) {
        *self.doing[2 * end + half].borrow_mut() = format!("{}: done", NAMES[end]);
        self.done[end].set(self.done[end].get() + 1);
    }

    /// Ready once `end`'s receiving failed.
    fn torn_down(&self, end: usize) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.failed[end].get() {
                return Poll::Ready(());
            }
            *self.failed_waker[end].borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    fn fail(&self, end: usize) {
        self.failed[end].set(true);
        if let Some(waker) = self.failed_waker[end].take() {
            waker.wake();
        }
    }

    fn event(&self) -> u64 {
        self.events.set(self.events.get() + 1);
        self.events.get()
    }
}

const NAMES: [&str; 2] = ["client", "server"];

async fn run(setup: &Setup, scripts: &[Script; 2]) -> [Record; 2] {
    let (client_end, server_end) = tokio::io::duplex(setup.pipe);
    let client_options =
        ConnectOptions::new().max_frame_size(setup.limits[0]).deflate(setup.client_deflate.clone());
    let server_options =
        ServerOptions::new().max_frame_size(setup.limits[1]).deflate(setup.server_deflate.clone());
    let (client, server) = tokio::join!(
        connect_over(client_end, "ws://fuzz/", &client_options),
        server_options.accept(server_end)
    );
    let (client, server) = (client.expect("client handshake"), server.expect("server handshake"));
    let compressed = setup.client_deflate.is_enabled() && setup.server_deflate.is_enabled();
    assert_eq!(client.extensions().is_some(), compressed, "negotiated {:?}", client.extensions());
    assert_eq!(server.extensions().is_some(), compressed, "negotiated {:?}", server.extensions());
    let ((client_tx, client_rx), (server_tx, server_rx)) = (client.split(), server.split());

    let shared = Shared {
        records: Default::default(),
        events: Cell::new(0),
        doing: Default::default(),
        done: Default::default(),
        failed: Default::default(),
        failed_waker: Default::default(),
    };
    let started = tokio::time::Instant::now();
    // In a block: the four halves borrow `shared` until they are dropped.
    {
        let all = async {
            tokio::join!(
                sending(&shared, 0, client_tx, &scripts[0].sends),
                receiving(&shared, 0, client_rx, &scripts[0].recvs),
                sending(&shared, 1, server_tx, &scripts[1].sends),
                receiving(&shared, 1, server_rx, &scripts[1].recvs),
            )
        };
        let mut all = pin!(tokio::time::timeout(HANG, all));
        let (mut idle, mut seen) = (0, 0);
        let report = |why: &str| -> String {
            let doing: Vec<String> = shared.doing.iter().map(|d| d.borrow().clone()).collect();
            format!("{why}; the halves are at {doing:#?}")
        };
        let finished = std::future::poll_fn(|cx| {
            let poll = all.as_mut().poll(cx);
            let events = shared.events.get();
            idle = if events == seen { idle + 1 } else { 0 };
            seen = events;
            assert!(idle < MAX_IDLE_POLLS, "{}", report(&format!("livelock: {idle} polls without progress")));
            poll
        })
        .await;
        finished.unwrap_or_else(|_| panic!("{}", report("hang: every half waits, with no timer to wake it")));
        let elapsed = started.elapsed();
        assert!(
            elapsed < DEFAULT_CLOSE_TIMEOUT,
            "{}",
            report(&format!("waited {elapsed:?}: a close unanswered"))
        );
    }
    shared.records.map(RefCell::into_inner)
}

/// Polls `future` until it is ready or has been pending `polls` times, letting the other
/// halves run between polls; `None` if it was dropped pending.
async fn at_most<F: Future>(future: F, polls: u32) -> Option<F::Output> {
    let mut future = pin!(future);
    for _ in 0..polls {
        if let Poll::Ready(out) = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await {
            return Some(out);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// Runs one end's sending script.
async fn sending(shared: &Shared, end: usize, mut tx: SendHalf, ops: &[SendOp]) {
    let limit = tx.max_frame_size();
    for (i, op) in ops.iter().enumerate() {
        *shared.doing[2 * end].borrow_mut() = format!("{} sending op {i}: {}", NAMES[end], describe(op));
        if let SendOp::SendAll(message) | SendOp::Send(message) | SendOp::SendCancelled(message, _) = op {
            shared.records[end].borrow_mut().attempted.push(message.len());
        }
        // As an application would, an end whose receiving failed drops its sending half,
        // whatever it was sending: a send would otherwise wait for good on a peer that
        // stopped reading too.
        let performed = tokio::select! {
            biased;
            () = shared.torn_down(end) => {
                let mut record = shared.records[end].borrow_mut();
                match op {
                    SendOp::SendAll(message) => record.sent.push((tokens_of(message), Sent::Prefix)),
                    SendOp::Send(message) | SendOp::SendCancelled(message, _) => {
                        record.sent.push((tokens_of(message), Sent::AllOrNothing));
                    }
                    SendOp::Ping(data) => {
                        record.pings_sent.push((tokens_of(&Message::binary(data.clone())), Sent::AllOrNothing));
                    }
                    SendOp::Close => {}
                }
                break;
            }
            performed = perform(shared, end, &mut tx, op, limit) => performed,
        };
        let Some((result, entry)) = performed else {
            shared.event();
            continue;
        };
        let at = shared.event();
        let mut record = shared.records[end].borrow_mut();
        match result {
            Ok(()) => {
                assert!(
                    record.closed_at.is_none(),
                    "{}: op {i} sent after a send failed with Closed",
                    NAMES[end]
                );
                match (entry, op) {
                    (Some(message), _) => record.sent.push((tokens_of(message), Sent::All)),
                    (None, SendOp::Ping(data)) => {
                        record.pings_sent.push((tokens_of(&Message::binary(data.clone())), Sent::All));
                    }
                    _ => {}
                }
            }
            // `Closed` once the connection closed or failed; an I/O error only once the peer's
            // application dropped its socket (after a close or a failure): the stream is gone
            // under a send, as a TCP reset would make it.
            Err(ref error @ (Error::Closed | Error::Io(_))) => {
                let gone = matches!(error, Error::Io(_));
                assert!(!gone || shared.gone(1 - end), "{}: op {i} failed: {error:?}", NAMES[end]);
                record.closed_at.get_or_insert(at);
                // A `send_all` cut short may have sent some of its frames first.
                match (entry, op) {
                    (Some(message), SendOp::SendAll(_)) => {
                        record.sent.push((tokens_of(message), Sent::Prefix))
                    }
                    (Some(message), _) if gone => record.sent.push((tokens_of(message), Sent::AllOrNothing)),
                    _ => {}
                }
            }
            Err(error) => panic!("{}: op {i} ({}) failed: {error:?}", NAMES[end], describe(op)),
        }
    }
    shared.finish(0, end);
}

/// Runs one sending operation: what it returned and the message it sent, or `None` if there
/// is nothing more to record (a frame refused as too large, checked here; a dropped `send`,
/// recorded here).
async fn perform<'a>(
    shared: &Shared,
    end: usize,
    tx: &mut SendHalf,
    op: &'a SendOp,
    limit: usize,
) -> Option<(Result<(), Error>, Option<&'a Message>)> {
    match op {
        SendOp::SendAll(message) => Some((tx.send_all(message.clone()).await, Some(message))),
        SendOp::Send(message) => {
            let result = tx.send(message.clone()).await;
            let over = message.len() > limit;
            match &result {
                Err(Error::FrameTooLarge { size, max }) => {
                    assert!(over, "{}: send of {} bytes refused by limit {limit}", NAMES[end], message.len());
                    assert_eq!((*size, *max), (message.len() as u64, limit), "FrameTooLarge's sizes");
                    return None;
                }
                Ok(()) => {
                    assert!(!over, "{}: send of {} bytes over limit {limit}", NAMES[end], message.len())
                }
                Err(_) => {}
            }
            Some((result, Some(message)))
        }
        SendOp::SendCancelled(message, polls) => {
            if message.len() > limit {
                // Refused at once, as `Send` checks: there is nothing to cancel.
                return None;
            }
            match at_most(tx.send(message.clone()), *polls).await {
                Some(result) => Some((result, Some(message))),
                None => {
                    shared.records[end].borrow_mut().sent.push((tokens_of(message), Sent::AllOrNothing));
                    None
                }
            }
        }
        SendOp::Ping(data) => Some((tx.send(Message::ping(data.clone())).await, None)),
        SendOp::Close => {
            let at = shared.event();
            shared.records[end].borrow_mut().close_sent_at.get_or_insert(at);
            Some((tx.close(CloseCode::NORMAL, "bye").await, None))
        }
    }
}

/// Runs one end's receiving script, cycled, until receiving fails.
async fn receiving(shared: &Shared, end: usize, mut rx: RecvHalf, ops: &[RecvOp]) {
    let default = [RecvOp { all: None, cancel: None }];
    let ops = if ops.is_empty() { &default[..] } else { ops };
    for (i, op) in ops.iter().cycle().enumerate() {
        *shared.doing[2 * end + 1].borrow_mut() = format!("{} receive {i}: {op:?}", NAMES[end]);
        if let Some(max) = op.all {
            shared.records[end].borrow_mut().recv_all_limits.push(max);
        }
        let result = match (op.all, op.cancel) {
            (Some(max), Some(polls)) => at_most(rx.recv_all(max), polls).await,
            (None, Some(polls)) => at_most(rx.recv(), polls).await,
            (Some(max), None) => Some(rx.recv_all(max).await),
            (None, None) => Some(rx.recv().await),
        };
        shared.event();
        let Some(result) = result else { continue };
        let mut record = shared.records[end].borrow_mut();
        match result {
            Ok(message) => {
                assert!(record.close.is_none(), "{}: {message:?} received after the close", NAMES[end]);
                match message.message_type() {
                    MessageType::Text | MessageType::Binary => push_tokens(&mut record.received, &message),
                    MessageType::Ping => push_tokens(&mut record.pings_received, &message),
                    MessageType::Pong => push_tokens(&mut record.pongs_received, &message),
                    MessageType::Close => record.close = Some(message),
                }
            }
            Err(error) => {
                record.peer_gone = shared.gone(1 - end);
                if record.close.is_none() {
                    shared.fail(end);
                }
                record.end = Some(error);
                break;
            }
        }
    }
    shared.finish(1, end);
}

fn describe(op: &SendOp) -> String {
    match op {
        SendOp::SendAll(m) => format!("send_all {:?} of {}", m.message_type(), m.len()),
        SendOp::Send(m) => format!("send {:?} of {}", m.message_type(), m.len()),
        SendOp::SendCancelled(m, polls) => {
            format!("send {:?} of {} for {polls} polls", m.message_type(), m.len())
        }
        SendOp::Ping(data) => format!("ping of {}", data.len()),
        SendOp::Close => "close".into(),
    }
}

/// Checks what each end received against what the other sent.
fn judge(setup: &Setup, records: [&Record; 2]) {
    let compressed = setup.client_deflate.is_enabled() && setup.server_deflate.is_enabled();
    let context = format!("{setup:?}, compressed {compressed}");
    for end in 0..2 {
        let (me, peer) = (records[end], records[1 - end]);
        let name = NAMES[end];
        let limit = setup.limits[end];
        // Every receive loop ends (or the run would have hung): with a close, then Closed,
        // or with a failure the limits justify.
        let failure = me.end.as_ref().expect("receiving ended");
        let whole = match (&me.close, failure) {
            (Some(close), Error::Closed) => {
                let peer_failed = peer.close.is_none() && is_limit_failure(peer.end.as_ref());
                let by_close = peer.close_sent_at.is_some();
                let code = close.close_code();
                let expected =
                    (code == Some(CloseCode::NORMAL) && close.as_text() == Some("bye") && by_close)
                        || (code == Some(CloseCode::MESSAGE_TOO_BIG) && is_limit_failure(peer.end.as_ref()));
                assert!(
                    expected,
                    "{name} received {close:?} (peer failed {peer_failed}, closed {by_close}); {context}"
                );
                true
            }
            (None, Error::FrameTooLarge { size, max }) => {
                // Frames are at most the sender's limit (`send_all` cuts there); a compressed
                // one may be reported by its length on the wire, a little more.
                assert_eq!(*max, limit, "{name}: FrameTooLarge's limit; {context}");
                let sender_limit = setup.limits[1 - end];
                let possible = *size > limit as u64
                    && peer.attempted.iter().any(|&len| len > limit)
                    && (compressed
                        || (*size <= sender_limit as u64
                            && peer.attempted.iter().any(|&len| len as u64 >= *size)));
                assert!(
                    possible,
                    "{name}: FrameTooLarge {{ size: {size} }} but no such frame was sent; {context}"
                );
                false
            }
            (None, Error::MessageTooLarge { max }) => {
                assert!(
                    me.recv_all_limits.contains(max),
                    "{name}: MessageTooLarge {{ max: {max} }} but no recv_all had that limit; {context}"
                );
                let over = peer.attempted.iter().any(|len| len > max);
                assert!(
                    over,
                    "{name}: MessageTooLarge {{ max: {max} }} but no message was larger; {context}"
                );
                false
            }
            // The peer dropped its socket before its close (queued behind a frame it was
            // still writing) went out.
            (None, Error::Closed | Error::Io(_)) if me.peer_gone => false,
            (close, error) => {
                panic!("{name}: receiving ended with {error:?} after close {close:?}; {context}")
            }
        };
        assert!(
            matches(&peer.sent, &me.received, whole),
            "{name} received {} tokens, not {} what the {} sent ({} messages); {context}",
            me.received.len(),
            if whole { "all of" } else { "a prefix of" },
            NAMES[1 - end],
            peer.sent.len()
        );
        assert!(matches(&peer.pings_sent, &me.pings_received, whole), "{name}: pings; {context}");
        let answered: Vec<(Vec<Token>, Sent)> =
            split_messages(&peer.pings_received).into_iter().map(|ping| (ping, Sent::All)).collect();
        assert!(matches(&answered, &me.pongs_received, false), "{name}: pongs; {context}");
        if let Some(at) = me.closed_at {
            let closing = [me, peer].iter().filter_map(|r| r.close_sent_at).any(|sent| sent < at)
                || records.iter().any(|r| is_limit_failure(r.end.as_ref()));
            assert!(closing, "{name}: a send failed with Closed before anything closed; {context}");
        }
    }
}

fn is_limit_failure(end: Option<&Error>) -> bool {
    matches!(end, Some(Error::FrameTooLarge { .. } | Error::MessageTooLarge { .. }))
}

/// Tokens cut at each message's end.
fn split_messages(tokens: &[Token]) -> Vec<Vec<Token>> {
    tokens.split_inclusive(|t| matches!(t, Token::End(_))).map(<[Token]>::to_vec).collect()
}

/// Whether `got` is what `entries` make, for some choice of how much of each uncertain one
/// went out: all of it (`whole`: every certain one in full), or a prefix of it.
fn matches(entries: &[(Vec<Token>, Sent)], got: &[Token], whole: bool) -> bool {
    let may_end_after = |i: usize| !whole || entries[i..].iter().all(|(_, sent)| *sent != Sent::All);
    let mut seen = HashSet::new();
    let mut todo = vec![(0, 0)];
    while let Some((i, at)) = todo.pop() {
        let rest = &got[at..];
        if rest.is_empty() && may_end_after(i) {
            return true;
        }
        let Some((tokens, sent)) = entries.get(i) else { continue };
        if !seen.insert((i, at)) {
            continue;
        }
        if *sent != Sent::All {
            todo.push((i + 1, at));
        }
        if rest.starts_with(tokens) {
            todo.push((i + 1, at + tokens.len()));
        } else if tokens.starts_with(rest) && (!whole || (*sent == Sent::Prefix && may_end_after(i + 1))) {
            return true;
        }
    }
    false
}
