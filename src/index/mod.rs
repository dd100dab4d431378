//! Vector indexes and the distance kernels they (and the SQL distance functions) share.

pub mod metric;
