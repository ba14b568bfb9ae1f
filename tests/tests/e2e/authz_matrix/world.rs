//! The arranged world of one backend: its server, the actors' tokens and the ids the cells name;
//! what a cell could have written (a snapshot, and where two snapshots differ); running a cell.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use sea_orm::{ConnectionTrait as _, Statement};
use serde_json::{Value, json};
use tests::TestApp;

use super::operations::Op;
use super::{Column, FOREIGN_LISTING, INSTALL_LISTING, LISTING, RECIPE_LISTING, must};

/// The row counts a snapshot holds: a name, and the rows it counts. Of the audit log only the
/// successes count: it records refusals by design, and a debugger run (which changes nothing
/// else) writes exactly one success.
const COUNTED: &[(&str, &str)] = &[
    ("workspaces", "workspaces"),
    ("roles", "roles"),
    ("casbinRules", "casbin_rule"),
    ("listings", "connectors"),
    ("owners", "connector_owners"),
    ("versions", "connector_versions"),
    ("yankedVersions", "connector_versions WHERE yanked = TRUE"),
    ("copies", "workspace_connectors"),
    ("copyVersions", "workspace_connector_versions"),
    ("installEvents", "install_events"),
    ("notifications", "notifications"),
    ("unreadNotifications", "notifications WHERE read_at IS NULL"),
    ("recipes", "recipes"),
    ("runningRecipes", "recipes WHERE state = 'running'"),
    ("recipeConnectors", "recipe_connectors"),
    ("connections", "connections"),
    ("packages", "packages"),
    ("auditedSuccesses", "audit_events WHERE outcome = 'success'"),
];

/// The arranged world of one backend, and the means to put it back in shape before each cell.
pub(super) struct World {
    pub(super) app: TestApp,
    /// Tokens of the signed-in actors (every actor but `anonymous`).
    pub(super) tokens: BTreeMap<&'static str, String>,
    /// The admin of the own workspace (the `admin` actor).
    pub(super) admin: String,
    pub(super) foreign_admin: String,
    /// `listing_owner`.
    pub(super) owner: String,
    /// The global id of a copy that was uninstalled.
    pub(super) missing_copy: String,
    /// The source of the arranged listing's version 1.0.0.
    pub(super) source_v1: String,
    /// The global id of a recipe that was deleted.
    pub(super) missing_recipe: String,
    /// The global id of a connection that was deleted.
    pub(super) missing_connection: String,
    /// The archive the next `importPackage` cell uploads.
    pub(super) archive: Vec<u8>,
    /// Makes names and version numbers unique.
    pub(super) seq: u64,
    /// Whether a request that may write was sent since [`World::begin_cell`]: every write of
    /// `prepare` goes through [`World::must`], which sets it.
    pub(super) wrote: Cell<bool>,
    /// The snapshot taken after the last mutation cell, while nothing has been written since.
    pub(super) last_snapshot: Option<Value>,
}

/// Everything a cell could change in one workspace, as its admin sees it.
pub(super) const WORKSPACE_STATE: &str = r#"
query($ws: String!) {
  workspace(slug: $ws) {
    role
    members { user { handle } role }
    roles { name builtin permissions }
    connectors { id name latestNumber releasedNumber parentVersion { version } listing { slug } }
    unreadNotificationCount
    recipes { id assetId folder name description state definition }
    connections { id assetId folder name workspaceConnectorId fields secretsSet }
    requiresSignedPackages
    packages { id direction outcome packageId sha256 }
  }
}"#;

/// Everything a cell could change in the listings, as anyone sees it.
const LISTING_STATE: &str = r#"
query($main: String!, $foreign: String!, $install: String!, $recipes: String!) {
  main: connector(slug: $main) { ...listing }
  foreign: connector(slug: $foreign) { ...listing }
  install: connector(slug: $install) { ...listing }
  recipes: connector(slug: $recipes) { ...listing }
}
fragment listing on Connector {
  name summary description category keywords visibility sourceHidden status
  owners { handle }
  versions(first: 100, includeYanked: true) { totalCount edges { node { version yanked } } }
}"#;

impl World {
    /// Run a mutation that must succeed (see [`must`]), noting that the world was written.
    pub(super) async fn must(
        &self,
        token: &str,
        document: &str,
        input: Value,
        field: &str,
    ) -> anyhow::Result<Value> {
        self.wrote.set(true);
        must(&self.app, token, document, input, field).await
    }

    /// A cell starts: nothing written yet.
    pub(super) fn begin_cell(&mut self) {
        self.wrote.set(false);
    }

