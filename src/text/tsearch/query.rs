//! `tsquery`: input (`tsquery.c` + the shared `tsvector_parser.c`), output, stop-word cleanup
//! (`tsquery_cleanup.c`), the `&&` / `||` / `!!` operators and `numnode` (`tsquery_op.c`), and
//! the text-to-query functions of `to_tsany.c`.
//!
//! A query is kept as PostgreSQL stores it: a flat array in prefix ("polish") order where an
//! operator is followed by its *right* operand, then its left operand (`left` is the offset of
//! the left operand from the operator).

use std::fmt;
use std::str::FromStr;

use super::{
    is_alpha, is_digit, is_space, limitpos, parsetext, write_quoted, TsConfig, TsError,
    MAXENTRYPOS, MAXSTRLEN, MAXSTRPOS,
};

/// Operators (OP_NOT = 1, OP_AND = 2, OP_OR = 3, OP_PHRASE = 4 in ts_type.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Not,
    And,
    Or,
    Phrase,
}

impl Op {
    /// `tsearch_op_priority`.
    fn priority(self) -> i32 {
        match self {
            Op::Not => 4,
            Op::And => 2,
            Op::Or => 1,
            Op::Phrase => 3,
        }
    }
}

/// A query operand: lexeme, weight mask (A = 8, B = 4, C = 2, D = 1; 0 = any) and prefix flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operand {
    pub lexeme: String,
    pub weight: u8,
    pub prefix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Val(Operand),
    /// `distance` is meaningful for `Op::Phrase` only; `left` is the offset of the left operand
    /// (1 for NOT, whose only operand follows).
    Opr {
        op: Op,
        distance: u16,
        left: u32,
    },
}

/// A `tsquery`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsQuery {
    pub(crate) items: Vec<Item>,
}

impl TsQuery {
    /// An empty query (what `''::tsquery` or a query of only stop words gives); it matches
    /// nothing and prints as the empty string.
    pub fn empty() -> Self {
        TsQuery::default()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The operand lexemes in storage order (duplicates kept), e.g. for BM25 scoring.
    pub fn operands(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|it| match it {
                Item::Val(o) => Some(o.lexeme.as_str()),
                Item::Opr { .. } => None,
            })
            .collect()
    }
}

// ------------------------------------------------------------------------------------------------
// Tree form (tsquery_cleanup.c's NODE, tsquery_util.c's QTNode)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Node {
    Val(Operand),
    Stop,
    Not(Box<Node>),
    Bin {
        op: Op,
        distance: u16,
        left: Box<Node>,
        right: Box<Node>,
    },
}

/// Prefix-order items, possibly with stop-word placeholders (parse time only).
#[derive(Debug, Clone)]
enum PItem {
    Val(Operand),
    Stop,
    Opr(Op, u16),
}

fn node_from_items(items: &[Item], i: usize) -> Node {
    match &items[i] {
        Item::Val(o) => Node::Val(o.clone()),
        Item::Opr { op: Op::Not, .. } => Node::Not(Box::new(node_from_items(items, i + 1))),
        Item::Opr { op, distance, left } => Node::Bin {
            op: *op,
            distance: *distance,
            right: Box::new(node_from_items(items, i + 1)),
            left: Box::new(node_from_items(items, i + *left as usize)),
        },
    }
}

fn tree(q: &TsQuery) -> Option<Node> {
    if q.items.is_empty() {
        None
    } else {
        Some(node_from_items(&q.items, 0))
    }
}

impl TsQuery {
    /// The rows that may match this query, from an index of lexemes (`docs(lexeme, prefix)`:
    /// the rows holding it, ascending), or `None` when the index cannot narrow the rows (a
    /// negation is satisfied by rows the index does not list). Weights and phrase distances are
    /// not checked, so the rows are a superset of the matches: the caller re-checks `@@` on
    /// them, as PostgreSQL's GIN scan does. An empty query matches no row.
    pub fn candidates(&self, docs: &dyn Fn(&str, bool) -> Vec<u32>) -> Option<Vec<u32>> {
        fn walk(n: &Node, docs: &dyn Fn(&str, bool) -> Vec<u32>) -> Option<Vec<u32>> {
            match n {
                Node::Val(o) => Some(docs(&o.lexeme, o.prefix)),
                Node::Stop | Node::Not(_) => None,
                Node::Bin {
                    op, left, right, ..
                } => {
                    let (l, r) = (walk(left, docs), walk(right, docs));
                    match op {
                        Op::Or => Some(union(&l?, &r?)),
                        _ => match (l, r) {
                            (Some(l), Some(r)) => Some(intersect(&l, &r)),
                            (Some(x), None) | (None, Some(x)) => Some(x),
                            (None, None) => None,
                        },
                    }
                }
            }
        }
        match tree(self) {
            None => Some(Vec::new()),
            Some(n) => walk(&n, docs),
        }
    }
}

