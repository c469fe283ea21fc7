//! Compressors and decompressors kept per thread between messages, for connections that
//! start every message with an empty context: such a connection holds one only while a
//! message is in flight, so an idle one holds none, and a busy thread does not allocate and
//! free hundreds of kilobytes of zlib state per message.

use std::cell::RefCell;

use flate2::Decompress;
use zlib_rs::{Deflate, DeflateConfig};

/// How many of each kind a thread keeps (of compressors, per setting); more in flight at
/// once are made and freed.
const KEPT: usize = 4;

/// The window every pooled decompressor has: the largest, which inflates any stream.
const POOLED_INFLATE_BITS: u8 = 15;

thread_local! {
    static COMPRESSORS: RefCell<Vec<(Setting, Deflate)>> = const { RefCell::new(Vec::new()) };
    static DECOMPRESSORS: RefCell<Vec<Decompress>> = const { RefCell::new(Vec::new()) };
}

/// A compressor's level, window bits and memory level.
type Setting = (u32, u8, u8);

/// A raw compressor with `level`, `window_bits` (9 to 15) and `mem_level` (1 to 9), and an
/// empty context.
pub(super) fn take_compressor(level: u32, window_bits: u8, mem_level: u8) -> Deflate {
    let setting = (level, window_bits, mem_level);
    let pooled = COMPRESSORS.with(|pool| {
        let mut pool = pool.try_borrow_mut().ok()?;
        let at = pool.iter().position(|&(s, _)| s == setting)?;
        Some(pool.swap_remove(at).1)
    });
    pooled.unwrap_or_else(|| {
        Deflate::new_with_config(DeflateConfig {
            level: level as i32,
            // Negative: raw deflate, no zlib header.
            window_bits: -i32::from(window_bits),
            mem_level: i32::from(mem_level),
            ..DeflateConfig::default()
        })
    })
}

/// Gives back a compressor taken with `level`, `window_bits` and `mem_level`, its context
/// emptied. One not kept is dropped unreset: emptying its context would be work for nothing.
pub(super) fn give_compressor(level: u32, window_bits: u8, mem_level: u8, mut compressor: Deflate) {
    let setting = (level, window_bits, mem_level);
    COMPRESSORS.with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut()
            && pool.iter().filter(|&&(s, _)| s == setting).count() < KEPT
        {
            compressor.reset();
            pool.push((setting, compressor));
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
