//! The debugger console over GraphQL: test a connection, run an action, poll a trigger.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use serde_json::Value;

use super::context::{principal, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::mutation::{UserError, split};
use crate::debugger::{self, ConnectionChoice};
use crate::error::{ServiceResult, UserProblem};

/// Which connector version to run, and with which connection.
#[derive(InputObject)]
pub struct DebugTargetInput {
    /// The workspace connector.
    pub workspace_connector_id: ID,
    /// The version number; default the latest.
    pub number: Option<i32>,
    /// A stored connection of this workspace connector to use (its secrets included).
    pub connection_id: Option<ID>,
    /// Connection values for this run only (instead of a stored connection).
    pub connection_values: Option<Json<Value>>,
}

/// Run the connection test.
#[derive(InputObject)]
pub struct TestConnectionInput {
    /// What to run.
    pub target: DebugTargetInput,
}

/// Run one action.
#[derive(InputObject)]
pub struct RunActionInput {
    /// What to run.
    pub target: DebugTargetInput,
    /// The action's name.
    pub action: String,
    /// The action's input.
    #[graphql(default_with = "Json(Value::Object(Default::default()))")]
    pub input: Json<Value>,
}

/// Poll a trigger once.
#[derive(InputObject)]
pub struct PollTriggerInput {
    /// What to run.
    pub target: DebugTargetInput,
    /// The trigger's name.
    pub trigger: String,
    /// The trigger's input.
    #[graphql(default_with = "Json(Value::Object(Default::default()))")]
    pub input: Json<Value>,
    /// The cursor returned by the previous poll; absent for the first.
    pub cursor: Option<Json<Value>>,
}

/// Why a run failed.
#[derive(SimpleObject)]
pub struct DebugError {
    /// Stable code, e.g. `TIMEOUT`, `EGRESS_DENIED`, `RUNTIME`, `HTTP`.
    pub code: String,
    /// What happened.
    pub message: String,
    /// Line in the source, when known.
    pub line: Option<i32>,
    /// Column in the source, when known.
    pub column: Option<i32>,
}

/// A header of a traced request or response.
#[derive(SimpleObject)]
pub struct Header {
    /// Header name.
    pub name: String,
    /// Header value (secrets redacted).
    pub value: String,
}

/// One request the connector sent, and its response.
#[derive(SimpleObject)]
pub struct TracedRequest {
    /// HTTP method.
    pub method: String,
    /// URL (secrets redacted).
    pub url: String,
    /// Response status; null when no response arrived (refused or failed).
    pub status: Option<i32>,
    /// Request headers.
    pub request_headers: Vec<Header>,
    /// Request body, truncated.
    pub request_body: Option<String>,
    /// Response headers.
    pub response_headers: Vec<Header>,
    /// Response body, truncated.
    pub response_body: Option<String>,
    /// Why the request failed or was refused.
    pub error: Option<String>,
    /// Time taken, in milliseconds.
    pub duration_ms: f64,
}

/// What was cut from a run's answer to fit the report limits. Every cut text ends in
/// `… [truncated N bytes]`.
#[derive(SimpleObject)]
pub struct DebugTruncation {
    /// The output's size in bytes as compact JSON, when it was over the limit (256 KiB by
    /// default) and `output` is the start of that JSON text, as a string; null when whole.
    pub output_bytes: Option<i32>,
    /// Log lines dropped after the first ones kept (200 by default).
    pub log_lines_dropped: i32,
    /// Log lines cut to the longest kept (2 KiB by default).
    pub log_lines_cut: i32,
    /// Whether a text of the error (message, URL, quoted body, reason) was cut (to 4 KiB by
    /// default).
    pub error_cut: bool,
    /// URLs, bodies, errors and header lists cut in the trace (8 KiB each by default).
    pub trace_texts_cut: i32,
}

/// What a run produced: the console's Output and Debug tabs. Secret connection values are
/// redacted everywhere in it, output included.
#[derive(SimpleObject)]
pub struct DebugRun {
    /// The run completed.
    pub ok: bool,
    /// The output, when it completed.
    pub output: Option<Json<Value>>,
    /// The error, when it did not.
    pub error: Option<DebugError>,
    /// Log lines, secrets redacted.
    pub logs: Vec<String>,
    /// Every request, in order, including refused ones.
    pub trace: Vec<TracedRequest>,
    /// Time taken, in milliseconds.
    pub duration_ms: f64,
    /// Whether anything in this answer was cut to the report limits; `truncation` says what.
    pub truncated: bool,
    /// What was cut to the report limits.
    pub truncation: DebugTruncation,
}

/// The result of a debugger run.
#[derive(SimpleObject)]
pub struct DebugRunPayload {
    /// The run.
    pub run: Option<DebugRun>,
    /// Problems with the input; empty on success (a connector failing is not one: see `run.error`).
    pub user_errors: Vec<UserError>,
}

fn headers(list: Vec<(String, String)>) -> Vec<Header> {
    list.into_iter()
        .map(|(name, value)| Header { name, value })
        .collect()
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl From<sdk::Truncation> for DebugTruncation {
    fn from(t: sdk::Truncation) -> Self {
        Self {
            output_bytes: t.output_bytes.map(count),
            log_lines_dropped: count(t.log_lines_dropped),
            log_lines_cut: count(t.log_lines_cut),
            error_cut: t.error_cut,
            trace_texts_cut: count(t.trace_texts_cut),
        }
    }
}

impl From<sdk::RunReport> for DebugRun {
    fn from(report: sdk::RunReport) -> Self {
        let (output, error) = match report.outcome {
            Ok(value) => (Some(Json(value)), None),
            Err(err) => {
                let position = err.position();
                (
                    None,
                    Some(DebugError {
                        code: err.code().to_owned(),
                        message: err.to_string(),
                        line: position.and_then(|p| i32::try_from(p.line).ok()),
                        column: position.and_then(|p| i32::try_from(p.column).ok()),
                    }),
                )
            }
        };
        Self {
            ok: error.is_none(),
            output,
            error,
            logs: report.logs,
            trace: report
                .trace
                .into_iter()
                .map(|t| TracedRequest {
                    method: t.method,
                    url: t.url,
                    status: t.status.map(i32::from),
                    request_headers: headers(t.request_headers),
                    request_body: t.request_body,
                    response_headers: headers(t.response_headers),
                    response_body: t.response_body,
                    error: t.error,
                    duration_ms: t.duration.as_secs_f64() * 1000.0,
                })
                .collect(),
            duration_ms: report.duration.as_secs_f64() * 1000.0,
            truncated: report.truncation.any(),
            truncation: report.truncation.into(),
        }
    }
}

fn target(input: DebugTargetInput) -> ServiceResult<(i64, Option<i32>, ConnectionChoice)> {
    let copy = ids::decode_as(Kind::WorkspaceConnector, &input.workspace_connector_id).ok_or_else(
        || {
            UserProblem::bad_input(
                &["input", "target", "workspaceConnectorId"],
                "not a workspace connector id",
            )
        },
    )?;
    let connection = match (input.connection_id, input.connection_values) {
        (Some(_), Some(_)) => {
            return Err(UserProblem::bad_input(
                &["input", "target"],
                "give either connectionId or connectionValues, not both",
            )
            .into());
        }
        (Some(id), None) => {
            ConnectionChoice::Stored(ids::decode_as(Kind::Connection, &id).ok_or_else(|| {
                UserProblem::bad_input(&["input", "target", "connectionId"], "not a connection id")
            })?)
        }
        (None, Some(values)) => ConnectionChoice::Values(values.0),
        (None, None) => ConnectionChoice::None,
    };
    Ok((copy, input.number, connection))
}

async fn run(
    ctx: &Context<'_>,
    input: DebugTargetInput,
    invocation: sdk::Invocation,
) -> GqlResult<DebugRunPayload> {
    let state = state(ctx)?;
    let result = match target(input) {
        Ok((copy, number, connection)) => {
            debugger::run(state, principal(ctx)?, copy, number, connection, invocation).await
        }
        Err(e) => Err(e),
    };
    let (report, user_errors) = split(result)?;
    Ok(DebugRunPayload {
        run: report.map(DebugRun::from),
        user_errors,
    })
}

/// The debugger console. Every run needs `CONNECTOR_TEST` in the connector's workspace.
#[derive(Default)]
pub struct DebuggerMutationRoot;

#[Object]
impl DebuggerMutationRoot {
    /// Run a workspace connector's connection test.
    async fn test_connection(
        &self,
        ctx: &Context<'_>,
        input: TestConnectionInput,
    ) -> GqlResult<DebugRunPayload> {
        run(ctx, input.target, sdk::Invocation::TestConnection).await
    }

    /// Run one action of a workspace connector.
    async fn run_action(
        &self,
        ctx: &Context<'_>,
        input: RunActionInput,
    ) -> GqlResult<DebugRunPayload> {
        let invocation = sdk::Invocation::Action {
            name: input.action,
            input: input.input.0,
        };
        run(ctx, input.target, invocation).await
    }

    /// Poll a trigger of a workspace connector once.
    async fn poll_trigger(
        &self,
        ctx: &Context<'_>,
        input: PollTriggerInput,
    ) -> GqlResult<DebugRunPayload> {
        let invocation = sdk::Invocation::Trigger {
            name: input.trigger,
            input: input.input.0,
            cursor: input.cursor.map(|c| c.0),
        };
        run(ctx, input.target, invocation).await
    }
}
