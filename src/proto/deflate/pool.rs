//! Compressors and decompressors kept per thread between messages, for connections that
//! start every message with an empty context: such a connection holds one only while a
//! message is in flight, so an idle one holds none, and a busy thread does not allocate and
//! free hundreds of kilobytes of zlib state per message.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress};

/// How many of each kind a thread keeps; more in flight at once are made and freed.
const KEPT: usize = 4;

/// The window every pooled decompressor has: the largest, which inflates any stream.
const POOLED_INFLATE_BITS: u8 = 15;

thread_local! {
    static COMPRESSORS: RefCell<Vec<(u32, u8, Compress)>> = const { RefCell::new(Vec::new()) };
    static DECOMPRESSORS: RefCell<Vec<Decompress>> = const { RefCell::new(Vec::new()) };
}

/// A compressor with `level` and `window_bits` (9 to 15) and an empty context.
pub(super) fn take_compressor(level: u32, window_bits: u8) -> Compress {
    let pooled = COMPRESSORS.with(|pool| {
        let mut pool = pool.try_borrow_mut().ok()?;
        let at = pool.iter().position(|&(l, b, _)| l == level && b == window_bits)?;
        Some(pool.swap_remove(at).2)
    });
    pooled.unwrap_or_else(|| Compress::new_with_window_bits(Compression::new(level), false, window_bits))
}

/// Gives back a compressor taken with `level` and `window_bits`, its context emptied.
/// One not kept is dropped unreset: emptying its context would be work for nothing.
pub(super) fn give_compressor(level: u32, window_bits: u8, mut compressor: Compress) {
    COMPRESSORS.with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut()
            && pool.len() < KEPT
        {
            compressor.reset();
            pool.push((level, window_bits, compressor));
        }
    });
}

/// A raw decompressor with the largest window and an empty context.
pub(super) fn take_decompressor() -> Decompress {
    let pooled = DECOMPRESSORS.with(|pool| pool.try_borrow_mut().ok()?.pop());
    pooled.unwrap_or_else(|| Decompress::new_with_window_bits(false, POOLED_INFLATE_BITS))
}

/// Gives back a decompressor from [`take_decompressor`], its context emptied.
pub(super) fn give_decompressor(mut decompressor: Decompress) {
    DECOMPRESSORS.with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut()
            && pool.len() < KEPT
        {
            decompressor.reset(false);
            pool.push(decompressor);
        }
    });
}
