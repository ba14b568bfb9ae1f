//! Running a JavaScript connector's connection test, action, trigger poll or pick list. The
//! globals it calls (the HTTP helpers, `print`, `console`) are [`super::helpers`]'s; the
//! session, the redaction and the report are `crate::run`'s.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rquickjs::{Ctx, Function, Object, Value};
use serde_json::json;

use super::helpers::install_run_helpers;
use super::sandbox::{Failure, RequestError, Sandbox};
use super::value::{from_json, to_json};
use crate::run::client::{Prepared, Session};
use crate::run::{
    Invocation, RunError, credential_header, credential_parts, derived_from, lock, normalized,
};
use crate::{Limits, Position};

/// Runs `invocation` of the JavaScript connector in `source`, on the sandbox thread.
pub(crate) fn execute(
    source: &str,
    connection: &serde_json::Value,
    invocation: Invocation,
    limits: &Limits,
    session: &Arc<Mutex<Session>>,
) -> Result<serde_json::Value, RunError> {
    let abort = Arc::new(AtomicBool::new(false));
    let sandbox = Sandbox::new(Instant::now() + limits.deadline, Arc::clone(&abort))
        .map_err(|failure| run_error(failure, session))?;
    sandbox.context.with(|ctx| {
        install_run_helpers(&ctx, session, &abort).map_err(|error| RunError::Internal {
            message: format!("could not add the helpers: {error}"),
        })?;
        sandbox
            .lock_globals(&ctx)
            .map_err(|failure| run_error(failure, session))?;
        let runner = Runner {
            sandbox: &sandbox,
            ctx: ctx.clone(),
            session,
        };
        let result = runner.invoke(source, connection, invocation);
        // A refusal ends the run even when the script caught the helper's error and went on.
        if let Some(fatal) = lock(session).fatal.take() {
            return Err(fatal);
        }
        result
    })
}

/// Header names and values, in the order they are sent.
type Headers = Vec<(String, String)>;

struct Runner<'a, 'js> {
    sandbox: &'a Sandbox,
    ctx: Ctx<'js>,
    session: &'a Arc<Mutex<Session>>,
}

