//! `quiver bench`: one instrument for every server that speaks PostgreSQL with pgvector's SQL.
//!
//! For a data set in `../shared/datasets/` it creates a table, loads it with binary `COPY`, builds
//! an index, then runs the query set over a sweep of search parameters with 1 and N concurrent
//! clients and reports recall@k against exact ground truth, QPS, latency percentiles and the
//! server's memory; a filtered workload (`WHERE category = ...` or a uniform predicate of chosen
//! selectivity) and an exact-search line too. The same SQL runs against quiver and against
//! PostgreSQL + pgvector, so the two can be compared in one run (`bench/compare.sh`).
//!
//! The client is tokio-postgres with prepared statements and pgvector's binary vector format: the
//! cheapest a driver gets, so the figures measure the servers rather than the client.

pub mod dataset;
pub mod hybrid;
pub mod report;
pub mod sysmem;
pub mod truth;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::{BufMut, BytesMut};
use futures::SinkExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_postgres::types::{IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement};

use crate::index::metric::Metric;
use dataset::Dataset;
use report::{Point, Report};
use truth::Truth;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexArg {
    Hnsw,
    Ivfflat,
    /// No index: every query is an exact scan.
    None,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricArg {
    Cosine,
    L2,
    Ip,
}

impl MetricArg {
    fn metric(self) -> Metric {
        match self {
            MetricArg::Cosine => Metric::Cosine,
            MetricArg::L2 => Metric::L2,
            MetricArg::Ip => Metric::InnerProduct,
        }
    }
    fn operator(self) -> &'static str {
        match self {
            MetricArg::Cosine => "<=>",
            MetricArg::L2 => "<->",
            MetricArg::Ip => "<#>",
        }
    }
    fn opclass(self) -> &'static str {
        match self {
            MetricArg::Cosine => "vector_cosine_ops",
            MetricArg::L2 => "vector_l2_ops",
            MetricArg::Ip => "vector_ip_ops",
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Server to measure: a libpq connection string or URL.
    #[arg(
        long,
        env = "QUIVER_BENCH_URL",
        default_value = "host=127.0.0.1 port=5433 user=postgres dbname=postgres"
    )]
    pub url: String,
    /// Name of this server in the report [default: from `SELECT version()`].
    #[arg(long)]
    pub label: Option<String>,
    /// Data set folder (`base.fvecs`, `query.fvecs`, optional `gt.ivecs`, `docs.jsonl.gz`).
    #[arg(
        long,
        env = "QUIVER_DATASET",
        default_value = "../shared/datasets/wiki-squad-minilm"
    )]
    pub dataset: PathBuf,
    /// Documents to load: the first N rows of `base.fvecs` [default: all; 10,000 with --quick].
    #[arg(long)]
    pub rows: Option<usize>,
    /// Queries to run per sweep point (the first N of `query.fvecs`) [default: 1000; 200 with --quick].
    #[arg(long)]
    pub queries: Option<usize>,
    /// Times each point's queries are run, back to back: QPS is the median pass, so that a noisy
    /// machine (a shared VM) moves it less; recall and latency percentiles cover every pass.
    #[arg(long, default_value_t = 1)]
    pub passes: usize,
    /// Neighbours per query (LIMIT k); recall@k is measured.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    #[arg(long, value_enum, default_value_t = MetricArg::Cosine)]
    pub metric: MetricArg,
    #[arg(long, value_enum, default_value_t = IndexArg::Hnsw)]
    pub index: IndexArg,
    /// HNSW `m`.
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW `ef_construction`.
    #[arg(long, default_value_t = 64)]
    pub ef_construction: usize,
    /// IVFFlat `lists` [default: rows / 1000, at least 10].
    #[arg(long)]
    pub lists: Option<usize>,
    /// Search parameter values to sweep: `hnsw.ef_search` for HNSW, `ivfflat.probes` for IVFFlat
    /// [default: 10,20,40,64,100,200,400 / 1,2,5,10,20,40; 10,20,40,80 / 1,5,20 with --quick].
    #[arg(long, value_delimiter = ',')]
    pub sweep: Option<Vec<usize>>,
    /// Concurrent client counts [default: 1,4; 1,2 with --quick].
    #[arg(long, value_delimiter = ',')]
    pub clients: Option<Vec<usize>>,
    /// Filtered workloads: `category` (the data set's column; query j asks for category j % 10,
    /// ~10 % of rows), `uniform:<fraction>` (a hash bucket predicate of that selectivity) or `none`
    /// [default: category].
    #[arg(long = "filter")]
    pub filters: Vec<String>,
    /// Settings the filtered workloads run under, one variant each: `default` or
    /// `name=value[;name=value]` (e.g. `hnsw.iterative_scan=relaxed_order`).
    #[arg(long = "filter-settings")]
    pub filter_settings: Vec<String>,
    /// Also run this many queries as exact search (`SET enable_indexscan = off`)
    /// [default: 0; 50 with --quick].
    #[arg(long)]
    pub exact_queries: Option<usize>,
    /// SQL run on every connection first (e.g. `SET maintenance_work_mem = '2GB'`); repeatable.
    #[arg(long = "setup")]
    pub setup: Vec<String>,
    /// Table to create (dropped first) and query.
    #[arg(long, default_value = "bench_items")]
    pub table: String,
    /// Reuse the table and index a previous run left (no load, no build).
    #[arg(long)]
    pub skip_load: bool,
    /// Pid of the server, for its memory [default: the local process listening on the port].
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Recall at which QPS is read off the sweep (interpolated).
    #[arg(long, default_value_t = 0.95)]
    pub target_recall: f64,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as Markdown here (it is always printed).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// A small run (first 10,000 rows, 200 queries, short sweep) that finishes in a minute or two.
    #[arg(long)]
    pub quick: bool,
}

