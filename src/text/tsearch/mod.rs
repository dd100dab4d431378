//! PostgreSQL-compatible full-text search core: `tsvector` / `tsquery`, the default text-search
//! parser, the `simple` and `english` configurations, `@@`, `ts_rank` and `ts_rank_cd`.
//!
//! Everything here is a port of PostgreSQL 18's C code (`wparser_def.c`, `ts_parse.c`,
//! `to_tsany.c`, `tsvector.c`, `tsvector_parser.c`, `tsquery.c`, `tsquery_cleanup.c`,
//! `tsquery_op.c`, `tsvector_op.c`, `tsrank.c`, `dict_simple.c`, `dict_snowball.c`), kept
//! structurally close to the original so that the results (token boundaries, positions, operator
//! trees, output spacing/quoting, error messages, `real` rank values) are PostgreSQL's, as checked
//! against a PostgreSQL 18.4 server (`initdb --locale=C.UTF-8`, UTF8): the unit tests hold ~900
//! of its answers, and ~110k differential cases (parser, stemming, every query function, `@@`,
//! ranks with all normalizations and weights, random fuzzing) agreed with it when this was written.
//!
//! Layout:
//! * this file: errors, configurations, dictionaries (`simple`, `english_stem`), `parsetext`,
//!   the `tsvector` type (input, output, `setweight`, `strip`, `length`, `||`);
//! * `wparser`: the default parser (`pg_catalog.default`), a transcription of its state tables;
//! * `query`: the `tsquery` type (input, output, stop-word cleanup, `&&`, `||`, `!!`,
//!   `numnode`) and `to_tsquery` / `plainto_tsquery` / `phraseto_tsquery` /
//!   `websearch_to_tsquery`;
//! * `exec`: `tsvector @@ tsquery` (`TS_execute` with phrase semantics);
//! * `rank`: `ts_rank` and `ts_rank_cd` (same float4/float8 arithmetic as `tsrank.c`).
//!
//! What is approximated (all outside what ordinary text hits):
//! * character classes: PostgreSQL asks the C library of the database's `LC_CTYPE` (glibc
//!   `C.UTF-8` on the reference server). Here ASCII is classified exactly; non-ASCII letters use
//!   Rust's Unicode `Alphabetic` property (plus non-ASCII decimal digits, which glibc counts as
//!   alphabetic), spaces use `White_Space` minus the no-break spaces, lower-casing is the simple
//!   per-character Unicode mapping (as `towlower`: no final-sigma rule, `İ` → `i`). Unicode
//!   version differences between glibc and Rust can classify rare characters differently;
//! * `p_isspecial` (zero display width, i.e. combining marks): a table of the common combining
//!   ranges instead of PostgreSQL's full `ucs_wcwidth` table;
//! * the Snowball English stemmer is `rust-stemmers`' (Snowball 1.x); the one Snowball 2.x rule
//!   it lacks that changes results (no undoubling of `aXX`/`eXX`/`oXX` stems: `added` → `add`,
//!   `egging` → `egg`) is applied on top; 119k distinct words stemmed identically to
//!   PostgreSQL's `english_stem` after that;
//! * errors that PostgreSQL raises with SQLSTATEs that [`TsError`] does not model are mapped onto
//!   the nearest variant: `setweight` with a bad weight (PostgreSQL: XX000 `unrecognized weight:
//!   120`) → [`TsError::InvalidParameter`]; a configuration name that is not a valid
//!   (qualified) name (PostgreSQL: 42602 `invalid name syntax`) → [`TsError::Syntax`]; the
//!   internal `tsquery stack too small` limit (32 pending operators) is not enforced;
//! * [`to_tsvector`] cannot fail; the 1 MiB limit on a tsvector's total lexeme/position storage
//!   (`string is too long for tsvector`) is checked by [`try_to_tsvector`] only.

#![allow(clippy::too_many_lines)]

use std::fmt;
use std::str::FromStr;

mod exec;
mod query;
mod rank;
mod wparser;

#[cfg(test)]
mod tests;

pub use query::{
    numnode, phraseto_tsquery, plainto_tsquery, to_tsquery, tsquery_and, tsquery_not, tsquery_or,
    tsquery_phrase, websearch_to_tsquery, TsQuery,
};
pub use rank::{check_weights, ts_rank, ts_rank_cd, DEFAULT_WEIGHTS};

