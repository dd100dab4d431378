//! Text analyzers: how a document or a query string becomes the terms a BM25 index stores and
//! looks up. The same analyzer must be applied to documents and queries, so the analyzer is part of
//! an index's definition (`WITH (analyzer = 'english')`) and its name is what gets persisted.
//!
//! - `standard`: Unicode word segmentation (UAX #29 word boundaries, `unicode_words`: tokens that
//!   contain a letter or digit), lowercased; tokens over 255 bytes are dropped (Lucene's
//!   `StandardAnalyzer` limit, which splits rather than drops; such "words" are base64 blobs, hashes
//!   and the like, useless as search terms).
//! - `english`: `standard`, then the possessive `'s` removed (Lucene's `EnglishPossessiveFilter`),
//!   then English stop words dropped — Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, which is
//!   also Elasticsearch's `_english_` list (33 words; the longer Snowball list also drops words like
//!   "what", "who" and "how" that carry meaning in questions) — then Snowball English (Porter2)
//!   stemming. Lucene's English analyzer uses the same pipeline with the original Porter stemmer.
//! - `chinese`: runs of Han characters are segmented by jieba in search-engine mode
//!   (`cut_for_search` with the HMM): it emits the dictionary words of a long compound as well as
//!   the compound itself (`中华人民共和国` also yields `中华`, `人民`, `共和国`, …), so a query
//!   for a part matches a document holding the whole — plain `cut` would index only the longest
//!   segmentation, and a query segmented differently from the document would miss it. The HMM
//!   recognises words missing from the dictionary (names), which otherwise fall apart into single
//!   characters. Everything between Han runs (Latin words, digits, other scripts) goes through the
//!   `standard` rules, so `iPhone` is one term `iphone` in Chinese and in English text alike;
//!   punctuation and whitespace yield no term.
//!
//! The stemmer and the jieba dictionary (several MB; about 0.2 s to load) are built once per
//! process, on first use; each thread caches the stems of the words it saw last.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// Longest term kept, in bytes.
pub const MAX_TERM_BYTES: usize = 255;

/// The `english` analyzer's stop words: Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`
/// (= Elasticsearch's `_english_`).
pub const ENGLISH_STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// Membership in [`ENGLISH_STOP_WORDS`] (a `match` on the length and bytes, not a search).
fn is_english_stop_word(t: &str) -> bool {
    matches!(
        t,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "but"
            | "by"
            | "for"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "no"
            | "not"
            | "of"
            | "on"
            | "or"
            | "such"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "to"
            | "was"
            | "will"
            | "with"
    )
}

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// A text analyzer, chosen per index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Analyzer {
    English,
    Standard,
    Chinese,
}

impl Analyzer {
    /// All analyzers (for error messages listing the valid names).
    pub const ALL: [Analyzer; 3] = [Analyzer::English, Analyzer::Standard, Analyzer::Chinese];

    /// The analyzer called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Analyzer> {
        Analyzer::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Analyzer::English => "english",
            Analyzer::Standard => "standard",
            Analyzer::Chinese => "chinese",
        }
    }

    /// The terms of `text` in document order, duplicates kept (their count is the term frequency).
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Analyzer::Standard => standard(text, &mut out),
            Analyzer::English => english(text, &mut out),
            Analyzer::Chinese => chinese(text, &mut out),
        }
        out
    }
}

/// Lowercases a word; `None` when it is too long to be a term.
fn term(word: &str) -> Option<String> {
    let t = word.to_lowercase();
    (t.len() <= MAX_TERM_BYTES).then_some(t)
}

fn standard(text: &str, out: &mut Vec<String>) {
    out.extend(text.unicode_words().filter_map(term));
}

fn english(text: &str, out: &mut Vec<String>) {
    for word in text.unicode_words() {
        let Some(mut t) = term(word) else { continue };
        // Curly and fullwidth apostrophes behave like ASCII ones (the stemmer only knows `'`).
        if t.contains(['\u{2019}', '\u{ff07}']) {
            t = t.replace(['\u{2019}', '\u{ff07}'], "'");
        }
        if t.ends_with("'s") {
            t.truncate(t.len() - 2);
        }
        if t.is_empty() || is_english_stop_word(&t) {
            continue;
        }
        if let Some(s) = stem(t) {
            out.push(s);
        }
    }
}

