//! COPY ... FROM STDIN and COPY ... TO STDOUT in text, CSV and binary formats.
//!
//! COPY FROM is parsed incrementally as CopyData messages arrive: rows are cut from the byte stream,
//! gathered per column and converted to Arrow every `CHUNK_ROWS` rows, so memory holds Arrow data,
//! not the raw stream. All rows become one statement's writes: a bad row loads nothing.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use bytes::{BufMut, Bytes, BytesMut};
use datafusion::common::{ParamValues, ScalarValue};
use sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};

use crate::error::{QuiverError, Result};
use crate::planner::ddl::{ident, object_name};
use crate::planner::dml::{default_values, finish_rows};
use crate::planner::session::{Output, Session};
use crate::sql::cast::cast_array;
use crate::sql::format::{binary_value, normalize, text_value};
use crate::sql::pgvector;
use crate::sql::vector_array::build_vectors;
use crate::storage::catalog::TableDef;
use crate::storage::txn::TxnWrites;
use crate::types::SqlType;

const CHUNK_ROWS: usize = 8192;
const BINARY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub delimiter: u8,
    pub null: String,
    pub header: bool,
    pub quote: u8,
    pub escape: u8,
}

impl CopyOptions {
    fn parse(stmt_options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyOptions> {
        let mut format = CopyFormat::Text;
        let (mut delimiter, mut null, mut header, mut quote, mut escape) =
            (None, None, false, b'"', None);
        for o in stmt_options {
            match o {
                CopyOption::Format(f) => {
                    format = match f.value.to_ascii_lowercase().as_str() {
                        "text" => CopyFormat::Text,
                        "csv" => CopyFormat::Csv,
                        "binary" => CopyFormat::Binary,
                        other => {
                            return Err(QuiverError::InvalidParameterValue(format!(
                                "COPY format \"{other}\" not recognized"
                            )))
                        }
                    }
                }
                CopyOption::Delimiter(c) => delimiter = Some(*c as u8),
                CopyOption::Null(n) => null = Some(n.clone()),
                CopyOption::Header(h) => header = *h,
                CopyOption::Quote(c) => quote = *c as u8,
                CopyOption::Escape(c) => escape = Some(*c as u8),
                CopyOption::Encoding(_) | CopyOption::Freeze(_) => {}
                other => {
                    return Err(QuiverError::FeatureNotSupported(format!(
                        "COPY option {other} is not supported"
                    )))
                }
            }
        }
        for o in legacy {
            match o {
                CopyLegacyOption::Binary => format = CopyFormat::Binary,
                CopyLegacyOption::Csv(opts) => {
                    format = CopyFormat::Csv;
                    for c in opts {
                        match c {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(q) => quote = *q as u8,
                            CopyLegacyCsvOption::Escape(e) => escape = Some(*e as u8),
                            _ => {}
                        }
                    }
                }
                CopyLegacyOption::Delimiter(c) => delimiter = Some(*c as u8),
                CopyLegacyOption::Null(n) => null = Some(n.clone()),
                CopyLegacyOption::Header => header = true,
                other => {
                    return Err(QuiverError::FeatureNotSupported(format!(
                        "COPY option {other} is not supported"
                    )))
                }
            }
        }
        let csv = format == CopyFormat::Csv;
        Ok(CopyOptions {
            format,
            delimiter: delimiter.unwrap_or(if csv { b',' } else { b'\t' }),
            null: null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() }),
            header,
            quote,
            escape: escape.unwrap_or(quote),
        })
    }
}

#[derive(Debug)]
pub struct CopyIn {
    pub table: Arc<TableDef>,
    pub columns: Vec<usize>,
    pub options: CopyOptions,
}

#[derive(Debug)]
pub struct CopyOut {
    pub format: CopyFormat,
    pub columns: usize,
    pub chunks: Vec<Bytes>,
    pub rows: usize,
}