/// `tsvector @@ tsquery` (also `tsquery @@ tsvector`).
pub fn ts_match(v: &TsVector, q: &TsQuery) -> bool {
    exec::ts_match_vq(v, q)
}

// ------------------------------------------------------------------------------------------------
// Limits (ts_type.h)
// ------------------------------------------------------------------------------------------------

/// Lexemes of `MAXSTRLEN` bytes or more are rejected (tsvector/tsquery input) or ignored
/// (`to_tsvector`).
pub(crate) const MAXSTRLEN: usize = (1 << 11) - 1;
/// Total lexeme storage of a tsvector.
pub(crate) const MAXSTRPOS: usize = (1 << 20) - 1;
/// Positions are 1..MAXENTRYPOS-1; larger ones are clamped to MAXENTRYPOS-1.
pub(crate) const MAXENTRYPOS: u32 = 1 << 14;
/// At most this many positions per lexeme.
pub(crate) const MAXNUMPOS: usize = 256;

#[inline]
pub(crate) fn limitpos(x: u32) -> u16 {
    if x >= MAXENTRYPOS {
        (MAXENTRYPOS - 1) as u16
    } else {
        x as u16
    }
}

/// Position part of a packed `WordEntryPos`.
#[inline]
pub(crate) fn wep_pos(p: u16) -> u16 {
    p & 0x3fff
}

/// Weight part of a packed `WordEntryPos` (3 = A, 2 = B, 1 = C, 0 = D).
#[inline]
pub(crate) fn wep_weight(p: u16) -> u16 {
    p >> 14
}

#[inline]
pub(crate) fn wep_make(pos: u16, weight: u16) -> u16 {
    (weight << 14) | (pos & 0x3fff)
}

/// A cursor over a binary tsvector / tsquery (big-endian integers, NUL-terminated lexemes).
pub(crate) struct BinReader<'a> {
    b: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> BinReader<'a> {
    pub(crate) fn new(b: &'a [u8], what: &'static str) -> Self {
        BinReader { b, at: 0, what }
    }

    pub(crate) fn bad(&self) -> TsError {
        TsError::Syntax(format!("invalid binary {}", self.what))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], TsError> {
        let s = self.b.get(self.at..self.at + N).ok_or_else(|| self.bad())?;
        self.at += N;
        Ok(s.try_into().expect("N bytes"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, TsError> {
        Ok(self.take::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, TsError> {
        Ok(u16::from_be_bytes(self.take()?))
    }

    /// A leading int32 item count, at most the bytes there are.
    pub(crate) fn count(&mut self) -> Result<usize, TsError> {
        let n = i32::from_be_bytes(self.take()?);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len())
            .ok_or_else(|| self.bad())
    }

    /// A NUL-terminated UTF-8 lexeme shorter than `MAXSTRLEN`.
    pub(crate) fn cstring(&mut self) -> Result<String, TsError> {
        let rest = self.b.get(self.at..).unwrap_or(&[]);
        let end = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or_else(|| self.bad())?;
        let s = std::str::from_utf8(&rest[..end]).map_err(|_| self.bad())?;
        if s.len() >= MAXSTRLEN {
            return Err(self.bad());
        }
        self.at += end + 1;
        Ok(s.to_string())
    }

    /// Errors unless every byte was read.
    pub(crate) fn done(&self) -> Result<(), TsError> {
        if self.at == self.b.len() {
            Ok(())
        } else {
            Err(self.bad())
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------------

/// A text-search error; `Display` gives PostgreSQL's primary message.
#[derive(Debug, Clone, PartialEq)]
pub enum TsError {
    /// SQLSTATE 42601, e.g. `syntax error in tsquery: "a & "`.
    Syntax(String),
    /// SQLSTATE 42704, `text search configuration "xx" does not exist`.
    UndefinedConfig(String),
    /// SQLSTATE 22023, e.g. `weight out of range`.
    InvalidParameter(String),
    /// SQLSTATE 54000, e.g. `word is too long (2047 bytes, max 2046 bytes)`.
    TooLong(String),
}

impl TsError {
    /// The SQLSTATE PostgreSQL reports for this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            TsError::Syntax(_) => "42601",
            TsError::UndefinedConfig(_) => "42704",
            TsError::InvalidParameter(_) => "22023",
            TsError::TooLong(_) => "54000",
        }
    }

    /// The primary message.
    pub fn message(&self) -> &str {
        match self {
            TsError::Syntax(m)
            | TsError::UndefinedConfig(m)
            | TsError::InvalidParameter(m)
            | TsError::TooLong(m) => m,
        }
    }
}

impl fmt::Display for TsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for TsError {}

// ------------------------------------------------------------------------------------------------
// Character classes (the database's LC_CTYPE = C.UTF-8 on the reference server)
// ------------------------------------------------------------------------------------------------

/// `iswalpha`.
pub(crate) fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    if c.is_alphabetic() {
        return true;
    }
    // glibc counts non-ASCII decimal digits as alphabetic; Rust only tells "numeric" (Nd, Nl,
    // No): leave out the common No characters (superscripts, vulgar fractions).
    c.is_numeric()
        && !matches!(c, '\u{b2}' | '\u{b3}' | '\u{b9}' | '\u{bc}'..='\u{be}')
        && !('\u{2070}'..='\u{218f}').contains(&c)
        && !('\u{2460}'..='\u{24ff}').contains(&c)
        && !('\u{2776}'..='\u{2793}').contains(&c)
}

/// `iswdigit` (glibc: ASCII digits only).
#[inline]
pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// `iswalnum`.
#[inline]
pub(crate) fn is_alnum(c: char) -> bool {
    is_digit(c) || is_alpha(c)
}

/// `iswspace` (glibc: White_Space without the no-break spaces).
pub(crate) fn is_space(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r');
    }
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{85}')
}

/// `towlower`, one character to one character.
#[inline]
pub(crate) fn to_lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    c.to_lowercase().next().unwrap_or(c)
}

/// `lowerstr`: per-character lower-casing.
pub(crate) fn lowerstr(s: &str) -> String {
    s.chars().map(to_lower_char).collect()
}

// ------------------------------------------------------------------------------------------------
// Configurations and dictionaries
// ------------------------------------------------------------------------------------------------

/// A text-search configuration (`regconfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TsConfig {
    /// `pg_catalog.simple`: every token type through the `simple` dictionary (lower-case, no
    /// stop words).
    Simple,
    /// `pg_catalog.english`: words through `english_stem` (stop words + Snowball English),
    /// numbers, emails, URLs, hosts, file paths through `simple`.
    English,
}