/// Distinct words whose stems a thread remembers at most (about 1 MB).
const STEM_CACHE_WORDS: usize = 1 << 14;

/// FxHash (rustc's hasher): the cache's keys are short words, where SipHash would cost as much
/// as the stemming it saves.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let (words, tail) = bytes.as_chunks::<8>();
        for w in words {
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(*w)).wrapping_mul(K);
        }
        for &b in tail {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type StemCache = HashMap<String, Option<String>, BuildHasherDefault<FxHasher>>;

thread_local! {
    /// Stems of recently seen words (`None`: the word is its own stem). Word frequencies are
    /// Zipfian, so a small cache answers most lookups, for a fraction of what the Snowball
    /// stemmer costs. Emptied when full: the frequent words come back at once.
    static STEM_CACHE: RefCell<StemCache> = RefCell::new(StemCache::default());
}

/// The Porter2 stem of a lowercased word (`None` if it stems to nothing).
fn stem(word: String) -> Option<String> {
    let s = STEM_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(s) = c.get(&word) {
            return s.clone();
        }
        let s = match STEMMER.stem(&word) {
            Cow::Borrowed(s) if s.len() == word.len() => None,
            s => Some(s.into_owned()),
        };
        if c.len() >= STEM_CACHE_WORDS {
            c.clear();
        }
        c.insert(word.clone(), s.clone());
        s
    });
    let s = s.unwrap_or(word);
    (!s.is_empty()).then_some(s)
}

/// CJK unified ideographs (with extensions and compatibility ideographs) and `〇`.
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{2ebef}'
        | '\u{2f800}'..='\u{2fa1f}'
        | '\u{30000}'..='\u{323af}')
}

