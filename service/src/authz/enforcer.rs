//! The process's casbin enforcers, kept current with the policy store.
//!
//! One [`Authorizer`] per server process (in `AppState`) holds a casbin [`Enforcer`] for each
//! workspace (casbin domain) it has served lately, loaded with that workspace's lines only by a
//! filtered load. Why not one enforcer over the whole policy: casbin evaluates its matcher
//! against every policy line it holds, about 2.5 µs a line, so one enforcer's decision grows with
//! the installation (32 lines a workspace: 8.6 ms at 100 workspaces, ~100 ms at 1,000, measured
//! by `bench/examples/authz.rs`); an enforcer per domain decides over one workspace's lines
//! whatever the installation's size. At most [`DOMAINS_HELD`] are kept; the least recently used
//! goes first.
//!
//! Every request that touches a workspace first reads that workspace's row of
//! `casbin_policy_versions` (one indexed read; triggers move it in the same transaction as every
//! change to the workspace's `casbin_rule` lines). When it moved past the version the enforcer
//! was loaded at, a new enforcer is loaded and swapped in whole: a decision uses one enforcer
//! from start to end, so it sees a workspace's policy wholly before or wholly after a change.
//!
//! So a role change made through any server is seen by every server on its next request, as when
//! every check read the database.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use casbin::{CoreApi, DefaultModel, Enforcer, Filter, MgmtApi, NullAdapter, RbacApi};
use entities::casbin_policy_version;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use tokio::sync::RwLock;

use super::MODEL;
use super::adapter::load_filtered_into;
use super::permission::Permission;
use super::policy::{domain, subject};
use crate::error::ServiceError;

/// How many workspaces' enforcers one process keeps loaded.
pub const DOMAINS_HELD: usize = 1024;

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

/// One workspace's enforcer and the version of its policy it was loaded at.
struct Held {
    enforcer: Enforcer,
    version: i64,
    /// When it was last used, on the authorizer's clock: for choosing what to drop.
    used: AtomicU64,
}

/// The enforcers of one process, and what each knows about how current it is.
pub struct Authorizer {
    /// The parsed model, the blank into which a workspace's lines are loaded.
    model: DefaultModel,
    domains: RwLock<HashMap<String, Arc<Held>>>,
    clock: AtomicU64,
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
    /// An authorizer holding no workspace yet: each is loaded when first asked about.
    pub async fn new() -> Result<Self, AuthzError> {
        Ok(Self {
            model: DefaultModel::from_str(MODEL).await?,
            domains: RwLock::new(HashMap::new()),
            clock: AtomicU64::new(0),
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
        if workspace_id < 0 {
            // No such workspace (`enforce` asks about id -1): the version read a held workspace
            // costs, and nobody's standing. A workspace not held yet costs one more read (its
            // lines), on its first request after a start or an eviction only.
            stored_version(db, &dom).await?;
            return Ok(None);
        }
        let held = self.current(db, &dom).await?;
        decide(&held.enforcer, &subject(user_id), &dom)
    }

    /// Bring the workspace's enforcer up to the version the store holds, if it moved: what a
    /// server does right after committing a policy change of its own, so that the change costs
    /// its own request the reload, not the next one.
    pub async fn catch_up(
        &self,
        db: &impl ConnectionTrait,
        workspace_id: i64,
    ) -> Result<(), AuthzError> {
        self.current(db, &domain(workspace_id)).await.map(drop)
    }

    /// `dom`'s enforcer at the version the store holds, loaded (or loaded again) if need be.
    async fn current(&self, db: &impl ConnectionTrait, dom: &str) -> Result<Arc<Held>, AuthzError> {
        let version = stored_version(db, dom).await?;
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        if let Some(held) = self.domains.read().await.get(dom)
            && held.version >= version
        {
            held.used.store(now, Ordering::Relaxed);
            return Ok(Arc::clone(held));
        }
        // Loaded outside the lock: decisions in other workspaces go on meanwhile.
        let mut fresh = self.model.clone();
        load_filtered_into(db, &mut fresh, &domain_filter(dom)).await?;
        let mut enforcer = Enforcer::new_raw(fresh, NullAdapter).await?;
        // `policy` writes the store inside the service's transactions; enforcers only read.
        enforcer.enable_auto_save(false);
        enforcer.build_role_links()?;
        let held = Arc::new(Held {
            enforcer,
            version,
            used: AtomicU64::new(now),
        });

        let mut domains = self.domains.write().await;
        if let Some(existing) = domains.get(dom)
            && existing.version >= version
        {
            return Ok(Arc::clone(existing)); // another request loaded this version meanwhile
        }
        if domains.len() >= DOMAINS_HELD && !domains.contains_key(dom) {
            let oldest = domains
                .iter()
                .min_by_key(|(_, held)| held.used.load(Ordering::Relaxed))
                .map(|(name, _)| name.clone());
            if let Some(oldest) = oldest {
                domains.remove(&oldest);
            }
        }
        domains.insert(dom.to_owned(), Arc::clone(&held));
        Ok(held)
    }

    /// One decision, `enforce((subject, domain, object, action))`, after the version check: for
    /// measuring the enforcer.
    pub async fn enforce(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        workspace_id: i64,
        permission: Permission,
    ) -> Result<bool, AuthzError> {
        let dom = domain(workspace_id);
        let held = self.current(db, &dom).await?;
        let (object, action) = permission.parts();
        Ok(held
            .enforcer
            .enforce((subject(user_id).as_str(), dom.as_str(), object, action))?)
    }

    /// How many workspaces' enforcers are loaded, and how many policy and grouping lines they
    /// hold together.
    pub async fn held(&self) -> (usize, usize) {
        let domains = self.domains.read().await;
        let lines = domains
            .values()
            .map(|held| {
                held.enforcer.get_all_policy().len() + held.enforcer.get_all_grouping_policy().len()
            })
            .sum();
        (domains.len(), lines)
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