/// `SHOW default_text_search_config` on the reference server: `pg_catalog.english`.
pub const DEFAULT_CONFIG: TsConfig = TsConfig::English;

impl TsConfig {
    /// Resolves a `regconfig` input string the way PostgreSQL does: a possibly qualified name,
    /// unquoted parts down-cased, `"quoted"` parts kept verbatim, surrounding blanks ignored;
    /// only the `pg_catalog` schema holds configurations.
    pub fn from_name(name: &str) -> Result<TsConfig, TsError> {
        let parts = split_qualified_name(name)?;
        let display = parts.join(".");
        let cfg_name = match parts.len() {
            1 => parts[0].as_str(),
            2 if parts[0] == "pg_catalog" => parts[1].as_str(),
            2 => "",
            3 => {
                // catalog.schema.name: PostgreSQL rejects a catalog other than the current
                // database with 0A000; treated as unknown here.
                ""
            }
            _ => {
                return Err(TsError::Syntax(format!(
                    "improper qualified name (too many dotted names): {display}"
                )))
            }
        };
        match cfg_name {
            "simple" => Ok(TsConfig::Simple),
            "english" => Ok(TsConfig::English),
            _ => Err(TsError::UndefinedConfig(format!(
                "text search configuration \"{display}\" does not exist"
            ))),
        }
    }

    /// The name as `regconfig` output prints it (`pg_catalog` is on the search path).
    pub fn name(&self) -> &'static str {
        match self {
            TsConfig::Simple => "simple",
            TsConfig::English => "english",
        }
    }
}

impl fmt::Display for TsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TsConfig {
    type Err = TsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TsConfig::from_name(s)
    }
}

