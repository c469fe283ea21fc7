//! The proxy environment, read by the `uniws` command (a child process: the variables are its
//! own), through real proxies (pproxy): `HTTP_PROXY` for ws, `ALL_PROXY` when that is unset,
//! `HTTPS_PROXY` for wss, `NO_PROXY` and `--no-proxy` going straight. The proxy's log of each
//! tunnel proves the way taken.

use std::process::Stdio;

use tokio::process::Command;
use uniws_test_support::pem::{Pem, echo_servers};
use uniws_test_support::pproxy::Proxy;
use uniws_test_support::within;

#[tokio::test]
async fn the_environment_chooses_the_proxy() {
    let pem = Pem::self_signed();
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
