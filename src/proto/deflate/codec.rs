//! The compressor and the decompressor of one connection (RFC 7692 §7.2): a message's
//! parts are compressed with a sync flush each and the final `00 00 ff ff` cut off; on
//! receive it is put back and each frame inflated as it completes, never past a limit.

use flate2::{Decompress, FlushDecompress, Status};
use zlib_rs::{Deflate, DeflateFlush};

use super::pool;
use crate::proto::Violation;

/// What a sync flush ends with; cut from a message's end and put back before inflating.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output room is added at most this much at a time, so memory follows what a message
/// really inflates or compresses to rather than any guess.
const GROWTH: usize = 64 << 10;

/// zlib's raw deflate cannot use a 256-byte window (madler/zlib#171); with 512 bytes its
/// back-references still stay within 250 bytes, so a peer with a window of 8 bits inflates
/// them.
fn zlib_window_bits(bits: u8) -> u8 {
    bits.clamp(9, 15)
}

/// zlib's default memory level: a block holds up to 16,383 symbols (literals or matches).
const MEM_LEVEL: u8 = 8;

/// The memory level of a compressor for a message of `len` bytes sent in one part and
/// compressed from an empty context. zlib-rs zeroes its whole symbol buffer (3 bytes per
/// symbol) each time it starts a block, at a reset and after every flush: 48 KiB twice per
/// message at the default level, about 5,000 instructions, 4 % of a server's echo of a
/// 200-byte message. A message has at most as many symbols as bytes, so one with fewer than
/// a smaller buffer holds is still one block, the same bytes out.
fn mem_level_for(len: usize) -> u8 {
    // Level 5 holds 2,047 symbols: the whole of a 1 KiB message, a 6 KiB buffer to zero.
    const SMALL: u8 = 5;
    if len < (1 << (SMALL + 6)) { SMALL } else { MEM_LEVEL }
}

/// The sending direction's compressor.
pub struct Deflater {
    level: u32,
    window_bits: u8,
    /// Every message starts with an empty context, so the compressor is held only while a
    /// message is in flight.
    reset_each_message: bool,
    threshold: usize,
    /// The compressor of the message in flight (of every message, with context takeover) and
    /// its memory level.
    held: Option<(u8, Deflate)>,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("level", &self.level)
            .field("window_bits", &self.window_bits)
            .field("reset_each_message", &self.reset_each_message)
            .field("threshold", &self.threshold)
            .field("held", &self.held.is_some())
            .finish()
    }
}

impl Deflater {
    /// A compressor at `level` within `window_bits` (8 to 15), with or without context
    /// takeover; messages shorter than `threshold` are best sent uncompressed.
    pub fn new(level: u32, window_bits: u8, no_context_takeover: bool, threshold: usize) -> Self {
        Self {
            level,
            window_bits: zlib_window_bits(window_bits),
            reset_each_message: no_context_takeover,
            threshold,
            held: None,
        }
    }

    /// Whether a message whose first part has `len` bytes is worth compressing.
    pub fn worth_compressing(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// Compresses `data`, the next part of a message, appending it to `out`; `fin` ends the
    /// message (its sync-flush tail is cut off).
    pub fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        let (mem_level, mut compressor) = self.held.take().unwrap_or_else(|| {
            // Only a whole message from an empty context can take a small compressor: a
            // message in parts, or one context for all, may grow past what it holds.
            let mem_level = match fin && self.reset_each_message {
                true => mem_level_for(data.len()),
                false => MEM_LEVEL,
            };
            (mem_level, pool::take_compressor(self.level, self.window_bits, mem_level))
        });
        let start_in = compressor.total_in();
        let start_out = out.len();
        out.reserve((data.len() + 64).min(GROWTH));
        loop {
            let consumed = (compressor.total_in() - start_in) as usize;
            let before_out = compressor.total_out();
            // With room and a valid stream, compressing cannot fail: zlib's only errors are
            // misuse (a wrong flush sequence, a freed stream), which this code never does.
            compressor
                .compress_uninit(&data[consumed..], out.spare_capacity_mut(), DeflateFlush::SyncFlush)
                .expect("deflate into a buffer with room");
            let written = (compressor.total_out() - before_out) as usize;
            // SAFETY: `compress_uninit` initialised the first `written` bytes of the spare
            // capacity it was given, which begins at the vector's end.
            unsafe { out.set_len(out.len() + written) };
            let consumed = (compressor.total_in() - start_in) as usize;
            // The flush is complete once a call returns with room to spare.
            if consumed == data.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve((out.len() / 2).clamp(64, GROWTH));
        }
        if !fin {
            self.held = Some((mem_level, compressor));
            return;
        }
        if out.len() == start_out {
            // Nothing new since the last flush: zlib wrote nothing, but the receiver's tail
            // needs the header byte of an empty stored block in front of it (RFC 7692
            // §7.2.3.6).
            out.push(0x00);
        } else if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if self.reset_each_message {
            pool::give_compressor(self.level, self.window_bits, mem_level, compressor);
        } else {
            self.held = Some((mem_level, compressor));
        }
    }
}

