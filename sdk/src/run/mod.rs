//! Running a connector: its connection test, an action, a trigger's poll or a pick list, inside
//! the sandbox, with an HTTP client the connector cannot escape, returning the output or a typed
//! error together with the logs and a redacted trace of every request.

pub(crate) mod client;
mod destination;
mod error;
mod http;
mod input;
mod redact;
mod report;
mod url;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use error::RunError;
pub use redact::{MIN_ANYWHERE_CHARS, REDACTED};
pub use report::{ReportLimits, Truncation};

use crate::limits::on_sandbox_thread;
use crate::{Capabilities, Limits, parse_with};
use client::Session;

/// How a run is limited and where its requests may go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuntimeConfig {
    /// Sandbox limits; `limits.deadline` is the wall-clock budget of the whole run, requests
    /// included (parsing the source counts too).
    pub limits: Limits,
    /// Most HTTP requests one run may make (redirects count).
    pub max_requests: usize,
    /// Largest response body accepted; reading stops as soon as a response passes it.
    pub max_response_bytes: usize,
    pub connect_timeout: Duration,
    /// Longest one request may take, connecting to last byte.
    pub request_timeout: Duration,
    /// Lets requests reach loopback, private, link-local and other non-public addresses. Off in
    /// production; tests turn it on to reach their local mock servers.
    pub allow_private_networks: bool,
    /// How much of the run the report keeps: output, logs, error and trace.
    pub report: ReportLimits,
    /// **Test and debugging facility.** Requests to these host names (which must still be in the
    /// connector's `allowed_hosts`) connect to the given address over plain HTTP instead of
    /// resolving the name, while the URL, the trace and the `Host` header keep the declared
    /// host and scheme. The address is still subject to the private-address check.
    pub host_overrides: HashMap<String, SocketAddr>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            limits: Limits {
                deadline: Duration::from_secs(5),
                ..Limits::default()
            },
            max_requests: 20,
            max_response_bytes: 2 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            allow_private_networks: false,
            report: ReportLimits::default(),
            host_overrides: HashMap::new(),
        }
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Invocation {
    /// The connector's `test` closure; the output is `null` when it has none.
    TestConnection,
    Action {
        name: String,
        input: Value,
    },
    /// One poll; the output is `{ "events": [...], "next_cursor": ... }` with duplicates (by the
    /// trigger's `dedup` key) dropped.
    Trigger {
        name: String,
        input: Value,
        cursor: Option<Value>,
    },
    /// The output is the pick list, `[[label, value], ...]`.
    PickList {
        name: String,
    },
}

/// Everything a run produced: the debugger console's Output and Debug tabs. Every secret of the
/// connection is redacted everywhere in it — output included — and every part is cut to the
/// [`ReportLimits`] of the run's configuration, as `truncation` tells.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub outcome: Result<Value, RunError>,
    /// Lines written with `print` or `console.log` (`info`, `warn`, `error`, `debug`), secrets
    /// redacted.
    pub logs: Vec<String>,
    /// Every request attempted, in order, including refused ones.
    pub trace: Vec<TraceEntry>,
    pub duration: Duration,
    /// What was cut to fit the report's limits.
    pub truncation: Truncation,
}

/// One HTTP request and its response, with secret connection values and the `Authorization`
/// header replaced by [`REDACTED`], and texts cut to the [`ReportLimits`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub method: String,
    pub url: String,
    /// `None` when no response arrived (refused, failed).
    pub status: Option<u16>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub duration: Duration,
}

/// Runs `invocation` of the connector in `source` with the `connection` field values.
///
/// Synchronous; returns within about `config.limits.deadline` whatever the connector does. Call
/// it from a blocking-friendly thread.
pub fn run(
    source: &str,
    connection: &Value,
    invocation: Invocation,
    config: &RuntimeConfig,
) -> RunReport {
    run_with_secrets(source, connection, &[], invocation, config)
}

/// As [`run`], also treating the connection fields named in `also_secret` as secret, whatever
/// the source declares: a stored connection's secrets stay hidden when a later version of the
/// connector no longer marks their field secret.
pub fn run_with_secrets(
    source: &str,
    connection: &Value,
    also_secret: &[String],
    invocation: Invocation,
    config: &RuntimeConfig,
) -> RunReport {
    let started = Instant::now();
    let session = Arc::new(Mutex::new(Session {
        config: config.clone(),
        allowed_hosts: Vec::new(),
        redactor: redact::Redactor::default(),
        deadline: started + config.limits.deadline,
        requests: 0,
        trace: Vec::new(),
        logs: Vec::new(),
        truncation: Truncation::default(),
        fatal: None,
        prepared: None,
    }));
    let outcome = prepare_and_run(
        source,
        connection,
        also_secret,
        invocation,
        config,
        &session,
        started,
    );
    let mut session = lock(&session);
    let mut truncation = std::mem::take(&mut session.truncation);
    let (outcome, logs, trace) = report::finish(
        outcome,
        std::mem::take(&mut session.logs),
        std::mem::take(&mut session.trace),
        &session.redactor,
        &config.report,
        &mut truncation,
    );
    RunReport {
        outcome,
        logs,
        trace,
        duration: started.elapsed(),
        truncation,
    }
}

