//! Payload masking (RFC 6455 §5.3): XOR with a 4-byte key. This module owns the masking loop
//! and its per-CPU variants: AVX2 (x86 and x86_64, detected at run time), SSE2 (the x86_64
//! baseline; detected on 32-bit x86), NEON (aarch64), and a portable loop over `u64` words
//! that serves every other target and buffers too short for vectors.

/// Shorter buffers take the word loop, which beats the vector loops up to about here.
const VECTOR_MIN: usize = 64;

/// From this length x86 uses AVX2 (if the CPU has it) on 32-byte aligned vectors: below it the
/// inlined SSE2 loop is faster than the call into the AVX2 one plus the alignment.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
const AVX2_MIN: usize = 512;

/// XORs `buf` with `key`, as if `buf` started `offset` bytes into the payload (so a payload
/// can be unmasked piece by piece as it arrives). Masking twice restores the data.
///
/// ```
/// use uniws::proto::apply_mask;
/// let mut data = *b"hello world";
/// apply_mask(&mut data, [1, 2, 3, 4], 0);
/// apply_mask(&mut data[..5], [1, 2, 3, 4], 0);
/// apply_mask(&mut data[5..], [1, 2, 3, 4], 5);
/// assert_eq!(&data, b"hello world");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if buf.len() < VECTOR_MIN {
        mask_words(buf, key);
    } else {
        mask_vectors(buf, key);
    }
}

/// The key for a buffer that starts `offset` bytes into the payload.
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    u32::from_le_bytes(key).rotate_right(8 * (offset & 3) as u32).to_le_bytes()
}

