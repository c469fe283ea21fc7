//! What differs between the two targets beneath the surface, in one place, so that the code
//! written once for both (reconnect.rs and the like) needs no `cfg` of its own: whether a
//! callback must be `Send` (natively it may move between a runtime's threads; the browser
//! has one thread and its closures hold `JsValue`s, which are not `Send`), a random number
//! for jitter, and a sleep.

use std::time::Duration;

/// `Send` natively; nothing in the browser. The bound on the callbacks uniws keeps (such as
/// [`Reconnecting::renew`](crate::Reconnecting::renew)), so that one signature fits both
/// targets.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` natively; nothing in the browser. The bound on the callbacks uniws keeps (such as
/// [`Reconnecting::renew`](crate::Reconnecting::renew)), so that one signature fits both
/// targets.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// A number in [0, 1).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn random() -> f64 {
    rand::random()
}

/// A number in [0, 1).
#[cfg(target_arch = "wasm32")]
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}

/// Waits `delay` on the target's timer (tokio's natively, the browser's `setTimeout`).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(delay: Duration) {
    tokio::time::sleep(delay).await;
}

/// Waits `delay` on the target's timer (tokio's natively, the browser's `setTimeout`).
#[cfg(target_arch = "wasm32")]
pub(crate) async fn sleep(delay: Duration) {
    gloo_timers::future::TimeoutFuture::new(delay.as_millis().min(u32::MAX as u128) as u32).await;
}
