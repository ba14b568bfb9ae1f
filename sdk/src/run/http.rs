//! A minimal HTTP/1.1 client that connects to an address it is given (never resolving names
//! itself), speaks TLS with rustls and the Mozilla root certificates, and stops reading a response
//! the moment it passes the size cap.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::url::{Host, Url};

/// Most bytes of status line and headers accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a Url,
    /// Sent after `Host`, `Connection`, `Content-Length`; names and values already checked.
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a [u8]>,
}

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug)]
pub(crate) enum Failure {
    /// The `deadline` passed.
    TimedOut,
    /// The response is larger than the cap.
    TooLarge,
    Network(String),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Self::TimedOut,
            _ => Self::Network(error.to_string()),
        }
    }
}

pub(crate) struct Limits {
    pub(crate) connect_timeout: Duration,
    /// When the whole exchange must be over.
    pub(crate) deadline: Instant,
    pub(crate) max_response_bytes: usize,
}

/// Sends `request` to one of `addresses` (tried in order) and reads the response.
/// `tls` says whether to speak TLS, whatever the URL's scheme.
pub(crate) fn send(
    request: &Request,
    addresses: &[SocketAddr],
    tls: bool,
    limits: &Limits,
) -> Result<Response, Failure> {
    let stream = connect(addresses, limits)?;
    if tls {
        let name = match &request.url.host {
            Host::Name(name) => rustls::pki_types::ServerName::try_from(name.clone())
                .map_err(|error| Failure::Network(format!("invalid TLS server name: {error}")))?,
            Host::Ip(ip) => rustls::pki_types::ServerName::IpAddress((*ip).into()),
        };
        let connection = rustls::ClientConnection::new(tls_config()?, name)
            .map_err(|error| Failure::Network(format!("TLS: {error}")))?;
        exchange(
            rustls::StreamOwned::new(connection, stream.try_clone()?),
            &stream,
            request,
            limits,
        )
    } else {
        exchange(stream.try_clone()?, &stream, request, limits)
    }
}

fn connect(addresses: &[SocketAddr], limits: &Limits) -> Result<TcpStream, Failure> {
    let mut last = Failure::Network("no address to connect to".into());
    for address in addresses {
        let timeout = remaining(limits.deadline)?.min(limits.connect_timeout);
        match TcpStream::connect_timeout(address, timeout) {
            Ok(stream) => return Ok(stream),
            Err(error) => last = Failure::from(error),
        }
    }
    Err(last)
}

fn remaining(deadline: Instant) -> Result<Duration, Failure> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or(Failure::TimedOut)
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, Failure> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|builder| Arc::new(builder.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(|error| Failure::Network(format!("TLS setup: {error}")))
}

/// A stream that refreshes the socket's timeouts before every read and write, so that no single
/// call can outlive the deadline.
struct Deadlined<S> {
    inner: S,
    socket: TcpStream,
    deadline: Instant,
}

impl<S> Deadlined<S> {
    fn arm(&self) -> io::Result<()> {
        let left = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))?;
        self.socket.set_read_timeout(Some(left))?;
        self.socket.set_write_timeout(Some(left))
    }
}

impl<S: Read> Read for Deadlined<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.read(buf)
    }
}

impl<S: Write> Write for Deadlined<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.arm()?;
        self.inner.flush()
    }
}

fn exchange<S: Read + Write>(
    stream: S,
    socket: &TcpStream,
    request: &Request,
    limits: &Limits,
) -> Result<Response, Failure> {
    let mut stream = Deadlined {
        inner: stream,
        socket: socket.try_clone()?,
        deadline: limits.deadline,
    };
    let body = request.body.unwrap_or_default();
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.url.target);
    for (name, value) in wire_headers(request) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;

    let mut reader = BufReader::new(stream);
    let (status, headers) = loop {
        let (status, headers) = read_head(&mut reader)?;
        // 100 Continue and other interim responses come before the real one.
        if !(100..200).contains(&status) || status == 101 {
            break (status, headers);
        }
    };
    let response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let no_body =
        request.method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status);
    if no_body {
        return Ok(response);
    }
    let cap = limits.max_response_bytes;
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(&mut reader, cap)?
    } else if let Some(length) = response.header("content-length") {
        let length: u64 = length
            .trim()
            .parse()
            .map_err(|_| Failure::Network(format!("invalid Content-Length `{length}`")))?;
        if length > cap as u64 {
            return Err(Failure::TooLarge);
        }
        let mut body = Vec::new();
        (&mut reader).take(length).read_to_end(&mut body)?;
        if (body.len() as u64) < length {
            return Err(Failure::Network("the response ended early".into()));
        }
        body
    } else {
        read_to_close(&mut reader, cap)?
    };
    Ok(Response { body, ..response })
}

fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, Failure> {
    let mut line = Vec::new();
    let read = reader
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if read > *budget {
        return Err(Failure::TooLarge);
    }
    *budget -= read;
    if read == 0 {
        return Err(Failure::Network(
            "the server closed the connection without answering".into(),
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_head(reader: &mut impl BufRead) -> Result<(u16, Vec<(String, String)>), Failure> {
    let mut budget = MAX_HEAD_BYTES;
    let status_line = read_line(reader, &mut budget)?;
    let mut parts = status_line.split_whitespace();
    let status = match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => code.parse::<u16>().ok(),
        _ => None,
    }
    .filter(|code| (100..1000).contains(code))
    .ok_or_else(|| Failure::Network(format!("not an HTTP response: `{status_line}`")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn read_to_close(reader: &mut impl Read, cap: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    match reader.take(cap as u64 + 1).read_to_end(&mut body) {
        Ok(_) => {}
        // A TLS peer that closes without close_notify: the body is what arrived.
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {}
        Err(error) => return Err(error.into()),
    }
    if body.len() > cap {
        return Err(Failure::TooLarge);
    }
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead, cap: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        let mut budget = 4096;
        let line = read_line(reader, &mut budget)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| Failure::Network(format!("invalid chunk size `{size}`")))?;
        if size == 0 {
            // Trailers, then the blank line; a server that just closes is fine too.
            let mut budget = MAX_HEAD_BYTES;
            while let Ok(line) = read_line(reader, &mut budget) {
                if line.is_empty() {
                    break;
                }
            }
            return Ok(body);
        }
        if body.len() as u64 + size > cap as u64 {
            return Err(Failure::TooLarge);
        }
        let before = body.len();
        reader.take(size).read_to_end(&mut body)?;
        if ((body.len() - before) as u64) < size {
            return Err(Failure::Network("the response ended early".into()));
        }
        let mut budget = 2;
        read_line(reader, &mut budget)?;
    }
}

/// Whether a header name is a valid HTTP token.
/// Headers the client writes itself, framing the request on the wire: a connector may not set
/// them (a second `Host` would reach another site on a shared address; a `Content-Length` or
/// `Transfer-Encoding` of its own would frame the body differently from what is sent).
pub(crate) const MANAGED_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "accept-encoding",
    "te",
    "trailer",
    "upgrade",
    "keep-alive",
    "proxy-connection",
];

/// Every header of `request` in the order it goes on the wire: the client's own, then the
/// request's. The trace shows exactly these.
pub(crate) fn wire_headers(request: &Request) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Host".to_string(), request.url.authority()),
        ("Connection".to_string(), "close".to_string()),
        ("Accept-Encoding".to_string(), "identity".to_string()),
    ];
    if request.body.is_some() || !matches!(request.method, "GET" | "HEAD" | "DELETE") {
        let length = request.body.map_or(0, <[u8]>::len);
        headers.push(("Content-Length".to_string(), length.to_string()));
    }
    headers.extend(request.headers.iter().cloned());
    headers
}

pub(crate) fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a header value can be sent as is: no line breaks or other control characters.
pub(crate) fn valid_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn chunked(chunks: &[usize]) -> Vec<u8> {
        let mut wire = Vec::new();
        for size in chunks {
            wire.extend(format!("{size:x}\r\n").bytes());
            wire.extend(std::iter::repeat_n(b'x', *size));
            wire.extend(b"\r\n");
        }
        wire.extend(b"0\r\n\r\n");
        wire
    }

    #[test]
    fn a_body_read_to_the_close_may_be_exactly_the_cap() {
        let read =
            |length: usize, cap: usize| read_to_close(&mut Cursor::new(vec![b'x'; length]), cap);
        assert_eq!(read(100, 100).map(|body| body.len()).ok(), Some(100));
        assert!(matches!(read(101, 100), Err(Failure::TooLarge)));
    }

    #[test]
    fn a_chunked_body_may_be_exactly_the_cap() {
        let read =
            |chunks: &[usize], cap: usize| read_chunked(&mut Cursor::new(chunked(chunks)), cap);
        assert_eq!(read(&[60, 40], 100).map(|body| body.len()).ok(), Some(100));
        assert!(matches!(read(&[60, 41], 100), Err(Failure::TooLarge)));
        assert!(matches!(read(&[101], 100), Err(Failure::TooLarge)));
    }

    #[test]
    fn a_chunked_body_that_ends_early_is_a_network_failure() {
        let mut wire = chunked(&[10]);
        wire.truncate(8);
        assert!(matches!(
            read_chunked(&mut Cursor::new(wire), 100),
            Err(Failure::Network(_))
        ));
    }

    #[test]
    fn a_line_may_fill_its_budget_and_no_more() {
        let line = |length: usize, budget: usize| {
            let mut budget = budget;
            let mut text = vec![b'a'; length - 2];
            text.extend(b"\r\n");
            read_line(&mut Cursor::new(text), &mut budget).map(|line| (line.len(), budget))
        };
        assert_eq!(line(10, 10).ok(), Some((8, 0)));
        assert!(matches!(line(11, 10), Err(Failure::TooLarge)));
    }

    #[test]
    fn interim_and_malformed_status_lines() {
        let head = |text: &str| {
            read_head(&mut Cursor::new(text.as_bytes().to_vec()))
                .map(|(status, headers)| (status, headers.len()))
        };
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nA: 1\r\nB : 2 \r\n\r\n").ok(),
            Some((200, 2))
        );
        assert_eq!(head("HTTP/1.0 999\r\n\r\n").ok(), Some((999, 0)));
        assert_eq!(head("HTTP/1.1 100\r\n\r\n").ok(), Some((100, 0)));
        for bad in [
            "HTTP/2 200\r\n\r\n",
            "HTTP/1.1 99\r\n\r\n",
            "HTTP/1.1 1000\r\n\r\n",
            "SMTP 200\r\n\r\n",
        ] {
            assert!(head(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_names_are_tokens_and_values_have_no_control_characters() {
        assert!(valid_header_name("X-Api-Key_1!#$%&'*+.^`|~"));
        for bad in ["", "X Key", "X:Key", "Ключ", "X\"", "X(", "X,"] {
            assert!(!valid_header_name(bad), "{bad}");
        }
        assert!(valid_header_value("a b\tc ~ é"));
        for bad in ["a\r\nb", "a\nb", "a\u{0}b", "a\u{7f}b", "a\u{1f}"] {
            assert!(!valid_header_value(bad), "{bad}");
        }
    }

    #[test]
    fn a_content_length_is_sent_for_a_body_and_for_every_verb_but_get_head_and_delete() {
        let url = Url::parse("http://e.com/").expect("url");
        let length = |method: &str, body: Option<&[u8]>| {
            let request = Request {
                method,
                url: &url,
                headers: &[],
                body,
            };
            wire_headers(&request)
                .into_iter()
                .find(|(name, _)| name == "Content-Length")
                .map(|(_, value)| value)
        };
        assert_eq!(length("GET", None), None);
        assert_eq!(length("HEAD", None), None);
        assert_eq!(length("DELETE", None), None);
        assert_eq!(length("GET", Some(b"abc")), Some("3".into()));
        assert_eq!(length("POST", None), Some("0".into()));
        assert_eq!(length("PUT", Some(b"ab")), Some("2".into()));
    }
}
