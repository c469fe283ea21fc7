//! The receiving side of a native connection: reads into one buffer, lets the decoder cut
//! frames out of it (payloads are handed out without a copy), answers pings and the peer's
//! close through the shared writer, and fails the connection on a protocol error.

use std::cell::RefCell;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::Instant;

use super::transport::TransportReader;
use super::writer::Outbox;
use crate::proto::Decoder;
use crate::{Error, Message, MessageType, Result};

/// Reads ask for at least this much room, so small frames take one read for many.
const READ_CHUNK: usize = 4096;

/// Reads between frames land in blocks of this size, shared by the connections of a thread
/// (see `poll_fill`).
const BLOCK_LEN: usize = 128 << 10;

/// A read between frames has at least this much room (a whole medium-sized message), and
/// takes at most `2 * BLOCK_READ`: what a large frame brought is copied out of the block.
const BLOCK_READ: usize = 32 << 10;

thread_local! {
    /// The block reads between frames land in. What a read brings is cut off the front and
    /// handed to its connection without a copy; the block is used again from its start once
    /// every payload cut from it is gone.
    static BLOCK: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// Room for a large frame is reserved at most this much at a time, so a peer that announces
/// a big frame and sends it slowly holds memory in proportion to what it actually sent.
const MAX_RESERVE: usize = 1 << 20;

/// What one read takes of input that is dropped (after a close, or when failing).
const DISCARD_CHUNK: usize = 64 << 10;

/// What the reader uses of the connection's shared state.
#[derive(Clone, Copy)]
pub(crate) struct Link<'a> {
    /// Where pongs and the answer to the peer's close go.
    pub(crate) outbox: &'a Outbox,
    /// Pings are answered here.
    pub(crate) auto_pong: bool,
    /// Set on every read that brought bytes, for the heartbeat to see the peer is alive.
    pub(crate) heard: &'a AtomicBool,
}

/// What [`Reader::poll_step`] came to.
pub(crate) enum Step {
    /// A frame, or the error that ended reading.
    Frame(Result<Message>),
    /// Work for [`Reader::recv`], the general path.
    General,
}

pub(crate) struct Reader {
    io: TransportReader,
    buf: BytesMut,
    /// `buf` was cut off the thread's block: it shares the block's allocation, so it cannot
    /// grow in place.
    in_block: bool,
    /// The last frame that outgrew a read into the block was large: reads between frames
    /// take a little only, so that the next one's start is cheap to move out of the block.
    large_frames: bool,
    decoder: Decoder,
    phase: Phase,
}

/// Where reading stands. Every phase but `Open` is the general path's
/// ([`Reader::recv`]); each keeps what it still has to do, so a cancelled `recv` loses
/// nothing and the next one takes up where it stopped.
enum Phase {
    /// Frames come in.
    Open,
    /// The peer's close arrived: it is answered, then returned.
    Answering(Message),
    /// The peer's close is answered and the write side shut down: what the peer still sends
    /// is read and dropped until its end of stream or this deadline (see
    /// [`drain`](Reader::drain)), then the close is returned. A deadline, not a duration:
    /// calls cancelled in a `select!` loop must not each start it over.
    Draining(Message, Instant),
    /// The peer's close, answered, to return.
    Closed(Message),
    /// The connection is failed with `error`, returned once its close frame went out.
    /// `deadline`: when failing gives up waiting (for a writer held by a send the peer does
    /// not read, or a peer that does not read at all), set by the first `recv` that fails
    /// it, so that calls cancelled sooner than that (a ticker in `select!`) do not each
    /// start the wait again, and the error reaches one of them.
    Failing { error: Error, deadline: Option<Instant> },
    /// Nothing more will be read: the close handshake ended or the connection failed.
    Done,
}

impl Phase {
    /// The phase, leaving `Done`.
    fn take(&mut self) -> Self {
        std::mem::replace(self, Self::Done)
    }

    /// The peer's close, out of a phase that has it; `Done` is left.
    fn take_close(&mut self) -> Message {
        match self.take() {
            Self::Answering(close) | Self::Draining(close, _) | Self::Closed(close) => close,
            _ => unreachable!("taken from a phase with the peer's close"),
        }
    }
}

impl Reader {
    pub(crate) fn new(io: TransportReader, buf: BytesMut, decoder: Decoder) -> Self {
        Self { io, buf, in_block: false, large_frames: false, decoder, phase: Phase::Open }
    }

    /// Fails the connection with `error`, which the next `recv` returns once the close frame
    /// went out (or its time ran out).
    pub(crate) fn abort(&mut self, error: Error) {
        // Failing already: the new error replaces the old one, within the same time.
        let deadline = match self.phase {
            Phase::Failing { deadline, .. } => deadline,
            _ => None,
        };
        self.phase = Phase::Failing { error, deadline };
    }

