//! Running a connector: its connection test, an action, a trigger's poll or a pick list, inside
//! the sandbox, with an HTTP client the connector cannot escape, returning the output or a typed
//! error together with the logs and a redacted trace of every request.

pub(crate) mod client;
mod error;
mod http;
mod input;
mod redact;
mod report;
mod url;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rhai::{AST, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Map, NativeCallContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use error::RunError;
pub use redact::{MIN_ANYWHERE_CHARS, REDACTED};
pub use report::{ReportLimits, Truncation};

use crate::engine::helpers::{from_json, json_value};
use crate::engine::{HTTP_VERBS, on_sandbox_thread, sandbox};
use crate::parse::{data_too_large, innermost};
use crate::{Capabilities, Limits, Position, parse_with};
use client::{Body, Prepared, Session, thrown};

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
                max_operations: 5_000_000,
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
    /// Lines written with `print`, `debug` or `log`, secrets redacted.
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
        methods: Map::new(),
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
    on_sandbox_thread(|| {
        if crate::js::is_javascript(source) {
            crate::js::execute(source, &connection, invocation, &limits, session)
        } else {
            execute(source, &connection, invocation, &limits, session)
        }
    })
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

/// Runs on the sandbox thread: builds the engine, evaluates the definition, prepares the
/// connection and calls the closure the invocation names.
fn execute(
    source: &str,
    connection: &Value,
    invocation: Invocation,
    limits: &Limits,
    session: &Arc<Mutex<Session>>,
) -> Result<Value, RunError> {
    let mut engine = sandbox(limits);
    register_runtime(&mut engine, session);
    let runner = Runner {
        engine: &engine,
        ast: engine.compile(source).map_err(|error| RunError::Internal {
            message: format!("the source parsed once but not twice: {error}"),
        })?,
        session,
        limits,
    };
    let definition: Map =
        runner
            .eval_definition()?
            .try_cast::<Map>()
            .ok_or_else(|| RunError::Internal {
                message: "the definition is not a map".into(),
            })?;
    let connection_value = from_json(connection.clone());
    runner.prepare(&definition, &connection_value)?;
    lock(session).methods = section(&definition, "methods");

    match invocation {
        Invocation::TestConnection => match closure(&definition, &["test"]) {
            Some(test) => runner.output(runner.call(&test, vec![connection_value])?),
            None => Ok(Value::Null),
        },
        Invocation::Action { name, input } => {
            let execute = closure(&definition, &["actions", &name, "execute"])
                .ok_or_else(|| RunError::UnknownAction { name: name.clone() })?;
            let input = from_json(normalized(&input));
            runner.output(runner.call(&execute, vec![connection_value, input])?)
        }
        Invocation::Trigger {
            name,
            input,
            cursor,
        } => {
            let poll = closure(&definition, &["triggers", &name, "poll"])
                .ok_or_else(|| RunError::UnknownTrigger { name: name.clone() })?;
            let dedup = closure(&definition, &["triggers", &name, "dedup"]);
            let input = from_json(normalized(&input));
            let cursor = cursor.map_or(Dynamic::UNIT, from_json);
            let result = runner.call(&poll, vec![connection_value, input, cursor])?;
            runner.poll_result(result, dedup.as_ref())
        }
        Invocation::PickList { name } => {
            let pick_list = closure(&definition, &["pick_lists", &name])
                .ok_or_else(|| RunError::UnknownPickList { name: name.clone() })?;
            runner.output(runner.call(&pick_list, vec![connection_value])?)
        }
    }
}

struct Runner<'a> {
    engine: &'a Engine,
    ast: AST,
    session: &'a Arc<Mutex<Session>>,
    limits: &'a Limits,
}

