//! The process's casbin enforcer, kept current with the policy store.
//!
//! One [`Authorizer`] per server process (in `AppState`) holds a casbin [`Enforcer`] over the
//! whole policy, loaded at start. Every request that touches a workspace first reads that
//! workspace's row of `casbin_policy_versions` (one indexed read; triggers move it in the same
//! transaction as every change to the workspace's `casbin_rule` lines). When it moved past the
//! version the enforcer holds, the workspace's lines are loaded again with a filtered load and
//! swapped into the enforcer under its write lock; a decision takes the read lock, so it sees a
//! workspace's policy either wholly before or wholly after a reload, never half of it.
//!
//! So a role change made through any server is seen by every server on its next request, as when
//! every check read the database.

use std::collections::{BTreeSet, HashMap};

use casbin::{CoreApi, DefaultModel, Enforcer, Filter, MgmtApi, Model, RbacApi};
use entities::casbin_policy_version;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::RwLock;

use super::MODEL;
use super::adapter::{SeaOrmAdapter, load_filtered_into};
use super::permission::Permission;
use super::policy::{domain, subject};
use crate::error::ServiceError;

/// Why a decision could not be made (never "no": that is a decision).
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("reading the policy store: {0}")]
    Database(#[from] DbErr),
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
}

impl From<AuthzError> for ServiceError {
    fn from(err: AuthzError) -> Self {
        match err {
            AuthzError::Database(db) => db.into(),
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// A member's role and what it allows, as the enforcer decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub role: String,
    pub permissions: BTreeSet<Permission>,
}

struct Loaded {
    enforcer: Enforcer,
    /// The version of each domain's policy the enforcer holds; a domain not named here is at
    /// version 0 (as loaded at start, when it had no version row).
    versions: HashMap<String, i64>,
}

/// The enforcer of one process, and what it knows about how current it is.
pub struct Authorizer {
    /// The parsed model, the blank into which a workspace's lines are loaded before the swap.
    model: DefaultModel,
    loaded: RwLock<Loaded>,
}

/// The version of `dom`'s policy in the store (0: never changed since versions were counted).
async fn stored_version(db: &impl ConnectionTrait, dom: &str) -> Result<i64, DbErr> {
    Ok(casbin_policy_version::Entity::find_by_id(dom.to_owned())
        .one(db)
        .await?
        .map_or(0, |row| row.version))
}

/// The filter of one domain's lines: `p` lines carry it in v1, `g` lines in v2.
fn domain_filter(dom: &str) -> Filter<'_> {
    Filter {
        p: vec!["", dom],
        g: vec!["", "", dom],
    }
}

impl Authorizer {
    /// Load the whole policy through the adapter. The versions are read first, so a change that
    /// lands between the two reads makes the enforcer look older than it is (and reload that
    /// workspace once), never newer.
    pub async fn load(db: DatabaseConnection) -> Result<Self, AuthzError> {
        let model = DefaultModel::from_str(MODEL).await?;
        let versions = casbin_policy_version::Entity::find()
            .all(&db)
            .await?
            .into_iter()
            .map(|row| (row.domain, row.version))
            .collect();
        let mut enforcer = Enforcer::new(model.clone(), SeaOrmAdapter::new(db)).await?;
        // `policy` writes the store inside the service's transactions; the enforcer only reads.
        enforcer.enable_auto_save(false);
        Ok(Self {
            model,
            loaded: RwLock::new(Loaded { enforcer, versions }),
        })
    }

    /// `user_id`'s standing in the workspace, from a policy at least as new as the store's as
    /// `db` sees it now; `None` if they hold no role there (or there is no such workspace).
    ///
    /// `db` may be a transaction: inside one that locked the workspace, the answer reflects the
    /// transaction's view (call it before the transaction writes policy lines of its own).
    pub async fn standing(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        workspace_id: i64,
    ) -> Result<Option<Standing>, AuthzError> {
        let dom = domain(workspace_id);
        self.refresh(db, &dom).await?;
        let loaded = self.loaded.read().await;
        decide(&loaded.enforcer, &subject(user_id), &dom)
    }

    /// Bring the workspace's policy up to the version the store holds, if it moved: what a
    /// server does right after committing a policy change of its own, so that the change costs
    /// its own request the reload, not the next one.
    pub async fn catch_up(
        &self,
        db: &impl ConnectionTrait,
        workspace_id: i64,
    ) -> Result<(), AuthzError> {
        self.refresh(db, &domain(workspace_id)).await
    }

    /// Bring `dom`'s policy up to the version the store holds, if it moved.
    async fn refresh(&self, db: &impl ConnectionTrait, dom: &str) -> Result<(), AuthzError> {
        let version = stored_version(db, dom).await?;
        if self.version_held(dom).await >= version {
            return Ok(());
        }
        // Read outside the lock: decisions in other workspaces go on meanwhile.
        let mut fresh = self.model.clone();
        load_filtered_into(db, &mut fresh, &domain_filter(dom)).await?;
        let policies = fresh.get_policy("p", "p");
        let groupings = fresh.get_policy("g", "g");

        let mut loaded = self.loaded.write().await;
        if loaded.versions.get(dom).copied().unwrap_or(0) >= version {
            return Ok(()); // another request swapped in this version (or a newer one) meanwhile
        }
        let enforcer = &mut loaded.enforcer;
        enforcer
            .remove_filtered_named_policy("p", 1, vec![dom.to_owned()])
            .await?;
        enforcer
            .remove_filtered_named_grouping_policy("g", 2, vec![dom.to_owned()])
            .await?;
        if !policies.is_empty() {
            enforcer.add_named_policies("p", policies).await?;
        }
        if !groupings.is_empty() {
            enforcer.add_named_grouping_policies("g", groupings).await?;
        }
        loaded.versions.insert(dom.to_owned(), version);
        Ok(())
    }

    async fn version_held(&self, dom: &str) -> i64 {
        self.loaded
            .read()
            .await
            .versions
            .get(dom)
            .copied()
            .unwrap_or(0)
    }

    /// One decision, `enforce((subject, domain, object, action))`, on the policy as loaded (no
    /// version check): for measuring the enforcer alone.
    pub async fn enforce(
        &self,
        user_id: i64,
        workspace_id: i64,
        permission: Permission,
    ) -> Result<bool, AuthzError> {
        let (object, action) = permission.parts();
        let loaded = self.loaded.read().await;
        Ok(loaded.enforcer.enforce((
            subject(user_id).as_str(),
            domain(workspace_id).as_str(),
            object,
            action,
        ))?)
    }

    /// How many policy and grouping lines the enforcer holds.
    pub async fn lines_held(&self) -> usize {
        let loaded = self.loaded.read().await;
        loaded.enforcer.get_all_policy().len() + loaded.enforcer.get_all_grouping_policy().len()
    }
}

/// A member is whoever holds a role in the domain; what they may do is casbin's answer for each
/// permission.
fn decide(enforcer: &Enforcer, sub: &str, dom: &str) -> Result<Option<Standing>, AuthzError> {
    let mut roles = enforcer.get_roles_for_user(sub, Some(dom));
    roles.sort();
    let Some(role) = roles.into_iter().next() else {
        return Ok(None);
    };
    let mut permissions = BTreeSet::new();
    for permission in Permission::ALL {
        let (object, action) = permission.parts();
        if enforcer.enforce((sub, dom, object, action))? {
            permissions.insert(permission);
        }
    }
    let role = role.strip_prefix("role:").unwrap_or(&role).to_owned();
    Ok(Some(Standing { role, permissions }))
}