    /// The next frame; with `whole`, a fragmented data message put together in place (see
    /// [`Decoder::decode_whole`]). Cancel-safe: bytes read stay buffered, a decoded frame stays
    /// ready. The general path, for whatever [`poll_step`](Self::poll_step) leaves to it:
    /// failing the connection, answering the peer's close, writing a backlog while reading.
    pub(crate) async fn recv(
        &mut self,
        budget: usize,
        whole: bool,
        link: Link<'_>,
        fail_limit: Duration,
    ) -> Result<Message> {
        let outbox = link.outbox;
        loop {
            match &mut self.phase {
                Phase::Open => {}
                Phase::Failing { error, deadline } => {
                    let deadline = *deadline.get_or_insert_with(|| Instant::now() + fail_limit);
                    // From now on no send starts a frame; one our close waits behind is let
                    // finish, and one still blocked when this gives up is woken to fail.
                    outbox.start_failing();
                    // What the peer sends is read and dropped meanwhile: a peer blocked
                    // writing to us (failing too, behind a frame of its own) then moves, and
                    // reads what we write, our close among it.
                    tokio::select! {
                        biased;
                        () = outbox.fail(error, deadline) => {}
                        () = discard_then_wait(&mut self.io) => {}
                    }
                    // Our close is out (a code says one went): the peer is told, and what it
                    // still sends is dropped until it closes too, or the time is up. Closing
                    // with unread bytes would reset the connection, and the reset often costs
                    // the peer our close frame (one still sending a large message).
                    if error.close_code().is_some() {
                        let _ = tokio::time::timeout_at(deadline, discard(&mut self.io)).await;
                    }
                    outbox.failed();
                    self.buf = BytesMut::new();
                    self.in_block = false;
                    let Phase::Failing { error, .. } = self.phase.take() else {
                        unreachable!("still failing")
                    };
                    return Err(error);
                }
                Phase::Answering(close) => {
                    // Read meanwhile, as when failing: our answer may wait behind a frame the
                    // peer takes only if it can write.
                    let answered = tokio::select! {
                        biased;
                        answered = outbox.answer_close(close) => answered,
                        () = discard_then_wait(&mut self.io) => unreachable!("waits for good"),
                    };
                    let close = self.phase.take_close();
                    self.phase = match answered {
                        // The peer's close: it may have sent more behind it.
                        Ok(true) => Phase::Draining(close, Instant::now() + fail_limit),
                        // Ours, answered: the peer's close was the last it sent.
                        Ok(false) | Err(Error::Closed) => Phase::Closed(close),
                        Err(e) => {
                            self.phase = Phase::Closed(close);
                            return Err(e);
                        }
                    };
                    continue;
                }
                Phase::Draining(_, deadline) => {
                    let deadline = *deadline;
                    let _ = tokio::time::timeout_at(deadline, self.drain()).await;
                    self.phase = Phase::Closed(self.phase.take_close());
                    continue;
                }
                Phase::Closed(_) => return Ok(self.phase.take_close()),
                Phase::Done => return Err(Error::Closed),
            }
            let mut step =
                std::pin::pin!(std::future::poll_fn(|cx| { self.poll_step(cx, budget, whole, link, false) }));
            let step = if outbox.has_backlog() {
                tokio::select! {
                    biased;
                    step = &mut step => step,
                    flushed = outbox.flush_backlog() => {
                        flushed?;
                        continue;
                    }
                }
            } else {
                step.await
            };
            if let Step::Frame(frame) = step {
                return frame;
            }
        }
    }

