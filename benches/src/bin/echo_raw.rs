//! The upper bound: a raw TCP echo of the same bytes (no handshake, no parsing), one read
//! buffer per connection, on one current-thread runtime. `echo_raw [PORT]`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uniws_benches::{CountingAlloc, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    serve(|mut tcp| async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tcp.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
}
