//! The real `psql` client against quiver: connection startup (including its SSL probe), simple
//! queries and its table output.

use std::path::Path;
use std::process::Command;

use crate::common::TestServer;

const PSQL: &str = "/usr/bin/psql";

#[tokio::test]
async fn psql_smoke() {
    if !Path::new(PSQL).exists() {
        eprintln!("note: {PSQL} is not installed; skipping the psql smoke test");
        return;
    }
    let server = TestServer::start();
    let port = server.port.to_string();
    let output = Command::new(PSQL)
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            port.as_str(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-c", "CREATE EXTENSION IF NOT EXISTS vector"])
        .args([
            "-c",
            "CREATE TABLE ps (id bigserial PRIMARY KEY, embedding vector(3))",
        ])
        .args([
            "-c",
            "INSERT INTO ps (embedding) VALUES ('[1,2,3]'), ('[4,5,6]')",
        ])
        .args([
            "-c",
            "SELECT * FROM ps ORDER BY embedding <-> '[3,1,2]' LIMIT 5",
        ])
        .env("LC_ALL", "C")
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .output()
        .expect("run psql");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "psql failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );

    // Compare line by line with runs of spaces collapsed (psql pads its aligned columns).
    let lines: Vec<String> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        vec![
            "CREATE EXTENSION",
            "CREATE TABLE",
            "INSERT 0 2",
            "id | embedding",
            "----+-----------",
            "1 | [1,2,3]",
            "2 | [4,5,6]",
            "(2 rows)",
        ],
        "psql output:\n{stdout}\nstderr:\n{stderr}"
    );
}
