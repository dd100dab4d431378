//! Criterion micro-benchmarks of the engine's inner loops, on generated data (no server, no SQL):
//!
//! - `distance/*`: the distance kernels shared by exact and approximate search — each dispatched
//!   kernel (AVX2/FMA/F16C when the CPU has them) next to the portable build every other CPU
//!   gets, for `vector` (f32) at 384 and 1536 dimensions, `halfvec` (f16), `sparsevec` and `bit`;
//! - `exact/*`: a brute-force top-10 over 20,000 rows (what a segment without an index costs);
//! - `hnsw/*` and `ivfflat/*`: index build on 10,000 rows, and single-query search on 20,000
//!   (recall@10 against brute force is printed once per configuration, so a faster search that
//!   got worse shows).
//!
//! `cargo bench --bench micro` (add `-- distance` to run one group; `-- --test` runs each once,
//! as CI does). Figures are in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use half::f16;

use quiver::index::flat::TopK;
use quiver::index::hnsw::{HnswConfig, HnswIndex};
use quiver::index::ivfflat::IvfFlatIndex;
use quiver::index::metric::{self, portable};
use quiver::index::{Metric, SearchParams, SearchStats, VectorIndex, VectorSet};

/// xorshift64*: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }

    fn vector(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.unit()).collect()
    }
}

/// `n` rows of `dim` shaped like embeddings: 64 cluster centres, and within a cluster a spread
/// along 24 latent directions shared by all rows plus a little isotropic noise. Embeddings have a
/// low intrinsic dimension; uniform noise in all `dim` directions would make every neighbour
/// nearly equidistant, which no ANN index (or application) faces.
fn clustered(n: usize, dim: usize, seed: u64) -> VectorSet {
    const LATENT: usize = 24;
    // The data's shape (centres, directions) is the same for every seed, so that query sets
    // drawn with another seed come from the same distribution; the rows differ by seed.
    let mut shape = Rng(0x5eed);
    let centres: Vec<Vec<f32>> = (0..64).map(|_| shape.vector(dim)).collect();
    let directions: Vec<Vec<f32>> = (0..LATENT).map(|_| shape.vector(dim)).collect();
    let mut rng = Rng(seed);
    let mut data = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let c = &centres[(rng.next() % 64) as usize];
        let z: Vec<f32> = (0..LATENT).map(|_| 0.4 * rng.unit()).collect();
        for (j, &cj) in c.iter().enumerate() {
            let spread: f32 = directions.iter().zip(&z).map(|(d, zi)| d[j] * zi).sum();
            data.push(cj + spread + 0.3 * rng.unit());
        }
    }
    VectorSet {
        dim,
        data,
        present: vec![true; n],
    }
}