impl TsQuery {
    /// Reads PostgreSQL's binary form (`tsquery_recv`): the inverse of [`TsQuery::to_binary`],
    /// with the operand offsets recomputed and the structure checked.
    pub fn from_binary(b: &[u8]) -> Result<TsQuery, TsError> {
        let mut r = super::BinReader::new(b, "tsquery");
        let n = r.count()?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            match r.u8()? {
                1 => {
                    let weight = r.u8()?;
                    let prefix = r.u8()? != 0;
                    let lexeme = r.cstring()?;
                    if weight > 15 {
                        return Err(r.bad());
                    }
                    items.push(Item::Val(Operand {
                        lexeme,
                        weight,
                        prefix,
                    }));
                }
                2 => {
                    let op = match r.u8()? {
                        1 => Op::Not,
                        2 => Op::And,
                        3 => Op::Or,
                        4 => Op::Phrase,
                        _ => return Err(r.bad()),
                    };
                    let distance = if op == Op::Phrase {
                        // int16 on the wire; negative distances are invalid.
                        let d = r.u16()?;
                        if d > i16::MAX as u16 {
                            return Err(r.bad());
                        }
                        d
                    } else {
                        0
                    };
                    items.push(Item::Opr {
                        op,
                        distance,
                        left: 0,
                    });
                }
                _ => return Err(r.bad()),
            }
        }
        r.done()?;
        // Each operator's left operand follows its right one: offsets from subtree sizes.
        fn size(items: &mut [Item], i: usize, depth: usize) -> Option<usize> {
            if depth > 10_000 {
                return None;
            }
            match items.get(i)?.clone() {
                Item::Val(_) => Some(1),
                Item::Opr { op: Op::Not, .. } => {
                    let s = size(items, i + 1, depth + 1)?;
                    if let Item::Opr { left, .. } = &mut items[i] {
                        *left = 1;
                    }
                    Some(1 + s)
                }
                Item::Opr { .. } => {
                    let r = size(items, i + 1, depth + 1)?;
                    let l = size(items, i + 1 + r, depth + 1)?;
                    if let Item::Opr { left, .. } = &mut items[i] {
                        *left = (1 + r) as u32;
                    }
                    Some(1 + r + l)
                }
            }
        }
        if !items.is_empty() && size(&mut items, 0, 0) != Some(items.len()) {
            return Err(r.bad());
        }
        Ok(TsQuery { items })
    }

    /// PostgreSQL's binary form (`tsquery_send`): the item count, then per item its type (1 =
    /// operand: weight mask, prefix flag, lexeme as a C string; 2 = operator: its code, and for
    /// `<N>` the distance as int16), in stored (prefix) order.
    pub fn to_binary(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.items.len() as i32).to_be_bytes());
        for it in &self.items {
            match it {
                Item::Val(o) => {
                    out.push(1);
                    out.push(o.weight);
                    out.push(o.prefix as u8);
                    out.extend_from_slice(o.lexeme.as_bytes());
                    out.push(0);
                }
                Item::Opr { op, distance, .. } => {
                    out.push(2);
                    out.push(match op {
                        Op::Not => 1,
                        Op::And => 2,
                        Op::Or => 3,
                        Op::Phrase => 4,
                    });
                    if *op == Op::Phrase {
                        out.extend_from_slice(&(*distance as i16).to_be_bytes());
                    }
                }
            }
        }
    }
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    let mut from = 0;
    for &x in small {
        from += large[from..].partition_point(|&y| y < x);
        if large.get(from) == Some(&x) {
            out.push(x);
        }
    }
    out
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `plaintree`: back to the flat prefix form (stop placeholders must be gone).
fn plain(node: &Node, out: &mut Vec<Item>) {
    match node {
        Node::Val(o) => out.push(Item::Val(o.clone())),
        Node::Stop => {}
        Node::Not(c) => {
            out.push(Item::Opr {
                op: Op::Not,
                distance: 0,
                left: 1,
            });
            plain(c, out);
        }
        Node::Bin {
            op,
            distance,
            left,
            right,
        } => {
            let at = out.len();
            out.push(Item::Opr {
                op: *op,
                distance: if *op == Op::Phrase { *distance } else { 0 },
                left: 0,
            });
            plain(right, out);
            let l = (out.len() - at) as u32;
            if let Item::Opr { left, .. } = &mut out[at] {
                *left = l;
            }
            plain(left, out);
        }
    }
}

fn from_tree(node: Option<Node>) -> TsQuery {
    let mut items = Vec::new();
    if let Some(n) = node {
        plain(&n, &mut items);
    }
    TsQuery { items }
}

