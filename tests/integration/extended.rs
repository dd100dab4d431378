//! Extended query protocol: vectors bound as binary and as text parameters, prepared statements
//! reused with new parameters, and pgvector types decoded from binary results.

use tokio_postgres::types::Type;
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::pgvec::{HalfVector, SparseVector, Vector};
use crate::util::{create_extension, describe, exec, simple_rows, simple_value};

async fn items(client: &Client) {
    create_extension(client).await;
    exec(
        client,
        "CREATE TABLE items (id bigint PRIMARY KEY, embedding vector(3));
         INSERT INTO items (id, embedding) VALUES (1, '[1,2,3]'), (2, '[4,5,6]'), (3, '[1,1,1]'), (4, '[10,10,10]')",
    )
    .await;
}

fn ids(rows: &[tokio_postgres::Row]) -> Vec<i64> {
    rows.iter().map(|r| r.get::<_, i64>(0)).collect()
}

#[tokio::test]
async fn vector_parameter_in_binary() {
    let server = TestServer::start();
    let client = server.connect().await;
    items(&client).await;

    // Distances from [3,1,2]: id 3 → √5, id 1 → √6, id 2 → √33, id 4 → √194.
    let sql = "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT $2";
    let rows = client
        .query(sql, &[&Vector(vec![3.0, 1.0, 2.0]), &2i64])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(ids(&rows), vec![3, 1]);

    // The server describes $1 as pgvector's `vector` (its OID is the one pg_type lists) and $2 as bigint.
    let stmt = client
        .prepare(sql)
        .await
        .unwrap_or_else(|e| panic!("prepare {sql}: {}", describe(&e)));
    let vector_oid: u32 = simple_value(&client, "SELECT oid FROM pg_type WHERE typname = 'vector'")
        .await
        .expect("pg_type lists vector")
        .parse()
        .expect("oid is a number");
    assert_eq!(stmt.params().len(), 2);
    assert_eq!(stmt.params()[0].name(), "vector");
    assert_eq!(stmt.params()[0].oid(), vector_oid);
    assert_eq!(stmt.params()[1], Type::INT8);

    // One prepared statement, executed again with other parameters.
    let rows = client
        .query(&stmt, &[&Vector(vec![10.0, 10.0, 9.0]), &2i64])
        .await
        .unwrap();
    assert_eq!(ids(&rows), vec![4, 2]);
    let rows = client
        .query(&stmt, &[&Vector(vec![0.0, 0.0, 0.0]), &4i64])
        .await
        .unwrap();
    assert_eq!(ids(&rows), vec![3, 1, 2, 4]);

    // Distances come back as float8, and parameters work in WHERE too.
    let rows = client
        .query(
            "SELECT id, embedding <-> $1 AS dist FROM items WHERE id <> $2 ORDER BY dist LIMIT 1",
            &[&Vector(vec![3.0, 1.0, 2.0]), &3i64],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].columns()[1].type_(), &Type::FLOAT8);
    assert_eq!(rows[0].get::<_, i64>(0), 1);
    let dist: f64 = rows[0].get(1);
    assert!(
        (dist - 6f64.sqrt()).abs() < 1e-6,
        "distance {dist}, expected √6"
    );
}

#[tokio::test]
async fn vector_parameter_as_text() {
    let server = TestServer::start();
    let client = server.connect().await;
    items(&client).await;

    let sql = "SELECT id FROM items ORDER BY embedding <-> CAST($1 AS vector) LIMIT 2";
    let stmt = client
        .prepare_typed(sql, &[Type::TEXT])
        .await
        .unwrap_or_else(|e| panic!("prepare {sql}: {}", describe(&e)));
    let rows = client
        .query(&stmt, &[&"[3,1,2]"])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    assert_eq!(ids(&rows), vec![3, 1]);
    let rows = client.query(&stmt, &[&"[10, 10, 9]"]).await.unwrap();
    assert_eq!(ids(&rows), vec![4, 2]);

    // A malformed vector in a text parameter is the same error as in a literal.
    let err = client
        .query(&stmt, &[&"[1,2"])
        .await
        .expect_err("malformed vector must fail");
    assert!(err.code().is_some(), "expected a server error, got {err}");
    // And the connection is still usable afterwards.
    let rows = client.query(&stmt, &[&"[1,2,3]"]).await.unwrap();
    assert_eq!(ids(&rows), vec![1, 3]);
}