pub async fn start(s: &mut Session, stmt: &Statement, _params: &ParamValues) -> Result<Output> {
    let Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options,
        ..
    } = stmt
    else {
        return Err(QuiverError::Internal("not COPY".into()));
    };
    let opts = CopyOptions::parse(options, legacy_options)?;
    if !*to {
        if !matches!(target, CopyTarget::Stdin) {
            return Err(QuiverError::FeatureNotSupported(
                "COPY FROM a file is not supported; use COPY FROM STDIN (psql's \\copy)".into(),
            ));
        }
        let CopySource::Table {
            table_name,
            columns,
        } = source
        else {
            return Err(QuiverError::Syntax("COPY FROM needs a table".into()));
        };
        let (schema, name) = object_name(table_name)?;
        let def = s
            .engine
            .storage
            .table_def(&schema, &name)
            .ok_or(QuiverError::UndefinedTable(name))?;
        // Generated columns are computed, never read (as in PostgreSQL).
        let cols = if columns.is_empty() {
            (0..def.columns.len())
                .filter(|&j| def.columns[j].generated.is_none())
                .collect()
        } else {
            columns
                .iter()
                .map(|c| {
                    let j = def
                        .column_index(&ident(c))
                        .ok_or_else(|| QuiverError::UndefinedColumn(ident(c)))?;
                    if def.columns[j].generated.is_some() {
                        return Err(QuiverError::InvalidColumnReference(format!(
                            "column \"{}\" is a generated column",
                            def.columns[j].name
                        )));
                    }
                    Ok(j)
                })
                .collect::<Result<_>>()?
        };
        return Ok(Output::CopyIn(CopyIn {
            table: def,
            columns: cols,
            options: opts,
        }));
    }
    if !matches!(target, CopyTarget::Stdout) {
        return Err(QuiverError::FeatureNotSupported(
            "COPY TO a file is not supported; use COPY TO STDOUT".into(),
        ));
    }
    let sql = match source {
        CopySource::Table {
            table_name,
            columns,
        } => {
            let cols = if columns.is_empty() {
                "*".to_string()
            } else {
                columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("SELECT {cols} FROM {table_name}")
        }
        CopySource::Query(q) => q.to_string(),
    };
    let plan = s.plan_sql(&sql, false).await?;
    let fields: Vec<_> = plan.schema().fields().iter().cloned().collect();
    let batches = s.run_plan(plan).await?;
    let types: Vec<SqlType> = fields.iter().map(|f| SqlType::of_field(f)).collect();
    let mut chunks = Vec::new();
    let mut buf = BytesMut::new();
    if opts.format == CopyFormat::Binary {
        buf.put_slice(BINARY_SIGNATURE);
        buf.put_i32(0);
        buf.put_i32(0);
    }
    if opts.header && opts.format == CopyFormat::Csv {
        let names: Vec<String> = fields.iter().map(|f| csv_quote(f.name(), &opts)).collect();
        buf.put_slice(names.join(&(opts.delimiter as char).to_string()).as_bytes());
        buf.put_u8(b'\n');
    }
    let mut rows = 0;
    for b in &batches {
        let cols: Vec<ArrayRef> = b
            .columns()
            .iter()
            .zip(&types)
            .map(|(c, t)| normalize(c, t))
            .collect::<Result<_>>()?;
        for i in 0..b.num_rows() {
            match opts.format {
                CopyFormat::Binary => {
                    buf.put_i16(cols.len() as i16);
                    for (c, t) in cols.iter().zip(&types) {
                        let at = buf.len();
                        buf.put_i32(-1);
                        if binary_value(c.as_ref(), t, i, &mut buf)? {
                            let n = (buf.len() - at - 4) as i32;
                            buf[at..at + 4].copy_from_slice(&n.to_be_bytes());
                        }
                    }
                }
                CopyFormat::Text | CopyFormat::Csv => {
                    for (k, (c, t)) in cols.iter().zip(&types).enumerate() {
                        if k > 0 {
                            buf.put_u8(opts.delimiter);
                        }
                        match text_value(c.as_ref(), t, i)? {
                            None => buf.put_slice(opts.null.as_bytes()),
                            Some(v) if opts.format == CopyFormat::Csv => {
                                buf.put_slice(csv_quote(&v, &opts).as_bytes())
                            }
                            Some(v) => text_escape(&v, opts.delimiter, &mut buf),
                        }
                    }
                    buf.put_u8(b'\n');
                }
            }
            rows += 1;
            if buf.len() > 64 * 1024 {
                chunks.push(buf.split().freeze());
            }
        }
    }
    if !buf.is_empty() {
        chunks.push(buf.freeze());
    }
    Ok(Output::CopyOut(CopyOut {
        format: opts.format,
        columns: fields.len(),
        chunks,
        rows,
    }))
}