/// Locks the session; a poisoned lock (a panic mid-run) still holds a usable trace.
pub(crate) fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn prepare_and_run(
    source: &str,
    connection: &Value,
    also_secret: &[String],
    invocation: Invocation,
    config: &RuntimeConfig,
    session: &Arc<Mutex<Session>>,
    started: Instant,
) -> Result<Value, RunError> {
    let capabilities = parse_with(source, &config.limits)?;
    let connection = match connection {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(_) => connection.clone(),
        _ => {
            return Err(RunError::InvalidInput {
                field: String::new(),
                message: "the connection values must be an object".into(),
            });
        }
    };
    {
        let mut session = lock(session);
        session.allowed_hosts = capabilities.allowed_hosts.clone();
        session.redactor = redact::Redactor::new(secrets(&capabilities, &connection, also_secret));
    }
    check_invocation(&capabilities, &invocation)?;
    let limits = Limits {
        deadline: config.limits.deadline.saturating_sub(started.elapsed()),
        ..config.limits.clone()
    };
    on_sandbox_thread(|| crate::js::execute(source, &connection, invocation, &limits, session))
        .unwrap_or_else(|message| Err(RunError::Internal { message }))
}

/// The values of secret connection fields (declared so, or named in `also_secret`), as text.
/// `null` and booleans are no secrets; numbers, arrays and objects count as their JSON text, and
/// each string inside them on its own.
fn secrets(capabilities: &Capabilities, connection: &Value, also_secret: &[String]) -> Vec<String> {
    let declared = capabilities
        .connection
        .fields
        .iter()
        .filter(|field| field.secret)
        .map(|field| field.name.as_str());
    let mut texts = Vec::new();
    for name in declared.chain(also_secret.iter().map(String::as_str)) {
        if let Some(value) = connection.get(name) {
            secret_texts(value, &mut texts);
        }
    }
    texts
}

fn secret_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::String(text) => texts.push(text.clone()),
        Value::Number(number) => texts.push(number.to_string()),
        Value::Array(items) => {
            texts.push(value.to_string());
            for item in items {
                secret_texts(item, texts);
            }
        }
        Value::Object(map) => {
            texts.push(value.to_string());
            for item in map.values() {
                secret_texts(item, texts);
            }
        }
    }
}

fn check_invocation(capabilities: &Capabilities, invocation: &Invocation) -> Result<(), RunError> {
    let find = |operations: &[crate::Operation], name: &str| {
        operations
            .iter()
            .find(|operation| operation.name == name)
            .cloned()
    };
    match invocation {
        Invocation::TestConnection => Ok(()),
        Invocation::Action { name, input } => {
            let action = find(&capabilities.actions, name)
                .ok_or_else(|| RunError::UnknownAction { name: name.clone() })?;
            input::check(&action.input_fields, &normalized(input))
        }
        Invocation::Trigger { name, input, .. } => {
            let trigger = find(&capabilities.triggers, name)
                .ok_or_else(|| RunError::UnknownTrigger { name: name.clone() })?;
            input::check(&trigger.input_fields, &normalized(input))
        }
        Invocation::PickList { name } => {
            if capabilities.pick_lists.contains(name) {
                Ok(())
            } else {
                Err(RunError::UnknownPickList { name: name.clone() })
            }
        }
    }
}

/// `null` input counts as no input.
pub(crate) fn normalized(input: &Value) -> Value {
    match input {
        Value::Null => Value::Object(serde_json::Map::new()),
        other => other.clone(),
    }
}

/// Whether a header's name says it carries a credential.
pub(crate) fn credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "auth",
        "token",
        "key",
        "secret",
        "password",
        "signature",
        "session",
        "cookie",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Whether a value holds one of the connection's values: a header built from the connection
/// (`Token ${connection.token}`) is a credential, a constant (an API version) is not.
pub(crate) fn derived_from(value: &str, connection: &Value) -> bool {
    let Some(map) = connection.as_object() else {
        return false;
    };
    map.values()
        .filter_map(|field| match field {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .any(|field| {
            if field.chars().count() < MIN_ANYWHERE_CHARS {
                !field.is_empty() && value.split(' ').any(|word| word == field)
            } else {
                value.contains(&field)
            }
        })
}

/// The secrets in a header value the authorization sends: the value, and for `Scheme credential`
/// the credential (and for `Basic` the user name and password it encodes).
pub(crate) fn credential_parts(value: &str) -> Vec<String> {
    let mut parts = vec![value.to_string()];
    if let Some((scheme, credential)) = value.trim().split_once(' ') {
        let credential = credential.trim();
        parts.push(credential.to_string());
        let decoded = STANDARD
            .decode(credential)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if scheme.eq_ignore_ascii_case("basic")
            && let Some(decoded) = decoded
            && let Some((user, password)) = decoded.split_once(':')
        {
            parts.extend([user.to_string(), password.to_string(), decoded.clone()]);
        }
    }
    parts
}
