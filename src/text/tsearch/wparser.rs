//! The default text-search parser (`pg_catalog.default`), transcribed from PostgreSQL's
//! `src/backend/tsearch/wparser_def.c`: the same state/action tables, the same stack machine
//! (`TParserGet`) with PUSH/POP/CLEAR/CLRALL/MERGE/RERUN, and the same recursive look-aheads for
//! hosts (emails, URLs) and URL paths. Positions are counted in characters; tokens are sliced
//! back out of the input.

use super::{is_alnum, is_alpha, is_digit, is_space};

/// Token types (`ts_token_type('default')`).
pub(crate) mod tok {
    pub const ASCIIWORD: u8 = 1;
    pub const WORD: u8 = 2;
    pub const NUMWORD: u8 = 3;
    pub const EMAIL: u8 = 4;
    pub const URL: u8 = 5;
    pub const HOST: u8 = 6;
    pub const SCIENTIFIC: u8 = 7;
    pub const VERSIONNUMBER: u8 = 8;
    pub const NUMPARTHWORD: u8 = 9;
    pub const PARTHWORD: u8 = 10;
    pub const ASCIIPARTHWORD: u8 = 11;
    pub const BLANK: u8 = 12;
    pub const TAG: u8 = 13;
    pub const PROTOCOL: u8 = 14;
    pub const NUMHWORD: u8 = 15;
    pub const ASCIIHWORD: u8 = 16;
    pub const HWORD: u8 = 17;
    pub const URLPATH: u8 = 18;
    pub const FILEPATH: u8 = 19;
    pub const DECIMAL: u8 = 20;
    pub const SIGNEDINT: u8 = 21;
    pub const UNSIGNEDINT: u8 = 22;
    pub const XMLENTITY: u8 = 23;

    const ALIASES: [&str; 24] = [
        "",
        "asciiword",
        "word",
        "numword",
        "email",
        "url",
        "host",
        "sfloat",
        "version",
        "hword_numpart",
        "hword_part",
        "hword_asciipart",
        "blank",
        "tag",
        "protocol",
        "numhword",
        "asciihword",
        "hword",
        "url_path",
        "file",
        "float",
        "int",
        "uint",
        "entity",
    ];

    pub fn alias(t: u8) -> &'static str {
        ALIASES.get(t as usize).copied().unwrap_or("")
    }
}

use tok::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Base,
    InNumWord,
    InAsciiWord,
    InWord,
    InUnsignedInt,
    InSignedIntFirst,
    InSignedInt,
    InSpace,
    InUDecimalFirst,
    InUDecimal,
    InDecimalFirst,
    InDecimal,
    InVerVersion,
    InSVerVersion,
    InVersionFirst,
    InVersion,
    InMantissaFirst,
    InMantissaSign,
    InMantissa,
    InXMLEntityFirst,
    InXMLEntity,
    InXMLEntityNumFirst,
    InXMLEntityNum,
    InXMLEntityHexNumFirst,
    InXMLEntityHexNum,
    InXMLEntityEnd,
    InTagFirst,
    InXMLBegin,
    InTagCloseFirst,
    InTagName,
    InTagBeginEnd,
    InTag,
    InTagEscapeK,
    InTagEscapeKK,
    InTagBackSleshed,
    InTagEnd,
    InCommentFirst,
    InCommentLast,
    InComment,
    InCloseCommentFirst,
    InCloseCommentLast,
    InCommentEnd,
    InHostFirstDomain,
    InHostDomainSecond,
    InHostDomain,
    InPortFirst,
    InPort,
    InHostFirstAN,
    InHost,
    InEmail,
    InFileFirst,
    InFileTwiddle,
    InPathFirst,
    InPathFirstFirst,
    InPathSecond,
    InFile,
    InFileNext,
    InURLPathFirst,
    InURLPathStart,
    InURLPath,
    InFURL,
    InProtocolFirst,
    InProtocolSecond,
    InProtocolEnd,
    InHyphenAsciiWordFirst,
    InHyphenAsciiWord,
    InHyphenWordFirst,
    InHyphenWord,
    InHyphenNumWordFirst,
    InHyphenNumWord,
    InHyphenDigitLookahead,
    InParseHyphen,
    InParseHyphenHyphen,
    InHyphenWordPart,
    InHyphenAsciiWordPart,
    InHyphenNumWordPart,
    InHyphenUnsignedInt,
    Null,
}

/// Character tests (`p_is*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cls {
    /// The catch-all last entry of every table (NULL test).
    Any,
    Eof,
    Eq(char),
    Alpha,
    Alnum,
    NotAlnum,
    Digit,
    Asclet,
    Space,
    Xdigit,
    Special,
    Ignore,
    StopHost,
    Host,
    UrlPath,
    UrlChar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sp {
    None,
    Tags,
    FUrl,
    Hyphen,
    VerVersion,
}

const A_NEXT: u16 = 0x0000;
const A_BINGO: u16 = 0x0001;
const A_POP: u16 = 0x0002;
const A_PUSH: u16 = 0x0004;
const A_RERUN: u16 = 0x0008;
const A_CLEAR: u16 = 0x0010;
const A_MERGE: u16 = 0x0020;
const A_CLRALL: u16 = 0x0040;

#[derive(Debug, Clone, Copy)]
struct Act {
    cls: Cls,
    flags: u16,
    to: St,
    ty: u8,
    sp: Sp,
}

const fn a(cls: Cls, flags: u16, to: St, ty: u8) -> Act {
    Act {
        cls,
        flags,
        to,
        ty,
        sp: Sp::None,
    }
}

const fn s(cls: Cls, flags: u16, to: St, ty: u8, sp: Sp) -> Act {
    Act {
        cls,
        flags,
        to,
        ty,
        sp,
    }
}

use Cls::*;
use St::*;