impl<'js> Runner<'_, 'js> {
    fn invoke(
        &self,
        source: &str,
        connection: &serde_json::Value,
        invocation: Invocation,
    ) -> Result<serde_json::Value, RunError> {
        let definition = self
            .sandbox
            .evaluate(&self.ctx, source)
            .map_err(|f| self.fail(f))?;
        let definition = definition.into_object().ok_or_else(|| RunError::Internal {
            message: "the definition is not an object".into(),
        })?;
        let connection_value = self.json_in(connection)?;
        self.prepare(&definition, &connection_value, connection)?;
        match invocation {
            Invocation::TestConnection => match self.function(&definition, &["test"])? {
                Some(test) => self.output(self.call(&test, vec![connection_value])?),
                None => Ok(serde_json::Value::Null),
            },
            Invocation::Action { name, input } => {
                let execute = self
                    .function(&definition, &["actions", &name, "execute"])?
                    .ok_or_else(|| RunError::UnknownAction { name: name.clone() })?;
                let input = self.json_in(&normalized(&input))?;
                self.output(self.call(&execute, vec![connection_value, input])?)
            }
            Invocation::Trigger {
                name,
                input,
                cursor,
            } => {
                let poll = self
                    .function(&definition, &["triggers", &name, "poll"])?
                    .ok_or_else(|| RunError::UnknownTrigger { name: name.clone() })?;
                let dedup = self.function(&definition, &["triggers", &name, "dedup"])?;
                let input = self.json_in(&normalized(&input))?;
                let cursor = match cursor {
                    Some(cursor) => self.json_in(&cursor)?,
                    None => Value::new_undefined(self.ctx.clone()),
                };
                let result = self.call(&poll, vec![connection_value, input, cursor])?;
                self.poll_result(result, dedup.as_ref())
            }
            Invocation::PickList { name } => {
                let pick_list = self
                    .function(&definition, &["pick_lists", &name])?
                    .ok_or_else(|| RunError::UnknownPickList { name: name.clone() })?;
                self.output(self.call(&pick_list, vec![connection_value])?)
            }
        }
    }

    fn fail(&self, failure: Failure) -> RunError {
        run_error(failure, self.session)
    }

    fn call(
        &self,
        function: &Function<'js>,
        args: Vec<Value<'js>>,
    ) -> Result<Value<'js>, RunError> {
        self.sandbox
            .call(&self.ctx, function, args)
            .map_err(|failure| self.fail(failure))
    }

    fn json_in(&self, json: &serde_json::Value) -> Result<Value<'js>, RunError> {
        from_json(&self.ctx, json)
            .map_err(|error| self.fail(self.sandbox.failure(&self.ctx, error)))
    }

    fn output(&self, value: Value<'js>) -> Result<serde_json::Value, RunError> {
        to_json(&self.ctx, value).map_err(|error| match self.sandbox.failure(&self.ctx, error) {
            Failure::Thrown { message, .. } => RunError::Runtime {
                message: format!("the result cannot be returned as JSON: {message}"),
                position: None,
            },
            other => self.fail(other),
        })
    }

    /// The value at a path of keys, `undefined` when any step is missing.
    fn at(&self, object: &Object<'js>, path: &[&str]) -> Result<Value<'js>, RunError> {
        let mut value = object.clone().into_value();
        for key in path {
            let Some(object) = value.as_object() else {
                return Ok(Value::new_undefined(self.ctx.clone()));
            };
            value = object
                .get::<_, Value>(*key)
                .map_err(|error| self.fail(self.sandbox.failure(&self.ctx, error)))?;
        }
        Ok(value)
    }

    fn function(
        &self,
        object: &Object<'js>,
        path: &[&str],
    ) -> Result<Option<Function<'js>>, RunError> {
        Ok(self.at(object, path)?.into_function())
    }

    /// A function's value for the connection, or a constant given in its place; `None` for
    /// `undefined` and `null`.
    fn value_of(
        &self,
        value: Value<'js>,
        connection: &Value<'js>,
    ) -> Result<Option<Value<'js>>, RunError> {
        let value = match value.as_function() {
            Some(function) => self.call(function, vec![connection.clone()])?,
            None => value,
        };
        Ok((!value.is_undefined() && !value.is_null()).then_some(value))
    }

    /// A value as header text: strings as they are, anything else as its JSON text.
    fn text(&self, value: &Value<'js>) -> Result<String, RunError> {
        if let Some(text) = value.as_string() {
            return text
                .to_string()
                .map_err(|e| self.fail(self.sandbox.failure(&self.ctx, e)));
        }
        Ok(match self.output(value.clone())? {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        })
    }

    /// Works out `base_uri` and the authorization headers once, before the invocation runs.
    fn prepare(
        &self,
        definition: &Object<'js>,
        connection: &Value<'js>,
        connection_json: &serde_json::Value,
    ) -> Result<(), RunError> {
        let base_uri = self.base_uri(definition, connection)?;
        let (headers, derived_secrets) =
            self.authorization(definition, connection, connection_json)?;
        let mut session = lock(self.session);
        session.redactor.extend(derived_secrets);
        session.prepared = Some(Prepared {
            base_uri,
            auth_headers: headers,
        });
        Ok(())
    }

    /// `connection.base_uri`: a string, or a function of the connection returning one.
    fn base_uri(
        &self,
        definition: &Object<'js>,
        connection: &Value<'js>,
    ) -> Result<Option<String>, RunError> {
        match self.value_of(
            self.at(definition, &["connection", "base_uri"])?,
            connection,
        )? {
            Some(uri) if uri.is_string() => Ok(Some(self.text(&uri)?)),
            Some(other) => Err(RunError::Runtime {
                message: format!("base_uri returned {}, not a URL string", other.type_name()),
                position: None,
            }),
            None => Ok(None),
        }
    }

    /// The headers `connection.authorization` adds to every request, and the secrets derived
    /// from the connection that the report must redact.
    fn authorization(
        &self,
        definition: &Object<'js>,
        connection: &Value<'js>,
        connection_json: &serde_json::Value,
    ) -> Result<(Headers, Vec<String>), RunError> {
        let authorization = self.at(definition, &["connection", "authorization"])?;
        let text = |key: &str| -> Result<Option<String>, RunError> {
            match self.value_of(
                self.at(definition, &["connection", "authorization", key])?,
                connection,
            )? {
                Some(value) => self.text(&value).map(Some),
                None => Ok(None),
            }
        };
        let kind = match authorization.as_object() {
            Some(object) => object
                .get::<_, Option<String>>("type")
                .ok()
                .flatten()
                .unwrap_or_default(),
            None => String::new(),
        };
        let mut headers = Vec::new();
        let mut derived_secrets = Vec::new();
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
                let value = self.at(definition, &["connection", "authorization", "headers"])?;
                if let Some(value) = self.value_of(value, connection)? {
                    return self.custom_headers(&value, connection_json);
                }
            }
            _ => {}
        }
        Ok((headers, derived_secrets))
    }

    /// A `custom` authorization's `headers` object, and the secrets among its values: those of
    /// a credential-like header and those derived from the connection.
    fn custom_headers(
        &self,
        value: &Value<'js>,
        connection_json: &serde_json::Value,
    ) -> Result<(Headers, Vec<String>), RunError> {
        let Some(map) = value.as_object().filter(|_| !value.is_array()) else {
            return Err(RunError::Runtime {
                message: "authorization.headers must return an object of headers".into(),
                position: None,
            });
        };
        let mut headers = Vec::new();
        let mut derived_secrets = Vec::new();
        for entry in map.props::<String, Value>() {
            let (name, value) = entry.map_err(|e| self.fail(self.sandbox.failure(&self.ctx, e)))?;
            if value.is_undefined() || value.is_null() {
                continue;
            }
            let value = self.text(&value)?;
            if credential_header(&name) || derived_from(&value, connection_json) {
                derived_secrets.extend(credential_parts(&value));
            }
            headers.push((name, value));
        }
        Ok((headers, derived_secrets))
    }

    /// `poll` returns `{ events, cursor }`; the run's output is `{ events, next_cursor }`, with
    /// events whose `dedup` key was already seen dropped.
    fn poll_result(
        &self,
        result: Value<'js>,
        dedup: Option<&Function<'js>>,
    ) -> Result<serde_json::Value, RunError> {
        let shape = |found: String| RunError::Runtime {
            message: format!("poll must return {{ events: [...], cursor }}, not {found}"),
            position: None,
        };
        let Some(object) = result.as_object().filter(|_| !result.is_array()) else {
            return Err(shape(result.type_name().to_string()));
        };
        for key in object.keys::<String>() {
            let key = key.map_err(|e| self.fail(self.sandbox.failure(&self.ctx, e)))?;
            if key != "events" && key != "cursor" {
                return Err(shape(format!("an object with a `{key}` key")));
            }
        }
        let events = self.at(object, &["events"])?;
        let events = if events.is_undefined() || events.is_null() {
            Vec::new()
        } else {
            let Some(array) = events.as_array() else {
                return Err(shape(format!("events of type {}", events.type_name())));
            };
            array
                .iter::<Value>()
                .collect::<rquickjs::Result<Vec<_>>>()
                .map_err(|e| self.fail(self.sandbox.failure(&self.ctx, e)))?
        };
        let mut seen = HashSet::new();
        let mut kept = Vec::new();
        for event in events {
            if let Some(dedup) = dedup {
                let key = self.call(dedup, vec![event.clone()])?;
                if !seen.insert(self.text(&key)?) {
                    continue;
                }
            }
            kept.push(self.output(event)?);
        }
        let cursor = self.output(self.at(object, &["cursor"])?)?;
        Ok(json!({ "events": kept, "next_cursor": cursor }))
    }
}