/// `clean_stopword_intree`: drop stop-word placeholders, adjusting phrase distances.
fn clean_stopword_intree(node: Node, ladd: &mut i32, radd: &mut i32) -> Option<Node> {
    *ladd = 0;
    *radd = 0;
    match node {
        Node::Val(_) => Some(node),
        Node::Stop => None,
        Node::Not(c) => clean_stopword_intree(*c, ladd, radd).map(|c| Node::Not(Box::new(c))),
        Node::Bin {
            op,
            distance,
            left,
            right,
        } => {
            let (mut lladd, mut lradd, mut rladd, mut rradd) = (0, 0, 0, 0);
            let l = clean_stopword_intree(*left, &mut lladd, &mut lradd);
            let r = clean_stopword_intree(*right, &mut rladd, &mut rradd);
            let isphrase = op == Op::Phrase;
            let ndistance = if isphrase { i32::from(distance) } else { 0 };
            match (l, r) {
                (None, None) => {
                    if isphrase {
                        *ladd = lladd + ndistance + rladd;
                        *radd = *ladd;
                    } else {
                        *ladd = lladd.max(rladd);
                        *radd = *ladd;
                    }
                    None
                }
                (None, Some(r)) => {
                    if isphrase {
                        *ladd = lladd + ndistance + rladd;
                        *radd = rradd;
                    } else {
                        *ladd = rladd;
                        *radd = rradd;
                    }
                    Some(r)
                }
                (Some(l), None) => {
                    if isphrase {
                        *ladd = lladd;
                        *radd = lradd + ndistance + rradd;
                    } else {
                        *ladd = lladd;
                        *radd = lradd;
                    }
                    Some(l)
                }
                (Some(l), Some(r)) => {
                    let mut distance = distance;
                    if isphrase {
                        // uint16 distance += int: wraps like C
                        distance = (i32::from(distance) + lradd + rladd) as u16;
                        *ladd = lladd;
                        *radd = rradd;
                    }
                    Some(Node::Bin {
                        op,
                        distance,
                        left: Box::new(l),
                        right: Box::new(r),
                    })
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------------

fn write_operand(out: &mut String, o: &Operand) {
    write_quoted(out, &o.lexeme);
    if o.weight != 0 || o.prefix {
        out.push(':');
        if o.prefix {
            out.push('*');
        }
        if o.weight & 8 != 0 {
            out.push('A');
        }
        if o.weight & 4 != 0 {
            out.push('B');
        }
        if o.weight & 2 != 0 {
            out.push('C');
        }
        if o.weight & 1 != 0 {
            out.push('D');
        }
    }
}

/// `infix`: tsqueryout's recursive printer.
fn infix(items: &[Item], i: usize, out: &mut String, parent_priority: i32, right_phrase_op: bool) {
    match &items[i] {
        Item::Val(o) => write_operand(out, o),
        Item::Opr { op: Op::Not, .. } => {
            let priority = Op::Not.priority();
            if priority < parent_priority {
                out.push_str("( ");
            }
            out.push('!');
            infix(items, i + 1, out, priority, false);
            if priority < parent_priority {
                out.push_str(" )");
            }
        }
        Item::Opr { op, distance, left } => {
            let priority = op.priority();
            let need_paren = priority < parent_priority || (*op == Op::Phrase && right_phrase_op);
            if need_paren {
                out.push_str("( ");
            }
            let mut right = String::new();
            infix(items, i + 1, &mut right, priority, *op == Op::Phrase);
            infix(items, i + *left as usize, out, priority, false);
            match op {
                Op::Or => {
                    out.push_str(" | ");
                }
                Op::And => {
                    out.push_str(" & ");
                }
                Op::Phrase => {
                    if *distance != 1 {
                        out.push_str(&format!(" <{distance}> "));
                    } else {
                        out.push_str(" <-> ");
                    }
                }
                Op::Not => unreachable!(),
            }
            out.push_str(&right);
            if need_paren {
                out.push_str(" )");
            }
        }
    }
}

impl fmt::Display for TsQuery {
    /// `tsqueryout`, e.g. `'fat' & ( 'rat' | 'cat' ) <-> !'dog'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.items.is_empty() {
            return Ok(());
        }
        let mut out = String::new();
        infix(&self.items, 0, &mut out, -1, false);
        f.write_str(&out)
    }
}

// ------------------------------------------------------------------------------------------------
// The shared tsvector/tsquery token parser (tsvector_parser.c)
// ------------------------------------------------------------------------------------------------

pub(crate) struct TsvParseState<'a> {
    /// The whole input, for error messages.
    pub bufstart: &'a str,
    /// `! | & ( ) <` end a word.
    pub oprisdelim: bool,
    /// Say "tsquery" rather than "tsvector" in errors.
    pub is_tsquery: bool,
    /// websearch_to_tsquery: quotes and backslashes are not special, `"` ends a word.
    pub is_web: bool,
}

#[inline]
fn is_operator(c: char) -> bool {
    matches!(c, '!' | '&' | '|' | '(' | ')' | '<')
}

const WAITWORD: u8 = 1;
const WAITENDWORD: u8 = 2;
const WAITNEXTCHAR: u8 = 3;
const WAITENDCMPLX: u8 = 4;
const WAITPOSINFO: u8 = 5;
const INPOSINFO: u8 = 6;
const WAITPOSDELIM: u8 = 7;
const WAITCHARCMPLX: u8 = 8;

impl TsvParseState<'_> {
    fn syntax_error(&self) -> TsError {
        if self.is_tsquery {
            TsError::Syntax(format!("syntax error in tsquery: \"{}\"", self.bufstart))
        } else {
            TsError::Syntax(format!("syntax error in tsvector: \"{}\"", self.bufstart))
        }
    }

    /// `gettoken_tsvector`: the next (unescaped) word starting at `*p` and its positions;
    /// `Ok(None)` at end of input. On return `*p` is the scan resumption point.
    pub fn gettoken(
        &self,
        chars: &[char],
        p: &mut usize,
        _want_pos: bool,
    ) -> Result<Option<(String, Vec<u16>)>, TsError> {
        let mut oldstate = 0u8;
        let mut word = String::new();
        let mut statecode = WAITWORD;
        let mut pos: Vec<u16> = Vec::new();
        loop {
            let ch = chars.get(*p).copied().unwrap_or('\0');
            match statecode {
                WAITWORD => {
                    if ch == '\0' {
                        return Ok(None);
                    } else if !self.is_web && ch == '\'' {
                        statecode = WAITENDCMPLX;
                    } else if !self.is_web && ch == '\\' {
                        statecode = WAITNEXTCHAR;
                        oldstate = WAITENDWORD;
                    } else if (self.oprisdelim && is_operator(ch)) || (self.is_web && ch == '"') {
                        return Err(self.syntax_error());
                    } else if !is_space(ch) {
                        word.push(ch);
                        statecode = WAITENDWORD;
                    }
                }
                WAITNEXTCHAR => {
                    if ch == '\0' {
                        return Err(TsError::Syntax(format!(
                            "there is no escaped character: \"{}\"",
                            self.bufstart
                        )));
                    }
                    word.push(ch);
                    statecode = oldstate;
                }
                WAITENDWORD => {
                    if !self.is_web && ch == '\\' {
                        statecode = WAITNEXTCHAR;
                        oldstate = WAITENDWORD;
                    } else if is_space(ch)
                        || ch == '\0'
                        || (self.oprisdelim && is_operator(ch))
                        || (self.is_web && ch == '"')
                    {
                        if word.is_empty() {
                            return Err(self.syntax_error());
                        }
                        return Ok(Some((word, pos)));
                    } else if ch == ':' {
                        if word.is_empty() {
                            return Err(self.syntax_error());
                        }
                        if self.oprisdelim {
                            return Ok(Some((word, pos)));
                        }
                        statecode = INPOSINFO;
                    } else {
                        word.push(ch);
                    }
                }
                WAITENDCMPLX => {
                    if !self.is_web && ch == '\'' {
                        statecode = WAITCHARCMPLX;
                    } else if !self.is_web && ch == '\\' {
                        statecode = WAITNEXTCHAR;
                        oldstate = WAITENDCMPLX;
                    } else if ch == '\0' {
                        return Err(self.syntax_error());
                    } else {
                        word.push(ch);
                    }
                }
                WAITCHARCMPLX => {
                    if !self.is_web && ch == '\'' {
                        word.push(ch);
                        statecode = WAITENDCMPLX;
                    } else {
                        if word.is_empty() {
                            return Err(self.syntax_error());
                        }
                        if self.oprisdelim {
                            return Ok(Some((word, pos)));
                        }
                        statecode = WAITPOSINFO;
                        continue; // recheck current character
                    }
                }
                WAITPOSINFO => {
                    if ch == ':' {
                        statecode = INPOSINFO;
                    } else {
                        return Ok(Some((word, pos)));
                    }
                }
                INPOSINFO => {
                    if is_digit(ch) {
                        // atoi
                        let mut v: u64 = 0;
                        let mut k = *p;
                        while let Some(&d) = chars.get(k) {
                            if !d.is_ascii_digit() {
                                break;
                            }
                            v = (v * 10 + u64::from(d as u8 - b'0')).min(u64::from(u32::MAX));
                            k += 1;
                        }
                        let lp = limitpos(v.min(u64::from(MAXENTRYPOS)) as u32);
                        if lp == 0 {
                            return Err(TsError::Syntax(format!(
                                "wrong position info in tsvector: \"{}\"",
                                self.bufstart
                            )));
                        }
                        pos.push(lp);
                        statecode = WAITPOSDELIM;
                    } else {
                        return Err(self.syntax_error());
                    }
                }
                WAITPOSDELIM => {
                    let last = pos.len() - 1;
                    let set = |w: u16, pos: &mut Vec<u16>| -> Result<(), TsError> {
                        if pos[last] >> 14 != 0 {
                            return Err(self.syntax_error());
                        }
                        pos[last] = (w << 14) | (pos[last] & 0x3fff);
                        Ok(())
                    };
                    match ch {
                        ',' => statecode = INPOSINFO,
                        'a' | 'A' | '*' => set(3, &mut pos)?,
                        'b' | 'B' => set(2, &mut pos)?,
                        'c' | 'C' => set(1, &mut pos)?,
                        'd' | 'D' => set(0, &mut pos)?,
                        _ => {
                            if is_space(ch) || ch == '\0' {
                                return Ok(Some((word, pos)));
                            } else if !is_digit(ch) {
                                return Err(self.syntax_error());
                            }
                        }
                    }
                }
                _ => unreachable!(),
            }
            // get next char
            *p += 1;
        }
    }
}

// ------------------------------------------------------------------------------------------------
// tsquery parsing (tsquery.c)
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // PostgreSQL's WAITOPERAND / WAITOPERATOR / WAITFIRSTOPERAND
enum PState {
    WaitOperand,
    WaitOperator,
    WaitFirstOperand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Standard,
    Plain,
    Web,
}

enum Tok {
    End,
    Err,
    Val(String, u8, bool),
    Opr(Op, u16),
    Open,
    Close,
}

/// What to do with each operand: push it as is (tsquery input) or run it through a
/// configuration's parser and dictionaries (`to_tsquery` & co.).
#[derive(Clone, Copy)]
enum PushVal {
    AsIs,
    Morph { cfg: TsConfig, qoperator: Op },
}

struct QParser<'a> {
    buffer: &'a str,
    chars: Vec<char>,
    p: usize,
    count: i32,
    state: PState,
    mode: Mode,
    polstr: Vec<PItem>,
    valstate: TsvParseState<'a>,
    sumlen: usize,
}

