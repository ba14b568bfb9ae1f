//! Packages over GraphQL: export, import (multipart upload) with a dry run, the package policy.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::Read;

use super::context::{principal, state};
use super::errors::GqlResult;
use super::ids::{self, Kind};
use super::mutation::{UserError, split};
use crate::error::{ServiceResult, UserProblem};
use crate::packages::{self as service, FaultInjection, Selection};

/// An export or import, as recorded in the workspace's package history.
pub struct PackageRecord(pub ::service::model::PackageRecord);

/// An export or import, as recorded in the workspace's package history.
#[Object]
impl PackageRecord {
    /// Global id of this record.
    async fn id(&self) -> ID {
        ids::encode(Kind::Package, self.0.id)
    }
    /// `export` or `import`.
    async fn direction(&self) -> &str {
        &self.0.direction
    }
    /// The package's own id (from its manifest).
    async fn package_id(&self) -> &str {
        &self.0.package_id
    }
    /// Hex sha256 of the archive.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// Size of the archive in bytes.
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// `exported`, `planned` (a dry run) or `applied`.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// The manifest.
    async fn manifest(&self) -> Json<Value> {
        Json(self.0.manifest.clone())
    }
    /// The import plan, for imports.
    async fn plan(&self) -> Option<Json<Value>> {
        self.0.plan.clone().map(Json)
    }
    /// Where to download the archive (exports only; send the same bearer token).
    async fn download_path(&self) -> Option<String> {
        (self.0.direction == "export").then(|| format!("/packages/{}/archive", self.0.id))
    }
    /// When.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// What to export.
#[derive(InputObject)]
pub struct ExportPackageInput {
    /// The workspace's slug.
    pub workspace: String,
    /// Recipes to export.
    #[graphql(default)]
    pub recipe_ids: Vec<ID>,
    /// Export every recipe under these folders (`""` for all).
    #[graphql(default)]
    pub folders: Vec<String>,
}

/// The export.
#[derive(SimpleObject)]
pub struct ExportPackagePayload {
    /// The recorded export; download it from `downloadPath`.
    pub package: Option<PackageRecord>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A package to import.
#[derive(InputObject)]
pub struct ImportPackageInput {
    /// The target workspace's slug.
    pub workspace: String,
    /// The archive (a multipart upload).
    pub archive: Upload,
    /// Only plan, change nothing (the default).
    #[graphql(default = true)]
    pub dry_run: bool,
    /// The fingerprint of a dry run: the apply is refused if the target changed since.
    pub fingerprint: Option<String>,
}

/// A summary of an import plan.
#[derive(SimpleObject)]
pub struct ImportPlanSummary {
    /// No conflicts and no missing dependencies.
    pub applicable: bool,
    /// Applying changes nothing.
    pub noop: bool,
    /// Assets to create.
    pub creates: i32,
    /// Assets to update.
    pub updates: i32,
    /// Assets already as in the package.
    pub unchanged: i32,
    /// Assets in conflict.
    pub conflicts: i32,
    /// Connections that will need credentials filled in.
    pub connections_needing_credentials: i32,
    /// Running recipes that will be stopped and restarted.
    pub restarts: i32,
    /// Dependencies neither in the package nor in the target.
    pub missing_dependencies: i32,
    /// The whole plan: per asset the action and its reasons, per connector the version created
    /// and released and the lineage kept, per connection the credentials, the restarts and the
    /// missing dependencies.
    pub detail: Json<Value>,
}

/// The import's plan, and whether it was applied.
#[derive(SimpleObject)]
pub struct ImportPackagePayload {
    /// The plan.
    pub plan: Option<ImportPlanSummary>,
    /// Present this when applying to refuse the apply if the target changed since.
    pub fingerprint: Option<String>,
    /// Whether the package was applied (false for a dry run).
    pub applied: bool,
    /// The recorded import.
    pub package: Option<PackageRecord>,
    /// Problems with the input or the archive (codes in the message, e.g. `[UNSAFE_PATH]`).
    pub user_errors: Vec<UserError>,
}

/// A workspace's rule for imports.
#[derive(InputObject)]
pub struct SetPackagePolicyInput {
    /// The workspace's slug.
    pub workspace: String,
    /// Imports must be signed by one of `trustedKeys`.
    pub require_signed: bool,
    /// Base64 Ed25519 public keys.
    #[graphql(default)]
    pub trusted_keys: Vec<String>,
}

/// The policy after the change.
#[derive(SimpleObject)]
pub struct SetPackagePolicyPayload {
    /// Imports must be signed.
    pub require_signed: Option<bool>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

fn summarize(plan: &packager::Plan) -> ServiceResult<ImportPlanSummary> {
    use packager::{Action, Credentials};
    let actions: Vec<Action> = plan
        .recipes
        .iter()
        .map(|r| r.action)
        .chain(plan.connections.iter().map(|c| c.action))
        .chain(plan.connectors.iter().map(|c| c.action))
        .collect();
    let count = |a: Action| actions.iter().filter(|x| **x == a).count() as i32;
    let detail = serde_json::to_value(plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ImportPlanSummary {
        applicable: plan.is_applicable(),
        noop: plan.is_noop(),
        creates: count(Action::Create),
        updates: count(Action::Update),
        unchanged: count(Action::Unchanged),
        conflicts: count(Action::Conflict),
        connections_needing_credentials: plan
            .connections
            .iter()
            .filter(|c| c.credentials == Credentials::NeedsCredentials)
            .count() as i32,
        restarts: plan.restarts.len() as i32,
        missing_dependencies: plan.missing_dependencies.len() as i32,
        detail: Json(detail),
    })
}

/// Exporting and importing packages.
#[derive(Default)]
pub struct PackageMutationRoot;

#[Object]
impl PackageMutationRoot {
    /// Export recipes with the connectors (at their released versions) and connections they use.
    /// Needs `PACKAGE_EXPORT`, and `CONNECTOR_VIEW_SOURCE` for each connector whose source goes
    /// in; a closed-source connector goes by reference to its catalog version, without source.
    async fn export_package(
        &self,
        ctx: &Context<'_>,
        input: ExportPackageInput,
    ) -> GqlResult<ExportPackagePayload> {
        let mut recipe_ids = Vec::new();
        for id in &input.recipe_ids {
            match ids::decode_as(Kind::Recipe, id) {
                Some(raw) => recipe_ids.push(raw),
                None => {
                    let (_, user_errors) = split::<()>(Err(UserProblem::bad_input(
                        &["input", "recipeIds"],
                        "not a recipe id",
                    )
                    .into()))?;
                    return Ok(ExportPackagePayload {
                        package: None,
                        user_errors,
                    });
                }
            }
        }
        let selection = Selection {
            recipe_ids,
            folders: input.folders,
        };
        let result = service::export(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            selection,
        )
        .await;
        let (record, user_errors) = split(result)?;
        Ok(ExportPackagePayload {
            package: record.map(PackageRecord),
            user_errors,
        })
    }

