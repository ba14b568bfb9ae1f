//! The HTTP helpers' engine room: builds each request, checks where it goes before any
//! connection is made, sends it, follows same-host redirects, and records every attempt in the
//! trace with secrets redacted.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::destination::{Refused, destination};
use super::http::{self, Failure, Request, Response};
use super::redact::{Redactor, percent_encode};
use super::report::{cut_counted, trace_headers};
use super::url::Url;
use super::{RunError, RuntimeConfig, TraceEntry, Truncation};

/// Redirects followed for one request, at most.
const MAX_REDIRECTS: usize = 5;
/// Bytes of a response body quoted in an `HTTP` error.
const ERROR_BODY_BYTES: usize = 512;

/// Everything one run shares between the script's helpers and the caller.
pub(crate) struct Session {
    pub(crate) config: RuntimeConfig,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) redactor: Redactor,
    /// When the whole run must be over.
    pub(crate) deadline: Instant,
    pub(crate) requests: usize,
    pub(crate) trace: Vec<TraceEntry>,
    pub(crate) logs: Vec<String>,
    /// What was cut so far: log lines and trace texts.
    pub(crate) truncation: Truncation,
    /// An error the script must not be able to catch; the helper that hit it ends the run.
    pub(crate) fatal: Option<RunError>,
    /// Set once `base_uri` and the authorization are known; HTTP is refused before.
    pub(crate) prepared: Option<Prepared>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    pub(crate) base_uri: Option<String>,
    pub(crate) auth_headers: Vec<(String, String)>,
}

impl Session {
    /// Keeps a log line, redacted and cut, while there is room for one.
    pub(crate) fn log(&mut self, text: &str) {
        let limits = &self.config.report;
        if self.logs.len() >= limits.max_log_lines {
            self.truncation.log_lines_dropped += 1;
            return;
        }
        let line = cut_counted(
            self.redactor.text(text),
            limits.max_log_line_bytes,
            &mut self.truncation.log_lines_cut,
        );
        self.logs.push(line);
    }

    /// A text for the trace: redacted, and cut to `max_trace_text_bytes`.
    fn trace_text(&mut self, text: &str) -> String {
        cut_counted(
            self.redactor.text(text),
            self.config.report.max_trace_text_bytes,
            &mut self.truncation.trace_texts_cut,
        )
    }

    /// A body for the trace.
    fn trace_body(&mut self, body: &[u8]) -> String {
        self.trace_text(&String::from_utf8_lossy(body))
    }

    /// Headers for the trace.
    fn trace_headers(&mut self, headers: &[(String, String)]) -> Vec<(String, String)> {
        trace_headers(
            &self.redactor,
            headers,
            self.config.report.max_trace_header_bytes,
            &mut self.truncation.trace_texts_cut,
        )
    }

    /// Records `entry` in the trace, its error cut like any other text.
    fn record(&mut self, mut entry: TraceEntry) {
        entry.error = entry.error.map(|error| self.trace_text(&error));
        self.trace.push(entry);
    }
}

/// A request body as the script gave it.
pub(crate) enum Body {
    None,
    Json(String),
    Raw(String),
}

impl Body {
    /// `null` is no body, a string is sent as it is, anything else as its JSON text.
    pub(crate) fn from_value(value: &Value) -> Self {
        match value {
            Value::Null => Self::None,
            Value::String(text) => Self::Raw(text.clone()),
            other => Self::Json(other.to_string()),
        }
    }

    fn content_type(&self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Json(_) => Some("application/json"),
            Self::Raw(_) => Some("application/octet-stream"),
        }
    }

    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::None => None,
            Self::Json(text) | Self::Raw(text) => Some(text.as_bytes()),
        }
    }
}

/// Why an HTTP helper call did not return a response body.
#[derive(Debug)]
pub(crate) enum HelperError {
    /// A mistake in the call (a bad URL, bad headers): an `Error` the script may catch.
    Thrown(String),
    /// A request that failed in a way the script may handle.
    Request(Box<RequestFailure>),
    /// The run ends; [`Session::fatal`] holds why, and the script cannot catch it.
    Fatal,
}