const BASE: &[Act] = &[
    a(Eof, A_NEXT, Null, 0),
    a(Eq('<'), A_PUSH, InTagFirst, 0),
    a(Ignore, A_NEXT, InSpace, 0),
    a(Asclet, A_NEXT, InAsciiWord, 0),
    a(Alpha, A_NEXT, InWord, 0),
    a(Digit, A_NEXT, InUnsignedInt, 0),
    a(Eq('-'), A_PUSH, InSignedIntFirst, 0),
    a(Eq('+'), A_PUSH, InSignedIntFirst, 0),
    a(Eq('&'), A_PUSH, InXMLEntityFirst, 0),
    a(Eq('~'), A_PUSH, InFileTwiddle, 0),
    a(Eq('/'), A_PUSH, InFileFirst, 0),
    a(Eq('.'), A_PUSH, InPathFirstFirst, 0),
    a(Any, A_NEXT, InSpace, 0),
];

const IN_NUM_WORD: &[Act] = &[
    a(Eof, A_BINGO, Base, NUMWORD),
    a(Alnum, A_NEXT, InNumWord, 0),
    a(Special, A_NEXT, InNumWord, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Eq('/'), A_PUSH, InFileFirst, 0),
    a(Eq('.'), A_PUSH, InFileNext, 0),
    a(Eq('-'), A_PUSH, InHyphenNumWordFirst, 0),
    a(Any, A_BINGO, Base, NUMWORD),
];

const IN_ASCII_WORD: &[Act] = &[
    a(Eof, A_BINGO, Base, ASCIIWORD),
    a(Asclet, A_NEXT, Null, 0),
    a(Eq('.'), A_PUSH, InHostFirstDomain, 0),
    a(Eq('.'), A_PUSH, InFileNext, 0),
    a(Eq('-'), A_PUSH, InHostFirstAN, 0),
    a(Eq('-'), A_PUSH, InHyphenAsciiWordFirst, 0),
    a(Eq('_'), A_PUSH, InHostFirstAN, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Eq(':'), A_PUSH, InProtocolFirst, 0),
    a(Eq('/'), A_PUSH, InFileFirst, 0),
    a(Digit, A_PUSH, InHost, 0),
    a(Digit, A_NEXT, InNumWord, 0),
    a(Alpha, A_NEXT, InWord, 0),
    a(Special, A_NEXT, InWord, 0),
    a(Any, A_BINGO, Base, ASCIIWORD),
];

const IN_WORD: &[Act] = &[
    a(Eof, A_BINGO, Base, WORD),
    a(Alpha, A_NEXT, Null, 0),
    a(Special, A_NEXT, Null, 0),
    a(Digit, A_NEXT, InNumWord, 0),
    a(Eq('-'), A_PUSH, InHyphenWordFirst, 0),
    a(Any, A_BINGO, Base, WORD),
];

const IN_UNSIGNED_INT: &[Act] = &[
    a(Eof, A_BINGO, Base, UNSIGNEDINT),
    a(Digit, A_NEXT, Null, 0),
    a(Eq('.'), A_PUSH, InHostFirstDomain, 0),
    a(Eq('.'), A_PUSH, InUDecimalFirst, 0),
    a(Eq('e'), A_PUSH, InMantissaFirst, 0),
    a(Eq('E'), A_PUSH, InMantissaFirst, 0),
    a(Eq('-'), A_PUSH, InHostFirstAN, 0),
    a(Eq('_'), A_PUSH, InHostFirstAN, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Asclet, A_PUSH, InHost, 0),
    a(Alpha, A_NEXT, InNumWord, 0),
    a(Special, A_NEXT, InNumWord, 0),
    a(Eq('/'), A_PUSH, InFileFirst, 0),
    a(Any, A_BINGO, Base, UNSIGNEDINT),
];

const IN_SIGNED_INT_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT | A_CLEAR, InSignedInt, 0),
    a(Any, A_POP, Null, 0),
];

const IN_SIGNED_INT: &[Act] = &[
    a(Eof, A_BINGO, Base, SIGNEDINT),
    a(Digit, A_NEXT, Null, 0),
    a(Eq('.'), A_PUSH, InDecimalFirst, 0),
    a(Eq('e'), A_PUSH, InMantissaFirst, 0),
    a(Eq('E'), A_PUSH, InMantissaFirst, 0),
    a(Any, A_BINGO, Base, SIGNEDINT),
];

const IN_SPACE: &[Act] = &[
    a(Eof, A_BINGO, Base, BLANK),
    a(Eq('<'), A_BINGO, Base, BLANK),
    a(Ignore, A_NEXT, Null, 0),
    a(Eq('-'), A_BINGO, Base, BLANK),
    a(Eq('+'), A_BINGO, Base, BLANK),
    a(Eq('&'), A_BINGO, Base, BLANK),
    a(Eq('/'), A_BINGO, Base, BLANK),
    a(NotAlnum, A_NEXT, InSpace, 0),
    a(Any, A_BINGO, Base, BLANK),
];

const IN_UDECIMAL_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_CLEAR, InUDecimal, 0),
    a(Any, A_POP, Null, 0),
];

const IN_UDECIMAL: &[Act] = &[
    a(Eof, A_BINGO, Base, DECIMAL),
    a(Digit, A_NEXT, InUDecimal, 0),
    a(Eq('.'), A_PUSH, InVersionFirst, 0),
    a(Eq('e'), A_PUSH, InMantissaFirst, 0),
    a(Eq('E'), A_PUSH, InMantissaFirst, 0),
    a(Any, A_BINGO, Base, DECIMAL),
];

const IN_DECIMAL_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_CLEAR, InDecimal, 0),
    a(Any, A_POP, Null, 0),
];

const IN_DECIMAL: &[Act] = &[
    a(Eof, A_BINGO, Base, DECIMAL),
    a(Digit, A_NEXT, InDecimal, 0),
    a(Eq('.'), A_PUSH, InVerVersion, 0),
    a(Eq('e'), A_PUSH, InMantissaFirst, 0),
    a(Eq('E'), A_PUSH, InMantissaFirst, 0),
    a(Any, A_BINGO, Base, DECIMAL),
];

const IN_VER_VERSION: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    s(Digit, A_RERUN, InSVerVersion, 0, Sp::VerVersion),
    a(Any, A_POP, Null, 0),
];

const IN_SVER_VERSION: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_BINGO | A_CLRALL, InUnsignedInt, BLANK),
    a(Any, A_NEXT, Null, 0),
];

const IN_VERSION_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_CLEAR, InVersion, 0),
    a(Any, A_POP, Null, 0),
];

