//! The upper bound: a raw TCP echo of the same bytes (no handshake, no parsing) on one
//! current-thread runtime. Its read buffer starts at 4 KiB and doubles, up to 1 MiB, each
//! time a read fills it, so large messages move in large reads. `echo_raw [PORT]`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uniws_benches::{CountingAlloc, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const MAX_BUFFER: usize = 1 << 20;

fn main() {
    serve(|mut tcp| async move {
        let mut buf = vec![0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tcp.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                    if n == buf.len() && buf.len() < MAX_BUFFER {
                        buf.resize(buf.len() * 2, 0);
                    }
                }
            }
        }
    });
}