/// `SplitIdentifierString(name, '.')` + `downcase_identifier` for unquoted parts.
fn split_qualified_name(s: &str) -> Result<Vec<String>, TsError> {
    let invalid = || TsError::Syntax("invalid name syntax".to_string());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}');
    while i < chars.len() && ws(chars[i]) {
        i += 1;
    }
    if i >= chars.len() {
        return Err(invalid());
    }
    loop {
        let mut part = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(invalid()),
                    Some('"') => {
                        if chars.get(i + 1) == Some(&'"') {
                            part.push('"');
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(&c) => {
                        part.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            let start = i;
            while i < chars.len() && chars[i] != '.' && !ws(chars[i]) && chars[i] != '"' {
                i += 1;
            }
            if i == start {
                return Err(invalid());
            }
            part = chars[start..i]
                .iter()
                .map(|c| c.to_ascii_lowercase())
                .collect();
        }
        out.push(part);
        while i < chars.len() && ws(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        if chars[i] == '.' {
            i += 1;
            while i < chars.len() && ws(chars[i]) {
                i += 1;
            }
        } else {
            return Err(invalid());
        }
    }
    Ok(out)
}

/// `tsearch_data/english.stop` (the Snowball English stop-word list shipped with PostgreSQL).
pub const ENGLISH_STOP_WORDS: [&str; 127] = [
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

fn is_english_stop_word(w: &str) -> bool {
    ENGLISH_STOP_WORDS.contains(&w)
}

fn english_stemmer() -> &'static rust_stemmers::Stemmer {
    static STEMMER: std::sync::OnceLock<rust_stemmers::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English))
}

/// Snowball English (as PostgreSQL 18 ships it) of a lower-cased, non-stop word.
fn english_stem(w: &str) -> String {
    let stem = english_stemmer().stem(w);
    let stem: &str = &stem;
    // Snowball 2.x, Step 1b: after removing -ed/-edly/-ing/-ingly, a remaining stem of the
    // form (a|e|o) + double consonant is not undoubled ("added" -> "add", not "ad").
    for suffix in ["ingly", "edly", "ing", "ed"] {
        if let Some(base) = w.strip_suffix(suffix) {
            let b = base.as_bytes();
            if b.len() == 3
                && matches!(b[0], b'a' | b'e' | b'o')
                && b[1] == b[2]
                && matches!(
                    b[1],
                    b'b' | b'd' | b'f' | b'g' | b'm' | b'n' | b'p' | b'r' | b't'
                )
                && stem.len() == 2
                && base.starts_with(stem)
            {
                return base.to_string();
            }
            break;
        }
    }
    if stem.is_empty() {
        w.to_string()
    } else {
        stem.to_string()
    }
}

/// What a dictionary made of a token.
enum Lexized {
    /// The token type is not mapped in the configuration: skipped, takes no position.
    Unmapped,
    /// A stop word: takes a position, yields no lexeme.
    Stop,
    Lexeme(String),
}

fn lexize(cfg: TsConfig, ty: u8, token: &str) -> Lexized {
    use wparser::tok::*;
    match ty {
        BLANK | TAG | PROTOCOL | XMLENTITY => return Lexized::Unmapped,
        0 => return Lexized::Unmapped,
        _ => {}
    }
    let stem = cfg == TsConfig::English
        && matches!(
            ty,
            ASCIIWORD | WORD | PARTHWORD | ASCIIPARTHWORD | ASCIIHWORD | HWORD
        );
    let txt = lowerstr(token);
    if txt.is_empty() {
        return Lexized::Stop;
    }
    if !stem {
        // dict_simple
        return Lexized::Lexeme(txt);
    }
    // dict_snowball
    if token.len() > 1000 {
        return Lexized::Lexeme(txt);
    }
    if is_english_stop_word(&txt) {
        return Lexized::Stop;
    }
    Lexized::Lexeme(english_stem(&txt))
}

/// A lexeme produced by `parsetext`, with its (clamped) position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedWord {
    pub word: String,
    pub pos: u16,
}

/// `parsetext`: parse `text` with the default parser and normalize each token with the
/// configuration's dictionaries. Every token that a dictionary accepts (stop words included)
/// advances the position.
pub(crate) fn parsetext(cfg: TsConfig, text: &str) -> Vec<ParsedWord> {
    let mut words = Vec::new();
    let mut pos: u32 = 0;
    wparser::parse(text, |ty, token| {
        if token.len() >= MAXSTRLEN {
            // NOTICE: word is too long to be indexed
            return;
        }
        match lexize(cfg, ty, token) {
            Lexized::Unmapped => {}
            Lexized::Stop => pos += 1,
            Lexized::Lexeme(w) => {
                pos += 1;
                words.push(ParsedWord {
                    word: w,
                    pos: limitpos(pos),
                });
            }
        }
    });
    words
}

