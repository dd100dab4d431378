//! Rank fusion for `hybrid_search`: reciprocal-rank fusion (RRF) and weighted score fusion.
//!
//! Each retrieval leg hands in its hits best first, with the leg's raw score and whether a higher
//! raw score is better (BM25, inner product) or a lower one (distances). The fused list holds every
//! row any leg returned, best first.
//!
//! * `rrf(k)`: `sum over legs of 1 / (k + rank)`, rank starting at 1 (Cormack et al., 2009; `k = 60`
//!   is the paper's and Milvus' default). Uses ranks only, so legs on different scales mix without
//!   tuning.
//! * `weighted(w1, w2, ...)`: `sum of w_i * norm_i(score_i(row))`, where `norm_i` maps leg `i`'s
//!   scores to [0, 1] by min-max over the hits the leg returned ("relative score fusion"), 1 for
//!   the best. A row a leg did not return is scored by that leg all the same (`LegHits::filled`:
//!   its distance, BM25 score or inner product) and normalised with the same bounds, so it lands
//!   below 0 (down to -1) rather than at an arbitrary 0; a row the leg cannot score (a NULL
//!   value) gets the lowest normalised value of the leg's rows. Scoring every candidate on every leg is what lifts
//!   fusion above rank-only RRF on real data (`BENCHMARKS.md`); with equal weights it is
//!   `hybrid_search`'s default.

/// How legs are fused.
#[derive(Debug, Clone, PartialEq)]
pub enum Fusion {
    Rrf { k: f64 },
    Weighted { weights: Vec<f64> },
}

impl Fusion {
    /// RRF with the paper's k.
    pub fn rrf() -> Self {
        Fusion::Rrf { k: 60.0 }
    }

    /// `hybrid_search`'s default: weighted fusion with equal weights.
    pub fn default_for(legs: usize) -> Self {
        Fusion::Weighted {
            weights: vec![1.0 / legs.max(1) as f64; legs],
        }
    }

    /// Whether the fusion reads every leg's score of every candidate row.
    pub fn wants_filled(&self) -> bool {
        matches!(self, Fusion::Weighted { .. })
    }
}

impl std::fmt::Display for Fusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fusion::Rrf { k } => write!(f, "rrf(k={k})"),
            Fusion::Weighted { weights } => {
                // Four decimals: equal default weights of three legs read 0.3333.
                let w: Vec<String> = weights
                    .iter()
                    .map(|w| ((w * 1e4).round() / 1e4).to_string())
                    .collect();
                write!(f, "weighted({})", w.join(", "))
            }
        }
    }
}

/// One leg's hits, best first: (row key, raw score).
#[derive(Debug, Clone, Default)]
pub struct LegHits {
    pub hits: Vec<(u64, f64)>,
    /// The leg's raw scores of rows it did not return (other legs' hits), for weighted fusion.
    pub filled: std::collections::HashMap<u64, f64>,
    /// Higher raw scores are better (BM25, inner product); otherwise lower (distances).
    pub higher_is_better: bool,
}

/// A fused row: its key, fused score, and per leg its (rank from 1, raw score) when the leg found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    pub key: u64,
    pub score: f64,
    pub legs: Vec<Option<(usize, f64)>>,
}

