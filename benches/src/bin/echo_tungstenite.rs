//! The tokio-tungstenite echo server: whole messages from the stream (it reassembles
//! fragments), sent back as one frame, or as 1 MiB frames (raw `Message::Frame`s) when
//! larger, on one current-thread runtime. `echo_tungstenite [PORT]`.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, frame_pieces, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let config =
        WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
    serve(move |tcp| async move {
        let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else { return };
        while let Some(Ok(message)) = ws.next().await {
            let sent = match message {
                Message::Binary(data) if data.len() > FRAME_SIZE => {
                    let mut result = Ok(());
                    for (range, last) in frame_pieces(data.len()) {
                        let opcode =
                            OpCode::Data(if range.start == 0 { Data::Binary } else { Data::Continue });
                        result =
                            ws.feed(Message::Frame(Frame::message(data.slice(range), opcode, last))).await;
                        if result.is_err() {
                            break;
                        }
                    }
                    result.and(ws.flush().await)
                }
                Message::Binary(_) | Message::Text(_) => ws.send(message).await,
                Message::Close(_) => return,
                _ => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
    });
}