/// The run's parameters with --quick and defaults applied.
struct Plan {
    rows: Option<usize>,
    queries: usize,
    passes: usize,
    sweep: Vec<usize>,
    clients: Vec<usize>,
    filters: Vec<Filter>,
    filter_settings: Vec<String>,
    exact_queries: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    /// `category = query % 10`.
    Category,
    /// `bucket < fraction * 1000`.
    Uniform(f64),
}

impl Filter {
    fn parse(s: &str) -> Result<Option<Filter>> {
        match s.trim() {
            "none" => Ok(None),
            "category" => Ok(Some(Filter::Category)),
            other => match other.strip_prefix("uniform:").map(str::parse::<f64>) {
                Some(Ok(f)) if f > 0.0 && f <= 1.0 => Ok(Some(Filter::Uniform(f))),
                _ => bail!(
                    "--filter {other}: expected category, uniform:<fraction in (0, 1]> or none"
                ),
            },
        }
    }

    fn name(&self) -> String {
        match self {
            Filter::Category => "filter category = q % 10".into(),
            Filter::Uniform(f) => format!("filter uniform {:.1} %", f * 100.0),
        }
    }

    /// Whether document `row` passes the filter of query `q`.
    fn admits(&self, ds: &Dataset, q: usize, row: usize) -> bool {
        match self {
            Filter::Category => ds.category[row] == (q % 10) as i32,
            Filter::Uniform(f) => ds.bucket(row) < self.bound(*f),
        }
    }

    fn bound(&self, f: f64) -> i32 {
        (f * 1000.0).round() as i32
    }
}