fn text_escape(v: &str, delim: u8, out: &mut BytesMut) {
    for &b in v.as_bytes() {
        match b {
            b'\\' => out.put_slice(b"\\\\"),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            b'\t' => out.put_slice(b"\\t"),
            _ if b == delim => {
                out.put_u8(b'\\');
                out.put_u8(b);
            }
            _ => out.put_u8(b),
        }
    }
}

fn csv_quote(v: &str, o: &CopyOptions) -> String {
    let needs = v.is_empty()
        || v == o.null
        || v.bytes()
            .any(|b| b == o.delimiter || b == o.quote || b == b'\n' || b == b'\r');
    if !needs {
        return v.to_string();
    }
    let q = o.quote as char;
    let e = o.escape as char;
    let mut s = String::with_capacity(v.len() + 2);
    s.push(q);
    for c in v.chars() {
        if c == q || c == e {
            s.push(e);
        }
        s.push(c);
    }
    s.push(q);
    s
}

/// Incremental COPY FROM STDIN state.
pub struct CopyLoader {
    spec: CopyIn,
    buf: Vec<u8>,
    /// Text/CSV: field texts per copied column; binary: raw field bytes per column.
    text_cols: Vec<Vec<Option<String>>>,
    bin_cols: Vec<Vec<Option<Vec<u8>>>>,
    pending_rows: usize,
    rows: usize,
    line: usize,
    header_done: bool,
    finished_marker: bool,
    writes: TxnWrites,
    error: Option<QuiverError>,
}

impl CopyLoader {
    pub fn new(spec: CopyIn) -> Self {
        let n = spec.columns.len();
        CopyLoader {
            spec,
            buf: Vec::new(),
            text_cols: vec![Vec::new(); n],
            bin_cols: vec![Vec::new(); n],
            pending_rows: 0,
            rows: 0,
            line: 0,
            header_done: false,
            finished_marker: false,
            writes: TxnWrites::default(),
            error: None,
        }
    }

    pub fn format(&self) -> CopyFormat {
        self.spec.options.format
    }

    pub fn columns(&self) -> usize {
        self.spec.columns.len()
    }

    fn context(&self, e: QuiverError) -> QuiverError {
        match e {
            QuiverError::BadCopyFormat(m) => QuiverError::BadCopyFormat(m),
            other => other,
        }
    }

    /// Feeds one CopyData message. Errors are kept and reported at CopyDone.
    pub async fn push(&mut self, s: &Session, data: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.buf.extend_from_slice(data);
        if let Err(e) = self.consume(s, false).await {
            self.error = Some(self.context(e));
            self.buf.clear();
        }
    }

