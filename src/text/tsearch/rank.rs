//! `ts_rank` and `ts_rank_cd` (`tsrank.c`), with the same mix of `float4` and `float8`
//! arithmetic as the C code so that the `real` results are bit-identical.

use std::collections::VecDeque;

use super::exec::{matching_entries, ts_execute, PhraseData, Tern};
use super::query::{Item, Op, Operand, TsQuery};
use super::{wep_pos, wep_weight, TsError, TsVector, MAXENTRYPOS};

/// The default weights, in PostgreSQL's array order `{D, C, B, A}`.
pub const DEFAULT_WEIGHTS: [f32; 4] = [0.1, 0.2, 0.4, 1.0];

const RANK_NORM_LOGLENGTH: i32 = 0x01;
const RANK_NORM_LENGTH: i32 = 0x02;
const RANK_NORM_EXTDIST: i32 = 0x04;
const RANK_NORM_UNIQ: i32 = 0x08;
const RANK_NORM_LOGUNIQ: i32 = 0x10;
const RANK_NORM_RDIVRPLUS1: i32 = 0x20;

/// `getWeights` for a user-supplied `real[]` (after the caller checked it is one-dimensional,
/// has at least 4 elements and no NULLs): negative entries take the default, entries above 1
/// are rejected (`weight out of range`, 22023). The ranking functions apply the same
/// substitution themselves; this is for the error.
pub fn check_weights(w: &[f32]) -> Result<[f32; 4], TsError> {
    let mut ws = DEFAULT_WEIGHTS;
    for i in 0..4 {
        let v = w.get(i).copied().unwrap_or(-1.0);
        ws[i] = if v >= 0.0 { v } else { DEFAULT_WEIGHTS[i] };
        if ws[i] > 1.0 {
            return Err(TsError::InvalidParameter("weight out of range".to_string()));
        }
    }
    Ok(ws)
}

fn weights_of(w: Option<[f32; 4]>) -> [f32; 4] {
    match w {
        None => DEFAULT_WEIGHTS,
        Some(w) => {
            let mut ws = DEFAULT_WEIGHTS;
            for i in 0..4 {
                ws[i] = if w[i] >= 0.0 {
                    w[i]
                } else {
                    DEFAULT_WEIGHTS[i]
                };
            }
            ws
        }
    }
}

/// `word_distance`: weight of a word collocation.
fn word_distance(w: i32) -> f32 {
    if w > 100 {
        return 1e-30f32;
    }
    (1.0f64 / (1.005f64 + 0.05f64 * ((w as f32) as f64 / 1.5 - 2.0).exp())) as f32
}

/// `cnt_length`: number of positions (a lexeme without positions counts once).
fn cnt_length(t: &TsVector) -> i32 {
    t.entries()
        .iter()
        .map(|e| {
            if e.positions.is_empty() {
                1
            } else {
                e.positions.len() as i32
            }
        })
        .sum()
}

/// `SortAndUniqItems`: operands sorted by lexeme, duplicates (by lexeme) dropped.
fn sort_and_uniq(q: &TsQuery) -> Vec<&Operand> {
    let mut res: Vec<&Operand> = q
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Val(o) => Some(o),
            Item::Opr { .. } => None,
        })
        .collect();
    if res.len() < 2 {
        return res;
    }
    // PostgreSQL's (unstable) qsort decides which of equal operands survives, and the survivor's
    // prefix flag matters: sort exactly like it.
    pg_qsort(&mut res, &mut |a: &&Operand, b: &&Operand| {
        a.lexeme.as_bytes().cmp(b.lexeme.as_bytes()) as i32
    });
    res.dedup_by(|b, a| a.lexeme == b.lexeme);
    res
}

