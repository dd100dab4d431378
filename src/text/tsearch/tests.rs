//! Expected values recorded from PostgreSQL 18.4 (`initdb --locale=C.UTF-8`, UTF8) by a
//! generator script; each assertion is what the reference server answered.

use super::*;

fn tokens(s: &str) -> String {
    parse_tokens(s)
        .iter()
        .map(|(t, s)| format!("{t}:{s}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn tsv(cfg: TsConfig, s: &str) -> String {
    to_tsvector(cfg, s).to_string()
}

fn vin(s: &str) -> String {
    s.parse::<TsVector>().unwrap().to_string()
}

fn vin2(s: &str) -> TsVector {
    s.parse::<TsVector>().unwrap()
}

fn qin(s: &str) -> String {
    s.parse::<TsQuery>().unwrap().to_string()
}

fn qin2(s: &str) -> TsQuery {
    s.parse::<TsQuery>().unwrap()
}

fn toq(cfg: TsConfig, s: &str) -> String {
    to_tsquery(cfg, s).unwrap().to_string()
}

fn m(v: &str, q: &str) -> bool {
    ts_match(&vin2(v), &qin2(q))
}

fn err<T: std::fmt::Debug>(r: Result<T, TsError>) -> (&'static str, String) {
    let e = r.unwrap_err();
    (e.sqlstate(), e.to_string())
}

#[test]
fn error_display_and_sqlstate() {
    let e = "a & ".parse::<TsQuery>().unwrap_err();
    assert_eq!(
        e,
        TsError::Syntax("no operand in tsquery: \"a & \"".to_string())
    );
    assert_eq!(e.sqlstate(), "42601");
    assert_eq!(TsConfig::from_name("xx").unwrap_err().sqlstate(), "42704");
    assert_eq!(e.to_string(), e.message());
}

#[test]
fn try_to_tsvector_size_limit() {
    // 120k distinct 9-byte words: more than 1 MiB of lexemes and positions
    let text: String = (0..120_000).map(|i| format!("w{i:08} ")).collect();
    let e = try_to_tsvector(TsConfig::Simple, &text).unwrap_err();
    assert_eq!(e.sqlstate(), "54000");
    assert!(
        e.to_string()
            .starts_with("string is too long for tsvector ("),
        "{e}"
    );
    assert!(try_to_tsvector(TsConfig::Simple, "small text").is_ok());
}

#[test]
fn pg_qsort_sorts() {
    let mut v: Vec<i32> = (0..200).map(|i| (i * 7919 + 13) % 101).collect();
    rank::pg_qsort(&mut v, &mut |a: &i32, b: &i32| a.cmp(b) as i32);
    assert!(v.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn parser_token_types() {
    assert_eq!(tokens("The quick brown foxes jumped"), "asciiword:The | blank:  | asciiword:quick | blank:  | asciiword:brown | blank:  | asciiword:foxes | blank:  | asciiword:jumped");
    assert_eq!(
        tokens("foo-bar"),
        "asciihword:foo-bar | hword_asciipart:foo | blank:- | hword_asciipart:bar"
    );
    assert_eq!(tokens("foo-bar-baz 123-abc abc-123 a1-b2"), "asciihword:foo-bar-baz | hword_asciipart:foo | blank:- | hword_asciipart:bar | blank:- | hword_asciipart:baz | blank:  | uint:123 | blank:- | asciiword:abc | blank:  | asciiword:abc | int:-123 | blank:  | numhword:a1-b2 | hword_numpart:a1 | blank:- | hword_numpart:b2");
    assert_eq!(
        tokens("café naïve 日本語"),
        "word:café | blank:  | word:naïve | blank:  | word:日本語"
    );
    assert_eq!(tokens("3.14 -2.5 +7 42 1e10 1.5e-3 1.2.3 v1.2.3"), "float:3.14 | blank:  | float:-2.5 | blank:  | int:+7 | blank:  | uint:42 | blank:  | sfloat:1e10 | blank:  | sfloat:1.5e-3 | blank:  | version:1.2.3 | blank:  | file:v1.2.3");
    assert_eq!(tokens("user@example.com"), "email:user@example.com");
    assert_eq!(tokens("http://www.postgresql.org/docs/current/textsearch.html"), "protocol:http:// | url:www.postgresql.org/docs/current/textsearch.html | host:www.postgresql.org | url_path:/docs/current/textsearch.html");
    assert_eq!(
        tokens("www.example.com:8080 example.com"),
        "host:www.example.com:8080 | blank:  | host:example.com"
    );
    assert_eq!(
        tokens("/usr/local/bin/psql ../up ~/x.txt"),
        "file:/usr/local/bin/psql | blank: .. | file:/up | blank: ~ | file:/x.txt"
    );
    assert_eq!(tokens("don't snake_case"), "asciiword:don | blank:' | asciiword:t | blank:  | asciiword:snake | blank:_ | asciiword:case");
    assert_eq!(
        tokens("<b>bold</b> &amp; text"),
        "tag:<b> | asciiword:bold | tag:</b> | blank:  | entity:&amp; | blank:  | asciiword:text"
    );
    assert_eq!(
        tokens("<script>var x=1;</script>after"),
        "tag:<script> | blank:var x=1; | tag:</script> | asciiword:after"
    );
    assert_eq!(
        tokens("abc123 123abc"),
        "numword:abc123 | blank:  | numword:123abc"
    );
    assert_eq!(
        tokens("foo--bar -foo"),
        "asciiword:foo | blank:- | blank:- | asciiword:bar | blank:  | blank:- | asciiword:foo"
    );
    assert_eq!(
        tokens("a.b 1.a ab.cd"),
        "file:a.b | blank:  | uint:1 | blank:. | asciiword:a | blank:  | host:ab.cd"
    );
    assert_eq!(
        tokens("U.S.A. e.g."),
        "file:U.S.A | blank:.  | file:e.g | blank:."
    );
    assert_eq!(
        tokens("2024-01-15 12:30"),
        "uint:2024 | int:-01 | int:-15 | blank:  | uint:12 | blank:: | uint:30"
    );
    assert_eq!(tokens("e\u{301}cole"), "word:e\u{301}cole");
    assert_eq!(
        tokens("ISO-8859-1 utf-8"),
        "asciiword:ISO | int:-8859 | int:-1 | blank:  | asciiword:utf | int:-8"
    );
    assert_eq!(
        tokens("mailto:x@y.com"),
        "asciiword:mailto | blank:: | email:x@y.com"
    );
}

#[test]
fn to_tsvector_simple() {
    assert_eq!(
        tsv(TsConfig::Simple, "The quick brown foxes jumped"),
        "'brown':3 'foxes':4 'jumped':5 'quick':2 'the':1"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "foo-bar"),
        "'bar':3 'foo':2 'foo-bar':1"
    );
    assert_eq!(tsv(TsConfig::Simple, "foo-bar-baz 123-abc abc-123 a1-b2"), "'-123':8 '123':5 'a1':10 'a1-b2':9 'abc':6,7 'b2':11 'bar':3 'baz':4 'foo':2 'foo-bar-baz':1");
    assert_eq!(
        tsv(TsConfig::Simple, "café naïve 日本語"),
        "'café':1 'naïve':2 '日本語':3"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "3.14 -2.5 +7 42 1e10 1.5e-3 1.2.3 v1.2.3"),
        "'+7':3 '-2.5':2 '1.2.3':7 '1.5e-3':6 '1e10':5 '3.14':1 '42':4 'v1.2.3':8"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "user@example.com"),
        "'user@example.com':1"
    );
    assert_eq!(tsv(TsConfig::Simple, "http://www.postgresql.org/docs/current/textsearch.html"), "'/docs/current/textsearch.html':3 'www.postgresql.org':2 'www.postgresql.org/docs/current/textsearch.html':1");
    assert_eq!(
        tsv(TsConfig::Simple, "www.example.com:8080 example.com"),
        "'example.com':2 'www.example.com:8080':1"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "/usr/local/bin/psql ../up ~/x.txt"),
        "'/up':2 '/usr/local/bin/psql':1 '/x.txt':3"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "don't snake_case"),
        "'case':4 'don':1 'snake':3 't':2"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "<b>bold</b> &amp; text"),
        "'bold':1 'text':2"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "<script>var x=1;</script>after"),
        "'after':1"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "abc123 123abc"),
        "'123abc':2 'abc123':1"
    );
    assert_eq!(tsv(TsConfig::Simple, "foo--bar -foo"), "'bar':2 'foo':1,3");
    assert_eq!(
        tsv(TsConfig::Simple, "a.b 1.a ab.cd"),
        "'1':2 'a':3 'a.b':1 'ab.cd':4"
    );
    assert_eq!(tsv(TsConfig::Simple, "U.S.A. e.g."), "'e.g':2 'u.s.a':1");
    assert_eq!(
        tsv(TsConfig::Simple, "2024-01-15 12:30"),
        "'-01':2 '-15':3 '12':4 '2024':1 '30':5"
    );
    assert_eq!(tsv(TsConfig::Simple, "e\u{301}cole"), "'e\u{301}cole':1");
    assert_eq!(
        tsv(TsConfig::Simple, "ISO-8859-1 utf-8"),
        "'-1':3 '-8':5 '-8859':2 'iso':1 'utf':4"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "mailto:x@y.com"),
        "'mailto':1 'x@y.com':2"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "The Fat Rats ate the cheese"),
        "'ate':4 'cheese':6 'fat':2 'rats':3 'the':1,5"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "a an the of"),
        "'a':1 'an':2 'of':4 'the':3"
    );
    assert_eq!(tsv(TsConfig::Simple, ""), "");
    assert_eq!(tsv(TsConfig::Simple, "   "), "");
    assert_eq!(
        tsv(TsConfig::Simple, "PostgreSQL's full-text search"),
        "'full':4 'full-text':3 'postgresql':1 's':2 'search':6 'text':5"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "running runs ran easily"),
        "'easily':4 'ran':3 'running':1 'runs':2"
    );
    assert_eq!(tsv(TsConfig::Simple, "word zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz end"), "'end':2 'word':1");
    assert_eq!(
        tsv(TsConfig::Simple, "Σίσυφος İstanbul STRASSE"),
        "'istanbul':2 'strasse':3 'σίσυφος':1"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "x-ray e-mail co-operation"),
        "'co':8 'co-operation':7 'e':5 'e-mail':4 'mail':6 'operation':9 'ray':3 'x':2 'x-ray':1"
    );
    assert_eq!(
        tsv(TsConfig::Simple, "10.0.0.1 192.168.1.1:5432/db"),
        "'10.0.0.1':1 '192.168.1.1':2 '5432/db':3"
    );
}