impl<'a> QParser<'a> {
    fn ch(&self) -> char {
        self.chars.get(self.p).copied().unwrap_or('\0')
    }

    fn at(&self, k: usize) -> char {
        self.chars.get(k).copied().unwrap_or('\0')
    }

    fn syntax_error(&self) -> TsError {
        TsError::Syntax(format!("syntax error in tsquery: \"{}\"", self.buffer))
    }

    /// `get_modifiers`: `:*AB` after an operand.
    fn get_modifiers(&mut self) -> (u8, bool) {
        let mut weight = 0u8;
        let mut prefix = false;
        if self.ch() != ':' {
            return (0, false);
        }
        self.p += 1;
        loop {
            let c = self.ch();
            if c == '\0' || !c.is_ascii() {
                break;
            }
            match c {
                'a' | 'A' => weight |= 1 << 3,
                'b' | 'B' => weight |= 1 << 2,
                'c' | 'C' => weight |= 1 << 1,
                'd' | 'D' => weight |= 1,
                '*' => prefix = true,
                _ => return (weight, prefix),
            }
            self.p += 1;
        }
        (weight, prefix)
    }

    /// `parse_phrase_operator`: `<->` or `<N>` at the current position.
    fn parse_phrase_operator(&mut self) -> Result<Option<u16>, TsError> {
        #[derive(PartialEq)]
        enum S {
            Open,
            Dist,
            Close,
            Finish,
        }
        let mut state = S::Open;
        let mut k = self.p;
        let mut l: i64 = 1;
        while self.at(k) != '\0' {
            match state {
                S::Open => {
                    if self.at(k) == '<' {
                        state = S::Dist;
                        k += 1;
                    } else {
                        return Ok(None);
                    }
                }
                S::Dist => {
                    if self.at(k) == '-' {
                        state = S::Close;
                        k += 1;
                        continue;
                    }
                    if !is_digit(self.at(k)) {
                        return Ok(None);
                    }
                    let mut v: i64 = 0;
                    let mut overflow = false;
                    while is_digit(self.at(k)) {
                        v = v * 10 + i64::from(self.at(k) as u8 - b'0');
                        if v > i64::from(i32::MAX) {
                            overflow = true;
                            v = i64::from(i32::MAX);
                        }
                        k += 1;
                    }
                    if overflow || v > i64::from(MAXENTRYPOS) {
                        return Err(TsError::InvalidParameter(format!(
                            "distance in phrase operator must be an integer value between zero and {MAXENTRYPOS} inclusive"
                        )));
                    }
                    l = v;
                    state = S::Close;
                }
                S::Close => {
                    if self.at(k) == '>' {
                        state = S::Finish;
                        k += 1;
                    } else {
                        return Ok(None);
                    }
                }
                S::Finish => {
                    self.p = k;
                    return Ok(Some(l as u16));
                }
            }
        }
        Ok(None)
    }