#[tokio::test]
async fn vector_results_in_binary() {
    let server = TestServer::start();
    let client = server.connect().await;
    items(&client).await;

    // Bind a vector into an INSERT, and a NULL.
    let insert = "INSERT INTO items (id, embedding) VALUES ($1, $2)";
    let n = client
        .execute(insert, &[&5i64, &Vector(vec![0.5, -1.25, 1e-3])])
        .await
        .unwrap_or_else(|e| panic!("{insert}: {}", describe(&e)));
    assert_eq!(n, 1);
    client
        .execute(insert, &[&6i64, &None::<Vector>])
        .await
        .unwrap_or_else(|e| panic!("{insert}: {}", describe(&e)));

    let rows = client
        .query("SELECT id, embedding FROM items ORDER BY id", &[])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let got: Vec<(i64, Option<Vector>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        vec![
            (1, Some(Vector(vec![1.0, 2.0, 3.0]))),
            (2, Some(Vector(vec![4.0, 5.0, 6.0]))),
            (3, Some(Vector(vec![1.0, 1.0, 1.0]))),
            (4, Some(Vector(vec![10.0, 10.0, 10.0]))),
            (5, Some(Vector(vec![0.5, -1.25, 1e-3]))),
            (6, None),
        ]
    );
    assert_eq!(rows[0].columns()[1].type_().name(), "vector");

    // The binary-bound row reads back the same in text.
    assert_eq!(
        simple_rows(&client, "SELECT embedding FROM items WHERE id = 5").await,
        vec![vec![Some("[0.5,-1.25,0.001]".to_string())]]
    );
}

#[tokio::test]
async fn halfvec_binary_round_trip() {
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE h (id int4 PRIMARY KEY, v halfvec(3))",
    )
    .await;
    exec(&client, "INSERT INTO h (id, v) VALUES (1, '[1.5,-2,0.25]')").await;

    let insert = "INSERT INTO h (id, v) VALUES ($1, $2)";
    client
        .execute(insert, &[&2i32, &HalfVector(vec![0.5, 3.0, -1.0])])
        .await
        .unwrap_or_else(|e| panic!("{insert}: {}", describe(&e)));

    let rows = client
        .query("SELECT id, v FROM h ORDER BY id", &[])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let got: Vec<(i32, HalfVector)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        vec![
            (1, HalfVector(vec![1.5, -2.0, 0.25])),
            (2, HalfVector(vec![0.5, 3.0, -1.0]))
        ]
    );

    assert_eq!(
        simple_rows(&client, "SELECT v FROM h ORDER BY id").await,
        vec![
            vec![Some("[1.5,-2,0.25]".to_string())],
            vec![Some("[0.5,3,-1]".to_string())]
        ]
    );
}

#[tokio::test]
async fn sparsevec_binary_round_trip() {
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE s (id int4 PRIMARY KEY, v sparsevec(5))",
    )
    .await;
    exec(&client, "INSERT INTO s (id, v) VALUES (1, '{1:1.5,3:2}/5')").await;

    let bound = SparseVector {
        dim: 5,
        indices: vec![1, 4],
        values: vec![-1.0, 0.5],
    };
    assert_eq!(bound.to_text(), "{2:-1,5:0.5}/5");
    let insert = "INSERT INTO s (id, v) VALUES ($1, $2)";
    client
        .execute(insert, &[&2i32, &bound])
        .await
        .unwrap_or_else(|e| panic!("{insert}: {}", describe(&e)));

    let rows = client
        .query("SELECT id, v FROM s ORDER BY id", &[])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let got: Vec<(i32, SparseVector)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                SparseVector {
                    dim: 5,
                    indices: vec![0, 2],
                    values: vec![1.5, 2.0]
                }
            ),
            (2, bound.clone())
        ]
    );

    assert_eq!(
        simple_rows(&client, "SELECT v FROM s ORDER BY id").await,
        vec![
            vec![Some("{1:1.5,3:2}/5".to_string())],
            vec![Some(bound.to_text())]
        ]
    );
}
