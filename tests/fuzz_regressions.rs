//! Replays every input under fuzz/regressions/<target>/ through the same property checks the
//! fuzz targets run (fuzz/src/checks/, included here by path), natively and without
//! cargo-fuzz: a crash the fuzzer found (scripts/fuzz.sh copies it there) stays a test for
//! good. Each target's folder must hold at least one input.

use std::path::{Path, PathBuf};

#[path = "../fuzz/src/checks/mod.rs"]
mod checks;

/// Runs `check` on every file in fuzz/regressions/`target`/ and fails naming the inputs that
/// broke a property; returns how many inputs were replayed.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("readable input");
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs break a property: {failed:#?}",
        failed.len(),
        files.len()
    );
    assert!(!files.is_empty(), "{target}: no input in {}", dir.display());
    files.len()
}

#[test]
fn decoder() {
    assert!(replay("decoder", checks::decoder::check) > 0);
}

#[test]
fn decoder_whole() {
    assert!(replay("decoder_whole", checks::decoder_whole::check) > 0);
}

#[test]
fn decoder_whole_limit() {
    assert!(replay("decoder_whole_limit", checks::decoder_whole::check_limit) > 0);
}

#[test]
fn roundtrip() {
    assert!(replay("roundtrip", checks::roundtrip::check) > 0);
}

#[test]
fn handshake_request() {
    assert!(replay("handshake_request", checks::handshake::check_request) > 0);
}

#[test]
fn handshake_response() {
    assert!(replay("handshake_response", checks::handshake::check_response) > 0);
}

#[test]
fn extensions() {
    assert!(replay("extensions", checks::deflate::check_extensions) > 0);
}

#[test]
fn decoder_deflate() {
    assert!(replay("decoder_deflate", checks::deflate::check_decoder) > 0);
}

#[test]
fn inflate() {
    assert!(replay("inflate", checks::deflate::check_inflate) > 0);
}

#[test]
fn utf8() {
    assert!(replay("utf8", checks::utf8::check) > 0);
}

#[test]
fn websocket() {
    assert!(replay("websocket", checks::websocket::check) > 0);
}

/// The reader the checks share, on its own.
#[test]
fn source_reads_zeros_past_the_end() {
    let mut src = checks::Source::new(&[7, 8, 9]);
    assert_eq!(src.byte(), 7);
    assert_eq!(src.take(5), &[8, 9]);
    assert!(src.is_empty());
    assert_eq!(src.byte(), 0);
    assert!(src.rest().is_empty());
}
