//! Hostile or broken clients on the raw socket: random bytes, truncated and oversized startup
//! packets, malformed messages after a valid startup, and idle half-open connections. None of them
//! may take the server down or stop it from serving others.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crate::common::TestServer;
use crate::util::{simple_rows, Rng};

const PROTOCOL_3_0: i32 = 196_608;
const SSL_REQUEST: i32 = 80_877_103;
const CANCEL_REQUEST: i32 = 80_877_102;

fn startup_packet(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = PROTOCOL_3_0.to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    packet.extend_from_slice(&body);
    packet
}

fn open(server: &TestServer) -> TcpStream {
    let stream =
        TcpStream::connect_timeout(&server.addr(), Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Writes `bytes` (ignoring errors: the server may hang up first), half-closes, and drains
/// whatever the server answers until it closes or 5 s pass.
fn send_and_drain(mut stream: TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(Shutdown::Write);
    let mut sink = [0u8; 4096];
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

async fn assert_serves(server: &mut TestServer, after: &str) {
    assert!(server.is_running(), "quiver exited after {after}");
    let client = match server.try_connect().await {
        Ok(client) => client,
        Err(e) => panic!("cannot connect after {after}: {e}"),
    };
    assert_eq!(
        simple_rows(&client, "SELECT 1").await,
        vec![vec![Some("1".to_string())]],
        "after {after}"
    );
}

#[tokio::test]
async fn garbage_on_the_wire_does_not_take_the_server_down() {
    let mut server = TestServer::start();
    let mut rng = Rng::new(7);

    // Idle connections that never finish their startup packet must not block the accept loop.
    let mut idle_partial = open(&server);
    idle_partial.write_all(&[0, 0]).unwrap();
    let _idle_silent = open(&server);
    assert_serves(&mut server, "two idle half-open connections").await;

    let random = rng.bytes(64 * 1024);
    send_and_drain(open(&server), &random);
    assert_serves(&mut server, "64 KiB of random bytes").await;

    let mut plausible = vec![0, 0, 0, 40];
    plausible.extend(rng.bytes(36));
    send_and_drain(open(&server), &plausible);
    assert_serves(&mut server, "a plausible length followed by random bytes").await;

    let startup = startup_packet(&[("user", "postgres"), ("database", "postgres")]);
    send_and_drain(open(&server), &startup[..startup.len() / 2]);
    assert_serves(&mut server, "a truncated startup packet").await;

    let mut huge = i32::MAX.to_be_bytes().to_vec();
    huge.extend_from_slice(&PROTOCOL_3_0.to_be_bytes());
    huge.extend(rng.bytes(1000));
    send_and_drain(open(&server), &huge);
    assert_serves(&mut server, "a startup packet claiming 2 GiB").await;

    for tiny in [[0u8, 0, 0, 0], [0, 0, 0, 3], [0xff, 0xff, 0xff, 0xff]] {
        send_and_drain(open(&server), &tiny);
    }
    assert_serves(&mut server, "startup lengths 0, 3 and -1").await;

    let mut bad_version = startup.clone();
    bad_version[4..8].copy_from_slice(&0x0009_0001i32.to_be_bytes());
    send_and_drain(open(&server), &bad_version);
    assert_serves(&mut server, "an unknown protocol version").await;

    let mut cancel = 16i32.to_be_bytes().to_vec();
    cancel.extend_from_slice(&CANCEL_REQUEST.to_be_bytes());
    cancel.extend(rng.bytes(8));
    send_and_drain(open(&server), &cancel);
    assert_serves(&mut server, "a cancel request for an unknown backend").await;

    // SSLRequest: the server answers one byte ('N' without TLS), then random bytes follow.
    let mut ssl = open(&server);
    let mut request = 8i32.to_be_bytes().to_vec();
    request.extend_from_slice(&SSL_REQUEST.to_be_bytes());
    ssl.write_all(&request).unwrap();
    let mut answer = [0u8; 1];
    ssl.read_exact(&mut answer)
        .expect("an answer to SSLRequest");
    assert!(
        answer[0] == b'N' || answer[0] == b'S',
        "SSLRequest answered {:?}",
        answer[0] as char
    );
    send_and_drain(ssl, &rng.bytes(4096));
    assert_serves(&mut server, "random bytes after an SSLRequest").await;

    // A valid startup, then malformed messages: a length below 4, a 2 GiB length, an unknown type.
    for tail in [
        &b"Q\0\0\0\x03"[..],
        &b"Q\x7f\xff\xff\xffSELECT 1"[..],
        &b"\x01\0\0\0\x08abcd"[..],
        &b"P\0\0\0\x06\0\0"[..],
    ] {
        let mut bytes = startup.clone();
        bytes.extend_from_slice(tail);
        send_and_drain(open(&server), &bytes);
    }
    assert_serves(&mut server, "malformed messages after a valid startup").await;

    // A client that vanishes in the middle of a query.
    let mut bytes = startup.clone();
    let query = b"SELECT 1\0";
    bytes.push(b'Q');
    bytes.extend_from_slice(&((query.len() + 4) as i32).to_be_bytes());
    bytes.extend_from_slice(&query[..4]);
    send_and_drain(open(&server), &bytes);
    assert_serves(&mut server, "a connection closed mid-message").await;

    drop(idle_partial);
    assert_serves(&mut server, "closing the idle connections").await;
}