const IN_VERSION: &[Act] = &[
    a(Eof, A_BINGO, Base, VERSIONNUMBER),
    a(Digit, A_NEXT, InVersion, 0),
    a(Eq('.'), A_PUSH, InVersionFirst, 0),
    a(Any, A_BINGO, Base, VERSIONNUMBER),
];

const IN_MANTISSA_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_CLEAR, InMantissa, 0),
    a(Eq('+'), A_NEXT, InMantissaSign, 0),
    a(Eq('-'), A_NEXT, InMantissaSign, 0),
    a(Any, A_POP, Null, 0),
];

const IN_MANTISSA_SIGN: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_CLEAR, InMantissa, 0),
    a(Any, A_POP, Null, 0),
];

const IN_MANTISSA: &[Act] = &[
    a(Eof, A_BINGO, Base, SCIENTIFIC),
    a(Digit, A_NEXT, InMantissa, 0),
    a(Any, A_BINGO, Base, SCIENTIFIC),
];

const IN_XML_ENTITY_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('#'), A_NEXT, InXMLEntityNumFirst, 0),
    a(Asclet, A_NEXT, InXMLEntity, 0),
    a(Eq(':'), A_NEXT, InXMLEntity, 0),
    a(Eq('_'), A_NEXT, InXMLEntity, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Alnum, A_NEXT, InXMLEntity, 0),
    a(Eq(':'), A_NEXT, InXMLEntity, 0),
    a(Eq('_'), A_NEXT, InXMLEntity, 0),
    a(Eq('.'), A_NEXT, InXMLEntity, 0),
    a(Eq('-'), A_NEXT, InXMLEntity, 0),
    a(Eq(';'), A_NEXT, InXMLEntityEnd, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY_NUM_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('x'), A_NEXT, InXMLEntityHexNumFirst, 0),
    a(Eq('X'), A_NEXT, InXMLEntityHexNumFirst, 0),
    a(Digit, A_NEXT, InXMLEntityNum, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY_HEX_NUM_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Xdigit, A_NEXT, InXMLEntityHexNum, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY_NUM: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, InXMLEntityNum, 0),
    a(Eq(';'), A_NEXT, InXMLEntityEnd, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY_HEX_NUM: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Xdigit, A_NEXT, InXMLEntityHexNum, 0),
    a(Eq(';'), A_NEXT, InXMLEntityEnd, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_ENTITY_END: &[Act] = &[a(Any, A_BINGO | A_CLEAR, Base, XMLENTITY)];

const IN_TAG_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('/'), A_PUSH, InTagCloseFirst, 0),
    a(Eq('!'), A_PUSH, InCommentFirst, 0),
    a(Eq('?'), A_PUSH, InXMLBegin, 0),
    a(Asclet, A_PUSH, InTagName, 0),
    a(Eq(':'), A_PUSH, InTagName, 0),
    a(Eq('_'), A_PUSH, InTagName, 0),
    a(Any, A_POP, Null, 0),
];

const IN_XML_BEGIN: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('x'), A_NEXT, InTag, 0),
    a(Any, A_POP, Null, 0),
];

const IN_TAG_CLOSE_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InTagName, 0),
    a(Any, A_POP, Null, 0),
];

const IN_TAG_NAME: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('/'), A_NEXT, InTagBeginEnd, 0),
    s(Eq('>'), A_NEXT, InTagEnd, 0, Sp::Tags),
    s(Space, A_NEXT, InTag, 0, Sp::Tags),
    a(Alnum, A_NEXT, Null, 0),
    a(Eq(':'), A_NEXT, Null, 0),
    a(Eq('_'), A_NEXT, Null, 0),
    a(Eq('.'), A_NEXT, Null, 0),
    a(Eq('-'), A_NEXT, Null, 0),
    a(Any, A_POP, Null, 0),
];

const IN_TAG_BEGIN_END: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('>'), A_NEXT, InTagEnd, 0),
    a(Any, A_POP, Null, 0),
];

const IN_TAG: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    s(Eq('>'), A_NEXT, InTagEnd, 0, Sp::Tags),
    a(Eq('\''), A_NEXT, InTagEscapeK, 0),
    a(Eq('"'), A_NEXT, InTagEscapeKK, 0),
    a(Asclet, A_NEXT, Null, 0),
    a(Digit, A_NEXT, Null, 0),
    a(Eq('='), A_NEXT, Null, 0),
    a(Eq('-'), A_NEXT, Null, 0),
    a(Eq('_'), A_NEXT, Null, 0),
    a(Eq('#'), A_NEXT, Null, 0),
    a(Eq('/'), A_NEXT, Null, 0),
    a(Eq(':'), A_NEXT, Null, 0),
    a(Eq('.'), A_NEXT, Null, 0),
    a(Eq('&'), A_NEXT, Null, 0),
    a(Eq('?'), A_NEXT, Null, 0),
    a(Eq('%'), A_NEXT, Null, 0),
    a(Eq('~'), A_NEXT, Null, 0),
    s(Space, A_NEXT, Null, 0, Sp::Tags),
    a(Any, A_POP, Null, 0),
];

const IN_TAG_ESCAPE_K: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('\\'), A_PUSH, InTagBackSleshed, 0),
    a(Eq('\''), A_NEXT, InTag, 0),
    a(Any, A_NEXT, InTagEscapeK, 0),
];

const IN_TAG_ESCAPE_KK: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('\\'), A_PUSH, InTagBackSleshed, 0),
    a(Eq('"'), A_NEXT, InTag, 0),
    a(Any, A_NEXT, InTagEscapeKK, 0),
];

const IN_TAG_BACK_SLESHED: &[Act] = &[a(Eof, A_POP, Null, 0), a(Any, A_MERGE, Null, 0)];

const IN_TAG_END: &[Act] = &[a(Any, A_BINGO | A_CLRALL, Base, TAG)];

const IN_COMMENT_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('-'), A_NEXT, InCommentLast, 0),
    a(Eq('D'), A_NEXT, InTag, 0),
    a(Eq('d'), A_NEXT, InTag, 0),
    a(Any, A_POP, Null, 0),
];

