//! Resident memory of a local server, read from `/proc`: the process that listens on the server's
//! TCP port and all its descendants (PostgreSQL forks a backend per connection).
//!
//! Reported as PSS (proportional set size) where the kernel offers it, so shared memory that
//! PostgreSQL's processes all map (shared_buffers) is counted once rather than per process; RSS
//! otherwise. `None` where `/proc` is not readable (another OS, another user's server).

use std::collections::HashMap;
use std::fs;

/// The pid of the process listening on `port` on this machine, if it can be found.
pub fn pid_listening_on(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if f.len() < 10 || f[3] != "0A" {
                continue;
            }
            let local_port = f[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    if inodes.is_empty() {
        return None;
    }
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path()) {
                if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                    return Some(pid);
                }
            }
        }
    }
    None
}

/// Bytes of memory of `pid` and its descendants.
pub fn tree_memory(pid: u32) -> Option<u64> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = parent(p) {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut total = 0u64;
    let mut stack = vec![pid];
    let mut any = false;
    while let Some(p) = stack.pop() {
        if let Some(bytes) = process_memory(p) {
            total += bytes;
            any = true;
        }
        if let Some(c) = children.get(&p) {
            stack.extend(c);
        }
    }
    any.then_some(total)
}

fn parent(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...; comm may contain spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// PSS of one process from `smaps_rollup`, else its VmRSS.
fn process_memory(pid: u32) -> Option<u64> {
    let kib = |text: &str, key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|k| k * 1024)
    };
    if let Ok(text) = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
        if let Some(b) = kib(&text, "Pss:") {
            return Some(b);
        }
    }
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib(&text, "VmRSS:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_own_listener_and_memory() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if std::path::Path::new("/proc/net/tcp").exists() {
            assert_eq!(pid_listening_on(port), Some(std::process::id()));
            let mem = tree_memory(std::process::id()).unwrap();
            assert!(mem > 1 << 20, "a test process uses more than 1 MiB: {mem}");
        }
    }
}