impl BenchArgs {
    fn plan(&self) -> Result<Plan> {
        let hnsw = self.index != IndexArg::Ivfflat;
        let sweep = match (&self.sweep, self.quick, hnsw) {
            (Some(s), _, _) => s.clone(),
            (None, false, true) => vec![10, 20, 40, 64, 100, 200, 400],
            (None, false, false) => vec![1, 2, 5, 10, 20, 40],
            (None, true, true) => vec![10, 20, 40, 80],
            (None, true, false) => vec![1, 5, 20],
        };
        let mut filters = Vec::new();
        for f in &self.filters {
            filters.extend(Filter::parse(f)?);
        }
        if self.filters.is_empty() {
            filters.push(Filter::Category);
        }
        let clients =
            self.clients
                .clone()
                .unwrap_or_else(|| if self.quick { vec![1, 2] } else { vec![1, 4] });
        if clients.contains(&0) || self.k == 0 || self.passes == 0 {
            bail!("--clients, --k and --passes must be positive");
        }
        Ok(Plan {
            rows: self.rows.or(self.quick.then_some(10_000)),
            queries: self.queries.unwrap_or(if self.quick { 200 } else { 1000 }),
            passes: self.passes,
            sweep,
            clients,
            filters,
            filter_settings: if self.filter_settings.is_empty() {
                vec!["default".into()]
            } else {
                self.filter_settings.clone()
            },
            exact_queries: self
                .exact_queries
                .unwrap_or(if self.quick { 50 } else { 0 }),
        })
    }
}

/// A pgvector `vector` parameter in the binary format (int16 dim, int16 unused, float4s).
#[derive(Debug)]
struct VectorParam<'a>(&'a [f32]);

impl ToSql for VectorParam<'_> {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_i16(self.0.len() as i16);
        out.put_i16(0);
        for v in self.0 {
            out.put_f32(*v);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        ty.name() == "vector"
    }

    tokio_postgres::types::to_sql_checked!();
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} {per_sec:>12} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

async fn connect(url: &str, setup: &[String]) -> Result<Client> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("quiver bench: connection error: {e}");
        }
    });
    for s in setup {
        client
            .batch_execute(s)
            .await
            .with_context(|| format!("running setup `{s}`"))?;
    }
    Ok(client)
}