fn chinese(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while !rest.is_empty() {
        let han = rest.chars().next().is_some_and(is_han);
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_han(c) != han)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        if han {
            for tok in JIEBA.cut_for_search(run, true) {
                // A run is Han characters only, so every token is a word; the check guards
                // against a segmenter that ever emits separators.
                if tok.word.chars().any(char::is_alphanumeric) {
                    if let Some(t) = term(tok.word) {
                        out.push(t);
                    }
                }
            }
        } else {
            standard(run, out);
        }
        rest = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(an: Analyzer, s: &str) -> Vec<String> {
        an.analyze(s)
    }

    #[test]
    fn names_round_trip() {
        for an in Analyzer::ALL {
            assert_eq!(Analyzer::from_name(an.name()), Some(an));
        }
        assert_eq!(Analyzer::from_name("English"), Some(Analyzer::English));
        assert_eq!(Analyzer::from_name("CHINESE"), Some(Analyzer::Chinese));
        assert_eq!(Analyzer::from_name("simple"), None);
    }

    #[test]
    fn stop_words_match_the_list() {
        for w in ENGLISH_STOP_WORDS {
            assert!(is_english_stop_word(w), "{w}");
        }
        for w in ["", "what", "thes", "the ", "ann", "i", "s"] {
            assert!(!is_english_stop_word(w), "{w}");
        }
    }

    #[test]
    fn standard_words() {
        assert_eq!(
            a(
                Analyzer::Standard,
                "The quick (\"brown\") fox can't jump 32.3 feet, right?"
            ),
            ["the", "quick", "brown", "fox", "can't", "jump", "32.3", "feet", "right"]
        );
        assert_eq!(
            a(Analyzer::Standard, "ÉCOLE Straße ΣΟΦΙΑ"),
            ["école", "straße", "σοφια"]
        );
        assert!(a(Analyzer::Standard, " ,.;!? -- ").is_empty());
        assert_eq!(a(Analyzer::Standard, "the the The"), ["the", "the", "the"]);
        // Over-long tokens are dropped, not split; 255 bytes still pass.
        let long = "x".repeat(256);
        let ok = "y".repeat(255);
        assert_eq!(
            a(Analyzer::Standard, &format!("a {long} b {ok}")),
            ["a".to_string(), "b".to_string(), ok]
        );
    }

    #[test]
    fn english_stems_and_stops() {
        assert_eq!(
            a(
                Analyzer::English,
                "The runners were running to the Olympic Games"
            ),
            ["runner", "were", "run", "olymp", "game"]
        );
        // Possessives (straight and curly apostrophes) and stop words.
        assert_eq!(a(Analyzer::English, "John's dog"), ["john", "dog"]);
        assert_eq!(a(Analyzer::English, "John\u{2019}s dogs"), ["john", "dog"]);
        assert_eq!(
            a(Analyzer::English, "it's a THE an and"),
            Vec::<String>::new()
        );
        // Porter2 specifics: `generously` → `generous`, `knightly` → `knight`.
        assert_eq!(
            a(Analyzer::English, "generously knightly connections"),
            ["generous", "knight", "connect"]
        );
        // Query and document forms meet.
        assert_eq!(
            a(Analyzer::English, "What did NASA use?"),
            ["what", "did", "nasa", "use"]
        );
        assert_eq!(a(Analyzer::English, "NASA uses"), ["nasa", "use"]);
        assert_eq!(
            a(Analyzer::English, "1973 oil crisis"),
            ["1973", "oil", "crisi"]
        );
    }

    #[test]
    fn stem_cache_is_transparent() {
        let words: Vec<String> = (0..STEM_CACHE_WORDS + 500)
            .map(|i| format!("{}ing{i}s", ["connect", "run", "happi", "gener"][i % 4]))
            .chain(["running", "runs", "'s", "knightly"].map(String::from))
            .collect();
        for _ in 0..2 {
            for w in &words {
                let direct = STEMMER.stem(w).into_owned();
                assert_eq!(
                    stem(w.clone()),
                    (!direct.is_empty()).then_some(direct),
                    "{w}"
                );
            }
        }
    }

    #[test]
    fn chinese_segments() {
        let t = a(Analyzer::Chinese, "我来到北京清华大学");
        for w in ["我", "来到", "北京", "清华", "大学", "清华大学"] {
            assert!(t.iter().any(|x| x == w), "{w} missing from {t:?}");
        }
        // Search mode: the parts of a compound as well as the compound.
        let t = a(Analyzer::Chinese, "中华人民共和国成立了");
        for w in ["中华", "人民", "共和国", "中华人民共和国"] {
            assert!(t.iter().any(|x| x == w), "{w} missing from {t:?}");
        }
        // Latin words follow the standard rules; punctuation yields nothing.
        let t = a(
            Analyzer::Chinese,
            "我买了一部iPhone手机，价格是6999元。Hello World!",
        );
        assert!(t.iter().any(|x| x == "iphone"), "{t:?}");
        assert!(t.iter().any(|x| x == "6999"), "{t:?}");
        assert!(t.iter().any(|x| x == "手机"), "{t:?}");
        assert!(
            t.ends_with(&["hello".to_string(), "world".to_string()]),
            "{t:?}"
        );
        assert!(
            t.iter().all(|x| x.chars().any(char::is_alphanumeric)),
            "{t:?}"
        );
        assert!(
            !t.iter().any(|x| x.contains(['，', '。', '!', ' '])),
            "{t:?}"
        );
        assert!(a(Analyzer::Chinese, "，。！？ 、").is_empty());
        // Pure Latin text is analysed exactly like `standard`.
        let s = "Mixed-case Words, 3.5 apples";
        assert_eq!(a(Analyzer::Chinese, s), a(Analyzer::Standard, s));
    }

    #[test]
    fn shared_instances_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| a(Analyzer::Chinese, "北京大学的学生").len()))
            .collect();
        let n: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(n.iter().all(|&x| x == n[0] && x > 0));
    }
}