/// A sandbox failure as the run's error; a refusal a helper recorded wins.
fn run_error(failure: Failure, session: &Mutex<Session>) -> RunError {
    let mut session = lock(session);
    if let Some(fatal) = session.fatal.take() {
        return fatal;
    }
    if let Failure::Thrown {
        position,
        request: Some(request),
        ..
    } = &failure
        && let Some(error) = failed_request(request, *position)
    {
        return error;
    }
    match failure {
        Failure::Timeout { position } => RunError::Timeout {
            deadline: session.config.limits.deadline,
            position,
        },
        Failure::Limit { message, position } => RunError::LimitExceeded { message, position },
        Failure::Syntax { message, position } => RunError::Runtime {
            message: format!("syntax error: {message}"),
            position,
        },
        Failure::Forbidden { feature, position } => RunError::Runtime {
            message: format!("`{feature}` is not available to connectors"),
            position,
        },
        Failure::Thrown {
            message, position, ..
        } => {
            // A thrown object or array comes as its JSON text: its strings are redacted before
            // that text is, or a secret JSON-escaped in one of them would be escaped twice, a
            // spelling the text's redaction misses.
            let message = match serde_json::from_str::<serde_json::Value>(&message) {
                Ok(value @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    session.redactor.value(value).to_string()
                }
                _ => message,
            };
            RunError::Runtime { message, position }
        }
        Failure::Aborted => RunError::Internal {
            message: "the run was stopped without a reason".into(),
        },
        Failure::Internal(message) => RunError::Internal { message },
    }
}

/// A failed request the script threw on and nobody caught, as the run's error: it keeps its
/// code. `None` for an error whose `code` is not one of the helpers'.
fn failed_request(request: &RequestError, position: Option<Position>) -> Option<RunError> {
    let status = request.status.and_then(|status| u16::try_from(status).ok());
    match (request.code.as_str(), status) {
        ("HTTP", Some(status)) => Some(RunError::Http {
            status,
            method: request.method.clone(),
            url: request.url.clone(),
            body: request.message.clone(),
            position,
        }),
        ("NETWORK", _) => Some(RunError::Network {
            method: request.method.clone(),
            url: request.url.clone(),
            message: request.message.clone(),
            position,
        }),
        _ => None,
    }
}
