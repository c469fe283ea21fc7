//! The large message the page sends and how a binary message is shown: its size and the
//! first 16 hex digits of its SHA-256, from the browser's `crypto.subtle` (the same figure the
//! JavaScript page shows, so a message sent from either page can be checked in the other).

use wasm_bindgen_futures::JsFuture;

/// The size of the large-message button's message, as on the JavaScript page.
pub const LARGE_SIZE: usize = 3 << 20;

/// The large message: the JavaScript page's bytes (`i % 251`), so both pages send the same.
pub fn large_message() -> Vec<u8> {
    (0..LARGE_SIZE).map(|i| (i % 251) as u8).collect()
}

/// `bytes` in MiB with one decimal, as the JavaScript page writes it.
pub fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}
/// The first 16 hex digits of the SHA-256 of `bytes`, or "unknown" where the browser has
/// no `crypto.subtle` (a page served over plain HTTP from a host other than localhost).
pub async fn digest(bytes: &[u8]) -> String {
    match sha256(bytes).await {
        Some(hash) => hash[..8].iter().map(|b| format!("{b:02x}")).collect(),
        None => "unknown".into(),
    }
}

async fn sha256(bytes: &[u8]) -> Option<Vec<u8>> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let promise = subtle.digest_with_str_and_u8_array("SHA-256", bytes).ok()?;
    let hash = JsFuture::from(promise).await.ok()?;
    Some(js_sys::Uint8Array::new(&hash).to_vec())
}
