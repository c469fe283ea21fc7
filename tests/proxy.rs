//! Clients through real proxies started by the test: pproxy (PyPI, pinned, installed into a
//! cached virtualenv by the test itself) as an HTTP CONNECT proxy over plain TCP and over
//! TLS, and as a SOCKS5 proxy, each with and without credentials; `ws://` and `wss://`
//! through each; `socks5://` resolving the name here and `socks5h://` leaving it to the
//! proxy. The proxy environment variables, read by the `uniws` command, are tested beside it
//! (crates/uniws-cli/tests/proxy_env.rs). The proxy's log of each tunnel ("… -> host:port") proves the way taken.

use uniws::{ConnectOptions, Error, Message, connect};
use uniws_test_support::pem::{Pem, echo_servers};
use uniws_test_support::pproxy::Proxy;
use uniws_test_support::{bind, within};

/// Connects to `url` with `options` and checks an echo.
async fn round_trip(url: &str, options: &ConnectOptions) {
    let mut ws = within(connect(url, options)).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    within(ws.send(Message::text("through"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("through"));
    within(ws.close(1000, "")).await.unwrap();
}

#[tokio::test]
async fn http_connect_proxies_plain_and_tls_with_and_without_credentials() {
    let pem = Pem::self_signed();
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
    let pem = Pem::self_signed();
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
