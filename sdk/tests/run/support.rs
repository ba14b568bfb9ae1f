//! A tiny threaded HTTP/1.1 server on 127.0.0.1 that serves canned replies per route and records
//! every request it receives, plus helpers to read the example connectors and their fixtures.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// What a route answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status and JSON body; `Value::Null` sends an empty body.
    Json(u16, Value),
    /// A redirect to `location`.
    Redirect(u16, String),
    /// 200 with a body that never ends (no length, no chunking), one 64 KiB write after another.
    Endless,
    /// 200 announcing `Content-Length` of this many bytes, then streaming them.
    Huge(u64),
    /// 200 with a chunked body of this many 64 KiB chunks.
    Chunked(usize),
    /// This status with the request echoed back: a JSON body `{ method, target, query, headers,
    /// body }` (headers as a name → value map) and the request's `Authorization` in an
    /// `X-Echo-Authorization` response header — what a careless API does with a credential.
    Echo(u16),
    /// Reads the request, says nothing for this long, then answers 200 `{}`: a server too slow
    /// for the request timeout or the run's deadline.
    Stall(Duration),
    /// What `Echo` becomes once the request is known.
    #[doc(hidden)]
    EchoOf(u16, Recorded),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> &str {
        self.target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
    }
}

/// A route: method, host (`None` for any) and exact path.
type Routes = Vec<(String, Option<String>, String, Reply)>;

pub struct Mock {
    pub addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Mock {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let (r, q) = (Arc::clone(&routes), Arc::clone(&requests));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, q) = (Arc::clone(&r), Arc::clone(&q));
                std::thread::spawn(move || serve(stream, &r, &q));
            }
        });
        Self {
            addr,
            routes,
            requests,
        }
    }

    /// Answers `method path` (on any host) with `reply`; later routes win.
    pub fn route(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.route_on(method, None, path, reply)
    }

    pub fn route_on(&self, method: &str, host: Option<&str>, path: &str, reply: Reply) -> &Self {
        self.routes.lock().expect("routes").insert(
            0,
            (method.into(), host.map(str::to_string), path.into(), reply),
        );
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }

    pub fn clear(&self) {
        self.requests.lock().expect("requests").clear();
    }
}

fn serve(stream: TcpStream, routes: &Mutex<Routes>, requests: &Mutex<Vec<Recorded>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
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
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let recorded = Recorded {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let host = recorded
        .header("host")
        .map(|h| h.split(':').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    let reply = routes
        .lock()
        .expect("routes")
        .iter()
        .find(|(m, h, p, _)| {
            *m == recorded.method && p == recorded.path() && h.as_ref().is_none_or(|h| *h == host)
        })
        .map(|(.., reply)| reply.clone())
        .unwrap_or_else(|| {
            Reply::Json(
                404,
                json!({ "error": format!("no route for {} {}", recorded.method, recorded.path()) }),
            )
        });
    let reply = match reply {
        Reply::Echo(status) => Reply::EchoOf(status, recorded.clone()),
        other => other,
    };
    requests.lock().expect("requests").push(recorded);
    let mut stream = stream;
    let _ = respond(&mut stream, reply);
}

fn respond(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Json(status, body) => {
            let body = if body.is_null() {
                String::new()
            } else {
                body.to_string()
            };
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        Reply::Echo(status) => respond(stream, Reply::Json(status, Value::Null)),
        Reply::Stall(pause) => {
            std::thread::sleep(pause);
            respond(stream, Reply::Json(200, json!({})))
        }
        Reply::EchoOf(status, request) => {
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
        Reply::Redirect(status, location) => write!(
            stream,
            "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Reply::Endless => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
            )?;
            let block = vec![b'x'; 64 * 1024];
            loop {
                stream.write_all(&block)?;
            }
        }
        Reply::Huge(length) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            )?;
            let block = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < length {
                stream.write_all(&block)?;
                sent += block.len() as u64;
            }
            Ok(())
        }
        Reply::Chunked(chunks) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )?;
            let block = vec![b'x'; 64 * 1024];
            for _ in 0..chunks {
                write!(stream, "{:x}\r\n", block.len())?;
                stream.write_all(&block)?;
                stream.write_all(b"\r\n")?;
            }
            stream.write_all(b"0\r\n\r\n")
        }
    }
}

/// A listener that only counts the connections made to it.
pub struct Tripwire {
    pub port: u16,
    hits: Arc<AtomicUsize>,
}

impl Tripwire {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Self { port, hits }
    }

    pub fn hits(&self) -> usize {
        // Let any connection in flight land before counting.
        std::thread::sleep(Duration::from_millis(50));
        self.hits.load(Ordering::SeqCst)
    }
}

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/connectors")
}

/// The newest version's source of the example connector `slug`.
pub fn newest_source(slug: &str) -> String {
    let dir = examples_dir().join(slug).join("versions");
    let newest = std::fs::read_dir(&dir)
        .expect("versions dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "js"))
        .max_by_key(|path| {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            semver::Version::parse(stem).expect("semver file name")
        })
        .expect("a version");
    std::fs::read_to_string(newest).expect("readable")
}

/// The fixture for `slug`: a JSON object with `connection`, `inputs` (action or trigger name →
/// input or array of inputs) and `routes` (`[method, path or URL, body, status?]`).
pub fn fixture(slug: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run")
        .join(format!("{slug}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A configuration that sends every declared host to `mock`.
pub fn config_for(hosts: &[String], mock: &Mock) -> sdk::RuntimeConfig {
    let host_overrides: HashMap<String, SocketAddr> = hosts
        .iter()
        .map(|host| {
            (
                host.split(':').next().unwrap_or_default().to_string(),
                mock.addr,
            )
        })
        .collect();
    sdk::RuntimeConfig {
        allow_private_networks: true,
        host_overrides,
        ..sdk::RuntimeConfig::default()
    }
}
