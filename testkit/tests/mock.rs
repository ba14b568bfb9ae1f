//! The mock upstream's own rules: a later route wins, a host-bound route answers its host only,
//! an unrouted request is a 404 (or, from `Mock::echo`, itself), and every request is recorded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::{Value, json};
use testkit::{Mock, Reply, Tripwire};

/// Send one raw HTTP/1.1 request; returns the status and the body.
fn send(addr: SocketAddr, method: &str, target: &str, host: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer t0k\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).expect("JSON body")
}

#[test]
fn a_later_route_for_the_same_request_wins() -> anyhow::Result<()> {
    let mock = Mock::start()?;
    mock.route("GET", "/a", Reply::Json(200, json!({ "first": true })))
        .route("GET", "/a", Reply::Json(201, json!({ "second": true })));
    let (status, body) = send(mock.addr, "GET", "/a?x=1", "api.test", "");
    assert_eq!((status, json_of(&body)), (201, json!({ "second": true })));
    Ok(())
}

#[test]
fn a_host_bound_route_answers_its_host_only() -> anyhow::Result<()> {
    let mock = Mock::start()?;
    mock.route_on("GET", Some("one.test"), "/h", Reply::Json(200, json!(1)));
    assert_eq!(send(mock.addr, "GET", "/h", "one.test:443", "").0, 200);
    let (status, body) = send(mock.addr, "GET", "/h", "two.test", "");
    assert_eq!(status, 404);
    assert_eq!(json_of(&body), json!({ "error": "no route for GET /h" }));
    Ok(())
}

#[test]
fn every_request_is_recorded_until_cleared() -> anyhow::Result<()> {
    let mock = Mock::start()?;
    send(mock.addr, "POST", "/r?q=2", "api.test", r#"{"n":1}"#);
    let seen = mock.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].path(), seen[0].query()), ("/r", "q=2"));
    assert_eq!(seen[0].header("AUTHORIZATION"), Some("Bearer t0k"));
    assert_eq!(seen[0].json(), json!({ "n": 1 }));
    assert_eq!(mock.connections(), 1);
    mock.clear();
    assert!(mock.requests().is_empty());
    Ok(())
}

#[test]
fn an_echo_mock_answers_unrouted_requests_with_themselves() -> anyhow::Result<()> {
    let mock = Mock::echo()?;
    mock.route("GET", "/routed", Reply::Json(200, json!("routed")));
    assert_eq!(
        json_of(&send(mock.addr, "GET", "/routed", "e.test", "").1),
        json!("routed")
    );
    let (status, body) = send(mock.addr, "PUT", "/x?k=v", "e.test", "hi");
    assert_eq!(status, 200);
    let echoed = json_of(&body);
    assert_eq!(echoed["target"], "/x?k=v");
    assert_eq!(echoed["query"], "k=v");
    assert_eq!(echoed["body"], "hi");
    assert_eq!(echoed["headers"]["authorization"], "Bearer t0k");
    assert_eq!(send(mock.addr, "GET", "/denied/1", "e.test", "").0, 401);
    Ok(())
}

#[test]
fn a_tripwire_counts_connections() -> anyhow::Result<()> {
    let trip = Tripwire::start()?;
    assert_eq!(trip.hits(), 0);
    drop(TcpStream::connect(trip.addr)?);
    assert_eq!(trip.hits(), 1);
    Ok(())
}
