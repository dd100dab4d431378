//! `pg_catalog`: the system tables drivers read while connecting and introspecting, generated on
//! each access from quiver's own catalog so they never disagree with it.
//!
//! Unqualified names resolve here after the user's schema, as PostgreSQL's search path puts
//! `pg_catalog` first for system names.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int16Array, Int32Array, RecordBatch, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use parking_lot::Mutex;

use crate::planner::settings::Settings;
use crate::sql::deparse::{self, quote_ident};
use crate::sql::functions::catalog::pg_types;
use crate::storage::Storage;

/// pg_class.oid of a user table.
pub const TABLE_OID_BASE: u32 = 20000;
/// Object ids of the unique indexes behind constraints.
const CONSTRAINT_INDEX_OID_BASE: u32 = 1_000_000;
pub const NS_PG_CATALOG: u32 = 11;
pub const NS_PUBLIC: u32 = 2200;
pub const NS_INFORMATION_SCHEMA: u32 = 13000;

pub const TABLES: &[&str] = &[
    "pg_type",
    "pg_namespace",
    "pg_range",
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_extension",
    "pg_database",
    "pg_roles",
    "pg_user",
    "pg_tables",
    "pg_index",
    "pg_indexes",
    "pg_description",
    "pg_constraint",
    "pg_settings",
    "pg_enum",
    "pg_proc",
    "pg_am",
    "pg_stat_progress_create_index",
];

/// One row per index, as `pg_class`, `pg_index` and `pg_indexes` show them: declared indexes
/// and the unique indexes behind PRIMARY KEY / UNIQUE constraints.
struct IndexRow {
    oid: u32,
    table_oid: u32,
    table: String,
    name: String,
    method: String,
    columns: Vec<i16>,
    unique: bool,
    primary: bool,
    def: String,
}

fn index_rows(tables: &[Arc<crate::storage::catalog::TableDef>]) -> Vec<IndexRow> {
    let mut out = Vec::new();
    for t in tables {
        let table_oid = TABLE_OID_BASE + t.id as u32;
        for (n, c) in t.constraints.iter().enumerate() {
            let cols: Vec<String> = c
                .columns
                .iter()
                .filter_map(|i| t.columns.get(*i).map(|c| quote_ident(&c.name)))
                .collect();
            out.push(IndexRow {
                // Constraint indexes have no object id of their own; derive a stable one.
                oid: CONSTRAINT_INDEX_OID_BASE + (t.id as u32) * 64 + n as u32,
                table_oid,
                table: t.name.clone(),
                name: c.name.clone(),
                method: "btree".into(),
                columns: c.columns.iter().map(|i| *i as i16 + 1).collect(),
                unique: true,
                primary: c.primary,
                def: format!(
                    "CREATE UNIQUE INDEX {} ON {}.{} USING btree ({})",
                    quote_ident(&c.name),
                    t.schema,
                    quote_ident(&t.name),
                    cols.join(", ")
                ),
            });
        }
        for i in &t.indexes {
            let cols: Vec<String> = i
                .columns
                .iter()
                .zip(i.opclasses.iter())
                .map(|(c, oc)| {
                    let c = if t.column_index(c).is_some() {
                        quote_ident(c)
                    } else {
                        deparse::index_key(c)
                    };
                    match oc {
                        Some(oc) => format!("{c} {oc}"),
                        None => c,
                    }
                })
                .collect();
            let defaults: &[(&str, &str)] = match i.method.as_str() {
                "hnsw" => &[("m", "16"), ("ef_construction", "64")],
                "ivfflat" => &[("lists", "100")],
                _ => &[],
            };
            let opts: Vec<String> = i
                .options
                .iter()
                .filter(|(k, v)| !defaults.contains(&(k.as_str(), v.as_str())))
                .map(|(k, v)| format!("{k}='{v}'"))
                .collect();
            let mut def = format!(
                "CREATE {}INDEX {} ON {}.{} USING {} ({})",
                if i.unique { "UNIQUE " } else { "" },
                quote_ident(&i.name),
                t.schema,
                quote_ident(&t.name),
                i.method,
                cols.join(", ")
            );
            if !opts.is_empty() {
                def.push_str(&format!(" WITH ({})", opts.join(", ")));
            }
            if let Some(p) = &i.predicate {
                def.push_str(&format!(" WHERE {}", deparse::predicate(p)));
            }
            out.push(IndexRow {
                oid: TABLE_OID_BASE + i.id as u32,
                table_oid,
                table: t.name.clone(),
                name: i.name.clone(),
                method: i.method.clone(),
                columns: i
                    .columns
                    .iter()
                    .map(|c| t.column_index(c).map_or(0, |p| p as i16 + 1))
                    .collect(),
                unique: i.unique,
                primary: false,
                def,
            });
        }
    }
    out
}