    /// The state before a mutation cell: the snapshot after the previous cell when `prepare`
    /// wrote nothing since (so it is still exact), else a new one.
    pub(super) async fn snapshot_before(&mut self) -> anyhow::Result<Value> {
        match self.last_snapshot.take() {
            Some(snapshot) if !self.wrote.get() => Ok(snapshot),
            _ => self.snapshot().await,
        }
    }

    pub(super) fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The token of the admin of a workspace column.
    pub(super) fn workspace_admin(&self, column: Column) -> &str {
        match column {
            Column::Foreign => &self.foreign_admin,
            _ => &self.admin,
        }
    }

    /// The token of the owner of a listing column.
    pub(super) fn listing_owner(&self, column: Column) -> &str {
        match column {
            Column::Foreign => &self.foreign_admin,
            _ => &self.owner,
        }
    }

    /// The part `key` of the snapshot after the last mutation cell, while nothing was written
    /// since: what a fresh read would answer.
    fn still_current(&self, key: &str) -> Option<Value> {
        let snapshot = self.last_snapshot.as_ref().filter(|_| !self.wrote.get())?;
        Some(snapshot[key].clone())
    }

    pub(super) async fn workspace_state(&self, column: Column) -> anyhow::Result<Value> {
        let key = if column == Column::Foreign {
            "foreign"
        } else {
            "own"
        };
        if column != Column::Missing
            && let Some(current) = self.still_current(key)
        {
            return Ok(current);
        }
        let data = self
            .app
            .data(
                Some(self.workspace_admin(column)),
                WORKSPACE_STATE,
                json!({ "ws": column.workspace() }),
            )
            .await?;
        Ok(data["workspace"].clone())
    }

    pub(super) async fn listing_state(&self) -> anyhow::Result<Value> {
        if let Some(current) = self.still_current("listings") {
            return Ok(current);
        }
        self.app
            .data(
                None,
                LISTING_STATE,
                json!({
                    "main": LISTING,
                    "foreign": FOREIGN_LISTING,
                    "install": INSTALL_LISTING,
                    "recipes": RECIPE_LISTING,
                }),
            )
            .await
    }

    /// Everything a mutation cell could have written: both workspaces as their admins see them,
    /// the listings, and row counts of every table a mutation writes ([`COUNTED`]).
    pub(super) async fn snapshot(&self) -> anyhow::Result<Value> {
        let (own, foreign, listings, rows) = tokio::try_join!(
            self.workspace_state(Column::Own),
            self.workspace_state(Column::Foreign),
            self.listing_state(),
            self.row_counts(),
        )?;
        Ok(json!({ "own": own, "foreign": foreign, "listings": listings, "rows": rows }))
    }

    /// The row counts of [`COUNTED`], read in one statement.
    async fn row_counts(&self) -> anyhow::Result<Value> {
        let db = self.app.conn()?;
        let select: Vec<String> = COUNTED
            .iter()
            .map(|(name, from)| format!("(SELECT COUNT(*) FROM {from}) AS \"{name}\""))
            .collect();
        let sql = format!("SELECT {}", select.join(", "));
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?
            .context("the counts query answered no row")?;
        let mut counts = serde_json::Map::new();
        for (name, _) in COUNTED {
            counts.insert((*name).to_owned(), json!(row.try_get::<i64>("", name)?));
        }
        Ok(Value::Object(counts))
    }

    /// Run a cell's operation; `importPackage` goes as the CLI's GraphQL multipart request
    /// uploading `archive`.
    pub(super) async fn run(
        &self,
        op: Op,
        token: Option<&str>,
        variables: Value,
    ) -> anyhow::Result<Value> {
        if op != Op::ImportPackage {
            return self.app.graphql(token, op.document(), variables).await;
        }
        let operations = json!({ "query": op.document(), "variables": variables });
        let form = cli::package::archive_upload(&operations, self.archive.clone())?;
        let mut req = self
            .app
            .client
            .post(format!("{}/graphql", self.app.base_url))
            .header("apollo-require-preflight", "true")
            .multipart(form);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("importPackage answered {status} with {text:?}: {e}"))
    }
}

/// A JSON value in at most 160 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

/// Paths where two JSON values differ (at most a few), for the summary.
pub(super) fn differences(before: &Value, after: &Value, path: &str, out: &mut Vec<String>) {
    if out.len() >= 6 || before == after {
        return;
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let next = format!("{path}.{key}");
                differences(
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    &next,
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for gone in a.iter().filter(|x| !b.contains(x)) {
                out.push(format!("{path}: removed {}", short(gone)));
            }
            for new in b.iter().filter(|y| !a.contains(y)) {
                out.push(format!("{path}: added {}", short(new)));
            }
        }
        _ => out.push(format!("{path}: {} -> {}", short(before), short(after))),
    }
}
