//! The sending side of a native connection: encodes one frame at a time into a bounded
//! buffer and writes it out (header and large payload in one vectored write). Whatever a
//! cancelled or timed-out write left is written first by the next operation, so the buffer
//! never holds more than one frame beside a control frame. The `Outbox` shares the writer
//! between the halves and keeps the receiving side from waiting on a busy sender for pongs.

use std::io::IoSlice;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::Mutex;

use super::transport::BoxedTransport;
use crate::proto::{Encoder, MAX_CLOSE_REASON, WriteState};
use crate::{Error, Message, Result};

/// The writer both halves share, and a pong waiting for it.
pub(crate) struct Outbox {
    writer: Mutex<Writer>,
    /// The answer to the latest ping, when the writer was busy as it arrived. RFC 6455 §5.5.3
    /// allows answering only the most recent ping, so a ping flood holds one pong, no more.
    deferred_pong: std::sync::Mutex<Option<Message>>,
}

impl Outbox {
    pub(crate) fn new(writer: Writer) -> Self {
        Self { writer: Mutex::new(writer), deferred_pong: std::sync::Mutex::new(None) }
    }

    /// Sends one frame, then a pong deferred meanwhile.
    pub(crate) async fn send(&self, message: &Message) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer.send(message).await?;
        self.send_deferred_pong(&mut writer).await
    }

    /// Answers a ping: at once if the writer is free, else after the frame it is busy with.
    /// Never waits for another task's send, so reading goes on while the sender is blocked.
    pub(crate) async fn answer_ping(&self, pong: Message) -> Result<()> {
        if let Ok(mut writer) = self.writer.try_lock() {
            // This pong answers a later ping than any deferred one, which it replaces.
            self.deferred_pong.lock().expect("not poisoned").take();
            return writer.send(&pong).await;
        }
        *self.deferred_pong.lock().expect("not poisoned") = Some(pong);
        // The sender may have finished between the two looks; then no one else would send it.
        match self.writer.try_lock() {
            Ok(mut writer) => self.send_deferred_pong(&mut writer).await,
            Err(_) => Ok(()),
        }
    }

    async fn send_deferred_pong(&self, writer: &mut Writer) -> Result<()> {
        let pong = self.deferred_pong.lock().expect("not poisoned").take();
        match pong {
            Some(pong) => writer.send(&pong).await,
            None => Ok(()),
        }
    }

    /// See [`Writer::answer_close`].
    pub(crate) async fn answer_close(&self, received: &Message) -> Result<()> {
        self.writer.lock().await.answer_close(received).await
    }

    /// Fails the connection after `error` (see [`Writer::fail`]), all within `limit`.
    pub(crate) async fn fail(&self, error: &Error, limit: Duration) {
        let _ = tokio::time::timeout(limit, async { self.writer.lock().await.fail(error).await }).await;
    }

    /// Shuts the write side down.
    pub(crate) async fn shutdown(&self) -> Result<()> {
        self.writer.lock().await.shutdown().await
    }
}

pub(crate) struct Writer {
    io: WriteHalf<BoxedTransport>,
    encoder: Encoder,
    out: BytesMut,
    /// A large payload to write after `out`, straight from the message's buffer.
    payload: Option<Bytes>,
    shut_down: bool,
}

impl Writer {
    pub(crate) fn new(io: WriteHalf<BoxedTransport>, encoder: Encoder) -> Self {
        Self { io, encoder, out: BytesMut::new(), payload: None, shut_down: false }
    }

    /// Sends one frame and waits until the transport has taken all of it.
    pub(crate) async fn send(&mut self, message: &Message) -> Result<()> {
        if self.shut_down {
            return Err(Error::Closed);
        }
        self.flush().await?;
        self.payload = self.encoder.encode(message, &mut self.out)?;
        self.flush().await
    }

    /// Answers the peer's close frame: echoes its code unless our own close went out first,
    /// then shuts the stream down, ending the close handshake.
    pub(crate) async fn answer_close(&mut self, received: &Message) -> Result<()> {
        if self.encoder.state() != WriteState::CloseSent {
            let echo = match received.close_code() {
                Some(code) => Message::close(code, ""),
                None => Message::close_without_code(),
            };
            self.payload = self.encoder.encode(&echo, &mut self.out)?;
        }
        self.flush().await?;
        self.shutdown().await
    }

    /// Fails the connection after `error`: a close frame with its code, if ours has not gone
    /// out yet, then shutdown. The caller bounds it in time: a hostile peer may not read.
    async fn fail(&mut self, error: &Error) {
        if let Some(code) = error.close_code()
            && self.encoder.state() != WriteState::CloseSent
        {
            let close = Message::close(code, truncate(&error.to_string(), MAX_CLOSE_REASON));
            if let Ok(payload) = self.encoder.encode(&close, &mut self.out) {
                self.payload = payload;
            }
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
        while !self.out.is_empty() || self.payload.is_some() {
            let payload = self.payload.as_deref().unwrap_or_default();
            let written = if self.out.is_empty() {
                self.io.write(payload).await?
            } else if payload.is_empty() || !self.io.is_write_vectored() {
                self.io.write(&self.out).await?
            } else {
                self.io.write_vectored(&[IoSlice::new(&self.out), IoSlice::new(payload)]).await?
            };
            if written == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
            }
            self.consume(written);
        }
        self.io.flush().await?;
        Ok(())
    }

    fn consume(&mut self, mut written: usize) {
        let from_out = written.min(self.out.len());
        self.out.advance(from_out);
        written -= from_out;
        if let Some(payload) = &mut self.payload {
            payload.advance(written);
            if payload.is_empty() {
                self.payload = None;
            }
        }
        if self.out.is_empty() {
            // Reuse the buffer from its start.
            self.out.clear();
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