/// Runs the benchmark and prints its report; the entry point of `quiver bench`.
pub fn run(args: BenchArgs) -> Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: BenchArgs) -> Result<Report> {
    let plan = args.plan()?;
    let started = Instant::now();
    eprintln!("quiver bench: loading {}", args.dataset.display());
    let ds = Arc::new(
        Dataset::load(&args.dataset, plan.rows, plan.queries)
            .with_context(|| format!("loading the data set {}", args.dataset.display()))?,
    );
    if ds.queries.len() < plan.queries {
        eprintln!(
            "quiver bench: the data set has {} queries; using them all",
            ds.queries.len()
        );
    }
    let metric = args.metric.metric();
    let k = args.k;

    // Ground truth: shipped for the whole set (unfiltered), computed here otherwise.
    let truth: Vec<Truth> = match (&ds.shipped_truth, metric) {
        (Some(ids), Metric::Cosine) if ids.first().is_some_and(|r| r.len() >= k) => {
            truth::from_ids(&ds.base, &ds.queries, metric, k, ids)
        }
        _ => {
            let pb = bar(ds.queries.len() as u64, "exact ground truth");
            let t = truth::exact(&ds.base, &ds.queries, metric, k, &|_, _| true, &pb);
            pb.finish_and_clear();
            t
        }
    };
    let mut filter_truth: Vec<(Filter, Vec<Truth>)> = Vec::new();
    for f in &plan.filters {
        let pb = bar(ds.queries.len() as u64, "filtered ground truth");
        let admit = |q: usize, r: usize| f.admits(&ds, q, r);
        let t = truth::exact(&ds.base, &ds.queries, metric, k, &admit, &pb);
        pb.finish_and_clear();
        filter_truth.push((f.clone(), t));
    }

    let client = connect(&args.url, &args.setup).await?;
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .context("SELECT version()")?
        .get(0);
    let label = args
        .label
        .clone()
        .unwrap_or_else(|| version.split(" on ").next().unwrap_or(&version).to_string());
    let server_pid = args
        .server_pid
        .or_else(|| url_port(&args.url).and_then(sysmem::pid_listening_on));
    let memory = || server_pid.and_then(sysmem::tree_memory);
    let mut report = Report::new(
        &label,
        &version,
        &args,
        &ds,
        plan.queries.min(ds.queries.len()),
    );
    report.memory.before_load = memory();

    let table = &args.table;
    let index_name = format!("{table}_embedding_idx");
    if !args.skip_load {
        load(&client, &args, &ds, &mut report).await?;
        report.memory.after_load = memory();
        if args.index != IndexArg::None {
            build(&client, &args, &ds, &index_name, &mut report).await?;
            report.memory.after_build = memory();
        }
    }
    if args.index != IndexArg::None {
        report.index.size_bytes = client
            .query_one(&format!("SELECT pg_relation_size('{index_name}')"), &[])
            .await
            .ok()
            .and_then(|r| r.try_get::<_, i64>(0).ok());
    }

    // Connections for the query phase, the setup applied.
    let max_clients = plan.clients.iter().copied().max().unwrap_or(1);
    let mut conns = Vec::with_capacity(max_clients);
    for _ in 0..max_clients {
        conns.push(connect(&args.url, &args.setup).await?);
    }
    let op = args.metric.operator();
    let ann_sql = format!("SELECT id FROM {table} ORDER BY embedding {op} $1 LIMIT {k}");
    let setting = match args.index {
        IndexArg::Hnsw => Some("hnsw.ef_search"),
        IndexArg::Ivfflat => Some("ivfflat.probes"),
        IndexArg::None => None,
    };
    let n = plan.queries.min(ds.queries.len());
    let all: Vec<usize> = (0..n).collect();
    let sweep: Vec<Option<usize>> = match setting {
        Some(_) => plan.sweep.iter().copied().map(Some).collect(),
        None => vec![None],
    };
    for value in &sweep {
        let settings: Vec<String> = match (setting, value) {
            (Some(s), Some(v)) => vec![format!("SET {s} = {v}")],
            _ => vec![],
        };
        for &clients in &plan.clients {
            let label = match (setting, value) {
                (Some(s), Some(v)) => format!("{s}={v}"),
                _ => "no index".into(),
            };
            let point = measure(
                &conns[..clients],
                &ann_sql,
                &settings,
                &ds,
                &all,
                &QueryKind::Plain,
                &truth,
                metric,
                plan.passes,
                &format!("ann {label}, {clients} client(s)"),
            )
            .await?;
            report.results.push(Point {
                workload: "ann".into(),
                setting: label,
                param: *value,
                clients,
                ..point
            });
        }
    }
    reset(&conns, &args.setup).await?;

    // Filtered workloads at 1 client, per settings variant.
    for (filter, ftruth) in &filter_truth {
        let sql = match filter {
            Filter::Category => format!(
                "SELECT id FROM {table} WHERE category = $2 ORDER BY embedding {op} $1 LIMIT {k}"
            ),
            Filter::Uniform(_) => format!(
                "SELECT id FROM {table} WHERE bucket < $2 ORDER BY embedding {op} $1 LIMIT {k}"
            ),
        };
        for variant in &plan.filter_settings {
            let settings = settings_statements(variant)?;
            let kind = QueryKind::Filtered(filter.clone());
            let point = measure(
                &conns[..1],
                &sql,
                &settings,
                &ds,
                &all,
                &kind,
                ftruth,
                metric,
                plan.passes,
                &format!("{}, {variant}", filter.name()),
            )
            .await?;
            report.results.push(Point {
                workload: filter.name(),
                setting: variant.clone(),
                param: None,
                clients: 1,
                ..point
            });
            reset(&conns[..1], &args.setup).await?;
        }
    }

    // Exact search: the ground truth as the server computes it.
    if plan.exact_queries > 0 {
        let some: Vec<usize> = (0..plan.exact_queries.min(n)).collect();
        let point = measure(
            &conns[..1],
            &ann_sql,
            &["SET enable_indexscan = off".to_string()],
            &ds,
            &some,
            &QueryKind::Plain,
            &truth,
            metric,
            1,
            "exact (enable_indexscan = off)",
        )
        .await?;
        report.results.push(Point {
            workload: "exact".into(),
            setting: "enable_indexscan=off".into(),
            param: None,
            clients: 1,
            ..point
        });
        reset(&conns[..1], &args.setup).await?;
    }
    report.memory.after_queries = memory();
    report.finish(args.target_recall, started.elapsed());

    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &markdown).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

