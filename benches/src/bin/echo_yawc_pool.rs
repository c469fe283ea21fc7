//! The yawc echo server with compression at its balanced preset, no context takeover either
//! way and a shared `DeflatePool` (yawc's many-idle-connections setting, uniws's server
//! default): `echo_yawc_pool [PORT]`. See `src/yawc_echo.rs`.

const POOL: bool = true;
include!("../yawc_echo.rs");