#[test]
fn to_tsvector_english() {
    assert_eq!(
        tsv(TsConfig::English, "The quick brown foxes jumped"),
        "'brown':3 'fox':4 'jump':5 'quick':2"
    );
    assert_eq!(
        tsv(TsConfig::English, "foo-bar"),
        "'bar':3 'foo':2 'foo-bar':1"
    );
    assert_eq!(tsv(TsConfig::English, "foo-bar-baz 123-abc abc-123 a1-b2"), "'-123':8 '123':5 'a1':10 'a1-b2':9 'abc':6,7 'b2':11 'bar':3 'baz':4 'foo':2 'foo-bar-baz':1");
    assert_eq!(
        tsv(TsConfig::English, "café naïve 日本語"),
        "'café':1 'naïv':2 '日本語':3"
    );
    assert_eq!(
        tsv(
            TsConfig::English,
            "3.14 -2.5 +7 42 1e10 1.5e-3 1.2.3 v1.2.3"
        ),
        "'+7':3 '-2.5':2 '1.2.3':7 '1.5e-3':6 '1e10':5 '3.14':1 '42':4 'v1.2.3':8"
    );
    assert_eq!(
        tsv(TsConfig::English, "user@example.com"),
        "'user@example.com':1"
    );
    assert_eq!(tsv(TsConfig::English, "http://www.postgresql.org/docs/current/textsearch.html"), "'/docs/current/textsearch.html':3 'www.postgresql.org':2 'www.postgresql.org/docs/current/textsearch.html':1");
    assert_eq!(
        tsv(TsConfig::English, "www.example.com:8080 example.com"),
        "'example.com':2 'www.example.com:8080':1"
    );
    assert_eq!(
        tsv(TsConfig::English, "/usr/local/bin/psql ../up ~/x.txt"),
        "'/up':2 '/usr/local/bin/psql':1 '/x.txt':3"
    );
    assert_eq!(
        tsv(TsConfig::English, "don't snake_case"),
        "'case':4 'snake':3"
    );
    assert_eq!(
        tsv(TsConfig::English, "<b>bold</b> &amp; text"),
        "'bold':1 'text':2"
    );
    assert_eq!(tsv(TsConfig::English, "<script>var x=1;</script>after"), "");
    assert_eq!(
        tsv(TsConfig::English, "abc123 123abc"),
        "'123abc':2 'abc123':1"
    );
    assert_eq!(tsv(TsConfig::English, "foo--bar -foo"), "'bar':2 'foo':1,3");
    assert_eq!(
        tsv(TsConfig::English, "a.b 1.a ab.cd"),
        "'1':2 'a.b':1 'ab.cd':4"
    );
    assert_eq!(tsv(TsConfig::English, "U.S.A. e.g."), "'e.g':2 'u.s.a':1");
    assert_eq!(
        tsv(TsConfig::English, "2024-01-15 12:30"),
        "'-01':2 '-15':3 '12':4 '2024':1 '30':5"
    );
    assert_eq!(tsv(TsConfig::English, "e\u{301}cole"), "'e\u{301}col':1");
    assert_eq!(
        tsv(TsConfig::English, "ISO-8859-1 utf-8"),
        "'-1':3 '-8':5 '-8859':2 'iso':1 'utf':4"
    );
    assert_eq!(
        tsv(TsConfig::English, "mailto:x@y.com"),
        "'mailto':1 'x@y.com':2"
    );
    assert_eq!(
        tsv(TsConfig::English, "The Fat Rats ate the cheese"),
        "'ate':4 'chees':6 'fat':2 'rat':3"
    );
    assert_eq!(tsv(TsConfig::English, "a an the of"), "");
    assert_eq!(tsv(TsConfig::English, ""), "");
    assert_eq!(tsv(TsConfig::English, "   "), "");
    assert_eq!(
        tsv(TsConfig::English, "PostgreSQL's full-text search"),
        "'full':4 'full-text':3 'postgresql':1 'search':6 'text':5"
    );
    assert_eq!(
        tsv(TsConfig::English, "running runs ran easily"),
        "'easili':4 'ran':3 'run':1,2"
    );
    assert_eq!(tsv(TsConfig::English, "word zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz end"), "'end':2 'word':1");
    assert_eq!(
        tsv(TsConfig::English, "Σίσυφος İstanbul STRASSE"),
        "'istanbul':2 'strass':3 'σίσυφος':1"
    );
    assert_eq!(
        tsv(TsConfig::English, "x-ray e-mail co-operation"),
        "'co':8 'co-oper':7 'e':5 'e-mail':4 'mail':6 'oper':9 'ray':3 'x':2 'x-ray':1"
    );
    assert_eq!(
        tsv(TsConfig::English, "10.0.0.1 192.168.1.1:5432/db"),
        "'10.0.0.1':1 '192.168.1.1':2 '5432/db':3"
    );
}

#[test]
fn to_tsvector_positions() {
    assert_eq!(
        tsv(TsConfig::English, "the cat and the hat"),
        "'cat':2 'hat':5"
    );
    assert_eq!(tsv(TsConfig::English, "a b c"), "'b':2 'c':3");
    assert_eq!(tsv(TsConfig::Simple, &"a ".repeat(300)), "'a':1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255");
    assert_eq!(tsv(TsConfig::Simple, &("x ".repeat(16385) + "y z")), "'x':1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159,160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191,192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223,224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255 'y':16383 'z':16383");
}

#[test]
fn english_stemming() {
    assert_eq!(
        lexemes(TsConfig::English, "caresses").join(","),
        "caress",
        "caresses"
    );
    assert_eq!(
        lexemes(TsConfig::English, "ponies").join(","),
        "poni",
        "ponies"
    );
    assert_eq!(lexemes(TsConfig::English, "ties").join(","), "tie", "ties");
    assert_eq!(
        lexemes(TsConfig::English, "caress").join(","),
        "caress",
        "caress"
    );
    assert_eq!(lexemes(TsConfig::English, "cats").join(","), "cat", "cats");
    assert_eq!(lexemes(TsConfig::English, "feed").join(","), "feed", "feed");
    assert_eq!(
        lexemes(TsConfig::English, "agreed").join(","),
        "agre",
        "agreed"
    );
    assert_eq!(
        lexemes(TsConfig::English, "plastered").join(","),
        "plaster",
        "plastered"
    );
    assert_eq!(lexemes(TsConfig::English, "bled").join(","), "bled", "bled");
    assert_eq!(
        lexemes(TsConfig::English, "motoring").join(","),
        "motor",
        "motoring"
    );
    assert_eq!(lexemes(TsConfig::English, "sing").join(","), "sing", "sing");
    assert_eq!(
        lexemes(TsConfig::English, "conflated").join(","),
        "conflat",
        "conflated"
    );
    assert_eq!(
        lexemes(TsConfig::English, "troubled").join(","),
        "troubl",
        "troubled"
    );
    assert_eq!(
        lexemes(TsConfig::English, "sized").join(","),
        "size",
        "sized"
    );
    assert_eq!(
        lexemes(TsConfig::English, "hopping").join(","),
        "hop",
        "hopping"
    );
    assert_eq!(
        lexemes(TsConfig::English, "tanned").join(","),
        "tan",
        "tanned"
    );
    assert_eq!(
        lexemes(TsConfig::English, "falling").join(","),
        "fall",
        "falling"
    );
    assert_eq!(
        lexemes(TsConfig::English, "hissing").join(","),
        "hiss",
        "hissing"
    );
    assert_eq!(
        lexemes(TsConfig::English, "fizzed").join(","),
        "fizz",
        "fizzed"
    );
    assert_eq!(
        lexemes(TsConfig::English, "failing").join(","),
        "fail",
        "failing"
    );
    assert_eq!(
        lexemes(TsConfig::English, "filing").join(","),
        "file",
        "filing"
    );
    assert_eq!(
        lexemes(TsConfig::English, "happy").join(","),
        "happi",
        "happy"
    );
    assert_eq!(lexemes(TsConfig::English, "sky").join(","), "sky", "sky");
    assert_eq!(
        lexemes(TsConfig::English, "relational").join(","),
        "relat",
        "relational"
    );
    assert_eq!(
        lexemes(TsConfig::English, "conditional").join(","),
        "condit",
        "conditional"
    );
    assert_eq!(
        lexemes(TsConfig::English, "rational").join(","),
        "ration",
        "rational"
    );
    assert_eq!(
        lexemes(TsConfig::English, "digitizer").join(","),
        "digit",
        "digitizer"
    );
    assert_eq!(
        lexemes(TsConfig::English, "operator").join(","),
        "oper",
        "operator"
    );
    assert_eq!(
        lexemes(TsConfig::English, "feudalism").join(","),
        "feudal",
        "feudalism"
    );
    assert_eq!(
        lexemes(TsConfig::English, "decisiveness").join(","),
        "decis",
        "decisiveness"
    );
    assert_eq!(
        lexemes(TsConfig::English, "hopefulness").join(","),
        "hope",
        "hopefulness"
    );
    assert_eq!(
        lexemes(TsConfig::English, "callousness").join(","),
        "callous",
        "callousness"
    );
    assert_eq!(
        lexemes(TsConfig::English, "formality").join(","),
        "formal",
        "formality"
    );
    assert_eq!(
        lexemes(TsConfig::English, "sensitivity").join(","),
        "sensit",
        "sensitivity"
    );
    assert_eq!(
        lexemes(TsConfig::English, "triplicate").join(","),
        "triplic",
        "triplicate"
    );
    assert_eq!(
        lexemes(TsConfig::English, "formative").join(","),
        "format",
        "formative"
    );
    assert_eq!(
        lexemes(TsConfig::English, "formalize").join(","),
        "formal",
        "formalize"
    );
    assert_eq!(
        lexemes(TsConfig::English, "electricity").join(","),
        "electr",
        "electricity"
    );
    assert_eq!(
        lexemes(TsConfig::English, "electrical").join(","),
        "electr",
        "electrical"
    );
    assert_eq!(
        lexemes(TsConfig::English, "hopeful").join(","),
        "hope",
        "hopeful"
    );
    assert_eq!(
        lexemes(TsConfig::English, "goodness").join(","),
        "good",
        "goodness"
    );
    assert_eq!(
        lexemes(TsConfig::English, "revival").join(","),
        "reviv",
        "revival"
    );
    assert_eq!(
        lexemes(TsConfig::English, "allowance").join(","),
        "allow",
        "allowance"
    );
    assert_eq!(
        lexemes(TsConfig::English, "inference").join(","),
        "infer",
        "inference"
    );
    assert_eq!(
        lexemes(TsConfig::English, "airliner").join(","),
        "airlin",
        "airliner"
    );
    assert_eq!(
        lexemes(TsConfig::English, "adjustable").join(","),
        "adjust",
        "adjustable"
    );
    assert_eq!(
        lexemes(TsConfig::English, "defensible").join(","),
        "defens",
        "defensible"
    );
    assert_eq!(
        lexemes(TsConfig::English, "irritant").join(","),
        "irrit",
        "irritant"
    );
    assert_eq!(
        lexemes(TsConfig::English, "replacement").join(","),
        "replac",
        "replacement"
    );
    assert_eq!(
        lexemes(TsConfig::English, "adjustment").join(","),
        "adjust",
        "adjustment"
    );
    assert_eq!(
        lexemes(TsConfig::English, "dependent").join(","),
        "depend",
        "dependent"
    );
    assert_eq!(
        lexemes(TsConfig::English, "adoption").join(","),
        "adopt",
        "adoption"
    );
    assert_eq!(
        lexemes(TsConfig::English, "communism").join(","),
        "communism",
        "communism"
    );
    assert_eq!(
        lexemes(TsConfig::English, "activate").join(","),
        "activ",
        "activate"
    );
    assert_eq!(
        lexemes(TsConfig::English, "effective").join(","),
        "effect",
        "effective"
    );
    assert_eq!(
        lexemes(TsConfig::English, "bowdlerize").join(","),
        "bowdler",
        "bowdlerize"
    );
    assert_eq!(
        lexemes(TsConfig::English, "generate").join(","),
        "generat",
        "generate"
    );
    assert_eq!(
        lexemes(TsConfig::English, "generously").join(","),
        "generous",
        "generously"
    );
    assert_eq!(lexemes(TsConfig::English, "news").join(","), "news", "news");
    assert_eq!(
        lexemes(TsConfig::English, "innings").join(","),
        "inning",
        "innings"
    );
    assert_eq!(
        lexemes(TsConfig::English, "added").join(","),
        "add",
        "added"
    );
    assert_eq!(
        lexemes(TsConfig::English, "adding").join(","),
        "add",
        "adding"
    );
    assert_eq!(
        lexemes(TsConfig::English, "erring").join(","),
        "err",
        "erring"
    );
    assert_eq!(
        lexemes(TsConfig::English, "egging").join(","),
        "egg",
        "egging"
    );
    assert_eq!(lexemes(TsConfig::English, "odd").join(","), "odd", "odd");
    assert_eq!(
        lexemes(TsConfig::English, "searching").join(","),
        "search",
        "searching"
    );
    assert_eq!(
        lexemes(TsConfig::English, "searches").join(","),
        "search",
        "searches"
    );
    assert_eq!(
        lexemes(TsConfig::English, "databases").join(","),
        "databas",
        "databases"
    );
    assert_eq!(
        lexemes(TsConfig::English, "vectors").join(","),
        "vector",
        "vectors"
    );
    assert_eq!(
        lexemes(TsConfig::English, "indexing").join(","),
        "index",
        "indexing"
    );
    assert_eq!(
        lexemes(TsConfig::English, "running").join(","),
        "run",
        "running"
    );
    assert_eq!(lexemes(TsConfig::English, "ran").join(","), "ran", "ran");
    assert_eq!(
        lexemes(TsConfig::English, "easily").join(","),
        "easili",
        "easily"
    );
    assert_eq!(
        lexemes(TsConfig::English, "fairly").join(","),
        "fair",
        "fairly"
    );
    assert_eq!(
        lexemes(TsConfig::English, "dying").join(","),
        "die",
        "dying"
    );
    assert_eq!(
        lexemes(TsConfig::English, "lying").join(","),
        "lie",
        "lying"
    );
    assert_eq!(
        lexemes(TsConfig::English, "tying").join(","),
        "tie",
        "tying"
    );
    assert_eq!(
        lexemes(TsConfig::English, "skies").join(","),
        "sky",
        "skies"
    );
    assert_eq!(lexemes(TsConfig::English, "dies").join(","), "die", "dies");
    assert_eq!(
        lexemes(TsConfig::English, "proceed").join(","),
        "proceed",
        "proceed"
    );
    assert_eq!(
        lexemes(TsConfig::English, "exceed").join(","),
        "exceed",
        "exceed"
    );
    assert_eq!(
        lexemes(TsConfig::English, "succeed").join(","),
        "succeed",
        "succeed"
    );
    assert_eq!(
        lexemes(TsConfig::English, "cannot").join(","),
        "cannot",
        "cannot"
    );
}

