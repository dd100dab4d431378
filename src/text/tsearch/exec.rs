//! Query evaluation: `TS_execute` with phrase semantics and the `@@` operator's operand check
//! (`tsvector_op.c`: `TS_execute_recurse`, `TS_phrase_execute`, `TS_phrase_output`,
//! `checkcondition_str`, `checkclass_str`, `ts_match_vq`).

use super::query::{Item, Op, Operand, TsQuery};
use super::{wep_pos, wep_weight, TsEntry, TsVector};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tern {
    No,
    Yes,
    Maybe,
}

/// `ExecPhraseData`: match positions (ends of matches when `width > 0`), negation, width.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhraseData {
    pub pos: Vec<u16>,
    pub negate: bool,
    pub width: i32,
}

/// `TS_EXEC_SKIP_NOT`: NOT sub-expressions evaluate to true.
pub(crate) const TS_EXEC_SKIP_NOT: u32 = 0x01;
/// `TS_EXEC_PHRASE_NO_POS`: a phrase without position information is a possible match.
pub(crate) const TS_EXEC_PHRASE_NO_POS: u32 = 0x02;

/// The operand callback: `(item index, operand, position output)`.
pub(crate) type CheckFn<'a> = dyn Fn(usize, &Operand, Option<&mut PhraseData>) -> Tern + 'a;

fn left_of(items: &[Item], i: usize) -> usize {
    match &items[i] {
        Item::Opr { left, .. } => i + *left as usize,
        Item::Val(_) => unreachable!(),
    }
}

const TSPO_L_ONLY: u32 = 0x01;
const TSPO_R_ONLY: u32 = 0x02;
const TSPO_BOTH: u32 = 0x04;

/// `TS_phrase_output`: merge the two position lists as `emit` says.
fn phrase_output(
    data: Option<&mut PhraseData>,
    l: &PhraseData,
    r: &PhraseData,
    emit: u32,
    loffset: i32,
    roffset: i32,
) -> Tern {
    let mut out: Option<&mut PhraseData> = data;
    let (mut li, mut ri) = (0usize, 0usize);
    let mut emitted = false;
    while li < l.pos.len() || ri < r.pos.len() {
        let lpos = if li < l.pos.len() {
            i32::from(wep_pos(l.pos[li])) + loffset
        } else {
            if emit & TSPO_R_ONLY == 0 {
                break;
            }
            i32::MAX
        };
        let rpos = if ri < r.pos.len() {
            i32::from(wep_pos(r.pos[ri])) + roffset
        } else {
            if emit & TSPO_L_ONLY == 0 {
                break;
            }
            i32::MAX
        };
        let mut output_pos = 0;
        if lpos < rpos {
            if emit & TSPO_L_ONLY != 0 {
                output_pos = lpos;
            }
            li += 1;
        } else if lpos == rpos {
            if emit & TSPO_BOTH != 0 {
                output_pos = rpos;
            }
            li += 1;
            ri += 1;
        } else {
            if emit & TSPO_R_ONLY != 0 {
                output_pos = rpos;
            }
            ri += 1;
        }
        if output_pos > 0 {
            match out.as_deref_mut() {
                Some(d) => {
                    d.pos.push(output_pos as u16);
                    emitted = true;
                }
                None => return Tern::Yes,
            }
        }
    }
    if emitted {
        Tern::Yes
    } else {
        Tern::No
    }
}