/// `default` or `name=value;name=value` as SET statements.
fn settings_statements(variant: &str) -> Result<Vec<String>> {
    if variant.trim() == "default" {
        return Ok(vec![]);
    }
    variant
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok(format!("SET {} = {}", k.trim(), v.trim())),
            None => bail!("--filter-settings {variant}: expected name=value"),
        })
        .collect()
}

/// Settings back to the server's defaults on every connection (RESET ALL), then the setup again.
async fn reset(conns: &[Client], setup: &[String]) -> Result<()> {
    for c in conns {
        c.batch_execute("RESET ALL").await.context("RESET ALL")?;
        for s in setup {
            c.batch_execute(s)
                .await
                .with_context(|| format!("running setup `{s}`"))?;
        }
    }
    Ok(())
}

fn url_port(url: &str) -> Option<u16> {
    let config: tokio_postgres::Config = url.parse().ok()?;
    let local = config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1")
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    });
    if !local {
        return None;
    }
    Some(config.get_ports().first().copied().unwrap_or(5432))
}

async fn load(client: &Client, args: &BenchArgs, ds: &Dataset, report: &mut Report) -> Result<()> {
    let table = &args.table;
    let dim = ds.base.dim;
    client
        .batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS vector;
             DROP TABLE IF EXISTS {table};
             CREATE TABLE {table} (id integer PRIMARY KEY, category integer, bucket integer, \
             embedding vector({dim}))"
        ))
        .await
        .context("creating the table")?;
    let pb = bar(ds.base.len() as u64, "binary COPY");
    let start = Instant::now();
    let sink = client
        .copy_in(&format!(
            "COPY {table} (id, category, bucket, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ))
        .await
        .context("starting COPY")?;
    futures::pin_mut!(sink);
    let mut buf = BytesMut::with_capacity(1 << 20);
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0);
    buf.put_i32(0);
    for i in 0..ds.base.len() {
        buf.put_i16(4);
        buf.put_i32(4);
        buf.put_i32(i as i32);
        buf.put_i32(4);
        buf.put_i32(ds.category[i]);
        buf.put_i32(4);
        buf.put_i32(ds.bucket(i));
        buf.put_i32(4 + 4 * dim as i32);
        buf.put_i16(dim as i16);
        buf.put_i16(0);
        for v in ds.base.row(i) {
            buf.put_f32(*v);
        }
        if buf.len() >= 1 << 20 {
            sink.send(buf.split().freeze()).await.context("COPY data")?;
            pb.set_position(i as u64 + 1);
        }
    }
    buf.put_i16(-1);
    sink.send(buf.split().freeze()).await.context("COPY data")?;
    let rows = sink.finish().await.context("finishing COPY")?;
    let secs = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    if rows as usize != ds.base.len() {
        bail!("COPY loaded {rows} rows, expected {}", ds.base.len());
    }
    eprintln!(
        "quiver bench: loaded {rows} rows in {secs:.1} s ({:.0} rows/s)",
        rows as f64 / secs
    );
    report.load.rows = rows;
    report.load.seconds = secs;
    report.load.rows_per_second = rows as f64 / secs;
    Ok(())
}

