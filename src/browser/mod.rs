//! The browser backend (wasm32): the same `WebSocket` API over `web_sys::WebSocket`, with
//! the message model, frame limits and `recv_all` emulated on the browser's whole messages.

mod connect;
mod events;
mod websocket;

pub use connect::connect;
pub use websocket::{RecvHalf, SendHalf};