/// Fuses legs; the result is ordered by fused score descending, ties by the best rank any leg gave
/// the row, then by key (deterministic).
pub fn fuse(legs: &[LegHits], fusion: &Fusion) -> Vec<Fused> {
    let mut rows: Vec<Fused> = Vec::new();
    let mut at: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (l, leg) in legs.iter().enumerate() {
        for (r, &(key, raw)) in leg.hits.iter().enumerate() {
            let i = *at.entry(key).or_insert_with(|| {
                rows.push(Fused {
                    key,
                    score: 0.0,
                    legs: vec![None; legs.len()],
                });
                rows.len() - 1
            });
            // A key listed twice by one leg keeps its best rank.
            if rows[i].legs[l].is_none() {
                rows[i].legs[l] = Some((r + 1, raw));
            }
        }
    }
    let norms: Vec<Option<(f64, f64)>> = legs
        .iter()
        .map(|leg| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &(_, s) in &leg.hits {
                if s.is_finite() {
                    lo = lo.min(s);
                    hi = hi.max(s);
                }
            }
            (lo <= hi).then_some((lo, hi))
        })
        .collect();
    // Min-max over the leg's own hits. Scores below them (filled in) go below 0, down to -1: one
    // leg range under its worst hit, so that a leg whose hits lie close together cannot outweigh
    // the other legs without bound.
    let normalise = |l: usize, raw: f64| -> Option<f64> {
        if !raw.is_finite() {
            return None;
        }
        Some(match norms[l] {
            Some((lo, hi)) if hi > lo => {
                let n = if legs[l].higher_is_better {
                    (raw - lo) / (hi - lo)
                } else {
                    (hi - raw) / (hi - lo)
                };
                n.max(-1.0)
            }
            // One hit, or hits all equal: the leg tells only "as good as its hits" (1) or worse (0).
            Some((lo, _)) => {
                let worse = if legs[l].higher_is_better {
                    raw < lo
                } else {
                    raw > lo
                };
                if worse {
                    0.0
                } else {
                    1.0
                }
            }
            None => 1.0,
        })
    };
    // The lowest normalised value of each leg's rows: what a row the leg cannot score gets.
    let floors: Vec<f64> = legs
        .iter()
        .enumerate()
        .map(|(l, leg)| {
            leg.filled
                .values()
                .filter_map(|&raw| normalise(l, raw))
                .fold(0.0, f64::min)
        })
        .collect();
    for row in &mut rows {
        row.score = row
            .legs
            .iter()
            .enumerate()
            .map(|(l, hit)| match fusion {
                Fusion::Rrf { k } => hit.map_or(0.0, |(rank, _)| 1.0 / (k + rank as f64)),
                Fusion::Weighted { weights } => {
                    let w = weights.get(l).copied().unwrap_or(0.0);
                    let raw = hit
                        .map(|(_, raw)| raw)
                        .or_else(|| legs[l].filled.get(&row.key).copied());
                    w * raw.and_then(|r| normalise(l, r)).unwrap_or(floors[l])
                }
            })
            .sum();
    }
    let best_rank = |f: &Fused| {
        f.legs
            .iter()
            .flatten()
            .map(|(r, _)| *r)
            .min()
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(best_rank(a).cmp(&best_rank(b)))
            .then(a.key.cmp(&b.key))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(keys: &[u64], higher: bool) -> LegHits {
        LegHits {
            hits: keys
                .iter()
                .enumerate()
                .map(|(i, &k)| {
                    (
                        k,
                        if higher {
                            10.0 - i as f64
                        } else {
                            i as f64 * 0.1
                        },
                    )
                })
                .collect(),
            higher_is_better: higher,
            ..Default::default()
        }
    }

    #[test]
    fn rrf_sums_reciprocal_ranks() {
        let fused = fuse(
            &[leg(&[1, 2, 3], false), leg(&[3, 1], true)],
            &Fusion::rrf(),
        );
        let keys: Vec<u64> = fused.iter().map(|f| f.key).collect();
        // 1: 1/61 + 1/62; 3: 1/63 + 1/61; 2: 1/62.
        assert_eq!(keys, vec![1, 3, 2]);
        assert!((fused[0].score - (1.0 / 61.0 + 1.0 / 62.0)).abs() < 1e-12);
        assert_eq!(fused[2].legs, vec![Some((2, 0.1)), None]);
    }

    #[test]
    fn weighted_normalises_each_leg() {
        let dense = LegHits {
            hits: vec![(1, 0.1), (2, 0.3), (3, 0.5)],
            higher_is_better: false,
            ..Default::default()
        };
        let bm25 = LegHits {
            hits: vec![(3, 12.0), (4, 2.0)],
            higher_is_better: true,
            ..Default::default()
        };
        let fused = fuse(
            &[dense, bm25],
            &Fusion::Weighted {
                weights: vec![0.7, 0.3],
            },
        );
        let score = |k: u64| fused.iter().find(|f| f.key == k).unwrap().score;
        assert!((score(1) - 0.7).abs() < 1e-12);
        assert!((score(2) - 0.35).abs() < 1e-12);
        assert!((score(3) - 0.3).abs() < 1e-12);
        assert!(score(4).abs() < 1e-12);
        assert_eq!(fused[0].key, 1);
    }

    #[test]
    fn weighted_scores_rows_a_leg_missed_with_its_own_score() {
        // Dense hits 1 (0.1), 2 (0.5); BM25 hits 3 (10), 4 (6). The dense distance of 3 is 0.3,
        // of 4 0.9; the BM25 score of 1 is 2, of 2 unknown (NULL text).
        let dense = LegHits {
            hits: vec![(1, 0.1), (2, 0.5)],
            higher_is_better: false,
            filled: [(3, 0.3), (4, 0.9)].into_iter().collect(),
        };
        let bm25 = LegHits {
            hits: vec![(3, 10.0), (4, 6.0)],
            higher_is_better: true,
            filled: [(1, 2.0)].into_iter().collect(),
        };
        let fused = fuse(&[dense, bm25], &Fusion::default_for(2));
        let score = |k: u64| fused.iter().find(|f| f.key == k).unwrap().score;
        // dense norm: (0.5 - d) / 0.4; bm25 norm: (s - 6) / 4, floor = min(0, -1) = -1.
        assert!((score(1) - 0.5 * (1.0 + -1.0)).abs() < 1e-12);
        assert!((score(2) - 0.5 * (0.0 + -1.0)).abs() < 1e-12);
        assert!((score(3) - 0.5 * (0.5 + 1.0)).abs() < 1e-12);
        assert!((score(4) - 0.5 * (-1.0 + 0.0)).abs() < 1e-12);
        let keys: Vec<u64> = fused.iter().map(|f| f.key).collect();
        assert_eq!(keys, vec![3, 1, 2, 4]);
    }

    #[test]
    fn ties_break_by_best_rank_then_key() {
        let fused = fuse(&[leg(&[5, 6], false), leg(&[6, 5], false)], &Fusion::rrf());
        assert_eq!(fused[0].score, fused[1].score);
        assert_eq!(fused[0].key, 5);
    }
}
