//! `quiver bench-hybrid`: retrieval quality and speed of BM25, dense and hybrid search on a data
//! set with text and relevance labels (`docs.jsonl.gz` + `queries.jsonl`, e.g.
//! `../shared/datasets/wiki-squad-minilm`).
//!
//! It loads the passages (id, category, text, embedding) with binary `COPY`, builds an HNSW index
//! on the embeddings and a `bm25` index on the text, then for each question asks for the top 10 by
//! BM25 alone, by dense search alone (exact, and through the HNSW index), and by `hybrid_search`
//! with RRF and with weighted fusion, and reports recall@10 of the gold passage (the share of
//! questions with a gold passage in the top 10) and nDCG@10 (binary relevance: the gold passages),
//! plus mean latency. It also times the hand-written equivalent (pgvector's hybrid-search recipe:
//! a vector CTE and a `ts_rank_cd` full-text CTE fused by RRF in SQL) on a few questions.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use bytes::{BufMut, BytesMut};
use futures::SinkExt;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;

use super::dataset::read_fvecs;
use super::{bar, connect, VectorParam};

#[derive(clap::Args, Debug, Clone)]
pub struct HybridBenchArgs {
    /// libpq-style connection string of the server.
    #[arg(
        long,
        default_value = "host=127.0.0.1 port=5433 user=postgres dbname=postgres"
    )]
    pub url: String,
    /// Data set directory (base.fvecs, query.fvecs, docs.jsonl.gz, queries.jsonl).
    #[arg(long)]
    pub dataset: PathBuf,
    /// Documents loaded (the first N; all by default).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Questions asked (the first N with a gold passage among the loaded documents).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Questions the hand-written SQL recipe is timed on.
    #[arg(long, default_value_t = 10)]
    pub recipe_queries: usize,
    /// Candidates per leg for the hybrid calls.
    #[arg(long, default_value_t = 100)]
    pub leg_k: usize,
    /// Weights (dense, bm25) of the weighted fusion line.
    #[arg(long, value_delimiter = ',', default_value = "0.6,0.4")]
    pub weights: Vec<f64>,
    #[arg(long, default_value = "hybrid_docs")]
    pub table: String,
    /// Reuse the loaded table and its indexes.
    #[arg(long)]
    pub no_load: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

struct Question {
    text: String,
    gold: HashSet<i64>,
}

/// One method's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    pub method: String,
    pub recall_at_10: f64,
    pub ndcg_at_10: f64,
    pub mean_ms: f64,
    pub queries: usize,
}

fn read_docs(dir: &std::path::Path, rows: usize) -> Result<Vec<(i32, String)>> {
    let f = std::fs::File::open(dir.join("docs.jsonl.gz")).context("opening docs.jsonl.gz")?;
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::with_capacity(rows);
    for line in r.lines().take(rows) {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let cat = v["category"].as_i64().unwrap_or(0) as i32;
        let text = v["text"].as_str().unwrap_or_default().to_string();
        out.push((cat, text));
    }
    Ok(out)
}

fn read_questions(
    dir: &std::path::Path,
    n: usize,
    rows: usize,
) -> Result<(Vec<usize>, Vec<Question>)> {
    let f = std::fs::File::open(dir.join("queries.jsonl")).context("opening queries.jsonl")?;
    let mut idx = Vec::new();
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        if out.len() == n {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let gold: HashSet<i64> = v["gold"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
            .unwrap_or_default();
        // Questions without a gold passage among the loaded documents cannot be scored.
        if gold.is_empty() || gold.iter().all(|g| *g as usize >= rows) {
            continue;
        }
        idx.push(i);
        out.push(Question {
            text: v["question"].as_str().unwrap_or_default().to_string(),
            gold,
        });
    }
    Ok((idx, out))
}

/// Recall@10 (gold passage in the top 10) and nDCG@10 with binary relevance.
fn score(top: &[i64], gold: &HashSet<i64>) -> (f64, f64) {
    let top = &top[..top.len().min(10)];
    let hit = top.iter().any(|id| gold.contains(id));
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter(|(_, id)| gold.contains(id))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..gold.len().min(10))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    (
        if hit { 1.0 } else { 0.0 },
        if ideal > 0.0 { dcg / ideal } else { 0.0 },
    )
}