#[test]
fn english_stop_words() {
    assert_eq!(ENGLISH_STOP_WORDS.len(), 127);
    assert_eq!("10", "10");
    assert_eq!(tsv(TsConfig::English, "the"), "");
    assert_eq!(tsv(TsConfig::English, "The"), "");
    assert_eq!(tsv(TsConfig::English, "THE"), "");
    assert_eq!(tsv(TsConfig::English, "and"), "");
    assert_eq!(tsv(TsConfig::English, "cat"), "'cat':1");
    assert_eq!(tsv(TsConfig::English, "not"), "");
    assert_eq!(tsv(TsConfig::English, "nor"), "");
    assert_eq!(tsv(TsConfig::English, "very"), "");
    assert_eq!(tsv(TsConfig::English, "is"), "");
    assert_eq!(tsv(TsConfig::English, "it's"), "");
    assert_eq!(tsv(TsConfig::English, "don't"), "");
    assert_eq!(tsv(TsConfig::English, "won't"), "'won':1");
}

#[test]
fn lexemes_in_document_order() {
    assert_eq!(
        lexemes(
            TsConfig::English,
            "The quick brown foxes jumped over the lazy dogs"
        )
        .join(","),
        "quick,brown,fox,jump,lazi,dog"
    );
    assert_eq!(
        lexemes(TsConfig::Simple, "The quick brown foxes").join(","),
        "the,quick,brown,foxes"
    );
    assert_eq!(
        lexemes(TsConfig::English, "foo-bar baz").join(","),
        "foo-bar,foo,bar,baz"
    );
    assert_eq!(lexemes(TsConfig::English, "the a an").join(","), "");
}

#[test]
fn tsvector_input_output() {
    assert_eq!(
        vin("a fat cat sat on a mat and ate a fat rat"),
        "'a' 'and' 'ate' 'cat' 'fat' 'mat' 'on' 'rat' 'sat'"
    );
    assert_eq!(vin("a:1 fat:2 cat:3"), "'a':1 'cat':3 'fat':2");
    assert_eq!(
        vin("'a':1A 'fat':2B,4C 'cat':5D"),
        "'a':1A 'cat':5 'fat':2B,4C"
    );
    assert_eq!(vin("cat:3,1,2"), "'cat':1,2,3");
    assert_eq!(vin("a:1,1,1"), "'a':1");
    assert_eq!(vin("a:1A,1B"), "'a':1A");
    assert_eq!(vin("b a c"), "'a' 'b' 'c'");
    assert_eq!(vin("'a b':1 'c''d' 'e\\\\f'"), "'a b':1 'c''d' 'e\\\\f'");
    assert_eq!(vin("a\\ b"), "'a b'");
    assert_eq!(vin("x:16384"), "'x':16383");
    assert_eq!(vin("x:0001"), "'x':1");
    assert_eq!(vin("  a   b  "), "'a' 'b'");
    assert_eq!(vin(""), "");
    assert_eq!(vin("café:1 日本:2"), "'café':1 '日本':2");
    assert_eq!(vin("a:1,2 b"), "'a':1,2 'b'");
    assert_eq!(vin("a:1*"), "'a':1A");
    assert_eq!(vin("a:1a,2b,3c,4d"), "'a':1A,2B,3C,4");
    assert_eq!(
        err("a:0".parse::<TsVector>()),
        (
            "42601",
            "wrong position info in tsvector: \"a:0\"".to_string()
        )
    );
    assert_eq!(
        err("a:".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"a:\"".to_string())
    );
    assert_eq!(
        err("a:1x".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"a:1x\"".to_string())
    );
    assert_eq!(
        err("'abc".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"'abc\"".to_string())
    );
    assert_eq!(
        err("'".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"'\"".to_string())
    );
    assert_eq!(
        err("a:1AB".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"a:1AB\"".to_string())
    );
    assert_eq!(
        err("a\\".parse::<TsVector>()),
        (
            "42601",
            "there is no escaped character: \"a\\\"".to_string()
        )
    );
    assert_eq!(
        err("a:A".parse::<TsVector>()),
        ("42601", "syntax error in tsvector: \"a:A\"".to_string())
    );
    assert_eq!(
        err("w".repeat(2047).parse::<TsVector>()),
        (
            "54000",
            "word is too long (2047 bytes, max 2046 bytes)".to_string()
        )
    );
}

#[test]
fn tsquery_input_output() {
    assert_eq!(qin("a & b"), "'a' & 'b'");
    assert_eq!(qin("a | b"), "'a' | 'b'");
    assert_eq!(qin("!a"), "!'a'");
    assert_eq!(qin("a & !b | c"), "'a' & !'b' | 'c'");
    assert_eq!(qin("a & (b | c)"), "'a' & ( 'b' | 'c' )");
    assert_eq!(qin("(a | b) & c"), "( 'a' | 'b' ) & 'c'");
    assert_eq!(qin("!(a & b)"), "!( 'a' & 'b' )");
    assert_eq!(qin("!!a"), "!!'a'");
    assert_eq!(qin("a <-> b"), "'a' <-> 'b'");
    assert_eq!(qin("a <2> b"), "'a' <2> 'b'");
    assert_eq!(qin("a <0> b"), "'a' <0> 'b'");
    assert_eq!(qin("a <-> b <-> c"), "'a' <-> 'b' <-> 'c'");
    assert_eq!(qin("a <-> (b <-> c)"), "'a' <-> ( 'b' <-> 'c' )");
    assert_eq!(qin("a <-> (b | c)"), "'a' <-> ( 'b' | 'c' )");
    assert_eq!(qin("(a | b) <-> c"), "( 'a' | 'b' ) <-> 'c'");
    assert_eq!(qin("a <-> !b"), "'a' <-> !'b'");
    assert_eq!(qin("!a <-> b"), "!'a' <-> 'b'");
    assert_eq!(
        qin("fat & (rat | cat) <-> !dog"),
        "'fat' & ( 'rat' | 'cat' ) <-> !'dog'"
    );
    assert_eq!(qin("a:*"), "'a':*");
    assert_eq!(qin("a:AB"), "'a':AB");
    assert_eq!(qin("a:*BA"), "'a':*AB");
    assert_eq!(qin("a:abcd"), "'a':ABCD");
    assert_eq!(qin("'a b'"), "'a b'");
    assert_eq!(qin("'a''b' & c"), "'a''b' & 'c'");
    assert_eq!(qin("a\\ b"), "'a b'");
    assert_eq!(qin("Fat & RATS"), "'Fat' & 'RATS'");
    assert_eq!(qin("café | 日本"), "'café' | '日本'");
    assert_eq!(qin("a&b|c&!d"), "'a' & 'b' | 'c' & !'d'");
    assert_eq!(qin("((a))"), "'a'");
    assert_eq!(qin("a <16384> b"), "'a' <16384> 'b'");
    assert_eq!(qin("x:*A <2> y:B"), "'x':*A <2> 'y':B");
    assert_eq!(qin(""), "");
    assert_eq!(qin("   "), "");
}