/// The normalized lexemes of `text` in document order, as `to_tsvector` sees them (stop words
/// removed, duplicates kept), e.g. for BM25 term statistics.
pub fn lexemes(cfg: TsConfig, text: &str) -> Vec<String> {
    parsetext(cfg, text).into_iter().map(|w| w.word).collect()
}

/// One default-parser token: `(type alias, text)`, like `ts_parse('default', text)` /
/// `ts_debug`'s `alias` and `token` columns.
pub fn parse_tokens(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    wparser::parse(text, |ty, token| {
        out.push((wparser::tok::alias(ty), token.to_string()))
    });
    out
}

// ------------------------------------------------------------------------------------------------
// tsvector
// ------------------------------------------------------------------------------------------------

/// One lexeme of a tsvector with its positions. Positions are packed like PostgreSQL's
/// `WordEntryPos`: bits 0-13 the position (1..16383), bits 14-15 the weight (3 = A ... 0 = D).
/// An empty `positions` means the lexeme has no position information (stripped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsEntry {
    pub lexeme: String,
    pub positions: Vec<u16>,
}

impl TsEntry {
    /// `(position, weight letter)` pairs.
    pub fn positions_with_weights(&self) -> impl Iterator<Item = (u16, char)> + '_ {
        self.positions
            .iter()
            .map(|&p| (wep_pos(p), weight_letter(wep_weight(p))))
    }
}

fn weight_letter(w: u16) -> char {
    match w {
        3 => 'A',
        2 => 'B',
        1 => 'C',
        _ => 'D',
    }
}

/// A `tsvector`: lexemes sorted by their bytes, unique, each with sorted positions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TsVector {
    entries: Vec<TsEntry>,
}

impl TsVector {
    /// PostgreSQL's binary form (`tsvector_send`): the lexeme count, then per lexeme its bytes
    /// and a NUL, the number of positions (int16) and each packed position (weight in the top two
    /// bits).
    pub fn to_binary(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.entries.len() as i32).to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(e.lexeme.as_bytes());
            out.push(0);
            out.extend_from_slice(&(e.positions.len() as u16).to_be_bytes());
            for p in &e.positions {
                out.extend_from_slice(&p.to_be_bytes());
            }
        }
    }

    /// Reads PostgreSQL's binary form (`tsvector_recv`): the inverse of [`TsVector::to_binary`];
    /// lexemes are sorted (and a repeated one merged) as PostgreSQL does.
    pub fn from_binary(b: &[u8]) -> Result<TsVector, TsError> {
        let mut r = BinReader::new(b, "tsvector");
        let n = r.count()?;
        let mut entries: Vec<TsEntry> = Vec::with_capacity(n);
        for _ in 0..n {
            let lexeme = r.cstring()?;
            let npos = r.u16()? as usize;
            if npos > MAXNUMPOS {
                return Err(r.bad());
            }
            let mut positions = Vec::with_capacity(npos);
            for _ in 0..npos {
                let p = r.u16()?;
                if positions
                    .last()
                    .is_some_and(|&q: &u16| wep_pos(q) >= wep_pos(p))
                {
                    return Err(TsError::Syntax("position information is misordered".into()));
                }
                positions.push(p);
            }
            entries.push(TsEntry { lexeme, positions });
        }
        r.done()?;
        entries.sort_by(|a, b| a.lexeme.as_bytes().cmp(b.lexeme.as_bytes()));
        entries.dedup_by(|a, b| a.lexeme == b.lexeme);
        let v = TsVector { entries };
        if v.data_len() > MAXSTRPOS {
            return Err(r.bad());
        }
        Ok(v)
    }

    /// The lexemes, sorted.
    pub fn entries(&self) -> &[TsEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes PostgreSQL's representation needs for lexemes + positions (checked against
    /// MAXSTRPOS).
    fn data_len(&self) -> usize {
        let mut len = 0usize;
        for e in &self.entries {
            len += e.lexeme.len();
            if !e.positions.is_empty() {
                len = (len + 1) & !1; // SHORTALIGN
                len += 2 + 2 * e.positions.len();
            }
        }
        len
    }
}

