//! Small helpers shared by the integration tests: statement runners that panic with the SQLSTATE,
//! text results, a deterministic generator and exact nearest-neighbour checks.

use tokio_postgres::{Client, SimpleQueryMessage};

/// `<SQLSTATE>: <message>` for server errors, the client's own text otherwise.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Runs one or more statements through the simple protocol; panics with the error.
pub async fn exec(client: &Client, sql: &str) {
    if let Err(e) = client.batch_execute(sql).await {
        panic!("{sql}\n  failed: {}", describe(&e));
    }
}

/// `CREATE EXTENSION IF NOT EXISTS vector`, as every pgvector application starts.
pub async fn create_extension(client: &Client) {
    exec(client, "CREATE EXTENSION IF NOT EXISTS vector").await;
}

/// The text rows of the last statement in `sql` (simple protocol); `None` is SQL NULL.
pub async fn simple_rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = match client.simple_query(sql).await {
        Ok(m) => m,
        Err(e) => panic!("{sql}\n  failed: {}", describe(&e)),
    };
    let mut rows = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(_) => rows.clear(),
            SimpleQueryMessage::Row(row) => rows.push(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => {}
        }
    }
    rows
}

/// The single text value of `sql`; panics unless there is exactly one row and one column.
pub async fn simple_value(client: &Client, sql: &str) -> Option<String> {
    let rows = simple_rows(client, sql).await;
    assert_eq!(rows.len(), 1, "{sql}: expected one row, got {rows:?}");
    assert_eq!(rows[0].len(), 1, "{sql}: expected one column, got {rows:?}");
    rows[0][0].clone()
}

/// `SELECT count(*) FROM {table}` as a number (text protocol, so the count's type does not matter).
pub async fn count(client: &Client, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    let text = simple_value(client, &sql)
        .await
        .expect("count(*) is never NULL");
    text.parse()
        .unwrap_or_else(|e| panic!("{sql}: {text:?} is not a number: {e}"))
}

/// Deterministic pseudo-random numbers (SplitMix64), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn next_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    pub fn vector(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.next_f32()).collect()
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

/// Euclidean distance, accumulated in f64.
pub fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// `pgvector`'s text form of a vector (`[1,2.5,-3]`). Rust prints the shortest decimal that
/// round-trips, as pgvector does, for values without exponents.
pub fn vector_text(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// Checks `got` (ids, nearest first) against exact L2 search over `data` (id, vector). Rank by
/// rank, the distance of the returned id must equal the exact k-th distance (so ties in either
/// order pass), and ids must be distinct.
pub fn assert_exact_knn(data: &[(i64, Vec<f32>)], query: &[f32], k: usize, got: &[i64]) {
    let mut exact: Vec<(f64, i64)> = data.iter().map(|(id, v)| (l2(v, query), *id)).collect();
    exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let expected: Vec<(f64, i64)> = exact.into_iter().take(k).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "k-NN returned {got:?}, exact top-{k} is {expected:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for (rank, (id, (want_dist, _))) in got.iter().zip(&expected).enumerate() {
        assert!(seen.insert(*id), "k-NN returned id {id} twice: {got:?}");
        let (_, v) = data
            .iter()
            .find(|(i, _)| i == id)
            .unwrap_or_else(|| panic!("k-NN returned unknown id {id}"));
        let got_dist = l2(v, query);
        assert!(
            (got_dist - want_dist).abs() <= 1e-5 * want_dist.max(1.0),
            "rank {rank}: got id {id} at distance {got_dist}, exact distance is {want_dist}\n  got {got:?}\n  exact {expected:?}"
        );
    }
}
