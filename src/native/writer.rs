//! The sending side of a native connection: encodes one frame at a time into a bounded
//! buffer and writes it out (header and large payload in one vectored write). Whatever a
//! cancelled or timed-out write left is written first by the next operation, so the buffer
//! never holds more than one frame beside a control frame. The `Outbox` shares the writer
//! between the halves and keeps the receiving side from waiting on a busy sender for pongs.
//! With a heartbeat, a write the transport takes no byte of for the heartbeat's whole span
//! fails the connection, whichever half waits in it (see [`Writer::new`]); when, [`Stall`]
//! decides.

use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::lock::{Mutex, MutexGuard};
use futures_util::task::AtomicWaker;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};

use super::transport::TransportWriter;
use crate::proto::{Encoder, MAX_CLOSE_REASON, Stall, WriteState};
use crate::{Error, Message, Result};

/// The writer both halves share, and what waits for it. The writer's lock is uncontended
/// in the common case, so it is one atomic operation each way (an async mutex that queues
/// costs several times that on every send).
pub(crate) struct Outbox {
    writer: Mutex<Writer>,
    /// The answer to the latest ping not yet written. RFC 6455 §5.5.3 allows answering only
    /// the most recent ping, so a ping flood holds one pong, no more.
    pong: std::sync::Mutex<Option<Message>>,
    /// Buffered bytes or a pong may be waiting for the transport. Set and cleared only under
    /// the `pong` lock, so a pong set aside is never forgotten by a sender clearing the flag;
    /// read without it, so the common case (nothing waits) takes no lock.
    waiting: AtomicBool,
    /// A heartbeat ping is due. Set under the `pong` lock, like `waiting`.
    ping_due: AtomicBool,
    /// A write stalled past the heartbeat's span: the connection is failed, and the receiving
    /// half's heartbeat reports it (it may be waiting for data that still comes).
    stalled: AtomicBool,
    /// The receiving half waiting in `recv`, when split: woken when the close deadline is set
    /// (by `SendHalf::close`) or a write stalled.
    pub(crate) recv_waker: AtomicWaker,
    /// The receiving half is failing the connection: no send starts a frame any more (one
    /// already in the buffer goes out first, as our close waits behind it).
    failing: AtomicBool,
    /// Failing is over (the close went out, or its time ran out): a send still waiting for
    /// the transport gives up.
    failed: AtomicBool,
    /// The send holding the writer while it waits for the transport, woken when failing is
    /// over. Only a holder registers (one at a time); those waiting for the lock get it next.
    send_waker: AtomicWaker,
}

impl Outbox {
    pub(crate) fn new(writer: Writer) -> Self {
        Self {
            writer: Mutex::new(writer),
            pong: std::sync::Mutex::default(),
            waiting: AtomicBool::new(false),
            ping_due: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
            recv_waker: AtomicWaker::new(),
            failing: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            send_waker: AtomicWaker::new(),
        }
    }

    /// Whether a write stalled past the heartbeat's span (see [`Writer::new`]).
    pub(crate) fn stalled(&self) -> bool {
        self.stalled.load(Ordering::Acquire)
    }

    /// Passes `error` on; a stall is noted first, for the receiving half to fail too.
    fn note(&self, error: Error) -> Error {
        if matches!(error, Error::HeartbeatTimeout) {
            self.stalled.store(true, Ordering::Release);
            self.recv_waker.wake();
        }
        error
    }

    /// The connection is being failed: sends that have not started their frame fail with
    /// `Closed`.
    pub(crate) fn start_failing(&self) {
        self.failing.store(true, Ordering::Release);
    }

    /// Failing is over: a send still waiting for the transport fails with `Closed`.
    pub(crate) fn failed(&self) {
        self.failing.store(true, Ordering::Release);
        self.failed.store(true, Ordering::Release);
        self.send_waker.wake();
    }

