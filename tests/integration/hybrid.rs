//! `hybrid_search` over real passages (a slice of the shared data set): legs through their indexes
//! agree with exact search and with fusion computed here from the single-leg results; `$n`
//! parameters from a driver; `WHERE` reaches every leg; deleted rows stay gone; the bm25 index's
//! per-segment files are written at CREATE INDEX and read back after a restart.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use tokio_postgres::Client;

use crate::ann::{dataset_dir, read_fvecs};
use crate::common::TestServer;
use crate::util::{create_extension, exec, vector_text};

const ROWS: usize = 3000;
const SEALED: usize = 2500;
const QUESTIONS: usize = 20;
const K: usize = 50;

struct Corpus {
    docs: Vec<(i32, String)>,
    base: Vec<Vec<f32>>,
    questions: Vec<(String, i32, Vec<f32>)>,
}

fn corpus() -> Option<Corpus> {
    let dir = dataset_dir()?;
    let f = std::fs::File::open(dir.join("docs.jsonl.gz")).ok()?;
    let docs: Vec<(i32, String)> = std::io::BufReader::new(flate2::read::GzDecoder::new(f))
        .lines()
        .take(ROWS)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.expect("line")).expect("json");
            (
                v["category"].as_i64().expect("category") as i32,
                v["text"].as_str().expect("text").to_string(),
            )
        })
        .collect();
    let qv = read_fvecs(&dir.join("query.fvecs"), QUESTIONS);
    let questions = std::fs::read_to_string(dir.join("queries.jsonl"))
        .ok()?
        .lines()
        .take(QUESTIONS)
        .zip(qv)
        .map(|(l, v)| {
            let j: serde_json::Value = serde_json::from_str(l).expect("json");
            (
                j["question"].as_str().expect("question").to_string(),
                j["filter_category"].as_i64().expect("filter_category") as i32,
                v,
            )
        })
        .collect();
    Some(Corpus {
        docs,
        base: read_fvecs(&dir.join("base.fvecs"), ROWS),
        questions,
    })
}

async fn insert(client: &Client, c: &Corpus, range: std::ops::Range<usize>) {
    for chunk in range.collect::<Vec<_>>().chunks(200) {
        let values: Vec<String> = chunk
            .iter()
            .map(|&i| {
                format!(
                    "({i}, {}, '{}', '{}')",
                    c.docs[i].0,
                    c.docs[i].1.replace('\'', "''"),
                    vector_text(&c.base[i])
                )
            })
            .collect();
        exec(
            client,
            &format!(
                "INSERT INTO hdocs (id, category, content, embedding) VALUES {}",
                values.join(", ")
            ),
        )
        .await;
    }
}

async fn ids(
    client: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Vec<i32> {
    client
        .query(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", crate::util::describe(&e)))
        .iter()
        .map(|r| r.get::<_, i32>(0))
        .collect()
}

/// RRF (k = 60) of ranked id lists, ties by best rank then id: what `hybrid_search` must return.
fn rrf(lists: &[Vec<i32>]) -> Vec<i32> {
    let mut score: HashMap<i32, (f64, usize)> = HashMap::new();
    for l in lists {
        for (r, id) in l.iter().enumerate() {
            let e = score.entry(*id).or_insert((0.0, usize::MAX));
            e.0 += 1.0 / (60.0 + (r + 1) as f64);
            e.1 = e.1.min(r + 1);
        }
    }
    let mut all: Vec<(i32, f64, usize)> =
        score.into_iter().map(|(id, (s, r))| (id, s, r)).collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(&b.0)));
    all.into_iter().map(|(id, _, _)| id).collect()
}