/// `uniquePos`: sort positions, drop duplicates keeping the highest weight, at most MAXNUMPOS,
/// nothing after MAXENTRYPOS-1.
fn unique_pos(a: &mut Vec<u16>) {
    if a.len() <= 1 {
        return;
    }
    a.sort_by_key(|&p| wep_pos(p));
    let mut res = 0usize;
    let mut ptr = 1usize;
    while ptr < a.len() {
        if wep_pos(a[ptr]) != wep_pos(a[res]) {
            res += 1;
            a[res] = a[ptr];
            if res >= MAXNUMPOS - 1 || u32::from(wep_pos(a[res])) == MAXENTRYPOS - 1 {
                break;
            }
        } else if wep_weight(a[ptr]) > wep_weight(a[res]) {
            a[res] = wep_make(wep_pos(a[res]), wep_weight(a[ptr]));
        }
        ptr += 1;
    }
    a.truncate(res + 1);
}

impl FromStr for TsVector {
    type Err = TsError;

    /// `tsvectorin`, e.g. `'a:1A fat:2,4 cat'`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.split('\0').next().unwrap_or("");
        let chars: Vec<char> = s.chars().collect();
        let ps = query::TsvParseState {
            bufstart: s,
            oprisdelim: false,
            is_tsquery: false,
            is_web: false,
        };
        let mut p = 0usize;
        let mut arr: Vec<TsEntry> = Vec::new();
        let mut cur = 0usize;
        while let Some((tok, pos)) = ps.gettoken(&chars, &mut p, true)? {
            if tok.len() >= MAXSTRLEN {
                return Err(TsError::TooLong(format!(
                    "word is too long ({} bytes, max {} bytes)",
                    tok.len(),
                    MAXSTRLEN - 1
                )));
            }
            if cur > MAXSTRPOS {
                return Err(TsError::TooLong(format!(
                    "string is too long for tsvector ({cur} bytes, max {MAXSTRPOS} bytes)"
                )));
            }
            cur += tok.len();
            arr.push(TsEntry {
                lexeme: tok,
                positions: pos,
            });
        }
        if arr.is_empty() {
            return Ok(TsVector::default());
        }
        // uniqueentry
        arr.sort_by(|a, b| a.lexeme.as_bytes().cmp(b.lexeme.as_bytes()));
        let mut out: Vec<TsEntry> = Vec::with_capacity(arr.len());
        for e in arr {
            match out.last_mut() {
                Some(last) if last.lexeme == e.lexeme => {
                    last.positions.extend(e.positions);
                }
                _ => out.push(e),
            }
        }
        for e in &mut out {
            unique_pos(&mut e.positions);
        }
        let v = TsVector { entries: out };
        let buflen = v.data_len();
        if buflen > MAXSTRPOS {
            return Err(TsError::TooLong(format!(
                "string is too long for tsvector ({buflen} bytes, max {MAXSTRPOS} bytes)"
            )));
        }
        Ok(v)
    }
}

/// Writes `'lexeme'` with `'` and `\` doubled (tsvectorout / tsqueryout quoting).
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

impl fmt::Display for TsVector {
    /// `tsvectorout`: `'a':1A 'cat' 'fat':2,4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (i, e) in self.entries.iter().enumerate() {
            if i != 0 {
                out.push(' ');
            }
            write_quoted(&mut out, &e.lexeme);
            if !e.positions.is_empty() {
                out.push(':');
                for (j, &p) in e.positions.iter().enumerate() {
                    if j != 0 {
                        out.push(',');
                    }
                    out.push_str(&wep_pos(p).to_string());
                    match wep_weight(p) {
                        3 => out.push('A'),
                        2 => out.push('B'),
                        1 => out.push('C'),
                        _ => {}
                    }
                }
            }
        }
        f.write_str(&out)
    }
}

/// `make_tsvector` from parsed words (`uniqueWORD`: sort by word then position, merge
/// positions, at most MAXNUMPOS-1 of them, none after MAXENTRYPOS-1).
fn make_tsvector(mut words: Vec<ParsedWord>) -> TsVector {
    words.sort_by(|a, b| {
        a.word
            .as_bytes()
            .cmp(b.word.as_bytes())
            .then(a.pos.cmp(&b.pos))
    });
    let mut entries: Vec<TsEntry> = Vec::new();
    for w in words {
        match entries.last_mut() {
            Some(last) if last.lexeme == w.word => {
                let n = last.positions.len();
                let lastpos = last.positions[n - 1];
                if n < MAXNUMPOS - 1 && u32::from(lastpos) != MAXENTRYPOS - 1 && lastpos != w.pos {
                    last.positions.push(w.pos);
                }
            }
            _ => entries.push(TsEntry {
                lexeme: w.word,
                positions: vec![w.pos],
            }),
        }
    }
    TsVector { entries }
}

