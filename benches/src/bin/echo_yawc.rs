//! The yawc echo server with compression at its balanced preset (level 6, context takeover
//! as the client offers it): `echo_yawc [PORT]`. See `src/yawc_echo.rs`.

const POOL: bool = false;
include!("../yawc_echo.rs");
