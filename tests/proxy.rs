//! Clients through real proxies started by the test: pproxy (PyPI, pinned, installed into a
//! cached virtualenv by the test itself) as an HTTP CONNECT proxy over plain TCP and over
//! TLS, and as a SOCKS5 proxy, each with and without credentials; `ws://` and `wss://`
//! through each; `socks5://` resolving the name here and `socks5h://` leaving it to the
//! proxy; and, with the `uniws` command as a child process, the proxy environment variables
//! and `NO_PROXY`. The proxy's log of each tunnel ("… -> host:port") proves the way taken.

mod common;
#[path = "common/venv.rs"]
mod venv;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use common::{bind, within};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use uniws::{ConnectOptions, Error, Message, MessageType, WebSocket, connect, request_handler};

/// The pproxy release we test against.
const PPROXY_VERSION: &str = "2.7.9";

/// The cached virtualenv's interpreter, with pproxy installed; panics with the reason if it cannot be
/// installed.
fn pproxy() -> &'static Path {
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
struct Proxy {
    _child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    /// pproxy listening on 127.0.0.1 as `scheme` (`http`, `http+ssl`, `socks5`), with
    /// `user:password` if given, and a certificate for TLS.
    async fn start(scheme: &str, auth: Option<&str>, tls: Option<&Pem>) -> Self {
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
    async fn wait_for(&self, text: &str) {
        within(async {
            while !self.log.lock().unwrap().contains(text) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    fn logged(&self) -> String {
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

/// A self-signed certificate for localhost and 127.0.0.1, as PEM files and as rustls types.
struct Pem {
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl Pem {
    fn new() -> Self {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let dir = std::env::temp_dir().join(format!("uniws-proxy-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        let der = certified.cert.der().clone();
        let key_der = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        Self { cert, key, der, key_der }
    }

    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], self.key_der.clone_key().into())
            .unwrap();
        Arc::new(config)
    }
}

impl Drop for Pem {
    fn drop(&mut self) {
        if let Some(dir) = self.cert.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Echo servers on 127.0.0.1: plain and TLS; their ports.
async fn echo_servers(pem: &Pem) -> (u16, u16) {
    let handler = || {
        request_handler(
            |mut ws: WebSocket| async move {
                while let Ok(m) = ws.recv_all(1 << 20).await {
                    if m.message_type() == MessageType::Close || ws.send_all(m).await.is_err() {
                        break;
                    }
                }
            },
            |_: &[String]| None,
            1 << 20,
        )
    };
    let (plain, plain_addr) = bind().await;
    let (tls, tls_addr) = bind().await;
    tokio::spawn(handler().serve(plain));
    tokio::spawn(handler().serve_tls(tls, pem.server_config()));
    (plain_addr.port(), tls_addr.port())
}

/// Connects to `url` with `options` and checks an echo.
async fn round_trip(url: &str, options: &ConnectOptions) {
    let mut ws = within(connect(url, options)).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    within(ws.send(Message::text("through"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("through"));
    within(ws.close(1000, "")).await.unwrap();
}

#[tokio::test]
async fn http_connect_proxies_plain_and_tls_with_and_without_credentials() {
    let pem = Pem::new();
    let (ws_port, wss_port) = echo_servers(&pem).await;
    let tls = ConnectOptions::new().tls_config(pem.client_config());

    for (scheme, proxy_scheme, pem_for_proxy) in [("http", "http", None), ("https", "http+ssl", Some(&pem))] {
        let open = Proxy::start(proxy_scheme, None, pem_for_proxy).await;
        let via = format!("{scheme}://localhost:{}", open.port);
        round_trip(&format!("ws://127.0.0.1:{ws_port}"), &tls.clone().proxy(&via)).await;
        open.wait_for(&format!("-> 127.0.0.1:{ws_port}")).await;
        round_trip(&format!("wss://localhost:{wss_port}"), &tls.clone().proxy(&via)).await;
        open.wait_for(&format!("-> localhost:{wss_port}")).await;

        let guarded = Proxy::start(proxy_scheme, Some("ada:s3cr%t"), pem_for_proxy).await;
        let url = format!("ws://127.0.0.1:{ws_port}");
        let anonymous = format!("{scheme}://localhost:{}", guarded.port);
        let error = within(connect(&url, &tls.clone().proxy(&anonymous))).await.unwrap_err();
        assert!(matches!(error, Error::Proxy { status: Some(407), .. }), "{error:?}");
        let wrong = format!("{scheme}://ada:wrong@localhost:{}", guarded.port);
        let error = within(connect(&url, &tls.clone().proxy(&wrong))).await.unwrap_err();
        assert!(matches!(error, Error::Proxy { status: Some(407), .. }), "{error:?}");
        let right = format!("{scheme}://ada:s3cr%25t@localhost:{}", guarded.port);
        round_trip(&format!("wss://localhost:{wss_port}"), &tls.clone().proxy(&right)).await;
        guarded.wait_for(&format!("-> localhost:{wss_port}")).await;
    }
}

#[tokio::test]
async fn socks5_resolves_here_and_socks5h_at_the_proxy_with_and_without_credentials() {
    let pem = Pem::new();
    let (ws_port, wss_port) = echo_servers(&pem).await;
    let tls = ConnectOptions::new().tls_config(pem.client_config());

    let open = Proxy::start("socks5", None, None).await;
    // socks5: the name is resolved here, so the proxy sees an address.
    round_trip(
        &format!("ws://localhost:{ws_port}"),
        &tls.clone().proxy(format!("socks5://127.0.0.1:{}", open.port)),
    )
    .await;
    open.wait_for(&format!("-> 127.0.0.1:{ws_port}")).await;
    assert!(!open.logged().contains(&format!("localhost:{ws_port}")), "{}", open.logged());
    // socks5h: the proxy gets the name.
    let remote = tls.clone().proxy(format!("socks5h://127.0.0.1:{}", open.port));
    round_trip(&format!("ws://localhost:{ws_port}"), &remote).await;
    open.wait_for(&format!("-> localhost:{ws_port}")).await;
    round_trip(&format!("wss://localhost:{wss_port}"), &remote).await;
    open.wait_for(&format!("-> localhost:{wss_port}")).await;

    let guarded = Proxy::start("socks5", Some("ada:s3cret"), None).await;
    let url = format!("wss://localhost:{wss_port}");
    for refused in [
        format!("socks5h://127.0.0.1:{}", guarded.port),
        format!("socks5h://ada:no@127.0.0.1:{}", guarded.port),
    ] {
        let error = within(connect(&url, &tls.clone().proxy(refused))).await.unwrap_err();
        assert!(matches!(error, Error::Proxy { status: None, .. } | Error::Io(_)), "{error:?}");
    }
    round_trip(&url, &tls.clone().proxy(format!("socks5h://ada:s3cret@127.0.0.1:{}", guarded.port))).await;
    guarded.wait_for(&format!("-> localhost:{wss_port}")).await;
}

#[tokio::test]
async fn a_dead_proxy_and_bad_proxy_urls_are_typed_errors() {
    let (listener, addr) = bind().await;
    drop(listener); // nothing listens there now
    let url = "ws://127.0.0.1:9/";
    let error =
        within(connect(url, &ConnectOptions::new().proxy(format!("http://{addr}")))).await.unwrap_err();
    assert!(matches!(error, Error::Io(_)), "{error:?}");
    let error = within(connect(url, &ConnectOptions::new().proxy("gopher://p:70"))).await.unwrap_err();
    assert!(matches!(error, Error::InvalidUrl(_)), "{error:?}");
}

/// The environment, read by the `uniws` command (a child process: the variables are its
/// own): `HTTP_PROXY` for ws, `ALL_PROXY` when that is unset, `NO_PROXY` and `--no-proxy`
/// going straight.
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_environment_chooses_the_proxy() {
    let pem = Pem::new();
    let (ws_port, wss_port) = echo_servers(&pem).await;
    let http = Proxy::start("http", None, None).await;
    let socks = Proxy::start("socks5", None, None).await;
    let ws_url = format!("ws://localhost:{ws_port}");
    let ca = pem.cert.to_str().unwrap().to_owned();
    let run = |url: &str, env: &[(&str, String)], extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_uniws"));
        command
            .args(["connect", url, "--ca", &ca])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        async move {
            use tokio::io::AsyncWriteExt;
            let mut child = command.kill_on_drop(true).spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"hello\n").await.unwrap();
            drop(stdin);
            let output = within(child.wait_with_output()).await.unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "hello");
        }
    };
    let http_url = format!("http://127.0.0.1:{}", http.port);
    let socks_url = format!("socks5h://127.0.0.1:{}", socks.port);
    run(&ws_url, &[("HTTP_PROXY", http_url.clone()), ("ALL_PROXY", socks_url.clone())], &[]).await;
    http.wait_for(&format!("-> localhost:{ws_port}")).await;
    assert!(!socks.logged().contains("->"), "HTTP_PROXY wins over ALL_PROXY for ws");
    run(&ws_url, &[("all_proxy", socks_url.clone())], &[]).await;
    socks.wait_for(&format!("-> localhost:{ws_port}")).await;
    // wss takes HTTPS_PROXY, never HTTP_PROXY.
    let wss_url = format!("wss://localhost:{wss_port}");
    run(&wss_url, &[("HTTP_PROXY", socks_url.clone()), ("https_proxy", http_url.clone())], &[]).await;
    http.wait_for(&format!("-> localhost:{wss_port}")).await;
    assert!(!socks.logged().contains(&format!("-> localhost:{wss_port}")), "{}", socks.logged());
    let tunnels = |proxy: &Proxy| proxy.logged().matches("->").count();
    let before = (tunnels(&http), tunnels(&socks));
    run(
        &ws_url,
        &[
            ("http_proxy", http_url.clone()),
            ("ALL_PROXY", socks_url.clone()),
            ("NO_PROXY", "example.test, localhost".into()),
        ],
        &[],
    )
    .await;
    run(&ws_url, &[("http_proxy", http_url), ("ALL_PROXY", socks_url)], &["--no-proxy"]).await;
    assert_eq!((tunnels(&http), tunnels(&socks)), before, "NO_PROXY and --no-proxy go straight");
}
