//! Python `websockets` for the tests that use it as a peer (tests/interop.rs,
//! tests/axum.rs): pinned to `WEBSOCKETS_VERSION` and installed by the first test that needs
//! it into a cached virtualenv (`${UNIWS_CACHE:-$HOME/.cache/uniws}/py-interop`, by
//! tests/common/venv.rs). A failed install fails every test that needs it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::venv;

/// The `websockets` release we test against.
pub const WEBSOCKETS_VERSION: &str = "17.4";

/// The virtualenv's interpreter, installed once per test binary (and once per machine while
/// the cache holds); panics with the reason if it cannot be installed.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let check = format!("import websockets; assert websockets.__version__ == {WEBSOCKETS_VERSION:?}");
    match PYTHON
        .get_or_init(|| venv::python("py-interop", &format!("websockets=={WEBSOCKETS_VERSION}"), &check))
    {
        Ok(python) => python,
        Err(reason) => panic!(
            "could not install Python websockets=={WEBSOCKETS_VERSION} for the interop tests \
             (needs python3 with venv and PyPI): {reason}"
        ),
    }
}
