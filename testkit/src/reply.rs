//! What a route of the mock answers, and how each answer is written to the wire.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use crate::mock::Recorded;

/// One 64 KiB block of the bodies that are only long.
const BLOCK: usize = 64 * 1024;

/// What a route answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status and JSON body; `Value::Null` sends an empty body.
    Json(u16, Value),
    /// A redirect (this status) to `location`.
    Redirect(u16, String),
    /// 200 with a body that never ends (no length, no chunking), one 64 KiB write after another.
    Endless,
    /// 200 announcing `Content-Length` of this many bytes, then streaming them.
    Huge(u64),
    /// 200 with a chunked body of this many 64 KiB chunks.
    Chunked(usize),
    /// This status with the request echoed back: a JSON body `{ method, target, query, headers,
    /// body }` (headers as a lower-case name → value map) and the request's `Authorization` in
    /// an `X-Echo-Authorization` response header — what a careless API does with a credential.
    Echo(u16),
    /// Reads the request, says nothing for this long, then answers 200 `{}`: a server too slow
    /// for the request timeout or the run's deadline.
    Stall(Duration),
}

/// Write `reply` to `request` on `stream`; the connection closes after it.
pub(crate) fn respond(
    stream: &mut TcpStream,
    reply: Reply,
    request: &Recorded,
) -> std::io::Result<()> {
    match reply {
        Reply::Json(status, body) => json_reply(stream, status, &body),
        Reply::Stall(pause) => {
            std::thread::sleep(pause);
            json_reply(stream, 200, &json!({}))
        }
        Reply::Echo(status) => echo(stream, status, request),
        Reply::Redirect(status, location) => write!(
            stream,
            "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Endless => endless(stream),
        Reply::Huge(length) => huge(stream, length),
        Reply::Chunked(chunks) => chunked(stream, chunks),
    }?;
    stream.flush()
}

fn json_reply(stream: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    write!(
        stream,
        "HTTP/1.1 {status} Mock\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Answer `request` with itself (see [`Reply::Echo`]).
fn echo(stream: &mut TcpStream, status: u16, request: &Recorded) -> std::io::Result<()> {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), json!(value)))
        .collect();
    let body = json!({
        "method": request.method, "target": request.target, "query": request.query(),
        "headers": headers, "body": request.body,
    })
    .to_string();
    write!(
        stream,
        "HTTP/1.1 {status} Echo\r\nContent-Type: application/json\r\nX-Echo-Authorization: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        request.header("authorization").unwrap_or_default(),
        body.len()
    )
}

fn endless(stream: &mut TcpStream) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
    )?;
    let block = vec![b'x'; BLOCK];
    loop {
        stream.write_all(&block)?;
    }
}

fn huge(stream: &mut TcpStream, length: u64) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )?;
    let block = vec![b'x'; BLOCK];
    let mut sent = 0;
    while sent < length {
        stream.write_all(&block)?;
        sent += block.len() as u64;
    }
    Ok(())
}

fn chunked(stream: &mut TcpStream, chunks: usize) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )?;
    let block = vec![b'x'; BLOCK];
    for _ in 0..chunks {
        write!(stream, "{:x}\r\n", block.len())?;
        stream.write_all(&block)?;
        stream.write_all(b"\r\n")?;
    }
    stream.write_all(b"0\r\n\r\n")
}