fn am_oid(method: &str) -> u32 {
    match method {
        "btree" => 403,
        "hash" => 405,
        "hnsw" => 16400,
        "ivfflat" => 16401,
        _ => 403,
    }
}

pub struct PgCatalog {
    storage: Arc<Storage>,
    settings: Arc<Mutex<Settings>>,
}

impl PgCatalog {
    pub fn new(storage: Arc<Storage>, settings: Arc<Mutex<Settings>>) -> Self {
        PgCatalog { storage, settings }
    }
}

impl fmt::Debug for PgCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgCatalog")
    }
}

/// Column builders for one generated table.
struct Cols {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Cols {
    fn new() -> Self {
        Cols {
            fields: vec![],
            arrays: vec![],
        }
    }
    fn oid(mut self, name: &str, v: Vec<u32>) -> Self {
        self.fields
            .push(crate::types::SqlType::Oid.field(name, true));
        self.arrays.push(Arc::new(UInt32Array::from(v)));
        self
    }
    fn text(mut self, name: &str, v: Vec<Option<String>>) -> Self {
        self.fields.push(Field::new(name, DataType::Utf8, true));
        self.arrays.push(Arc::new(StringArray::from(v)));
        self
    }
    fn i16(mut self, name: &str, v: Vec<i16>) -> Self {
        self.fields.push(Field::new(name, DataType::Int16, true));
        self.arrays.push(Arc::new(Int16Array::from(v)));
        self
    }
    fn i64(mut self, name: &str, v: Vec<i64>) -> Self {
        self.fields.push(Field::new(name, DataType::Int64, true));
        self.arrays
            .push(Arc::new(arrow::array::Int64Array::from(v)));
        self
    }
    fn i32(mut self, name: &str, v: Vec<i32>) -> Self {
        self.fields.push(Field::new(name, DataType::Int32, true));
        self.arrays.push(Arc::new(Int32Array::from(v)));
        self
    }
    /// A PostgreSQL `"char"` column (one byte: `relkind`, `typtype`, ...).
    fn ch(mut self, name: &str, v: Vec<char>) -> Self {
        self.fields
            .push(crate::types::SqlType::InternalChar.field(name, true));
        self.arrays.push(Arc::new(StringArray::from(
            v.iter()
                .map(|c| {
                    if *c == '\0' {
                        String::new()
                    } else {
                        c.to_string()
                    }
                })
                .collect::<Vec<_>>(),
        )));
        self
    }
    fn bool(mut self, name: &str, v: Vec<bool>) -> Self {
        self.fields.push(Field::new(name, DataType::Boolean, true));
        self.arrays.push(Arc::new(BooleanArray::from(v)));
        self
    }
    fn table(self) -> DfResult<Arc<dyn TableProvider>> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.arrays)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

impl PgCatalog {
    fn build(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let tables = self.storage.table_defs();
        let t = match name {
            "pg_type" => {
                let ts = pg_types();
                Cols::new()
                    .oid("oid", ts.iter().map(|t| t.oid).collect())
                    .text("typname", ts.iter().map(|t| s(t.name)).collect())
                    .oid("typnamespace", ts.iter().map(|t| t.namespace).collect())
                    .oid("typowner", vec![10; ts.len()])
                    .i16("typlen", ts.iter().map(|t| t.len).collect())
                    .bool(
                        "typbyval",
                        ts.iter().map(|t| t.len > 0 && t.len <= 8).collect(),
                    )
                    .ch("typtype", ts.iter().map(|_| 'b').collect())
                    .ch("typcategory", ts.iter().map(|t| t.category).collect())
                    .bool("typisdefined", vec![true; ts.len()])
                    .ch("typdelim", ts.iter().map(|_| ',').collect())
                    .oid("typrelid", vec![0; ts.len()])
                    .oid("typelem", ts.iter().map(|t| t.elem).collect())
                    .oid("typarray", ts.iter().map(|t| t.array).collect())
                    .oid("typbasetype", vec![0; ts.len()])
                    .i32("typtypmod", vec![-1; ts.len()])
                    .bool("typnotnull", vec![false; ts.len()])
                    .i32("typndims", vec![0; ts.len()])
                    .oid(
                        "typcollation",
                        ts.iter()
                            .map(|t| if t.category == 'S' { 100 } else { 0 })
                            .collect(),
                    )
                    .text(
                        "typinput",
                        ts.iter().map(|t| Some(format!("{}_in", t.name))).collect(),
                    )
                    .text(
                        "typoutput",
                        ts.iter().map(|t| Some(format!("{}_out", t.name))).collect(),
                    )
                    .text(
                        "typreceive",
                        ts.iter()
                            .map(|t| Some(format!("{}_recv", t.name)))
                            .collect(),
                    )
                    .text(
                        "typsend",
                        ts.iter()
                            .map(|t| Some(format!("{}_send", t.name)))
                            .collect(),
                    )
                    .table()?
            }
            "pg_namespace" => Cols::new()
                .oid("oid", vec![NS_PG_CATALOG, NS_PUBLIC, NS_INFORMATION_SCHEMA])
                .text(
                    "nspname",
                    vec![s("pg_catalog"), s("public"), s("information_schema")],
                )
                .oid("nspowner", vec![10, 10, 10])
                .table()?,
            "pg_range" => Cols::new()
                .oid("rngtypid", vec![])
                .oid("rngsubtype", vec![])
                .table()?,
            "pg_enum" => Cols::new()
                .oid("oid", vec![])
                .oid("enumtypid", vec![])
                .text("enumlabel", vec![])
                .table()?,
            "pg_class" => {
                let idx = index_rows(&tables);
                let n = tables.len() + idx.len();
                let mut oid: Vec<u32> = tables
                    .iter()
                    .map(|t| TABLE_OID_BASE + t.id as u32)
                    .collect();
                oid.extend(idx.iter().map(|i| i.oid));
                let mut relname: Vec<Option<String>> =
                    tables.iter().map(|t| Some(t.name.clone())).collect();
                relname.extend(idx.iter().map(|i| Some(i.name.clone())));
                let mut relam: Vec<u32> = vec![2; tables.len()];
                relam.extend(idx.iter().map(|i| am_oid(&i.method)));
                let mut relkind: Vec<char> = vec!['r'; tables.len()];
                relkind.extend(idx.iter().map(|_| 'i'));
                let mut relnatts: Vec<i16> =
                    tables.iter().map(|t| t.columns.len() as i16).collect();
                relnatts.extend(idx.iter().map(|i| i.columns.len() as i16));
                let mut hasindex: Vec<bool> = tables
                    .iter()
                    .map(|t| !t.constraints.is_empty() || !t.indexes.is_empty())
                    .collect();
                hasindex.extend(idx.iter().map(|_| false));
                Cols::new()
                    .oid("oid", oid)
                    .text("relname", relname)
                    .oid("relnamespace", vec![NS_PUBLIC; n])
                    .oid("reltype", vec![0; n])
                    .oid("relowner", vec![10; n])
                    .oid("relam", relam)
                    .ch("relkind", relkind)
                    .ch("relpersistence", vec!['p'; n])
                    .i16("relnatts", relnatts)
                    .bool("relhasindex", hasindex)
                    .bool("relispartition", vec![false; n])
                    .bool("relrowsecurity", vec![false; n])
                    .bool("relforcerowsecurity", vec![false; n])
                    .bool("relhastriggers", vec![false; n])
                    .bool("relhasrules", vec![false; n])
                    .oid("reltablespace", vec![0; n])
                    .oid("reltoastrelid", vec![0; n])
                    .i32("reltuples", vec![-1; n])
                    .table()?
            }
            "pg_attribute" => {
                let mut rel = vec![];
                let mut name = vec![];
                let mut typ = vec![];
                let mut num = vec![];
                let mut typmod = vec![];
                let mut notnull = vec![];
                let mut hasdef = vec![];
                let mut generated = vec![];
                for t in &tables {
                    for (i, c) in t.columns.iter().enumerate() {
                        generated.push(if c.generated.is_some() { 's' } else { '\0' });
                        rel.push(TABLE_OID_BASE + t.id as u32);
                        name.push(Some(c.name.clone()));
                        typ.push(c.ty.oid());
                        num.push(i as i16 + 1);
                        typmod.push(c.ty.typmod());
                        notnull.push(!c.nullable);
                        // A generation expression is kept as a default in PostgreSQL.
                        hasdef.push(c.default.is_some() || c.generated.is_some());
                    }
                }
                let n = rel.len();
                Cols::new()
                    .oid("attrelid", rel)
                    .text("attname", name)
                    .oid("atttypid", typ)
                    .i16("attnum", num)
                    .i32("atttypmod", typmod)
                    .bool("attnotnull", notnull)
                    .bool("atthasdef", hasdef)
                    .bool("attisdropped", vec![false; n])
                    .i32("attndims", vec![0; n])
                    .ch("attidentity", vec!['\0'; n])
                    .ch("attgenerated", generated)
                    .oid("attcollation", vec![0; n])
                    .i16("attlen", vec![-1; n])
                    .table()?
            }
            "pg_attrdef" => {
                let mut rel = vec![];
                let mut num = vec![];
                let mut expr = vec![];
                for t in &tables {
                    for (i, c) in t.columns.iter().enumerate() {
                        if let Some(d) = c.default.as_ref().or(c.generated.as_ref()) {
                            rel.push(TABLE_OID_BASE + t.id as u32);
                            num.push(i as i16 + 1);
                            expr.push(Some(d.clone()));
                        }
                    }
                }
                let n = rel.len();
                Cols::new()
                    .oid("oid", (0..n as u32).map(|i| 30000 + i).collect())
                    .oid("adrelid", rel)
                    .i16("adnum", num)
                    .text("adbin", expr)
                    .table()?
            }
            "pg_extension" => {
                let ex = self.storage.extensions();
                Cols::new()
                    .oid("oid", (0..ex.len() as u32).map(|i| 16384 + i).collect())
                    .text("extname", ex.iter().map(|e| Some(e.name.clone())).collect())
                    .oid("extowner", vec![10; ex.len()])
                    .oid("extnamespace", vec![NS_PUBLIC; ex.len()])
                    .bool("extrelocatable", vec![true; ex.len()])
                    .text(
                        "extversion",
                        ex.iter().map(|e| Some(e.version.clone())).collect(),
                    )
                    .table()?
            }
            "pg_database" => Cols::new()
                .oid("oid", vec![5])
                .text("datname", vec![s("postgres")])
                .oid("datdba", vec![10])
                .i32("encoding", vec![6])
                .text("datcollate", vec![s("C")])
                .text("datctype", vec![s("C")])
                .bool("datistemplate", vec![false])
                .bool("datallowconn", vec![true])
                .i32("datconnlimit", vec![-1])
                .table()?,
            "pg_roles" | "pg_user" => {
                let c = Cols::new();
                let c = if name == "pg_roles" {
                    c.oid("oid", vec![10]).text("rolname", vec![s("postgres")])
                } else {
                    c.oid("usesysid", vec![10])
                        .text("usename", vec![s("postgres")])
                };
                c.bool(
                    if name == "pg_roles" {
                        "rolsuper"
                    } else {
                        "usesuper"
                    },
                    vec![true],
                )
                .bool(
                    if name == "pg_roles" {
                        "rolcanlogin"
                    } else {
                        "usecreatedb"
                    },
                    vec![true],
                )
                .bool("rolinherit", vec![true])
                .bool("rolcreaterole", vec![true])
                .bool("rolcreatedb", vec![true])
                .bool("rolreplication", vec![true])
                .i32("rolconnlimit", vec![-1])
                .table()?
            }
            "pg_tables" => Cols::new()
                .text(
                    "schemaname",
                    tables.iter().map(|t| Some(t.schema.clone())).collect(),
                )
                .text(
                    "tablename",
                    tables.iter().map(|t| Some(t.name.clone())).collect(),
                )
                .text("tableowner", tables.iter().map(|_| s("postgres")).collect())
                .text("tablespace", tables.iter().map(|_| None).collect())
                .bool(
                    "hasindexes",
                    tables.iter().map(|t| !t.constraints.is_empty()).collect(),
                )
                .bool("hasrules", vec![false; tables.len()])
                .bool("hastriggers", vec![false; tables.len()])
                .bool("rowsecurity", vec![false; tables.len()])
                .table()?,
            "pg_index" => {
                let idx = index_rows(&tables);
                Cols::new()
                    .oid("indexrelid", idx.iter().map(|i| i.oid).collect())
                    .oid("indrelid", idx.iter().map(|i| i.table_oid).collect())
                    .i16(
                        "indnatts",
                        idx.iter().map(|i| i.columns.len() as i16).collect(),
                    )
                    .i16(
                        "indnkeyatts",
                        idx.iter().map(|i| i.columns.len() as i16).collect(),
                    )
                    .bool("indisunique", idx.iter().map(|i| i.unique).collect())
                    .bool("indisprimary", idx.iter().map(|i| i.primary).collect())
                    .bool("indisvalid", vec![true; idx.len()])
                    .bool("indisready", vec![true; idx.len()])
                    .bool("indislive", vec![true; idx.len()])
                    .text(
                        "indkey",
                        idx.iter()
                            .map(|i| {
                                Some(
                                    i.columns
                                        .iter()
                                        .map(|c| c.to_string())
                                        .collect::<Vec<_>>()
                                        .join(" "),
                                )
                            })
                            .collect(),
                    )
                    .table()?
            }
            "pg_indexes" => {
                let idx = index_rows(&tables);
                Cols::new()
                    .text("schemaname", idx.iter().map(|_| s("public")).collect())
                    .text(
                        "tablename",
                        idx.iter().map(|i| Some(i.table.clone())).collect(),
                    )
                    .text(
                        "indexname",
                        idx.iter().map(|i| Some(i.name.clone())).collect(),
                    )
                    .text("tablespace", idx.iter().map(|_| None).collect())
                    .text(
                        "indexdef",
                        idx.iter().map(|i| Some(i.def.clone())).collect(),
                    )
                    .table()?
            }
            "pg_stat_progress_create_index" => {
                let p = self.storage.indexes.progress();
                let ld = |a: &std::sync::atomic::AtomicU64| {
                    a.load(std::sync::atomic::Ordering::Relaxed) as i64
                };
                Cols::new()
                    .i32("pid", p.iter().map(|b| b.pid).collect())
                    .text("datname", p.iter().map(|_| s("postgres")).collect())
                    .oid(
                        "relid",
                        p.iter()
                            .map(|b| TABLE_OID_BASE + b.table_id as u32)
                            .collect(),
                    )
                    .oid(
                        "index_relid",
                        p.iter()
                            .map(|b| TABLE_OID_BASE + b.index_id as u32)
                            .collect(),
                    )
                    .text("command", p.iter().map(|b| s(b.command)).collect())
                    .text("phase", p.iter().map(|b| s(&b.phase.lock())).collect())
                    // Segments are quiver's unit of work, not 8 kB blocks; report rows in the
                    // block columns too so that pgvector's progress query shows a percentage.
                    .i64(
                        "blocks_total",
                        p.iter().map(|b| ld(&b.tuples_total)).collect(),
                    )
                    .i64(
                        "blocks_done",
                        p.iter().map(|b| ld(&b.tuples_done)).collect(),
                    )
                    .i64(
                        "tuples_total",
                        p.iter().map(|b| ld(&b.tuples_total)).collect(),
                    )
                    .i64(
                        "tuples_done",
                        p.iter().map(|b| ld(&b.tuples_done)).collect(),
                    )
                    .i64(
                        "partitions_total",
                        p.iter().map(|b| ld(&b.segments_total)).collect(),
                    )
                    .i64(
                        "partitions_done",
                        p.iter().map(|b| ld(&b.segments_done)).collect(),
                    )
                    .table()?
            }
            "pg_description" => Cols::new()
                .oid("objoid", vec![])
                .oid("classoid", vec![])
                .i32("objsubid", vec![])
                .text("description", vec![])
                .table()?,
            "pg_constraint" => {
                let mut oid = vec![];
                let mut cname = vec![];
                let mut rel = vec![];
                let mut kind = vec![];
                for t in &tables {
                    for c in &t.constraints {
                        oid.push(40000 + oid.len() as u32);
                        cname.push(Some(c.name.clone()));
                        rel.push(TABLE_OID_BASE + t.id as u32);
                        kind.push(if c.primary { 'p' } else { 'u' });
                    }
                }
                let n = oid.len();
                Cols::new()
                    .oid("oid", oid)
                    .text("conname", cname)
                    .oid("connamespace", vec![NS_PUBLIC; n])
                    .ch("contype", kind)
                    .oid("conrelid", rel)
                    .table()?
            }
            "pg_settings" => {
                let all = self.settings.lock().all();
                Cols::new()
                    .text("name", all.iter().map(|(k, _)| Some(k.clone())).collect())
                    .text(
                        "setting",
                        all.iter().map(|(_, v)| Some(v.clone())).collect(),
                    )
                    .table()?
            }
            "pg_proc" => Cols::new()
                .oid("oid", vec![])
                .text("proname", vec![])
                .oid("pronamespace", vec![])
                .table()?,
            "pg_am" => Cols::new()
                .oid("oid", vec![2, 403, 405, 16400, 16401])
                .text(
                    "amname",
                    vec![s("heap"), s("btree"), s("hash"), s("hnsw"), s("ivfflat")],
                )
                .ch("amtype", vec!['t', 'i', 'i', 'i', 'i'])
                .table()?,
            _ => return Ok(None),
        };
        Ok(Some(t))
    }
}

#[async_trait]
impl SchemaProvider for PgCatalog {
    fn table_names(&self) -> Vec<String> {
        TABLES.iter().map(|s| s.to_string()).collect()
    }
    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        self.build(name)
    }
    fn table_exist(&self, name: &str) -> bool {
        TABLES.contains(&name)
    }
}