/// The most bytes a frame of a compressed message may take on the wire when the part of the
/// message it carries has `len` bytes, so that a frame is measured by what it inflates to and
/// not refused for what deflate added to incompressible data. It is zlib's `deflateBound` for
/// parameters it cannot count on, as a permessage-deflate peer picks its own window and
/// memory level: the larger of its bounds for stored blocks as short as 127 bytes (memory
/// level 1, about 4 %) and for fixed-code blocks of 9-bit literals (about 13 %, for a block
/// whose input has left a small window, so that it cannot be stored), plus the 5 bytes of
/// the empty stored block a sync flush ends each frame with (RFC 7692 §7.2.1). zlib's
/// defaults stay far below it (5 bytes per block of 16,383 bytes), but Python's
/// `websockets`, at memory level 5, writes a block per 2,047 bytes.
pub fn max_deflated_len(len: usize) -> usize {
    let fixed = len.saturating_add((len >> 3) + (len >> 8) + (len >> 9) + 4);
    let stored = len.saturating_add((len >> 5) + (len >> 7) + (len >> 11) + 7);
    fixed.max(stored).saturating_add(5)
}

/// Past the limit, a refused frame is inflated on into a scratch buffer to report its real
/// size, but no further than this: a deflate bomb inflates a thousand times its size, and
/// counting it whole would cost what the limit is there to spare. 64 MiB is the default
/// message limit, what an ordinary message may cost anyway.
const COUNT_LIMIT: u64 = 64 << 20;

/// The scratch buffer counting inflates into.
const COUNT_CHUNK: usize = 32 << 10;

/// Why a compressed frame could not be inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates past the limit: to `size` bytes (at least, for one that inflates more
    /// than `COUNT_LIMIT`, 64 MiB, past it). Only the limit and one byte were kept.
    TooLarge {
        /// What the frame inflates to.
        size: u64,
    },
    /// Not valid deflate data, or data after the final block.
    Corrupt(Violation),
}

/// The receiving direction's decompressor.
#[derive(Debug)]
pub struct Inflater {
    window_bits: u8,
    /// The peer starts every message with an empty context: the decompressor is held only
    /// while a message is in flight, and comes from the thread's pool.
    reset_each_message: bool,
    held: Option<Decompress>,
    /// The message's deflate stream ended with a final block: nothing may follow it.
    ended: bool,
}