async fn load(client: &Client, args: &HybridBenchArgs, docs: &[(i32, String)]) -> Result<()> {
    let table = &args.table;
    let base = read_fvecs(&args.dataset.join("base.fvecs"), Some(docs.len()))?;
    let dim = base.dim;
    client
        .batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS vector;
             DROP TABLE IF EXISTS {table};
             CREATE TABLE {table} (id integer PRIMARY KEY, category integer, content text, \
             embedding vector({dim}))"
        ))
        .await
        .context("creating the table")?;
    let pb = bar(docs.len() as u64, "binary COPY");
    let start = Instant::now();
    let sink = client
        .copy_in(&format!(
            "COPY {table} (id, category, content, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ))
        .await?;
    futures::pin_mut!(sink);
    let mut buf = BytesMut::with_capacity(1 << 20);
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
    for (i, (cat, text)) in docs.iter().enumerate() {
        buf.put_i16(4);
        buf.put_i32(4);
        buf.put_i32(i as i32);
        buf.put_i32(4);
        buf.put_i32(*cat);
        buf.put_i32(text.len() as i32);
        buf.put_slice(text.as_bytes());
        buf.put_i32(4 + 4 * dim as i32);
        buf.put_i16(dim as i16);
        buf.put_i16(0);
        for v in base.row(i) {
            buf.put_f32(*v);
        }
        if buf.len() >= 1 << 20 {
            sink.send(buf.split().freeze()).await?;
            pb.set_position(i as u64 + 1);
        }
    }
    buf.put_i16(-1);
    sink.send(buf.split().freeze()).await?;
    let rows = sink.finish().await?;
    pb.finish_and_clear();
    eprintln!(
        "quiver bench-hybrid: loaded {rows} rows in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    for sql in [
        format!("CREATE INDEX ON {table} USING hnsw (embedding vector_cosine_ops)"),
        format!("CREATE INDEX ON {table} USING bm25 (content) WITH (analyzer = 'english')"),
        // What pgvector's recipe (the hand-written CTE below) has PostgreSQL use for `@@`.
        format!("CREATE INDEX ON {table} USING gin (to_tsvector('english', content))"),
    ] {
        let t = Instant::now();
        client
            .batch_execute(&sql)
            .await
            .with_context(|| sql.clone())?;
        eprintln!(
            "quiver bench-hybrid: {sql}: {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Runs `sql` per question (`$1` the query vector, `$2` the question) and scores the ids it returns.
async fn measure(
    client: &Client,
    method: &str,
    sql: &str,
    vectors: &[Vec<f32>],
    questions: &[Question],
    limit: usize,
) -> Result<Line> {
    let stmt = client
        .prepare(sql)
        .await
        .with_context(|| format!("preparing {sql}"))?;
    let n = questions.len().min(limit);
    let pb = bar(n as u64, method);
    let (mut recall, mut ndcg) = (0.0, 0.0);
    let start = Instant::now();
    for (i, q) in questions.iter().take(n).enumerate() {
        // A parameter the server types as `vector` goes in pgvector's binary format; one it leaves
        // untyped (inside hybrid_search's arguments) as text.
        let v = VectorParam(&vectors[i]);
        let v_text = crate::sql::pgvector::format_vector(&vectors[i]);
        let params: Vec<&(dyn ToSql + Sync)> = stmt
            .params()
            .iter()
            .enumerate()
            .map(|(j, ty)| -> &(dyn ToSql + Sync) {
                match (j, ty.name()) {
                    (0, "vector") => &v,
                    (0, _) if stmt.params().len() == 2 => &v_text,
                    _ => &q.text,
                }
            })
            .collect();
        let rows = client
            .query(&stmt, &params)
            .await
            .with_context(|| format!("running {sql}"))?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get::<_, i32>(0).map(i64::from))
            .collect::<std::result::Result<_, _>>()?;
        let (r, g) = score(&ids, &q.gold);
        recall += r;
        ndcg += g;
        pb.inc(1);
    }
    let secs = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let line = Line {
        method: method.to_string(),
        recall_at_10: recall / n.max(1) as f64,
        ndcg_at_10: ndcg / n.max(1) as f64,
        mean_ms: secs * 1000.0 / n.max(1) as f64,
        queries: n,
    };
    eprintln!(
        "quiver bench-hybrid: {:<28} recall@10 {:.3}  nDCG@10 {:.3}  {:.2} ms/query",
        line.method, line.recall_at_10, line.ndcg_at_10, line.mean_ms
    );
    Ok(line)
}

pub fn run(args: HybridBenchArgs) -> Result<Vec<Line>> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_async(args))
}

async fn run_async(args: HybridBenchArgs) -> Result<Vec<Line>> {
    if args.weights.len() != 2 {
        bail!("--weights takes two weights (dense, bm25)");
    }
    let total = std::fs::metadata(args.dataset.join("base.fvecs"))
        .context("reading base.fvecs")?
        .len() as usize
        / (4 * 385);
    let rows = args.rows.unwrap_or(total).min(total);
    let client = connect(&args.url, &[]).await?;
    if !args.no_load {
        let docs = read_docs(&args.dataset, rows)?;
        load(&client, &args, &docs).await?;
    }
    let (indices, questions) = read_questions(&args.dataset, args.queries, rows)?;
    let all = read_fvecs(
        &args.dataset.join("query.fvecs"),
        indices.iter().max().map(|m| m + 1),
    )?;
    let vectors: Vec<Vec<f32>> = indices.iter().map(|&i| all.row(i).to_vec()).collect();
    let t = &args.table;
    let k = args.leg_k;
    let (wd, wb) = (args.weights[0], args.weights[1]);
    let n = questions.len();
    let mut lines = Vec::new();
    lines.push(measure(&client, "BM25 (bm25_leg)",
        &format!("SELECT id FROM hybrid_search('{t}', bm25_leg('content', $1::text, 10)) ORDER BY hybrid_rank LIMIT 10"),
        &vectors, &questions, n).await?);
    client.batch_execute("SET enable_indexscan = off").await?;
    lines.push(
        measure(
            &client,
            "dense, exact",
            &format!("SELECT id FROM {t} ORDER BY embedding <=> $1 LIMIT 10"),
            &vectors,
            &questions,
            n,
        )
        .await?,
    );
    client.batch_execute("RESET enable_indexscan").await?;
    lines.push(
        measure(
            &client,
            "dense, HNSW (ef_search 40)",
            &format!("SELECT id FROM {t} ORDER BY embedding <=> $1 LIMIT 10"),
            &vectors,
            &questions,
            n,
        )
        .await?,
    );
    lines.push(measure(&client, &format!("hybrid_search defaults, legs k={k}"),
        &format!("SELECT id FROM hybrid_search('{t}', dense_leg('embedding', $1::vector, {k}), bm25_leg('content', $2::text, {k})) ORDER BY hybrid_rank LIMIT 10"),
        &vectors, &questions, n).await?);
    lines.push(measure(&client, "hybrid_search rrf(60)",
        &format!("SELECT id FROM hybrid_search('{t}', dense_leg('embedding', $1::vector, {k}), bm25_leg('content', $2::text, {k}), rrf(60)) ORDER BY hybrid_rank LIMIT 10"),
        &vectors, &questions, n).await?);
    lines.push(measure(&client, &format!("hybrid_search weighted({wd}, {wb})"),
        &format!("SELECT id FROM hybrid_search('{t}', dense_leg('embedding', $1::vector, {k}), bm25_leg('content', $2::text, {k}), weighted({wd}, {wb})) ORDER BY hybrid_rank LIMIT 10"),
        &vectors, &questions, n).await?);
    // pgvector's recipe, by hand: the same two legs' fusion written as SQL CTEs (full-text leg
    // through to_tsvector / ts_rank_cd, since that is what PostgreSQL offers).
    let recipe = format!(
        "WITH semantic AS (
           SELECT id, RANK() OVER (ORDER BY embedding <=> $1) AS rank
           FROM {t} ORDER BY embedding <=> $1 LIMIT {k}),
         keyword AS (
           SELECT id, RANK() OVER (ORDER BY ts_rank_cd(to_tsvector('english', content), query) DESC) AS rank
           FROM {t}, plainto_tsquery('english', $2::text) query
           WHERE to_tsvector('english', content) @@ query
           ORDER BY ts_rank_cd(to_tsvector('english', content), query) DESC LIMIT {k})
         SELECT COALESCE(semantic.id, keyword.id) AS id,
                COALESCE(1.0 / (60 + semantic.rank), 0.0) + COALESCE(1.0 / (60 + keyword.rank), 0.0) AS score
         FROM semantic FULL OUTER JOIN keyword ON semantic.id = keyword.id
         ORDER BY score DESC LIMIT 10"
    );
    lines.push(
        measure(
            &client,
            "hand-written RRF CTE (recipe)",
            &recipe,
            &vectors,
            &questions,
            args.recipe_queries,
        )
        .await?,
    );
    println!("| method | recall@10 | nDCG@10 | ms/query | questions |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for l in &lines {
        println!(
            "| {} | {:.3} | {:.3} | {:.2} | {} |",
            l.method, l.recall_at_10, l.ndcg_at_10, l.mean_ms, l.queries
        );
    }
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&lines)?)?;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_and_ndcg() {
        let gold: HashSet<i64> = [7].into_iter().collect();
        assert_eq!(score(&[7, 1, 2], &gold), (1.0, 1.0));
        let (r, n) = score(&[1, 7], &gold);
        assert_eq!(r, 1.0);
        assert!((n - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(score(&[1, 2], &gold), (0.0, 0.0));
        // Beyond rank 10 does not count.
        let late: Vec<i64> = (100..110).chain([7]).collect();
        assert_eq!(score(&late, &gold).0, 0.0);
    }
}
