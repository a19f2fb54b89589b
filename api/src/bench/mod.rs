//! Benchmark support: `chorus bench seed`, which fills an empty database with
//! the consumer-API benchmark's data set (see `bench/README.md` and
//! `docs/PERFORMANCE.md`). Never used by the running server.

pub mod seed;

pub use seed::{Seeded, Shape, seed};