    /// `parse_or_operator` (websearch): a bare `or` followed by something other than a word
    /// character and with more input after it.
    fn parse_or_operator(&mut self) -> bool {
        let c0 = self.ch();
        let c1 = self.at(self.p + 1);
        if !(c0 == 'o' || c0 == 'O') || !(c1 == 'r' || c1 == 'R') {
            return false;
        }
        let mut k = self.p + 2;
        let c = self.at(k);
        if c == '\0' {
            return false;
        }
        if c == '-' || c == '_' || is_alpha(c) || is_digit(c) {
            return false;
        }
        loop {
            k += 1;
            let c = self.at(k);
            if c == '\0' {
                return false;
            }
            if !is_space(c) {
                break;
            }
        }
        self.p += 2;
        true
    }

    fn gettoken_value(&mut self) -> Result<Option<String>, TsError> {
        let mut p = self.p;
        let r = self.valstate.gettoken(&self.chars, &mut p, false)?;
        if r.is_some() {
            self.p = p;
        }
        Ok(r.map(|(w, _)| w))
    }

    fn gettoken_standard(&mut self) -> Result<Tok, TsError> {
        loop {
            let c = self.ch();
            match self.state {
                PState::WaitFirstOperand | PState::WaitOperand => {
                    if c == '!' {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::Not, 0));
                    } else if c == '(' {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        self.count += 1;
                        return Ok(Tok::Open);
                    } else if c == ':' {
                        return Err(self.syntax_error());
                    } else if !is_space(c) {
                        match self.gettoken_value()? {
                            Some(w) => {
                                let (weight, prefix) = self.get_modifiers();
                                self.state = PState::WaitOperator;
                                return Ok(Tok::Val(w, weight, prefix));
                            }
                            None => {
                                if self.state == PState::WaitFirstOperand {
                                    return Ok(Tok::End);
                                }
                                return Err(TsError::Syntax(format!(
                                    "no operand in tsquery: \"{}\"",
                                    self.buffer
                                )));
                            }
                        }
                    }
                }
                PState::WaitOperator => {
                    if c == '&' {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::And, 0));
                    } else if c == '|' {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::Or, 0));
                    } else if let Some(d) = self.parse_phrase_operator()? {
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::Phrase, d));
                    } else if c == ')' {
                        self.p += 1;
                        self.count -= 1;
                        return Ok(if self.count < 0 { Tok::Err } else { Tok::Close });
                    } else if c == '\0' {
                        return Ok(if self.count != 0 { Tok::Err } else { Tok::End });
                    } else if !is_space(c) {
                        return Ok(Tok::Err);
                    }
                }
            }
            self.p += 1;
        }
    }

    /// `gettoken_query_websearch` (PostgreSQL 14+): a `"quoted string"` is one operand (its
    /// words become a phrase), other operator characters are ignored.
    fn gettoken_websearch(&mut self) -> Result<Tok, TsError> {
        loop {
            let c = self.ch();
            match self.state {
                PState::WaitFirstOperand | PState::WaitOperand => {
                    if c == '-' {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::Not, 0));
                    } else if c == '"' {
                        // everything up to the closing quote (or the end) is one value
                        self.p += 1;
                        let start = self.p;
                        while self.ch() != '\0' && self.ch() != '"' {
                            self.p += 1;
                        }
                        let w: String = self.chars[start..self.p].iter().collect();
                        if self.ch() != '\0' {
                            self.p += 1;
                        }
                        self.state = PState::WaitOperator;
                        self.count += 1;
                        return Ok(Tok::Val(w, 0, false));
                    } else if is_operator(c) {
                        self.p += 1;
                        self.state = PState::WaitOperand;
                        continue;
                    } else if !is_space(c) {
                        match self.gettoken_value()? {
                            Some(w) => {
                                self.state = PState::WaitOperator;
                                return Ok(Tok::Val(w, 0, false));
                            }
                            None => {
                                if self.state == PState::WaitFirstOperand {
                                    return Ok(Tok::End);
                                }
                                // finally, we have to provide an operand
                                self.polstr.push(PItem::Stop);
                                return Ok(Tok::End);
                            }
                        }
                    }
                }
                PState::WaitOperator => {
                    if c == '\0' {
                        return Ok(Tok::End);
                    } else if self.parse_or_operator() {
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::Or, 0));
                    } else if is_operator(c) {
                        self.p += 1;
                        continue;
                    } else if !is_space(c) {
                        // implicit AND between operands
                        self.state = PState::WaitOperand;
                        return Ok(Tok::Opr(Op::And, 0));
                    }
                }
            }
            self.p += 1;
        }
    }

    fn gettoken(&mut self) -> Result<Tok, TsError> {
        match self.mode {
            Mode::Standard => self.gettoken_standard(),
            Mode::Web => self.gettoken_websearch(),
            Mode::Plain => {
                if self.p >= self.chars.len() {
                    return Ok(Tok::End);
                }
                let w: String = self.chars[self.p..].iter().collect();
                self.p = self.chars.len();
                self.count += 1;
                Ok(Tok::Val(w, 0, false))
            }
        }
    }

    fn push_operator(&mut self, op: Op, distance: u16) {
        self.polstr
            .push(PItem::Opr(op, if op == Op::Phrase { distance } else { 0 }));
    }

    /// `pushValue`.
    fn push_value(&mut self, w: &str, weight: u8, prefix: bool) -> Result<(), TsError> {
        if w.len() >= MAXSTRLEN {
            return Err(TsError::TooLong(format!(
                "word is too long in tsquery: \"{}\"",
                self.buffer
            )));
        }
        if self.sumlen >= MAXSTRPOS {
            return Err(TsError::TooLong(format!(
                "value is too big in tsquery: \"{}\"",
                self.buffer
            )));
        }
        self.sumlen += w.len() + 1;
        self.polstr.push(PItem::Val(Operand {
            lexeme: w.to_string(),
            weight,
            prefix,
        }));
        Ok(())
    }

    /// `pushval_morph`: normalize an operand with the configuration; a multi-word operand
    /// becomes a chain joined by `qoperator` (distance 1), stop words become placeholders.
    fn push_morph(
        &mut self,
        cfg: TsConfig,
        qoperator: Op,
        strval: &str,
        weight: u8,
        prefix: bool,
    ) -> Result<(), TsError> {
        let words = parsetext(cfg, strval);
        if words.is_empty() {
            self.polstr.push(PItem::Stop);
            return Ok(());
        }
        let mut count = 0usize;
        let mut pos: u32 = 0;
        let mut cntpos = 0u32;
        while count < words.len() {
            let wpos = u32::from(words[count].pos);
            if pos > 0 && pos + 1 < wpos {
                while pos + 1 < wpos {
                    self.polstr.push(PItem::Stop);
                    if cntpos > 0 {
                        self.push_operator(qoperator, 1);
                    }
                    cntpos += 1;
                    pos += 1;
                }
            }
            pos = wpos;
            // all lexemes of our dictionaries are variant 0: the words at one position form one
            // ANDed group (in practice one word per position)
            let mut cnt = 0;
            while count < words.len() && pos == u32::from(words[count].pos) {
                self.push_value(&words[count].word, weight, prefix)?;
                if cnt > 0 {
                    self.push_operator(Op::And, 0);
                }
                cnt += 1;
                count += 1;
            }
            if cntpos > 0 {
                self.push_operator(qoperator, 1);
            }
            cntpos += 1;
        }
        Ok(())
    }

    fn pushval(&mut self, pv: PushVal, w: String, weight: u8, prefix: bool) -> Result<(), TsError> {
        match pv {
            PushVal::AsIs => self.push_value(&w, weight, prefix),
            PushVal::Morph { cfg, qoperator } => {
                self.push_morph(cfg, qoperator, &w, weight, prefix)
            }
        }
    }

    fn clean_op_stack(&mut self, stack: &mut Vec<(Op, u16)>, op: Op) {
        let op_priority = op.priority();
        while let Some(&(top, dist)) = stack.last() {
            if (op != Op::Not && op_priority > top.priority())
                || (op == Op::Not && op_priority >= top.priority())
            {
                break;
            }
            stack.pop();
            self.push_operator(top, dist);
        }
    }

    /// `makepol`: operator-precedence parsing into polish notation.
    fn makepol(&mut self, pv: PushVal) -> Result<(), TsError> {
        let mut opstack: Vec<(Op, u16)> = Vec::new();
        loop {
            match self.gettoken()? {
                Tok::End => break,
                Tok::Val(w, weight, prefix) => self.pushval(pv, w, weight, prefix)?,
                Tok::Opr(op, dist) => {
                    self.clean_op_stack(&mut opstack, op);
                    opstack.push((op, dist));
                }
                Tok::Open => self.makepol(pv)?,
                Tok::Close => {
                    self.clean_op_stack(&mut opstack, Op::Or);
                    return Ok(());
                }
                Tok::Err => return Err(self.syntax_error()),
            }
        }
        self.clean_op_stack(&mut opstack, Op::Or);
        Ok(())
    }
}

