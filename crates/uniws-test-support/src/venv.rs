//! Python virtualenvs the tests install for themselves, each with one pinned package, cached
//! under `${UNIWS_CACHE:-$HOME/.cache/uniws}` and built so that tests (or test binaries)
//! racing to install the same one each find it complete or absent, never half built.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

fn cache_root() -> PathBuf {
    match std::env::var_os("UNIWS_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").expect("HOME is not set")).join(".cache/uniws"),
    }
}

/// Whether `venv`'s interpreter runs `check` (Python that fails unless the package is there
/// at its pinned version).
fn ready(venv: &Path, check: &str) -> bool {
    std::process::Command::new(venv.join("bin/python"))
        .args(["-c", check])
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
fn unique(root: &Path, name: &str, what: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    root.join(format!("{name}.{what}-{}-{nanos}", std::process::id()))
}

/// The interpreter of the virtualenv `name` with `requirement` (`package==version`)
/// installed, `check` proving it. Built in a fresh directory and renamed into place, so a
/// process racing us either finds a complete virtualenv or none; a stale or broken one is
/// moved aside first.
pub fn python(name: &str, requirement: &str, check: &str) -> Result<PathBuf, String> {
    let root = cache_root();
    let venv = root.join(name);
    if ready(&venv, check) {
        return Ok(venv.join("bin/python"));
    }
    fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    let tmp = unique(&root, name, "tmp");
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
                requirement,
            ]))
        })
        .and_then(|()| {
            ready(&tmp, check).then_some(()).ok_or_else(|| format!("the new virtualenv fails {check:?}"))
        });
    if let Err(reason) = built {
        let _ = fs::remove_dir_all(&tmp);
        return Err(reason);
    }
    for _ in 0..3 {
        match fs::rename(&tmp, &venv) {
            Ok(()) => return Ok(venv.join("bin/python")),
            // Another process finished first: use its virtualenv.
            Err(_) if ready(&venv, check) => {
                let _ = fs::remove_dir_all(&tmp);
                return Ok(venv.join("bin/python"));
            }
            // A stale or broken one is in the way.
            Err(_) => {
                let stale = unique(&root, name, "stale");
                if fs::rename(&venv, &stale).is_ok() {
                    let _ = fs::remove_dir_all(&stale);
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&tmp);
    Err(format!("could not move the new virtualenv to {}", venv.display()))
}
