//! The debugger console: run a workspace connector's connection test, an action or one trigger
//! poll, with a stored connection or values given for this run, and return the output or a typed
//! error, the logs and the network trace.
//!
//! Runs happen in worker processes (`sdk::worker`), one per run, at most a configured number at
//! once, each killed at the sandbox's deadline plus a grace — so one tenant's runaway script
//! cannot stall anyone else's requests, and a crash in the engine is one run's typed error,
//! never the server's. Parsing a submitted source goes through the same workers and bound.

use std::sync::Arc;
use std::time::Duration;

use entities::connection;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::Permission;
use crate::config::SandboxConfig;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::lifecycle;

/// The shared runner: sandbox settings, how to start a worker, and the bound on concurrent
/// workers.
#[derive(Clone)]
pub struct Runner {
    config: Arc<sdk::RuntimeConfig>,
    /// `Err` when this binary's own path is unknown and none was configured: every run then
    /// fails with that message.
    worker: Arc<Result<sdk::worker::Worker, String>>,
    slots: Arc<Semaphore>,
}

impl Runner {
    /// The runner for `sandbox`.
    pub fn new(sandbox: &SandboxConfig) -> Self {
        let defaults = sdk::RuntimeConfig::default();
        let config = sdk::RuntimeConfig {
            allow_private_networks: sandbox.allow_private_networks,
            host_overrides: sandbox.host_overrides.clone(),
            limits: sdk::Limits {
                deadline: sandbox
                    .run_deadline_ms
                    .map_or(defaults.limits.deadline, Duration::from_millis),
                ..defaults.limits.clone()
            },
            ..defaults
        };
        let slots = sandbox.max_concurrent_runs.unwrap_or(8).max(1);
        Self {
            config: Arc::new(config),
            worker: Arc::new(worker(sandbox)),
            slots: Arc::new(Semaphore::new(slots)),
        }
    }

    /// Run in a worker process once a slot is free. The fields named in `also_secret` are
    /// redacted like the fields the source declares secret.
    pub async fn run(
        &self,
        source: String,
        connection: Value,
        also_secret: Vec<String>,
        invocation: sdk::Invocation,
    ) -> ServiceResult<sdk::RunReport> {
        let _slot = self.slot().await?;
        let worker = match self.worker.as_ref() {
            Ok(worker) => worker,
            Err(message) => return Ok(failed_run(message)),
        };
        let config = sdk::RuntimeConfig::clone(&self.config);
        Ok(worker
            .run(source, connection, also_secret, invocation, config)
            .await)
    }

    /// Parse and validate `source` in a worker process once a slot is free.
    pub async fn parse(
        &self,
        source: &str,
    ) -> ServiceResult<Result<sdk::Capabilities, sdk::ParseError>> {
        let _slot = self.slot().await?;
        Ok(match self.worker.as_ref() {
            Ok(worker) => worker.parse(source, &sdk::Limits::default()).await,
            Err(message) => Err(sdk::ParseError::WorkerFailed {
                message: message.clone(),
            }),
        })
    }

    async fn slot(&self) -> ServiceResult<tokio::sync::OwnedSemaphorePermit> {
        Ok(self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|err| anyhow::anyhow!("runner closed: {err}"))?)
    }
}

/// How to start a worker: the configured program as is, or this binary's `worker` subcommand.
fn worker(sandbox: &SandboxConfig) -> Result<sdk::worker::Worker, String> {
    let mut worker = match &sandbox.worker_program {
        Some(program) => sdk::worker::Worker::new(program, []),
        None => {
            let program = std::env::current_exe().map_err(|err| {
                tracing::error!(error = %err, "cannot find this binary to start connector workers");
                "the connector's worker cannot be started".to_owned()
            })?;
            sdk::worker::Worker::new(program, ["worker".into()])
        }
    };
    if let Some(mib) = sandbox.worker_address_space_mib {
        worker.address_space_bytes = mib.saturating_mul(1024 * 1024);
    }
    if let Some(ms) = sandbox.kill_grace_ms {
        worker.grace = Duration::from_millis(ms);
    }
    if let Some(steps) = sandbox.worker_niceness {
        worker.niceness = steps;
    }
    Ok(worker)
}

fn failed_run(message: &str) -> sdk::RunReport {
    sdk::RunReport {
        outcome: Err(sdk::RunError::WorkerFailed {
            message: message.to_owned(),
        }),
        logs: Vec::new(),
        trace: Vec::new(),
        duration: Duration::ZERO,
        truncation: sdk::Truncation::default(),
    }
}