/// What the script catches when a request fails: `code` is `HTTP` (a status of 400 or more) or
/// `NETWORK`; `message` is the start of the response body, or what went wrong.
#[derive(Debug)]
pub(crate) struct RequestFailure {
    pub(crate) code: &'static str,
    pub(crate) status: Option<u16>,
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) message: String,
    /// The parsed response body; `null` when there was none.
    pub(crate) body: Value,
}

type HelperResult = Result<Value, HelperError>;

fn thrown(message: String) -> HelperError {
    HelperError::Thrown(message)
}

/// Ends the run with `error`, which the script cannot catch.
fn fatal(session: &mut Session, error: RunError) -> HelperError {
    session.fatal = Some(error);
    HelperError::Fatal
}

fn catchable(
    code: &'static str,
    status: Option<u16>,
    method: &str,
    url: &str,
    message: String,
    body: Value,
) -> HelperError {
    HelperError::Request(Box::new(RequestFailure {
        code,
        status,
        method: method.to_string(),
        url: url.to_string(),
        message,
        body,
    }))
}

/// Performs one HTTP helper call: `verb(url, params or body, headers)`.
pub(crate) fn request(
    session: &mut Session,
    method: &str,
    url: &str,
    params: Option<&Value>,
    body: Body,
    headers: Option<&Value>,
) -> HelperResult {
    let Some(prepared) = session.prepared.clone() else {
        return Err(thrown(
            "HTTP is not available in base_uri or authorization closures".into(),
        ));
    };
    let url = request_url(session, &prepared, url, params)?;
    let headers = request_headers(session, &prepared, &body, headers)?;
    follow_redirects(session, method.to_string(), url, headers, body)
}

/// The helper's `url` joined to `base_uri`, with `params` as its query, parsed.
fn request_url(
    session: &Session,
    prepared: &Prepared,
    url: &str,
    params: Option<&Value>,
) -> Result<Url, HelperError> {
    let mut url_text = absolute(prepared.base_uri.as_deref(), url)?;
    if let Some(params) = params {
        append_query(&mut url_text, params)?;
    }
    Url::parse(&url_text).map_err(|problem| {
        thrown(format!(
            "invalid URL `{}`: {problem}",
            session.redactor.text(&url_text)
        ))
    })
}

/// The request's headers: the client's defaults, the body's type, the script's, then the
/// authorization's, which win; each checked before anything is sent.
fn request_headers(
    session: &Session,
    prepared: &Prepared,
    body: &Body,
    headers: Option<&Value>,
) -> Result<Vec<(String, String)>, HelperError> {
    let mut all_headers: Vec<(String, String)> = vec![
        ("User-Agent".into(), "Patchbay-Connector/1".into()),
        ("Accept".into(), "application/json".into()),
    ];
    if let Some(content_type) = body.content_type() {
        set_header(&mut all_headers, "Content-Type", content_type);
    }
    match headers {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                if !value.is_null() {
                    set_header(&mut all_headers, name, &text(value));
                }
            }
        }
        Some(_) => return Err(thrown("request headers must be an object".into())),
    }
    for (name, value) in &prepared.auth_headers {
        set_header(&mut all_headers, name, value);
    }
    check_headers(session, &all_headers)?;
    Ok(all_headers)
}

/// Refuses a header the client sets itself, and a name or value that cannot go on the wire.
fn check_headers(session: &Session, headers: &[(String, String)]) -> Result<(), HelperError> {
    for (name, value) in headers {
        if http::MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(thrown(format!(
                "the header `{}` is set by the HTTP client, not by connectors",
                session.redactor.text(name)
            )));
        }
        if !http::valid_header_name(name) || !http::valid_header_value(value) {
            return Err(thrown(format!(
                "the header `{}` has an invalid name or value",
                session.redactor.text(name)
            )));
        }
    }
    Ok(())
}

