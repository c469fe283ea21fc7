//! The native backend: the WebSocket protocol over tokio streams, with our own codec
//! (`crate::proto`), handshake, client (through proxies), server and TLS through rustls.

mod client;
mod proxy;
mod reader;
mod server;
mod tls;
mod transport;
mod websocket;
mod writer;

pub use client::connect;
pub use server::{RequestHandler, ServerOptions, request_handler};
pub use transport::Transport;
pub use websocket::{RecvHalf, SendHalf};