const IN_COMMENT_LAST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('-'), A_NEXT, InComment, 0),
    a(Any, A_POP, Null, 0),
];

const IN_COMMENT: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('-'), A_NEXT, InCloseCommentFirst, 0),
    a(Any, A_NEXT, Null, 0),
];

const IN_CLOSE_COMMENT_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('-'), A_NEXT, InCloseCommentLast, 0),
    a(Any, A_NEXT, InComment, 0),
];

const IN_CLOSE_COMMENT_LAST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('-'), A_NEXT, Null, 0),
    a(Eq('>'), A_NEXT, InCommentEnd, 0),
    a(Any, A_NEXT, InComment, 0),
];

const IN_COMMENT_END: &[Act] = &[a(Any, A_BINGO | A_CLRALL, Base, TAG)];

const IN_HOST_FIRST_DOMAIN: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InHostDomainSecond, 0),
    a(Digit, A_NEXT, InHost, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HOST_DOMAIN_SECOND: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InHostDomain, 0),
    a(Digit, A_PUSH, InHost, 0),
    a(Eq('-'), A_PUSH, InHostFirstAN, 0),
    a(Eq('_'), A_PUSH, InHostFirstAN, 0),
    a(Eq('.'), A_PUSH, InHostFirstDomain, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HOST_DOMAIN: &[Act] = &[
    a(Eof, A_BINGO | A_CLRALL, Base, HOST),
    a(Asclet, A_NEXT, InHostDomain, 0),
    a(Digit, A_PUSH, InHost, 0),
    a(Eq(':'), A_PUSH, InPortFirst, 0),
    a(Eq('-'), A_PUSH, InHostFirstAN, 0),
    a(Eq('_'), A_PUSH, InHostFirstAN, 0),
    a(Eq('.'), A_PUSH, InHostFirstDomain, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Digit, A_POP, Null, 0),
    a(StopHost, A_BINGO | A_CLRALL, InURLPathStart, HOST),
    a(Eq('/'), A_PUSH, InFURL, 0),
    a(Any, A_BINGO | A_CLRALL, Base, HOST),
];

const IN_PORT_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, InPort, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PORT: &[Act] = &[
    a(Eof, A_BINGO | A_CLRALL, Base, HOST),
    a(Digit, A_NEXT, InPort, 0),
    a(StopHost, A_BINGO | A_CLRALL, InURLPathStart, HOST),
    a(Eq('/'), A_PUSH, InFURL, 0),
    a(Any, A_BINGO | A_CLRALL, Base, HOST),
];

const IN_HOST_FIRST_AN: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, InHost, 0),
    a(Asclet, A_NEXT, InHost, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HOST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, InHost, 0),
    a(Asclet, A_NEXT, InHost, 0),
    a(Eq('@'), A_PUSH, InEmail, 0),
    a(Eq('.'), A_PUSH, InHostFirstDomain, 0),
    a(Eq('-'), A_PUSH, InHostFirstAN, 0),
    a(Eq('_'), A_PUSH, InHostFirstAN, 0),
    a(Any, A_POP, Null, 0),
];

const IN_EMAIL: &[Act] = &[
    a(StopHost, A_POP, Null, 0),
    a(Host, A_BINGO | A_CLRALL, Base, EMAIL),
    a(Any, A_POP, Null, 0),
];

const IN_FILE_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InFile, 0),
    a(Digit, A_NEXT, InFile, 0),
    a(Eq('.'), A_NEXT, InPathFirst, 0),
    a(Eq('_'), A_NEXT, InFile, 0),
    a(Eq('~'), A_PUSH, InFileTwiddle, 0),
    a(Any, A_POP, Null, 0),
];

const IN_FILE_TWIDDLE: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InFile, 0),
    a(Digit, A_NEXT, InFile, 0),
    a(Eq('_'), A_NEXT, InFile, 0),
    a(Eq('/'), A_NEXT, InFileFirst, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PATH_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InFile, 0),
    a(Digit, A_NEXT, InFile, 0),
    a(Eq('_'), A_NEXT, InFile, 0),
    a(Eq('.'), A_NEXT, InPathSecond, 0),
    a(Eq('/'), A_NEXT, InFileFirst, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PATH_FIRST_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('.'), A_NEXT, InPathSecond, 0),
    a(Eq('/'), A_NEXT, InFileFirst, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PATH_SECOND: &[Act] = &[
    a(Eof, A_BINGO | A_CLEAR, Base, FILEPATH),
    a(Eq('/'), A_NEXT | A_PUSH, InFileFirst, 0),
    a(Eq('/'), A_BINGO | A_CLEAR, Base, FILEPATH),
    a(Space, A_BINGO | A_CLEAR, Base, FILEPATH),
    a(Any, A_POP, Null, 0),
];

const IN_FILE: &[Act] = &[
    a(Eof, A_BINGO, Base, FILEPATH),
    a(Asclet, A_NEXT, InFile, 0),
    a(Digit, A_NEXT, InFile, 0),
    a(Eq('.'), A_PUSH, InFileNext, 0),
    a(Eq('_'), A_NEXT, InFile, 0),
    a(Eq('-'), A_NEXT, InFile, 0),
    a(Eq('/'), A_PUSH, InFileFirst, 0),
    a(Any, A_BINGO, Base, FILEPATH),
];

const IN_FILE_NEXT: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_CLEAR, InFile, 0),
    a(Digit, A_CLEAR, InFile, 0),
    a(Eq('_'), A_CLEAR, InFile, 0),
    a(Any, A_POP, Null, 0),
];

const IN_URL_PATH_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(UrlChar, A_NEXT, InURLPath, 0),
    a(Any, A_POP, Null, 0),
];

const IN_URL_PATH_START: &[Act] = &[a(Any, A_NEXT, InURLPath, 0)];

const IN_URL_PATH: &[Act] = &[
    a(Eof, A_BINGO, Base, URLPATH),
    a(UrlChar, A_NEXT, InURLPath, 0),
    a(Any, A_BINGO, Base, URLPATH),
];

const IN_FURL: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    s(UrlPath, A_BINGO | A_CLRALL, Base, URL, Sp::FUrl),
    a(Any, A_POP, Null, 0),
];