/// Which connection values a run uses.
#[derive(Clone)]
pub enum ConnectionChoice {
    /// A stored connection of the same workspace connector (its secrets included).
    Stored(i64),
    /// Values given for this run only.
    Values(Value),
    /// No connection.
    None,
}

/// Run `invocation` on version `number` (default: the latest) of a workspace connector. Needs
/// `connector.test`. Uses the handle's database, enforcer and runner.
pub async fn run(
    state: &crate::Service,
    principal: &Principal,
    copy_id: i64,
    number: Option<i32>,
    connection: ConnectionChoice,
    invocation: sdk::Invocation,
) -> ServiceResult<sdk::RunReport> {
    let (db, runner) = (&state.db, &state.runner);
    let (access, copy) = lifecycle::open_copy(
        db,
        &state.authz,
        principal,
        copy_id,
        Some(Permission::ConnectorTest),
    )
    .await?;
    let number = number.unwrap_or(copy.latest_number);
    let version = lifecycle::version(db, copy.id, number)
        .await?
        .ok_or_else(|| {
            ServiceError::from(UserProblem::bad_input(
                &["input", "number"],
                format!("there is no version {number}"),
            ))
        })?;
    let mut stored_secrets = Vec::new();
    let values = match connection {
        ConnectionChoice::None => json!({}),
        ConnectionChoice::Values(values) if values.is_object() => values,
        ConnectionChoice::Values(_) => {
            return Err(UserProblem::bad_input(
                &["input", "connectionValues"],
                "must be an object",
            )
            .into());
        }
        ConnectionChoice::Stored(id) => {
            let stored = connection::Entity::find_by_id(id)
                .one(db)
                .await?
                .filter(|c| c.workspace_connector_id == copy.id)
                .ok_or_else(|| ServiceError::NotFound("connection".into()))?;
            let mut values = stored.fields.as_object().cloned().unwrap_or_default();
            let secrets = stored.secrets.as_object().cloned().unwrap_or_default();
            // Stored as secrets, redacted as secrets: even if this version no longer says so.
            stored_secrets = secrets.keys().cloned().collect();
            values.extend(secrets);
            Value::Object(values)
        }
    };
    without_nul(&values, &invocation)?;
    let what = describe(&invocation);
    let report = runner
        .run(version.source, values, stored_secrets, invocation)
        .await?;
    let result = match &report.outcome {
        Ok(_) => "ok".to_owned(),
        Err(err) => err.code().to_owned(),
    };
    audit::record(
        db,
        AuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_id: Some(access.user.id),
            action: &Permission::ConnectorTest.name(),
            object_type: "workspace_connector",
            object_id: copy.id.to_string(),
            outcome: Outcome::Success,
            detail: json!({ "run": what, "number": number, "result": result, "requests": report.trace.len() }),
        },
    )
    .await?;
    Ok(report)
}

/// A run's names and values hold no NUL: they go into the audit entry, which PostgreSQL could
/// not store, and no connector or API means one.
fn without_nul(values: &Value, invocation: &sdk::Invocation) -> Result<(), UserProblem> {
    domain::json_without_nul(&["input", "target", "connectionValues"], values)?;
    let (name, field, input) = match invocation {
        sdk::Invocation::TestConnection => return Ok(()),
        sdk::Invocation::Action { name, input } => (name, "action", Some(input)),
        sdk::Invocation::Trigger {
            name,
            input,
            cursor,
        } => {
            if let Some(cursor) = cursor {
                domain::json_without_nul(&["input", "cursor"], cursor)?;
            }
            (name, "trigger", Some(input))
        }
        sdk::Invocation::PickList { name } => (name, "name", None),
    };
    domain::json_without_nul(&["input", field], &Value::String(name.clone()))?;
    if let Some(input) = input {
        domain::json_without_nul(&["input", "input"], input)?;
    }
    Ok(())
}

fn describe(invocation: &sdk::Invocation) -> String {
    match invocation {
        sdk::Invocation::TestConnection => "test connection".into(),
        sdk::Invocation::Action { name, .. } => format!("action {name}"),
        sdk::Invocation::Trigger { name, .. } => format!("trigger {name}"),
        sdk::Invocation::PickList { name } => format!("pick list {name}"),
    }
}
