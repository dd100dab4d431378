//! Per-connection protocol handlers: startup, simple query, extended query (Parse / Bind /
//! Describe / Execute), COPY and cancel. They do bookkeeping only and call the session.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use futures::stream;
use pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
    ServerParameterProvider, StartupHandler,
};
use pgwire::api::copy::CopyHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{CopyResponse, FieldInfo, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionManager, PgWireConnectionState, PidSecretKeyGenerator,
    RandomPidSecretKeyGenerator, Type, DEFAULT_NAME,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, Parse, ParseComplete,
};
use pgwire::messages::response::CommandComplete;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::Mutex;

use crate::engine::Engine;
use crate::error::QuiverError;
use crate::planner::copy::{CopyFormat, CopyLoader};
use crate::planner::session::{Output, Prepared, Session, TxnStatus};
use crate::planner::utility::{command, Command};
use crate::server::batched::Batched;
use crate::server::encode::{field_infos, pg_type, query_response};
use crate::server::errors::{error_info, to_pgwire};
use crate::sql::functions::catalog::PG_VERSION;
use crate::sql::params;
use crate::types::SqlType;

/// State of one connection, shared by its handlers.
pub struct Connection {
    engine: Arc<Engine>,
    session: Mutex<Option<Session>>,
    copy: Mutex<Option<CopyLoader>>,
    manager: Arc<ConnectionManager>,
}

/// A statement stored by Parse.
#[derive(Clone, Debug)]
pub enum QueryStatement {
    Prepared(Arc<Prepared>),
    /// A command sqlparser does not know (CHECKPOINT, REINDEX).
    Command(Command),
}

pub struct Handler {
    conn: Arc<Connection>,
    parser: Arc<StatementParser>,
}

pub struct StatementParser {
    conn: Arc<Connection>,
}

impl Handler {
    pub fn new(engine: Arc<Engine>, manager: Arc<ConnectionManager>) -> Handler {
        let conn = Arc::new(Connection {
            engine,
            session: Mutex::new(None),
            copy: Mutex::new(None),
            manager,
        });
        Handler {
            parser: Arc::new(StatementParser { conn: conn.clone() }),
            conn,
        }
    }
}

impl Connection {
    /// The session, created on first use with the startup parameters' user and database.
    async fn session<C: ClientInfo>(
        &self,
        client: &C,
    ) -> PgWireResult<tokio::sync::MutexGuard<'_, Option<Session>>> {
        let mut guard = self.session.lock().await;
        if guard.is_none() {
            let md = client.metadata();
            let user = md.get("user").cloned().unwrap_or_else(|| "postgres".into());
            let db = md.get("database").cloned().unwrap_or_else(|| user.clone());
            *guard = Some(Session::new(self.engine.clone(), &user, &db).map_err(to_pgwire)?);
        }
        Ok(guard)
    }
}

fn status_response(before: TxnStatus, after: TxnStatus, tag: &str) -> Response {
    let tag = Tag::new(tag);
    match (before, after) {
        (TxnStatus::Idle, TxnStatus::InBlock) => Response::TransactionStart(tag),
        (TxnStatus::InBlock | TxnStatus::Failed, TxnStatus::Idle) => Response::TransactionEnd(tag),
        _ => Response::Execution(tag),
    }
}

impl Connection {
    /// Turns a statement's output into a pgwire response; COPY FROM arms the loader.
    async fn respond(
        &self,
        out: Output,
        before: TxnStatus,
        after: TxnStatus,
        format: &Format,
    ) -> Response {
        match out {
            Output::Rows {
                fields,
                batches,
                tag,
            } => Response::Query(query_response(&fields, batches, format, &tag)),
            Output::Command(tag) => status_response(before, after, &tag),
            Output::Empty => Response::EmptyQuery,
            Output::CopyIn(spec) => {
                let loader = CopyLoader::new(spec);
                let fmt = if loader.format() == CopyFormat::Binary {
                    1
                } else {
                    0
                };
                let cols = loader.columns();
                *self.copy.lock().await = Some(loader);
                Response::CopyIn(CopyResponse::new(fmt, cols, stream::empty()))
            }
            Output::CopyOut(out) => {
                let fmt = if out.format == CopyFormat::Binary {
                    1
                } else {
                    0
                };
                let chunks: Vec<PgWireResult<CopyData>> = out
                    .chunks
                    .into_iter()
                    .map(|c| Ok(CopyData::new(c)))
                    .collect();
                Response::CopyOut(CopyResponse::new(fmt, out.columns, stream::iter(chunks)))
            }
        }
    }
}

/// Sends the NOTICEs a statement raised (before its result, as PostgreSQL does).
async fn send_notices<C>(client: &mut C, session: &mut Session) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for message in session.take_notices() {
        let info = ErrorInfo::new("NOTICE".into(), "00000".into(), message);
        client
            .send(PgWireBackendMessage::NoticeResponse(info.into()))
            .await?;
    }
    Ok(())
}