/// Sends the request, following same-host redirects up to [`MAX_REDIRECTS`] times, and turns
/// the final response into the helper's value or an `HTTP` error.
fn follow_redirects(
    session: &mut Session,
    mut method: String,
    mut url: Url,
    mut headers: Vec<(String, String)>,
    mut body: Body,
) -> HelperResult {
    for hop in 0..=MAX_REDIRECTS {
        let response = attempt(session, &method, &url, &headers, &body)?;
        let location = response.header("location").map(str::to_string);
        let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
        if let (true, Some(location)) = (redirect, location) {
            let next = url.join(&location).map_err(|problem| {
                thrown(format!("invalid redirect to `{location}`: {problem}"))
            })?;
            if response.status == 303 || (response.status <= 302 && method == "POST") {
                method = "GET".into();
                body = Body::None;
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            }
            refuse_redirect(session, &method, &url, &next, hop)?;
            url = next;
            continue;
        }
        return response_value(session, &method, &url, &response);
    }
    Err(thrown("too many redirects".into()))
}

/// Refuses a redirect to another host (the run ends) and one past [`MAX_REDIRECTS`] (a
/// `NETWORK` error the script may catch); either is recorded as a hop never sent.
fn refuse_redirect(
    session: &mut Session,
    method: &str,
    url: &Url,
    next: &Url,
    hop: usize,
) -> Result<(), HelperError> {
    if next.host != url.host {
        let shown = session.redactor.text(&next.to_string());
        let error = RunError::EgressDenied {
            url: shown,
            reason: format!("a redirect from {} to another host", url.host),
            position: None,
        };
        refused_hop(session, method, next, error.to_string());
        return Err(fatal(session, error));
    }
    if hop == MAX_REDIRECTS {
        let message = format!("more than {MAX_REDIRECTS} redirects");
        refused_hop(session, method, next, format!("not followed: {message}"));
        let shown = session.redactor.text(&url.to_string());
        return Err(catchable(
            "NETWORK",
            None,
            method,
            &shown,
            message,
            Value::Null,
        ));
    }
    Ok(())
}

/// The final response's body as the helper returns it, or an `HTTP` error for a status of 400
/// or more, quoting the start of the body.
fn response_value(session: &Session, method: &str, url: &Url, response: &Response) -> HelperResult {
    let value = decode(&response.body);
    if response.status < 400 {
        return Ok(value);
    }
    let shown_url = session.redactor.text(&url.to_string());
    let snippet = cut_counted(
        session
            .redactor
            .text(&String::from_utf8_lossy(&response.body)),
        ERROR_BODY_BYTES,
        &mut 0,
    );
    Err(catchable(
        "HTTP",
        Some(response.status),
        method,
        &shown_url,
        snippet,
        value,
    ))
}

/// A redirect the client did not follow, recorded in the trace as a request never sent: its
/// method and URL, no headers, no status, and why.
fn refused_hop(session: &mut Session, method: &str, url: &Url, reason: String) {
    let entry = TraceEntry {
        method: method.to_string(),
        url: session.trace_text(&url.to_string()),
        status: None,
        request_headers: Vec::new(),
        request_body: None,
        response_headers: Vec::new(),
        response_body: None,
        error: Some(reason),
        duration: Duration::ZERO,
    };
    session.record(entry);
}