#[test]
fn tsquery_input_errors() {
    assert_eq!(
        err("a & ".parse::<TsQuery>()),
        ("42601", "no operand in tsquery: \"a & \"".to_string())
    );
    assert_eq!(
        err("a &".parse::<TsQuery>()),
        ("42601", "no operand in tsquery: \"a &\"".to_string())
    );
    assert_eq!(
        err("& a".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"& a\"".to_string())
    );
    assert_eq!(
        err("!".parse::<TsQuery>()),
        ("42601", "no operand in tsquery: \"!\"".to_string())
    );
    assert_eq!(
        err("(".parse::<TsQuery>()),
        ("42601", "no operand in tsquery: \"(\"".to_string())
    );
    assert_eq!(
        err(")".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \")\"".to_string())
    );
    assert_eq!(
        err("a)".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a)\"".to_string())
    );
    assert_eq!(
        err("(a".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"(a\"".to_string())
    );
    assert_eq!(
        err("a b".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a b\"".to_string())
    );
    assert_eq!(
        err("a <->".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a <->\"".to_string())
    );
    assert_eq!(
        err("a <16385> b".parse::<TsQuery>()),
        (
            "22023",
            "distance in phrase operator must be an integer value between zero and 16384 inclusive"
                .to_string()
        )
    );
    assert_eq!(
        err("a <-1> b".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a <-1> b\"".to_string())
    );
    assert_eq!(
        err(":a".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \":a\"".to_string())
    );
    assert_eq!(
        err("''".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"''\"".to_string())
    );
    assert_eq!(
        err("'a".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"'a\"".to_string())
    );
    assert_eq!(
        err("a\\".parse::<TsQuery>()),
        (
            "42601",
            "there is no escaped character: \"a\\\"".to_string()
        )
    );
    assert_eq!(
        err("a<b".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a<b\"".to_string())
    );
    assert_eq!(
        err("a | | b".parse::<TsQuery>()),
        ("42601", "syntax error in tsquery: \"a | | b\"".to_string())
    );
    assert_eq!(err("w".repeat(2047).parse::<TsQuery>()), ("54000", "word is too long in tsquery: \"wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww\"".to_string()));
}

#[test]
fn to_tsquery_cases() {
    assert_eq!(toq(TsConfig::English, "the & cat"), "'cat'");
    assert_eq!(toq(TsConfig::English, "cat & the"), "'cat'");
    assert_eq!(toq(TsConfig::English, "the"), "");
    assert_eq!(toq(TsConfig::English, "Fat:ab & Cats"), "'fat':AB & 'cat'");
    assert_eq!(
        toq(TsConfig::English, "supernovae:*A & !dog"),
        "'supernova':*A & !'dog'"
    );
    assert_eq!(
        toq(TsConfig::English, "foo-bar"),
        "'foo-bar' <-> 'foo' <-> 'bar'"
    );
    assert_eq!(toq(TsConfig::English, "'the fat cat'"), "'fat' <-> 'cat'");
    assert_eq!(toq(TsConfig::English, "!the & cat"), "'cat'");
    assert_eq!(toq(TsConfig::English, "the <-> cat"), "'cat'");
    assert_eq!(
        toq(TsConfig::English, "cat <-> the <-> dog"),
        "'cat' <2> 'dog'"
    );
    assert_eq!(toq(TsConfig::English, "(the & a) | cat"), "'cat'");
    assert_eq!(
        toq(TsConfig::English, "1.2.3 & user@example.com"),
        "'1.2.3' & 'user@example.com'"
    );
    assert_eq!(
        toq(TsConfig::English, "'quick brown' <-> fox"),
        "'quick' <-> 'brown' <-> 'fox'"
    );
    assert_eq!(
        toq(TsConfig::English, "running:* | jumped"),
        "'run':* | 'jump'"
    );
    assert_eq!(toq(TsConfig::English, ""), "");
    assert_eq!(toq(TsConfig::Simple, "the & cat"), "'the' & 'cat'");
    assert_eq!(toq(TsConfig::Simple, "cat & the"), "'cat' & 'the'");
    assert_eq!(toq(TsConfig::Simple, "the"), "'the'");
    assert_eq!(toq(TsConfig::Simple, "Fat:ab & Cats"), "'fat':AB & 'cats'");
    assert_eq!(
        toq(TsConfig::Simple, "supernovae:*A & !dog"),
        "'supernovae':*A & !'dog'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "foo-bar"),
        "'foo-bar' <-> 'foo' <-> 'bar'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "'the fat cat'"),
        "'the' <-> 'fat' <-> 'cat'"
    );
    assert_eq!(toq(TsConfig::Simple, "!the & cat"), "!'the' & 'cat'");
    assert_eq!(toq(TsConfig::Simple, "the <-> cat"), "'the' <-> 'cat'");
    assert_eq!(
        toq(TsConfig::Simple, "cat <-> the <-> dog"),
        "'cat' <-> 'the' <-> 'dog'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "(the & a) | cat"),
        "'the' & 'a' | 'cat'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "1.2.3 & user@example.com"),
        "'1.2.3' & 'user@example.com'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "'quick brown' <-> fox"),
        "'quick' <-> 'brown' <-> 'fox'"
    );
    assert_eq!(
        toq(TsConfig::Simple, "running:* | jumped"),
        "'running':* | 'jumped'"
    );
    assert_eq!(toq(TsConfig::Simple, ""), "");
    assert_eq!(
        err(to_tsquery(TsConfig::English, "cat &")),
        ("42601", "no operand in tsquery: \"cat &\"".to_string())
    );
    assert_eq!(
        err(to_tsquery(TsConfig::English, "cat dog")),
        ("42601", "syntax error in tsquery: \"cat dog\"".to_string())
    );
    assert_eq!(
        err(to_tsquery(TsConfig::English, "(cat")),
        ("42601", "syntax error in tsquery: \"(cat\"".to_string())
    );
    assert_eq!(
        err(to_tsquery(TsConfig::English, "a <99999> b")),
        (
            "22023",
            "distance in phrase operator must be an integer value between zero and 16384 inclusive"
                .to_string()
        )
    );
}

#[test]
fn plainto_tsquery_cases() {
    assert_eq!(
        plainto_tsquery(TsConfig::English, "The Fat Rats").to_string(),
        "'fat' & 'rat'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::English, "the cat and the hat").to_string(),
        "'cat' & 'hat'"
    );
    assert_eq!(plainto_tsquery(TsConfig::English, "the").to_string(), "");
    assert_eq!(plainto_tsquery(TsConfig::English, "").to_string(), "");
    assert_eq!(
        plainto_tsquery(TsConfig::English, "foo-bar baz").to_string(),
        "'foo-bar' & 'foo' & 'bar' & 'baz'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::English, "fat & rat | !cat").to_string(),
        "'fat' & 'rat' & 'cat'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::English, "supernovae stars:*").to_string(),
        "'supernova' & 'star'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::English, "hello search").to_string(),
        "'hello' & 'search'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::English, "don't stop").to_string(),
        "'stop'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "The Fat Rats").to_string(),
        "'the' & 'fat' & 'rats'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "the cat and the hat").to_string(),
        "'the' & 'cat' & 'and' & 'the' & 'hat'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "the").to_string(),
        "'the'"
    );
    assert_eq!(plainto_tsquery(TsConfig::Simple, "").to_string(), "");
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "foo-bar baz").to_string(),
        "'foo-bar' & 'foo' & 'bar' & 'baz'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "fat & rat | !cat").to_string(),
        "'fat' & 'rat' & 'cat'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "supernovae stars:*").to_string(),
        "'supernovae' & 'stars'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "hello search").to_string(),
        "'hello' & 'search'"
    );
    assert_eq!(
        plainto_tsquery(TsConfig::Simple, "don't stop").to_string(),
        "'don' & 't' & 'stop'"
    );
}

#[test]
fn phraseto_tsquery_cases() {
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "The Fat Rats").to_string(),
        "'fat' <-> 'rat'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "the cat and the hat").to_string(),
        "'cat' <3> 'hat'"
    );
    assert_eq!(phraseto_tsquery(TsConfig::English, "the").to_string(), "");
    assert_eq!(phraseto_tsquery(TsConfig::English, "").to_string(), "");
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "foo-bar baz").to_string(),
        "'foo-bar' <-> 'foo' <-> 'bar' <-> 'baz'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "fat & rat | !cat").to_string(),
        "'fat' <-> 'rat' <-> 'cat'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "supernovae stars:*").to_string(),
        "'supernova' <-> 'star'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "hello search").to_string(),
        "'hello' <-> 'search'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::English, "don't stop").to_string(),
        "'stop'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "The Fat Rats").to_string(),
        "'the' <-> 'fat' <-> 'rats'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "the cat and the hat").to_string(),
        "'the' <-> 'cat' <-> 'and' <-> 'the' <-> 'hat'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "the").to_string(),
        "'the'"
    );
    assert_eq!(phraseto_tsquery(TsConfig::Simple, "").to_string(), "");
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "foo-bar baz").to_string(),
        "'foo-bar' <-> 'foo' <-> 'bar' <-> 'baz'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "fat & rat | !cat").to_string(),
        "'fat' <-> 'rat' <-> 'cat'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "supernovae stars:*").to_string(),
        "'supernovae' <-> 'stars'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "hello search").to_string(),
        "'hello' <-> 'search'"
    );
    assert_eq!(
        phraseto_tsquery(TsConfig::Simple, "don't stop").to_string(),
        "'don' <-> 't' <-> 'stop'"
    );
}

#[test]
fn websearch_to_tsquery_cases() {
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "The Fat Rats").to_string(),
        "'fat' & 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "the cat and the hat").to_string(),
        "'cat' & 'hat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "the").to_string(),
        ""
    );
    assert_eq!(websearch_to_tsquery(TsConfig::English, "").to_string(), "");
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "foo-bar baz").to_string(),
        "'foo-bar' <-> 'foo' <-> 'bar' & 'baz'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "fat & rat | !cat").to_string(),
        "'fat' & 'rat' & 'cat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "supernovae stars:*").to_string(),
        "'supernova' & 'star'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "hello search").to_string(),
        "'hello' & 'search'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "don't stop").to_string(),
        "'stop'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "\"supernovae stars\" -crab").to_string(),
        "'supernova' <-> 'star' & !'crab'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "\"sad cat\" or \"fat rat\"").to_string(),
        "'sad' <-> 'cat' | 'fat' <-> 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "signal -\"segmentation fault\"").to_string(),
        "'signal' & !( 'segment' <-> 'fault' )"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "fat or rat").to_string(),
        "'fat' | 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "fat OR").to_string(),
        "'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "or fat").to_string(),
        "'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "fat orrat").to_string(),
        "'fat' & 'orrat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "-fat").to_string(),
        "!'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "\"fat rat").to_string(),
        "'fat' <-> 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "fat \"\"").to_string(),
        "'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "cat or the").to_string(),
        "'cat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "(fat rat) <-> x").to_string(),
        "'fat' & 'rat' & 'x'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::English, "\"the cat\" dog").to_string(),
        "'cat' & 'dog'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "The Fat Rats").to_string(),
        "'the' & 'fat' & 'rats'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "the cat and the hat").to_string(),
        "'the' & 'cat' & 'and' & 'the' & 'hat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "the").to_string(),
        "'the'"
    );
    assert_eq!(websearch_to_tsquery(TsConfig::Simple, "").to_string(), "");
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "foo-bar baz").to_string(),
        "'foo-bar' <-> 'foo' <-> 'bar' & 'baz'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "fat & rat | !cat").to_string(),
        "'fat' & 'rat' & 'cat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "supernovae stars:*").to_string(),
        "'supernovae' & 'stars'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "hello search").to_string(),
        "'hello' & 'search'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "don't stop").to_string(),
        "'don' <-> 't' & 'stop'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "\"supernovae stars\" -crab").to_string(),
        "'supernovae' <-> 'stars' & !'crab'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "\"sad cat\" or \"fat rat\"").to_string(),
        "'sad' <-> 'cat' | 'fat' <-> 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "signal -\"segmentation fault\"").to_string(),
        "'signal' & !( 'segmentation' <-> 'fault' )"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "fat or rat").to_string(),
        "'fat' | 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "fat OR").to_string(),
        "'fat' & 'or'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "or fat").to_string(),
        "'or' & 'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "fat orrat").to_string(),
        "'fat' & 'orrat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "-fat").to_string(),
        "!'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "\"fat rat").to_string(),
        "'fat' <-> 'rat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "fat \"\"").to_string(),
        "'fat'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "cat or the").to_string(),
        "'cat' | 'the'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "(fat rat) <-> x").to_string(),
        "'fat' & 'rat' & 'x'"
    );
    assert_eq!(
        websearch_to_tsquery(TsConfig::Simple, "\"the cat\" dog").to_string(),
        "'the' <-> 'cat' & 'dog'"
    );
}

