//! The mock upstream: a threaded HTTP/1.1 server on 127.0.0.1, port 0, that stands in for the API
//! a connector talks to. It answers each route (method, optional host, exact path) with a
//! [`Reply`], records every request it receives and counts the connections it accepts; a request
//! no route matches gets a 404 with a JSON error, or, from [`Mock::echo`], itself.
//!
//! Point a connector at it with the runtime's `allow_private_networks` and a host override that
//! maps the connector's declared hosts to [`Mock::addr`].

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use crate::reply::{Reply, respond};

/// The largest request body the mock reads; the rest is left unread.
const MAX_BODY: usize = 16 * 1024 * 1024;

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

    /// The `Host` header without its port.
    fn host(&self) -> &str {
        self.header("host")
            .map(|h| h.split(':').next().unwrap_or_default())
            .unwrap_or_default()
    }
}

/// A route: method, host (`None`: any) and exact path, and what it answers.
#[derive(Debug, Clone)]
struct Route {
    method: String,
    host: Option<String>,
    path: String,
    reply: Reply,
}

impl Route {
    fn matches(&self, request: &Recorded) -> bool {
        self.method == request.method
            && self.path == request.path()
            && self.host.as_ref().is_none_or(|h| h == request.host())
    }
}

#[derive(Default)]
struct Shared {
    /// Answer unrouted requests with themselves (see [`Mock::echo`]).
    echo: bool,
    /// Newest first: a later route for the same request wins.
    routes: Mutex<Vec<Route>>,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
}

/// A poisoned lock still holds good data: a test that panicked while holding it is already failing.
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
    /// Listen on 127.0.0.1, port 0; an unrouted request gets 404.
    pub fn start() -> anyhow::Result<Self> {
        Self::listen(Shared::default())
    }

    /// As `start`, answering every request no route matches with the request itself, as a
    /// careless API would: [`Reply::Echo`] with status 200, or 401 for a path starting `/denied`.
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

    /// Answer `method path` on any host with `reply`. A later route for the same method and
    /// path wins.
    pub fn route(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.route_on(method, None, path, reply)
    }

    /// As `route`, for requests whose `Host` header names `host` only (`None`: any host).
    pub fn route_on(&self, method: &str, host: Option<&str>, path: &str, reply: Reply) -> &Self {
        lock(&self.shared.routes).insert(
            0,
            Route {
                method: method.to_owned(),
                host: host.map(str::to_owned),
                path: path.to_owned(),
                reply,
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

fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(request) = read_request(&stream) else {
        return;
    };
    let reply = reply_to(&request, shared);
    lock(&shared.requests).push(request.clone());
    let _ = respond(&mut stream, reply, &request);
}

/// What the mock answers `request` with: its newest matching route, else the echo or a 404.
fn reply_to(request: &Recorded, shared: &Shared) -> Reply {
    let routed = lock(&shared.routes)
        .iter()
        .find(|route| route.matches(request))
        .map(|route| route.reply.clone());
    match routed {
        Some(reply) => reply,
        None if shared.echo && request.path().starts_with("/denied") => Reply::Echo(401),
        None if shared.echo => Reply::Echo(200),
        None => Reply::Json(
            404,
            json!({ "error": format!("no route for {} {}", request.method, request.path()) }),
        ),
    }
}

/// Read one request: the request line, the headers and a body of `Content-Length` bytes.
fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
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
    let mut body = vec![0; length.min(MAX_BODY)];
    let _ = reader.read_exact(&mut body);
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
