//! Criterion micro-benchmarks: masking throughput from 16 B to 1 MiB, frame header parsing
//! and encoding, and UTF-8 validation, for uniws and for the peers' equivalents where their
//! crates expose them (fastwebsockets' `unmask` and `Frame::fmt_head`, tungstenite's
//! `FrameHeader`, simdutf8 as fastwebsockets and tokio-websockets use it, and std).
//! `cargo bench --bench micro` (throughput in decimal GB/s).

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tungstenite::protocol::frame::FrameHeader as TungsteniteHeader;
use uniws::proto::{FrameHeader, MAX_HEADER_LEN, OpCode, Utf8Validator, apply_mask};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn masking(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [16, 64, 256, 1024, 4096, 16 << 10, 64 << 10, 256 << 10, 1 << 20] {
        let mut buf = vec![0x5au8; size];
        group.throughput(Throughput::BytesDecimal(size as u64));
        group.bench_with_input(BenchmarkId::new("uniws", size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), 0))
        });
        group.bench_with_input(BenchmarkId::new("fastwebsockets", size), &size, |b, _| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), black_box(KEY)))
        });
    }
    group.finish();
}

/// Masked client headers with 7-bit, 16-bit and 64-bit payload lengths.
fn headers() -> [(&'static str, Vec<u8>); 3] {
    let header = |len: u64| {
        let mut out = [0; MAX_HEADER_LEN];
        let header =
            FrameHeader { fin: true, rsv1: false, opcode: OpCode::Binary, mask: Some(KEY), payload_len: len };
        let n = header.encode(&mut out);
        out[..n].to_vec()
    };
    [("len20", header(20)), ("len1k", header(1024)), ("len1m", header(1 << 20))]
}

fn header_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("header_parse");
    for (name, bytes) in headers() {
        group.bench_with_input(BenchmarkId::new("uniws", name), &bytes, |b, bytes| {
            b.iter(|| FrameHeader::decode(black_box(bytes)).expect("valid").expect("complete"))
        });
        group.bench_with_input(BenchmarkId::new("tungstenite", name), &bytes, |b, bytes| {
            b.iter(|| {
                TungsteniteHeader::parse(&mut Cursor::new(black_box(bytes.as_slice())))
                    .expect("valid")
                    .expect("complete")
            })
        });
    }
    group.finish();
}

fn header_encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("header_encode");
    for (name, bytes) in headers() {
        let (header, _) = FrameHeader::decode(&bytes).expect("valid").expect("complete");
        let len = header.payload_len;
        group.bench_with_input(BenchmarkId::new("uniws", name), &header, |b, header| {
            let mut out = [0; MAX_HEADER_LEN];
            b.iter(|| black_box(header).encode(&mut out))
        });
        let (theirs, _) =
            TungsteniteHeader::parse(&mut Cursor::new(&bytes)).expect("valid").expect("complete");
        group.bench_with_input(BenchmarkId::new("tungstenite", name), &theirs, |b, theirs| {
            let mut out = Vec::with_capacity(MAX_HEADER_LEN);
            b.iter(|| {
                out.clear();
                black_box(theirs).format(black_box(len), &mut out).expect("formatted");
            })
        });
        let payload = vec![0u8; len as usize];
        group.bench_with_input(BenchmarkId::new("fastwebsockets", name), &payload, |b, payload| {
            let mut head = [0u8; 16];
            b.iter(|| {
                let payload = fastwebsockets::Payload::Borrowed(black_box(payload));
                fastwebsockets::Frame::new(true, fastwebsockets::OpCode::Binary, Some(KEY), payload)
                    .fmt_head(&mut head)
            })
        });
    }
    group.finish();
}

fn utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("utf8");
    let ascii = "the quick brown fox jumps over the lazy dog ".repeat(3000);
    let mixed = "ascii, κόσμε, 日本語, emoji 𝄞😀 ".repeat(3000);
    // 64 KiB, or a little less: cut at a character boundary so every input is valid.
    let cut = |text: &str| {
        let end = (0..=text.len().min(65536)).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.as_bytes()[..end].to_vec()
    };
    for (name, bytes) in [("ascii_64k", cut(&ascii)), ("mixed_64k", cut(&mixed))] {
        let bytes = bytes.as_slice();
        group.throughput(Throughput::BytesDecimal(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("uniws", name), bytes, |b, bytes| {
            b.iter(|| {
                let mut validator = Utf8Validator::new();
                validator.feed(black_box(bytes)).expect("valid");
                validator.finish().expect("complete")
            })
        });
        group.bench_with_input(BenchmarkId::new("std", name), bytes, |b, bytes| {
            b.iter(|| std::str::from_utf8(black_box(bytes)).expect("valid").len())
        });
        group.bench_with_input(BenchmarkId::new("simdutf8", name), bytes, |b, bytes| {
            b.iter(|| simdutf8::basic::from_utf8(black_box(bytes)).expect("valid").len())
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! { name = micro; config = config(); targets = masking, header_parse, header_encode, utf8 }
criterion_main!(micro);