/// Builds the tree from prefix-order parse items (`findoprnd` + `maketree`).
fn pnode(items: &[PItem], pos: &mut usize, needcleanup: &mut bool) -> Result<Node, TsError> {
    let Some(it) = items.get(*pos) else {
        return Err(TsError::Syntax(
            "malformed tsquery: operand not found".to_string(),
        ));
    };
    *pos += 1;
    Ok(match it {
        PItem::Val(o) => Node::Val(o.clone()),
        PItem::Stop => {
            *needcleanup = true;
            Node::Stop
        }
        PItem::Opr(Op::Not, _) => Node::Not(Box::new(pnode(items, pos, needcleanup)?)),
        PItem::Opr(op, distance) => {
            let right = pnode(items, pos, needcleanup)?;
            let left = pnode(items, pos, needcleanup)?;
            Node::Bin {
                op: *op,
                distance: *distance,
                left: Box::new(left),
                right: Box::new(right),
            }
        }
    })
}

/// `parse_tsquery`.
fn parse_tsquery(buf: &str, pv: PushVal, mode: Mode) -> Result<TsQuery, TsError> {
    let buf = buf.split('\0').next().unwrap_or("");
    let mut st = QParser {
        buffer: buf,
        chars: buf.chars().collect(),
        p: 0,
        count: 0,
        state: PState::WaitFirstOperand,
        mode,
        polstr: Vec::new(),
        valstate: TsvParseState {
            bufstart: buf,
            oprisdelim: true,
            is_tsquery: true,
            is_web: mode == Mode::Web,
        },
        sumlen: 0,
    };
    st.makepol(pv)?;
    if st.polstr.is_empty() {
        // NOTICE: text-search query doesn't contain lexemes
        return Ok(TsQuery::default());
    }
    // polstr was built with lcons (prepend): the prefix form is the reverse of push order
    let items: Vec<PItem> = st.polstr.into_iter().rev().collect();
    let mut pos = 0usize;
    let mut needcleanup = false;
    let root = pnode(&items, &mut pos, &mut needcleanup)?;
    if pos != items.len() {
        return Err(TsError::Syntax(
            "malformed tsquery: extra nodes".to_string(),
        ));
    }
    if needcleanup {
        let (mut l, mut r) = (0, 0);
        // NOTICE when everything goes: text-search query contains only stop words or doesn't
        // contain lexemes, ignored
        return Ok(from_tree(clean_stopword_intree(root, &mut l, &mut r)));
    }
    Ok(from_tree(Some(root)))
}

