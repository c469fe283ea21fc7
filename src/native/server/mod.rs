//! The server, in three rooms: its options and what it negotiates (`options.rs`), accepting
//! one connection on any stream (`accept.rs`), and the serve loops over a TCP listener with
//! their shutdown and connection limit (`serve.rs`).

mod accept;
mod options;
mod serve;

pub use options::{AcceptAll, ServerOptions};
#[cfg(unix)]
pub use serve::bind_reuseport;
pub use serve::{RequestHandler, request_handler};