/// `to_tsvector(cfg, text)`.
pub fn to_tsvector(cfg: TsConfig, text: &str) -> TsVector {
    make_tsvector(parsetext(cfg, text))
}

/// `to_tsvector(cfg, text)` with PostgreSQL's size check (`string is too long for tsvector`,
/// 54000) for documents whose lexemes and positions exceed 1 MiB.
pub fn try_to_tsvector(cfg: TsConfig, text: &str) -> Result<TsVector, TsError> {
    let v = to_tsvector(cfg, text);
    let len = v.data_len();
    if len > MAXSTRPOS {
        return Err(TsError::TooLong(format!(
            "string is too long for tsvector ({len} bytes, max {MAXSTRPOS} bytes)"
        )));
    }
    Ok(v)
}

/// `setweight(tsvector, "char")`: every position gets the weight (`A`/`B`/`C`/`D`, either case).
pub fn setweight(v: &TsVector, weight: char) -> Result<TsVector, TsError> {
    let w = match weight {
        'A' | 'a' => 3,
        'B' | 'b' => 2,
        'C' | 'c' => 1,
        'D' | 'd' => 0,
        _ => {
            // elog(ERROR, "unrecognized weight: %d", cw): the "char" value as a signed byte.
            let code = if weight.is_ascii() {
                i64::from(weight as u8)
            } else {
                let mut buf = [0u8; 4];
                i64::from(weight.encode_utf8(&mut buf).as_bytes()[0] as i8)
            };
            return Err(TsError::InvalidParameter(format!(
                "unrecognized weight: {code}"
            )));
        }
    };
    let mut out = v.clone();
    for e in &mut out.entries {
        for p in &mut e.positions {
            *p = wep_make(wep_pos(*p), w);
        }
    }
    Ok(out)
}

/// `strip(tsvector)`: drop positions and weights.
pub fn strip(v: &TsVector) -> TsVector {
    TsVector {
        entries: v
            .entries
            .iter()
            .map(|e| TsEntry {
                lexeme: e.lexeme.clone(),
                positions: Vec::new(),
            })
            .collect(),
    }
}

/// `length(tsvector)`: number of lexemes.
pub fn length(v: &TsVector) -> i32 {
    v.entries.len() as i32
}

/// `add_pos`: append src's positions shifted by maxpos to dest (at most MAXNUMPOS, stopping at
/// MAXENTRYPOS-1).
fn add_pos(src: &[u16], dest: &mut Vec<u16>, maxpos: u32) {
    for &sp in src {
        if dest.len() >= MAXNUMPOS {
            break;
        }
        if let Some(&last) = dest.last() {
            if u32::from(wep_pos(last)) == MAXENTRYPOS - 1 {
                break;
            }
        }
        let np = limitpos(u32::from(wep_pos(sp)) + maxpos);
        dest.push(wep_make(np, wep_weight(sp)));
    }
}

/// `tsvector || tsvector`: the right operand's positions are shifted by the left operand's
/// largest position.
pub fn concat(a: &TsVector, b: &TsVector) -> TsVector {
    let maxpos = a
        .entries
        .iter()
        .flat_map(|e| e.positions.iter().map(|&p| u32::from(wep_pos(p))))
        .max()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(a.entries.len() + b.entries.len());
    let (mut i, mut j) = (0, 0);
    let shifted = |e: &TsEntry| {
        let mut d = Vec::new();
        add_pos(&e.positions, &mut d, maxpos);
        TsEntry {
            lexeme: e.lexeme.clone(),
            positions: d,
        }
    };
    while i < a.entries.len() && j < b.entries.len() {
        let (e1, e2) = (&a.entries[i], &b.entries[j]);
        match e1.lexeme.as_bytes().cmp(e2.lexeme.as_bytes()) {
            std::cmp::Ordering::Less => {
                out.push(e1.clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(shifted(e2));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let mut positions = e1.positions.clone();
                add_pos(&e2.positions, &mut positions, maxpos);
                out.push(TsEntry {
                    lexeme: e1.lexeme.clone(),
                    positions,
                });
                i += 1;
                j += 1;
            }
        }
    }
    out.extend(a.entries[i..].iter().cloned());
    out.extend(b.entries[j..].iter().map(shifted));
    TsVector { entries: out }
}