impl FromStr for TsQuery {
    type Err = TsError;

    /// `tsqueryin`: `'fat & (rat | cat) <-> !dog:*A'`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_tsquery(s, PushVal::AsIs, Mode::Standard)
    }
}

/// `to_tsquery(cfg, text)`: tsquery syntax whose operands are normalized by the configuration
/// (stop words dropped; an operand that parses into several words becomes a `<->` phrase).
pub fn to_tsquery(cfg: TsConfig, text: &str) -> Result<TsQuery, TsError> {
    parse_tsquery(
        text,
        PushVal::Morph {
            cfg,
            qoperator: Op::Phrase,
        },
        Mode::Standard,
    )
}

/// `plainto_tsquery(cfg, text)`: the normalized words ANDed.
pub fn plainto_tsquery(cfg: TsConfig, text: &str) -> TsQuery {
    parse_tsquery(
        text,
        PushVal::Morph {
            cfg,
            qoperator: Op::And,
        },
        Mode::Plain,
    )
    .unwrap_or_default()
}

/// `phraseto_tsquery(cfg, text)`: the normalized words as a `<->` phrase (stop words widen the
/// distance).
pub fn phraseto_tsquery(cfg: TsConfig, text: &str) -> TsQuery {
    parse_tsquery(
        text,
        PushVal::Morph {
            cfg,
            qoperator: Op::Phrase,
        },
        Mode::Plain,
    )
    .unwrap_or_default()
}

