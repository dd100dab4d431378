//! Many clients at once: sessions must not block or corrupt each other.

use tokio_postgres::{Client, SimpleQueryMessage};

use crate::common::TestServer;
use crate::util::{create_extension, describe, exec, simple_rows};

const CLIENTS: i64 = 16;
const ROWS_PER_CLIENT: i64 = 200;

/// Runs `sql` (simple protocol); the error names the statement and its SQLSTATE.
async fn run(client: &Client, sql: String) -> Result<Vec<SimpleQueryMessage>, String> {
    client
        .simple_query(&sql)
        .await
        .map_err(|e| format!("{sql}: {}", describe(&e)))
}

/// The first column of the first row, as a number.
fn first_value(messages: Vec<SimpleQueryMessage>) -> Option<i64> {
    messages.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
        _ => None,
    })
}

/// One client: inserts its rows one statement at a time and checks, every 50 rows, that it reads
/// all of its own rows back and finds its newest row by k-NN.
async fn worker(client: Client, w: i64) -> Result<(), String> {
    for j in 0..ROWS_PER_CLIENT {
        let id = w * 1000 + j;
        let v = format!("'[{w},{j},1]'");
        run(
            &client,
            format!("INSERT INTO c (id, worker, embedding) VALUES ({id}, {w}, {v})"),
        )
        .await?;
        if j % 50 == 49 {
            // Autocommit: this session sees all of its own rows, whatever the others do.
            let sql = format!("SELECT count(*) FROM c WHERE worker = {w}");
            let n = first_value(run(&client, sql).await?);
            if n != Some(j + 1) {
                return Err(format!("worker {w}: count is {n:?}, expected {}", j + 1));
            }
            // The nearest row of this worker to its newest vector is that row (distance 0).
            let sql =
                format!("SELECT id FROM c WHERE worker = {w} ORDER BY embedding <-> {v} LIMIT 1");
            let nearest = first_value(run(&client, sql).await?);
            if nearest != Some(id) {
                return Err(format!("worker {w}: nearest to row {id} is {nearest:?}"));
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_insert_and_query() {
    let server = TestServer::start();
    let admin = server.connect().await;
    create_extension(&admin).await;
    exec(
        &admin,
        "CREATE TABLE c (id bigint PRIMARY KEY, worker int4, embedding vector(3))",
    )
    .await;

    let mut tasks = Vec::new();
    for w in 0..CLIENTS {
        let client = server.connect().await;
        tasks.push(tokio::spawn(worker(client, w)));
    }
    for (w, task) in tasks.into_iter().enumerate() {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("client {w}: {e}"),
            Err(e) => panic!("client {w} panicked: {e}"),
        }
    }

    let total = simple_rows(&admin, "SELECT count(*) FROM c").await;
    assert_eq!(
        total,
        vec![vec![Some((CLIENTS * ROWS_PER_CLIENT).to_string())]]
    );
    let per_worker = simple_rows(
        &admin,
        "SELECT worker, count(*) FROM c GROUP BY worker ORDER BY worker",
    )
    .await;
    let expected: Vec<Vec<Option<String>>> = (0..CLIENTS)
        .map(|w| vec![Some(w.to_string()), Some(ROWS_PER_CLIENT.to_string())])
        .collect();
    assert_eq!(per_worker, expected);
}
