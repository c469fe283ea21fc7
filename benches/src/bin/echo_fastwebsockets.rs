//! The fastwebsockets echo server: the upgrade through hyper (its `upgrade` feature), whole
//! messages through a `FragmentCollector`, sent back as one frame, or as 1 MiB frames when
//! larger, on one current-thread runtime. `echo_fastwebsockets [PORT]`.

use std::convert::Infallible;

use bytes::Bytes;
use fastwebsockets::upgrade::upgrade;
use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use uniws_benches::{CountingAlloc, MAX_MESSAGE, frame_pieces, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

async fn echo(upgraded: fastwebsockets::upgrade::UpgradeFut) {
    let Ok(mut ws) = upgraded.await else { return };
    ws.set_max_message_size(MAX_MESSAGE);
    let mut ws = FragmentCollector::new(ws);
    while let Ok(frame) = ws.read_frame().await {
        let opcode = frame.opcode;
        match opcode {
            OpCode::Close => return,
            OpCode::Binary | OpCode::Text => {}
            _ => continue,
        }
        let data = frame.payload;
        for (range, fin) in frame_pieces(data.len()) {
            let opcode = if range.start == 0 { opcode } else { OpCode::Continuation };
            if ws.write_frame(Frame::new(fin, opcode, None, Payload::Borrowed(&data[range]))).await.is_err() {
                return;
            }
        }
    }
}

async fn handle(mut request: Request<Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    match upgrade(&mut request) {
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