    /// The common case without an await: decodes what is buffered, reading more as long as
    /// the socket has it. Returns a frame (or the error reading it), or `Step::General` when
    /// [`recv`](Self::recv) has work to do first (a close to answer, the connection to fail,
    /// with `check_backlog`: a backlog to write). Cancel-safe: it returns a decoded frame in
    /// the same poll.
    #[inline]
    pub(crate) fn poll_step(
        &mut self,
        cx: &mut Context<'_>,
        budget: usize,
        whole: bool,
        link: Link<'_>,
        check_backlog: bool,
    ) -> Poll<Step> {
        let Link { outbox, auto_pong, heard } = link;
        // Failing the connection, a close to answer or to return, and the end: the general
        // path sees to them.
        if !matches!(self.phase, Phase::Open) {
            return Poll::Ready(Step::General);
        }
        loop {
            let decoded = if whole {
                self.decoder.decode_whole(&mut self.buf, budget)
            } else {
                self.decoder.decode(&mut self.buf, budget)
            };
            match decoded {
                Ok(Some(message)) => match message.message_type() {
                    MessageType::Ping if auto_pong => {
                        outbox.answer_ping(Message::pong(message.clone().into_data()));
                        return Poll::Ready(Step::Frame(Ok(message)));
                    }
                    MessageType::Close => {
                        self.phase = Phase::Answering(message);
                        return Poll::Ready(Step::General);
                    }
                    _ => return Poll::Ready(Step::Frame(Ok(message))),
                },
                Ok(None) if check_backlog && outbox.has_backlog() => return Poll::Ready(Step::General),
                Ok(None) => {
                    let read = match ready!(self.poll_fill(cx)) {
                        Ok(read) => read,
                        Err(e) => return Poll::Ready(Step::Frame(Err(e.into()))),
                    };
                    heard.store(true, Ordering::Relaxed);
                    if read == 0 {
                        self.phase = Phase::Done;
                        return Poll::Ready(Step::Frame(Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the peer closed the connection without a close frame",
                        )
                        .into())));
                    }
                }
                Err(error) => {
                    self.abort(error);
                    return Poll::Ready(Step::General);
                }
            }
        }
    }

    /// Reads and drops what the peer sends until its end of stream (see [`discard`]), the
    /// buffer with it. The caller bounds it in time. Cancel-safe.
    async fn drain(&mut self) {
        discard(&mut self.io).await;
        self.buf = BytesMut::new();
        self.in_block = false;
    }

    /// Reads more input into the buffer: how many bytes (0 at the end of the stream).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.buf.is_empty() {
            // Between frames nothing is held while waiting: the read lands in the thread's
            // block, and only what arrived is cut off for this connection, so an idle
            // connection keeps no read buffer, and a payload costs neither an allocation nor
            // a copy. The block is busy only if a transport's read reads another WebSocket.
            let io = &mut self.io;
            let max = if self.large_frames { READ_CHUNK } else { 2 * BLOCK_READ };
            let block_read = BLOCK.with(|block| {
                let mut block = block.try_borrow_mut().ok()?;
                if block.capacity() < BLOCK_READ && !block.try_reclaim(BLOCK_LEN) {
                    *block = BytesMut::with_capacity(BLOCK_LEN);
                }
                let read = poll_read_into(Pin::new(io), cx, &mut block, max);
                Some(read.map_ok(|read| block.split_to(read)))
            });
            if let Some(read) = block_read {
                self.buf = ready!(read)?;
                self.in_block = true;
                return Poll::Ready(Ok(self.buf.len()));
            }
        }
        self.poll_fill_own(cx)
    }

    /// Reads into the connection's own buffer: the rest of a frame that outgrew a read.
    #[inline(never)]
    fn poll_fill_own(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        // Read straight into the buffer: all that is left of a large frame at once
        // (up to a bound), and a little more, so that a read that finishes the frame comes up
        // short (the transport then knows the socket is drained, and a further read would only
        // find it empty), while the next frame's bytes that come with it stay few: a message
        // being put together moves them to make room for the next payload.
        let wanted = self.decoder.bytes_wanted(self.buf.len());
        let room = wanted.min(MAX_RESERVE) + READ_CHUNK;
        if self.in_block {
            self.large_frames = wanted > 2 * BLOCK_READ;
            // Out of the block into an allocation of its own, which grows in place (a shared
            // one would be copied whole at each growth).
            let mut own = BytesMut::with_capacity(self.buf.len() + room);
            own.extend_from_slice(&self.buf);
            self.buf = own;
            self.in_block = false;
        }
        self.buf.reserve(room);
        poll_read_into(Pin::new(&mut self.io), cx, &mut self.buf, room)
    }
}

/// Reads and drops what the peer sends until its end of stream (or an error): the close of
/// TCP after the close handshake, as RFC 6455 §7.1.1 has it. Closing a socket with unread
/// bytes makes the kernel answer with a reset, and a reset can cost the peer what it had not
/// read yet, often our close frame itself (a client that sent data after its close, or was
/// still sending when we failed the connection). The caller bounds it in time. Cancel-safe.
async fn discard(io: &mut TransportReader) {
    let mut scratch = BytesMut::with_capacity(DISCARD_CHUNK);
    while let Ok(read) = std::future::poll_fn(|cx| {
        scratch.clear();
        poll_read_into(Pin::new(&mut *io), cx, &mut scratch, DISCARD_CHUNK)
    })
    .await
        && read > 0
    {}
}

/// [`discard`], then waits for good: for a `select!` beside a write that must end first.
async fn discard_then_wait(io: &mut TransportReader) {
    discard(io).await;
    std::future::pending::<()>().await;
}

/// Reads at most `max` bytes into the spare capacity of `buf`, appending what arrives: how
/// many bytes.
#[inline]
fn poll_read_into(
    io: Pin<&mut TransportReader>,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    max: usize,
) -> Poll<std::io::Result<usize>> {
    let spare = buf.spare_capacity_mut();
    let limit = spare.len().min(max);
    let mut room = ReadBuf::uninit(&mut spare[..limit]);
    let start = room.filled().as_ptr();
    ready!(io.poll_read(cx, &mut room))?;
    // A transport could swap the `ReadBuf` for one of its own (safe code can).
    assert_eq!(start, room.filled().as_ptr(), "the transport replaced the read buffer");
    let read = room.filled().len();
    // SAFETY: `poll_read` initialised the first `read` bytes of the spare capacity, which the
    // assertion shows is where they are.
    unsafe { buf.advance_mut(read) };
    Poll::Ready(Ok(read))
}
