//! The sending side of a native connection: encodes one frame at a time into a bounded
//! buffer and writes it out (header and large payload in one vectored write). Whatever a
//! cancelled or timed-out write left is written first by the next operation, so the buffer
//! never holds more than one frame beside a control frame.

use std::io::IoSlice;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt, WriteHalf};

use super::transport::BoxedTransport;
use crate::proto::{Encoder, MAX_CLOSE_REASON, WriteState};
use crate::{Error, Message, Result};

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
    /// out yet, then shutdown — bounded by `limit`, since a hostile peer may not read.
    pub(crate) async fn fail(&mut self, error: &Error, limit: Duration) {
        if let Some(code) = error.close_code()
            && self.encoder.state() != WriteState::CloseSent
        {
            let close = Message::close(code, truncate(&error.to_string(), MAX_CLOSE_REASON));
            if let Ok(payload) = self.encoder.encode(&close, &mut self.out) {
                self.payload = payload;
            }
        }
        let _ = tokio::time::timeout(limit, async {
            let _ = self.flush().await;
            let _ = self.shutdown().await;
        })
        .await;
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