/// `TS_phrase_execute`: evaluation at or below a phrase operator, with positions.
fn phrase_execute(
    items: &[Item],
    i: usize,
    flags: u32,
    chk: &CheckFn<'_>,
    data: Option<&mut PhraseData>,
) -> Tern {
    match &items[i] {
        Item::Val(o) => chk(i, o, data),
        Item::Opr { op: Op::Not, .. } => {
            let mut scratch = PhraseData::default();
            let data = match data {
                Some(d) => d,
                None => &mut scratch,
            };
            if flags & TS_EXEC_SKIP_NOT != 0 {
                data.negate = true;
                return Tern::Yes;
            }
            match phrase_execute(items, i + 1, flags, chk, Some(data)) {
                Tern::No => {
                    data.negate = true;
                    Tern::Yes
                }
                Tern::Yes => {
                    if !data.pos.is_empty() {
                        data.negate = !data.negate;
                        Tern::Yes
                    } else if data.negate {
                        data.negate = false;
                        Tern::No
                    } else {
                        Tern::No
                    }
                }
                Tern::Maybe => Tern::Maybe,
            }
        }
        Item::Opr {
            op: op @ (Op::Phrase | Op::And),
            distance,
            ..
        } => {
            let mut ldata = PhraseData::default();
            let mut rdata = PhraseData::default();
            let lmatch = phrase_execute(items, left_of(items, i), flags, chk, Some(&mut ldata));
            if lmatch == Tern::No {
                return Tern::No;
            }
            let rmatch = phrase_execute(items, i + 1, flags, chk, Some(&mut rdata));
            if rmatch == Tern::No {
                return Tern::No;
            }
            if lmatch == Tern::Maybe || rmatch == Tern::Maybe {
                return Tern::Maybe;
            }
            let (loffset, roffset);
            let mut data = data;
            if *op == Op::Phrase {
                loffset = i32::from(*distance) + rdata.width;
                roffset = 0;
                if let Some(d) = data.as_deref_mut() {
                    d.width = i32::from(*distance) + ldata.width + rdata.width;
                }
            } else {
                let maxwidth = ldata.width.max(rdata.width);
                loffset = maxwidth - ldata.width;
                roffset = maxwidth - rdata.width;
                if let Some(d) = data.as_deref_mut() {
                    d.width = maxwidth;
                }
            }
            if ldata.negate && rdata.negate {
                // !L & !R: treat as !(L | R)
                let mut d = data;
                phrase_output(
                    d.as_deref_mut(),
                    &ldata,
                    &rdata,
                    TSPO_BOTH | TSPO_L_ONLY | TSPO_R_ONLY,
                    loffset,
                    roffset,
                );
                if let Some(d) = d {
                    d.negate = true;
                }
                Tern::Yes
            } else if ldata.negate {
                phrase_output(data, &ldata, &rdata, TSPO_R_ONLY, loffset, roffset)
            } else if rdata.negate {
                phrase_output(data, &ldata, &rdata, TSPO_L_ONLY, loffset, roffset)
            } else {
                phrase_output(data, &ldata, &rdata, TSPO_BOTH, loffset, roffset)
            }
        }
        Item::Opr { op: Op::Or, .. } => {
            let mut scratch = PhraseData::default();
            let data = match data {
                Some(d) => d,
                None => &mut scratch,
            };
            let mut ldata = PhraseData::default();
            let mut rdata = PhraseData::default();
            let lmatch = phrase_execute(items, left_of(items, i), flags, chk, Some(&mut ldata));
            let rmatch = phrase_execute(items, i + 1, flags, chk, Some(&mut rdata));
            if lmatch == Tern::No && rmatch == Tern::No {
                return Tern::No;
            }
            if lmatch == Tern::Maybe || rmatch == Tern::Maybe {
                return Tern::Maybe;
            }
            if lmatch == Tern::No {
                ldata.width = 0;
            }
            if rmatch == Tern::No {
                rdata.width = 0;
            }
            let maxwidth = ldata.width.max(rdata.width);
            let loffset = maxwidth - ldata.width;
            let roffset = maxwidth - rdata.width;
            data.width = maxwidth;
            if ldata.negate && rdata.negate {
                // !L | !R: treat as !(L & R)
                phrase_output(Some(data), &ldata, &rdata, TSPO_BOTH, loffset, roffset);
                data.negate = true;
                Tern::Yes
            } else if ldata.negate {
                // !L | R: treat as !(L & !R)
                phrase_output(Some(data), &ldata, &rdata, TSPO_L_ONLY, loffset, roffset);
                data.negate = true;
                Tern::Yes
            } else if rdata.negate {
                // L | !R: treat as !(!L & R)
                phrase_output(Some(data), &ldata, &rdata, TSPO_R_ONLY, loffset, roffset);
                data.negate = true;
                Tern::Yes
            } else {
                phrase_output(
                    Some(data),
                    &ldata,
                    &rdata,
                    TSPO_BOTH | TSPO_L_ONLY | TSPO_R_ONLY,
                    loffset,
                    roffset,
                )
            }
        }
    }
}

/// `TS_execute_recurse`: evaluation above any phrase operator.
fn execute_recurse(items: &[Item], i: usize, flags: u32, chk: &CheckFn<'_>) -> Tern {
    match &items[i] {
        Item::Val(o) => chk(i, o, None),
        Item::Opr { op: Op::Not, .. } => {
            if flags & TS_EXEC_SKIP_NOT != 0 {
                return Tern::Yes;
            }
            match execute_recurse(items, i + 1, flags, chk) {
                Tern::No => Tern::Yes,
                Tern::Yes => Tern::No,
                Tern::Maybe => Tern::Maybe,
            }
        }
        Item::Opr { op: Op::And, .. } => {
            let lmatch = execute_recurse(items, left_of(items, i), flags, chk);
            if lmatch == Tern::No {
                return Tern::No;
            }
            match execute_recurse(items, i + 1, flags, chk) {
                Tern::No => Tern::No,
                Tern::Yes => lmatch,
                Tern::Maybe => Tern::Maybe,
            }
        }
        Item::Opr { op: Op::Or, .. } => {
            let lmatch = execute_recurse(items, left_of(items, i), flags, chk);
            if lmatch == Tern::Yes {
                return Tern::Yes;
            }
            match execute_recurse(items, i + 1, flags, chk) {
                Tern::No => lmatch,
                Tern::Yes => Tern::Yes,
                Tern::Maybe => Tern::Maybe,
            }
        }
        Item::Opr { op: Op::Phrase, .. } => match phrase_execute(items, i, flags, chk, None) {
            Tern::No => Tern::No,
            Tern::Yes => Tern::Yes,
            Tern::Maybe => {
                if flags & TS_EXEC_PHRASE_NO_POS != 0 {
                    Tern::Maybe
                } else {
                    Tern::No
                }
            }
        },
    }
}

