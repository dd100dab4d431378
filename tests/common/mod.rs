//! `TestServer`: one `quiver serve` child process per test, on a free port and a private data
//! directory, with helpers to connect, stop gracefully, kill -9 and restart on the same data.
//!
//! Shared by the sqllogictest runner and the integration binary (`#[path]`-included), so not every
//! item is used by both.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a freshly spawned server has to accept TCP connections.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server has to exit after SIGTERM.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Path of the server binary cargo built for this test run.
pub fn quiver_bin() -> &'static str {
    env!("CARGO_BIN_EXE_quiver")
}

/// Ports handed out by this process. Tests in one binary run in parallel; remembering ports keeps
/// two of them from being given the same one between "bind :0, drop" and the server's own bind.
static PORTS_TAKEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A TCP port on 127.0.0.1 that was free a moment ago and not handed out before by this process.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        drop(listener);
        let mut taken = PORTS_TAKEN.lock().unwrap_or_else(|e| e.into_inner());
        if taken.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("could not find a free port");
}

/// A new, empty, unique directory under the system temp dir.
pub fn unique_temp_dir(prefix: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = DIR_COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{n}-{nanos}", std::process::id()));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// Connects to a quiver (or any PostgreSQL) server on 127.0.0.1:`port` as postgres/postgres and
/// drives the connection on a spawned task. Needs a tokio runtime.
pub async fn connect_port(port: u16) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .dbname("postgres")
        .application_name("quiver-tests")
        .connect_timeout(Duration::from_secs(10));
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        // Errors here are expected when a test kills the server; the test sees them on its client.
        if let Err(e) = connection.await {
            eprintln!("[quiver-tests] connection closed with error: {e}");
        }
    });
    Ok(client)
}

pub struct TestServer {
    /// Port the server listens on (127.0.0.1).
    pub port: u16,
    /// Private temp directory of this server: holds `data/` and `server.log`.
    pub root: PathBuf,
    /// The `--data-dir` passed to the server; kept across `restart()`.
    pub data_dir: PathBuf,
    /// Server stdout + stderr, appended across restarts.
    pub log_path: PathBuf,
    child: Option<Child>,
}

impl TestServer {
    /// Starts a server on a fresh data directory and waits until its port accepts connections.
    pub fn start() -> TestServer {
        Self::start_with_config("")
    }

    /// Like `start`, with `toml` as the server's configuration file (`--config`), kept across
    /// restarts; e.g. `segment_max_rows = 1000` to exercise sealing with little data.
    pub fn start_with_config(toml: &str) -> TestServer {
        let root = unique_temp_dir("quiver-test");
        let data_dir = root.join("data");
        let log_path = root.join("server.log");
        if !toml.is_empty() {
            std::fs::write(root.join("quiver.toml"), toml).expect("write the test config");
        }
        let mut server = TestServer {
            port: free_port(),
            root,
            data_dir,
            log_path,
            child: None,
        };
        server.spawn_and_wait_or_panic();
        server
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// A `quiver serve` command for this server's data dir on `port`, output appended to `log`.
    pub fn command(&self, port: u16, log: &Path) -> Command {
        let log_file = open_append(log);
        let log_file2 = log_file.try_clone().expect("clone log file handle");
        let mut cmd = Command::new(quiver_bin());
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env_remove("QUIVER_LISTEN")
            .env_remove("QUIVER_DATA_DIR")
            .env_remove("QUIVER_CONFIG")
            .args(
                Some(self.root.join("quiver.toml"))
                    .filter(|p| p.exists())
                    .map(|p| vec!["--config".into(), p.into_os_string()])
                    .unwrap_or_default(),
            )
            .env(
                "RUST_LOG",
                std::env::var("QUIVER_TEST_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_file2));
        cmd
    }

    /// A connected client (the connection is driven on a spawned task). Panics with the server log
    /// when the connection fails.
    pub async fn connect(&self) -> tokio_postgres::Client {
        match connect_port(self.port).await {
            Ok(client) => client,
            Err(e) => {
                self.dump_log();
                panic!("connect to quiver on port {}: {e}", self.port);
            }
        }
    }

    /// Like `connect`, but returns the error.
    pub async fn try_connect(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        connect_port(self.port).await
    }

    /// SIGKILL: no chance to flush anything. Waits until the process is reaped.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits up to 20 s for the process to exit; returns its exit status. Panics (with
    /// the log) when it does not exit in time.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("stop(): server is not running");
        let pid = child.id().to_string();
        // `kill` is usually /usr/bin/kill; fall back to the shell builtin where procps is missing.
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(&pid)
            .status()
            .or_else(|_| {
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("kill -TERM {pid}"))
                    .status()
            })
            .expect("run kill -TERM");
        assert!(
            status.success(),
            "kill -TERM {} failed: {status}",
            child.id()
        );
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    self.dump_log();
                    panic!("server did not exit within {STOP_TIMEOUT:?} of SIGTERM");
                }
                Err(e) => panic!("wait for server: {e}"),
            }
        }
    }

    /// Starts the server again on the same data dir (gracefully stopping it first if it still runs).
    /// Keeps the port when it can; if the old port cannot be bound again, moves to a new one.
    pub fn restart(&mut self) {
        if self.is_running() {
            let status = self.stop();
            assert!(
                status.success(),
                "server exited with {status} on SIGTERM before restart"
            );
        }
        self.child = None;
        self.note_in_log("restart");
        if let Err(first) = self.spawn_and_wait() {
            eprintln!(
                "[quiver-tests] restart on port {} failed ({first}); trying a new port",
                self.port
            );
            self.port = free_port();
            if let Err(e) = self.spawn_and_wait() {
                self.dump_log();
                panic!("restart failed: {e}");
            }
        }
    }

    /// The server log so far (stdout + stderr of every start).
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log_path) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Prints the server log to stderr (the test harness shows it for failing tests).
    pub fn dump_log(&self) {
        let text = self.log();
        const MAX: usize = 64 * 1024;
        let shown = if text.len() > MAX {
            let mut start = text.len() - MAX;
            while !text.is_char_boundary(start) {
                start += 1;
            }
            &text[start..]
        } else {
            &text[..]
        };
        eprintln!(
            "----- quiver server log ({}, port {}, {} bytes{}) -----\n{shown}\n----- end of server log -----",
            self.log_path.display(),
            self.port,
            text.len(),
            if text.len() > MAX { ", tail shown" } else { "" },
        );
    }

    fn note_in_log(&self, what: &str) {
        use std::io::Write;
        let mut f = open_append(&self.log_path);
        let _ = writeln!(f, "===== [quiver-tests] {what} =====");
    }

    fn spawn_and_wait_or_panic(&mut self) {
        if let Err(e) = self.spawn_and_wait() {
            self.dump_log();
            panic!("{e}");
        }
    }

    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let mut child = self
            .command(self.port, &self.log_path)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", quiver_bin()))?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "quiver exited before accepting connections: {status}"
                ));
            }
            // A probe to a port in the ephemeral range can connect to itself (TCP simultaneous
            // open) before the server binds; only a connection to another socket counts.
            let answered = TcpStream::connect_timeout(&self.addr(), Duration::from_millis(200))
                .map(|s| s.local_addr().ok() != s.peer_addr().ok())
                .unwrap_or(false);
            if answered {
                // The port answers; make sure it is our process that answers and not a leftover.
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("quiver exited right after start: {status}"));
                }
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "quiver did not accept connections on port {} within {READY_TIMEOUT:?}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            self.dump_log();
            eprintln!("[quiver-tests] kept {} for inspection", self.root.display());
        } else if std::env::var_os("QUIVER_TEST_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}