const IN_PROTOCOL_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('/'), A_NEXT, InProtocolSecond, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PROTOCOL_SECOND: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Eq('/'), A_NEXT, InProtocolEnd, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PROTOCOL_END: &[Act] = &[a(Any, A_BINGO | A_CLRALL, Base, PROTOCOL)];

const IN_HYPHEN_ASCII_WORD_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Asclet, A_NEXT, InHyphenAsciiWord, 0),
    a(Alpha, A_NEXT, InHyphenWord, 0),
    a(Digit, A_NEXT, InHyphenDigitLookahead, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HYPHEN_ASCII_WORD: &[Act] = &[
    s(
        Eof,
        A_BINGO | A_CLRALL,
        InParseHyphen,
        ASCIIHWORD,
        Sp::Hyphen,
    ),
    a(Asclet, A_NEXT, InHyphenAsciiWord, 0),
    a(Alpha, A_NEXT, InHyphenWord, 0),
    a(Special, A_NEXT, InHyphenWord, 0),
    a(Digit, A_NEXT, InHyphenNumWord, 0),
    a(Eq('-'), A_PUSH, InHyphenAsciiWordFirst, 0),
    s(
        Any,
        A_BINGO | A_CLRALL,
        InParseHyphen,
        ASCIIHWORD,
        Sp::Hyphen,
    ),
];

const IN_HYPHEN_WORD_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Alpha, A_NEXT, InHyphenWord, 0),
    a(Digit, A_NEXT, InHyphenDigitLookahead, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HYPHEN_WORD: &[Act] = &[
    s(Eof, A_BINGO | A_CLRALL, InParseHyphen, HWORD, Sp::Hyphen),
    a(Alpha, A_NEXT, InHyphenWord, 0),
    a(Special, A_NEXT, InHyphenWord, 0),
    a(Digit, A_NEXT, InHyphenNumWord, 0),
    a(Eq('-'), A_PUSH, InHyphenWordFirst, 0),
    s(Any, A_BINGO | A_CLRALL, InParseHyphen, HWORD, Sp::Hyphen),
];

const IN_HYPHEN_NUM_WORD_FIRST: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Alpha, A_NEXT, InHyphenNumWord, 0),
    a(Digit, A_NEXT, InHyphenDigitLookahead, 0),
    a(Any, A_POP, Null, 0),
];

const IN_HYPHEN_NUM_WORD: &[Act] = &[
    s(Eof, A_BINGO | A_CLRALL, InParseHyphen, NUMHWORD, Sp::Hyphen),
    a(Alnum, A_NEXT, InHyphenNumWord, 0),
    a(Special, A_NEXT, InHyphenNumWord, 0),
    a(Eq('-'), A_PUSH, InHyphenNumWordFirst, 0),
    s(Any, A_BINGO | A_CLRALL, InParseHyphen, NUMHWORD, Sp::Hyphen),
];

const IN_HYPHEN_DIGIT_LOOKAHEAD: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, InHyphenDigitLookahead, 0),
    a(Alpha, A_NEXT, InHyphenNumWord, 0),
    a(Special, A_NEXT, InHyphenNumWord, 0),
    a(Any, A_POP, Null, 0),
];

const IN_PARSE_HYPHEN: &[Act] = &[
    a(Eof, A_RERUN, Base, 0),
    a(Asclet, A_NEXT, InHyphenAsciiWordPart, 0),
    a(Alpha, A_NEXT, InHyphenWordPart, 0),
    a(Digit, A_PUSH, InHyphenUnsignedInt, 0),
    a(Eq('-'), A_PUSH, InParseHyphenHyphen, 0),
    a(Any, A_RERUN, Base, 0),
];

const IN_PARSE_HYPHEN_HYPHEN: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Alnum, A_BINGO | A_CLEAR, InParseHyphen, BLANK),
    a(Special, A_BINGO | A_CLEAR, InParseHyphen, BLANK),
    a(Any, A_POP, Null, 0),
];

const IN_HYPHEN_WORD_PART: &[Act] = &[
    a(Eof, A_BINGO, Base, PARTHWORD),
    a(Alpha, A_NEXT, InHyphenWordPart, 0),
    a(Special, A_NEXT, InHyphenWordPart, 0),
    a(Digit, A_NEXT, InHyphenNumWordPart, 0),
    a(Any, A_BINGO, InParseHyphen, PARTHWORD),
];

const IN_HYPHEN_ASCII_WORD_PART: &[Act] = &[
    a(Eof, A_BINGO, Base, ASCIIPARTHWORD),
    a(Asclet, A_NEXT, InHyphenAsciiWordPart, 0),
    a(Alpha, A_NEXT, InHyphenWordPart, 0),
    a(Special, A_NEXT, InHyphenWordPart, 0),
    a(Digit, A_NEXT, InHyphenNumWordPart, 0),
    a(Any, A_BINGO, InParseHyphen, ASCIIPARTHWORD),
];

const IN_HYPHEN_NUM_WORD_PART: &[Act] = &[
    a(Eof, A_BINGO, Base, NUMPARTHWORD),
    a(Alnum, A_NEXT, InHyphenNumWordPart, 0),
    a(Special, A_NEXT, InHyphenNumWordPart, 0),
    a(Any, A_BINGO, InParseHyphen, NUMPARTHWORD),
];

const IN_HYPHEN_UNSIGNED_INT: &[Act] = &[
    a(Eof, A_POP, Null, 0),
    a(Digit, A_NEXT, Null, 0),
    a(Alpha, A_CLEAR, InHyphenNumWordPart, 0),
    a(Special, A_CLEAR, InHyphenNumWordPart, 0),
    a(Any, A_POP, Null, 0),
];