    /// CopyDone: parses what is left and returns the statement's writes and row count.
    pub async fn finish(mut self, s: &Session) -> Result<(TxnWrites, usize)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.consume(s, true).await?;
        self.flush(s).await?;
        Ok((self.writes, self.rows))
    }

    async fn consume(&mut self, s: &Session, at_end: bool) -> Result<()> {
        match self.spec.options.format {
            CopyFormat::Binary => self.consume_binary(at_end)?,
            CopyFormat::Text => self.consume_text(at_end)?,
            CopyFormat::Csv => self.consume_csv(at_end)?,
        }
        if self.pending_rows >= CHUNK_ROWS {
            self.flush(s).await?;
        }
        Ok(())
    }

    fn add_text_row(&mut self, fields: Vec<Option<String>>) -> Result<()> {
        self.line += 1;
        if fields.len() != self.spec.columns.len() {
            return Err(QuiverError::BadCopyFormat(
                if fields.len() < self.spec.columns.len() {
                    format!(
                        "missing data for column \"{}\"",
                        self.spec.table.columns[self.spec.columns[fields.len()]].name
                    )
                } else {
                    "extra data after last expected column".into()
                },
            ));
        }
        for (c, v) in self.text_cols.iter_mut().zip(fields) {
            c.push(v);
        }
        self.pending_rows += 1;
        Ok(())
    }

    fn consume_text(&mut self, at_end: bool) -> Result<()> {
        let mut start = 0;
        loop {
            if self.finished_marker {
                start = self.buf.len();
                break;
            }
            let end = match self.buf[start..].iter().position(|b| *b == b'\n') {
                Some(p) => start + p,
                None if at_end && start < self.buf.len() => self.buf.len(),
                None => break,
            };
            let mut line = &self.buf[start..end];
            start = (end + 1).min(self.buf.len());
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line == b"\\." {
                self.finished_marker = true;
                continue;
            }
            if self.spec.options.header && !self.header_done {
                self.header_done = true;
                continue;
            }
            let text = std::str::from_utf8(line).map_err(|_| {
                QuiverError::InvalidTextValue("invalid byte sequence for encoding \"UTF8\"".into())
            })?;
            let fields = split_text(
                text,
                self.spec.options.delimiter as char,
                &self.spec.options.null,
            )?;
            self.add_text_row(fields)?;
        }
        self.buf.drain(..start);
        Ok(())
    }

    fn consume_csv(&mut self, at_end: bool) -> Result<()> {
        let o = self.spec.options.clone();
        let mut start = 0;
        loop {
            // Find the end of one record, honouring quotes (which may span newlines).
            let mut i = start;
            let mut in_quote = false;
            let mut end = None;
            while i < self.buf.len() {
                let b = self.buf[i];
                if in_quote {
                    if b == o.escape && o.escape != o.quote && i + 1 < self.buf.len() {
                        i += 2;
                        continue;
                    }
                    if b == o.quote {
                        if o.escape == o.quote && self.buf.get(i + 1) == Some(&o.quote) {
                            i += 2;
                            continue;
                        }
                        in_quote = false;
                    }
                } else if b == o.quote {
                    in_quote = true;
                } else if b == b'\n' {
                    end = Some(i);
                    break;
                }
                i += 1;
            }
            let end = match end {
                Some(e) => e,
                None if at_end && start < self.buf.len() => {
                    if in_quote {
                        return Err(QuiverError::BadCopyFormat(
                            "unterminated CSV quoted field".into(),
                        ));
                    }
                    self.buf.len()
                }
                None => break,
            };
            let mut rec = &self.buf[start..end];
            start = (end + 1).min(self.buf.len());
            if rec.last() == Some(&b'\r') {
                rec = &rec[..rec.len() - 1];
            }
            if rec == b"\\." {
                start = self.buf.len();
                break;
            }
            if o.header && !self.header_done {
                self.header_done = true;
                continue;
            }
            let text = std::str::from_utf8(rec).map_err(|_| {
                QuiverError::InvalidTextValue("invalid byte sequence for encoding \"UTF8\"".into())
            })?;
            let fields = split_csv(text, &o);
            self.add_text_row(fields)?;
        }
        self.buf.drain(..start);
        Ok(())
    }

    fn consume_binary(&mut self, at_end: bool) -> Result<()> {
        let bad = |m: &str| QuiverError::BadCopyFormat(m.to_string());
        let mut pos = 0;
        if !self.header_done {
            if self.buf.len() < BINARY_SIGNATURE.len() + 8 {
                if at_end {
                    return Err(bad("COPY file signature not recognized"));
                }
                return Ok(());
            }
            if &self.buf[..BINARY_SIGNATURE.len()] != BINARY_SIGNATURE {
                return Err(bad("COPY file signature not recognized"));
            }
            let ext = i32::from_be_bytes(self.buf[15..19].try_into().expect("4 bytes"));
            if ext < 0 {
                return Err(bad("invalid COPY file header (missing length)"));
            }
            if self.buf.len() < 19 + ext as usize {
                return Ok(());
            }
            pos = 19 + ext as usize;
            self.header_done = true;
        }
        let ncols = self.spec.columns.len();
        loop {
            if self.finished_marker {
                pos = self.buf.len();
                break;
            }
            let rest = &self.buf[pos..];
            if rest.len() < 2 {
                break;
            }
            let count = i16::from_be_bytes([rest[0], rest[1]]);
            if count == -1 {
                self.finished_marker = true;
                continue;
            }
            if count as usize != ncols {
                return Err(bad(&format!(
                    "row field count is {count}, expected {ncols}"
                )));
            }
            // Check the whole tuple is present before consuming it.
            let mut p = 2;
            let mut complete = true;
            let mut spans = Vec::with_capacity(ncols);
            for _ in 0..ncols {
                if rest.len() < p + 4 {
                    complete = false;
                    break;
                }
                let len = i32::from_be_bytes(rest[p..p + 4].try_into().expect("4 bytes"));
                p += 4;
                if len < 0 {
                    spans.push(None);
                    continue;
                }
                if rest.len() < p + len as usize {
                    complete = false;
                    break;
                }
                spans.push(Some((p, len as usize)));
                p += len as usize;
            }
            if !complete {
                break;
            }
            for (c, sp) in spans.into_iter().enumerate() {
                self.bin_cols[c].push(sp.map(|(a, l)| rest[a..a + l].to_vec()));
            }
            pos += p;
            self.pending_rows += 1;
            self.line += 1;
        }
        if at_end && pos < self.buf.len() && !self.finished_marker {
            return Err(bad("unexpected EOF in COPY data"));
        }
        self.buf.drain(..pos);
        Ok(())
    }

    async fn flush(&mut self, s: &Session) -> Result<()> {
        if self.pending_rows == 0 {
            return Ok(());
        }
        let n = self.pending_rows;
        let def = self.spec.table.clone();
        let mut cols: Vec<Option<ArrayRef>> = vec![None; def.columns.len()];
        for (k, &c) in self.spec.columns.iter().enumerate() {
            let ty = &def.columns[c].ty;
            let arr = if self.spec.options.format == CopyFormat::Binary {
                let vals = std::mem::take(&mut self.bin_cols[k]);
                decode_binary_column(&vals, ty)?
            } else {
                let vals = std::mem::take(&mut self.text_cols[k]);
                let a: ArrayRef = Arc::new(StringArray::from(vals));
                cast_array(&a, &SqlType::Text, ty)?
            };
            cols[c] = Some(arr);
        }
        let mut full = Vec::with_capacity(def.columns.len());
        for (j, c) in cols.into_iter().enumerate() {
            full.push(match c {
                Some(a) => a,
                None => default_values(s, &def, j, n).await?,
            });
        }
        let batch: RecordBatch = finish_rows(s, &def, full, n)?;
        self.writes.table(def.id).inserts.push(batch);
        self.rows += n;
        self.pending_rows = 0;
        Ok(())
    }
}