// ---- startup --------------------------------------------------------------------------------

struct Parameters;

impl ServerParameterProvider for Parameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<HashMap<String, String>> {
        let md = client.metadata();
        let mut p = HashMap::new();
        p.insert("server_version".into(), PG_VERSION.into());
        p.insert("server_encoding".into(), "UTF8".into());
        p.insert("client_encoding".into(), "UTF8".into());
        p.insert("DateStyle".into(), "ISO, MDY".into());
        p.insert("IntervalStyle".into(), "postgres".into());
        p.insert("TimeZone".into(), "UTC".into());
        p.insert("integer_datetimes".into(), "on".into());
        p.insert("standard_conforming_strings".into(), "on".into());
        p.insert("is_superuser".into(), "on".into());
        p.insert("in_hot_standby".into(), "off".into());
        p.insert("default_transaction_read_only".into(), "off".into());
        p.insert("search_path".into(), "\"$user\", public".into());
        p.insert(
            "application_name".into(),
            md.get("application_name").cloned().unwrap_or_default(),
        );
        p.insert(
            "session_authorization".into(),
            md.get("user").cloned().unwrap_or_else(|| "postgres".into()),
        );
        Some(p)
    }
}

static PIDS: std::sync::LazyLock<RandomPidSecretKeyGenerator> =
    std::sync::LazyLock::new(RandomPidSecretKeyGenerator::default);

#[async_trait]
impl StartupHandler for Handler {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let PgWireFrontendMessage::Startup(ref startup) = message {
            protocol_negotiation(client, startup).await?;
            save_startup_parameters_to_metadata(client, startup);
            // Trust authentication (issue: password users and TLS come with the security work).
            let (pid, key) = PIDS.generate(client);
            client.set_pid_and_secret_key(pid, key.clone());
            let (handle, guard) = self.conn.manager.register(pid, key);
            client.session_extensions().insert(handle);
            client.session_extensions().insert(guard);
            finish_authentication(client, &Parameters).await?;
            client.set_state(PgWireConnectionState::ReadyForQuery);
        }
        Ok(())
    }
}

// ---- simple query ---------------------------------------------------------------------------

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.conn.session(client).await?;
        let session = guard.as_mut().expect("session created");
        if let Some(cmd) = command(query) {
            let result = match cmd {
                Ok(cmd) => session.run_command(&cmd).await,
                Err(e) => Err(e),
            };
            send_notices(client, session).await?;
            return Ok(vec![match result {
                Ok(tag) => Response::Execution(Tag::new(tag)),
                Err(e) => {
                    session.fail_block();
                    Response::Error(Box::new(error_info(&e)))
                }
            }]);
        }
        let stmts = match session.parse(query) {
            Ok(s) => s,
            Err(e) => {
                session.fail_block();
                return Ok(vec![Response::Error(Box::new(error_info(&e)))]);
            }
        };
        let mut out = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            let before = session.status();
            let result = session.run_statement(stmt).await;
            send_notices(client, session).await?;
            match result {
                Ok(o) => {
                    let is_copy_in = matches!(o, Output::CopyIn(_));
                    let after = session.status();
                    out.push(
                        self.conn
                            .respond(o, before, after, &Format::UnifiedText)
                            .await,
                    );
                    if is_copy_in {
                        break;
                    }
                }
                Err(e) => {
                    out.push(Response::Error(Box::new(error_info(&e))));
                    break;
                }
            }
        }
        Ok(out)
    }
}