fn actions(st: St) -> &'static [Act] {
    match st {
        Base => BASE,
        InNumWord => IN_NUM_WORD,
        InAsciiWord => IN_ASCII_WORD,
        InWord => IN_WORD,
        InUnsignedInt => IN_UNSIGNED_INT,
        InSignedIntFirst => IN_SIGNED_INT_FIRST,
        InSignedInt => IN_SIGNED_INT,
        InSpace => IN_SPACE,
        InUDecimalFirst => IN_UDECIMAL_FIRST,
        InUDecimal => IN_UDECIMAL,
        InDecimalFirst => IN_DECIMAL_FIRST,
        InDecimal => IN_DECIMAL,
        InVerVersion => IN_VER_VERSION,
        InSVerVersion => IN_SVER_VERSION,
        InVersionFirst => IN_VERSION_FIRST,
        InVersion => IN_VERSION,
        InMantissaFirst => IN_MANTISSA_FIRST,
        InMantissaSign => IN_MANTISSA_SIGN,
        InMantissa => IN_MANTISSA,
        InXMLEntityFirst => IN_XML_ENTITY_FIRST,
        InXMLEntity => IN_XML_ENTITY,
        InXMLEntityNumFirst => IN_XML_ENTITY_NUM_FIRST,
        InXMLEntityNum => IN_XML_ENTITY_NUM,
        InXMLEntityHexNumFirst => IN_XML_ENTITY_HEX_NUM_FIRST,
        InXMLEntityHexNum => IN_XML_ENTITY_HEX_NUM,
        InXMLEntityEnd => IN_XML_ENTITY_END,
        InTagFirst => IN_TAG_FIRST,
        InXMLBegin => IN_XML_BEGIN,
        InTagCloseFirst => IN_TAG_CLOSE_FIRST,
        InTagName => IN_TAG_NAME,
        InTagBeginEnd => IN_TAG_BEGIN_END,
        InTag => IN_TAG,
        InTagEscapeK => IN_TAG_ESCAPE_K,
        InTagEscapeKK => IN_TAG_ESCAPE_KK,
        InTagBackSleshed => IN_TAG_BACK_SLESHED,
        InTagEnd => IN_TAG_END,
        InCommentFirst => IN_COMMENT_FIRST,
        InCommentLast => IN_COMMENT_LAST,
        InComment => IN_COMMENT,
        InCloseCommentFirst => IN_CLOSE_COMMENT_FIRST,
        InCloseCommentLast => IN_CLOSE_COMMENT_LAST,
        InCommentEnd => IN_COMMENT_END,
        InHostFirstDomain => IN_HOST_FIRST_DOMAIN,
        InHostDomainSecond => IN_HOST_DOMAIN_SECOND,
        InHostDomain => IN_HOST_DOMAIN,
        InPortFirst => IN_PORT_FIRST,
        InPort => IN_PORT,
        InHostFirstAN => IN_HOST_FIRST_AN,
        InHost => IN_HOST,
        InEmail => IN_EMAIL,
        InFileFirst => IN_FILE_FIRST,
        InFileTwiddle => IN_FILE_TWIDDLE,
        InPathFirst => IN_PATH_FIRST,
        InPathFirstFirst => IN_PATH_FIRST_FIRST,
        InPathSecond => IN_PATH_SECOND,
        InFile => IN_FILE,
        InFileNext => IN_FILE_NEXT,
        InURLPathFirst => IN_URL_PATH_FIRST,
        InURLPathStart => IN_URL_PATH_START,
        InURLPath => IN_URL_PATH,
        InFURL => IN_FURL,
        InProtocolFirst => IN_PROTOCOL_FIRST,
        InProtocolSecond => IN_PROTOCOL_SECOND,
        InProtocolEnd => IN_PROTOCOL_END,
        InHyphenAsciiWordFirst => IN_HYPHEN_ASCII_WORD_FIRST,
        InHyphenAsciiWord => IN_HYPHEN_ASCII_WORD,
        InHyphenWordFirst => IN_HYPHEN_WORD_FIRST,
        InHyphenWord => IN_HYPHEN_WORD,
        InHyphenNumWordFirst => IN_HYPHEN_NUM_WORD_FIRST,
        InHyphenNumWord => IN_HYPHEN_NUM_WORD,
        InHyphenDigitLookahead => IN_HYPHEN_DIGIT_LOOKAHEAD,
        InParseHyphen => IN_PARSE_HYPHEN,
        InParseHyphenHyphen => IN_PARSE_HYPHEN_HYPHEN,
        InHyphenWordPart => IN_HYPHEN_WORD_PART,
        InHyphenAsciiWordPart => IN_HYPHEN_ASCII_WORD_PART,
        InHyphenNumWordPart => IN_HYPHEN_NUM_WORD_PART,
        InHyphenUnsignedInt => IN_HYPHEN_UNSIGNED_INT,
        Null => &[],
    }
}

