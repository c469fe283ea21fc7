//! Property checks for uniws's protocol core, shared by the fuzz targets (fuzz_targets/) and by
//! the native regression test tests/fuzz_regressions.rs, which includes `checks` by path.

pub mod checks;