/// `websearch_to_tsquery(cfg, text)`: `"quoted phrases"`, `or`, `-negation`, other words ANDed.
pub fn websearch_to_tsquery(cfg: TsConfig, text: &str) -> TsQuery {
    parse_tsquery(
        text,
        PushVal::Morph {
            cfg,
            qoperator: Op::Phrase,
        },
        Mode::Web,
    )
    .unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// tsquery operators (tsquery_op.c)
// ------------------------------------------------------------------------------------------------

fn join(a: &TsQuery, b: &TsQuery, op: Op, distance: u16) -> TsQuery {
    if a.items.is_empty() {
        return b.clone();
    }
    if b.items.is_empty() {
        return a.clone();
    }
    let left = tree(a).expect("non-empty");
    let right = tree(b).expect("non-empty");
    from_tree(Some(Node::Bin {
        op,
        distance,
        left: Box::new(left),
        right: Box::new(right),
    }))
}

/// `tsquery && tsquery`.
pub fn tsquery_and(a: &TsQuery, b: &TsQuery) -> TsQuery {
    join(a, b, Op::And, 0)
}

/// `tsquery || tsquery`.
pub fn tsquery_or(a: &TsQuery, b: &TsQuery) -> TsQuery {
    join(a, b, Op::Or, 0)
}

/// `tsquery_phrase(a, b, distance)` (`a <-> b` is distance 1).
pub fn tsquery_phrase(a: &TsQuery, b: &TsQuery, distance: i32) -> Result<TsQuery, TsError> {
    if !(0..=MAXENTRYPOS as i32).contains(&distance) {
        return Err(TsError::InvalidParameter(format!(
            "distance in phrase operator must be an integer value between zero and {MAXENTRYPOS} inclusive"
        )));
    }
    Ok(join(a, b, Op::Phrase, distance as u16))
}

/// `!! tsquery`.
pub fn tsquery_not(a: &TsQuery) -> TsQuery {
    match tree(a) {
        None => a.clone(),
        Some(n) => from_tree(Some(Node::Not(Box::new(n)))),
    }
}

/// `numnode(tsquery)`: number of operands and operators.
pub fn numnode(q: &TsQuery) -> i32 {
    q.items.len() as i32
}
