//! The server as a process: data survives a clean restart and a kill -9 (every acknowledged write),
//! and a second server on the same data directory is refused.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::common::{free_port, TestServer};
use crate::util::{count, create_extension, describe, exec, simple_rows};

/// Queries whose answers must not change across a restart.
const SNAPSHOT_QUERIES: &[&str] = &[
    "SELECT id, embedding, note FROM items ORDER BY id",
    "SELECT count(*) FROM items",
    "SELECT id FROM items ORDER BY embedding <-> '[50.37,1.13,-49.71]' LIMIT 10",
    "SELECT id, note FROM items WHERE id BETWEEN 95 AND 105 ORDER BY id DESC",
];

async fn snapshot(client: &Client) -> Vec<Vec<Vec<Option<String>>>> {
    let mut out = Vec::new();
    for sql in SNAPSHOT_QUERIES {
        out.push(simple_rows(client, sql).await);
    }
    out
}

fn values(ids: std::ops::RangeInclusive<i64>) -> String {
    ids.map(|i| format!("({i}, '[{i},{},{}]', 'row {i}')", i % 7, -i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::test]
async fn clean_restart_keeps_sealed_and_growing_rows() {
    let mut server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3), note text)",
    )
    .await;
    exec(
        &client,
        &format!(
            "INSERT INTO items (id, embedding, note) VALUES {}",
            values(1..=100)
        ),
    )
    .await;
    exec(&client, "CHECKPOINT").await; // rows 1..=100 now live in a Parquet segment
    exec(
        &client,
        &format!(
            "INSERT INTO items (id, embedding, note) VALUES {}",
            values(101..=150)
        ),
    )
    .await;
    // Deletes from both the sealed segment and the growing rows.
    exec(
        &client,
        "DELETE FROM items WHERE id IN (3, 50, 99, 120, 149)",
    )
    .await;
    assert_eq!(count(&client, "items").await, 145);
    let before = snapshot(&client).await;
    drop(client);

    let status = server.stop();
    assert!(
        status.success(),
        "SIGTERM should end the server cleanly, got {status}"
    );
    server.restart();
    let client = server.connect().await;
    assert_eq!(
        snapshot(&client).await,
        before,
        "query results changed across a restart"
    );

    // The restarted server keeps working on the same table: write, seal, restart again.
    exec(
        &client,
        "INSERT INTO items (id, embedding, note) VALUES (151, '[1,1,1]', 'after restart')",
    )
    .await;
    exec(&client, "CHECKPOINT").await;
    let before = snapshot(&client).await;
    drop(client);
    server.restart();
    let client = server.connect().await;
    assert_eq!(
        snapshot(&client).await,
        before,
        "query results changed across the second restart"
    );
    assert_eq!(count(&client, "items").await, 146);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_keeps_every_acknowledged_insert() {
    let mut server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE k (id bigint PRIMARY KEY, embedding vector(3))",
    )
    .await;
    exec(
        &client,
        &format!(
            "INSERT INTO k (id, embedding) VALUES {}",
            (0..100)
                .map(|i| format!("({i}, '[{i},0,1]')"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .await;
    exec(&client, "CHECKPOINT").await;

    // One autocommit INSERT per statement; an id is recorded only once the server acknowledged it.
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let writer = server.connect().await;
    let writer_acked = acked.clone();
    let task = tokio::spawn(async move {
        for id in 1000i64..10_000_000 {
            let sql = format!("INSERT INTO k (id, embedding) VALUES ({id}, '[{id},1,0]')");
            match writer.simple_query(&sql).await {
                Ok(_) => writer_acked.lock().unwrap().push(id),
                Err(_) => break, // the server is gone
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.kill9();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the writer notices the dead server")
        .expect("writer task");
    drop(client);
    let acked = acked.lock().unwrap().clone();
    assert!(
        !acked.is_empty(),
        "no insert was acknowledged within a second"
    );

    server.restart();
    let client = server.connect().await;
    let present: HashSet<i64> = simple_rows(&client, "SELECT id FROM k")
        .await
        .into_iter()
        .map(|row| {
            row[0]
                .as_deref()
                .expect("id is not NULL")
                .parse()
                .expect("id is a number")
        })
        .collect();
    let missing: Vec<i64> = (0..100)
        .chain(acked.iter().copied())
        .filter(|id| !present.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged rows were lost by kill -9, e.g. {:?}",
        missing.len(),
        acked.len() + 100,
        &missing[..missing.len().min(20)]
    );
    // Only the one statement in flight at the kill may have landed without an acknowledgement.
    let acked_set: HashSet<i64> = acked.iter().copied().collect();
    let extra: Vec<i64> = present
        .iter()
        .copied()
        .filter(|id| *id >= 1000 && !acked_set.contains(id))
        .collect();
    assert!(
        extra.len() <= 1,
        "rows that were never acknowledged appeared: {extra:?}"
    );

    // Recovered data is writable and sealable.
    exec(
        &client,
        "INSERT INTO k (id, embedding) VALUES (-1, '[0,0,0]')",
    )
    .await;
    exec(&client, "CHECKPOINT").await;
    assert_eq!(count(&client, "k").await, present.len() as i64 + 1);
}

#[tokio::test]
async fn second_server_on_the_same_data_dir_is_refused() {
    let mut server = TestServer::start();
    let client = server.connect().await;
    exec(&client, "CREATE TABLE keep (id int4)").await;

    let log = server.root.join("second-server.log");
    let mut second = server
        .command(free_port(), &log)
        .spawn()
        .expect("spawn a second quiver");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = second.try_wait().expect("wait for the second server") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a second server on the same data dir was still running after 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !status.success(),
        "the second server must exit non-zero, got {status}; output:\n{output}"
    );
    assert!(
        output.to_lowercase().contains("lock"),
        "the second server's error should mention the lock; output:\n{output}"
    );

    // The first server is unaffected.
    assert!(server.is_running());
    let rows = client
        .simple_query("SELECT count(*) FROM keep")
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert!(!rows.is_empty());
}
