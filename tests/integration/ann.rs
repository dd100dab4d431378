//! Approximate nearest-neighbour search over the wire: recall of HNSW and IVFFlat against exact
//! search (`SET enable_indexscan = off`) on a slice of the shared real-embedding data set, filtered
//! search at 50 % … 0.1 % selectivity, and the index lifecycle (restart without rebuild, deletes,
//! rows added after the index). Every recall check also asserts, with EXPLAIN, that the index
//! was (or was not) used.

use std::path::PathBuf;
use std::pin::pin;

use bytes::{BufMut, Bytes, BytesMut};
use futures::SinkExt;
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::pgvec::Vector;
use crate::util::{create_extension, describe, exec, simple_rows, simple_value, Rng};

const ROWS: usize = 20_000;
const QUERIES: usize = 60;
const K: usize = 10;

/// Base and query vectors: the first rows of `wiki-squad-minilm` (384-d MiniLM embeddings of
/// Wikipedia passages and SQuAD questions) when the shared data sets are present, else clustered
/// synthetic unit vectors of the same shape.
struct Data {
    base: Vec<Vec<f32>>,
    queries: Vec<Vec<f32>>,
}

pub(crate) fn dataset_dir() -> Option<PathBuf> {
    let mut candidates = vec![];
    if let Ok(d) = std::env::var("QUIVER_DATASETS") {
        candidates.push(PathBuf::from(d));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    candidates.push(PathBuf::from("/work/shared/datasets"));
    candidates
        .into_iter()
        .map(|d| d.join("wiki-squad-minilm"))
        .find(|d| d.join("base.fvecs").exists() && d.join("query.fvecs").exists())
}

/// The first `n` rows of a TEXMEX `.fvecs` file.
pub(crate) fn read_fvecs(path: &std::path::Path, n: usize) -> Vec<Vec<f32>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    while out.len() < n && at + 4 <= bytes.len() {
        let dim = i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        at += 4;
        let row = bytes[at..at + 4 * dim]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        at += 4 * dim;
        out.push(row);
    }
    out
}

fn load_data() -> Data {
    if let Some(dir) = dataset_dir() {
        return Data {
            base: read_fvecs(&dir.join("base.fvecs"), ROWS),
            queries: read_fvecs(&dir.join("query.fvecs"), QUERIES),
        };
    }
    eprintln!("shared data set not found: using synthetic clustered vectors");
    let mut rng = Rng::new(7);
    let dim = 384;
    let centers: Vec<Vec<f32>> = (0..64).map(|_| rng.vector(dim)).collect();
    let point = |rng: &mut Rng| {
        let c = &centers[(rng.next_u64() % 64) as usize];
        let v: Vec<f32> = c
            .iter()
            .zip(rng.vector(dim))
            .map(|(a, b)| a + 0.3 * b)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
    };
    Data {
        base: (0..ROWS).map(|_| point(&mut rng)).collect(),
        queries: (0..QUERIES).map(|_| point(&mut rng)).collect(),
    }
}

/// Category columns of known selectivity, uncorrelated with the vectors:
/// `c2` (50 %), `c10` (10 %), `c100` (1 %), `c1000` (0.1 %).
fn categories(id: usize) -> [i32; 4] {
    let h = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    [
        (h % 2) as i32,
        (h % 10) as i32,
        (h % 100) as i32,
        (h % 1000) as i32,
    ]
}