/// `TS_execute`: MAYBE counts as a match.
pub(crate) fn ts_execute(items: &[Item], flags: u32, chk: &CheckFn<'_>) -> bool {
    !items.is_empty() && execute_recurse(items, 0, flags, chk) != Tern::No
}

/// First entry whose lexeme is >= `s` (bytewise).
pub(crate) fn lower_bound(v: &TsVector, s: &str) -> usize {
    v.entries()
        .partition_point(|e| e.lexeme.as_bytes() < s.as_bytes())
}

/// The entries an operand matches: the exact lexeme, or every lexeme it is a prefix of.
pub(crate) fn matching_entries(v: &TsVector, o: &Operand) -> std::ops::Range<usize> {
    let start = lower_bound(v, &o.lexeme);
    let entries = v.entries();
    if o.prefix {
        let mut end = start;
        while end < entries.len()
            && entries[end]
                .lexeme
                .as_bytes()
                .starts_with(o.lexeme.as_bytes())
        {
            end += 1;
        }
        start..end
    } else if start < entries.len() && entries[start].lexeme == o.lexeme {
        start..start + 1
    } else {
        start..start
    }
}

/// `checkclass_str`: weight check and positions of one entry.
fn checkclass(entry: &TsEntry, val: &Operand, data: Option<&mut PhraseData>) -> Tern {
    if !entry.positions.is_empty() {
        let weight = u16::from(val.weight);
        match data {
            Some(d) if weight != 0 => {
                d.pos = entry
                    .positions
                    .iter()
                    .filter(|&&p| weight & (1 << wep_weight(p)) != 0)
                    .map(|&p| wep_pos(p))
                    .collect();
                if d.pos.is_empty() {
                    Tern::No
                } else {
                    Tern::Yes
                }
            }
            None if weight != 0 => {
                if entry
                    .positions
                    .iter()
                    .any(|&p| weight & (1 << wep_weight(p)) != 0)
                {
                    Tern::Yes
                } else {
                    Tern::No
                }
            }
            Some(d) => {
                d.pos = entry.positions.clone();
                Tern::Yes
            }
            None => Tern::Yes,
        }
    } else if data.is_some() {
        // no positions: stripped vectors match whatever the weight restriction
        Tern::Maybe
    } else {
        Tern::Yes
    }
}

/// `checkcondition_str`.
fn checkcondition_str(v: &TsVector, val: &Operand, mut data: Option<&mut PhraseData>) -> Tern {
    let entries = v.entries();
    let start = lower_bound(v, &val.lexeme);
    let mut res = Tern::No;
    if start < entries.len() && entries[start].lexeme == val.lexeme {
        res = checkclass(&entries[start], val, data.as_deref_mut());
    }
    if val.prefix && (res != Tern::Yes || data.is_some()) {
        if let Some(d) = data.as_deref_mut() {
            d.pos.clear();
        }
        res = Tern::No;
        let mut allpos: Vec<u16> = Vec::new();
        let mut k = start;
        while (res != Tern::Yes || data.is_some())
            && k < entries.len()
            && entries[k]
                .lexeme
                .as_bytes()
                .starts_with(val.lexeme.as_bytes())
        {
            let subres = checkclass(&entries[k], val, data.as_deref_mut());
            if subres != Tern::No {
                match data.as_deref_mut() {
                    Some(d) => {
                        if subres == Tern::Maybe {
                            res = Tern::Maybe;
                            allpos.clear();
                            break;
                        }
                        allpos.append(&mut d.pos);
                    }
                    None => {
                        if subres == Tern::Yes || res == Tern::No {
                            res = subres;
                        }
                    }
                }
            }
            k += 1;
        }
        if let Some(d) = data {
            if !allpos.is_empty() {
                allpos.sort_by_key(|&p| wep_pos(p));
                allpos.dedup_by_key(|p| wep_pos(*p));
                d.pos = allpos;
                res = Tern::Yes;
            }
        }
    }
    res
}

/// `ts_match_vq`: `tsvector @@ tsquery`. An empty query matches nothing.
pub(crate) fn ts_match_vq(v: &TsVector, q: &TsQuery) -> bool {
    if q.items.is_empty() {
        return false;
    }
    let chk = |_: usize, o: &Operand, d: Option<&mut PhraseData>| checkcondition_str(v, o, d);
    ts_execute(&q.items, 0, &chk)
}
