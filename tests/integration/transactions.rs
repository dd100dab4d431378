//! Transaction blocks: BEGIN / COMMIT / ROLLBACK visibility and the aborted-block state (25P02).

use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::util::{count, create_extension, describe, exec, simple_rows};

async fn table(client: &Client) {
    create_extension(client).await;
    exec(
        client,
        "CREATE TABLE t (id bigint PRIMARY KEY, embedding vector(2))",
    )
    .await;
}

#[tokio::test]
async fn rollback_discards_and_commit_publishes() {
    let server = TestServer::start();
    let a = server.connect().await;
    let b = server.connect().await;
    table(&a).await;

    // ROLLBACK: the block sees its own row, nobody else does, and afterwards it is gone.
    exec(&a, "BEGIN").await;
    exec(&a, "INSERT INTO t (id, embedding) VALUES (1, '[1,1]')").await;
    assert_eq!(count(&a, "t").await, 1, "a block reads its own writes");
    assert_eq!(
        count(&b, "t").await,
        0,
        "uncommitted rows are invisible to other sessions"
    );
    exec(&a, "ROLLBACK").await;
    assert_eq!(count(&a, "t").await, 0);
    assert_eq!(count(&b, "t").await, 0);

    // COMMIT: visible to everyone after, including through k-NN search inside the block.
    exec(&a, "BEGIN").await;
    exec(
        &a,
        "INSERT INTO t (id, embedding) VALUES (2, '[2,2]'), (3, '[3,3]')",
    )
    .await;
    let nearest = simple_rows(
        &a,
        "SELECT id FROM t ORDER BY embedding <-> '[3.1,3.1]' LIMIT 1",
    )
    .await;
    assert_eq!(
        nearest,
        vec![vec![Some("3".to_string())]],
        "k-NN inside the block sees its own writes"
    );
    assert_eq!(count(&b, "t").await, 0);
    exec(&a, "COMMIT").await;
    assert_eq!(count(&a, "t").await, 2);
    assert_eq!(count(&b, "t").await, 2);

    // A transaction through the extended protocol (tokio-postgres' Transaction) behaves the same.
    let mut a = a;
    let tx = a
        .transaction()
        .await
        .unwrap_or_else(|e| panic!("BEGIN: {}", describe(&e)));
    tx.execute("INSERT INTO t (id, embedding) VALUES (4, '[4,4]')", &[])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let n: i64 = tx
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    tx.rollback()
        .await
        .unwrap_or_else(|e| panic!("ROLLBACK: {}", describe(&e)));
    assert_eq!(count(&b, "t").await, 2);
}

#[tokio::test]
async fn error_aborts_the_block_until_rollback() {
    let server = TestServer::start();
    let client = server.connect().await;
    table(&client).await;

    exec(&client, "BEGIN").await;
    exec(&client, "INSERT INTO t (id, embedding) VALUES (1, '[1,1]')").await;
    let err = client
        .simple_query("SELECT * FROM no_such_table")
        .await
        .expect_err("missing table");
    assert_eq!(
        err.code(),
        Some(&SqlState::UNDEFINED_TABLE),
        "got {}",
        describe(&err)
    );

    // Every statement now fails with 25P02, by either protocol, until the block ends.
    for sql in [
        "SELECT 1",
        "INSERT INTO t (id, embedding) VALUES (2, '[2,2]')",
        "SELECT count(*) FROM t",
    ] {
        let err = client
            .simple_query(sql)
            .await
            .expect_err("statement in an aborted block");
        assert_eq!(
            err.code(),
            Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
            "{sql}: got {}",
            describe(&err)
        );
    }
    let err = client
        .query("SELECT 1", &[])
        .await
        .expect_err("extended query in an aborted block");
    assert_eq!(
        err.code(),
        Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
        "got {}",
        describe(&err)
    );

    exec(&client, "ROLLBACK").await;
    assert_eq!(
        count(&client, "t").await,
        0,
        "the row inserted before the error is rolled back"
    );
    assert_eq!(
        simple_rows(&client, "SELECT 1").await,
        vec![vec![Some("1".to_string())]]
    );
}

#[tokio::test]
async fn error_in_extended_protocol_aborts_the_block_and_commit_rolls_back() {
    let server = TestServer::start();
    let client = server.connect().await;
    table(&client).await;

    exec(&client, "BEGIN").await;
    exec(&client, "INSERT INTO t (id, embedding) VALUES (1, '[1,1]')").await;
    // Wrong dimension through the extended protocol: pgvector's 22000.
    let err = client
        .execute("INSERT INTO t (id, embedding) VALUES (2, '[1,2,3]')", &[])
        .await
        .expect_err("3 dimensions into vector(2)");
    assert_eq!(
        err.code(),
        Some(&SqlState::DATA_EXCEPTION),
        "got {}",
        describe(&err)
    );
    let err = client
        .simple_query("SELECT 1")
        .await
        .expect_err("statement in an aborted block");
    assert_eq!(
        err.code(),
        Some(&SqlState::IN_FAILED_SQL_TRANSACTION),
        "got {}",
        describe(&err)
    );

    // COMMIT of an aborted block succeeds and rolls back, as in PostgreSQL.
    exec(&client, "COMMIT").await;
    assert_eq!(count(&client, "t").await, 0);
}