#[test]
fn match_operator() {
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "fat & rat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat & rat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "fat & !rat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat & !rat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "fat <-> cat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat <-> cat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "cat <-> fat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "cat <-> fat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "fat <2> sat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat <2> sat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "fat <3> sat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat <3> sat"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "!cat"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "!cat"
    );
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "fat:A"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "fat:A"
    );
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "a:A"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a:A"
    );
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "a:B | b:B"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a:B | b:B"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "b <-> c:C"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "b <-> c:C"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "a <-> !b"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a <-> !b"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "!a <-> b"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "!a <-> b"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "a <2> c"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a <2> c"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "a <-> (b | d)"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a <-> (b | d)"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "super:*"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "super:*"
    );
    assert!(
        !m(
            "a fat cat sat on a mat and ate a fat rat",
            "super:* <-> star"
        ),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "super:* <-> star"
    );
    assert!(
        !m(
            "a fat cat sat on a mat and ate a fat rat",
            "su:* & !supersonic"
        ),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "su:* & !supersonic"
    );
    assert!(
        !m("a fat cat sat on a mat and ate a fat rat", "x"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "x"
    );
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "a | x"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "a | x"
    );
    assert!(
        m("a fat cat sat on a mat and ate a fat rat", "!(a <-> b)"),
        "{} @@ {}",
        "a fat cat sat on a mat and ate a fat rat",
        "!(a <-> b)"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat & rat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat & rat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat & !rat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat & !rat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat <-> cat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat <-> cat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "cat <-> fat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "cat <-> fat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat <2> sat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat <2> sat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat <3> sat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat <3> sat"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "!cat"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "!cat"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "fat:A"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "fat:A"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "a:A"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a:A"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "a:B | b:B"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a:B | b:B"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "b <-> c:C"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "b <-> c:C"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "a <-> !b"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a <-> !b"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "!a <-> b"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "!a <-> b"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "a <2> c"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a <2> c"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "a <-> (b | d)"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a <-> (b | d)"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "super:*"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "super:*"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "super:* <-> star"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "super:* <-> star"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "su:* & !supersonic"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "su:* & !supersonic"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "x"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "x"
    );
    assert!(
        m("'a':1A 'b':2B 'c':3C 'd':4", "a | x"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "a | x"
    );
    assert!(
        !m("'a':1A 'b':2B 'c':3C 'd':4", "!(a <-> b)"),
        "{} @@ {}",
        "'a':1A 'b':2B 'c':3C 'd':4",
        "!(a <-> b)"
    );
    assert!(!m("a b c", "fat & rat"), "{} @@ {}", "a b c", "fat & rat");
    assert!(!m("a b c", "fat & !rat"), "{} @@ {}", "a b c", "fat & !rat");
    assert!(
        !m("a b c", "fat <-> cat"),
        "{} @@ {}",
        "a b c",
        "fat <-> cat"
    );
    assert!(
        !m("a b c", "cat <-> fat"),
        "{} @@ {}",
        "a b c",
        "cat <-> fat"
    );
    assert!(
        !m("a b c", "fat <2> sat"),
        "{} @@ {}",
        "a b c",
        "fat <2> sat"
    );
    assert!(
        !m("a b c", "fat <3> sat"),
        "{} @@ {}",
        "a b c",
        "fat <3> sat"
    );
    assert!(m("a b c", "!cat"), "{} @@ {}", "a b c", "!cat");
    assert!(!m("a b c", "fat:A"), "{} @@ {}", "a b c", "fat:A");
    assert!(m("a b c", "a:A"), "{} @@ {}", "a b c", "a:A");
    assert!(m("a b c", "a:B | b:B"), "{} @@ {}", "a b c", "a:B | b:B");
    assert!(!m("a b c", "b <-> c:C"), "{} @@ {}", "a b c", "b <-> c:C");
    assert!(!m("a b c", "a <-> !b"), "{} @@ {}", "a b c", "a <-> !b");
    assert!(!m("a b c", "!a <-> b"), "{} @@ {}", "a b c", "!a <-> b");
    assert!(!m("a b c", "a <2> c"), "{} @@ {}", "a b c", "a <2> c");
    assert!(
        !m("a b c", "a <-> (b | d)"),
        "{} @@ {}",
        "a b c",
        "a <-> (b | d)"
    );
    assert!(!m("a b c", "super:*"), "{} @@ {}", "a b c", "super:*");
    assert!(
        !m("a b c", "super:* <-> star"),
        "{} @@ {}",
        "a b c",
        "super:* <-> star"
    );
    assert!(
        !m("a b c", "su:* & !supersonic"),
        "{} @@ {}",
        "a b c",
        "su:* & !supersonic"
    );
    assert!(!m("a b c", "x"), "{} @@ {}", "a b c", "x");
    assert!(m("a b c", "a | x"), "{} @@ {}", "a b c", "a | x");
    assert!(m("a b c", "!(a <-> b)"), "{} @@ {}", "a b c", "!(a <-> b)");
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat & rat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat & rat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat & !rat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat & !rat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat <-> cat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat <-> cat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "cat <-> fat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "cat <-> fat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat <2> sat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat <2> sat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat <3> sat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat <3> sat"
    );
    assert!(
        m("'supernova':1 'star':2 'supersonic':3", "!cat"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "!cat"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "fat:A"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "fat:A"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a:A"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a:A"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a:B | b:B"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a:B | b:B"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "b <-> c:C"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "b <-> c:C"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a <-> !b"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a <-> !b"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "!a <-> b"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "!a <-> b"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a <2> c"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a <2> c"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a <-> (b | d)"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a <-> (b | d)"
    );
    assert!(
        m("'supernova':1 'star':2 'supersonic':3", "super:*"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "super:*"
    );
    assert!(
        m("'supernova':1 'star':2 'supersonic':3", "super:* <-> star"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "super:* <-> star"
    );
    assert!(
        !m(
            "'supernova':1 'star':2 'supersonic':3",
            "su:* & !supersonic"
        ),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "su:* & !supersonic"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "x"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "x"
    );
    assert!(
        !m("'supernova':1 'star':2 'supersonic':3", "a | x"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "a | x"
    );
    assert!(
        m("'supernova':1 'star':2 'supersonic':3", "!(a <-> b)"),
        "{} @@ {}",
        "'supernova':1 'star':2 'supersonic':3",
        "!(a <-> b)"
    );
    assert!(ts_match(
        &to_tsvector(
            TsConfig::English,
            "The quick brown foxes jumped over the lazy dogs"
        ),
        &to_tsquery(TsConfig::English, "quick & fox").unwrap()
    ));
    assert!(ts_match(
        &to_tsvector(TsConfig::English, "The quick brown foxes"),
        &to_tsquery(TsConfig::English, "quick <-> brown <-> foxes").unwrap()
    ));
    assert!(!ts_match(
        &to_tsvector(TsConfig::English, "The quick brown foxes"),
        &to_tsquery(TsConfig::English, "brown <-> quick").unwrap()
    ));
    assert!(ts_match(
        &to_tsvector(TsConfig::English, "fat rats eat cheese"),
        &to_tsquery(TsConfig::English, "rat:* & chees:*").unwrap()
    ));
    assert!(!m("a b c", "a <-> b"));
    assert!(m("a b c", "a & b"));
    assert!(m("a b c", "a:A"));
    assert!(m("a b c", "!(a <-> b)"));
    assert!(!ts_match(&vin2("a b"), &TsQuery::empty()));
}

#[test]
fn rank_functions() {
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.31170073f32,
        "ts_rank/0 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            1
        ),
        0.09010172f32,
        "ts_rank/1 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            2
        ),
        0.031170074f32,
        "ts_rank/2 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            4
        ),
        0.31170073f32,
        "ts_rank/4 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            8
        ),
        0.03896259f32,
        "ts_rank/8 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            16
        ),
        0.09833063f32,
        "ts_rank/16 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            32
        ),
        0.237631f32,
        "ts_rank/32 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            37
        ),
        0.08265442f32,
        "ts_rank/37 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.31170073f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.99995434f32,
        "ts_rank/[1,1,1,1] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.9064493f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.040528473f32,
        "ts_rank/0 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            1
        ),
        0.011715356f32,
        "ts_rank/1 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            2
        ),
        0.004052847f32,
        "ts_rank/2 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            4
        ),
        0.040528473f32,
        "ts_rank/4 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            8
        ),
        0.005066059f32,
        "ts_rank/8 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            16
        ),
        0.01278531f32,
        "ts_rank/16 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            32
        ),
        0.038949896f32,
        "ts_rank/32 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            37
        ),
        0.011579695f32,
        "ts_rank/37 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.040528473f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.40528473f32,
        "ts_rank/[1,1,1,1] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.20264237f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.12583081f32,
        "ts_rank/0 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            1
        ),
        0.03637326f32,
        "ts_rank/1 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            2
        ),
        0.012583082f32,
        "ts_rank/2 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            4
        ),
        0.12583081f32,
        "ts_rank/4 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            8
        ),
        0.015728852f32,
        "ts_rank/8 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            16
        ),
        0.039695203f32,
        "ts_rank/16 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            32
        ),
        0.111767076f32,
        "ts_rank/32 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            37
        ),
        0.035096683f32,
        "ts_rank/37 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.12583081f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.99369276f32,
        "ts_rank/[1,1,1,1] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.57035065f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        1e-20f32,
        "ts_rank/0 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            1
        ),
        2.890648e-21f32,
        "ts_rank/1 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            2
        ),
        1e-21f32,
        "ts_rank/2 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            4
        ),
        1e-20f32,
        "ts_rank/4 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            8
        ),
        1.25e-21f32,
        "ts_rank/8 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            16
        ),
        3.1546488e-21f32,
        "ts_rank/16 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            32
        ),
        1e-20f32,
        "ts_rank/32 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            37
        ),
        2.890648e-21f32,
        "ts_rank/37 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        1e-20f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        1e-20f32,
        "ts_rank/[1,1,1,1] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        1e-20f32,
        "ts_rank/[0,0,0,1] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        1e-20f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank/0 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            1
        ),
        0f32,
        "ts_rank/1 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            2
        ),
        0f32,
        "ts_rank/2 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            4
        ),
        0f32,
        "ts_rank/4 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            8
        ),
        0f32,
        "ts_rank/8 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            16
        ),
        0f32,
        "ts_rank/16 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            32
        ),
        0f32,
        "ts_rank/32 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            37
        ),
        0f32,
        "ts_rank/37 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[1,1,1,1] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "search | highlight"
    );
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 1e-20f32, "ts_rank/0 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 1), 2.7023815e-21f32, "ts_rank/1 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 2), 8.333333e-22f32, "ts_rank/2 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 4), 1e-20f32, "ts_rank/4 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 8), 1.1111111e-21f32, "ts_rank/8 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 16), 3.0102999e-21f32, "ts_rank/16 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 32), 1e-20f32, "ts_rank/32 {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 37), 2.7023815e-21f32, "ts_rank/37 {}", "fox & dog");
    assert_eq!(ts_rank(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 1e-20f32, "ts_rank/[0.1,0.2,0.4,1.0] {}", "fox & dog");
    assert_eq!(ts_rank(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 1e-20f32, "ts_rank/[1,1,1,1] {}", "fox & dog");
    assert_eq!(ts_rank(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 1e-20f32, "ts_rank/[0,0,0,1] {}", "fox & dog");
    assert_eq!(ts_rank(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 1e-20f32, "ts_rank/[0.5,-1,0.25,0.9] {}", "fox & dog");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank/0 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 1), 0f32, "ts_rank/1 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 2), 0f32, "ts_rank/2 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 4), 0f32, "ts_rank/4 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 8), 0f32, "ts_rank/8 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 16), 0f32, "ts_rank/16 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 32), 0f32, "ts_rank/32 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 37), 0f32, "ts_rank/37 {}", "quick | lazy | cat");
    assert_eq!(ts_rank(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank/[0.1,0.2,0.4,1.0] {}", "quick | lazy | cat");
    assert_eq!(ts_rank(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank/[1,1,1,1] {}", "quick | lazy | cat");
    assert_eq!(ts_rank(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank/[0,0,0,1] {}", "quick | lazy | cat");
    assert_eq!(ts_rank(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank/[0.5,-1,0.25,0.9] {}", "quick | lazy | cat");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 1e-20f32, "ts_rank/0 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 1), 2.7023815e-21f32, "ts_rank/1 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 2), 8.333333e-22f32, "ts_rank/2 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 4), 1e-20f32, "ts_rank/4 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 8), 1.1111111e-21f32, "ts_rank/8 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 16), 3.0102999e-21f32, "ts_rank/16 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 32), 1e-20f32, "ts_rank/32 {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 37), 2.7023815e-21f32, "ts_rank/37 {}", "fox <-> run");
    assert_eq!(ts_rank(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 1e-20f32, "ts_rank/[0.1,0.2,0.4,1.0] {}", "fox <-> run");
    assert_eq!(ts_rank(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 1e-20f32, "ts_rank/[1,1,1,1] {}", "fox <-> run");
    assert_eq!(ts_rank(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 1e-20f32, "ts_rank/[0,0,0,1] {}", "fox <-> run");
    assert_eq!(ts_rank(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 1e-20f32, "ts_rank/[0.5,-1,0.25,0.9] {}", "fox <-> run");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.33157605f32, "ts_rank/0 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 1), 0.0896045f32, "ts_rank/1 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 2), 0.027631337f32, "ts_rank/2 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 4), 0.33157605f32, "ts_rank/4 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 8), 0.036841784f32, "ts_rank/8 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 16), 0.09981433f32, "ts_rank/16 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 32), 0.2490102f32, "ts_rank/32 {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 37), 0.0822358f32, "ts_rank/37 {}", "search & result:*");
    assert_eq!(ts_rank(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.33157605f32, "ts_rank/[0.1,0.2,0.4,1.0] {}", "search & result:*");
    assert_eq!(ts_rank(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.99999905f32, "ts_rank/[1,1,1,1] {}", "search & result:*");
    assert_eq!(ts_rank(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0f32, "ts_rank/[0,0,0,1] {}", "search & result:*");
    assert_eq!(ts_rank(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.92642444f32, "ts_rank/[0.5,-1,0.25,0.9] {}", "search & result:*");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.07366894f32, "ts_rank/0 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 1), 0.019908158f32, "ts_rank/1 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 2), 0.0061390786f32, "ts_rank/2 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 4), 0.07366894f32, "ts_rank/4 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 8), 0.008185438f32, "ts_rank/8 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 16), 0.022176562f32, "ts_rank/16 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 32), 0.06861421f32, "ts_rank/32 {}", "search | highlight");
    assert_eq!(ts_rank(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 37), 0.019519558f32, "ts_rank/37 {}", "search | highlight");
    assert_eq!(ts_rank(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.07366894f32, "ts_rank/[0.1,0.2,0.4,1.0] {}", "search | highlight");
    assert_eq!(ts_rank(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.73668945f32, "ts_rank/[1,1,1,1] {}", "search | highlight");
    assert_eq!(ts_rank(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0f32, "ts_rank/[0,0,0,1] {}", "search | highlight");
    assert_eq!(ts_rank(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.36834472f32, "ts_rank/[0.5,-1,0.25,0.9] {}", "search | highlight");
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.8149079f32,
        "ts_rank/0 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            1
        ),
        0.27163598f32,
        "ts_rank/1 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            2
        ),
        0.11641542f32,
        "ts_rank/2 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            4
        ),
        0.8149079f32,
        "ts_rank/4 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            8
        ),
        0.20372698f32,
        "ts_rank/8 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            16
        ),
        0.35096174f32,
        "ts_rank/16 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            32
        ),
        0.44900787f32,
        "ts_rank/32 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            37
        ),
        0.21361142f32,
        "ts_rank/37 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.8149079f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.999996f32,
        "ts_rank/[1,1,1,1] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.8235702f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.8149079f32,
        "ts_rank/0 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            1
        ),
        0.27163598f32,
        "ts_rank/1 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            2
        ),
        0.11641542f32,
        "ts_rank/2 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            4
        ),
        0.8149079f32,
        "ts_rank/4 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            8
        ),
        0.20372698f32,
        "ts_rank/8 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            16
        ),
        0.35096174f32,
        "ts_rank/16 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            32
        ),
        0.44900787f32,
        "ts_rank/32 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            37
        ),
        0.21361142f32,
        "ts_rank/37 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.8149079f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.999996f32,
        "ts_rank/[1,1,1,1] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.8235702f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        0.7269186f32,
        "ts_rank/0 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            1
        ),
        0.24230619f32,
        "ts_rank/1 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            2
        ),
        0.103845514f32,
        "ts_rank/2 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            4
        ),
        0.7269186f32,
        "ts_rank/4 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            8
        ),
        0.18172964f32,
        "ts_rank/8 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            16
        ),
        0.31306678f32,
        "ts_rank/16 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            32
        ),
        0.4209339f32,
        "ts_rank/32 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            37
        ),
        0.19504546f32,
        "ts_rank/37 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        0.7269186f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        1f32,
        "ts_rank/[1,1,1,1] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        0.9948907f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.1367836f32,
        "ts_rank/0 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            1
        ),
        0.045594532f32,
        "ts_rank/1 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            2
        ),
        0.019540515f32,
        "ts_rank/2 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            4
        ),
        0.1367836f32,
        "ts_rank/4 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            8
        ),
        0.0341959f32,
        "ts_rank/8 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            16
        ),
        0.05890949f32,
        "ts_rank/16 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            32
        ),
        0.120325096f32,
        "ts_rank/32 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            37
        ),
        0.043606322f32,
        "ts_rank/37 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.1367836f32,
        "ts_rank/[0.1,0.2,0.4,1.0] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.37995443f32,
        "ts_rank/[1,1,1,1] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0f32,
        "ts_rank/[0,0,0,1] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.09118907f32,
        "ts_rank/[0.5,-1,0.25,0.9] {}",
        "b:* | x"
    );
}

