// Shared by echo_yawc and echo_yawc_pool (included, with `POOL` defined by each): the yawc
// echo server through hyper, whole messages from `next_frame` sent back with `send`, on one
// current-thread runtime. Compression is on at yawc's balanced preset (level 6, the window
// the client allows); with POOL, no context takeover either way and a DeflatePool, the
// configuration yawc documents for many idle connections (uniws's server default). Messages
// above 1 MiB go back in 1 MiB frames, as the other servers send them.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::SinkExt;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, frame_pieces, serve};
use yawc::{DeflatePool, Frame, OpCode, Options, WebSocket};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn options() -> Options {
    let options = Options::default().with_balanced_compression().with_limits(MAX_MESSAGE, MAX_MESSAGE).with_no_delay();
    if POOL {
        thread_local! {
            static SHARED: DeflatePool = DeflatePool::new(4);
        }
        options
            .server_no_context_takeover()
            .client_no_context_takeover()
            .with_deflate_pool(SHARED.with(|p| p.clone()))
    } else {
        options
    }
}

async fn echo(upgraded: yawc::UpgradeFut) {
    let Ok(mut ws) = upgraded.await else { return };
    while let Ok(frame) = ws.next_frame().await {
        match frame.opcode() {
            OpCode::Close => return,
            OpCode::Text | OpCode::Binary => {}
            _ => continue,
        }
        if frame.payload().len() <= FRAME_SIZE {
            if ws.send(frame).await.is_err() {
                return;
            }
            continue;
        }
        // Split here rather than with yawc's `with_max_fragment_size`: that queues every
        // message, small ones too, and cost 2,987 → 3,269 instructions per 100×20 B echo.
        let (opcode, _, payload) = frame.into_parts();
        for (range, last) in frame_pieces(payload.len()) {
            let piece = match (range.start, opcode) {
                (0, OpCode::Text) => Frame::text(payload.slice(range)),
                (0, _) => Frame::binary(payload.slice(range)),
                _ => Frame::continuation(payload.slice(range)),
            };
            if ws.feed(piece.with_fin(last)).await.is_err() {
                return;
            }
        }
        if ws.flush().await.is_err() {
            return;
        }
    }
}

async fn handle(mut request: Request<Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    match WebSocket::upgrade_with_options(&mut request, options()) {
        Ok((response, upgraded)) => {
            tokio::task::spawn_local(echo(upgraded));
            Ok(response)
        }
        Err(_) => Ok(Response::builder().status(400).body(Empty::new()).expect("a response")),
    }
}

fn main() {
    serve(|tcp| async move {
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service_fn(handle))
            .with_upgrades();
        let _ = connection.await;
    });
}