/// Creates `items` and loads `rows` with binary COPY.
async fn load(client: &Client, rows: &[Vec<f32>], first_id: usize) {
    let dim = rows[0].len();
    exec(
        client,
        &format!(
            "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, c2 int, c10 int, c100 int, \
             c1000 int, embedding vector({dim}))"
        ),
    )
    .await;
    let mut buf = BytesMut::new();
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
    for (i, v) in rows.iter().enumerate() {
        let id = first_id + i;
        buf.put_i16(6);
        buf.put_i32(8);
        buf.put_i64(id as i64);
        for c in categories(id) {
            buf.put_i32(4);
            buf.put_i32(c);
        }
        let v = Vector(v.clone());
        buf.put_i32(v.binary_len() as i32);
        v.write_binary(&mut buf);
    }
    buf.put_i16(-1);
    let sql = "COPY items (id, c2, c10, c100, c1000, embedding) FROM STDIN (FORMAT BINARY)";
    let sink = client
        .copy_in::<_, Bytes>(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
    let mut sink = pin!(sink);
    let data = buf.freeze();
    let mut at = 0;
    while at < data.len() {
        let end = (at + (1 << 20)).min(data.len());
        sink.send(data.slice(at..end))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
        at = end;
    }
    sink.as_mut()
        .finish()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
}

/// The ids `sql` returns with `$1` bound to `q` (binary vector parameter).
async fn ids(client: &Client, sql: &str, q: &[f32]) -> Vec<i64> {
    client
        .query(sql, &[&Vector(q.to_vec())])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn explain(client: &Client, sql: &str) -> String {
    simple_rows(client, &format!("EXPLAIN {sql}"))
        .await
        .into_iter()
        .flatten()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Mean recall@k of the ANN answers against exact ones, and the ANN row counts.
struct Measured {
    recall: f64,
    counts: Vec<usize>,
    exact_counts: Vec<usize>,
}

/// Runs `sql` (with `$1` = query vector) with the index and exactly; asserts the plans use and
/// skip the index respectively.
async fn measure(client: &Client, sql: &str, queries: &[Vec<f32>], literal: &str) -> Measured {
    let plan_sql = sql.replace("$1", literal);
    let plan = explain(client, &plan_sql).await;
    assert!(
        plan.contains("AnnSearchExec"),
        "expected an index scan for {sql}:\n{plan}"
    );
    let mut ann = Vec::new();
    for q in queries {
        ann.push(ids(client, sql, q).await);
    }
    exec(client, "SET enable_indexscan = off").await;
    let plan = explain(client, &plan_sql).await;
    assert!(
        !plan.contains("AnnSearchExec"),
        "enable_indexscan = off must give exact search:\n{plan}"
    );
    let mut exact = Vec::new();
    for q in queries {
        exact.push(ids(client, sql, q).await);
    }
    exec(client, "RESET enable_indexscan").await;
    let mut hits = 0usize;
    let mut wanted = 0usize;
    for (a, e) in ann.iter().zip(&exact) {
        wanted += e.len();
        hits += e.iter().filter(|id| a.contains(id)).count();
    }
    Measured {
        recall: if wanted == 0 {
            1.0
        } else {
            hits as f64 / wanted as f64
        },
        counts: ann.iter().map(|a| a.len()).collect(),
        exact_counts: exact.iter().map(|e| e.len()).collect(),
    }
}

fn literal(q: &[f32]) -> String {
    format!(
        "'[{}]'",
        q.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    )
}

#[tokio::test]
async fn hnsw_recall_and_filtered_search_on_real_embeddings() {
    let data = load_data();
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    load(&client, &data.base, 0).await;
    exec(
        &client,
        "CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_cosine_ops)",
    )
    .await;
    let lit = literal(&data.queries[0]);

    let sql = format!("SELECT id FROM items ORDER BY embedding <=> $1 LIMIT {K}");
    let m = measure(&client, &sql, &data.queries, &lit).await;
    eprintln!("hnsw recall@{K} (ef_search 40): {:.4}", m.recall);
    assert!(m.recall >= 0.95, "HNSW recall@{K} {:.4} < 0.95", m.recall);
    assert!(m.counts.iter().all(|c| *c == K));

    // Filtered search returns min(k, matching rows) at every selectivity, with recall.
    for (column, value, share) in [
        ("c2", 1, "50%"),
        ("c10", 3, "10%"),
        ("c100", 7, "1%"),
        ("c1000", 5, "0.1%"),
    ] {
        let sql = format!(
            "SELECT id FROM items WHERE {column} = {value} ORDER BY embedding <=> $1 LIMIT {K}"
        );
        let m = measure(&client, &sql, &data.queries, &lit).await;
        eprintln!("hnsw filtered {share}: recall@{K} {:.4}", m.recall);
        assert_eq!(
            m.counts, m.exact_counts,
            "filtered search at {share} must return min(k, matching rows) rows"
        );
        assert!(
            m.recall >= 0.95,
            "filtered recall@{K} at {share}: {:.4} < 0.95",
            m.recall
        );
    }

    // A distance range keeps using the index and returns only rows inside it.
    let sql = format!(
        "SELECT id FROM items WHERE embedding <=> $1 < 0.5 ORDER BY embedding <=> $1 LIMIT {K}"
    );
    let m = measure(&client, &sql, &data.queries, &lit).await;
    // A row the approximate search misses can leave a range one row short, as on pgvector.
    assert!(m.counts.iter().zip(&m.exact_counts).all(|(a, e)| a <= e));
    assert!(m.recall >= 0.95, "range recall {:.4}", m.recall);

    // OFFSET is part of what the index must find.
    let sql = "SELECT id FROM items ORDER BY embedding <=> $1 LIMIT 5 OFFSET 5";
    let m = measure(&client, sql, &data.queries, &lit).await;
    assert!(m.recall >= 0.9, "offset recall {:.4}", m.recall);

    // Metric mismatch: an L2 ordering cannot use a cosine index.
    let plan = explain(
        &client,
        &format!("SELECT id FROM items ORDER BY embedding <-> {lit} LIMIT 5"),
    )
    .await;
    assert!(!plan.contains("AnnSearchExec"), "{plan}");
    // No LIMIT, no index.
    let plan = explain(
        &client,
        &format!("SELECT id FROM items ORDER BY embedding <=> {lit}"),
    )
    .await;
    assert!(!plan.contains("AnnSearchExec"), "{plan}");
}

#[tokio::test]
async fn ivfflat_recall_at_documented_probes() {
    let data = load_data();
    let server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    load(&client, &data.base, 0).await;
    // pgvector's guidance: lists = rows / 1000 up to 1M rows, probes = sqrt(lists) to start.
    exec(
        &client,
        "CREATE INDEX ON items USING ivfflat (embedding vector_cosine_ops) WITH (lists = 100)",
    )
    .await;
    let lit = literal(&data.queries[0]);
    let sql = format!("SELECT id FROM items ORDER BY embedding <=> $1 LIMIT {K}");
    exec(&client, "SET ivfflat.probes = 20").await;
    let m = measure(&client, &sql, &data.queries, &lit).await;
    eprintln!("ivfflat lists=100 probes=20 recall@{K}: {:.4}", m.recall);
    assert!(
        m.recall >= 0.95,
        "IVFFlat recall@{K} {:.4} < 0.95",
        m.recall
    );
    assert!(explain(&client, &sql.replace("$1", &lit))
        .await
        .contains("probes=20"));

    // Filtered IVFFlat keeps probing until it has k rows.
    exec(&client, "SET ivfflat.probes = 1").await;
    let sql = format!("SELECT id FROM items WHERE c100 = 7 ORDER BY embedding <=> $1 LIMIT {K}");
    let m = measure(&client, &sql, &data.queries, &lit).await;
    assert_eq!(m.counts, m.exact_counts);
}

#[tokio::test]
async fn index_lifecycle_restart_deletes_and_new_rows() {
    let data = load_data();
    let base = &data.base[..5_000];
    let mut server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    load(&client, base, 0).await;
    exec(
        &client,
        "CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_l2_ops) WITH (m = 12)",
    )
    .await;
    let indexdef = simple_value(
        &client,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'items_hnsw'",
    )
    .await;
    assert_eq!(
        indexdef.as_deref(),
        Some("CREATE INDEX items_hnsw ON public.items USING hnsw (embedding vector_l2_ops) WITH (m='12')")
    );
    let files: Vec<(PathBuf, std::time::SystemTime)> = index_files(&server.data_dir);
    assert_eq!(files.len(), 1, "one segment, one index file: {files:?}");

    let q = &data.queries[1];
    let sql = "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10";
    let before = ids(&client, sql, q).await;
    assert_eq!(before.len(), 10);
    drop(client);

    server.restart();
    let client = server.connect().await;
    let after = ids(&client, sql, q).await;
    assert_eq!(before, after, "same answers after restart");

    // A parameter the index cannot search with: NULL orders nothing (any ten rows, as exact
    // search gives); another dimension fails, here when the value is bound to the column's
    // vector(384) (PostgreSQL binds an untypmodded vector and fails in the distance function
    // instead: "different vector dimensions 384 and 3", also 22000). The cached plan then goes
    // on answering.
    let none: Option<Vector> = None;
    let rows = client
        .query(sql, &[&none])
        .await
        .unwrap_or_else(|e| panic!("{sql} with NULL: {}", describe(&e)));
    assert_eq!(rows.len(), 10);
    let err = client
        .query(sql, &[&Vector(vec![1.0, 2.0, 3.0])])
        .await
        .expect_err("a 3-dimensional query against vector(384)");
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "22000", "{}", db.message());
    assert_eq!(db.message(), "expected 384 dimensions, not 3");
    assert_eq!(ids(&client, sql, q).await, after);
    let analyzed = explain(
        &client,
        &format!("ANALYZE {}", sql.replace("$1", &literal(q))),
    )
    .await;
    assert!(
        analyzed.contains("segments_searched_by_index=1"),
        "{analyzed}"
    );
    assert_eq!(
        index_files(&server.data_dir),
        files,
        "the index file was reused, not rebuilt"
    );

    // Deleted rows never come back from the index.
    let gone = &before[..3];
    exec(
        &client,
        &format!(
            "DELETE FROM items WHERE id IN ({})",
            gone.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ),
    )
    .await;
    let now = ids(&client, sql, q).await;
    assert_eq!(now.len(), 10);
    assert!(now.iter().all(|id| !gone.contains(id)), "{now:?}");
    assert_eq!(&now[..7], &before[3..], "the rest keeps its order");

    // Rows added after the index (growing segment) are found, and keep being found once they
    // are sealed into a segment of their own.
    load(&client, &[q.clone()], 1_000_000).await;
    assert_eq!(ids(&client, sql, q).await[0], 1_000_000);
    exec(&client, "CHECKPOINT").await;
    assert_eq!(ids(&client, sql, q).await[0], 1_000_000);

    // DROP INDEX removes the files and the plan goes back to exact search.
    exec(&client, "DROP INDEX items_hnsw").await;
    let plan = explain(&client, &sql.replace("$1", &literal(q))).await;
    assert!(!plan.contains("AnnSearchExec"), "{plan}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(index_files(&server.data_dir).is_empty());
}

/// Index files under a data directory with their modification times, sorted.
fn index_files(data_dir: &std::path::Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut out = vec![];
    let mut stack = vec![data_dir.join("segments")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "hnsw" || x == "ivfflat") {
                let mtime = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .expect("index file metadata");
                out.push((p, mtime));
            }
        }
    }
    out.sort();
    out
}

/// Distances (column 0, float8) that `sql` returns with `$1` bound to `q`.
async fn distances(client: &Client, sql: &str, q: &[f32]) -> Vec<f64> {
    client
        .query(sql, &[&Vector(q.to_vec())])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// pgvector's indexing recipes on real embeddings: a half-precision expression index, binary
/// quantization with re-ranking, and a partial index; each used (EXPLAIN), each with recall
/// against exact search, and each surviving a restart without a rebuild.
#[tokio::test]
async fn expression_and_partial_indexes_on_real_embeddings() {
    let data = load_data();
    let dim = data.base[0].len();
    let mut server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    load(&client, &data.base, 0).await;
    exec(
        &client,
        &format!(
            "CREATE INDEX items_half ON items USING hnsw ((embedding::halfvec({dim})) halfvec_cosine_ops);
             CREATE INDEX items_bits ON items USING hnsw ((binary_quantize(embedding)::bit({dim})) bit_hamming_ops);
             CREATE INDEX items_c10 ON items USING hnsw (embedding vector_cosine_ops) WHERE c10 = 3"
        ),
    )
    .await;
    let lit = literal(&data.queries[0]);

    // Half precision: recall against exact search over the same expression.
    let half = format!(
        "SELECT id FROM items ORDER BY embedding::halfvec({dim}) <=> ($1::vector)::halfvec({dim}) LIMIT {K}"
    );
    let m = measure(&client, &half, &data.queries, &format!("{lit}::vector")).await;
    eprintln!("halfvec expression index recall@{K}: {:.4}", m.recall);
    assert!(m.recall >= 0.95, "halfvec recall {:.4}", m.recall);
    assert!(explain(&client, &half.replace("$1", &lit))
        .await
        .contains("index=items_half"));

    // Binary quantization: Hamming top-k by the index against exact Hamming top-k, counted by
    // distance (Hamming distances tie a lot, so ids are not comparable).
    let bq = format!(
        "SELECT binary_quantize(embedding)::bit({dim}) <~> binary_quantize($1::vector) AS d FROM items \
         ORDER BY binary_quantize(embedding)::bit({dim}) <~> binary_quantize($1::vector) LIMIT {K}"
    );
    let plan = explain(&client, &bq.replace("$1", &lit)).await;
    assert!(
        plan.contains("index=items_bits") && plan.contains("metric=hamming"),
        "{plan}"
    );
    let mut ann = vec![];
    for q in &data.queries {
        ann.push(distances(&client, &bq, q).await);
    }
    exec(&client, "SET enable_indexscan = off").await;
    let mut hits = 0;
    for (q, a) in data.queries.iter().zip(&ann) {
        let exact = distances(&client, &bq, q).await;
        assert_eq!(a.len(), K);
        hits += a.iter().filter(|d| **d <= exact[K - 1]).count();
    }
    exec(&client, "RESET enable_indexscan").await;
    let recall = hits as f64 / (K * data.queries.len()) as f64;
    eprintln!("binary quantization hnsw recall@{K} (by distance): {recall:.4}");
    assert!(recall >= 0.95, "bit index recall {recall:.4}");

    // The README's re-ranking query: Hamming candidates from the index, re-ranked by cosine,
    // against exact cosine search.
    let rerank = format!(
        "SELECT id FROM (SELECT id, embedding FROM items ORDER BY binary_quantize(embedding)::bit({dim}) \
         <~> binary_quantize($1::vector) LIMIT 200) s ORDER BY embedding <=> $1::vector LIMIT {K}"
    );
    let exact_sql = format!("SELECT id FROM items ORDER BY embedding <=> $1::vector LIMIT {K}");
    exec(&client, "SET enable_indexscan = off").await;
    let mut truth = vec![];
    for q in &data.queries {
        truth.push(ids(&client, &exact_sql, q).await);
    }
    exec(&client, "RESET enable_indexscan").await;
    let mut hits = 0;
    for (q, t) in data.queries.iter().zip(&truth) {
        let got = ids(&client, &rerank, q).await;
        hits += got.iter().filter(|id| t.contains(id)).count();
    }
    eprintln!(
        "binary quantization, 200 candidates re-ranked: recall@{K} {:.4} against exact cosine",
        hits as f64 / (K * data.queries.len()) as f64
    );

    // Partial index: used when the filter implies its predicate, with recall; not otherwise.
    let part = format!("SELECT id FROM items WHERE c10 = 3 ORDER BY embedding <=> $1 LIMIT {K}");
    let m = measure(&client, &part, &data.queries, &lit).await;
    eprintln!("partial index (10% of rows) recall@{K}: {:.4}", m.recall);
    assert!(m.recall >= 0.95, "partial index recall {:.4}", m.recall);
    assert_eq!(m.counts, m.exact_counts);
    let plan = explain(&client, &part.replace("$1", &lit)).await;
    assert!(plan.contains("index=items_c10"), "{plan}");
    let other =
        format!("SELECT id FROM items WHERE c10 = 4 ORDER BY embedding <=> {lit} LIMIT {K}");
    let plan = explain(&client, &other).await;
    assert!(!plan.contains("AnnSearchExec"), "{plan}");

    // Restart: the three index files are reused, the expressions compiled again.
    let files = index_files(&server.data_dir);
    assert_eq!(files.len(), 3, "{files:?}");
    let q = &data.queries[2];
    let before = (ids(&client, &half, q).await, ids(&client, &part, q).await);
    drop(client);
    server.restart();
    let client = server.connect().await;
    let after = (ids(&client, &half, q).await, ids(&client, &part, q).await);
    assert_eq!(before, after);
    let analyzed = explain(
        &client,
        &format!("ANALYZE {}", bq.replace("$1", &literal(q))),
    )
    .await;
    assert!(
        analyzed.contains("segments_searched_by_index=1"),
        "{analyzed}"
    );
    assert_eq!(index_files(&server.data_dir), files, "reused, not rebuilt");

    // A new sealed segment gets its expression and partial indexes built in the background.
    load(&client, &data.queries, 1_000_000).await;
    exec(&client, "CHECKPOINT").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while index_files(&server.data_dir).len() < 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "background builds did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Each query vector is now a row: the nearest by the half-precision index is itself.
    let got = ids(&client, &half, &data.queries[5]).await;
    assert_eq!(got[0], 1_000_005);
}