#[test]
fn rank_cd_functions() {
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.053333335f32,
        "ts_rank_cd/0 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            1
        ),
        0.022241728f32,
        "ts_rank_cd/1 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            2
        ),
        0.0053333333f32,
        "ts_rank_cd/2 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            4
        ),
        0.0044444446f32,
        "ts_rank_cd/4 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            8
        ),
        0.006666667f32,
        "ts_rank_cd/8 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            16
        ),
        0.016824793f32,
        "ts_rank_cd/16 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            32
        ),
        0.050632913f32,
        "ts_rank_cd/32 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            37
        ),
        0.0018500483f32,
        "ts_rank_cd/37 {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.053333335f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.53333336f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox & dog").unwrap(),
            0
        ),
        0.26666668f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "fox & dog"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.2f32,
        "ts_rank_cd/0 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            1
        ),
        0.08340648f32,
        "ts_rank_cd/1 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            2
        ),
        0.02f32,
        "ts_rank_cd/2 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            4
        ),
        0.016666668f32,
        "ts_rank_cd/4 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            8
        ),
        0.025f32,
        "ts_rank_cd/8 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            16
        ),
        0.06309298f32,
        "ts_rank_cd/16 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            32
        ),
        0.16666667f32,
        "ts_rank_cd/32 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            37
        ),
        0.0069025634f32,
        "ts_rank_cd/37 {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0.2f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        2f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(),
            0
        ),
        1f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "quick | lazy | cat"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.1f32,
        "ts_rank_cd/0 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            1
        ),
        0.04170324f32,
        "ts_rank_cd/1 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            2
        ),
        0.01f32,
        "ts_rank_cd/2 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            4
        ),
        0.1f32,
        "ts_rank_cd/4 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            8
        ),
        0.0125f32,
        "ts_rank_cd/8 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            16
        ),
        0.03154649f32,
        "ts_rank_cd/16 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            32
        ),
        0.09090909f32,
        "ts_rank_cd/32 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            37
        ),
        0.040033706f32,
        "ts_rank_cd/37 {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.1f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        1f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "fox <-> run").unwrap(),
            0
        ),
        0.5f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "fox <-> run"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/0 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            1
        ),
        0f32,
        "ts_rank_cd/1 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            2
        ),
        0f32,
        "ts_rank_cd/2 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            4
        ),
        0f32,
        "ts_rank_cd/4 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            8
        ),
        0f32,
        "ts_rank_cd/8 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            16
        ),
        0f32,
        "ts_rank_cd/16 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            32
        ),
        0f32,
        "ts_rank_cd/32 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            37
        ),
        0f32,
        "ts_rank_cd/37 {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search & result:*").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "search & result:*"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/0 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            1
        ),
        0f32,
        "ts_rank_cd/1 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            2
        ),
        0f32,
        "ts_rank_cd/2 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            4
        ),
        0f32,
        "ts_rank_cd/4 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            8
        ),
        0f32,
        "ts_rank_cd/8 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            16
        ),
        0f32,
        "ts_rank_cd/16 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            32
        ),
        0f32,
        "ts_rank_cd/32 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            37
        ),
        0f32,
        "ts_rank_cd/37 {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "search | highlight"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &to_tsvector(
                TsConfig::English,
                "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs."
            ),
            &to_tsquery(TsConfig::English, "search | highlight").unwrap(),
            0
        ),
        0f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "search | highlight"
    );
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 0f32, "ts_rank_cd/0 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 1), 0f32, "ts_rank_cd/1 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 2), 0f32, "ts_rank_cd/2 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 4), 0f32, "ts_rank_cd/4 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 8), 0f32, "ts_rank_cd/8 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 16), 0f32, "ts_rank_cd/16 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 32), 0f32, "ts_rank_cd/32 {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 37), 0f32, "ts_rank_cd/37 {}", "fox & dog");
    assert_eq!(ts_rank_cd(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 0f32, "ts_rank_cd/[0.1,0.2,0.4,1.0] {}", "fox & dog");
    assert_eq!(ts_rank_cd(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 0f32, "ts_rank_cd/[1,1,1,1] {}", "fox & dog");
    assert_eq!(ts_rank_cd(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 0f32, "ts_rank_cd/[0,0,0,1] {}", "fox & dog");
    assert_eq!(ts_rank_cd(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox & dog").unwrap(), 0), 0f32, "ts_rank_cd/[0.5,-1,0.25,0.9] {}", "fox & dog");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank_cd/0 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 1), 0f32, "ts_rank_cd/1 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 2), 0f32, "ts_rank_cd/2 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 4), 0f32, "ts_rank_cd/4 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 8), 0f32, "ts_rank_cd/8 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 16), 0f32, "ts_rank_cd/16 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 32), 0f32, "ts_rank_cd/32 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 37), 0f32, "ts_rank_cd/37 {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank_cd/[0.1,0.2,0.4,1.0] {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank_cd/[1,1,1,1] {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank_cd/[0,0,0,1] {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "quick | lazy | cat").unwrap(), 0), 0f32, "ts_rank_cd/[0.5,-1,0.25,0.9] {}", "quick | lazy | cat");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 0f32, "ts_rank_cd/0 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 1), 0f32, "ts_rank_cd/1 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 2), 0f32, "ts_rank_cd/2 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 4), 0f32, "ts_rank_cd/4 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 8), 0f32, "ts_rank_cd/8 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 16), 0f32, "ts_rank_cd/16 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 32), 0f32, "ts_rank_cd/32 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 37), 0f32, "ts_rank_cd/37 {}", "fox <-> run");
    assert_eq!(ts_rank_cd(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 0f32, "ts_rank_cd/[0.1,0.2,0.4,1.0] {}", "fox <-> run");
    assert_eq!(ts_rank_cd(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 0f32, "ts_rank_cd/[1,1,1,1] {}", "fox <-> run");
    assert_eq!(ts_rank_cd(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 0f32, "ts_rank_cd/[0,0,0,1] {}", "fox <-> run");
    assert_eq!(ts_rank_cd(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "fox <-> run").unwrap(), 0), 0f32, "ts_rank_cd/[0.5,-1,0.25,0.9] {}", "fox <-> run");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.13333334f32, "ts_rank_cd/0 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 1), 0.051982835f32, "ts_rank_cd/1 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 2), 0.011111111f32, "ts_rank_cd/2 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 4), 0.033333335f32, "ts_rank_cd/4 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 8), 0.0148148155f32, "ts_rank_cd/8 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 16), 0.040137332f32, "ts_rank_cd/16 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 32), 0.11764706f32, "ts_rank_cd/32 {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 37), 0.012828986f32, "ts_rank_cd/37 {}", "search & result:*");
    assert_eq!(ts_rank_cd(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.13333334f32, "ts_rank_cd/[0.1,0.2,0.4,1.0] {}", "search & result:*");
    assert_eq!(ts_rank_cd(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 1.3333334f32, "ts_rank_cd/[1,1,1,1] {}", "search & result:*");
    assert_eq!(ts_rank_cd(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0f32, "ts_rank_cd/[0,0,0,1] {}", "search & result:*");
    assert_eq!(ts_rank_cd(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search & result:*").unwrap(), 0), 0.6666667f32, "ts_rank_cd/[0.5,-1,0.25,0.9] {}", "search & result:*");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.5f32, "ts_rank_cd/0 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 1), 0.19493562f32, "ts_rank_cd/1 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 2), 0.041666668f32, "ts_rank_cd/2 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 4), 0.26666668f32, "ts_rank_cd/4 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 8), 0.055555556f32, "ts_rank_cd/8 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 16), 0.150515f32, "ts_rank_cd/16 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 32), 0.33333334f32, "ts_rank_cd/32 {}", "search | highlight");
    assert_eq!(ts_rank_cd(None, &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 37), 0.09417473f32, "ts_rank_cd/37 {}", "search | highlight");
    assert_eq!(ts_rank_cd(Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0.5f32, "ts_rank_cd/[0.1,0.2,0.4,1.0] {}", "search | highlight");
    assert_eq!(ts_rank_cd(Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 5f32, "ts_rank_cd/[1,1,1,1] {}", "search | highlight");
    assert_eq!(ts_rank_cd(Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 0f32, "ts_rank_cd/[0,0,0,1] {}", "search | highlight");
    assert_eq!(ts_rank_cd(Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]), &to_tsvector(TsConfig::English, "PostgreSQL full text search: search documents, rank search results, and highlight search terms."), &to_tsquery(TsConfig::English, "search | highlight").unwrap(), 0), 2.5f32, "ts_rank_cd/[0.5,-1,0.25,0.9] {}", "search | highlight");
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.65809524f32,
        "ts_rank_cd/0 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            1
        ),
        0.3164769f32,
        "ts_rank_cd/1 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            2
        ),
        0.09401361f32,
        "ts_rank_cd/2 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            4
        ),
        0.17235827f32,
        "ts_rank_cd/4 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            8
        ),
        0.16452381f32,
        "ts_rank_cd/8 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            16
        ),
        0.2834262f32,
        "ts_rank_cd/16 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            32
        ),
        0.39689833f32,
        "ts_rank_cd/32 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            37
        ),
        0.07654245f32,
        "ts_rank_cd/37 {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.65809524f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        1.5833334f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a & b"),
            0
        ),
        0.573844f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "a & b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.5714286f32,
        "ts_rank_cd/0 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            1
        ),
        0.27479905f32,
        "ts_rank_cd/1 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            2
        ),
        0.08163265f32,
        "ts_rank_cd/2 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            4
        ),
        0.5714286f32,
        "ts_rank_cd/4 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            8
        ),
        0.14285715f32,
        "ts_rank_cd/8 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            16
        ),
        0.24610089f32,
        "ts_rank_cd/16 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            32
        ),
        0.36363637f32,
        "ts_rank_cd/32 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            37
        ),
        0.21556264f32,
        "ts_rank_cd/37 {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.5714286f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        1f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("a <-> b"),
            0
        ),
        0.39130434f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "a <-> b"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        1.1f32,
        "ts_rank_cd/0 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            1
        ),
        0.5289882f32,
        "ts_rank_cd/1 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            2
        ),
        0.15714286f32,
        "ts_rank_cd/2 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            4
        ),
        0.275f32,
        "ts_rank_cd/4 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            8
        ),
        0.275f32,
        "ts_rank_cd/8 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            16
        ),
        0.4737442f32,
        "ts_rank_cd/16 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            32
        ),
        0.52380955f32,
        "ts_rank_cd/32 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            37
        ),
        0.116800524f32,
        "ts_rank_cd/37 {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        1.1f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        2f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        1f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("(a | c) & !d"),
            0
        ),
        1.4f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "(a | c) & !d"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.6f32,
        "ts_rank_cd/0 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            1
        ),
        0.28853902f32,
        "ts_rank_cd/1 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            2
        ),
        0.08571429f32,
        "ts_rank_cd/2 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            4
        ),
        0.042857144f32,
        "ts_rank_cd/4 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            8
        ),
        0.15f32,
        "ts_rank_cd/8 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            16
        ),
        0.25840592f32,
        "ts_rank_cd/16 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            32
        ),
        0.375f32,
        "ts_rank_cd/32 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            None,
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            37
        ),
        0.020193739f32,
        "ts_rank_cd/37 {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.1f32, 0.2f32, 0.4f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.6f32,
        "ts_rank_cd/[0.1,0.2,0.4,1.0] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            Some([1.0f32, 1.0f32, 1.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        2f32,
        "ts_rank_cd/[1,1,1,1] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.0f32, 0.0f32, 0.0f32, 1.0f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0f32,
        "ts_rank_cd/[0,0,0,1] {}",
        "b:* | x"
    );
    assert_eq!(
        ts_rank_cd(
            Some([0.5f32, -1.0f32, 0.25f32, 0.9f32]),
            &vin2("'a':1A,5 'b':2B,9C 'c':3,12 'd':4D"),
            &qin2("b:* | x"),
            0
        ),
        0.45f32,
        "ts_rank_cd/[0.5,-1,0.25,0.9] {}",
        "b:* | x"
    );
}

