//! Update a copy to a new community version, replacing or merging its local edits.

use chrono::Utc;
use entities::{
    connector, connector_version, workspace_connector, workspace_connector_version as wcv,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde_json::json;

use super::install::choose_version;
use super::*;
use crate::auth::Principal;
use crate::authz::{Authorizer, Permission};
use crate::catalog::ledger::InstallKind;
use crate::catalog::listings::validate_source;
use crate::db;
use crate::debugger::Runner;
use crate::error::{ServiceError, ServiceResult, UserProblem};

/// What an update would do: the versions involved and whether the latest has local edits.
pub struct UpdatePlan {
    pub copy: workspace_connector::Model,
    pub latest: wcv::Model,
    pub base: Option<connector_version::Model>,
    pub target: connector_version::Model,
    pub has_local_edits: bool,
}

/// Work out the update of a copy to `version` (by default the newest installable version newer
/// than its parent).
pub async fn plan_update(
    db: &impl ConnectionTrait,
    copy: workspace_connector::Model,
    version: Option<&str>,
) -> ServiceResult<UpdatePlan> {
    let listing_id = copy.connector_id.ok_or_else(|| {
        ServiceError::from(UserProblem::bad_input(
            &["input", "workspaceConnectorId"],
            "this connector was built in the workspace and has no community parent",
        ))
    })?;
    let listing = connector::Entity::find_by_id(listing_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound("connector".into()))?;
    let target = choose_version(db, &listing, version).await?;
    let parent = match copy.parent_version_id {
        Some(id) => connector_version::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    if let Some(parent) = &parent {
        let newer = match (
            semver::Version::parse(&target.version),
            semver::Version::parse(&parent.version),
        ) {
            (Ok(t), Ok(p)) => t > p,
            _ => target.id > parent.id,
        };
        if !newer {
            return Err(UserProblem::bad_input(
                &["input", "version"],
                format!(
                    "the copy already follows {} {}; nothing newer to update to",
                    listing.slug, parent.version
                ),
            )
            .into());
        }
    }
    let latest = version_required(db, &copy).await?;
    let base = match latest.base_version_id {
        Some(id) => connector_version::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let has_local_edits = base.as_ref().is_none_or(|b| b.sha256 != latest.sha256);
    Ok(UpdatePlan {
        copy,
        latest,
        base,
        target,
        has_local_edits,
    })
}

async fn version_required(
    db: &impl ConnectionTrait,
    copy: &workspace_connector::Model,
) -> ServiceResult<wcv::Model> {
    version(db, copy.id, copy.latest_number)
        .await?
        .ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("copy {} has no latest version", copy.id))
        })
}

/// Update a copy to a newer community version: a new latest version, the parent moves, the
/// released version stays. With local edits the caller must choose `REPLACE` or `MERGE`; a merge
/// with conflicts writes nothing and reports them.
pub async fn update(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    runner: &Runner,
    principal: &Principal,
    copy_id: i64,
    version: Option<&str>,
    strategy: Option<UpdateStrategy>,
) -> ServiceResult<Changed> {
    let (access, copy) = open_copy(
        db,
        authorizer,
        principal,
        copy_id,
        Some(Permission::ConnectorEdit),
    )
    .await?;
    let plan = plan_update(db, copy, version).await?;
    let source = updated_source(&plan, strategy)?;
    let capabilities = validate_source(runner, source.clone()).await?;

    let txn = db::begin_write(db).await?;
    let copy = relock(&txn, plan.copy.id).await?;
    if copy.latest_number != plan.copy.latest_number
        || copy.parent_version_id != plan.copy.parent_version_id
    {
        return Err(changed_meanwhile());
    }
    let from_parent = copy.parent_version_id;
    let new = NewWorkspaceVersion {
        source,
        origin: Origin::Updated,
        base_version_id: Some(plan.target.id),
        capabilities: &capabilities,
    };
    let copy = append_version(&txn, &access, copy, new, Some(plan.target.id)).await?;
    if let Some(listing_id) = copy.connector_id {
        let follows = Follows {
            listing_id,
            version_id: plan.target.id,
            from_version_id: from_parent,
        };
        record_on_ledger(&txn, &access, InstallKind::Update, follows, Utc::now()).await?;
    }
    let detail = json!({
        "to": plan.target.version,
        "number": copy.latest_number,
        "strategy": strategy_name(strategy),
    });
    audit_success(&txn, &access, Permission::ConnectorEdit, &copy, detail).await?;
    txn.commit().await?;
    Ok(Changed {
        copy,
        changed: true,
        access,
    })
}

/// The source of the updated version: the new community version's, or with local edits what
/// `strategy` makes of them.
fn updated_source(plan: &UpdatePlan, strategy: Option<UpdateStrategy>) -> ServiceResult<String> {
    match (plan.has_local_edits, strategy) {
        (false, _) | (true, Some(UpdateStrategy::Replace)) => Ok(plan.target.source.clone()),
        (true, None) => Err(UserProblem::bad_input(
            &["input", "strategy"],
            "the latest version has local edits: choose REPLACE (keep them only in history) or MERGE",
        )
        .into()),
        (true, Some(UpdateStrategy::Merge)) => merged_source(plan),
    }
}

/// Three-way merge of the old community version, the local latest and the new one; each
/// conflict is a problem of its own, at its line.
fn merged_source(plan: &UpdatePlan) -> ServiceResult<String> {
    let base = plan
        .base
        .as_ref()
        .map(|b| b.source.as_str())
        .unwrap_or_default();
    sdk::diff::merge(base, &plan.latest.source, &plan.target.source).map_err(|conflicts| {
        let problems = conflicts
            .iter()
            .map(|c| {
                let mut p = UserProblem::conflict(
                    &["input", "strategy"],
                    format!(
                        "merge conflict at line {} of the local version: local and incoming both changed it",
                        c.start_line
                    ),
                );
                p.line = Some(c.start_line);
                p
            })
            .collect();
        ServiceError::User(problems)
    })
}

fn changed_meanwhile() -> ServiceError {
    UserProblem::conflict(
        &["input", "workspaceConnectorId"],
        "the copy changed while the update was prepared; try again",
    )
    .into()
}

fn strategy_name(strategy: Option<UpdateStrategy>) -> &'static str {
    match strategy {
        Some(UpdateStrategy::Merge) => "merge",
        Some(UpdateStrategy::Replace) => "replace",
        None => "none",
    }
}
