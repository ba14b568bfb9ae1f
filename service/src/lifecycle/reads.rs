//! What a workspace's connector pages read: a copy by id, whether a newer community version is
//! out, and what an update to it would change.

use entities::workspace_connector;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{plan_update, source_shown};
use crate::Service;
use crate::authz::WorkspaceAccess;
use crate::catalog::listings::newest_installable;
use crate::catalog::reads::{stored_capabilities, versions_of};
use crate::error::ServiceResult;
use crate::model::{ListingVersion, WorkspaceCopy};
use sdk::diff::{self, CapabilityDiff};

/// A copy of the workspace `access` is for, by id; `None` for another workspace's.
pub async fn copy_in(
    svc: &Service,
    access: &WorkspaceAccess,
    id: i64,
) -> ServiceResult<Option<WorkspaceCopy>> {
    Ok(workspace_connector::Entity::find_by_id(id)
        .filter(workspace_connector::Column::WorkspaceId.eq(access.workspace.id))
        .one(&svc.db)
        .await?)
}

/// The newest installable community version newer (by semver) than the copy's parent, if any.
pub async fn update_available(
    svc: &Service,
    copy: &WorkspaceCopy,
) -> ServiceResult<Option<ListingVersion>> {
    let (Some(listing_id), Some(parent_id)) = (copy.connector_id, copy.parent_version_id) else {
        return Ok(None);
    };
    let versions = versions_of(svc, listing_id).await?;
    let parent = versions
        .iter()
        .find(|v| v.id == parent_id)
        .and_then(|v| semver::Version::parse(&v.version).ok());
    Ok(newest_installable(&versions)
        .filter(
            |newest| match (&parent, semver::Version::parse(&newest.version)) {
                (Some(parent), Ok(newest)) => newest > *parent,
                _ => false,
            },
        )
        .cloned())
}

/// What updating a copy to a community version would change.
#[derive(Debug, Clone)]
pub struct UpdatePreview {
    /// The workspace version the diff starts from (the latest).
    pub from_number: i32,
    /// The community version the update would bring.
    pub to_version: ListingVersion,
    /// The latest workspace version differs from the community version it was based on.
    pub has_local_edits: bool,
    /// Unified diff of the source; `None` for callers who may not read the source.
    pub source_diff: Option<String>,
    pub lines_added: usize,
    pub lines_removed: usize,
    pub capability_diff: CapabilityDiff,
}

/// What updating `copy` to `version` (default: the newest installable) would change. Reads
/// only: the source diff is left out for a caller the source rule would refuse, without an
/// audit entry.
pub async fn update_preview(
    svc: &Service,
    access: &WorkspaceAccess,
    copy: &WorkspaceCopy,
    version: Option<&str>,
) -> ServiceResult<UpdatePreview> {
    let plan = plan_update(&svc.db, copy.clone(), version).await?;
    let source_visible = source_shown(&svc.db, access, copy).await?;
    let latest_caps = stored_capabilities(plan.latest.id, plan.latest.capabilities.clone())?;
    let target_caps = stored_capabilities(plan.target.id, plan.target.capabilities.clone())?;
    let stats = diff::diff_stats(&plan.latest.source, &plan.target.source);
    let source_diff = source_visible.then(|| {
        diff::unified_diff(
            &format!("workspace v{}", plan.latest.number),
            &plan.latest.source,
            &format!("community {}", plan.target.version),
            &plan.target.source,
        )
    });
    Ok(UpdatePreview {
        from_number: plan.latest.number,
        has_local_edits: plan.has_local_edits,
        source_diff,
        lines_added: stats.added,
        lines_removed: stats.removed,
        capability_diff: diff::capability_diff(&latest_caps, &target_caps),
        to_version: plan.target,
    })
}
