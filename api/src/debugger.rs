//! The debugger console: run a workspace connector's connection test, an action or one trigger
//! poll, with a stored connection or values given for this run, and return the output or a typed
//! error, the logs and the network trace.
//!
//! Runs happen on blocking threads (never on the async workers), at most a configured number at
//! once, each bounded by the sandbox's deadline — so one tenant's runaway script cannot stall
//! anyone else's requests.

use std::sync::Arc;

use entities::connection;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::audit::{self, AuditEntry, Outcome};
use crate::auth::Principal;
use crate::authz::Permission;
use crate::config::SandboxConfig;
use crate::domain;
use crate::error::{ServiceError, ServiceResult, UserProblem};
use crate::lifecycle;

/// The shared runner: sandbox settings and the bound on concurrent runs.
#[derive(Clone)]
pub struct Runner {
    config: Arc<sdk::RuntimeConfig>,
    slots: Arc<Semaphore>,
}

impl Runner {
    pub fn new(sandbox: &SandboxConfig) -> Self {
        let config = sdk::RuntimeConfig {
            allow_private_networks: sandbox.allow_private_networks,
            host_overrides: sandbox.host_overrides.clone(),
            ..sdk::RuntimeConfig::default()
        };
        let slots = sandbox.max_concurrent_runs.unwrap_or(8).max(1);
        Self {
            config: Arc::new(config),
            slots: Arc::new(Semaphore::new(slots)),
        }
    }

    /// Run on a blocking thread once a slot is free. The fields named in `also_secret` are
    /// redacted like the fields the source declares secret.
    pub async fn run(
        &self,
        source: String,
        connection: Value,
        also_secret: Vec<String>,
        invocation: sdk::Invocation,
    ) -> ServiceResult<sdk::RunReport> {
        let _slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|err| anyhow::anyhow!("runner closed: {err}"))?;
        let config = self.config.clone();
        let report = tokio::task::spawn_blocking(move || {
            sdk::run_with_secrets(&source, &connection, &also_secret, invocation, &config)
        })
        .await
        // Not the error's text: a panic's message could quote the connection's values, and
        // this ends up in the server log.
        .map_err(|err| {
            anyhow::anyhow!(
                "connector run task failed ({})",
                if err.is_panic() {
                    "panicked"
                } else {
                    "cancelled"
                }
            )
        })?;
        Ok(report)
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
/// `connector.test`.
pub async fn run(
    db: &DatabaseConnection,
    runner: &Runner,
    principal: &Principal,
    copy_id: i64,
    number: Option<i32>,
    connection: ConnectionChoice,
    invocation: sdk::Invocation,
) -> ServiceResult<sdk::RunReport> {
    let (access, copy) =
        lifecycle::open_copy(db, principal, copy_id, Some(Permission::ConnectorTest)).await?;
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
