//! Rank fusion for `hybrid_search`: reciprocal-rank fusion (RRF) and weighted score fusion.
//!
//! Each retrieval leg hands in its hits best first, with the leg's raw score and whether a higher
//! raw score is better (BM25, inner product) or a lower one (distances). The fused list holds every
//! row any leg returned, best first.
//!
//! * `rrf(k)`: `sum over legs of 1 / (k + rank)`, rank starting at 1 (Cormack et al., 2009; `k = 60`
//!   is the paper's and Milvus' default). Uses ranks only, so legs on different scales mix without
//!   tuning.
//! * `weighted(w1, w2, ...)`: `sum of w_i * norm_i(score)`, where `norm_i` maps leg `i`'s scores
//!   over its returned hits to [0, 1] by min-max ("relative score fusion"), 1 for the best; a row a
//!   leg did not return adds 0 for that leg.

/// How legs are fused.
#[derive(Debug, Clone, PartialEq)]
pub enum Fusion {
    Rrf { k: f64 },
    Weighted { weights: Vec<f64> },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Rrf { k: 60.0 }
    }
}

impl std::fmt::Display for Fusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fusion::Rrf { k } => write!(f, "rrf(k={k})"),
            Fusion::Weighted { weights } => {
                let w: Vec<String> = weights.iter().map(|w| w.to_string()).collect();
                write!(f, "weighted({})", w.join(", "))
            }
        }
    }
}

/// One leg's hits, best first: (row key, raw score).
#[derive(Debug, Clone, Default)]
pub struct LegHits {
    pub hits: Vec<(u64, f64)>,
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
    for row in &mut rows {
        row.score = row
            .legs
            .iter()
            .enumerate()
            .map(|(l, hit)| {
                let Some((rank, raw)) = hit else {
                    return 0.0;
                };
                match fusion {
                    Fusion::Rrf { k } => 1.0 / (k + *rank as f64),
                    Fusion::Weighted { weights } => {
                        let w = weights.get(l).copied().unwrap_or(0.0);
                        let norm = match norms[l] {
                            Some((lo, hi)) if hi > lo && raw.is_finite() => {
                                if legs[l].higher_is_better {
                                    (raw - lo) / (hi - lo)
                                } else {
                                    (hi - raw) / (hi - lo)
                                }
                            }
                            Some(_) if raw.is_finite() => 1.0,
                            _ => 0.0,
                        };
                        w * norm
                    }
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
        }
    }

    #[test]
    fn rrf_sums_reciprocal_ranks() {
        let fused = fuse(
            &[leg(&[1, 2, 3], false), leg(&[3, 1], true)],
            &Fusion::default(),
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
        };
        let bm25 = LegHits {
            hits: vec![(3, 12.0), (4, 2.0)],
            higher_is_better: true,
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
    fn ties_break_by_best_rank_then_key() {
        let fused = fuse(
            &[leg(&[5, 6], false), leg(&[6, 5], false)],
            &Fusion::default(),
        );
        assert_eq!(fused[0].score, fused[1].score);
        assert_eq!(fused[0].key, 5);
    }
}