#[test]
fn rank_edge_cases() {
    assert_eq!(
        check_weights(&[0.1, 0.2, 0.4, 1.5]).unwrap_err(),
        TsError::InvalidParameter("weight out of range".to_string())
    );
    assert_eq!("22023", "22023");
    assert_eq!(
        check_weights(&[-1.0, 0.5, -2.0, 1.0]).unwrap(),
        [0.1, 0.5, 0.4, 1.0]
    );
    assert_eq!(ts_rank(None, &vin2(""), &qin2("a"), 0), 0f32);
    assert_eq!(ts_rank_cd(None, &vin2(""), &qin2("a"), 0), 0f32);
    assert_eq!(ts_rank(None, &vin2("a:1"), &qin2(""), 0), 0f32);
    assert_eq!(ts_rank_cd(None, &vin2("a:1"), &qin2(""), 0), 0f32);
    assert_eq!(ts_rank(None, &vin2("a"), &qin2("a"), 0), 0.06079271f32);
    assert_eq!(ts_rank_cd(None, &vin2("a"), &qin2("a"), 0), 0f32);
    assert_eq!(ts_rank(None, &vin2("a b"), &qin2("a & b"), 0), 1e-16f32);
    assert_eq!(ts_rank_cd(None, &vin2("a b"), &qin2("a & b"), 0), 0f32);
}

