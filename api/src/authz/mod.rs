//! Authorization: the one place that decides whether a principal may do something.
//!
//! Two kinds of rule:
//! - **listing ownership** (`listing`): owners publish, yank, edit a listing and manage its owners;
//!   closed-source listings show their code to owners only.
//! - **workspace permissions** (`policy`, `enforce`): casbin's RBAC-with-domains model, the domain
//!   being the workspace. Policies live in the `casbin_rule` table in casbin's layout; see
//!   [`MODEL`] for the model they follow.
//!
//! Why not the `casbin` crate itself: it depends on `rhai` with the features `unchecked`,
//! `no_function`, `no_float` and `only_i32`. Cargo unifies features per crate version in one
//! build, so linking casbin turns those on for the connector SDK's engine too — which removes the
//! operation, depth and size limits the sandbox relies on, and makes closures and floats
//! unparseable. We therefore evaluate the same model and policy format here, in a few lines of
//! Rust and one SQL statement per check, reading the policy store on every request so that a role
//! change takes effect at once on every server process sharing the database.

pub mod enforce;
pub mod listing;
pub mod permission;
pub mod policy;

pub use enforce::{WorkspaceAccess, WorkspaceRef, authorize, authorize_for_object, member_access};
pub use listing::{ListingAction, is_owner, require_owner};
pub use permission::{BuiltinRole, Permission};

/// The casbin model our policies follow (RBAC with domains; no wildcard domains). The matcher
/// compares the request's domain with the policy's domain: a role held in one workspace grants
/// nothing in another.
pub const MODEL: &str = r#"[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
"#;