    /// Writes `message` (see [`Writer::poll_send`]) for a send holding the writer: refused
    /// with `Closed` if it has not started and the connection is failing, given up with
    /// `Closed` if it waits for the transport once failing is over.
    #[inline]
    fn poll_frame(
        &self,
        writer: &mut Writer,
        cx: &mut Context<'_>,
        message: &Message,
        encoded: &mut bool,
    ) -> Poll<Result<()>> {
        if !*encoded && self.failing.load(Ordering::Acquire) {
            return Poll::Ready(Err(Error::Closed));
        }
        match writer.poll_send(cx, message, encoded) {
            Poll::Ready(result) => Poll::Ready(result.map_err(|e| self.note(e))),
            Poll::Pending => self.poll_given_up(cx),
        }
    }

    /// For a send holding the writer whose write waits: `Ready(Err(Closed))` once failing is
    /// over, else `Pending`, woken then.
    #[cold]
    fn poll_given_up<T>(&self, cx: &mut Context<'_>) -> Poll<Result<T>> {
        // Registered before looking: `failed` sets the flag, then wakes.
        self.send_waker.register(cx.waker());
        if self.failed.load(Ordering::Acquire) {
            return Poll::Ready(Err(Error::Closed));
        }
        Poll::Pending
    }

    fn pong(&self) -> std::sync::MutexGuard<'_, Option<Message>> {
        self.pong.lock().expect("not poisoned")
    }

    /// Sends one frame, then whatever the receiving side left waiting; fails with `Timeout`
    /// after `limit`.
    #[inline]
    pub(crate) fn send(&self, message: Message, limit: Option<Duration>) -> Sending<'_> {
        // The writer is free unless the receiving half is writing a pong or a close.
        match self.writer.try_lock() {
            Some(writer) => Sending::Fast { outbox: self, message, limit, writer, encoded: false },
            None => Sending::Busy { outbox: self, message, limit },
        }
    }

    /// The general case of [`send`](Self::send): waits for the writer if it is not already
    /// held, writes the frame (`encoded`: it is in the buffer already) within `limit`, then
    /// writes what the receiving side left waiting.
    async fn send_waiting<'a>(
        &'a self,
        writer: Option<MutexGuard<'a, Writer>>,
        message: Message,
        mut encoded: bool,
        limit: Option<Duration>,
    ) -> Result<()> {
        let frame = async {
            let mut writer = match writer {
                Some(writer) => writer,
                None => self.writer.lock().await,
            };
            std::future::poll_fn(|cx| self.poll_frame(&mut writer, cx, &message, &mut encoded)).await?;
            Ok(writer)
        };
        let mut writer = match limit {
            Some(limit) => tokio::time::timeout(limit, frame).await.unwrap_or(Err(Error::Timeout))?,
            None => frame.await?,
        };
        if !self.has_backlog() {
            return Ok(());
        }
        let mut backlog = std::pin::pin!(self.write_backlog(&mut writer));
        std::future::poll_fn(|cx| match backlog.as_mut().poll(cx) {
            Poll::Pending => self.poll_given_up(cx),
            done => done,
        })
        .await
    }

    /// Answers a ping without ever waiting: the pong goes out now if the writer is free and
    /// the transport takes it at once; otherwise it waits (a newer one replacing it) for the
    /// next send, or for the receiving side to find the transport writable again.
    pub(crate) fn answer_ping(&self, pong: Message) {
        {
            let mut slot = self.pong();
            *slot = Some(pong);
            self.waiting.store(true, Ordering::Release);
        }
        if let Some(mut writer) = self.writer.try_lock() {
            // A failed write shows up again on the next read or send.
            let _ = poll_once(self.write_backlog(&mut writer));
        }
    }

    /// Sends a heartbeat ping without ever waiting, as [`answer_ping`](Self::answer_ping)
    /// sends a pong: now if it can, else with the next send or when the transport is writable.
    pub(crate) fn ping(&self) {
        {
            let _slot = self.pong();
            self.ping_due.store(true, Ordering::Release);
            self.waiting.store(true, Ordering::Release);
        }
        if let Some(mut writer) = self.writer.try_lock() {
            let _ = poll_once(self.write_backlog(&mut writer));
        }
    }

    /// Whether something waits to be written (see [`flush_backlog`](Self::flush_backlog)).
    pub(crate) fn has_backlog(&self) -> bool {
        self.waiting.load(Ordering::Acquire)
    }

    /// Writes what waits, once the writer is free and the transport takes it. Cancel-safe.
    pub(crate) async fn flush_backlog(&self) -> Result<()> {
        let mut writer = self.writer.lock().await;
        self.write_backlog(&mut writer).await
    }

    async fn write_backlog(&self, writer: &mut Writer) -> Result<()> {
        self.write_controls(writer).await.map_err(|e| self.note(e))
    }

    async fn write_controls(&self, writer: &mut Writer) -> Result<()> {
        writer.flush().await?;
        let pong = self.pong().take();
        let ping = self.ping_due.swap(false, Ordering::AcqRel).then(|| Message::ping(Vec::new()));
        for control in pong.into_iter().chain(ping) {
            match writer.enqueue(&control) {
                // After our close, no ping or pong may follow; it is no loss.
                Ok(()) | Err(Error::Closed) => {}
                Err(e) => return Err(e),
            }
            writer.flush().await?;
        }
        let pong = self.pong();
        if pong.is_none() && !self.ping_due.load(Ordering::Acquire) {
            self.waiting.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// See [`Writer::answer_close`].
    pub(crate) async fn answer_close(&self, received: &Message) -> Result<bool> {
        self.writer.lock().await.answer_close(received).await
    }

    /// Fails the connection after `error` (see [`Writer::fail`]), all by `deadline`: a
    /// point in time, not a length, as a cancelled call leaves the rest to the next.
    pub(crate) async fn fail(&self, error: &Error, deadline: Instant) {
        let _ = tokio::time::timeout_at(deadline, async { self.writer.lock().await.fail(error).await }).await;
    }

    /// Shuts the write side down.
    pub(crate) async fn shutdown(&self) -> Result<()> {
        self.writer.lock().await.shutdown().await
    }
}

/// The future of [`Outbox::send`], written out: when the writer was free, one poll function
/// writes the frame; anything more (waiting for the writer, the output timeout, a backlog to
/// write after the frame) is one future on the heap. As an `async fn` its locals and its
/// awaited futures would each have room of their own, and a connection's task keeps the
/// largest of its futures for its whole life.
pub(crate) enum Sending<'a> {
    /// The writer was free and is held here. `encoded`: the frame is in the writer's buffer
    /// (it goes out first on the next operation if this future is dropped).
    Fast {
        outbox: &'a Outbox,
        message: Message,
        limit: Option<Duration>,
        writer: MutexGuard<'a, Writer>,
        encoded: bool,
    },
    /// The writer was busy (the receiving half writing a pong or a close): the general case
    /// waits for it, from the first poll.
    Busy { outbox: &'a Outbox, message: Message, limit: Option<Duration> },
    /// The general case, which has the message, the writer (or waits for it) and the time.
    General(Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>),
    /// What `Fast` or `Busy` held, moving into `General`; never polled.
    Moving,
}

impl Future for Sending<'_> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        match this {
            Self::Fast { outbox, message, limit, writer, encoded } => {
                match outbox.poll_frame(writer, cx, message, encoded) {
                    Poll::Ready(Ok(())) if !outbox.has_backlog() => return Poll::Ready(Ok(())),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending if limit.is_none() => return Poll::Pending,
                    // A backlog to write, or a time limit to watch.
                    _ => {}
                }
            }
            Self::Busy { .. } => {}
            Self::General(waiting) => return waiting.as_mut().poll(cx),
            Self::Moving => unreachable!("a switch is never interrupted"),
        }
        let mut waiting: Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> =
            match std::mem::replace(this, Self::Moving) {
                Self::Fast { outbox, message, limit, writer, encoded } => {
                    Box::pin(outbox.send_waiting(Some(writer), message, encoded, limit))
                }
                Self::Busy { outbox, message, limit } => {
                    Box::pin(outbox.send_waiting(None, message, false, limit))
                }
                _ => unreachable!("matched above"),
            };
        let polled = waiting.as_mut().poll(cx);
        *this = Self::General(waiting);
        polled
    }
}

