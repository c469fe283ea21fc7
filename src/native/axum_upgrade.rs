//! An axum 0.8 extractor (feature `axum`) in the spirit of axum's own `WebSocketUpgrade`:
//! it validates the upgrade request (a bad one is refused with its status before the
//! handler runs), lets the handler look at the request and refuse it, and turns into the 101
//! with `on_upgrade`, whose callback gets the one uniws [`WebSocket`].

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use super::check::{Refusal, Request};
use super::hyper_upgrade::{Body, accept, upgrade_request};
use super::server::ServerOptions;
use crate::WebSocket;
use crate::proto::handshake::{Rejection, UpgradeRequest};

/// A valid WebSocket upgrade request in an axum handler.
///
/// ```no_run
/// use axum::{Router, routing::get, response::Response};
/// use uniws::axum::WebSocketUpgrade;
///
/// async fn ws(upgrade: WebSocketUpgrade) -> Response {
///     upgrade.on_upgrade(|mut ws| async move {
///         while let Ok(message) = ws.recv_all(1 << 20).await {
///             if !message.message_type().is_control() && ws.send_all(message).await.is_err() { break }
///         }
///     })
/// }
/// let app: Router = Router::new().route("/ws", get(ws));
/// ```
pub struct WebSocketUpgrade {
    request: UpgradeRequest,
    on_upgrade: ::hyper::upgrade::OnUpgrade,
    options: ServerOptions,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade").field("request", &self.request).finish_non_exhaustive()
    }
}

impl WebSocketUpgrade {
    /// The options the socket is accepted with (subprotocol selection, frame limit,
    /// permessage-deflate, automatic pongs); default [`ServerOptions::new`].
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// The request as a request check sees it (no peer address: take axum's `ConnectInfo`
    /// for that).
    pub fn request(&self) -> Request<'_> {
        Request::new(&self.request, None)
    }

    /// Runs `check` on the request: its refusal is the response to return.
    pub fn check<S>(&self, check: impl FnOnce(&Request<'_>) -> Result<S, Refusal>) -> Result<S, Refusal> {
        check(&self.request())
    }

    /// The 101 response; once axum has sent it, `callback` runs in a task of its own with the
    /// socket. A subprotocol refused by the options' selection is answered with 400 instead.
    pub fn on_upgrade<C, F>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        match accept(&self.options, self.request, self.on_upgrade) {
            Ok((response, pending)) => {
                tokio::spawn(async move {
                    // An upgrade hyper could not complete (the client left) has nobody to
                    // report to.
                    if let Ok(ws) = pending.await {
                        callback(ws).await;
                    }
                });
                response.into_response()
            }
            Err(refusal) => refusal.into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request = upgrade_request(&parts.method, parts.version, &parts.uri, &parts.headers)?;
        let on_upgrade = parts
            .extensions
            .remove::<::hyper::upgrade::OnUpgrade>()
            .ok_or(Rejection { status: 426, reason: "this connection cannot be upgraded" })?;
        Ok(Self { request, on_upgrade, options: ServerOptions::new() })
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        http::Response::<Body>::from(self).into_response()
    }
}
