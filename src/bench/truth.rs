//! Exact ground truth and recall, computed by the tool itself.
//!
//! Recall@k counts a returned row as correct when it satisfies the query's filter and its distance
//! to the query is no larger than the true k-th neighbour's (with a relative tolerance of 1e-5 for
//! rounding differences between the server's arithmetic and ours). Counting by distance rather
//! than by id is what ann-benchmarks does: a data set with duplicate or equidistant documents
//! (wiki-squad-minilm has some) would otherwise give an exact search a recall below 1.

use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::ProgressBar;

use crate::bench::dataset::Vectors;
use crate::index::flat::{distance, TopK};
use crate::index::metric::Metric;

/// The exact answer to one query: its k nearest admissible rows (best first) and the distance
/// (internal scale of [`distance`]) a returned row may have to count as correct.
#[derive(Debug, Clone)]
pub struct Truth {
    pub ids: Vec<u32>,
    pub threshold: f32,
}

fn threshold(kth: f32) -> f32 {
    kth + 1e-5 * kth.abs().max(1.0)
}

/// Brute-force top-`k` of every query over the rows `admit(query, row)` accepts, on all cores.
pub fn exact(
    base: &Vectors,
    queries: &Vectors,
    metric: Metric,
    k: usize,
    admit: &(dyn Fn(usize, usize) -> bool + Sync),
    progress: &ProgressBar,
) -> Vec<Truth> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<Truth>> = vec![None; queries.len()];
    let slots: Vec<parking_lot::Mutex<&mut Option<Truth>>> =
        out.iter_mut().map(parking_lot::Mutex::new).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let q = next.fetch_add(1, Ordering::Relaxed);
                if q >= queries.len() {
                    break;
                }
                let qv = queries.row(q);
                let mut top = TopK::new(k);
                for r in 0..base.len() {
                    if admit(q, r) {
                        top.push(r as u32, distance(metric, qv, base.row(r)));
                    }
                }
                let best = top.into_sorted();
                let truth = Truth {
                    threshold: best.last().map_or(f32::INFINITY, |n| threshold(n.dist)),
                    ids: best.iter().map(|n| n.pos).collect(),
                };
                **slots[q].lock() = Some(truth);
                progress.inc(1);
            });
        }
    });
    drop(slots);
    out.into_iter()
        .map(|t| t.expect("every query answered"))
        .collect()
}

/// Ground truth from shipped exact ids (best first, for the whole base): the thresholds are the
/// distances of the k-th ids, computed here.
pub fn from_ids(
    base: &Vectors,
    queries: &Vectors,
    metric: Metric,
    k: usize,
    ids: &[Vec<i32>],
) -> Vec<Truth> {
    ids.iter()
        .enumerate()
        .map(|(q, row)| {
            let ids: Vec<u32> = row.iter().take(k).map(|&i| i as u32).collect();
            let kth = ids
                .iter()
                .map(|&i| distance(metric, queries.row(q), base.row(i as usize)))
                .fold(f32::NEG_INFINITY, f32::max);
            Truth {
                threshold: if ids.is_empty() {
                    f32::INFINITY
                } else {
                    threshold(kth)
                },
                ids,
            }
        })
        .collect()
}

/// Recall of one answer: correct rows (admissible, within the threshold, each counted once) over
/// the number of true neighbours (`min(k, admissible rows)`); 1 when there are none and none came back.
pub fn recall(
    got: &[i64],
    truth: &Truth,
    query: &[f32],
    base: &Vectors,
    metric: Metric,
    admit: impl Fn(usize) -> bool,
) -> f64 {
    let want = truth.ids.len();
    if want == 0 {
        return if got.is_empty() { 1.0 } else { 0.0 };
    }
    let mut seen = std::collections::HashSet::with_capacity(got.len());
    let mut correct = 0usize;
    for &id in got.iter().take(want) {
        if id < 0 || id as usize >= base.len() || !seen.insert(id) {
            continue;
        }
        let r = id as usize;
        if admit(r) && distance(metric, query, base.row(r)) <= truth.threshold {
            correct += 1;
        }
    }
    correct as f64 / want as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vecs(rows: &[[f32; 2]]) -> Vectors {
        Vectors {
            dim: 2,
            data: rows.iter().flatten().copied().collect(),
        }
    }

    #[test]
    fn exact_answers_have_recall_one_and_ties_count() {
        // Rows 1 and 2 are the same point: either may be returned as the 2nd neighbour.
        let base = vecs(&[[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [5.0, 5.0]]);
        let queries = vecs(&[[0.1, 0.0]]);
        let all = |_: usize, _: usize| true;
        let t = exact(&base, &queries, Metric::L2, 2, &all, &ProgressBar::hidden());
        assert_eq!(t[0].ids, vec![0, 1]);
        let r = |got: &[i64]| recall(got, &t[0], queries.row(0), &base, Metric::L2, |_| true);
        assert_eq!(r(&[0, 1]), 1.0);
        assert_eq!(
            r(&[0, 2]),
            1.0,
            "an equidistant row is as good as the listed one"
        );
        assert_eq!(r(&[0, 3]), 0.5);
        assert_eq!(r(&[0, 0]), 0.5, "a duplicate id counts once");
        assert_eq!(r(&[0]), 0.5, "too few rows lose recall");
        assert_eq!(r(&[9, -1]), 0.0, "ids outside the data set are wrong");
    }

    #[test]
    fn filtered_truth_respects_the_filter() {
        let base = vecs(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]);
        let queries = vecs(&[[0.0, 0.0]]);
        let odd = |_: usize, r: usize| r % 2 == 1;
        let t = exact(
            &base,
            &queries,
            Metric::L2,
            10,
            &odd,
            &ProgressBar::hidden(),
        );
        assert_eq!(t[0].ids, vec![1, 3], "min(k, matching rows)");
        let r = |got: &[i64]| {
            recall(got, &t[0], queries.row(0), &base, Metric::L2, |r| {
                r % 2 == 1
            })
        };
        assert_eq!(r(&[1, 3]), 1.0);
        assert_eq!(
            r(&[0, 1]),
            0.5,
            "a row outside the filter is wrong even if close"
        );
        // No admissible rows: an empty answer is right.
        let none = |_: usize, _: usize| false;
        let t = exact(
            &base,
            &queries,
            Metric::L2,
            10,
            &none,
            &ProgressBar::hidden(),
        );
        assert_eq!(
            recall(&[], &t[0], queries.row(0), &base, Metric::L2, |_| false),
            1.0
        );
    }

    #[test]
    fn shipped_ids_give_the_same_thresholds() {
        let base = vecs(&[[0.0, 1.0], [1.0, 0.0], [0.7, 0.7]]);
        let queries = vecs(&[[1.0, 0.1]]);
        let all = |_: usize, _: usize| true;
        let mine = exact(
            &base,
            &queries,
            Metric::Cosine,
            2,
            &all,
            &ProgressBar::hidden(),
        );
        let shipped = from_ids(&base, &queries, Metric::Cosine, 2, &[vec![1, 2, 0]]);
        assert_eq!(mine[0].ids, shipped[0].ids);
        assert_eq!(mine[0].threshold, shipped[0].threshold);
    }
}