impl Inflater {
    /// A decompressor for a peer compressing within `window_bits` (8 to 15), with or without
    /// context takeover.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self {
            window_bits: zlib_window_bits(window_bits),
            reset_each_message: no_context_takeover,
            held: None,
            ended: false,
        }
    }

    /// Inflates `payload`, the next frame of a compressed message, appending at most `limit`
    /// bytes to `out`; `fin` ends the message. On error the message cannot go on (the
    /// connection fails), and `out` holds what was inflated before the error.
    pub fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), InflateError> {
        let mut decompressor = self.held.take().unwrap_or_else(|| self.fresh());
        let start = out.len();
        let cap = start.saturating_add(limit);
        let mut result = self.run(&mut decompressor, payload, false, cap, out);
        if fin && result.is_ok() {
            result = self.run(&mut decompressor, &TAIL, true, cap, out);
        }
        if let Err(InflateError::TooLarge { size }) = &mut result {
            *size += (out.len() - start) as u64;
        }
        if !(fin || result.is_err()) {
            self.held = Some(decompressor);
            return result;
        }
        let ended = std::mem::take(&mut self.ended);
        if self.reset_each_message {
            pool::give_decompressor(decompressor);
            return result;
        }
        if ended || result.is_err() {
            // A stream that ended cannot take the next message: start afresh (the peer's
            // compressor did too, having finished its stream). flate2's reset keeps the
            // window bits.
            decompressor.reset(false);
        }
        self.held = Some(decompressor);
        result
    }

    /// Inflates `input` (the message's tail if `tail`) into `out`, which may not grow past
    /// `cap` bytes; past it, `TooLarge` with what the rest of `input` inflates to.
    fn run(
        &mut self,
        decompressor: &mut Decompress,
        input: &[u8],
        tail: bool,
        cap: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), InflateError> {
        let mut rest = input;
        loop {
            if self.ended {
                // After the final block only our own tail may come.
                return match rest.is_empty() || tail {
                    true => Ok(()),
                    false => Err(InflateError::Corrupt(Violation::DataAfterFinalBlock)),
                };
            }
            // One byte of room past the cap: output there means the limit is exceeded.
            let allowed = cap.saturating_add(1) - out.len();
            if out.capacity() == out.len() {
                out.reserve_exact(allowed.min(GROWTH).min(out.len().max(rest.len() * 4).max(256)));
            }
            let room = (out.capacity() - out.len()).min(allowed);
            let before_in = decompressor.total_in();
            let before_out = decompressor.total_out();
            let spare = &mut out.spare_capacity_mut()[..room];
            let status = decompressor
                .decompress_uninit(rest, spare, FlushDecompress::Sync)
                .map_err(|_| InflateError::Corrupt(Violation::InvalidDeflate))?;
            let used = (decompressor.total_in() - before_in) as usize;
            let written = (decompressor.total_out() - before_out) as usize;
            // SAFETY: `decompress_uninit` initialised the first `written` bytes of the spare
            // capacity it was given, which begins at the vector's end.
            unsafe { out.set_len(out.len() + written) };
            rest = &rest[used..];
            if out.len() > cap {
                return Err(InflateError::TooLarge { size: count(decompressor, rest) });
            }
            match status {
                Status::StreamEnd => self.ended = true,
                // No progress with input left and room to write: the data is cut short.
                Status::BufError if used == 0 && written == 0 => return Ok(()),
                _ if rest.is_empty() && written < room => return Ok(()),
                _ => {}
            }
        }
    }

    fn fresh(&self) -> Decompress {
        if self.reset_each_message {
            pool::take_decompressor()
        } else {
            Decompress::new_with_window_bits(false, self.window_bits)
        }
    }
}

/// How many bytes `input` inflates to, discarded as they come out, up to about
/// [`COUNT_LIMIT`]. Data found corrupt further on ends the count: the frame is refused for
/// its size either way.
fn count(decompressor: &mut Decompress, mut input: &[u8]) -> u64 {
    let mut scratch = Vec::with_capacity(COUNT_CHUNK);
    let mut counted = 0;
    while counted < COUNT_LIMIT {
        let before_in = decompressor.total_in();
        let before_out = decompressor.total_out();
        let spare = scratch.spare_capacity_mut();
        let room = spare.len();
        let Ok(status) = decompressor.decompress_uninit(input, spare, FlushDecompress::Sync) else { break };
        let used = (decompressor.total_in() - before_in) as usize;
        let written = decompressor.total_out() - before_out;
        input = &input[used..];
        counted += written;
        match status {
            Status::StreamEnd => break,
            Status::BufError if used == 0 && written == 0 => break,
            _ if input.is_empty() && (written as usize) < room => break,
            _ => {}
        }
    }
    counted
}
