//! COPY FROM STDIN in binary, text and CSV formats, COPY TO STDOUT, and COPY's atomicity.

use std::pin::pin;

use bytes::{BufMut, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::pgvec::Vector;
use crate::util::{
    assert_exact_knn, count, create_extension, describe, exec, simple_rows, vector_text, Rng,
};

/// Sends `data` to `COPY ... FROM STDIN` in `chunk`-byte CopyData messages; returns the row count.
async fn copy_in(
    client: &Client,
    sql: &str,
    data: Bytes,
    chunk: usize,
) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in::<_, Bytes>(sql).await?;
    let mut sink = pin!(sink);
    let mut start = 0;
    while start < data.len() {
        let end = (start + chunk).min(data.len());
        sink.send(data.slice(start..end)).await?;
        start = end;
    }
    sink.as_mut().finish().await
}

/// All bytes of a `COPY ... TO STDOUT`.
async fn copy_out(client: &Client, sql: &str) -> Vec<u8> {
    let stream = client
        .copy_out(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    let mut stream = pin!(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("{sql}: {}", describe(&e))));
    }
    out
}

/// PostgreSQL's binary COPY file header: signature, flags, header extension length.
fn binary_copy_header(buf: &mut BytesMut) {
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
}

/// One (int8, vector) tuple.
fn binary_copy_row(buf: &mut BytesMut, id: i64, v: &Vector) {
    buf.put_i16(2);
    buf.put_i32(8);
    buf.put_i64(id);
    buf.put_i32(v.binary_len() as i32);
    v.write_binary(buf);
}

#[tokio::test]
async fn binary_copy_in_10k_rows_then_exact_knn() {
    const N: i64 = 10_000;
    const DIM: usize = 8;
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        &format!("CREATE TABLE items (id bigint PRIMARY KEY, embedding vector({DIM}))"),
    )
    .await;

    let mut rng = Rng::new(42);
    let data: Vec<(i64, Vec<f32>)> = (0..N).map(|id| (id, rng.vector(DIM))).collect();
    let mut buf = BytesMut::new();
    binary_copy_header(&mut buf);
    for (id, v) in &data {
        binary_copy_row(&mut buf, *id, &Vector(v.clone()));
    }
    buf.put_i16(-1);

    // 8000-byte messages, so tuples straddle CopyData boundaries.
    let sql = "COPY items (id, embedding) FROM STDIN (FORMAT BINARY)";
    let n = copy_in(&client, sql, buf.freeze(), 8000)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(n, N as u64, "COPY's command tag count");
    assert_eq!(count(&client, "items").await, N);

    // Stored bit-exactly.
    for id in [0i64, 1234, N - 1] {
        let row = client
            .query_one("SELECT embedding FROM items WHERE id = $1", &[&id])
            .await
            .unwrap_or_else(|e| panic!("{}", describe(&e)));
        assert_eq!(
            row.get::<_, Vector>(0),
            Vector(data[id as usize].1.clone()),
            "row {id}"
        );
    }

    let queries: Vec<Vec<f32>> = (0..5).map(|_| rng.vector(DIM)).collect();
    let knn = |q: &Vec<f32>| {
        format!(
            "SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 10",
            vector_text(q)
        )
    };
    for q in &queries {
        let rows = client
            .query(knn(q).as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("{}", describe(&e)));
        let got: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        assert_exact_knn(&data, q, 10, &got);
    }

    // The same answers once the rows are sealed into a Parquet segment.
    exec(&client, "CHECKPOINT").await;
    assert_eq!(count(&client, "items").await, N);
    for q in &queries {
        let rows = client
            .query(knn(q).as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("{}", describe(&e)));
        let got: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        assert_exact_knn(&data, q, 10, &got);
    }
}

#[tokio::test]
async fn text_and_csv_copy_in_then_copy_out() {
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3), note text)",
    )
    .await;

    // Text format: tab separated, \N is NULL, backslash escapes.
    let text = "1\t[1,2,3]\thello\n2\t[4.5,-5,6]\t\\N\n3\t[0,0,0.25]\ttab\\there\\\\back\n";
    let sql = "COPY items (id, embedding, note) FROM STDIN";
    let n = copy_in(&client, sql, Bytes::from(text), 1 << 16)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(n, 3);

    // CSV: quoted fields hold commas; an unquoted empty field is NULL, a quoted one the empty string.
    let csv = "4,\"[7,8,9]\",\"quoted, with comma\"\n5,\"[1,1,1]\",\n6,\"[2,2,2]\",\"\"\n";
    let sql = "COPY items (id, embedding, note) FROM STDIN (FORMAT csv)";
    let n = copy_in(&client, sql, Bytes::from(csv), 1 << 16)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(n, 3);

    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        simple_rows(&client, "SELECT id, embedding, note FROM items ORDER BY id").await,
        vec![
            vec![s("1"), s("[1,2,3]"), s("hello")],
            vec![s("2"), s("[4.5,-5,6]"), None],
            vec![s("3"), s("[0,0,0.25]"), s("tab\there\\back")],
            vec![s("4"), s("[7,8,9]"), s("quoted, with comma")],
            vec![s("5"), s("[1,1,1]"), None],
            vec![s("6"), s("[2,2,2]"), s("")],
        ]
    );

    // COPY TO STDOUT writes the text format back (row order is not specified, so sort by id).
    let out = String::from_utf8(copy_out(&client, "COPY items TO STDOUT").await)
        .expect("COPY output is UTF-8");
    assert!(
        out.ends_with('\n'),
        "COPY output ends with a newline: {out:?}"
    );
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_by_key(|line| {
        line.split('\t')
            .next()
            .and_then(|id| id.parse::<i64>().ok())
    });
    assert_eq!(
        lines,
        vec![
            "1\t[1,2,3]\thello",
            "2\t[4.5,-5,6]\t\\N",
            "3\t[0,0,0.25]\ttab\\there\\\\back",
            "4\t[7,8,9]\tquoted, with comma",
            "5\t[1,1,1]\t\\N",
            "6\t[2,2,2]\t",
        ]
    );
}

