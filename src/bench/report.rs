//! The bench report: what was measured, as JSON (for scripts and plots) and Markdown (for people).

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::bench::dataset::Dataset;
use crate::bench::{BenchArgs, IndexArg};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tool: String,
    pub server: Server,
    pub dataset: DatasetInfo,
    pub load: Load,
    pub index: IndexInfo,
    pub memory: Memory,
    /// One row per workload × setting × client count.
    pub results: Vec<Point>,
    /// QPS at the target recall, per client count, read off the ANN sweep.
    pub summary: Vec<Summary>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub label: String,
    pub version: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetInfo {
    pub name: String,
    pub rows: usize,
    pub dim: usize,
    pub queries: usize,
    pub k: usize,
    pub metric: String,
    /// `shipped` (the data set's exact neighbours) or `computed` (brute force by the tool).
    pub ground_truth: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Load {
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexInfo {
    pub kind: String,
    pub sql: Option<String>,
    pub build_seconds: Option<f64>,
    pub size_bytes: Option<i64>,
}

/// Server memory (PSS of the server's processes) in bytes, where it could be read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Memory {
    pub before_load: Option<u64>,
    pub after_load: Option<u64>,
    pub after_build: Option<u64>,
    pub after_queries: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub workload: String,
    pub setting: String,
    /// The swept value (`ef_search` / `probes`), if any.
    pub param: Option<usize>,
    pub clients: usize,
    pub queries: usize,
    /// Times the queries ran; `qps` is the median pass.
    pub passes: usize,
    pub recall: f64,
    pub qps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Rows returned per query, on average.
    pub mean_rows: f64,
    /// Rows an exact answer has per query, on average: `min(k, rows passing the filter)`.
    pub expected_rows: f64,
    /// Whether EXPLAIN showed the vector index (`None`: EXPLAIN failed).
    pub index_used: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub clients: usize,
    pub target_recall: f64,
    /// QPS at the target recall, linearly interpolated between the two sweep points around it.
    pub qps: Option<f64>,
    /// `interpolated`, `at least` (even the first sweep point is above the target: its QPS), or
    /// `not reached` (no sweep point reaches the target).
    pub how: String,
}

impl Report {
    pub fn new(label: &str, version: &str, args: &BenchArgs, ds: &Dataset, queries: usize) -> Self {
        Report {
            tool: format!("quiver bench {}", env!("CARGO_PKG_VERSION")),
            server: Server {
                label: label.to_string(),
                version: version.to_string(),
                url: args.url.clone(),
            },
            dataset: DatasetInfo {
                name: ds.name.clone(),
                rows: ds.base.len(),
                dim: ds.base.dim,
                queries,
                k: args.k,
                metric: format!("{:?}", args.metric).to_lowercase(),
                ground_truth: if ds.shipped_truth.is_some() {
                    "shipped".into()
                } else {
                    "computed".into()
                },
            },
            load: Load::default(),
            index: IndexInfo {
                kind: match args.index {
                    IndexArg::Hnsw => {
                        format!("hnsw m={} ef_construction={}", args.m, args.ef_construction)
                    }
                    IndexArg::Ivfflat => "ivfflat".into(),
                    IndexArg::None => "none".into(),
                },
                ..IndexInfo::default()
            },
            memory: Memory::default(),
            results: vec![],
            summary: vec![],
            seconds: 0.0,
        }
    }

    /// Fills in the summary once every point is measured.
    pub fn finish(&mut self, target: f64, elapsed: Duration) {
        self.seconds = elapsed.as_secs_f64();
        let mut clients: Vec<usize> = self
            .results
            .iter()
            .filter(|p| p.workload == "ann")
            .map(|p| p.clients)
            .collect();
        clients.sort_unstable();
        clients.dedup();
        self.summary = clients
            .into_iter()
            .map(|c| {
                let mut sweep: Vec<(f64, f64)> = self
                    .results
                    .iter()
                    .filter(|p| p.workload == "ann" && p.clients == c)
                    .map(|p| (p.recall, p.qps))
                    .collect();
                sweep.sort_by(|a, b| a.0.total_cmp(&b.0));
                let (qps, how) = qps_at(&sweep, target);
                Summary {
                    clients: c,
                    target_recall: target,
                    qps,
                    how: how.into(),
                }
            })
            .collect();
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let mb = |b: Option<u64>| b.map_or("–".into(), |b| format!("{:.0} MB", b as f64 / 1e6));
        let _ = writeln!(s, "### {} — {}", self.server.label, self.dataset.name);
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{} rows × {} dims, {} queries{}, recall@{} ({} ground truth), metric {}; {}",
            self.dataset.rows,
            self.dataset.dim,
            self.dataset.queries,
            match self.results.iter().map(|p| p.passes).max() {
                Some(n) if n > 1 => format!(" × {n} passes per point (QPS: the median pass)"),
                _ => String::new(),
            },
            self.dataset.k,
            self.dataset.ground_truth,
            self.dataset.metric,
            self.server.version
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "| load (binary COPY) | index build | index size | memory after load / build / queries |");
        let _ = writeln!(s, "| ---: | ---: | ---: | ---: |");
        let _ = writeln!(
            s,
            "| {:.0} rows/s ({:.1} s) | {} | {} | {} / {} / {} |",
            self.load.rows_per_second,
            self.load.seconds,
            self.index
                .build_seconds
                .map_or("–".into(), |b| format!("{b:.1} s ({})", self.index.kind)),
            self.index
                .size_bytes
                .map_or("–".into(), |b| format!("{:.0} MB", b as f64 / 1e6)),
            mb(self.memory.after_load),
            mb(self.memory.after_build),
            mb(self.memory.after_queries),
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "| workload | setting | clients | recall@{} | QPS | p50 ms | p95 ms | p99 ms | rows | index used |",
            self.dataset.k
        );
        let _ = writeln!(
            s,
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        );
        for p in &self.results {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.4} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
                p.workload,
                p.setting,
                p.clients,
                p.recall,
                p.qps,
                p.p50_ms,
                p.p95_ms,
                p.p99_ms,
                p.mean_rows,
                match p.index_used {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "?",
                }
            );
        }
        if !self.summary.is_empty() {
            let _ = writeln!(s);
            for sm in &self.summary {
                let _ = writeln!(
                    s,
                    "QPS at recall@{} ≥ {}, {} client(s): {} ({})",
                    self.dataset.k,
                    sm.target_recall,
                    sm.clients,
                    sm.qps.map_or("–".into(), |q| format!("{q:.0}")),
                    sm.how
                );
            }
        }
        s
    }
}

/// QPS at recall `target` on a sweep sorted by recall: interpolated linearly between the last
/// point below and the first at or above the target.
pub fn qps_at(sweep: &[(f64, f64)], target: f64) -> (Option<f64>, &'static str) {
    let Some(i) = sweep.iter().position(|(r, _)| *r >= target) else {
        return (None, "not reached");
    };
    if i == 0 {
        // Every point is at or above the target: the fastest of them.
        let best = sweep.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        return (Some(best), "at least");
    }
    let (r0, q0) = sweep[i - 1];
    let (r1, q1) = sweep[i];
    if r1 == r0 {
        return (Some(q1), "interpolated");
    }
    let t = (target - r0) / (r1 - r0);
    (Some(q0 + t * (q1 - q0)), "interpolated")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_on_the_sweep() {
        let sweep = [(0.90, 2000.0), (0.94, 1500.0), (0.98, 1000.0)];
        let (q, how) = qps_at(&sweep, 0.95);
        assert_eq!(how, "interpolated");
        assert!((q.unwrap() - 1375.0).abs() < 1e-9);
        assert_eq!(qps_at(&sweep, 0.99), (None, "not reached"));
        assert_eq!(qps_at(&sweep, 0.5), (Some(2000.0), "at least"));
    }
}