/// `pg_qsort` / `qsort_arg` (src/include/lib/sort_template.h): Bentley & McIlroy quicksort
/// with insertion sort below 7 elements and a presorted check, transcribed so that the order of
/// equal elements is PostgreSQL's.
pub(crate) fn pg_qsort<T>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> i32) {
    fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut dyn FnMut(&T, &T) -> i32) -> usize {
        if cmp(&v[a], &v[b]) < 0 {
            if cmp(&v[b], &v[c]) < 0 {
                b
            } else if cmp(&v[a], &v[c]) < 0 {
                c
            } else {
                a
            }
        } else if cmp(&v[b], &v[c]) > 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            a
        } else {
            c
        }
    }
    fn swapn<T>(v: &mut [T], a: usize, b: usize, n: usize) {
        for i in 0..n {
            v.swap(a + i, b + i);
        }
    }
    let mut a = 0usize;
    let mut n = v.len();
    loop {
        if n < 7 {
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]) > 0 {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        if (a + 1..a + n).all(|pm| cmp(&v[pm - 1], &v[pm]) <= 0) {
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[a]);
                if r > 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[a]);
                if r < 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let d1 = (pa - a).min(pb - pa);
        swapn(v, a, pb - d1, d1);
        let d1 = (pd - pc).min(pn - pd - 1);
        swapn(v, pb, pn - d1, d1);
        let d1 = pb - pa;
        let d2 = pd - pc;
        if d1 <= d2 {
            if d1 > 1 {
                pg_qsort(&mut v[a..a + d1], cmp);
            }
            if d2 > 1 {
                a = pn - d2;
                n = d2;
                continue;
            }
        } else {
            if d2 > 1 {
                pg_qsort(&mut v[pn - d2..pn], cmp);
            }
            if d1 > 1 {
                n = d1;
                continue;
            }
        }
        return;
    }
}

fn calc_rank_and(w: &[f32; 4], t: &TsVector, q: &TsQuery) -> f32 {
    let item = sort_and_uniq(q);
    if item.len() < 2 {
        return calc_rank_or(w, t, q);
    }
    // positions of each operand; None = not found yet; the dummy for a lexeme without positions
    // is a single position MAXENTRYPOS-1 of weight D
    let posnull: Vec<u16> = vec![(MAXENTRYPOS - 1) as u16];
    let mut pos: Vec<Option<(&[u16], bool)>> = vec![None; item.len()];
    let wpos = |p: u16| w[wep_weight(p) as usize];
    let mut res: f32 = -1.0;
    for i in 0..item.len() {
        let range = matching_entries(t, item[i]);
        for e in &t.entries()[range] {
            let cur: (&[u16], bool) = if e.positions.is_empty() {
                (&posnull, true)
            } else {
                (&e.positions, false)
            };
            pos[i] = Some(cur);
            let post = cur.0;
            for &(ct, ct_null) in pos[..i].iter().flatten() {
                for &pl in post {
                    for &pp in ct {
                        let mut dist = (i32::from(wep_pos(pl)) - i32::from(wep_pos(pp))).abs();
                        if dist != 0 || cur.1 || ct_null {
                            if dist == 0 {
                                dist = MAXENTRYPOS as i32;
                            }
                            let prod: f32 = wpos(pl) * wpos(pp) * word_distance(dist);
                            let curw = (prod as f64).sqrt() as f32;
                            res = if res < 0.0 {
                                curw
                            } else {
                                (1.0f64 - (1.0f64 - res as f64) * (1.0f64 - curw as f64)) as f32
                            };
                        }
                    }
                }
            }
        }
    }
    res
}

fn calc_rank_or(w: &[f32; 4], t: &TsVector, q: &TsQuery) -> f32 {
    let item = sort_and_uniq(q);
    let posnull: [u16; 1] = [0];
    let wpos = |p: u16| w[wep_weight(p) as usize];
    let mut res: f32 = 0.0;
    for it in &item {
        let range = matching_entries(t, it);
        for e in &t.entries()[range] {
            let post: &[u16] = if e.positions.is_empty() {
                &posnull
            } else {
                &e.positions
            };
            let mut resj: f32 = 0.0;
            let mut wjm: f32 = -1.0;
            let mut jm: i32 = 0;
            for (j, &p) in post.iter().enumerate() {
                let j = j as i32;
                resj += wpos(p) / ((j + 1) * (j + 1)) as f32;
                if wpos(p) > wjm {
                    wjm = wpos(p);
                    jm = j;
                }
            }
            // limit (sum(1/i^2), i -> inf) = pi^2/6
            let inner: f32 = wjm + resj - wjm / ((jm + 1) * (jm + 1)) as f32;
            res = (res as f64 + inner as f64 / 1.64493406685f64) as f32;
        }
    }
    if !item.is_empty() {
        res /= item.len() as f32;
    }
    res
}

fn calc_rank(w: &[f32; 4], t: &TsVector, q: &TsQuery, method: i32) -> f32 {
    if t.is_empty() || q.items.is_empty() {
        return 0.0;
    }
    let mut res = match q.items[0] {
        Item::Opr {
            op: Op::And | Op::Phrase,
            ..
        } => calc_rank_and(w, t, q),
        _ => calc_rank_or(w, t, q),
    };
    if res < 0.0 {
        res = 1e-20f32;
    }
    let size = t.entries().len() as i32;
    if method & RANK_NORM_LOGLENGTH != 0 && size > 0 {
        res = (res as f64 / (((cnt_length(t) + 1) as f64).ln() / 2.0f64.ln())) as f32;
    }
    if method & RANK_NORM_LENGTH != 0 {
        let len = cnt_length(t);
        if len > 0 {
            res /= len as f32;
        }
    }
    // RANK_NORM_EXTDIST not applicable
    if method & RANK_NORM_UNIQ != 0 && size > 0 {
        res /= size as f32;
    }
    if method & RANK_NORM_LOGUNIQ != 0 && size > 0 {
        res = (res as f64 / (((size + 1) as f64).ln() / 2.0f64.ln())) as f32;
    }
    if method & RANK_NORM_RDIVRPLUS1 != 0 {
        res /= res + 1.0;
    }
    res
}

