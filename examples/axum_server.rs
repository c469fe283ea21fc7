//! An axum application with a uniws WebSocket on the same port: `GET /` answers with a short
//! text, `/ws` is an echo WebSocket that allows requests without `Origin` (non-browser
//! clients) and from `https://app.example` only (403 for any other Origin).
//!
//! `cargo run --release --features axum --example axum_server -- 127.0.0.1:9002`

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uniws::axum::WebSocketUpgrade;
use uniws::{MessageType, OriginAllowList, ServerOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9002".to_owned());
    let origins = Arc::new(OriginAllowList::new(["https://app.example"])?.allow_missing(true));
    let app = Router::new()
        .route("/", get(|| async { "uniws on axum: the echo WebSocket is at /ws\n" }))
        .route("/ws", get(echo))
        .with_state(origins);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Checks the Origin before the 101, then echoes whole messages.
async fn echo(State(origins): State<Arc<OriginAllowList>>, upgrade: WebSocketUpgrade) -> Response {
    if let Err(refusal) = upgrade.check(|request| origins.check(request)) {
        return refusal.into_response();
    }
    let options = ServerOptions::new().select_protocol(|offered| offered.first().cloned());
    upgrade.options(options).on_upgrade(|mut ws| async move {
        while let Ok(message) = ws.recv_all(16 << 20).await {
            match message.message_type() {
                MessageType::Close => break,
                // Pings are answered by the socket itself.
                MessageType::Ping | MessageType::Pong => {}
                MessageType::Text | MessageType::Binary => {
                    if ws.send_all(message).await.is_err() {
                        break;
                    }
                }
            }
        }
    })
}
