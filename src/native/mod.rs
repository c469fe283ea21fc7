//! The native backend: the WebSocket protocol over tokio streams, with our own codec
//! (`crate::proto`), handshake, client (through proxies), server and TLS through rustls.

#[cfg(feature = "axum")]
pub mod axum_upgrade;
mod check;
mod client;
mod dial;
#[cfg(feature = "hyper")]
pub mod hyper_upgrade;
mod proxy;
mod reader;
mod server;
mod target;
mod tls;
mod transport;
mod websocket;
mod writer;

pub use check::{OriginAllowList, Refusal, Request};
pub use client::{connect, connect_over};
#[cfg(unix)]
pub use server::bind_reuseport;
pub use server::{AcceptAll, RequestHandler, ServerOptions, request_handler};
pub use tls::crypto_provider;
pub use transport::Transport;
pub use websocket::{RecvHalf, SendHalf};
