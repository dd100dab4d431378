//! Binary result and parameter formats of the built-in scalar types (tokio-postgres asks for binary
//! results of every column it knows).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::types::Type;

use crate::common::TestServer;
use crate::util::{describe, exec, simple_rows};

#[tokio::test]
async fn binary_scalars_from_literals() {
    let server = TestServer::start();
    let client = server.connect().await;

    let sql = "SELECT 42::int4, 9000000000::int8, 1.5::float4, 2.25::float8, 'héllo wörld'::text, true, false, \
               TIMESTAMP '2024-01-02 03:04:05.123456', NULL::int4";
    let row = client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    let types: Vec<Type> = row.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        vec![
            Type::INT4,
            Type::INT8,
            Type::FLOAT4,
            Type::FLOAT8,
            Type::TEXT,
            Type::BOOL,
            Type::BOOL,
            Type::TIMESTAMP,
            Type::INT4
        ]
    );
    assert_eq!(row.get::<_, i32>(0), 42);
    assert_eq!(row.get::<_, i64>(1), 9_000_000_000);
    assert_eq!(row.get::<_, f32>(2), 1.5);
    assert_eq!(row.get::<_, f64>(3), 2.25);
    assert_eq!(row.get::<_, String>(4), "héllo wörld");
    assert!(row.get::<_, bool>(5));
    assert!(!row.get::<_, bool>(6));
    // 2024-01-02 03:04:05.123456 is 1704164645.123456 s after the epoch.
    assert_eq!(
        row.get::<_, SystemTime>(7),
        UNIX_EPOCH + Duration::new(1_704_164_645, 123_456_000)
    );
    assert_eq!(row.get::<_, Option<i32>>(8), None);
}

#[tokio::test]
async fn binary_parameters_round_trip_through_a_table() {
    let server = TestServer::start();
    let client = server.connect().await;
    exec(
        &client,
        "CREATE TABLE t (id int4 PRIMARY KEY, a int4, b int8, c real, d double precision, e text, f boolean, g timestamp)",
    )
    .await;

    let ts = UNIX_EPOCH + Duration::new(981_173_106, 500_000_000); // 2001-02-03 04:05:06.5
    let insert = "INSERT INTO t (id, a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let n = client
        .execute(
            insert,
            &[
                &1i32,
                &i32::MIN,
                &-9_000_000_000i64,
                &1.25f32,
                &-0.5f64,
                &"tab\there ünï",
                &true,
                &ts,
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{insert}: {}", describe(&e)));
    assert_eq!(n, 1);
    client
        .execute(
            insert,
            &[
                &2i32,
                &None::<i32>,
                &None::<i64>,
                &None::<f32>,
                &None::<f64>,
                &None::<String>,
                &None::<bool>,
                &None::<SystemTime>,
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{insert} (NULLs): {}", describe(&e)));

    let rows = client
        .query("SELECT a, b, c, d, e, f, g FROM t WHERE id = $1", &[&1i32])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.get::<_, i32>(0), i32::MIN);
    assert_eq!(r.get::<_, i64>(1), -9_000_000_000);
    assert_eq!(r.get::<_, f32>(2), 1.25);
    assert_eq!(r.get::<_, f64>(3), -0.5);
    assert_eq!(r.get::<_, &str>(4), "tab\there ünï");
    assert!(r.get::<_, bool>(5));
    assert_eq!(r.get::<_, SystemTime>(6), ts);

    let rows = client
        .query("SELECT a, b, c, d, e, f, g FROM t WHERE id = 2", &[])
        .await
        .unwrap();
    let r = &rows[0];
    assert_eq!(r.get::<_, Option<i32>>(0), None);
    assert_eq!(r.get::<_, Option<i64>>(1), None);
    assert_eq!(r.get::<_, Option<f32>>(2), None);
    assert_eq!(r.get::<_, Option<f64>>(3), None);
    assert_eq!(r.get::<_, Option<String>>(4), None);
    assert_eq!(r.get::<_, Option<bool>>(5), None);
    assert_eq!(r.get::<_, Option<SystemTime>>(6), None);

    // The same values in PostgreSQL's text output.
    assert_eq!(
        simple_rows(&client, "SELECT a, b, c, d, e, f, g FROM t ORDER BY id").await,
        vec![
            vec![
                Some("-2147483648".to_string()),
                Some("-9000000000".to_string()),
                Some("1.25".to_string()),
                Some("-0.5".to_string()),
                Some("tab\there ünï".to_string()),
                Some("t".to_string()),
                Some("2001-02-03 04:05:06.5".to_string()),
            ],
            vec![None, None, None, None, None, None, None],
        ]
    );
}

/// tsvector / tsquery bytes as they travel in binary format, either way.
#[derive(Debug)]
struct RawTs(Vec<u8>);

impl tokio_postgres::types::ToSql for RawTs {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "tsvector" || ty.name() == "tsquery"
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> tokio_postgres::types::FromSql<'a> for RawTs {
    fn from_sql(
        _ty: &Type,
        raw: &'a [u8],
    ) -> Result<RawTs, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawTs(raw.to_vec()))
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "tsvector" || ty.name() == "tsquery"
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn binary_tsvector_and_tsquery() {
    let server = TestServer::start();
    let client = server.connect().await;
    // Results: PostgreSQL 18's tsvector_send / tsquery_send bytes.
    let row = client
        .query_one(
            "SELECT 'a:1A b:2,3 c'::tsvector, 'a:*B & !b <2> c | d'::tsquery",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(
        hex(&row.get::<_, RawTs>(0).0),
        "0000000361000001c001620000020002000363000000"
    );
    assert_eq!(
        hex(&row.get::<_, RawTs>(1).0),
        "00000008020301000064000202020400020100006300020101000062000104016100"
    );
    // Parameters in binary: the same bytes read back as the values.
    let v = row.get::<_, RawTs>(0);
    let q = row.get::<_, RawTs>(1);
    let stmt = client
        .prepare_typed(
            "SELECT $1::text, $2::text, $1 @@ 'b'::tsquery",
            &[Type::TS_VECTOR, Type::TSQUERY],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    let back = client
        .query_one(&stmt, &[&v, &q])
        .await
        .unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(back.get::<_, String>(0), "'a':1A 'b':2,3 'c'");
    assert_eq!(back.get::<_, String>(1), "'a':*B & !'b' <2> 'c' | 'd'");
    assert!(back.get::<_, bool>(2));
}