// ---- extended query -------------------------------------------------------------------------

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = QueryStatement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<QueryStatement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        if let Some(cmd) = command(sql) {
            return cmd
                .map(|c| Some(QueryStatement::Command(c)))
                .map_err(to_pgwire);
        }
        let mut guard = self.conn.session(client).await?;
        let session = guard.as_mut().expect("session created");
        let result = async {
            let mut stmts = session.parse(sql)?;
            if stmts.len() > 1 {
                return Err(QuiverError::Syntax(
                    "cannot insert multiple commands into a prepared statement".into(),
                ));
            }
            let Some(stmt) = stmts.pop() else {
                return Ok(None);
            };
            let client_types: Vec<Option<SqlType>> = types
                .iter()
                .map(|t| t.as_ref().and_then(|t| SqlType::from_oid(t.oid())))
                .collect();
            Ok(Some(QueryStatement::Prepared(Arc::new(
                session.prepare(stmt, &client_types).await?,
            ))))
        }
        .await;
        match result {
            Ok(s) => Ok(s),
            Err(e) => {
                session.fail_block();
                Err(to_pgwire(e))
            }
        }
    }

    fn get_parameter_types(&self, stmt: &QueryStatement) -> PgWireResult<Vec<Type>> {
        Ok(match stmt {
            QueryStatement::Prepared(p) => p.param_types.iter().map(pg_type).collect(),
            QueryStatement::Command(_) => vec![],
        })
    }

    fn get_result_schema(
        &self,
        stmt: &QueryStatement,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(match stmt {
            QueryStatement::Prepared(p) => match &p.fields {
                Some(f) => field_infos(f, format.unwrap_or(&Format::UnifiedText)),
                None => vec![],
            },
            QueryStatement::Command(_) => vec![],
        })
    }
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = QueryStatement;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<StatementParser> {
        self.parser.clone()
    }

    // Parse, Bind, Describe and Execute queue their replies; Sync (or Flush) sends them in one
    // write (see `batched`). Parse and Bind are pgwire's defaults with `feed` for `send`.

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = QueryStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME).to_owned();
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(&name),
        }
        client
            .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = QueryStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal_name = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return Err(to_pgwire(QuiverError::ProtocolViolation(format!(
                        "bind message supplies {} parameters, but prepared statement \"{}\" requires 0",
                        message.parameters.len(),
                        message.statement_name.as_deref().unwrap_or("")
                    ))));
                }
                client.portal_store().put_empty_portal(portal_name);
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client
            .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = QueryStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self._on_describe(&mut Batched(client), message).await
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = QueryStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self._on_execute(&mut Batched(client), message).await?;
        // A COPY FROM STDIN waits for its CopyInResponse before sending data, and the Sync that
        // clients pipeline after the Execute is ignored during the copy: send it now.
        if matches!(client.state(), PgWireConnectionState::CopyInProgress(_)) {
            client.flush().await?;
        }
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<QueryStatement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = QueryStatement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.conn.session(client).await?;
        let session = guard.as_mut().expect("session created");
        let prepared = match &portal.statement.statement {
            QueryStatement::Command(cmd) => {
                let result = session.run_command(cmd).await;
                send_notices(client, session).await?;
                let tag = result.map_err(to_pgwire)?;
                return Ok(Response::Execution(Tag::new(tag)));
            }
            QueryStatement::Prepared(p) => p.clone(),
        };
        let mut values = Vec::with_capacity(portal.parameters.len());
        for (i, raw) in portal.parameters.iter().enumerate() {
            let ty = prepared
                .param_types
                .get(i)
                .cloned()
                .unwrap_or(SqlType::Text);
            let target = prepared.param_targets.get(i).cloned().flatten();
            let binary = portal.parameter_format.is_binary(i);
            match params::decode(raw.as_deref(), binary, &ty, target.as_ref()) {
                Ok(v) => values.push(v),
                Err(e) => {
                    session.fail_block();
                    return Err(to_pgwire(e));
                }
            }
        }
        let before = session.status();
        let result = session.execute(&prepared, values).await;
        send_notices(client, session).await?;
        match result {
            Ok(out) => {
                let after = session.status();
                Ok(self
                    .conn
                    .respond(out, before, after, &portal.result_column_format)
                    .await)
            }
            Err(e) => Err(to_pgwire(e)),
        }
    }
}

// ---- COPY -----------------------------------------------------------------------------------

#[async_trait]
impl CopyHandler for Handler {
    async fn on_copy_data<C>(&self, client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let guard = self.conn.session(client).await?;
        let session = guard.as_ref().expect("session created");
        if let Some(loader) = self.conn.copy.lock().await.as_mut() {
            loader.push(session, &copy_data.data).await;
        }
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.conn.session(client).await?;
        let session = guard.as_mut().expect("session created");
        let Some(loader) = self.conn.copy.lock().await.take() else {
            return Err(to_pgwire(QuiverError::ProtocolViolation(
                "no COPY in progress".into(),
            )));
        };
        let result = async {
            let (writes, rows) = loader.finish(session).await?;
            session.apply_writes(writes)?;
            Ok::<usize, QuiverError>(rows)
        }
        .await;
        match result {
            Ok(rows) => {
                let tag = Tag::new("COPY").with_rows(rows);
                client
                    .send(PgWireBackendMessage::CommandComplete(
                        CommandComplete::from(tag),
                    ))
                    .await?;
                Ok(())
            }
            Err(e) => {
                session.fail_block();
                Err(to_pgwire(e))
            }
        }
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.conn.copy.lock().await.take();
        if let Ok(mut guard) = self.conn.session(client).await {
            if let Some(s) = guard.as_mut() {
                s.fail_block();
            }
        }
        let info = pgwire::error::ErrorInfo::new(
            "ERROR".into(),
            QuiverError::QueryCanceled.sqlstate().into(),
            format!("COPY from stdin failed: {}", fail.message),
        );
        PgWireError::UserError(Box::new(info))
    }
}