#[tokio::test]
async fn hybrid_search_over_real_passages() {
    let Some(c) = corpus() else {
        eprintln!("note: shared data set not found; skipping hybrid_search_over_real_passages");
        return;
    };
    let mut server = TestServer::start();
    let client = server.connect().await;
    create_extension(&client).await;
    exec(
        &client,
        "CREATE TABLE hdocs (id int PRIMARY KEY, category int, content text, embedding vector(384))",
    )
    .await;
    insert(&client, &c, 0..SEALED).await;
    exec(&client, "CHECKPOINT").await;
    exec(
        &client,
        "CREATE INDEX ON hdocs USING hnsw (embedding vector_cosine_ops)",
    )
    .await;
    exec(
        &client,
        "CREATE INDEX hdocs_bm25 ON hdocs USING bm25 (content) WITH (analyzer = 'english')",
    )
    .await;
    insert(&client, &c, SEALED..ROWS).await; // growing rows: analysed per query
    let data_dir = server.data_dir.clone();
    let bm25_files = || {
        walk(&data_dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "bm25"))
            .count()
    };
    assert!(
        bm25_files() >= 1,
        "CREATE INDEX ... USING bm25 wrote no postings file"
    );

    let dense_sql = format!("SELECT id FROM hybrid_search('hdocs', dense_leg('embedding', $1, {K})) ORDER BY hybrid_rank");
    let bm25_sql = format!(
        "SELECT id FROM hybrid_search('hdocs', bm25_leg('content', $1, {K})) ORDER BY hybrid_rank"
    );
    let hybrid_sql = format!(
        "SELECT id, dense_rank, bm25_rank FROM hybrid_search('hdocs', dense_leg('embedding', $1, {K}), \
         bm25_leg('content', $2, {K}), rrf(60)) ORDER BY hybrid_rank LIMIT 10"
    );
    // The default fusion: equal weights over min-max normalised scores, every candidate scored
    // by both legs.
    let default_sql = format!(
        "SELECT id, dense_score, bm25_score, hybrid_score FROM hybrid_search('hdocs', \
         dense_leg('embedding', $1, {K}), bm25_leg('content', $2, {K})) ORDER BY hybrid_rank LIMIT 10"
    );
    let dense_scores_sql =
        format!("SELECT dense_score FROM hybrid_search('hdocs', dense_leg('embedding', $1, {K}))");
    let bm25_scores_sql =
        format!("SELECT bm25_score FROM hybrid_search('hdocs', bm25_leg('content', $1, {K}))");
    let distance_sql = "SELECT (embedding <=> $1::text::vector)::float8 FROM hdocs WHERE id = $2";
    let exact_sql =
        format!("SELECT id FROM hdocs ORDER BY embedding <=> $1::text::vector LIMIT {K}");
    let (mut hits, mut total) = (0usize, 0usize);
    let mut before = Vec::new();
    for (question, category, v) in &c.questions {
        let vt = vector_text(v);
        let dense = ids(&client, &dense_sql, &[&vt]).await;
        let bm25 = ids(&client, &bm25_sql, &[question]).await;
        assert!(!bm25.is_empty(), "no BM25 hit for {question:?}");
        // The operator form, with parameters: the same ranking.
        let by_operator = ids(
            &client,
            "SELECT id FROM hdocs ORDER BY content <&> $1 LIMIT $2",
            &[question, &10i64],
        )
        .await;
        assert_eq!(
            by_operator,
            bm25[..bm25.len().min(10)],
            "<&> for {question:?}"
        );
        assert_eq!(dense.len(), K);
        exec(&client, "SET enable_indexscan = off").await;
        let exact = ids(&client, &exact_sql, &[&vt]).await;
        exec(&client, "RESET enable_indexscan").await;
        let exact: HashSet<i32> = exact.into_iter().collect();
        hits += dense.iter().filter(|id| exact.contains(id)).count();
        total += K;
        // Fusion: what RRF over the two single-leg lists gives.
        let fused = client
            .query(&hybrid_sql, &[&vt, question])
            .await
            .unwrap_or_else(|e| panic!("{}", crate::util::describe(&e)));
        let got: Vec<i32> = fused.iter().map(|r| r.get(0)).collect();
        let want: Vec<i32> = rrf(&[dense.clone(), bm25.clone()])
            .into_iter()
            .take(10)
            .collect();
        assert_eq!(got, want, "fused top 10 for {question:?}");
        // Default fusion: each row's leg scores are its true distance / BM25 score, and the fused
        // score is their min-max normalisation (bounds from each leg's own hits, at least -1),
        // averaged.
        let bounds = |rows: Vec<tokio_postgres::Row>| {
            rows.iter()
                .map(|r| r.get::<_, f64>(0))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(x), hi.max(x))
                })
        };
        let (dlo, dhi) = bounds(client.query(&dense_scores_sql, &[&vt]).await.unwrap());
        let (blo, bhi) = bounds(client.query(&bm25_scores_sql, &[question]).await.unwrap());
        let default_rows = client
            .query(&default_sql, &[&vt, question])
            .await
            .unwrap_or_else(|e| panic!("{}", crate::util::describe(&e)));
        assert_eq!(default_rows.len(), 10);
        let mut last = f64::INFINITY;
        for r in &default_rows {
            let id: i32 = r.get(0);
            let d: f64 = r.get(1);
            let b: f64 = r.get(2);
            let h: f64 = r.get(3);
            let true_d: f64 = client
                .query_one(distance_sql, &[&vt, &id])
                .await
                .unwrap()
                .get(0);
            assert!(
                (d - true_d).abs() < 1e-6,
                "dense_score {d} of {id}, distance {true_d}"
            );
            // Rows a leg missed normalise below 0, clipped at -1.
            let want = 0.5 * ((dhi - d) / (dhi - dlo)).max(-1.0)
                + 0.5 * ((b - blo) / (bhi - blo)).max(-1.0);
            assert!(
                (h - want).abs() < 1e-9,
                "hybrid_score {h} of {id}, want {want}"
            );
            assert!(h <= last);
            last = h;
        }
        for r in &fused {
            let id: i32 = r.get(0);
            let d: Option<i32> = r.get(1);
            let b: Option<i32> = r.get(2);
            assert_eq!(d, dense.iter().position(|x| *x == id).map(|p| p as i32 + 1));
            assert_eq!(b, bm25.iter().position(|x| *x == id).map(|p| p as i32 + 1));
        }
        // WHERE reaches every leg: each returns k rows of the category (the dense leg has them).
        let filtered = client
            .query(
                &format!(
                    "SELECT id, category, dense_rank FROM hybrid_search('hdocs', dense_leg('embedding', $1, {K}), \
                     bm25_leg('content', $2, {K})) WHERE category = $3"
                ),
                &[&vt, question, category],
            )
            .await
            .unwrap_or_else(|e| panic!("{}", crate::util::describe(&e)));
        let in_category = c.docs.iter().filter(|d| d.0 == *category).count();
        let dense_rows = filtered
            .iter()
            .filter(|r| r.get::<_, Option<i32>>(2).is_some())
            .count();
        assert_eq!(dense_rows, K.min(in_category));
        assert!(filtered.iter().all(|r| r.get::<_, i32>(1) == *category));
        before.push((vt, question.clone(), got));
    }
    let recall = hits as f64 / total as f64;
    assert!(
        recall >= 0.9,
        "dense leg recall@{K} {recall:.3} against exact search"
    );

    // After a restart the postings are read back from their files, not rebuilt.
    // (A clean shutdown may seal the growing rows into a new segment, which gets a file of its own
    // on first use; the files there were are read, not rewritten.)
    let stamp = |p: &std::path::PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let files_before: Vec<_> = walk(&data_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "bm25"))
        .map(|p| (stamp(&p), p))
        .collect();
    server.restart();
    let client = server.connect().await;
    for (vt, question, got) in before.iter() {
        let fused = ids(&client, &hybrid_sql, &[vt, question]).await;
        assert_eq!(
            &fused, got,
            "results changed across a restart for {question:?}"
        );
    }
    for (before, p) in &files_before {
        assert_eq!(
            &stamp(p),
            before,
            "{} was rewritten after the restart",
            p.display()
        );
    }
    assert!(
        !server.log().contains("index file unusable"),
        "{}",
        server.log()
    );

    // A deleted row never comes back, from a sealed segment's postings or its graph.
    let (vt, question, top) = before[0].clone();
    exec(&client, &format!("DELETE FROM hdocs WHERE id = {}", top[0])).await;
    let after = ids(
        &client,
        &format!(
            "SELECT id FROM hybrid_search('hdocs', dense_leg('embedding', $1, {K}), bm25_leg('content', $2, {K}))"
        ),
        &[&vt, &question],
    )
    .await;
    assert!(!after.contains(&top[0]), "deleted row {} came back", top[0]);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