/// Zero display width (`pg_dsplen() == 0`: combining marks, zero-width format characters) or a
/// "Mark, Spacing Combining" letter from wparser_def.c's `strange_letter` list.
fn is_special(c: char) -> bool {
    let u = c as u32;
    const ZERO_WIDTH: &[(u32, u32)] = &[
        (0x0300, 0x036F),
        (0x0483, 0x0489),
        (0x0591, 0x05BD),
        (0x05BF, 0x05BF),
        (0x05C1, 0x05C2),
        (0x05C4, 0x05C5),
        (0x05C7, 0x05C7),
        (0x0610, 0x061A),
        (0x061C, 0x061C),
        (0x064B, 0x065F),
        (0x0670, 0x0670),
        (0x06D6, 0x06DC),
        (0x06DF, 0x06E4),
        (0x06E7, 0x06E8),
        (0x06EA, 0x06ED),
        (0x0711, 0x0711),
        (0x0730, 0x074A),
        (0x07A6, 0x07B0),
        (0x07EB, 0x07F3),
        (0x0816, 0x082D),
        (0x0859, 0x085B),
        (0x08D3, 0x0902),
        (0x093A, 0x093A),
        (0x093C, 0x093C),
        (0x0941, 0x0948),
        (0x094D, 0x094D),
        (0x0951, 0x0957),
        (0x0962, 0x0963),
        (0x0981, 0x0981),
        (0x09BC, 0x09BC),
        (0x09C1, 0x09C4),
        (0x09CD, 0x09CD),
        (0x09E2, 0x09E3),
        (0x0E31, 0x0E31),
        (0x0E34, 0x0E3A),
        (0x0E47, 0x0E4E),
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x20D0, 0x20F0),
        (0x302A, 0x302D),
        (0x3099, 0x309A),
        (0xFE00, 0xFE0F),
        (0xFE20, 0xFE2F),
        (0xFEFF, 0xFEFF),
        (0xE0100, 0xE01EF),
    ];
    const STRANGE: &[u32] = &[
        0x0903, 0x093E, 0x093F, 0x0940, 0x0949, 0x094A, 0x094B, 0x094C, 0x0982, 0x0983, 0x09BE,
        0x09BF, 0x09C0, 0x09C7, 0x09C8, 0x09CB, 0x09CC, 0x09D7, 0x0A03, 0x0A3E, 0x0A3F, 0x0A40,
        0x0A83, 0x0ABE, 0x0ABF, 0x0AC0, 0x0AC9, 0x0ACB, 0x0ACC, 0x0B02, 0x0B03, 0x0B3E, 0x0B40,
        0x0B47, 0x0B48, 0x0B4B, 0x0B4C, 0x0B57, 0x0BBE, 0x0BBF, 0x0BC1, 0x0BC2, 0x0BC6, 0x0BC7,
        0x0BC8, 0x0BCA, 0x0BCB, 0x0BCC, 0x0BD7, 0x0C01, 0x0C02, 0x0C03, 0x0C41, 0x0C42, 0x0C43,
        0x0C44, 0x0C82, 0x0C83, 0x0CBE, 0x0CC0, 0x0CC1, 0x0CC2, 0x0CC3, 0x0CC4, 0x0CC7, 0x0CC8,
        0x0CCA, 0x0CCB, 0x0CD5, 0x0CD6, 0x0D02, 0x0D03, 0x0D3E, 0x0D3F, 0x0D40, 0x0D46, 0x0D47,
        0x0D48, 0x0D4A, 0x0D4B, 0x0D4C, 0x0D57, 0x0D82, 0x0D83, 0x0DCF, 0x0DD0, 0x0DD1, 0x0DD8,
        0x0DD9, 0x0DDA, 0x0DDB, 0x0DDC, 0x0DDD, 0x0DDE, 0x0DDF, 0x0DF2, 0x0DF3, 0x0F3E, 0x0F3F,
        0x0F7F, 0x102B, 0x102C, 0x1031, 0x1038, 0x103B, 0x103C, 0x1056, 0x1057, 0x1062, 0x1063,
        0x1064, 0x1067, 0x1068, 0x1069, 0x106A, 0x106B, 0x106C, 0x106D, 0x1083, 0x1084, 0x1087,
        0x1088, 0x1089, 0x108A, 0x108B, 0x108C, 0x108F, 0x17B6, 0x17BE, 0x17BF, 0x17C0, 0x17C1,
        0x17C2, 0x17C3, 0x17C4, 0x17C5, 0x17C7, 0x17C8, 0x1923, 0x1924, 0x1925, 0x1926, 0x1929,
        0x192A, 0x192B, 0x1930, 0x1931, 0x1933, 0x1934, 0x1935, 0x1936, 0x1937, 0x1938, 0x19B0,
        0x19B1, 0x19B2, 0x19B3, 0x19B4, 0x19B5, 0x19B6, 0x19B7, 0x19B8, 0x19B9, 0x19BA, 0x19BB,
        0x19BC, 0x19BD, 0x19BE, 0x19BF, 0x19C0, 0x19C8, 0x19C9, 0x1A19, 0x1A1A, 0x1A1B, 0x1B04,
        0x1B35, 0x1B3B, 0x1B3D, 0x1B3E, 0x1B3F, 0x1B40, 0x1B41, 0x1B43, 0x1B44, 0x1B82, 0x1BA1,
        0x1BA6, 0x1BA7, 0x1BAA, 0x1C24, 0x1C25, 0x1C26, 0x1C27, 0x1C28, 0x1C29, 0x1C2A, 0x1C2B,
        0x1C34, 0x1C35, 0xA823, 0xA824, 0xA827, 0xA880, 0xA881, 0xA8B4, 0xA8B5, 0xA8B6, 0xA8B7,
        0xA8B8, 0xA8B9, 0xA8BA, 0xA8BB, 0xA8BC, 0xA8BD, 0xA8BE, 0xA8BF, 0xA8C0, 0xA8C1, 0xA8C2,
        0xA8C3, 0xA952, 0xA953, 0xAA2F, 0xAA30, 0xAA33, 0xAA34, 0xAA4D,
    ];
    if u < 0x300 {
        return false;
    }
    ZERO_WIDTH.iter().any(|&(lo, hi)| u >= lo && u <= hi) || STRANGE.binary_search(&u).is_ok()
}

/// `p_isurlchar`: printable ASCII that RFC 3986 allows.
fn is_url_char(c: char) -> bool {
    let u = c as u32;
    if !(0x21..0x7f).contains(&u) {
        return false;
    }
    !matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
}

#[derive(Debug, Clone, Copy)]
struct Position {
    /// Current character index.
    pos: usize,
    /// Byte length of the current character; 0 at end of input.
    charlen: usize,
    /// Length of the token so far, in characters.
    lentoken: usize,
    state: St,
    /// Index (in the state's action table) of the PUSH that created the position above.
    pushed_at: Option<usize>,
}

struct TParser<'a> {
    chars: &'a [char],
    stack: Vec<Position>,
    ignore: bool,
    wanthost: bool,
    c: char,
    // out
    token: usize,
    lentoken: usize,
    ty: u8,
}

impl<'a> TParser<'a> {
    fn new(chars: &'a [char]) -> Self {
        TParser {
            chars,
            stack: vec![Position {
                pos: 0,
                charlen: 0,
                lentoken: 0,
                state: Base,
                pushed_at: None,
            }],
            ignore: false,
            wanthost: false,
            c: '\0',
            token: 0,
            lentoken: 0,
            ty: 0,
        }
    }

    #[inline]
    fn top(&self) -> &Position {
        self.stack.last().expect("parser stack")
    }

    #[inline]
    fn top_mut(&mut self) -> &mut Position {
        self.stack.last_mut().expect("parser stack")
    }

    /// The current character, or None at end of input.
    #[inline]
    fn cur(&self) -> Option<char> {
        let t = self.top();
        if t.charlen == 0 {
            None
        } else {
            self.chars.get(t.pos).copied()
        }
    }