/// The portable loop, for any length: eight bytes at a time, then bytewise. Like every
/// variant below, it takes the key already rotated to `buf[0]`.
#[inline]
fn mask_words(buf: &mut [u8], key: [u8; 4]) {
    let word = u64::from(u32::from_ne_bytes(key)) * 0x1_0000_0001; // the key twice
    let (words, rest) = buf.as_chunks_mut::<8>();
    for chunk in words {
        *chunk = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
    }
    // `rest` starts at a multiple of 8, so the key lines up with index 0 again, and again
    // after four more bytes.
    let rest = match rest.split_first_chunk_mut::<4>() {
        Some((chunk, rest)) => {
            *chunk = (u32::from_ne_bytes(*chunk) ^ u32::from_ne_bytes(key)).to_ne_bytes();
            rest
        }
        None => rest,
    };
    for (byte, key) in rest.iter_mut().zip(key) {
        *byte ^= key;
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[inline]
fn mask_vectors(buf: &mut [u8], key: [u8; 4]) {
    // The macro caches CPUID's answer in an atomic, and is a constant `true` for a feature the
    // build already assumes (SSE2 on x86_64).
    if buf.len() >= AVX2_MIN && std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { x86::mask_avx2(buf, key) }
    } else if std::is_x86_feature_detected!("sse2") {
        // SAFETY: the CPU supports SSE2, checked just above.
        unsafe { x86::mask_sse2(buf, key) }
    } else {
        mask_words(buf, key)
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
use neon::mask_neon as mask_vectors;

#[cfg(not(any(
    target_arch = "x86",
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon")
)))]
use mask_words as mask_vectors;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86 {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::*;
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::*;

    /// The ends with one unaligned vector each, the middle with 32-byte aligned ones, four per
    /// iteration (vectors that straddle cache lines cost AVX2 up to half its speed in L1).
    /// Buffers under 32 bytes take the word loop.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn mask_avx2(buf: &mut [u8], key: [u8; 4]) {
        let splat = |key: [u8; 4]| _mm256_set1_epi32(i32::from_ne_bytes(key));
        let len = buf.len();
        let (Some(first), Some(last)) = (buf.first_chunk::<32>(), buf.last_chunk::<32>()) else {
            return super::mask_words(buf, key);
        };
        // The ends overlap the middle: they are read before it is written, and written after,
        // with the same bytes the middle wrote where they overlap.
        // SAFETY: `first` and `last` are 32 readable bytes each; the loads are unaligned.
        let (first, last) = unsafe {
            let last_key = splat(super::rotate(key, len - 32));
            (
                _mm256_xor_si256(_mm256_loadu_si256(first.as_ptr().cast()), splat(key)),
                _mm256_xor_si256(_mm256_loadu_si256(last.as_ptr().cast()), last_key),
            )
        };
        let skip = buf.as_ptr().addr().wrapping_neg() & 31;
        // Every chunk length is a multiple of 4, so the key stays lined up from one to the next.
        let k = splat(super::rotate(key, skip));
        let (blocks, rest) = buf[skip..].as_chunks_mut::<128>();
        for block in blocks {
            let p = block.as_mut_ptr().cast::<__m256i>();
            // SAFETY: `p` points to 128 writable bytes, four `__m256i`s; the unaligned load and
            // store accept any address.
            unsafe {
                let v = [
                    _mm256_loadu_si256(p),
                    _mm256_loadu_si256(p.add(1)),
                    _mm256_loadu_si256(p.add(2)),
                    _mm256_loadu_si256(p.add(3)),
                ];
                _mm256_storeu_si256(p, _mm256_xor_si256(v[0], k));
                _mm256_storeu_si256(p.add(1), _mm256_xor_si256(v[1], k));
                _mm256_storeu_si256(p.add(2), _mm256_xor_si256(v[2], k));
                _mm256_storeu_si256(p.add(3), _mm256_xor_si256(v[3], k));
            }
        }
        // What is left after these vectors (under 32 bytes) lies within `last`.
        for vector in rest.as_chunks_mut::<32>().0 {
            let p = vector.as_mut_ptr().cast::<__m256i>();
            // SAFETY: `p` points to 32 writable bytes; unaligned load and store.
            unsafe { _mm256_storeu_si256(p, _mm256_xor_si256(_mm256_loadu_si256(p), k)) }
        }
        let p = buf.as_mut_ptr();
        // SAFETY: `buf` is at least 32 bytes long, so both stores stay within it; unaligned.
        unsafe {
            _mm256_storeu_si256(p.cast(), first);
            _mm256_storeu_si256(p.add(len - 32).cast(), last);
        }
    }

    /// Four 16-byte vectors per iteration, then one at a time, then the word loop.
    ///
    /// # Safety
    /// The CPU must support SSE2 (every x86_64 CPU does).
    #[target_feature(enable = "sse2")]
    pub(super) unsafe fn mask_sse2(buf: &mut [u8], key: [u8; 4]) {
        let k = _mm_set1_epi32(i32::from_ne_bytes(key));
        let (blocks, rest) = buf.as_chunks_mut::<64>();
        for block in blocks {
            let p = block.as_mut_ptr().cast::<__m128i>();
            // SAFETY: `p` points to 64 writable bytes, four `__m128i`s; the unaligned
            // load and store accept any address.
            unsafe {
                let v = [
                    _mm_loadu_si128(p),
                    _mm_loadu_si128(p.add(1)),
                    _mm_loadu_si128(p.add(2)),
                    _mm_loadu_si128(p.add(3)),
                ];
                _mm_storeu_si128(p, _mm_xor_si128(v[0], k));
                _mm_storeu_si128(p.add(1), _mm_xor_si128(v[1], k));
                _mm_storeu_si128(p.add(2), _mm_xor_si128(v[2], k));
                _mm_storeu_si128(p.add(3), _mm_xor_si128(v[3], k));
            }
        }
        let (vectors, rest) = rest.as_chunks_mut::<16>();
        for vector in vectors {
            let p = vector.as_mut_ptr().cast::<__m128i>();
            // SAFETY: `p` points to 16 writable bytes; unaligned load and store.
            unsafe { _mm_storeu_si128(p, _mm_xor_si128(_mm_loadu_si128(p), k)) }
        }
        super::mask_words(rest, key);
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon {
    use core::arch::aarch64::*;

    /// Four 16-byte vectors per iteration, then one at a time, then the word loop. NEON is
    /// part of every aarch64 target that has this module.
    pub(super) fn mask_neon(buf: &mut [u8], key: [u8; 4]) {
        let key16: [u8; 16] = core::array::from_fn(|i| key[i & 3]);
        // SAFETY: `key16` is 16 readable bytes.
        let k = unsafe { vld1q_u8(key16.as_ptr()) };
        let (blocks, rest) = buf.as_chunks_mut::<64>();
        for block in blocks {
            let p = block.as_mut_ptr();
            // SAFETY: `p` points to 64 writable bytes; `vld1q_u8` and `vst1q_u8` need no
            // alignment beyond a byte's.
            unsafe {
                let v = [vld1q_u8(p), vld1q_u8(p.add(16)), vld1q_u8(p.add(32)), vld1q_u8(p.add(48))];
                vst1q_u8(p, veorq_u8(v[0], k));
                vst1q_u8(p.add(16), veorq_u8(v[1], k));
                vst1q_u8(p.add(32), veorq_u8(v[2], k));
                vst1q_u8(p.add(48), veorq_u8(v[3], k));
            }
        }
        let (vectors, rest) = rest.as_chunks_mut::<16>();
        for vector in vectors {
            let p = vector.as_mut_ptr();
            // SAFETY: `p` points to 16 writable bytes; no alignment needed.
            unsafe { vst1q_u8(p, veorq_u8(vld1q_u8(p), k)) }
        }
        super::mask_words(rest, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// Lengths on both sides of every vector and unroll width, and a few large ones.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..300).chain([511, 512, 513, 1000, 4096 + 13, 65536 + 7])
    }

    /// Checks `mask` (given a rotated key, like the variants) against `reference` for every
    /// length, every key rotation, and starting addresses 0..32 bytes into a buffer.
    fn check(name: &str, mask: impl Fn(&mut [u8], [u8; 4])) {
        for len in lengths() {
            let data: Vec<u8> = (0..len + 32).map(|i| (i * 7 + 3) as u8).collect();
            for start in 0..32 {
                for offset in 0..4 {
                    let mut fast = data.clone();
                    let mut slow = data.clone();
                    mask(&mut fast[start..start + len], rotate(KEY, offset));
                    reference(&mut slow[start..start + len], KEY, offset);
                    assert!(fast == slow, "{name}: len {len} start {start} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn apply_mask_matches_bytewise_masking() {
        check("apply_mask", |buf, key| apply_mask(buf, key, 0));
        // And with the rotation done by `apply_mask` itself.
        for len in lengths() {
            for offset in 0..8 {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut fast = data.clone();
                let mut slow = data;
                apply_mask(&mut fast, KEY, offset);
                reference(&mut slow, KEY, offset);
                assert!(fast == slow, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn portable_matches_bytewise_masking() {
        check("words", mask_words);
    }

    /// Says on standard error, past the test harness's capture (which hides `eprintln!` of
    /// a passing test), that a SIMD path went untested for want of the CPU feature.
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    fn skipped(test: &str, feature: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{test}: SKIPPED, this CPU has no {feature}");
    }

    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    #[test]
    fn sse2_matches_bytewise_masking_if_the_cpu_has_sse2() {
        if std::is_x86_feature_detected!("sse2") {
            // SAFETY: the CPU supports SSE2, checked just above.
            check("sse2", |buf, key| unsafe { x86::mask_sse2(buf, key) });
        } else {
            skipped("sse2_matches_bytewise_masking_if_the_cpu_has_sse2", "SSE2");
        }
    }

    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    #[test]
    fn avx2_matches_bytewise_masking_if_the_cpu_has_avx2() {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            check("avx2", |buf, key| unsafe { x86::mask_avx2(buf, key) });
        } else {
            skipped("avx2_matches_bytewise_masking_if_the_cpu_has_avx2", "AVX2");
        }
    }

    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    #[test]
    fn neon_matches_bytewise_masking() {
        check("neon", neon::mask_neon);
    }

    #[test]
    fn rfc_example_hello() {
        // RFC 6455 §5.7: a masked "Hello".
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn piecewise_equals_whole() {
        let key = [9, 8, 7, 6];
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data;
        let mut at = 0;
        for step in [1, 3, 17, 64, 5, 910] {
            apply_mask(&mut pieces[at..at + step], key, at);
            at += step;
        }
        assert_eq!(whole, pieces);
    }
}
