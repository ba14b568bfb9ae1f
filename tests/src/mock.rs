//! A tiny threaded HTTP/1.1 server on 127.0.0.1 that stands in for a connector's API: it answers
//! canned JSON per route and records every request it receives; started with `Mock::echo`, it
//! answers requests no route matches with the request itself, as a careless API would. Also a `Tripwire`, a listener
//! that only counts the connections made to it, to prove a refused request connected to nothing.
//!
//! Point a server at it with `config.sandbox.allow_private_networks = true` and
//! `config.sandbox.host_overrides` mapping the connector's declared hosts to `Mock::addr`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query string, without `?`.
    pub fn query(&self) -> &str {
        self.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A route: method, host (`None`: any) and exact path, answered with a status and a JSON body.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    host: Option<String>,
    path: String,
    status: u16,
    body: Value,
}

#[derive(Default)]
struct Shared {
    /// Answer unrouted requests with themselves (see `Mock::echo`).
    echo: bool,
    routes: Mutex<Vec<Route>>,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The mock API server; it runs until the test process ends.
pub struct Mock {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Mock {
    /// Listen on 127.0.0.1, port 0.
    pub fn start() -> anyhow::Result<Self> {
        Self::listen(Shared::default())
    }

    /// As `start`, answering every request no route matches with the request itself:
    /// `{ method, target, headers, body }` as JSON (headers as a lower-case name → value map) and
    /// its `Authorization` in an `X-Echo-Authorization` header; a path starting `/denied` gets
    /// the same with status 401.
    pub fn echo() -> anyhow::Result<Self> {
        Self::listen(Shared {
            echo: true,
            ..Shared::default()
        })
    }

    fn listen(shared: Shared) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(shared);
        let accepted = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                accepted.connections.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&accepted);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Ok(Self { addr, shared })
    }

    /// Answer `method path` on any host with `status` and the JSON `body` (`Null`: empty body).
    /// A later route for the same method and path wins.
    pub fn route(&self, method: &str, path: &str, status: u16, body: Value) -> &Self {
        self.route_on(method, None, path, status, body)
    }

    /// As `route`, for requests whose `Host` header names `host` only.
    pub fn route_on(
        &self,
        method: &str,
        host: Option<&str>,
        path: &str,
        status: u16,
        body: Value,
    ) -> &Self {
        lock(&self.shared.routes).insert(
            0,
            Route {
                method: method.to_owned(),
                host: host.map(str::to_owned),
                path: path.to_owned(),
                status,
                body,
            },
        );
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// How many TCP connections were accepted so far.
    pub fn connections(&self) -> usize {
        // Let a connection in flight land before counting.
        std::thread::sleep(Duration::from_millis(50));
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Forget the requests received so far.
    pub fn clear(&self) {
        lock(&self.shared.requests).clear();
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(16 * 1024 * 1024)];
    let _ = reader.read_exact(&mut body);
    let recorded = Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let host = recorded
        .header("host")
        .map(|h| h.split(':').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let routed = lock(&shared.routes)
        .iter()
        .find(|r| {
            r.method == recorded.method
                && r.path == recorded.path()
                && r.host.as_ref().is_none_or(|h| *h == host)
        })
        .map(|r| (r.status, r.body.clone()));
    if routed.is_none() && shared.echo {
        lock(&shared.requests).push(recorded.clone());
        return echo(stream, &recorded);
    }
    let (status, body) = routed.unwrap_or_else(|| {
        (
            404,
            json!({ "error": format!("no route for {} {}", recorded.method, recorded.path()) }),
        )
    });
    lock(&shared.requests).push(recorded);
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Mock\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// Answer `request` with itself (see `Mock::echo`).
fn echo(mut stream: TcpStream, request: &Recorded) {
    let headers: serde_json::Map<String, Value> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), json!(value)))
        .collect();
    let status = if request.path().starts_with("/denied") {
        401
    } else {
        200
    };
    let reply = json!({ "method": request.method, "target": request.target, "headers": headers,
                        "body": request.body })
    .to_string();
    let authorization = request.header("authorization").unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Echo\r\nContent-Type: application/json\r\nX-Echo-Authorization: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    let _ = stream.flush();
}

/// A listener that only counts the connections made to it.
pub struct Tripwire {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Tripwire {
    /// Listen on 127.0.0.1, port 0.
    pub fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Ok(Self { addr, hits })
    }

    /// Connections made so far.
    pub fn hits(&self) -> usize {
        std::thread::sleep(Duration::from_millis(50));
        self.hits.load(Ordering::SeqCst)
    }
}

/// The directory `examples/` at the repository's root.
pub fn examples_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The source of an example connector's version, `versions/<version>.js`, e.g.
/// `example_source("github-issues", "2.0.0")`.
pub fn example_source(slug: &str, version: &str) -> anyhow::Result<String> {
    let path = examples_dir()
        .join("connectors")
        .join(slug)
        .join("versions")
        .join(format!("{version}.js"));
    std::fs::read_to_string(&path).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}