/// One column of binary COPY values into Arrow. Vectors take a direct path (the bulk-load case);
/// other types go through the bind-parameter decoder.
fn decode_binary_column(vals: &[Option<Vec<u8>>], ty: &SqlType) -> Result<ArrayRef> {
    if let SqlType::Vector(dim) = ty {
        let rows: Vec<Option<Vec<f32>>> = vals
            .iter()
            .map(|v| v.as_deref().map(pgvector::vector_from_binary).transpose())
            .collect::<Result<_>>()?;
        return build_vectors(&rows, *dim);
    }
    let target = ty.arrow_type();
    let scalars: Vec<ScalarValue> = vals
        .iter()
        .map(|v| crate::sql::params::decode(v.as_deref(), true, ty, Some(&target)))
        .collect::<Result<_>>()?;
    if scalars.is_empty() {
        return Ok(arrow::array::new_empty_array(&target));
    }
    Ok(ScalarValue::iter_to_array(scalars)?)
}

/// Splits a text-format line into fields, undoing backslash escapes; `null` marks NULL.
fn split_text(line: &str, delim: char, null: &str) -> Result<Vec<Option<String>>> {
    let mut fields = Vec::new();
    for raw in line.split(delim) {
        if raw == null {
            fields.push(None);
            continue;
        }
        let mut out = String::with_capacity(raw.len());
        let mut it = raw.chars().peekable();
        while let Some(c) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match it.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some(d) if d.is_digit(8) => {
                    let mut v = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match it.peek().and_then(|c| c.to_digit(8)) {
                            Some(x) => {
                                v = v * 8 + x;
                                it.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        fields.push(Some(out));
    }
    Ok(fields)
}

/// Splits one CSV record. An unquoted field equal to the NULL string is NULL; a quoted one is not.
fn split_csv(rec: &str, o: &CopyOptions) -> Vec<Option<String>> {
    let (d, q, e) = (o.delimiter as char, o.quote as char, o.escape as char);
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_quote = false;
    let mut it = rec.chars().peekable();
    while let Some(c) = it.next() {
        if in_quote {
            if c == e && e != q && it.peek().is_some_and(|n| *n == q || *n == e) {
                cur.push(it.next().expect("peeked"));
            } else if c == q {
                if e == q && it.peek() == Some(&q) {
                    cur.push(q);
                    it.next();
                } else {
                    in_quote = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == q {
            in_quote = true;
            quoted = true;
        } else if c == d {
            fields.push(if !quoted && cur == o.null {
                None
            } else {
                Some(std::mem::take(&mut cur))
            });
            cur.clear();
            quoted = false;
        } else {
            cur.push(c);
        }
    }
    fields.push(if !quoted && cur == o.null {
        None
    } else {
        Some(cur)
    });
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_opts() -> CopyOptions {
        CopyOptions {
            format: CopyFormat::Csv,
            delimiter: b',',
            null: String::new(),
            header: false,
            quote: b'"',
            escape: b'"',
        }
    }

    #[test]
    fn text_fields_unescape() {
        let f = split_text("1\t[1,2]\t\\N\ta\\tb\\\\", '\t', "\\N").unwrap();
        assert_eq!(
            f,
            vec![
                Some("1".into()),
                Some("[1,2]".into()),
                None,
                Some("a\tb\\".into())
            ]
        );
    }

    #[test]
    fn csv_fields_quote_and_null() {
        let f = split_csv("1,\"[1,2]\",,\"\",\"a\"\"b\"", &csv_opts());
        assert_eq!(
            f,
            vec![
                Some("1".into()),
                Some("[1,2]".into()),
                None,
                Some(String::new()),
                Some("a\"b".into())
            ]
        );
    }

    #[test]
    fn csv_output_quotes_when_needed() {
        let o = csv_opts();
        assert_eq!(csv_quote("[1,2]", &o), "\"[1,2]\"");
        assert_eq!(csv_quote("plain", &o), "plain");
    }
}
