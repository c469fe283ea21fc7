//! # uniws
//!
//! One WebSocket API for Rust, natively (tokio, an RFC 6455 codec and handshake of our own,
//! TLS through rustls) and in the browser (wasm32, over the browser's WebSocket, what it hides
//! emulated and what it cannot do refused by name). The API is the Rust shape of
//! Gerbil Scheme's `:std/net/websocket`: [`Message`]s with data, type and a partial flag;
//! `send`, `send_all`, `recv`, `recv_all`, `protocol`, `max_frame_size` on one [`WebSocket`];
//! [`connect`] with [`ConnectOptions`]; a server [`request_handler`] with subprotocol
//! selection.
//!
//! ```no_run
//! # async fn demo() -> uniws::Result<()> {
//! use uniws::{connect, ConnectOptions, Message};
//!
//! let mut ws = connect("ws://127.0.0.1:9001", &ConnectOptions::new()).await?;
//! ws.send_all(Message::binary(vec![0u8; 4 << 20])).await?; // cut into 1 MiB frames
//! let echo = ws.recv_all(16 << 20).await?;                   // and put back together
//! assert_eq!(echo.len(), 4 << 20);
//! ws.close(1000, "bye").await
//! # }
//! ```
//!
//! ## Install
//!
//! ```toml
//! [dependencies]
//! uniws = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! In a dependent's debug builds, permessage-deflate runs zlib-rs unoptimised (cargo applies
//! no dependency's profile), tens of times slower; a line in the dependent's `Cargo.toml`
//! fixes it:
//!
//! ```toml
//! [profile.dev.package.zlib-rs]
//! opt-level = 3
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `aws-lc-rs` | yes | rustls's crypto provider aws-lc-rs, rustls's own default (see [`crypto_provider`]) |
//! | `ring` | no | the *ring* provider instead (aws-lc-rs is preferred when both are on) |
//! | `hyper` | no | [`hyper::upgrade`]: a WebSocket inside a hyper 1 server, on the port of an HTTP application |
//! | `axum` | no | [`axum::WebSocketUpgrade`], an axum 0.8 extractor (implies `hyper`) |
//!
//! On wasm32 none of them applies: the browser does TLS, and there is no server.
//! `Stream`/`Sink` ([`Messages`]) come without a feature; `SinkExt::send` needs
//! `futures-util` with its `sink` feature in the dependent.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assemble;
mod compression;
mod connection;
mod error;
mod message;
mod options;
mod platform;
pub mod proto;
mod reconnect;
mod stream;
mod websocket;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod native;

pub use compression::{DEFAULT_COMPRESSION_THRESHOLD, DeflateOptions};
pub use error::{Error, Result};
pub use message::{Message, MessageType};
pub use options::{
    Auth, ConnectOptions, DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, Heartbeat,
};
pub use platform::MaybeSend;
pub use proto::{CloseCode, HandshakeFailure, MAX_CLOSE_REASON, MAX_FRAGMENTS, Violation};
pub use reconnect::{ConnectionState, Disconnect, ReconnectPolicy, Reconnecting, ReconnectingSender};
pub use stream::Messages;
pub use websocket::WebSocket;

#[cfg(target_arch = "wasm32")]
pub use browser::{RecvHalf, SendHalf, connect};
#[cfg(all(unix, not(target_arch = "wasm32")))]
pub use native::bind_reuseport;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{
    AcceptAll, OriginAllowList, RecvHalf, Refusal, Request, RequestHandler, SendHalf, ServerOptions,
    Transport, connect, connect_over, crypto_provider, request_handler,
};
/// rustls, re-exported: its `ClientConfig` and `ServerConfig` are part of uniws's API
/// (`ConnectOptions::tls_config`, `RequestHandler::serve_tls`), so a dependent need not pin a
/// version of its own.
#[cfg(not(target_arch = "wasm32"))]
pub use rustls;

/// The upgrade inside a hyper 1 server (feature `hyper`).
#[cfg(all(feature = "hyper", not(target_arch = "wasm32")))]
pub mod hyper {
    pub use crate::native::hyper_upgrade::{Body, PendingWebSocket, upgrade};
}

/// An axum 0.8 extractor for WebSocket upgrades (feature `axum`).
#[cfg(all(feature = "axum", not(target_arch = "wasm32")))]
pub mod axum {
    pub use crate::native::axum_upgrade::WebSocketUpgrade;
}

/// The README's Rust examples run as doc tests: the quick start on a free port of 127.0.0.1.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