impl Runner<'_> {
    fn eval_definition(&self) -> Result<Dynamic, RunError> {
        self.engine
            .eval_ast::<Dynamic>(&self.ast)
            .map_err(|error| self.error(*error))
    }

    fn call(&self, function: &FnPtr, args: Vec<Dynamic>) -> Result<Dynamic, RunError> {
        function
            .call::<Dynamic>(self.engine, &self.ast, args)
            .map_err(|error| self.error(*error))
    }

    /// A closure's value, or a constant given in its place.
    fn value_of(&self, value: &Dynamic, connection: &Dynamic) -> Result<Dynamic, RunError> {
        match value.read_lock::<FnPtr>().map(|f| f.clone()) {
            Some(function) => self.call(&function, vec![connection.clone()]),
            None => Ok(value.clone()),
        }
    }

    /// Works out `base_uri` and the authorization headers once, before the invocation runs.
    fn prepare(&self, definition: &Map, connection: &Dynamic) -> Result<(), RunError> {
        let spec = section(definition, "connection");
        let base_uri = match spec.get("base_uri").filter(|v| !v.is_unit()) {
            Some(value) => {
                let uri = self.value_of(value, connection)?;
                if !uri.is_string() {
                    return Err(RunError::Runtime {
                        message: format!("base_uri returned {}, not a URL string", uri.type_name()),
                        position: None,
                    });
                }
                Some(uri.to_string())
            }
            None => None,
        };
        let authorization = match spec.get("authorization") {
            Some(value) => value
                .read_lock::<Map>()
                .map(|m| m.clone())
                .unwrap_or_default(),
            None => Map::new(),
        };
        let text = |key: &str| -> Result<Option<String>, RunError> {
            match authorization.get(key).filter(|v| !v.is_unit()) {
                Some(value) => {
                    let value = self.value_of(value, connection)?;
                    Ok((!value.is_unit()).then(|| value.to_string()))
                }
                None => Ok(None),
            }
        };
        let mut headers = Vec::new();
        let mut derived_secrets = Vec::new();
        let kind = authorization
            .get("type")
            .map(|t| t.to_string())
            .unwrap_or_default();
        match kind.as_str() {
            "api_key" => {
                let header = text("header")?.unwrap_or_else(|| "Authorization".into());
                if let Some(value) = text("value")? {
                    derived_secrets.extend(credential_parts(&value));
                    headers.push((header, value));
                }
            }
            "basic" => {
                let username = text("username")?.unwrap_or_default();
                let password = text("password")?.unwrap_or_default();
                let encoded = STANDARD.encode(format!("{username}:{password}"));
                if !username.is_empty() && !password.is_empty() {
                    derived_secrets.push(format!("{username}:{password}"));
                }
                derived_secrets.extend([username, password, encoded.clone()]);
                headers.push(("Authorization".into(), format!("Basic {encoded}")));
            }
            "bearer" => {
                if let Some(token) = text("token")? {
                    derived_secrets.push(token.clone());
                    headers.push(("Authorization".into(), format!("Bearer {token}")));
                }
            }
            "custom" => {
                if let Some(value) = authorization.get("headers").filter(|v| !v.is_unit()) {
                    let value = self.value_of(value, connection)?;
                    let Some(map) = value.read_lock::<Map>() else {
                        return Err(RunError::Runtime {
                            message: "authorization.headers must return a map of headers".into(),
                            position: None,
                        });
                    };
                    for (name, value) in map.iter().filter(|(_, v)| !v.is_unit()) {
                        let value = value.to_string();
                        if credential_header(name) || derived_from(&value, connection) {
                            derived_secrets.extend(credential_parts(&value));
                        }
                        headers.push((name.to_string(), value));
                    }
                }
            }
            _ => {}
        }
        let mut session = lock(self.session);
        session.redactor.extend(derived_secrets);
        session.prepared = Some(Prepared {
            base_uri,
            auth_headers: headers,
        });
        Ok(())
    }

    fn output(&self, value: Dynamic) -> Result<Value, RunError> {
        json_value(&value).map_err(|message| RunError::Runtime {
            message: format!("the result cannot be returned: {message}"),
            position: None,
        })
    }

    fn poll_result(&self, result: Dynamic, dedup: Option<&FnPtr>) -> Result<Value, RunError> {
        let shape = || RunError::Runtime {
            message: "poll must return #{ events: [...], next_cursor: ... }".into(),
            position: None,
        };
        let map = result
            .read_lock::<Map>()
            .map(|m| m.clone())
            .ok_or_else(shape)?;
        let events = match map.get("events") {
            None => rhai::Array::new(),
            Some(events) if events.is_unit() => rhai::Array::new(),
            Some(events) => events
                .read_lock::<rhai::Array>()
                .map(|a| a.clone())
                .ok_or_else(shape)?,
        };
        let next_cursor = map.get("next_cursor").cloned().unwrap_or(Dynamic::UNIT);
        let mut seen = HashSet::new();
        let mut kept = Vec::new();
        for event in events {
            if let Some(dedup) = dedup {
                let key = self.call(dedup, vec![event.clone()])?;
                if !seen.insert(key.to_string()) {
                    continue;
                }
            }
            kept.push(self.output(event)?);
        }
        Ok(serde_json::json!({
            "events": kept,
            "next_cursor": self.output(next_cursor)?,
        }))
    }

    /// Turns an engine error into a [`RunError`]; an error a helper recorded as fatal wins.
    fn error(&self, error: EvalAltResult) -> RunError {
        let (mut error, outer_position) = innermost(error);
        let position = match error.take_position() {
            position if position.is_none() => outer_position,
            position => Position::from_rhai(position),
        };
        if let Some(fatal) = lock(self.session).fatal.take() {
            return fatal.at(position);
        }
        let limits = self.limits;
        let limit_exceeded = |message: String| RunError::LimitExceeded { message, position };
        match error {
            EvalAltResult::ErrorTerminated(..) => RunError::Timeout {
                deadline: lock(self.session).config.limits.deadline,
                position,
            },
            EvalAltResult::ErrorTooManyOperations(_) => limit_exceeded(format!(
                "the script ran more than {} operations",
                limits.max_operations
            )),
            EvalAltResult::ErrorStackOverflow(_) => limit_exceeded(format!(
                "function calls nest more than {} deep",
                limits.max_call_depth
            )),
            EvalAltResult::ErrorDataTooLarge(what, _) => {
                limit_exceeded(data_too_large(&what, limits))
            }
            EvalAltResult::ErrorTooManyVariables(_) | EvalAltResult::ErrorTooManyModules(_) => {
                limit_exceeded(error.to_string())
            }
            EvalAltResult::ErrorRuntime(value, _) => thrown_error(&value, position),
            other => RunError::Runtime {
                message: other.to_string(),
                position,
            },
        }
    }
}