/// `ts_rank([weights,] vector, query [, normalization])`. `weights` is PostgreSQL's `{D, C, B,
/// A}` array (None = `{0.1, 0.2, 0.4, 1.0}`; negative entries take the default). Callers must
/// reject weights above 1 first ([`check_weights`]).
pub fn ts_rank(weights: Option<[f32; 4]>, v: &TsVector, q: &TsQuery, normalization: i32) -> f32 {
    calc_rank(&weights_of(weights), v, q, normalization)
}

// ------------------------------------------------------------------------------------------------
// Cover density
// ------------------------------------------------------------------------------------------------

/// One position of the document that some query operands match.
struct DocRep {
    /// Packed position (with weight).
    pos: u16,
    /// Indexes (in the query's item array) of the operands matching here.
    items: Vec<usize>,
}

/// Per-operand state of `QueryRepresentation`.
#[derive(Clone, Default)]
struct QrOperand {
    exists: bool,
    reverse: bool,
    /// Positions in ascending order.
    pos: VecDeque<u16>,
}

fn get_docrep(t: &TsVector, q: &TsQuery) -> Vec<DocRep> {
    // (pos, entry index, item index)
    let mut doc: Vec<(u16, usize, usize)> = Vec::new();
    for (i, it) in q.items.iter().enumerate() {
        let Item::Val(o) = it else { continue };
        let range = matching_entries(t, o);
        for ei in range {
            let e = &t.entries()[ei];
            // lexemes without positions are ignored
            for &p in &e.positions {
                if o.weight == 0 || u16::from(o.weight) & (1 << wep_weight(p)) != 0 {
                    doc.push((p, ei, i));
                }
            }
        }
    }
    if doc.is_empty() {
        return Vec::new();
    }
    // compareDocR: position, then weight, then entry
    doc.sort_by(|a, b| {
        wep_pos(a.0)
            .cmp(&wep_pos(b.0))
            .then(wep_weight(a.0).cmp(&wep_weight(b.0)))
            .then(a.1.cmp(&b.1))
    });
    let mut out: Vec<DocRep> = Vec::new();
    let mut prev: Option<(u16, usize)> = None;
    for (p, e, i) in doc {
        if prev == Some((p, e)) {
            out.last_mut().expect("doc entry").items.push(i);
        } else {
            out.push(DocRep {
                pos: p,
                items: vec![i],
            });
        }
        prev = Some((p, e));
    }
    out
}

fn reset_qr(qr: &mut [QrOperand], reverse: bool) {
    for o in qr.iter_mut() {
        o.exists = false;
        o.reverse = reverse;
        o.pos.clear();
    }
}

/// `fillQueryRepresentationData`.
fn fill_qr(qr: &mut [QrOperand], entry: &DocRep) {
    for &i in &entry.items {
        let o = &mut qr[i];
        o.exists = true;
        if o.pos.is_empty() {
            o.pos.push_back(entry.pos);
            continue;
        }
        let last = if o.reverse {
            o.pos[0]
        } else {
            o.pos[o.pos.len() - 1]
        };
        if wep_pos(last) != wep_pos(entry.pos) {
            if o.reverse {
                o.pos.push_front(entry.pos);
            } else {
                o.pos.push_back(entry.pos);
            }
        }
    }
}

fn qr_matches(q: &TsQuery, qr: &[QrOperand]) -> bool {
    let chk = |i: usize, _o: &Operand, data: Option<&mut PhraseData>| -> Tern {
        let o = &qr[i];
        if !o.exists {
            return Tern::No;
        }
        if let Some(d) = data {
            d.pos = o.pos.iter().copied().collect();
        }
        Tern::Yes
    };
    ts_execute(&q.items, 0, &chk)
}

struct CoverExt {
    pos: usize,
    p: i32,
    q: i32,
    begin: usize,
    end: usize,
}