    fn test(&mut self, cls: Cls) -> bool {
        match cls {
            Any => true,
            Eof => {
                let t = self.top();
                t.pos == self.chars.len() || t.charlen == 0
            }
            Eq(c) => self.cur() == Some(c),
            Alpha => self.cur().is_some_and(is_alpha),
            Alnum => self.cur().is_some_and(is_alnum),
            NotAlnum => !self.cur().is_some_and(is_alnum),
            Digit => self.cur().is_some_and(is_digit),
            Asclet => self.cur().is_some_and(|c| c.is_ascii_alphabetic()),
            Space => self.cur().is_some_and(is_space),
            Xdigit => self.cur().is_some_and(|c| c.is_ascii_hexdigit()),
            Special => self.cur().is_some_and(is_special),
            Ignore => self.ignore,
            StopHost => {
                if self.wanthost {
                    self.wanthost = false;
                    true
                } else {
                    false
                }
            }
            UrlChar => self.cur().is_some_and(is_url_char),
            Host => self.lookahead(None, HOST),
            UrlPath => self.lookahead(Some(InURLPathFirst), URLPATH),
        }
    }

    /// `p_ishost` / `p_isURLPath`: run a copy of the parser from the current position; on a
    /// token of the wanted type, swallow it.
    fn lookahead(&mut self, start: Option<St>, want: u8) -> bool {
        let here = self.top().pos;
        let mut sub = TParser::new(&self.chars[here..]);
        match start {
            None => sub.wanthost = true,
            Some(st) => {
                let mut p = *sub.top();
                p.state = st;
                p.pushed_at = None;
                sub.stack.push(p);
            }
        }
        if sub.get() && sub.ty == want {
            let sublen = sub.lentoken;
            let subcharlen = sub.top().charlen;
            let t = self.top_mut();
            t.pos += sublen;
            t.lentoken += sublen;
            t.charlen = subcharlen;
            true
        } else {
            false
        }
    }

    fn special(&mut self, sp: Sp) {
        match sp {
            Sp::None => {}
            Sp::Tags => {
                let t = *self.top();
                let tok: String = self.chars[self.token..self.token + t.lentoken.min(8)]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase();
                match t.lentoken {
                    8 if tok.starts_with("</script") => self.ignore = false,
                    7 if tok.starts_with("</style") => self.ignore = false,
                    7 if tok.starts_with("<script") => self.ignore = true,
                    6 if tok.starts_with("<style") => self.ignore = true,
                    _ => {}
                }
            }
            Sp::FUrl => {
                self.wanthost = true;
                let t = self.top_mut();
                t.pos -= t.lentoken;
            }
            Sp::Hyphen => {
                let t = self.top_mut();
                t.pos -= t.lentoken;
            }
            Sp::VerVersion => {
                let t = self.top_mut();
                t.pos -= t.lentoken;
                t.lentoken = 0;
            }
        }
    }

    /// `TParserGet`: the next token into (token, lentoken, ty); false at end of input.
    fn get(&mut self) -> bool {
        let len = self.chars.len();
        if self.top().pos >= len {
            return false;
        }
        self.token = self.top().pos;
        self.top_mut().pushed_at = None;
        let mut bingo = false;
        while self.top().pos <= len {
            {
                let chars = self.chars;
                let t = self.top_mut();
                t.charlen = if t.pos == len {
                    0
                } else {
                    chars[t.pos].len_utf8()
                };
            }
            let state = self.top().state;
            let acts = actions(state);
            let mut idx = match self.top_mut().pushed_at.take() {
                Some(p) => p + 1,
                None => 0,
            };
            // find action by character class
            loop {
                let it = acts[idx];
                if it.cls == Any {
                    break;
                }
                if let Eq(c) = it.cls {
                    self.c = c;
                }
                if self.test(it.cls) {
                    break;
                }
                idx += 1;
            }
            let item = acts[idx];

            self.special(item.sp);

            bingo = item.flags & A_BINGO != 0;
            if bingo {
                let t = self.top_mut();
                let lt = t.lentoken;
                t.lentoken = 0;
                self.lentoken = lt;
                self.ty = item.ty;
            }

            if item.flags & A_POP != 0 {
                self.stack.pop();
                debug_assert!(!self.stack.is_empty());
            } else if item.flags & A_PUSH != 0 {
                self.top_mut().pushed_at = Some(idx);
                let mut copy = *self.top();
                copy.pushed_at = None;
                self.stack.push(copy);
            } else if item.flags & A_CLEAR != 0 {
                let n = self.stack.len();
                if n >= 2 {
                    self.stack.remove(n - 2);
                }
            } else if item.flags & A_CLRALL != 0 {
                let top = *self.top();
                self.stack.clear();
                self.stack.push(top);
            } else if item.flags & A_MERGE != 0 {
                let ptr = self.stack.pop().expect("parser stack");
                let t = self.top_mut();
                t.pos = ptr.pos;
                t.charlen = ptr.charlen;
                t.lentoken = ptr.lentoken;
            }

            if item.to != Null {
                self.top_mut().state = item.to;
            }

            if bingo || (self.top().pos >= len && item.flags & A_RERUN == 0) {
                break;
            }

            if item.flags & (A_RERUN | A_POP) != 0 {
                continue;
            }

            let t = self.top_mut();
            if t.charlen != 0 {
                t.pos += 1;
                t.lentoken += 1;
            }
        }
        bingo
    }
}

/// Runs the default parser over `text`, calling `f(type, token)` for each token in order (as
/// `ts_parse('default', text)`).
pub(crate) fn parse(text: &str, mut f: impl FnMut(u8, &str)) {
    // PostgreSQL strings cannot hold NUL: stop there.
    let text = text.split('\0').next().unwrap_or("");
    let chars: Vec<char> = text.chars().collect();
    // byte offset of each char index
    let mut offs = Vec::with_capacity(chars.len() + 1);
    let mut o = 0usize;
    for c in &chars {
        offs.push(o);
        o += c.len_utf8();
    }
    offs.push(o);
    let mut p = TParser::new(&chars);
    while p.get() {
        let start = offs[p.token];
        let end = offs[(p.token + p.lentoken).min(chars.len())];
        f(p.ty, &text[start..end]);
    }
}