/// A value the script threw and nobody caught: a failed request keeps its code.
pub(crate) fn thrown_error(value: &Dynamic, position: Option<Position>) -> RunError {
    if let Some(map) = value.read_lock::<Map>() {
        let text = |key: &str| map.get(key).map(|v| v.to_string()).unwrap_or_default();
        let status = map
            .get("status")
            .and_then(|s| s.as_int().ok())
            .and_then(|s| u16::try_from(s).ok());
        match (text("code").as_str(), status) {
            ("HTTP", Some(status)) => {
                return RunError::Http {
                    status,
                    method: text("method"),
                    url: text("url"),
                    body: text("message"),
                    position,
                };
            }
            ("NETWORK", _) => {
                return RunError::Network {
                    method: text("method"),
                    url: text("url"),
                    message: text("message"),
                    position,
                };
            }
            _ => {}
        }
    }
    RunError::Runtime {
        message: value.to_string(),
        position,
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
pub(crate) fn derived_from(value: &str, connection: &Dynamic) -> bool {
    let Some(map) = connection.read_lock::<Map>() else {
        return false;
    };
    map.values()
        .filter(|v| v.is_string() || v.is_int() || v.is_float())
        .map(|v| v.to_string())
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

/// The map at `key` of the definition, or an empty one.
fn section(definition: &Map, key: &str) -> Map {
    definition
        .get(key)
        .and_then(|value| value.read_lock::<Map>().map(|m| m.clone()))
        .unwrap_or_default()
}

/// The closure at a path of map keys in the definition.
fn closure(definition: &Map, path: &[&str]) -> Option<FnPtr> {
    let (last, init) = path.split_last()?;
    let mut map = definition.clone();
    for key in init {
        map = section(&map, key);
    }
    map.get(*last)?.read_lock::<FnPtr>().map(|f| f.clone())
}

/// Registers the real HTTP helpers, `log`, `print`/`debug` capture and `call_method`.
fn register_runtime(engine: &mut Engine, session: &Arc<Mutex<Session>>) {
    for verb in HTTP_VERBS {
        let method = verb.to_ascii_uppercase();
        // get and delete take query parameters; post, put and patch take a body.
        let with_params = matches!(verb, "get" | "delete");
        let call = {
            let session = Arc::clone(session);
            move |context: &NativeCallContext,
                  url: &str,
                  second: Option<Dynamic>,
                  headers: Option<Dynamic>| {
                let mut session = lock(&session);
                let result = match second {
                    Some(params) if with_params => client::request(
                        &mut session,
                        &method,
                        url,
                        Some(&params),
                        Body::None,
                        headers.as_ref(),
                    ),
                    Some(body) => Body::from_dynamic(&body).and_then(|body| {
                        client::request(&mut session, &method, url, None, body, headers.as_ref())
                    }),
                    None => client::request(&mut session, &method, url, None, Body::None, None),
                };
                // A fatal error ends the run where the helper was called.
                if let Some(fatal) = session.fatal.take() {
                    session.fatal = Some(fatal.at(Position::from_rhai(context.call_position())));
                }
                result
            }
        };
        let call = Arc::new(call);
        let c = Arc::clone(&call);
        engine.register_fn(
            verb,
            move |context: NativeCallContext, url: ImmutableString| c(&context, &url, None, None),
        );
        let c = Arc::clone(&call);
        engine.register_fn(
            verb,
            move |context: NativeCallContext, url: ImmutableString, second: Dynamic| {
                c(&context, &url, Some(second), None)
            },
        );
        let c = call;
        engine.register_fn(
            verb,
            move |context: NativeCallContext,
                  url: ImmutableString,
                  second: Dynamic,
                  headers: Dynamic| { c(&context, &url, Some(second), Some(headers)) },
        );
    }

    let s = Arc::clone(session);
    engine.on_print(move |text| lock(&s).log(text));
    let s = Arc::clone(session);
    engine.on_debug(move |text, _, _| lock(&s).log(text));
    let s = Arc::clone(session);
    engine.register_fn("log", move |value: Dynamic| {
        lock(&s).log(&value.to_string());
    });

    macro_rules! call_method {
        ($($arg:ident),*) => {{
            let s = Arc::clone(session);
            engine.register_fn(
                "call_method",
                move |context: NativeCallContext, name: ImmutableString $(, $arg: Dynamic)*| {
                    let method = lock(&s).methods.get(name.as_str()).and_then(|m| m.read_lock::<FnPtr>().map(|f| f.clone()));
                    match method {
                        Some(method) => method.call_within_context::<Dynamic>(&context, ($($arg,)*)),
                        None => Err(thrown(format!("the connector has no method named `{name}`"))),
                    }
                },
            );
        }};
    }
    call_method!();
    call_method!(a);
    call_method!(a, b);
    call_method!(a, b, c);
    call_method!(a, b, c, d);
    call_method!(a, b, c, d, e);
}