#[tokio::test]
async fn copy_with_a_bad_row_loads_nothing() {
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3))",
    )
    .await;

    // Row 3 has two dimensions: pgvector's "expected 3 dimensions, not 2" (22000).
    let text = "1\t[1,2,3]\n2\t[4,5,6]\n3\t[7,8]\n4\t[1,1,1]\n";
    let err = copy_in(
        &client,
        "COPY items (id, embedding) FROM STDIN",
        Bytes::from(text),
        1 << 16,
    )
    .await
    .expect_err("COPY of a wrong-dimension vector must fail");
    assert_eq!(
        err.code(),
        Some(&SqlState::DATA_EXCEPTION),
        "got {}",
        describe(&err)
    );

    // COPY is one statement: nothing of it is visible, and the session goes on.
    assert_eq!(count(&client, "items").await, 0);
    exec(
        &client,
        "INSERT INTO items (id, embedding) VALUES (1, '[1,2,3]')",
    )
    .await;
    assert_eq!(count(&client, "items").await, 1);
}

/// A COPY of more rows than a segment holds is written straight to a sealed segment (one Parquet
/// write, no row log): visible at once, indexed, correct with deletes and later inserts, and
/// durable across kill -9 the moment COPY returns.
#[tokio::test]
async fn bulk_copy_becomes_a_sealed_segment_and_survives_kill_9() {
    let mut server = TestServer::start_with_config("segment_max_rows = 1000\n");
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE bulk (id bigint PRIMARY KEY, embedding vector(3))",
    )
    .await;
    exec(
        &client,
        "CREATE INDEX ON bulk USING hnsw (embedding vector_l2_ops)",
    )
    .await;
    // A few rows first, so that the growing segment is not empty when the bulk load arrives.
    exec(
        &client,
        "INSERT INTO bulk VALUES (100000, '[0,0,0]'), (100001, '[9,9,9]')",
    )
    .await;
    let mut text = String::new();
    for i in 0..2500 {
        text.push_str(&format!("{i}\t[{},{},{}]\n", i, i % 7, 1));
    }
    let sql = "COPY bulk (id, embedding) FROM STDIN";
    let n = copy_in(&client, sql, Bytes::from(text), 1 << 16)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(n, 2500);
    assert_eq!(count(&client, "bulk").await, 2502);
    let plan = simple_rows(&client, "EXPLAIN SELECT id FROM bulk")
        .await
        .into_iter()
        .flatten()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(plan.contains("segments=1"), "{plan}");
    // Deletes reach rows of the new segment; the primary key still sees them.
    exec(&client, "DELETE FROM bulk WHERE id < 10").await;
    let err = client
        .batch_execute("INSERT INTO bulk VALUES (20, '[1,1,1]')")
        .await
        .expect_err("id 20 came in with the COPY");
    assert_eq!(
        err.code(),
        Some(&SqlState::UNIQUE_VIOLATION),
        "{}",
        describe(&err)
    );
    let nearest = simple_rows(
        &client,
        "SELECT id FROM bulk ORDER BY embedding <-> '[11,4,1]' LIMIT 3",
    )
    .await;
    assert_eq!(nearest[0][0].as_deref(), Some("11"));

    server.kill9();
    server.restart();
    let client = server.connect().await;
    assert_eq!(count(&client, "bulk").await, 2492);
    let rows = simple_rows(
        &client,
        "SELECT min(id), max(id) FROM bulk WHERE id < 100000",
    )
    .await;
    assert_eq!(
        rows,
        vec![vec![Some("10".to_string()), Some("2499".to_string())]]
    );
    exec(&client, "INSERT INTO bulk VALUES (5000, '[5000,2,1]')").await;
    assert_eq!(count(&client, "bulk").await, 2493);
}