/// Polls `future` once: its output if it is ready at once, `None` (and the future dropped)
/// if it would wait. Only for cancel-safe futures.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

pub(crate) struct Writer {
    io: TransportWriter,
    encoder: Encoder,
    /// Encoded frames; the first `out_written` bytes have gone out already. A cursor rather
    /// than `advance`, so the emptied buffer is reused from its start without a reserve.
    out: BytesMut,
    out_written: usize,
    /// A large payload to write after `out`, straight from the message's buffer.
    payload: Option<Bytes>,
    shut_down: bool,
    /// How long a write may wait with the transport taking no byte, and since when one has.
    /// Kept when a waiting write is dropped, so a send retried in a `select!` loop does not
    /// start over.
    stall: Stall<Instant>,
    /// Set to the stall's deadline; made on the first stall, kept for the next ones.
    stall_timer: Option<Pin<Box<Sleep>>>,
}

impl Writer {
    /// With a `stall_limit`, writes fail with `Error::HeartbeatTimeout`, and the connection
    /// with them, once the transport has taken no byte for that long while one waits: set
    /// to the heartbeat's `interval + timeout`, the time after which it gives up on a silent
    /// peer. A peer that stops reading, or vanished, would otherwise hold a `send` (and the
    /// task awaiting it) until TCP gives up, or forever behind a middlebox that acknowledges.
    pub(crate) fn new(io: TransportWriter, encoder: Encoder, stall_limit: Option<Duration>) -> Self {
        Self {
            io,
            encoder,
            out: BytesMut::new(),
            out_written: 0,
            payload: None,
            shut_down: false,
            stall: Stall::new(stall_limit),
            stall_timer: None,
        }
    }