/// `Cover`: the next minimal extent of the document satisfying the query.
fn cover(doc: &[DocRep], q: &TsQuery, qr: &mut [QrOperand], ext: &mut CoverExt) -> bool {
    loop {
        let mut lastpos = ext.pos;
        let mut found = false;
        reset_qr(qr, false);
        ext.p = i32::MAX;
        ext.q = 0;
        // find upper bound of cover from current position, move up
        let mut ptr = ext.pos;
        while ptr < doc.len() {
            fill_qr(qr, &doc[ptr]);
            if qr_matches(q, qr) {
                let p = i32::from(wep_pos(doc[ptr].pos));
                if p > ext.q {
                    ext.q = p;
                    ext.end = ptr;
                    lastpos = ptr;
                    found = true;
                }
                break;
            }
            ptr += 1;
        }
        if !found {
            return false;
        }
        reset_qr(qr, true);
        // find lower bound of cover from found upper bound, move down
        let mut ptr = lastpos as isize;
        while ptr >= ext.pos as isize {
            fill_qr(qr, &doc[ptr as usize]);
            if qr_matches(q, qr) {
                let p = i32::from(wep_pos(doc[ptr as usize].pos));
                if p < ext.p {
                    ext.begin = ptr as usize;
                    ext.p = p;
                }
                break;
            }
            ptr -= 1;
        }
        if ext.p <= ext.q {
            // next try starts after the beginning of this cover
            ext.pos = (ptr + 1) as usize;
            return true;
        }
        ext.pos += 1;
    }
}

fn calc_rank_cd(w: &[f32; 4], t: &TsVector, q: &TsQuery, method: i32) -> f32 {
    let mut invws = [0f64; 4];
    for i in 0..4 {
        invws[i] = 1.0 / f64::from(w[i]);
    }
    if q.items.is_empty() {
        return 0.0;
    }
    let doc = get_docrep(t, q);
    if doc.is_empty() {
        return 0.0;
    }
    let mut qr = vec![QrOperand::default(); q.items.len()];
    let mut ext = CoverExt {
        pos: 0,
        p: 0,
        q: 0,
        begin: 0,
        end: 0,
    };
    let mut wdoc = 0.0f64;
    let mut sum_dist = 0.0f64;
    let mut prev_ext_pos = 0.0f64;
    let mut n_extent = 0i32;
    while cover(&doc, q, &mut qr, &mut ext) {
        let mut inv_sum = 0.0f64;
        for d in &doc[ext.begin..=ext.end] {
            inv_sum += invws[wep_weight(d.pos) as usize];
        }
        let span = ext.end as i32 - ext.begin as i32;
        let cpos = f64::from(span + 1) / inv_sum;
        // if the document is big enough, ext.q may equal ext.p due to the position limit: then
        // approximate the number of noise words as half the cover's length
        let mut n_noise = (ext.q - ext.p) - span;
        if n_noise < 0 {
            n_noise = span / 2;
        }
        wdoc += cpos / f64::from(1 + n_noise);
        let cur_ext_pos = f64::from(ext.q + ext.p) / 2.0;
        if n_extent > 0 && cur_ext_pos > prev_ext_pos {
            sum_dist += 1.0 / (cur_ext_pos - prev_ext_pos);
        }
        prev_ext_pos = cur_ext_pos;
        n_extent += 1;
    }
    let size = t.entries().len() as i32;
    if method & RANK_NORM_LOGLENGTH != 0 && size > 0 {
        wdoc /= f64::from(cnt_length(t) + 1).ln();
    }
    if method & RANK_NORM_LENGTH != 0 {
        let len = cnt_length(t);
        if len > 0 {
            wdoc /= f64::from(len);
        }
    }
    if method & RANK_NORM_EXTDIST != 0 && n_extent > 0 && sum_dist > 0.0 {
        wdoc /= f64::from(n_extent) / sum_dist;
    }
    if method & RANK_NORM_UNIQ != 0 && size > 0 {
        wdoc /= f64::from(size);
    }
    if method & RANK_NORM_LOGUNIQ != 0 && size > 0 {
        wdoc /= f64::from(size + 1).ln() / 2.0f64.ln();
    }
    if method & RANK_NORM_RDIVRPLUS1 != 0 {
        wdoc /= wdoc + 1.0;
    }
    wdoc as f32
}

/// `ts_rank_cd([weights,] vector, query [, normalization])`: cover density ranking. Lexemes
/// without positions contribute nothing. Same `weights` convention as [`ts_rank`].
pub fn ts_rank_cd(weights: Option<[f32; 4]>, v: &TsVector, q: &TsQuery, normalization: i32) -> f32 {
    calc_rank_cd(&weights_of(weights), v, q, normalization)
}