/// One request on the wire (or refused before it), recorded in the trace.
fn attempt(
    session: &mut Session,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &Body,
) -> Result<Response, HelperError> {
    let started = Instant::now();
    let shown_url = session.redactor.text(&url.to_string());
    let request = Request {
        method,
        url,
        headers,
        body: body.bytes(),
    };
    let mut entry = TraceEntry {
        method: method.to_string(),
        url: session.trace_text(&url.to_string()),
        status: None,
        request_headers: session.trace_headers(&http::wire_headers(&request)),
        request_body: body.bytes().map(|bytes| session.trace_body(bytes)),
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        duration: Duration::ZERO,
    };
    let refusal = if session.requests >= session.config.max_requests {
        Some(RunError::RequestLimit {
            limit: session.config.max_requests,
            position: None,
        })
    } else if Instant::now() >= session.deadline {
        Some(timeout(session))
    } else {
        None
    };
    if let Some(error) = refusal {
        entry.error = Some(error.to_string());
        session.record(entry);
        return Err(fatal(session, error));
    }
    session.requests += 1;
    let (addresses, tls) = match destination(session, url) {
        Ok(destination) => destination,
        Err(Refused::Denied(reason)) => {
            let error = RunError::EgressDenied {
                url: shown_url,
                reason,
                position: None,
            };
            entry.error = Some(error.to_string());
            session.record(entry);
            return Err(fatal(session, error));
        }
        Err(Refused::Failed(failure)) => {
            return Err(failed(session, entry, failure, started));
        }
    };
    let limits = http::Limits {
        connect_timeout: session.config.connect_timeout,
        deadline: session
            .deadline
            .min(Instant::now() + session.config.request_timeout),
        max_response_bytes: session.config.max_response_bytes,
    };
    match http::send(&request, &addresses, tls, &limits) {
        Ok(response) => {
            entry.status = Some(response.status);
            entry.response_headers = session.trace_headers(&response.headers);
            entry.response_body = Some(session.trace_body(&response.body));
            entry.duration = started.elapsed();
            session.record(entry);
            Ok(response)
        }
        Err(failure) => Err(failed(session, entry, failure, started)),
    }
}

fn failed(
    session: &mut Session,
    mut entry: TraceEntry,
    failure: Failure,
    started: Instant,
) -> HelperError {
    entry.duration = started.elapsed();
    let error = match failure {
        Failure::TimedOut if Instant::now() >= session.deadline => timeout(session),
        Failure::TimedOut => RunError::Network {
            method: entry.method.clone(),
            url: entry.url.clone(),
            message: "timed out".into(),
            position: None,
        },
        Failure::TooLarge => RunError::ResponseTooLarge {
            url: entry.url.clone(),
            limit: session.config.max_response_bytes,
            position: None,
        },
        Failure::Network(message) => RunError::Network {
            method: entry.method.clone(),
            url: entry.url.clone(),
            message: session.redactor.text(&message),
            position: None,
        },
    };
    entry.error = Some(error.to_string());
    session.record(entry);
    match error {
        RunError::Network {
            method,
            url,
            message,
            ..
        } => catchable("NETWORK", None, &method, &url, message, Value::Null),
        other => fatal(session, other),
    }
}

fn timeout(session: &Session) -> RunError {
    RunError::Timeout {
        deadline: session.config.limits.deadline,
        position: None,
    }
}

/// The URL for a helper's `url` argument: absolute URLs as they are, paths joined to `base_uri`.
fn absolute(base_uri: Option<&str>, url: &str) -> Result<String, HelperError> {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(url.trim().to_string());
    }
    if lower.contains("://") {
        return Err(thrown(format!(
            "only http and https URLs are supported, not `{url}`"
        )));
    }
    let Some(base) = base_uri else {
        return Err(thrown(format!(
            "`{url}` is relative but the connector declares no base_uri"
        )));
    };
    let base = base.trim_end_matches('/');
    Ok(if url.starts_with('/') || url.starts_with('?') {
        format!("{base}{url}")
    } else {
        format!("{base}/{url}")
    })
}

/// Appends query parameters from an object: `null` values are left out, arrays repeat the key,
/// objects (and arrays inside arrays) are sent as JSON; keys and values are percent-encoded.
fn append_query(url: &mut String, params: &Value) -> Result<(), HelperError> {
    let map = match params {
        Value::Null => return Ok(()),
        Value::Object(map) => map,
        other => {
            return Err(thrown(format!(
                "query parameters must be an object, not {}",
                json_kind(other)
            )));
        }
    };
    let mut pairs = Vec::new();
    for (key, value) in map {
        let values = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for value in values.into_iter().filter(|value| !value.is_null()) {
            pairs.push(format!(
                "{}={}",
                percent_encode(key),
                percent_encode(&text(value))
            ));
        }
    }
    if !pairs.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&pairs.join("&"));
    }
    Ok(())
}

/// A value as a header or query text: a string as it is, anything else as its JSON text.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A JSON value's kind, in JavaScript's words.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

/// A response body as the script sees it: `null` when empty, parsed JSON, or the text.
fn decode(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice::<Value>(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
