//! Python `websockets` for the tests that use it as a peer (tests/interop.rs,
//! tests/axum.rs): pinned to `WEBSOCKETS_VERSION` and installed by the first test that needs
//! it into a cached virtualenv (`${UNIWS_CACHE:-$HOME/.cache/uniws}/py-interop`). A failed
//! install fails every test that needs it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The `websockets` release we test against.
pub const WEBSOCKETS_VERSION: &str = "17.4";

fn cache_root() -> PathBuf {
    match std::env::var_os("UNIWS_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").expect("HOME is not set")).join(".cache/uniws"),
    }
}

/// The virtualenv's interpreter, installed once per test binary (and once per machine while
/// the cache holds); panics with the reason if it cannot be installed.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(install) {
        Ok(python) => python,
        Err(reason) => panic!(
            "could not install Python websockets=={WEBSOCKETS_VERSION} for the interop tests \
             (needs python3 with venv and PyPI): {reason}"
        ),
    }
}

/// Whether `venv` imports exactly the pinned `websockets`.
fn venv_ready(venv: &Path) -> bool {
    let check = format!("import sys, websockets; sys.exit(websockets.__version__ != {WEBSOCKETS_VERSION:?})");
    std::process::Command::new(venv.join("bin/python"))
        .args(["-c", &check])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn run(command: &mut std::process::Command) -> Result<(), String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?} failed with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// A name no other process or thread uses at the same time.
fn unique(root: &Path, what: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    root.join(format!("py-interop.{what}-{}-{nanos}", std::process::id()))
}

/// Builds the virtualenv in a fresh directory and renames it into place, so a process racing
/// us either finds a complete virtualenv or none; a stale or broken one is moved aside first.
fn install() -> Result<PathBuf, String> {
    let root = cache_root();
    let venv = root.join("py-interop");
    if venv_ready(&venv) {
        return Ok(venv.join("bin/python"));
    }
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let tmp = unique(&root, "tmp");
    let built = run(std::process::Command::new("python3").args(["-m", "venv"]).arg(&tmp))
        .and_then(|()| {
            run(std::process::Command::new(tmp.join("bin/python")).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--timeout",
                "60",
                &format!("websockets=={WEBSOCKETS_VERSION}"),
            ]))
        })
        .and_then(|()| {
            venv_ready(&tmp)
                .then_some(())
                .ok_or_else(|| format!("the new virtualenv does not import websockets {WEBSOCKETS_VERSION}"))
        });
    if let Err(reason) = built {
        let _ = fs::remove_dir_all(&tmp);
        return Err(reason);
    }
    for _ in 0..3 {
        match fs::rename(&tmp, &venv) {
            Ok(()) => return Ok(venv.join("bin/python")),
            // Another process finished first: use its virtualenv.
            Err(_) if venv_ready(&venv) => {
                let _ = fs::remove_dir_all(&tmp);
                return Ok(venv.join("bin/python"));
            }
            // A stale or broken one is in the way.
            Err(_) => {
                let stale = unique(&root, "stale");
                if fs::rename(&venv, &stale).is_ok() {
                    let _ = fs::remove_dir_all(&stale);
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&tmp);
    Err(format!("could not move the new virtualenv to {}", venv.display()))
}
