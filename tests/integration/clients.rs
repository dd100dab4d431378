//! Real client libraries against the server: psycopg 3 with pgvector-python's `register_vector`.

use std::process::Command;

use crate::common::TestServer;

fn python_has(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[tokio::test]
async fn psycopg_register_vector_text_and_binary() {
    if !python_has("psycopg, pgvector") {
        println!(
            "skipped: python3 with psycopg and pgvector is not installed (.ci/run installs them)"
        );
        return;
    }
    let server = TestServer::start();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/psycopg_vector.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(server.addr().port().to_string())
        .output()
        .expect("run python3");
    if !out.status.success() {
        server.dump_log();
    }
    assert!(
        out.status.success(),
        "psycopg test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