    /// Plan (dry run, the default) or apply a package in a workspace. Needs `PACKAGE_IMPORT`.
    async fn import_package(
        &self,
        ctx: &Context<'_>,
        input: ImportPackageInput,
    ) -> GqlResult<ImportPackagePayload> {
        let state = state(ctx)?;
        // Who may import is settled before the upload is read.
        let grant =
            service::authorize_import(&state.db, &state.authz, principal(ctx)?, &input.workspace)
                .await?;
        let mut bytes = Vec::new();
        let read = input
            .archive
            .value(ctx)
            .map_err(|e| {
                UserProblem::bad_input(&["input", "archive"], format!("no archive uploaded: {e}"))
            })
            .and_then(|upload| {
                upload
                    .into_read()
                    .take(packager::Limits::default().max_archive_size + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| {
                        UserProblem::bad_input(
                            &["input", "archive"],
                            format!("reading the upload: {e}"),
                        )
                    })
            });
        let result = match read {
            Ok(_) => {
                let fault = FaultInjection {
                    fail_after_assets: state.config.fail_import_after_assets,
                };
                service::import(
                    &state.db,
                    &state.runner,
                    &grant,
                    &bytes,
                    input.dry_run,
                    input.fingerprint.as_deref(),
                    fault,
                )
                .await
            }
            Err(problem) => Err(problem.into()),
        };
        let (outcome, user_errors) = split(result)?;
        Ok(match outcome {
            Some(o) => ImportPackagePayload {
                plan: Some(summarize(&o.plan)?),
                fingerprint: Some(o.fingerprint),
                applied: o.applied,
                package: Some(PackageRecord(o.record)),
                user_errors,
            },
            None => ImportPackagePayload {
                plan: None,
                fingerprint: None,
                applied: false,
                package: None,
                user_errors,
            },
        })
    }

    /// Require signed packages from trusted keys (or stop requiring them). Needs `WORKSPACE_MANAGE_ROLES`.
    async fn set_package_policy(
        &self,
        ctx: &Context<'_>,
        input: SetPackagePolicyInput,
    ) -> GqlResult<SetPackagePolicyPayload> {
        let result = service::set_policy(
            &state(ctx)?.db,
            &state(ctx)?.authz,
            principal(ctx)?,
            &input.workspace,
            input.require_signed,
            input.trusted_keys,
        )
        .await;
        let (ws, user_errors) = split(result)?;
        Ok(SetPackagePolicyPayload {
            require_signed: ws.map(|w| w.require_signed_packages),
            user_errors,
        })
    }
}
