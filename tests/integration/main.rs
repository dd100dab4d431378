//! Wire-level integration tests: what .slt files cannot express (extended protocol with typed
//! parameters, binary formats, COPY, concurrency, transactions, restart and crash recovery, the
//! data-dir lock, real psql, hostile bytes). Each test starts its own `quiver serve` process.

#[path = "../common/mod.rs"]
mod common;

mod pgvec;
mod util;

mod ann;
mod bench;
mod binary_results;
mod clients;
mod concurrency;
mod copy;
mod extended;
mod hybrid;
mod lifecycle;
mod psql;
mod transactions;
mod wire_garbage;