#[test]
fn vector_and_query_operators() {
    assert_eq!(
        setweight(&vin2("a:1,2 b:3"), 'A').unwrap().to_string(),
        "'a':1A,2A 'b':3A"
    );
    assert_eq!(
        setweight(&vin2("a:1A,2B b c:3C"), 'd').unwrap().to_string(),
        "'a':1,2 'b' 'c':3"
    );
    assert_eq!(
        setweight(&vin2("'fat':2,4 'cat':3 'rat':5A"), 'b')
            .unwrap()
            .to_string(),
        "'cat':3B 'fat':2B,4B 'rat':5B"
    );
    assert_eq!(setweight(&vin2(""), 'a').unwrap().to_string(), "");
    assert_eq!(
        setweight(&vin2("a:1"), 'x').unwrap_err().to_string(),
        "unrecognized weight: 120"
    );
    assert_eq!(
        strip(&vin2("'fat':2,4 'cat':3 'rat':5A")).to_string(),
        "'cat' 'fat' 'rat'"
    );
    assert_eq!(length(&vin2("'fat':2,4 'cat':3 'rat':5A")), 3);
    assert_eq!(strip(&vin2("a b")).to_string(), "'a' 'b'");
    assert_eq!(length(&vin2("a b")), 2);
    assert_eq!(strip(&vin2("")).to_string(), "");
    assert_eq!(length(&vin2("")), 0);
    assert_eq!(
        concat(&vin2("a:1 b:2"), &vin2("c:1 d:2")).to_string(),
        "'a':1 'b':2 'c':3 'd':4"
    );
    assert_eq!(
        concat(&vin2("a:1 b:2"), &vin2("b:1 a:3")).to_string(),
        "'a':1,5 'b':2,3"
    );
    assert_eq!(
        concat(&vin2("a:1A b:2"), &vin2("a:1B c")).to_string(),
        "'a':1A,3B 'b':2 'c'"
    );
    assert_eq!(
        concat(&vin2("a b"), &vin2("c:3")).to_string(),
        "'a' 'b' 'c':3"
    );
    assert_eq!(
        concat(&vin2("'fat':2,4 'cat':3"), &vin2("'rat':1 'fat':1")).to_string(),
        "'cat':3 'fat':2,4,5 'rat':5"
    );
    assert_eq!(
        concat(&vin2("x:16000"), &vin2("x:500 y:400")).to_string(),
        "'x':16000,16383 'y':16383"
    );
    assert_eq!(concat(&vin2(""), &vin2("a:2")).to_string(), "'a':2");
    assert_eq!(numnode(&qin2("a")), 1);
    assert_eq!(numnode(&qin2("a & b")), 3);
    assert_eq!(numnode(&qin2("!a")), 2);
    assert_eq!(numnode(&qin2("(a | b) & !c <-> d")), 8);
    assert_eq!(numnode(&qin2("")), 0);
    assert_eq!(tsquery_and(&qin2("a"), &qin2("b")).to_string(), "'a' & 'b'");
    assert_eq!(tsquery_or(&qin2("a"), &qin2("b")).to_string(), "'a' | 'b'");
    assert_eq!(
        tsquery_and(&qin2("a | b"), &qin2("c & d")).to_string(),
        "( 'a' | 'b' ) & 'c' & 'd'"
    );
    assert_eq!(
        tsquery_or(&qin2("a | b"), &qin2("c & d")).to_string(),
        "'a' | 'b' | 'c' & 'd'"
    );
    assert_eq!(
        tsquery_and(&qin2("a & b"), &qin2("c | d")).to_string(),
        "'a' & 'b' & ( 'c' | 'd' )"
    );
    assert_eq!(
        tsquery_or(&qin2("a & b"), &qin2("c | d")).to_string(),
        "'a' & 'b' | 'c' | 'd'"
    );
    assert_eq!(
        tsquery_and(&qin2("a <-> b"), &qin2("!c")).to_string(),
        "'a' <-> 'b' & !'c'"
    );
    assert_eq!(
        tsquery_or(&qin2("a <-> b"), &qin2("!c")).to_string(),
        "'a' <-> 'b' | !'c'"
    );
    assert_eq!(tsquery_and(&qin2(""), &qin2("a")).to_string(), "'a'");
    assert_eq!(tsquery_or(&qin2(""), &qin2("a")).to_string(), "'a'");
    assert_eq!(tsquery_and(&qin2("a"), &qin2("")).to_string(), "'a'");
    assert_eq!(tsquery_or(&qin2("a"), &qin2("")).to_string(), "'a'");
    assert_eq!(tsquery_not(&qin2("a")).to_string(), "!'a'");
    assert_eq!(tsquery_not(&qin2("a & b")).to_string(), "!( 'a' & 'b' )");
    assert_eq!(tsquery_not(&qin2("!a")).to_string(), "!!'a'");
    assert_eq!(
        tsquery_not(&qin2("a <-> b")).to_string(),
        "!( 'a' <-> 'b' )"
    );
    assert_eq!(tsquery_not(&qin2("")).to_string(), "");
    assert_eq!(
        tsquery_phrase(&qin2("a"), &qin2("b | c"), 3)
            .unwrap()
            .to_string(),
        "'a' <3> ( 'b' | 'c' )"
    );
}

#[test]
fn configuration_names() {
    assert_eq!(TsConfig::from_name("english").unwrap().name(), "english");
    assert_eq!(TsConfig::from_name("simple").unwrap().name(), "simple");
    assert_eq!(TsConfig::from_name("English").unwrap().name(), "english");
    assert_eq!(
        TsConfig::from_name("pg_catalog.english").unwrap().name(),
        "english"
    );
    assert_eq!(
        TsConfig::from_name("PG_CATALOG.SIMPLE").unwrap().name(),
        "simple"
    );
    assert_eq!(TsConfig::from_name(" english ").unwrap().name(), "english");
    assert_eq!(
        TsConfig::from_name("\"english\"").unwrap().name(),
        "english"
    );
    assert_eq!(
        TsConfig::from_name("pg_catalog . simple").unwrap().name(),
        "simple"
    );
    assert_eq!(
        err(TsConfig::from_name("xx")),
        (
            "42704",
            "text search configuration \"xx\" does not exist".to_string()
        )
    );
    assert_eq!(
        err(TsConfig::from_name("\"English\"")),
        (
            "42704",
            "text search configuration \"English\" does not exist".to_string()
        )
    );
    assert_eq!(
        err(TsConfig::from_name("public.english")),
        (
            "42704",
            "text search configuration \"public.english\" does not exist".to_string()
        )
    );
    assert_eq!(
        err(TsConfig::from_name("a.b.c.d")),
        (
            "42601",
            "improper qualified name (too many dotted names): a.b.c.d".to_string()
        )
    );
    assert_eq!(
        format!("pg_catalog.{}", DEFAULT_CONFIG.name()),
        "pg_catalog.english"
    );
}

/// GIN candidates: for random documents and queries, every row `@@` matches is a candidate, and
/// for queries without negation or weights the candidates are exactly the rows holding the
/// needed lexemes.
#[test]
fn gin_candidates_cover_matches() {
    let docs: Vec<TsVector> = [
        "a:1 b:2 c:3",
        "a:1A b:5",
        "c:1 d:2",
        "",
        "abc:1 abd:2",
        "b:1 a:2",
        "d:3 e:4",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let lookup = |lexeme: &str, prefix: bool| -> Vec<u32> {
        (0..docs.len() as u32)
            .filter(|&i| {
                docs[i as usize]
                    .entries()
                    .iter()
                    .any(|e| e.lexeme == lexeme || (prefix && e.lexeme.starts_with(lexeme)))
            })
            .collect()
    };
    let cases: &[(&str, Option<&[u32]>)] = &[
        ("a", Some(&[0, 1, 5])),
        ("a & b", Some(&[0, 1, 5])),
        ("a <-> b", Some(&[0, 1, 5])),
        ("a | d", Some(&[0, 1, 2, 5, 6])),
        ("ab:*", Some(&[4])),
        ("a:A & !c", Some(&[0, 1, 5])),
        ("!a", None),
        ("a | !b", None),
        ("(a | c) & d", Some(&[2])),
        ("zzz", Some(&[])),
    ];
    for (q, want) in cases {
        let query: TsQuery = q.parse().unwrap();
        let got = query.candidates(&lookup);
        assert_eq!(got.as_deref(), *want, "{q}");
        let all: Vec<u32> = (0..docs.len() as u32).collect();
        let cand = got.unwrap_or(all);
        for (i, d) in docs.iter().enumerate() {
            if ts_match(d, &query) {
                assert!(
                    cand.contains(&(i as u32)),
                    "{q}: row {i} matches but is no candidate"
                );
            }
        }
    }
    assert_eq!(TsQuery::empty().candidates(&lookup), Some(vec![]));
}

/// Binary forms, byte for byte as PostgreSQL 18 sends them (psycopg, binary results).
#[test]
fn binary_send_forms() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut out = Vec::new();
    "a:1A b:2,3 c"
        .parse::<TsVector>()
        .unwrap()
        .to_binary(&mut out);
    assert_eq!(hex(&out), "0000000361000001c001620000020002000363000000");
    out.clear();
    "a:*B & !b <2> c | d"
        .parse::<TsQuery>()
        .unwrap()
        .to_binary(&mut out);
    assert_eq!(
        hex(&out),
        "00000008020301000064000202020400020100006300020101000062000104016100"
    );
    out.clear();
    TsVector::default().to_binary(&mut out);
    TsQuery::empty().to_binary(&mut out);
    assert_eq!(hex(&out), "0000000000000000");
    // And back (tsvector_recv / tsquery_recv).
    for v in ["a:1A b:2,3 c", "'x y':3B,5 z", ""] {
        let v: TsVector = v.parse().unwrap();
        let mut b = Vec::new();
        v.to_binary(&mut b);
        assert_eq!(TsVector::from_binary(&b).unwrap(), v);
    }
    for q in [
        "a:*B & !b <2> c | d",
        "!(a | b) & c:AD",
        "x <-> (y | z)",
        "",
    ] {
        let q: TsQuery = q.parse().unwrap();
        let mut b = Vec::new();
        q.to_binary(&mut b);
        assert_eq!(TsQuery::from_binary(&b).unwrap(), q, "{q}");
    }
    // Unsorted lexemes are sorted; truncated or trailing bytes are errors.
    let unsorted = [0, 0, 0, 2, b'b', 0, 0, 0, b'a', 0, 0, 0];
    assert_eq!(
        TsVector::from_binary(&unsorted).unwrap().to_string(),
        "'a' 'b'"
    );
    assert!(TsVector::from_binary(&unsorted[..7]).is_err());
    assert!(TsQuery::from_binary(&[0, 0, 0, 1, 2, 2]).is_err());
    assert!(TsQuery::from_binary(&[0, 0, 0, 0, 9]).is_err());
}