    /// Sends one frame (what an earlier cancelled write left goes out first; `encoded` says
    /// the frame is in the buffer) and is ready when the transport has taken all of it.
    #[inline]
    fn poll_send(&mut self, cx: &mut Context<'_>, message: &Message, encoded: &mut bool) -> Poll<Result<()>> {
        if !*encoded {
            if !self.out.is_empty() || self.payload.is_some() {
                ready!(self.poll_flush(cx))?;
            }
            self.enqueue(message)?;
            *encoded = true;
        }
        self.poll_flush(cx)
    }

    /// Encodes a frame behind the buffered bytes; a large payload still waiting must be
    /// written first (callers flush before).
    fn enqueue(&mut self, message: &Message) -> Result<()> {
        if self.shut_down {
            return Err(Error::Closed);
        }
        debug_assert!(self.payload.is_none(), "frames go behind a large payload only after it");
        self.payload = self.encoder.encode(message, &mut self.out)?;
        Ok(())
    }

    /// Answers the peer's close frame: echoes its code unless our own close went out first,
    /// then shuts the stream down, ending the close handshake. Whether the close was the
    /// peer's (we echoed it).
    pub(crate) async fn answer_close(&mut self, received: &Message) -> Result<bool> {
        self.flush().await?;
        let echo = self.encoder.state() != WriteState::CloseSent;
        if echo {
            let echo = match received.close_code() {
                Some(code) => Message::close(code, ""),
                None => Message::close_without_code(),
            };
            self.enqueue(&echo)?;
        }
        self.flush().await?;
        self.shutdown().await?;
        Ok(echo)
    }