async fn build(
    client: &Client,
    args: &BenchArgs,
    ds: &Dataset,
    index_name: &str,
    report: &mut Report,
) -> Result<()> {
    let table = &args.table;
    let opclass = args.metric.opclass();
    let sql = match args.index {
        IndexArg::Hnsw => format!(
            "CREATE INDEX {index_name} ON {table} USING hnsw (embedding {opclass}) \
             WITH (m = {}, ef_construction = {})",
            args.m, args.ef_construction
        ),
        IndexArg::Ivfflat => {
            let lists = args.lists.unwrap_or((ds.base.len() / 1000).max(10));
            format!(
                "CREATE INDEX {index_name} ON {table} USING ivfflat (embedding {opclass}) \
                 WITH (lists = {lists})"
            )
        }
        IndexArg::None => return Ok(()),
    };
    report.index.sql = Some(sql.clone());
    // Progress from pg_stat_progress_create_index, polled on a second connection.
    let watcher = connect(&args.url, &[]).await?;
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("template"));
    pb.set_message("CREATE INDEX");
    let start = Instant::now();
    let build = client.batch_execute(&sql);
    futures::pin_mut!(build);
    let result = loop {
        tokio::select! {
            r = &mut build => break r,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                if let Ok(rows) = watcher
                    .query(
                        "SELECT phase, tuples_done, tuples_total FROM pg_stat_progress_create_index",
                        &[],
                    )
                    .await
                {
                    if let Some(r) = rows.first() {
                        let phase: Option<String> = r.try_get(0).ok();
                        let done: Option<i64> = r.try_get(1).ok();
                        let total: Option<i64> = r.try_get(2).ok();
                        pb.set_message(format!(
                            "CREATE INDEX: {} {}/{}",
                            phase.unwrap_or_default(),
                            done.unwrap_or(0),
                            total.unwrap_or(0)
                        ));
                    }
                }
                pb.tick();
            }
        }
    };
    result.with_context(|| format!("building the index: {sql}"))?;
    let secs = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    eprintln!("quiver bench: index built in {secs:.1} s");
    report.index.build_seconds = Some(secs);
    Ok(())
}

/// One query: its result ids.
async fn run_query(
    c: &Client,
    stmt: &Statement,
    vector: &[f32],
    filter: Option<i32>,
) -> std::result::Result<Vec<i64>, tokio_postgres::Error> {
    let v = VectorParam(vector);
    let rows = match &filter {
        Some(f) => c.query(stmt, &[&v, f]).await?,
        None => c.query(stmt, &[&v]).await?,
    };
    rows.iter()
        .map(|r| {
            r.try_get::<_, i32>(0)
                .map(i64::from)
                .or_else(|_| r.try_get::<_, i64>(0))
        })
        .collect()
}

enum QueryKind {
    Plain,
    Filtered(Filter),
}

