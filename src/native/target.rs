//! The URL a client connects to, parsed by the `url` crate (the browser build parses with the
//! browser's own `URL` instead, in browser/connect.rs, which keeps `url` and `idna` out of the
//! wasm): `http`/`https` mapped to `ws`/`wss`, the fragment dropped, the options' query
//! parameters appended.

use url::Url;

use crate::{ConnectOptions, Error, Result};

/// The URL to connect to: `url` as a WebSocket URL with the options' query parameters
/// appended.
pub(crate) fn target_url(url: &str, options: &ConnectOptions) -> Result<Url> {
    let mut url = websocket_url(Url::parse(url).map_err(|e| Error::InvalidUrl(e.to_string().into()))?)?;
    if !options.params.is_empty() {
        url.query_pairs_mut().extend_pairs(&options.params);
    }
    Ok(url)
}

/// The URL with `http`/`https` mapped to `ws`/`wss`, without its fragment; any other
/// scheme, or no host, is refused.
pub(crate) fn websocket_url(mut url: Url) -> Result<Url> {
    let scheme = match url.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => return Err(Error::InvalidUrl(format!("scheme {other:?} is not ws or wss").into())),
    };
    if url.scheme() != scheme {
        url.set_scheme(scheme).map_err(|()| Error::InvalidUrl("cannot change the scheme".into()))?;
    }
    if url.host().is_none() {
        return Err(Error::InvalidUrl("no host".into()));
    }
    url.set_fragment(None);
    Ok(url)
}