fn distance(c: &mut Criterion) {
    let mut rng = Rng(7);
    for dim in [384usize, 1536] {
        let (a, b) = (rng.vector(dim), rng.vector(dim));
        let mut g = c.benchmark_group(format!("distance/f32x{dim}"));
        g.throughput(Throughput::Elements(dim as u64));
        type F32Kernel = fn(&[f32], &[f32]) -> f32;
        let kernels: [(&str, F32Kernel, F32Kernel); 3] = [
            ("l2_squared", metric::l2_squared, portable::l2_squared),
            ("dot", metric::dot, portable::dot),
            ("l1", metric::l1, portable::l1),
        ];
        for (name, fast, slow) in kernels {
            g.bench_function(BenchmarkId::new(name, "dispatched"), |x| {
                x.iter(|| fast(black_box(&a), black_box(&b)))
            });
            g.bench_function(BenchmarkId::new(name, "portable"), |x| {
                x.iter(|| slow(black_box(&a), black_box(&b)))
            });
        }
        g.bench_function(BenchmarkId::new("cosine_sums", "dispatched"), |x| {
            x.iter(|| metric::cosine_sums(black_box(&a), black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("cosine_sums", "portable"), |x| {
            x.iter(|| portable::cosine_sums(black_box(&a), black_box(&b)))
        });
        g.finish();
    }

    let dim = 384;
    let a: Vec<f16> = rng.vector(dim).into_iter().map(f16::from_f32).collect();
    let b: Vec<f16> = rng.vector(dim).into_iter().map(f16::from_f32).collect();
    let mut g = c.benchmark_group("distance/f16x384");
    g.throughput(Throughput::Elements(dim as u64));
    g.bench_function(BenchmarkId::new("l2_squared", "dispatched"), |x| {
        x.iter(|| metric::l2_squared_f16(black_box(&a), black_box(&b)))
    });
    g.bench_function(BenchmarkId::new("l2_squared", "portable"), |x| {
        x.iter(|| portable::l2_squared_f16(black_box(&a), black_box(&b)))
    });
    g.bench_function(BenchmarkId::new("dot", "dispatched"), |x| {
        x.iter(|| metric::dot_f16(black_box(&a), black_box(&b)))
    });
    g.bench_function(BenchmarkId::new("dot", "portable"), |x| {
        x.iter(|| portable::dot_f16(black_box(&a), black_box(&b)))
    });
    g.finish();

    // sparsevec: 100 non-zeros each out of 30,000 dimensions (a SPLADE-like vector), sorted
    // indices as pgvector keeps them.
    let sparse = |rng: &mut Rng| -> (Vec<i32>, Vec<f32>) {
        let mut idx: Vec<i32> = (0..100).map(|_| (rng.next() % 30_000) as i32).collect();
        idx.sort_unstable();
        idx.dedup();
        let vals = idx.iter().map(|_| rng.unit()).collect();
        (idx, vals)
    };
    let (ai, av) = sparse(&mut rng);
    let (bi, bv) = sparse(&mut rng);
    let mut g = c.benchmark_group("distance/sparse100of30000");
    g.bench_function("dot", |x| {
        x.iter(|| metric::sparse_dot(black_box(&ai), &av, black_box(&bi), &bv))
    });
    g.bench_function("l2_squared", |x| {
        x.iter(|| metric::sparse_l2_squared(black_box(&ai), &av, black_box(&bi), &bv))
    });
    g.finish();

    // bit(1024): binary-quantised 1024-dimensional embeddings.
    let a: Vec<u8> = (0..128).map(|_| rng.next() as u8).collect();
    let b: Vec<u8> = (0..128).map(|_| rng.next() as u8).collect();
    let mut g = c.benchmark_group("distance/bit1024");
    g.throughput(Throughput::Elements(1024));
    g.bench_function(BenchmarkId::new("hamming", "dispatched"), |x| {
        x.iter(|| metric::hamming(black_box(&a), black_box(&b)))
    });
    g.bench_function(BenchmarkId::new("hamming", "portable"), |x| {
        x.iter(|| portable::hamming(black_box(&a), black_box(&b)))
    });
    g.bench_function(BenchmarkId::new("jaccard", "dispatched"), |x| {
        x.iter(|| metric::jaccard(black_box(&a), black_box(&b)))
    });
    g.finish();
}

/// Brute-force top-k positions (squared L2), the reference for recall.
fn brute_force(set: &VectorSet, q: &[f32], k: usize) -> Vec<u32> {
    let mut top = TopK::new(k);
    for i in 0..set.len() {
        top.push(i as u32, metric::l2_squared(set.row(i), q));
    }
    top.into_sorted().into_iter().map(|n| n.pos).collect()
}

const DIM: usize = 128;
const BUILD_ROWS: usize = 10_000;
const SEARCH_ROWS: usize = 20_000;
const QUERIES: usize = 200;

fn queries(dim: usize) -> Vec<Vec<f32>> {
    let q = clustered(QUERIES, dim, 99);
    (0..QUERIES).map(|i| q.row(i).to_vec()).collect()
}

fn recall(index: &dyn VectorIndex, set: &VectorSet, qs: &[Vec<f32>], p: &SearchParams) -> f64 {
    let mut hit = 0usize;
    for q in qs {
        let truth = brute_force(set, q, p.k);
        let got = index
            .search(q, p, None, &mut SearchStats::default())
            .expect("search");
        hit += got.iter().filter(|n| truth.contains(&n.pos)).count();
    }
    hit as f64 / (qs.len() * p.k) as f64
}

fn exact(c: &mut Criterion) {
    let set = clustered(SEARCH_ROWS, DIM, 3);
    let qs = queries(DIM);
    let mut g = c.benchmark_group("exact");
    g.throughput(Throughput::Elements(SEARCH_ROWS as u64));
    let mut i = 0;
    g.bench_function(format!("top10_of_{SEARCH_ROWS}x{DIM}"), |x| {
        x.iter(|| {
            i = (i + 1) % qs.len();
            brute_force(&set, black_box(&qs[i]), 10)
        })
    });
    g.finish();
}

fn hnsw(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let build_set = clustered(BUILD_ROWS, DIM, 1);
    let mut g = c.benchmark_group("hnsw");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BUILD_ROWS as u64));
    g.bench_function(
        format!("build_{BUILD_ROWS}x{DIM}_m16_efc64_{threads}threads"),
        |x| {
            x.iter(|| {
                HnswIndex::build(
                    Metric::L2,
                    build_set.clone(),
                    HnswConfig::default(),
                    threads,
                    &|_| true,
                )
                .expect("build")
            })
        },
    );
    g.finish();

    let set = clustered(SEARCH_ROWS, DIM, 3);
    let index = HnswIndex::build(
        Metric::L2,
        set.clone(),
        HnswConfig::default(),
        threads,
        &|_| true,
    )
    .expect("build");
    let variants = [20usize, 40, 100].map(|ef| {
        let p = SearchParams {
            k: 10,
            ef_search: ef,
            ..SearchParams::default()
        };
        (format!("ef{ef}"), format!("ef_search={ef}"), p)
    });
    search(c, "hnsw", &index, &set, &variants);
}

/// One benchmark per search variant `(id, description, params)` over the shared query set, in
/// group `group`, each preceded by its recall@10 against brute force (printed).
fn search(
    c: &mut Criterion,
    group: &str,
    index: &dyn VectorIndex,
    set: &VectorSet,
    variants: &[(String, String, SearchParams)],
) {
    let qs = queries(DIM);
    let mut g = c.benchmark_group(group);
    for (id, what, p) in variants {
        eprintln!(
            "{group} search {SEARCH_ROWS}x{DIM} {what}: recall@10 {:.3}",
            recall(index, set, &qs, p)
        );
        let mut i = 0;
        g.bench_function(
            BenchmarkId::new(format!("search_{SEARCH_ROWS}x{DIM}_k10"), id),
            |x| {
                x.iter(|| {
                    i = (i + 1) % qs.len();
                    index
                        .search(black_box(&qs[i]), p, None, &mut SearchStats::default())
                        .expect("search")
                })
            },
        );
    }
    g.finish();
}

fn ivfflat(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let build_set = clustered(BUILD_ROWS, DIM, 1);
    let mut g = c.benchmark_group("ivfflat");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BUILD_ROWS as u64));
    g.bench_function(format!("build_{BUILD_ROWS}x{DIM}_lists100"), |x| {
        x.iter(|| {
            IvfFlatIndex::build(Metric::L2, build_set.clone(), 100, threads, &|_| true)
                .expect("build")
        })
    });
    g.finish();

    let set = clustered(SEARCH_ROWS, DIM, 3);
    let index =
        IvfFlatIndex::build(Metric::L2, set.clone(), 141, threads, &|_| true).expect("build");
    let variants = [1usize, 10].map(|probes| {
        let p = SearchParams {
            k: 10,
            probes,
            max_probes: probes,
            ..SearchParams::default()
        };
        (
            format!("probes{probes}"),
            format!("lists=141 probes={probes}"),
            p,
        )
    });
    search(c, "ivfflat", &index, &set, &variants);
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = micro;
    config = config();
    targets = distance, exact, hnsw, ivfflat
}
criterion_main!(micro);
