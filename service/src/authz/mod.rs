//! Authorization: the one place that decides whether a principal may do something.
//!
//! Two kinds of rule:
//! - **listing ownership** (`listing`): owners publish, yank, edit a listing and manage its owners;
//!   closed-source listings show their code to owners only.
//! - **workspace permissions** (`enforcer`, `enforce`, `policy`, `adapter`): the `casbin` crate's
//!   RBAC with domains, the domain being the workspace (see [`MODEL`]). Every workspace
//!   permission decision is `enforce((subject, workspace, object, action))` on the process's one
//!   enforcer ([`Authorizer`], in `AppState`).
//!
//! Policies live in the `casbin_rule` table in casbin's layout (`p, role:developer, ws:7,
//! connector, install`; `g, user:42, role:developer, ws:7`). [`policy`] is the one place the
//! service writes them, inside the transaction of the change; [`adapter`] is casbin's `Adapter`
//! over that table (sea-orm 2), through which the enforcer loads the whole policy at start and
//! one workspace's lines (a filtered load) when they changed.
//!
//! Every server process sees a role change on its next request: database triggers move the
//! workspace's row of `casbin_policy_versions` in the same transaction as any change to its
//! lines, and each request reads that row (one indexed read) before deciding; when it moved, the
//! workspace's policy is loaded again and swapped in whole under the enforcer's write lock.
//!
//! Casbin links `rhai` with `only_i32`, `no_function`, `no_float` and `unchecked`. That was why
//! this module once evaluated the model by hand: Cargo unifies features, and the connector SDK
//! ran connectors on Rhai. The SDK runs JavaScript now, so casbin's Rhai is casbin's alone.

pub mod adapter;
pub mod enforce;
pub mod enforcer;
pub mod listing;
pub mod permission;
pub mod policy;
pub mod source;

pub use adapter::SeaOrmAdapter;
pub use enforce::{WorkspaceAccess, WorkspaceRef};
pub use enforcer::{Authorizer, AuthzError, Standing};
pub use listing::{ListingAction, is_owner, require_owner};
pub use permission::{BuiltinRole, Permission};

/// The casbin model our policies follow (RBAC with domains; no wildcard domains). The matcher
/// compares the request's domain with the policy's domain: a role held in one workspace grants
/// nothing in another.
///
/// The conjuncts are ordered cheapest first. casbin evaluates the matcher once per policy line
/// until one allows, so the string comparisons reject the lines of other workspaces before the
/// role lookup `g(…)` runs; the meaning is the same as `g(r.sub, p.sub, r.dom) && r.dom ==
/// p.dom && …` (see BENCHMARKS.md for what the order is worth).
pub const MODEL: &str = r#"[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.dom == p.dom && r.obj == p.obj && r.act == p.act && g(r.sub, p.sub, r.dom)
"#;
