//! pproxy (PyPI, pinned, installed into a cached virtualenv by the first test that needs it)
//! as a real HTTP CONNECT or SOCKS5 proxy on 127.0.0.1, with its log of each tunnel
//! ("… -> host:port"), which proves the way a connection took.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::pem::Pem;
use crate::{bind, venv, within};

/// The pproxy release we test against.
pub const PPROXY_VERSION: &str = "2.7.9";

/// The cached virtualenv's interpreter, with pproxy installed; panics with the reason if it cannot be
/// installed.
pub fn pproxy() -> &'static Path {
    static PPROXY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let check = format!("import importlib.metadata as m; assert m.version('pproxy') == {PPROXY_VERSION:?}");
    match PPROXY.get_or_init(|| venv::python("py-pproxy", &format!("pproxy=={PPROXY_VERSION}"), &check)) {
        Ok(python) => python,
        Err(reason) => {
            panic!("could not install pproxy=={PPROXY_VERSION} (needs python3 with venv and PyPI): {reason}")
        }
    }
}

/// A running pproxy, killed when dropped, and what it logged.
pub struct Proxy {
    _child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    /// pproxy listening on 127.0.0.1 as `scheme` (`http`, `http+ssl`, `socks5`), with
    /// `user:password` if given, and a certificate for TLS.
    pub async fn start(scheme: &str, auth: Option<&str>, tls: Option<&Pem>) -> Self {
        let (listener, addr) = bind().await;
        drop(listener); // pproxy takes the port
        let auth = auth.map(|a| format!("#{a}")).unwrap_or_default();
        let mut command = Command::new(pproxy());
        command.args(["-m", "pproxy", "-v", "-l", &format!("{scheme}://127.0.0.1:{}{auth}", addr.port())]);
        if let Some(pem) = tls {
            command.args(["--ssl", &format!("{},{}", pem.cert.display(), pem.key.display())]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("pproxy starts");
        let log = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().expect("piped"), log.clone());
        collect(child.stderr.take().expect("piped"), log.clone());
        let proxy = Self { _child: child, port: addr.port(), log };
        proxy.wait_for("Serving on").await;
        proxy
    }

    /// Waits until the log holds `text`.
    pub async fn wait_for(&self, text: &str) {
        within(async {
            while !self.log.lock().unwrap().contains(text) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    pub fn logged(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

fn collect(stream: impl AsyncRead + Unpin + Send + 'static, log: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
}