    /// Fails the connection after `error`: a close frame with its code, if ours has not gone
    /// out yet, then shutdown. The caller bounds it in time: a hostile peer may not read.
    async fn fail(&mut self, error: &Error) {
        let flushed = self.flush().await.is_ok();
        if let Some(code) = error.close_code()
            && flushed
            && self.encoder.state() != WriteState::CloseSent
        {
            let _ = self.enqueue(&Message::close(code, truncate(&error.to_string(), MAX_CLOSE_REASON)));
        }
        // Marked first: if the deadline cuts the flush short, nothing else may be sent.
        let _ = self.flush().await;
        let _ = self.shutdown().await;
        self.shut_down = true;
    }

    /// Shuts the write side down (a FIN; TLS close_notify first), once.
    pub(crate) async fn shutdown(&mut self) -> Result<()> {
        if !self.shut_down {
            self.shut_down = true;
            self.io.shutdown().await?;
        }
        Ok(())
    }

    /// Writes out everything buffered. Cancel-safe: what is unwritten stays buffered.
    pub(crate) async fn flush(&mut self) -> Result<()> {
        if self.out.is_empty() && self.payload.is_none() {
            return Ok(());
        }
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        match self.poll_write_out(cx) {
            Poll::Pending if self.stall.is_limited() => self.poll_stall(cx),
            Poll::Pending => Poll::Pending,
            done => {
                self.stall.progressed();
                done
            }
        }
    }

    /// While a write waits: `Ready` with the error once the transport has taken nothing for
    /// the stall limit (the connection is then failed: what is buffered is dropped, as a
    /// half-written frame could not be followed by anything).
    #[cold]
    fn poll_stall(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let deadline = self.stall.waiting(Instant::now).expect("called with a stall limit");
        let timer = self.stall_timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        ready!(timer.as_mut().poll(cx));
        // The timer ran out: it is at least its deadline, whatever the clock's grain.
        let stalled = self.stall.handle_timeout(Instant::now().max(deadline));
        debug_assert!(stalled, "the stall's own deadline passed");
        self.out.clear();
        self.out_written = 0;
        self.payload = None;
        self.shut_down = true;
        Poll::Ready(Err(Error::HeartbeatTimeout))
    }

    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        // The common case first: a frame copied behind its header, taken whole by one write.
        if self.out_written == 0 && self.payload.is_none() && !self.out.is_empty() {
            match ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))? {
                0 => return Poll::Ready(Err(write_zero())),
                all if all == self.out.len() => {
                    self.out.clear();
                    return Pin::new(&mut self.io).poll_flush(cx).map_err(Into::into);
                }
                some => self.consume(some),
            }
        }
        while !self.out.is_empty() || self.payload.is_some() {
            let mut io = Pin::new(&mut self.io);
            let out = &self.out[self.out_written..];
            let payload = self.payload.as_deref().unwrap_or_default();
            let written = if out.is_empty() {
                ready!(io.as_mut().poll_write(cx, payload))?
            } else if payload.is_empty() || !io.is_write_vectored() {
                ready!(io.as_mut().poll_write(cx, out))?
            } else {
                ready!(io.as_mut().poll_write_vectored(cx, &[IoSlice::new(out), IoSlice::new(payload)]))?
            };
            if written == 0 {
                return Poll::Ready(Err(write_zero()));
            }
            self.consume(written);
        }
        Pin::new(&mut self.io).poll_flush(cx).map_err(Into::into)
    }

    fn consume(&mut self, mut written: usize) {
        // Bytes taken: the transport moves, a stall starts over from the next wait.
        self.stall.progressed();
        let from_out = written.min(self.out.len() - self.out_written);
        self.out_written += from_out;
        written -= from_out;
        if self.out_written == self.out.len() {
            self.out.clear();
            self.out_written = 0;
        }
        if let Some(payload) = &mut self.payload {
            payload.advance(written);
            if payload.is_empty() {
                self.payload = None;
            }
        }
    }
}

/// A transport that takes no bytes of a write will take none later either.
fn write_zero() -> Error {
    std::io::Error::from(std::io::ErrorKind::WriteZero).into()
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
