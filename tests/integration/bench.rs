//! `quiver bench` against a live server: the tool loads, builds, sweeps and reports, and its
//! recall computation is right — exact search (`enable_indexscan = off`) must score 1.0.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{quiver_bin, unique_temp_dir, TestServer};

/// A data set folder: the shared one when present (its first rows are used), else synthetic
/// clustered unit vectors written as `.fvecs` (no category file: the tool hashes a category).
fn dataset() -> PathBuf {
    if let Some(dir) = super::ann::dataset_dir() {
        return dir;
    }
    let dir = unique_temp_dir("quiver-bench-data");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
    };
    let dim = 64;
    let centers: Vec<Vec<f32>> = (0..32)
        .map(|_| (0..dim).map(|_| next()).collect())
        .collect();
    let mut write = |path: &Path, n: usize| {
        let mut raw = Vec::new();
        for i in 0..n {
            let c = &centers[i % centers.len()];
            let v: Vec<f32> = c.iter().map(|x| x + 0.3 * next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            raw.extend((dim as i32).to_le_bytes());
            for x in v {
                raw.extend((x / norm).to_le_bytes());
            }
        }
        std::fs::write(path, raw).expect("write fvecs");
    };
    write(&dir.join("base.fvecs"), 3000);
    write(&dir.join("query.fvecs"), 100);
    dir
}

#[test]
fn bench_reports_exact_recall_one_and_uses_the_index() {
    let server = TestServer::start();
    let out = unique_temp_dir("quiver-bench-out");
    let json = out.join("report.json");
    let status = Command::new(quiver_bin())
        .args(["bench", "--url"])
        .arg(format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            server.port
        ))
        .arg("--dataset")
        .arg(dataset())
        .args(["--rows", "3000", "--queries", "60", "--sweep", "10,100"])
        .args([
            "--clients",
            "1,2",
            "--filter",
            "category",
            "--filter",
            "uniform:0.05",
        ])
        .args(["--exact-queries", "40", "--server-pid"])
        .arg(server.pid().expect("running").to_string())
        .arg("--json")
        .arg(&json)
        .status()
        .expect("run quiver bench");
    assert!(status.success(), "quiver bench failed: {status}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written"))
            .expect("valid JSON");
    assert_eq!(report["load"]["rows"], 3000);
    assert!(report["index"]["build_seconds"].as_f64().unwrap() > 0.0);
    assert!(
        report["index"]["size_bytes"].as_i64().unwrap() > 0,
        "pg_relation_size of the index"
    );
    assert!(
        report["memory"]["after_build"].as_u64().unwrap() > 0,
        "server memory read"
    );
    let results = report["results"].as_array().expect("results");
    let find = |workload: &str| {
        results
            .iter()
            .filter(|p| p["workload"].as_str() == Some(workload))
            .collect::<Vec<_>>()
    };
    let exact = find("exact");
    assert_eq!(exact.len(), 1);
    assert_eq!(
        exact[0]["recall"].as_f64(),
        Some(1.0),
        "exact search scores recall 1.0"
    );
    assert_eq!(exact[0]["index_used"].as_bool(), Some(false));
    let ann = find("ann");
    assert_eq!(ann.len(), 4, "2 sweep points x 2 client counts");
    for p in &ann {
        assert_eq!(p["index_used"].as_bool(), Some(true), "{p}");
        assert_eq!(p["mean_rows"].as_f64(), Some(10.0), "{p}");
    }
    let best = ann
        .iter()
        .filter(|p| p["param"] == 100)
        .map(|p| p["recall"].as_f64().unwrap())
        .fold(1.0f64, f64::min);
    assert!(best >= 0.9, "recall@10 at ef_search 100: {best}");
    for f in find("filter category = q % 10")
        .into_iter()
        .chain(find("filter uniform 5.0 %"))
    {
        assert!(f["recall"].as_f64().unwrap() >= 0.9, "{f}");
        // min(k, matching rows): a category can hold fewer than 10 of the first rows.
        assert_eq!(f["mean_rows"], f["expected_rows"], "{f}");
    }
    assert!(report["summary"].as_array().is_some_and(|s| s.len() == 2));
}
