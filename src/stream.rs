//! `futures::Stream` and `futures::Sink` over a WebSocket, written once for both targets on
//! top of `recv_all` and `send_all`. Each half runs in a task of its own (the half moves into
//! the future and comes back with its result), so the stream and the sink make progress
//! independently, as the split halves do, and a `StreamExt::split` of [`Messages`] can be
//! used from two tasks.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_sink::Sink;

use crate::{CloseCode, Error, Message, MessageType, RecvHalf, Result, SendHalf, WebSocket};

/// A future that owns a half and hands it back with its result. Natively it is `Send`, so a
/// `Messages` can move between threads; a browser has one thread.
#[cfg(not(target_arch = "wasm32"))]
type Task<H, T> = Pin<Box<dyn Future<Output = (H, T)> + Send>>;
#[cfg(target_arch = "wasm32")]
type Task<H, T> = Pin<Box<dyn Future<Output = (H, T)>>>;

/// A half, idle or busy in a task; `Gone` only while switching, or after a task panicked.
enum Slot<H, T> {
    Idle(H),
    Busy(Task<H, T>),
    Gone,
}

impl<H, T> Slot<H, T> {
    /// Polls the running task, if any, to its end: the half is idle again afterwards.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let Slot::Busy(task) = self else { return Poll::Ready(None) };
        let (half, output) = ready!(task.as_mut().poll(cx));
        *self = Slot::Idle(half);
        Poll::Ready(Some(output))
    }

    /// Starts `work` on the idle half; `false` if the half is busy or gone.
    fn start(&mut self, work: impl FnOnce(H) -> Task<H, T>) -> bool {
        match std::mem::replace(self, Slot::Gone) {
            Slot::Idle(half) => {
                *self = Slot::Busy(work(half));
                true
            }
            other => {
                *self = other;
                false
            }
        }
    }
}

/// A WebSocket as a [`Stream`] of whole messages (each through `recv_all` with the
/// `max_message_size` of the options) and a [`Sink`] of messages (each through `send_all`),
/// from [`WebSocket::into_messages`]. With `StreamExt` and `SinkExt`:
///
/// ```no_run
/// # async fn demo() -> uniws::Result<()> {
/// use futures_util::{SinkExt, StreamExt};
/// use uniws::{connect, ConnectOptions, Message};
/// let ws = connect("ws://127.0.0.1:9001", &ConnectOptions::new().max_message_size(1 << 20)).await?;
/// let mut messages = ws.into_messages();
/// messages.send(Message::text("hello")).await?;
/// while let Some(message) = messages.next().await {
///     println!("{:?}", message?.as_text());
/// }
/// # Ok(()) }
/// ```
///
/// The stream yields control messages too (pings are answered by the socket itself) and
/// ends after the peer's close message or once the connection is closed; an error is
/// yielded once, and the stream ends after it. Closing the sink (`SinkExt::close`) starts
/// the close handshake with 1000; the stream then ends within the close timeout.
pub struct Messages {
    recv: Slot<RecvHalf, Result<Message>>,
    send: Slot<SendHalf, Result<()>>,
    max_message_size: usize,
    /// The send that failed, reported by the next `poll_ready`, `poll_flush` or `poll_close`.
    send_error: Option<Error>,
    /// The sink was closed: a second `poll_close` only waits for the first.
    closing: bool,
    ended: bool,
}

impl WebSocket {
    /// This socket as a `Stream` of whole messages and a `Sink` of messages (see [`Messages`]).
    pub fn into_messages(self) -> Messages {
        let max_message_size = self.max_message_size();
        let (send, recv) = self.split();
        Messages {
            recv: Slot::Idle(recv),
            send: Slot::Idle(send),
            max_message_size,
            send_error: None,
            closing: false,
            ended: false,
        }
    }
}

impl Messages {
    /// The socket back, when neither half is busy (no message half received, no send
    /// unfinished); otherwise `None`.
    pub fn into_inner(self) -> Option<WebSocket> {
        match (self.send, self.recv) {
            (Slot::Idle(send), Slot::Idle(recv)) => Some(WebSocket { send, recv }),
            _ => None,
        }
    }

    /// Finishes the running send; its error, or one kept from before.
    fn poll_sent(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let Some(Err(e)) = ready!(self.send.poll_done(cx)) {
            self.send_error = Some(e);
        }
        Poll::Ready(self.send_error.take().map_or(Ok(()), Err))
    }
}

impl Stream for Messages {
    type Item = Result<Message>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let max = this.max_message_size;
        this.recv.start(|mut half| {
            Box::pin(async move {
                let result = half.recv_all(max).await;
                (half, result)
            })
        });
        let result = ready!(this.recv.poll_done(cx)).unwrap_or(Err(Error::Closed));
        match &result {
            Err(Error::Closed) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Ok(m) if m.message_type() != MessageType::Close => {}
            _ => this.ended = true,
        }
        Poll::Ready(Some(result))
    }
}

impl Sink<Message> for Messages {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_sent(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<()> {
        let started = self.get_mut().send.start(|mut half| {
            Box::pin(async move {
                let result = half.send_all(message).await;
                (half, result)
            })
        });
        if started { Ok(()) } else { Err(Error::InvalidMessage("start_send before poll_ready".into())) }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_sent(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            ready!(this.poll_sent(cx))?;
            this.closing = this.send.start(|mut half| {
                Box::pin(async move {
                    let result = half.close(CloseCode::NORMAL, "").await;
                    (half, result)
                })
            });
        }
        match ready!(this.send.poll_done(cx)) {
            Some(Err(Error::Closed)) | Some(Ok(())) | None => Poll::Ready(Ok(())),
            Some(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}