/// Runs `queries` split round-robin over `conns`, after `settings` and a short warm-up on each;
/// returns recall, QPS and latency (the point's labels are filled in by the caller).
#[allow(clippy::too_many_arguments)]
async fn measure(
    conns: &[Client],
    sql: &str,
    settings: &[String],
    ds: &Arc<Dataset>,
    queries: &[usize],
    kind: &QueryKind,
    truth: &[Truth],
    metric: Metric,
    passes: usize,
    what: &str,
) -> Result<Point> {
    let mut stmts: Vec<Statement> = Vec::with_capacity(conns.len());
    for c in conns {
        for s in settings {
            c.batch_execute(s).await.with_context(|| format!("`{s}`"))?;
        }
        stmts.push(
            c.prepare(sql)
                .await
                .with_context(|| format!("preparing `{sql}`"))?,
        );
    }
    let filter_value = |q: usize| -> i32 {
        match kind {
            QueryKind::Plain => 0,
            QueryKind::Filtered(Filter::Category) => (q % 10) as i32,
            QueryKind::Filtered(f @ Filter::Uniform(frac)) => f.bound(*frac),
        }
    };
    let filtered = matches!(kind, QueryKind::Filtered(_));
    let arg = |q: usize| filtered.then(|| filter_value(q));
    // Warm-up: plans cached, index pages or files loaded.
    for (c, stmt) in conns.iter().zip(&stmts) {
        for &q in queries.iter().take(10) {
            run_query(c, stmt, ds.queries.row(q), arg(q))
                .await
                .with_context(|| format!("running `{sql}`"))?;
        }
    }
    // Index use, as EXPLAIN shows it (with the first query's parameters).
    let index_used = explain_uses_index(
        &conns[0],
        sql,
        ds,
        queries[0],
        filter_value(queries[0]),
        kind,
    )
    .await;

    let pb = bar((queries.len() * passes) as u64, what);
    let mut pass_qps = Vec::with_capacity(passes);
    let mut all = Vec::with_capacity(queries.len() * passes);
    for _ in 0..passes {
        let start = Instant::now();
        let workers = conns.iter().zip(&stmts).enumerate().map(|(w, (c, stmt))| {
            let mine: Vec<usize> = queries
                .iter()
                .copied()
                .skip(w)
                .step_by(conns.len())
                .collect();
            let pb = pb.clone();
            let arg = &arg;
            async move {
                let mut out = Vec::with_capacity(mine.len());
                for q in mine {
                    let t = Instant::now();
                    let ids = run_query(c, stmt, ds.queries.row(q), arg(q)).await?;
                    out.push((q, t.elapsed(), ids));
                    pb.inc(1);
                }
                Ok::<_, tokio_postgres::Error>(out)
            }
        });
        let results = futures::future::try_join_all(workers)
            .await
            .with_context(|| format!("running `{sql}`"))?;
        pass_qps.push(queries.len() as f64 / start.elapsed().as_secs_f64());
        all.extend(results.into_iter().flatten());
    }
    pb.finish_and_clear();
    pass_qps.sort_by(f64::total_cmp);
    let qps = pass_qps[pass_qps.len() / 2];

    let mut latencies = Vec::with_capacity(all.len());
    let mut recall_sum = 0.0;
    let mut rows_sum = 0usize;
    let mut expected_sum = 0usize;
    for (q, lat, ids) in all {
        latencies.push(lat);
        rows_sum += ids.len();
        expected_sum += truth[q].ids.len();
        let filter = match kind {
            QueryKind::Plain => None,
            QueryKind::Filtered(f) => Some(f),
        };
        recall_sum += truth::recall(&ids, &truth[q], ds.queries.row(q), &ds.base, metric, |r| {
            filter.is_none_or(|f| f.admits(ds, q, r))
        });
    }
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let n = latencies.len() as f64;
    let point = Point {
        workload: String::new(),
        setting: String::new(),
        param: None,
        clients: conns.len(),
        queries: queries.len(),
        passes,
        recall: recall_sum / n,
        qps,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        mean_rows: rows_sum as f64 / n,
        expected_rows: expected_sum as f64 / n,
        index_used,
    };
    eprintln!(
        "quiver bench: {what}: recall@{} {:.4}, {:.0} QPS, p50 {:.2} ms, p99 {:.2} ms, {:.2} rows",
        truth.first().map_or(0, |t| t.ids.len().max(1)),
        point.recall,
        point.qps,
        point.p50_ms,
        point.p99_ms,
        point.mean_rows
    );
    Ok(point)
}

/// Whether the server's plan for `sql` names the index (pgvector: `Index Scan using ...`;
/// quiver: `AnnSearchExec: ... index=...`). `None` when EXPLAIN fails.
async fn explain_uses_index(
    c: &Client,
    sql: &str,
    ds: &Dataset,
    q: usize,
    filter_value: i32,
    kind: &QueryKind,
) -> Option<bool> {
    let v = VectorParam(ds.queries.row(q));
    let explain = format!("EXPLAIN {sql}");
    let rows = match kind {
        QueryKind::Plain => c.query(&explain, &[&v]).await,
        QueryKind::Filtered(_) => c.query(&explain, &[&v, &filter_value]).await,
    }
    .ok()?;
    let text: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect();
    let text = text.join("\n");
    Some(text.contains("_embedding_idx"))
}
