//! The authorization matrix: every mutation and every gated read, run by every kind of caller
//! against their own workspace (or listing), someone else's, and one that does not exist, and
//! compared with the checked-in table `tests/authz/matrix.txt`.
//!
//! Every cell starts from a known state (the targets are re-arranged before each cell when an
//! earlier cell changed them), and a cell that is refused must leave everything exactly as it was.
//! The test also fails when the schema has a mutation the table does not cover, or when the table
//! names an operation the schema lacks. All mismatches are listed before the test fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};
use tests::{Backend, TestApp, error_code};

use crate::fixtures::{connector_source, recipe_connector_source};

/// The checked-in table.
const MATRIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/authz/matrix.txt");

/// Every caller the table must name for every operation.
const ACTORS: [&str; 10] = [
    "anonymous",
    "non_member",
    "analyst",
    "operator",
    "developer",
    "custom_with_dev",
    "custom_without_dev",
    "admin",
    "listing_owner",
    "member_manager",
];

/// What a cell may say.
const OUTCOMES: [&str; 5] = ["ok", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "-"];

const OWN_WS: &str = "authz-own";
const FOREIGN_WS: &str = "authz-foreign";
const MISSING_WS: &str = "authz-missing";
/// The arranged listing (owned by `listing_owner`, versions 1.0.0 and 1.1.0), installed in both
/// workspaces.
const LISTING: &str = "authz-conn";
/// A second listing of `listing_owner`, installed only by the `installConnector` cells.
const INSTALL_LISTING: &str = "authz-install";
/// A listing owned by the foreign admin.
const FOREIGN_LISTING: &str = "authz-foreign-conn";
const MISSING_LISTING: &str = "authz-no-such-conn";
/// A listing of `listing_owner` with a trigger, an action and connection fields, installed and
/// released in both workspaces for the recipe and connection cells (no cell uninstalls it).
const RECIPE_LISTING: &str = "authz-recipes";
/// The arranged recipe of each workspace (stopped before each cell that needs it).
const RECIPE_NAME: &str = "authz-recipe";
/// The arranged connection of each workspace.
const CONNECTION_NAME: &str = "authz-connection";
/// A recipe and a connection created and deleted while arranging; their ids name nothing.
const GONE_NAME: &str = "authz-gone";

const FOREIGN_ADMIN: &str = "foreign-admin";
/// Added by `setWorkspaceMember` cells; not a member before each of them.
const BYSTANDER: &str = "bystander";
/// Removed by `removeWorkspaceMember` cells; an analyst in both workspaces before each of them.
const VICTIM: &str = "victim";
/// Added and removed as a co-owner by the owner cells.
const CO_OWNER: &str = "co-owner";
const CUSTOM_DEV_ROLE: &str = "custom-dev";
const CUSTOM_AUDIT_ROLE: &str = "custom-audit";
/// `member_manager`'s role: WORKSPACE_MANAGE_MEMBERS, WORKSPACE_MANAGE_ROLES and RECIPE_READ —
/// enough to hand out analyst, not enough for anything more.
const CUSTOM_MANAGER_ROLE: &str = "custom-manager";
/// A second admin of both workspaces, demoted or removed by the escalation cells.
const DEPUTY: &str = "deputy";

/// A user's handle for an actor of the table.
fn handle(actor: &str) -> String {
    actor.replace('_', "-")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Own,
    Foreign,
    Missing,
}

impl Column {
    const ALL: [Column; 3] = [Self::Own, Self::Foreign, Self::Missing];

    fn name(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Foreign => "foreign",
            Self::Missing => "missing",
        }
    }

    fn workspace(self) -> &'static str {
        match self {
            Self::Own => OWN_WS,
            Self::Foreign => FOREIGN_WS,
            Self::Missing => MISSING_WS,
        }
    }

    fn listing(self) -> &'static str {
        match self {
            Self::Own => LISTING,
            Self::Foreign => FOREIGN_LISTING,
            Self::Missing => MISSING_LISTING,
        }
    }
}

/// The operations the test knows how to run, in the order it runs them: reads first, then the
/// workspace mutations, the listing mutations, and last those that make the caller an owner of
/// something new (after them, "the actor's own listing" or "member of no workspace" would change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    WorkspaceQuery,
    AuditEvents,
    Recipes,
    Connections,
    Packages,
    CopySource,
    VersionSource,
    SetMember,
    RemoveMember,
    SetRole,
    MakeAdmin,
    GrantBeyond,
    DemoteAdmin,
    RemoveAdmin,
    Install,
    Edit,
    Release,
    Restore,
    Update,
    Uninstall,
    MarkRead,
    CreateRecipe,
    UpdateRecipe,
    DeleteRecipe,
    SetRecipeState,
    CreateConnection,
    UpdateConnection,
    TestConnection,
    RunAction,
    PollTrigger,
    ExportPackage,
    ImportPackage,
    SetPackagePolicy,
    Publish,
    Yank,
    UpdateListing,
    AddOwner,
    RemoveOwner,
    CreateConnector,
    CreateWorkspace,
}

impl Op {
    const ALL: [Op; 40] = [
        Self::WorkspaceQuery,
        Self::AuditEvents,
        Self::Recipes,
        Self::Connections,
        Self::Packages,
        Self::CopySource,
        Self::VersionSource,
        Self::SetMember,
        Self::RemoveMember,
        Self::SetRole,
        Self::MakeAdmin,
        Self::GrantBeyond,
        Self::DemoteAdmin,
        Self::RemoveAdmin,
        Self::Install,
        Self::Edit,
        Self::Release,
        Self::Restore,
        Self::Update,
        Self::Uninstall,
        Self::MarkRead,
        Self::CreateRecipe,
        Self::UpdateRecipe,
        Self::DeleteRecipe,
        Self::SetRecipeState,
        Self::CreateConnection,
        Self::UpdateConnection,
        Self::TestConnection,
        Self::RunAction,
        Self::PollTrigger,
        Self::ExportPackage,
        Self::ImportPackage,
        Self::SetPackagePolicy,
        Self::Publish,
        Self::Yank,
        Self::UpdateListing,
        Self::AddOwner,
        Self::RemoveOwner,
        Self::CreateConnector,
        Self::CreateWorkspace,
    ];

    /// The name in the table: the mutation field, the query field, or `Type.field`.
    fn name(self) -> &'static str {
        match self {
            Self::WorkspaceQuery => "workspace",
            Self::AuditEvents => "Workspace.auditEvents",
            Self::Recipes => "Workspace.recipes",
            Self::Connections => "Workspace.connections",
            Self::Packages => "Workspace.packages",
            Self::CopySource => "WorkspaceConnectorVersion.source",
            Self::VersionSource => "ConnectorVersion.source",
            Self::SetMember => "setWorkspaceMember",
            Self::RemoveMember => "removeWorkspaceMember",
            Self::SetRole => "setWorkspaceRole",
            Self::MakeAdmin => "setWorkspaceMember(role:admin)",
            Self::GrantBeyond => "setWorkspaceMember(role:developer)",
            Self::DemoteAdmin => "setWorkspaceMember(demote-admin)",
            Self::RemoveAdmin => "removeWorkspaceMember(admin)",
            Self::Install => "installConnector",
            Self::Edit => "editWorkspaceConnector",
            Self::Release => "releaseWorkspaceConnector",
            Self::Restore => "restoreWorkspaceConnectorVersion",
            Self::Update => "updateWorkspaceConnector",
            Self::Uninstall => "uninstallWorkspaceConnector",
            Self::MarkRead => "markNotificationsRead",
            Self::CreateRecipe => "createRecipe",
            Self::UpdateRecipe => "updateRecipe",
            Self::DeleteRecipe => "deleteRecipe",
            Self::SetRecipeState => "setRecipeState",
            Self::CreateConnection => "createConnection",
            Self::UpdateConnection => "updateConnection",
            Self::TestConnection => "testConnection",
            Self::RunAction => "runAction",
            Self::PollTrigger => "pollTrigger",
            Self::ExportPackage => "exportPackage",
            Self::ImportPackage => "importPackage",
            Self::SetPackagePolicy => "setPackagePolicy",
            Self::Publish => "publishVersion",
            Self::Yank => "yankVersion",
            Self::UpdateListing => "updateConnector",
            Self::AddOwner => "addConnectorOwner",
            Self::RemoveOwner => "removeConnectorOwner",
            Self::CreateConnector => "createConnector",
            Self::CreateWorkspace => "createWorkspace",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// For reads: where the answer sits in `data`; a null on the way means "not found".
    fn read_path(self) -> Option<&'static [&'static str]> {
        match self {
            Self::WorkspaceQuery => Some(&["workspace", "slug"]),
            Self::AuditEvents => Some(&["workspace", "auditEvents"]),
            Self::Recipes => Some(&["workspace", "recipes"]),
            Self::Connections => Some(&["workspace", "connections"]),
            Self::Packages => Some(&["workspace", "packages"]),
            Self::CopySource => Some(&["workspace", "connector", "latest", "source"]),
            Self::VersionSource => Some(&["connector", "version", "source"]),
            _ => None,
        }
    }

    /// Whether a column means anything for this operation (creating something names no
    /// existing workspace or listing).
    fn applies(self, column: Column) -> bool {
        !matches!(self, Self::CreateConnector | Self::CreateWorkspace) || column == Column::Own
    }

    fn document(self) -> &'static str {
        match self {
            Self::WorkspaceQuery => "query($ws: String!) { workspace(slug: $ws) { slug } }",
            Self::AuditEvents => {
                "query($ws: String!) { workspace(slug: $ws) { auditEvents(first: 1) { action } } }"
            }
            Self::Recipes => {
                "query($ws: String!) { workspace(slug: $ws) { recipes { id state } } }"
            }
            Self::Connections => {
                "query($ws: String!) { workspace(slug: $ws) { connections { id secretsSet } } }"
            }
            Self::Packages => {
                "query($ws: String!) { workspace(slug: $ws) { packages { id direction outcome } } }"
            }
            Self::CopySource => {
                "query($ws: String!, $id: ID!) { workspace(slug: $ws) { connector(id: $id) { latest { source } } } }"
            }
            Self::VersionSource => {
                "query($listing: String!, $ws: String!) { connector(slug: $listing) { version(version: \"1.0.0\") { source(workspace: $ws) } } }"
            }
            Self::SetMember | Self::MakeAdmin | Self::GrantBeyond | Self::DemoteAdmin => SET_MEMBER,
            Self::RemoveMember | Self::RemoveAdmin => REMOVE_MEMBER,
            Self::SetRole => SET_ROLE,
            Self::Install => INSTALL,
            Self::Edit => EDIT,
            Self::Release => RELEASE,
            Self::Restore => RESTORE,
            Self::Update => UPDATE_COPY,
            Self::Uninstall => UNINSTALL,
            Self::MarkRead => MARK_READ,
            Self::CreateRecipe => CREATE_RECIPE,
            Self::UpdateRecipe => UPDATE_RECIPE,
            Self::DeleteRecipe => DELETE_RECIPE,
            Self::SetRecipeState => SET_RECIPE_STATE,
            Self::CreateConnection => CREATE_CONNECTION,
            Self::UpdateConnection => UPDATE_CONNECTION,
            Self::TestConnection => TEST_CONNECTION,
            Self::RunAction => RUN_ACTION,
            Self::PollTrigger => POLL_TRIGGER,
            Self::ExportPackage => EXPORT_PACKAGE,
            Self::ImportPackage => IMPORT_PACKAGE,
            Self::SetPackagePolicy => SET_PACKAGE_POLICY,
            Self::Publish => PUBLISH,
            Self::Yank => YANK,
            Self::UpdateListing => UPDATE_LISTING,
            Self::AddOwner => ADD_OWNER,
            Self::RemoveOwner => REMOVE_OWNER,
            Self::CreateConnector => CREATE_CONNECTOR,
            Self::CreateWorkspace => CREATE_WORKSPACE,
        }
    }
}

const CREATE_CONNECTOR: &str = "mutation($input: CreateConnectorInput!) { createConnector(input: $input) { connector { slug } userErrors { field message code } } }";
const PUBLISH: &str = "mutation($input: PublishVersionInput!) { publishVersion(input: $input) { version { version } userErrors { field message code } } }";
const YANK: &str = "mutation($input: YankVersionInput!) { yankVersion(input: $input) { version { version yanked } userErrors { field message code } } }";
const UPDATE_LISTING: &str = "mutation($input: UpdateConnectorInput!) { updateConnector(input: $input) { connector { slug summary } userErrors { field message code } } }";
const ADD_OWNER: &str = "mutation($input: ConnectorOwnerInput!) { addConnectorOwner(input: $input) { connector { slug } userErrors { field message code } } }";
const REMOVE_OWNER: &str = "mutation($input: ConnectorOwnerInput!) { removeConnectorOwner(input: $input) { connector { slug } userErrors { field message code } } }";
const CREATE_WORKSPACE: &str = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { slug role } userErrors { field message code } } }";
const SET_MEMBER: &str = "mutation($input: SetWorkspaceMemberInput!) { setWorkspaceMember(input: $input) { member { role } userErrors { field message code } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveWorkspaceMemberInput!) { removeWorkspaceMember(input: $input) { user { handle } userErrors { field message code } } }";
const SET_ROLE: &str = "mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { role { name permissions } userErrors { field message code } } }";
const INSTALL: &str = "mutation($input: InstallConnectorInput!) { installConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
const EDIT: &str = "mutation($input: EditWorkspaceConnectorInput!) { editWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
const RELEASE: &str = "mutation($input: WorkspaceConnectorInput!) { releaseWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
const RESTORE: &str = "mutation($input: RestoreWorkspaceConnectorVersionInput!) { restoreWorkspaceConnectorVersion(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
const UPDATE_COPY: &str = "mutation($input: UpdateWorkspaceConnectorInput!) { updateWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
const UNINSTALL: &str = "mutation($input: WorkspaceConnectorInput!) { uninstallWorkspaceConnector(input: $input) { uninstalledId userErrors { field message code } } }";
const CREATE_RECIPE: &str = "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id state } userErrors { field message code } } }";
const UPDATE_RECIPE: &str = "mutation($input: UpdateRecipeInput!) { updateRecipe(input: $input) { recipe { id description } userErrors { field message code } } }";
const DELETE_RECIPE: &str = "mutation($input: RecipeRefInput!) { deleteRecipe(input: $input) { recipe { id } userErrors { field message code } } }";
const SET_RECIPE_STATE: &str = "mutation($input: SetRecipeStateInput!) { setRecipeState(input: $input) { recipe { id state } userErrors { field message code } } }";
const CREATE_CONNECTION: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connection { id secretsSet } userErrors { field message code } } }";
const UPDATE_CONNECTION: &str = "mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { connection { id fields secretsSet } userErrors { field message code } } }";
const TEST_CONNECTION: &str = "mutation($input: TestConnectionInput!) { testConnection(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
const RUN_ACTION: &str = "mutation($input: RunActionInput!) { runAction(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
const POLL_TRIGGER: &str = "mutation($input: PollTriggerInput!) { pollTrigger(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
const EXPORT_PACKAGE: &str = "mutation($input: ExportPackageInput!) { exportPackage(input: $input) { package { id direction outcome downloadPath } userErrors { field message code } } }";
const IMPORT_PACKAGE: &str = "mutation($input: ImportPackageInput!) { importPackage(input: $input) { applied plan { applicable noop } package { id direction outcome } userErrors { field message code } } }";
const SET_PACKAGE_POLICY: &str = "mutation($input: SetPackagePolicyInput!) { setPackagePolicy(input: $input) { requireSigned userErrors { field message code } } }";
/// A valid base64 Ed25519 public key (RFC 8032, test 1), trusted by the `setPackagePolicy` cells.
const TRUSTED_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const MARK_READ: &str = "mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { marked unreadCount } }";

/// Everything a cell could change in one workspace, as its admin sees it.
const WORKSPACE_STATE: &str = r#"
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

const SCHEMA_FIELDS: &str = r#"{ __schema {
  queryType { fields { name } }
  mutationType { fields { name } }
  types { name fields { name } }
} }"#;

/// One row of the table.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    operation: String,
    actor: String,
    cells: [String; 3],
}

/// Read the table; problems with its shape are returned as mismatches.
fn parse_matrix(text: &str, problems: &mut Vec<String>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let words: Vec<&str> = content.split_whitespace().collect();
        let [operation, actor, own, foreign, missing] = words.as_slice() else {
            problems.push(format!(
                "matrix.txt:{line}: expected 5 columns (operation actor own foreign missing), found {}",
                words.len()
            ));
            continue;
        };
        if !ACTORS.contains(actor) {
            problems.push(format!("matrix.txt:{line}: unknown actor {actor:?}"));
            continue;
        }
        let cells = [own.to_string(), foreign.to_string(), missing.to_string()];
        if let Some(bad) = cells.iter().find(|c| !OUTCOMES.contains(&c.as_str())) {
            problems.push(format!(
                "matrix.txt:{line}: unknown outcome {bad:?} (use one of {})",
                OUTCOMES.join(", ")
            ));
            continue;
        }
        rows.push(Row {
            line,
            operation: operation.to_string(),
            actor: actor.to_string(),
            cells,
        });
    }
    rows
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

/// The table against the served schema: every mutation has rows, every operation exists, every
/// operation names each actor once and has a runner here.
async fn check_coverage(
    app: &TestApp,
    rows: &[Row],
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let schema = app.data(None, SCHEMA_FIELDS, json!({})).await?;
    let schema = &schema["__schema"];
    let mutations = names(&schema["mutationType"]["fields"]);
    let queries = names(&schema["queryType"]["fields"]);
    let mut type_fields: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ty in schema["types"].as_array().into_iter().flatten() {
        if let Some(name) = ty["name"].as_str() {
            type_fields.insert(name.to_owned(), names(&ty["fields"]));
        }
    }
    anyhow::ensure!(
        !mutations.is_empty(),
        "introspection found no mutation fields: {schema}"
    );

    let mut actors_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in rows {
        actors_of
            .entry(&row.operation)
            .or_default()
            .push(&row.actor);
    }
    for mutation in &mutations {
        if !actors_of.contains_key(mutation.as_str()) {
            problems.push(format!(
                "schema: mutation {mutation} has no row in matrix.txt"
            ));
        }
    }
    for (operation, actors) in &actors_of {
        // `op(variant)` is another case of `op`: an escalation path of the same mutation.
        let base = operation.split('(').next().unwrap_or(operation);
        let exists = match base.split_once('.') {
            Some((ty, field)) => type_fields.get(ty).is_some_and(|f| f.contains(field)),
            None => mutations.contains(base) || queries.contains(base),
        };
        if !exists {
            problems.push(format!(
                "matrix.txt names {operation}, which the schema lacks"
            ));
        }
        if Op::from_name(operation).is_none() {
            problems.push(format!(
                "matrix.txt names {operation}, which this test cannot run"
            ));
        }
        for actor in ACTORS {
            match actors.iter().filter(|a| **a == actor).count() {
                1 => {}
                0 => problems.push(format!("matrix.txt: {operation} has no row for {actor}")),
                n => problems.push(format!("matrix.txt: {operation} has {n} rows for {actor}")),
            }
        }
    }
    Ok(())
}

/// The outcome of one cell: `ok`, an error code, or a description of anything else.
fn outcome(op: Op, body: &Value) -> String {
    if let Some(errors) = body.get("errors") {
        return match error_code(body) {
            Some(code) => code.to_owned(),
            None => format!("an error without a code: {errors}"),
        };
    }
    if let Some(path) = op.read_path() {
        let mut value = &body["data"];
        for key in path {
            value = &value[*key];
        }
        return if value.is_null() {
            "NOT_FOUND".to_owned()
        } else {
            "ok".to_owned()
        };
    }
    // `op(case)` answers under the field `op`.
    let field = op.name().split('(').next().unwrap_or_default();
    let payload = &body["data"][field];
    if payload.is_null() {
        return format!("no payload: {body}");
    }
    match payload["userErrors"].as_array() {
        Some(errors) if !errors.is_empty() => {
            format!("userErrors {}", Value::Array(errors.clone()))
        }
        // A debugger run that was allowed but failed did not do what the cell is about.
        _ if payload["run"]["ok"] == false => format!("a failed run: {}", payload["run"]),
        // An import cell applies its package (dryRun false); a plan alone is not what it is about.
        _ if op == Op::ImportPackage && payload["applied"] != true => {
            format!("an import not applied: {payload}")
        }
        _ => "ok".to_owned(),
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
fn differences(before: &Value, after: &Value, path: &str, out: &mut Vec<String>) {
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

/// Run a mutation that must succeed with no user errors; returns its payload.
async fn must(
    app: &TestApp,
    token: &str,
    document: &str,
    input: Value,
    field: &str,
) -> anyhow::Result<Value> {
    let body = app
        .graphql(Some(token), document, json!({ "input": input }))
        .await?;
    anyhow::ensure!(
        body.get("errors").is_none(),
        "arranging with {field}: errors: {body}"
    );
    let payload = body["data"][field].clone();
    anyhow::ensure!(
        payload["userErrors"].as_array().is_none_or(Vec::is_empty),
        "arranging with {field}: user errors: {payload}"
    );
    Ok(payload)
}

fn id_of(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("expected an id, got {value}"))
}

/// The arranged world of one backend, and the means to put it back in shape before each cell.
struct World {
    app: TestApp,
    /// Tokens of the signed-in actors (every actor but `anonymous`).
    tokens: BTreeMap<&'static str, String>,
    /// The admin of the own workspace (the `admin` actor).
    admin: String,
    foreign_admin: String,
    /// `listing_owner`.
    owner: String,
    /// The global id of a copy that was uninstalled.
    missing_copy: String,
    /// The source of the arranged listing's version 1.0.0.
    source_v1: String,
    /// The global id of a recipe that was deleted.
    missing_recipe: String,
    /// The global id of a connection that was deleted.
    missing_connection: String,
    /// The archive the next `importPackage` cell uploads.
    archive: Vec<u8>,
    /// Makes names and version numbers unique.
    seq: u64,
}

impl World {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The token of the admin of a workspace column.
    fn workspace_admin(&self, column: Column) -> &str {
        match column {
            Column::Foreign => &self.foreign_admin,
            _ => &self.admin,
        }
    }

    /// The token of the owner of a listing column.
    fn listing_owner(&self, column: Column) -> &str {
        match column {
            Column::Foreign => &self.foreign_admin,
            _ => &self.owner,
        }
    }

    async fn workspace_state(&self, column: Column) -> anyhow::Result<Value> {
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

    async fn listing_state(&self) -> anyhow::Result<Value> {
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
    /// the listings, and row counts of every table a mutation writes. Of the audit log only the
    /// successes count: it records refusals by design, and a debugger run (which changes nothing
    /// else) writes exactly one success.
    async fn snapshot(&self) -> anyhow::Result<Value> {
        let db = self.app.conn()?;
        let unread = entities::notification::Entity::find()
            .filter(entities::notification::Column::ReadAt.is_null())
            .count(db)
            .await?;
        let audited = entities::audit_event::Entity::find()
            .filter(entities::audit_event::Column::Outcome.eq("success"))
            .count(db)
            .await?;
        let running = entities::recipe::Entity::find()
            .filter(entities::recipe::Column::State.eq("running"))
            .count(db)
            .await?;
        let yanked = entities::connector_version::Entity::find()
            .filter(entities::connector_version::Column::Yanked.eq(true))
            .count(db)
            .await?;
        Ok(json!({
            "own": self.workspace_state(Column::Own).await?,
            "foreign": self.workspace_state(Column::Foreign).await?,
            "listings": self.listing_state().await?,
            "rows": {
                "workspaces": entities::workspace::Entity::find().count(db).await?,
                "roles": entities::role::Entity::find().count(db).await?,
                "casbinRules": entities::casbin_rule::Entity::find().count(db).await?,
                "listings": entities::connector::Entity::find().count(db).await?,
                "owners": entities::connector_owner::Entity::find().count(db).await?,
                "versions": entities::connector_version::Entity::find().count(db).await?,
                "yankedVersions": yanked,
                "copies": entities::workspace_connector::Entity::find().count(db).await?,
                "copyVersions": entities::workspace_connector_version::Entity::find().count(db).await?,
                "installEvents": entities::install_event::Entity::find().count(db).await?,
                "notifications": entities::notification::Entity::find().count(db).await?,
                "unreadNotifications": unread,
                "recipes": entities::recipe::Entity::find().count(db).await?,
                "runningRecipes": running,
                "recipeConnectors": entities::recipe_connector::Entity::find().count(db).await?,
                "connections": entities::connection::Entity::find().count(db).await?,
                "packages": entities::package::Entity::find().count(db).await?,
                "auditedSuccesses": audited,
            },
        }))
    }

    /// The copy of `listing` in a workspace, if any.
    async fn find_copy(&self, column: Column, listing: &str) -> anyhow::Result<Option<Value>> {
        let state = self.workspace_state(column).await?;
        Ok(state["connectors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["listing"]["slug"] == listing)
            .cloned())
    }

    async fn install(
        &self,
        column: Column,
        listing: &str,
        version: Option<&str>,
    ) -> anyhow::Result<String> {
        let payload = must(
            &self.app,
            self.workspace_admin(column),
            INSTALL,
            json!({ "workspace": column.workspace(), "connector": listing, "version": version }),
            "installConnector",
        )
        .await?;
        id_of(&payload["workspaceConnector"]["id"])
    }

    async fn uninstall(&self, column: Column, copy: &str) -> anyhow::Result<()> {
        must(
            &self.app,
            self.workspace_admin(column),
            UNINSTALL,
            json!({ "workspaceConnectorId": copy }),
            "uninstallWorkspaceConnector",
        )
        .await?;
        Ok(())
    }

    /// The copy of the arranged listing in a workspace, in the known state every copy cell starts
    /// from: installed at 1.0.0, version 1 released, version 2 a local edit (so that release,
    /// restore, update, edit and uninstall each have something to change). For the missing
    /// column, the id of an uninstalled copy.
    async fn ensure_copy(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_copy.clone());
        }
        if let Some(copy) = self.find_copy(column, LISTING).await? {
            let id = id_of(&copy["id"])?;
            if copy["latestNumber"] == 2
                && copy["releasedNumber"] == 1
                && copy["parentVersion"]["version"] == "1.0.0"
            {
                return Ok(id);
            }
            self.uninstall(column, &id).await?;
        }
        let id = self.install(column, LISTING, Some("1.0.0")).await?;
        let token = self.workspace_admin(column);
        must(
            &self.app,
            token,
            RELEASE,
            json!({ "workspaceConnectorId": id }),
            "releaseWorkspaceConnector",
        )
        .await?;
        let edited = format!("{}\n// local edit\n", self.source_v1);
        must(
            &self.app,
            token,
            EDIT,
            json!({ "workspaceConnectorId": id, "source": edited }),
            "editWorkspaceConnector",
        )
        .await?;
        Ok(id)
    }

    async fn ensure_not_installed(&self, column: Column, listing: &str) -> anyhow::Result<()> {
        if let Some(copy) = self.find_copy(column, listing).await? {
            self.uninstall(column, &id_of(&copy["id"])?).await?;
        }
        Ok(())
    }

    /// Make `who` an analyst of the workspace (`present`), or no member at all.
    async fn ensure_member(&self, column: Column, who: &str, present: bool) -> anyhow::Result<()> {
        let state = self.workspace_state(column).await?;
        let role = state["members"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["user"]["handle"] == who)
            .map(|m| m["role"].clone());
        let token = self.workspace_admin(column);
        match (present, role) {
            (true, Some(role)) if role == "analyst" => {}
            (true, _) => {
                let input =
                    json!({ "workspace": column.workspace(), "handle": who, "role": "analyst" });
                must(&self.app, token, SET_MEMBER, input, "setWorkspaceMember").await?;
            }
            (false, Some(_)) => {
                let input = json!({ "workspace": column.workspace(), "handle": who });
                must(
                    &self.app,
                    token,
                    REMOVE_MEMBER,
                    input,
                    "removeWorkspaceMember",
                )
                .await?;
            }
            (false, None) => {}
        }
        Ok(())
    }

    /// Make `who` an admin of the workspace (as its admin).
    async fn ensure_admin(&self, column: Column, who: &str) -> anyhow::Result<()> {
        let state = self.workspace_state(column).await?;
        let is_admin = state["members"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["user"]["handle"] == who && m["role"] == "admin");
        if !is_admin {
            let input = json!({ "workspace": column.workspace(), "handle": who, "role": "admin" });
            let token = self.workspace_admin(column);
            must(&self.app, token, SET_MEMBER, input, "setWorkspaceMember").await?;
        }
        Ok(())
    }

    /// Publish a new version of the arranged listing (as its owner); returns its number.
    async fn publish_next(&mut self) -> anyhow::Result<String> {
        let version = format!("2.{}.0", self.next());
        let input = json!({ "slug": LISTING, "version": version, "source": self.source_v1 });
        must(&self.app, &self.owner, PUBLISH, input, "publishVersion").await?;
        Ok(version)
    }

    /// Both workspaces hold unread notices (so that marking them read changes something).
    async fn ensure_unread(&mut self) -> anyhow::Result<()> {
        let mut unread = Vec::new();
        for column in [Column::Own, Column::Foreign] {
            unread.push(self.workspace_state(column).await?["unreadNotificationCount"].as_u64());
        }
        if unread.iter().all(|n| n.is_some_and(|n| n > 0)) {
            return Ok(());
        }
        // A version newer than every copy's parent notifies both workspaces.
        self.ensure_copy(Column::Own).await?;
        self.ensure_copy(Column::Foreign).await?;
        self.publish_next().await?;
        for column in [Column::Own, Column::Foreign] {
            let count = self.workspace_state(column).await?["unreadNotificationCount"].clone();
            anyhow::ensure!(
                count.as_u64().is_some_and(|n| n > 0),
                "no unread notice in {:?} after publishing",
                column
            );
        }
        Ok(())
    }

    async fn ensure_unyanked(&self, column: Column, version: &str) -> anyhow::Result<()> {
        let input = json!({ "slug": column.listing(), "version": version, "yanked": false });
        must(
            &self.app,
            self.listing_owner(column),
            YANK,
            input,
            "yankVersion",
        )
        .await?;
        Ok(())
    }

    /// Make the co-owner an owner of the own and foreign listings (`present`), or of neither.
    async fn ensure_co_owner(&self, present: bool) -> anyhow::Result<()> {
        let state = self.listing_state().await?;
        for (column, key) in [(Column::Own, "main"), (Column::Foreign, "foreign")] {
            let is_owner = state[key]["owners"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|o| o["handle"] == CO_OWNER);
            let input = json!({ "slug": column.listing(), "handle": CO_OWNER });
            let token = self.listing_owner(column);
            if present && !is_owner {
                must(&self.app, token, ADD_OWNER, input, "addConnectorOwner").await?;
            } else if !present && is_owner {
                must(
                    &self.app,
                    token,
                    REMOVE_OWNER,
                    input,
                    "removeConnectorOwner",
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The recipe listing installed in a workspace with its first version released, so that
    /// recipes and connections may name it.
    async fn ensure_recipe_copy(&self, column: Column) -> anyhow::Result<()> {
        if let Some(copy) = self.find_copy(column, RECIPE_LISTING).await?
            && !copy["releasedNumber"].is_null()
        {
            return Ok(());
        }
        self.ensure_not_installed(column, RECIPE_LISTING).await?;
        let payload = must(
            &self.app,
            self.workspace_admin(column),
            INSTALL,
            json!({ "workspace": column.workspace(), "connector": RECIPE_LISTING }),
            "installConnector",
        )
        .await?;
        let id = id_of(&payload["workspaceConnector"]["id"])?;
        must(
            &self.app,
            self.workspace_admin(column),
            RELEASE,
            json!({ "workspaceConnectorId": id }),
            "releaseWorkspaceConnector",
        )
        .await?;
        Ok(())
    }

    /// The id of the recipe listing's copy in a workspace (released, so the debugger cells run
    /// the same version recipes would).
    async fn recipe_copy(&self, column: Column) -> anyhow::Result<String> {
        self.ensure_recipe_copy(column).await?;
        let copy = self
            .find_copy(column, RECIPE_LISTING)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no copy of {RECIPE_LISTING} in {column:?}"))?;
        id_of(&copy["id"])
    }

    /// An item (`recipes` or `connections`) of a workspace by name, as its admin sees it.
    async fn find_named(
        &self,
        column: Column,
        list: &str,
        name: &str,
    ) -> anyhow::Result<Option<Value>> {
        let state = self.workspace_state(column).await?;
        Ok(state[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|item| item["name"] == name)
            .cloned())
    }

    /// Create a recipe named `name` in a workspace (as its admin); returns its id.
    async fn create_recipe(&self, column: Column, name: &str) -> anyhow::Result<String> {
        let input = json!({ "workspace": column.workspace(), "name": name, "definition": recipe_definition() });
        let payload = must(
            &self.app,
            self.workspace_admin(column),
            CREATE_RECIPE,
            input,
            "createRecipe",
        )
        .await?;
        id_of(&payload["recipe"]["id"])
    }

    /// The arranged recipe of a workspace, in the state every recipe cell starts from: present
    /// and stopped. For the missing column, the id of a deleted recipe.
    async fn ensure_recipe(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_recipe.clone());
        }
        let Some(recipe) = self.find_named(column, "recipes", RECIPE_NAME).await? else {
            return self.create_recipe(column, RECIPE_NAME).await;
        };
        let id = id_of(&recipe["id"])?;
        if recipe["state"] != "STOPPED" {
            must(
                &self.app,
                self.workspace_admin(column),
                SET_RECIPE_STATE,
                json!({ "recipeId": id, "state": "STOPPED" }),
                "setRecipeState",
            )
            .await?;
        }
        Ok(id)
    }

    /// Create a connection named `name` in a workspace (as its admin); returns its id.
    async fn create_connection(&self, column: Column, name: &str) -> anyhow::Result<String> {
        let input = json!({
            "workspace": column.workspace(),
            "name": name,
            "connector": RECIPE_LISTING,
            "values": { "api_key": "arranged-secret", "region": "arranged" },
        });
        let payload = must(
            &self.app,
            self.workspace_admin(column),
            CREATE_CONNECTION,
            input,
            "createConnection",
        )
        .await?;
        id_of(&payload["connection"]["id"])
    }

    /// The arranged connection of a workspace (present). For the missing column, the id of a
    /// deleted connection.
    async fn ensure_connection(&self, column: Column) -> anyhow::Result<String> {
        if column == Column::Missing {
            return Ok(self.missing_connection.clone());
        }
        match self
            .find_named(column, "connections", CONNECTION_NAME)
            .await?
        {
            Some(connection) => id_of(&connection["id"]),
            None => self.create_connection(column, CONNECTION_NAME).await,
        }
    }

    /// Turn a workspace's package policy off (as its admin) if a cell turned it on.
    async fn ensure_unsigned(&self, column: Column) -> anyhow::Result<()> {
        if self.workspace_state(column).await?["requiresSignedPackages"] == false {
            return Ok(());
        }
        let input = json!({ "workspace": column.workspace(), "requireSigned": false });
        must(
            &self.app,
            self.workspace_admin(column),
            SET_PACKAGE_POLICY,
            input,
            "setPackagePolicy",
        )
        .await?;
        Ok(())
    }

    /// Export a workspace's arranged recipe as its admin; returns the recorded package.
    async fn export(&self, column: Column) -> anyhow::Result<Value> {
        let recipe = self.ensure_recipe(column).await?;
        let input = json!({ "workspace": column.workspace(), "recipeIds": [recipe] });
        let payload = must(
            &self.app,
            self.workspace_admin(column),
            EXPORT_PACKAGE,
            input,
            "exportPackage",
        )
        .await?;
        Ok(payload["package"].clone())
    }

    /// A package freshly exported from the own workspace (its arranged recipe and the released
    /// recipe listing it uses), downloaded with the admin's token: importing it back is valid.
    async fn export_own(&self) -> anyhow::Result<Vec<u8>> {
        let package = self.export(Column::Own).await?;
        let path = package["downloadPath"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no downloadPath in {package}"))?;
        let resp = self
            .app
            .client
            .get(format!("{}{path}", self.app.base_url))
            .bearer_auth(&self.admin)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "downloading {path}: {}",
            resp.status()
        );
        Ok(resp.bytes().await?.to_vec())
    }

    /// Run a cell's operation; `importPackage` goes as a GraphQL multipart request (the GraphQL
    /// multipart request spec: `operations`, `map`, then the file part `0`) uploading `archive`.
    async fn run(&self, op: Op, token: Option<&str>, variables: Value) -> anyhow::Result<Value> {
        if op != Op::ImportPackage {
            return self.app.graphql(token, op.document(), variables).await;
        }
        let operations = json!({ "query": op.document(), "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text(
                "map",
                json!({ "0": ["variables.input.archive"] }).to_string(),
            )
            .part(
                "0",
                reqwest::multipart::Part::bytes(self.archive.clone())
                    .file_name("package.zip")
                    .mime_str("application/zip")?,
            );
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

    /// Put the targets of `op` in their known state and return the operation's variables.
    async fn prepare(&mut self, op: Op, column: Column) -> anyhow::Result<Value> {
        let ws = column.workspace();
        let slug = column.listing();
        let n = self.next();
        let input = match op {
            Op::WorkspaceQuery | Op::AuditEvents | Op::Packages => return Ok(json!({ "ws": ws })),
            Op::Recipes | Op::Connections => {
                // Something to list where the column names an existing workspace.
                if column != Column::Missing {
                    self.ensure_recipe(column).await?;
                    self.ensure_connection(column).await?;
                }
                return Ok(json!({ "ws": ws }));
            }
            Op::CopySource => {
                let id = self.ensure_copy(column).await?;
                let ws = if column == Column::Foreign {
                    FOREIGN_WS
                } else {
                    OWN_WS
                };
                return Ok(json!({ "ws": ws, "id": id }));
            }
            Op::VersionSource => return Ok(json!({ "listing": LISTING, "ws": ws })),
            Op::SetMember => {
                self.ensure_member(Column::Own, BYSTANDER, false).await?;
                self.ensure_member(Column::Foreign, BYSTANDER, false)
                    .await?;
                json!({ "workspace": ws, "handle": BYSTANDER, "role": "analyst" })
            }
            Op::RemoveMember => {
                self.ensure_member(Column::Own, VICTIM, true).await?;
                self.ensure_member(Column::Foreign, VICTIM, true).await?;
                json!({ "workspace": ws, "handle": VICTIM })
            }
            Op::MakeAdmin | Op::GrantBeyond => {
                self.ensure_member(Column::Own, BYSTANDER, false).await?;
                self.ensure_member(Column::Foreign, BYSTANDER, false)
                    .await?;
                let role = if op == Op::MakeAdmin {
                    "admin"
                } else {
                    "developer"
                };
                json!({ "workspace": ws, "handle": BYSTANDER, "role": role })
            }
            Op::DemoteAdmin | Op::RemoveAdmin => {
                self.ensure_admin(Column::Own, DEPUTY).await?;
                self.ensure_admin(Column::Foreign, DEPUTY).await?;
                match op {
                    Op::DemoteAdmin => {
                        json!({ "workspace": ws, "handle": DEPUTY, "role": "analyst" })
                    }
                    _ => json!({ "workspace": ws, "handle": DEPUTY }),
                }
            }
            Op::SetRole => json!({
                "workspace": ws,
                "name": format!("scratch-{n}"),
                "permissions": ["RECIPE_READ", "CONNECTOR_INSTALL"],
            }),
            Op::Install => {
                self.ensure_not_installed(Column::Own, INSTALL_LISTING)
                    .await?;
                self.ensure_not_installed(Column::Foreign, INSTALL_LISTING)
                    .await?;
                json!({ "workspace": ws, "connector": INSTALL_LISTING })
            }
            Op::Edit => {
                let id = self.ensure_copy(column).await?;
                json!({ "workspaceConnectorId": id, "source": format!("{}\n// edit {n}\n", self.source_v1) })
            }
            Op::Release | Op::Uninstall => {
                json!({ "workspaceConnectorId": self.ensure_copy(column).await? })
            }
            Op::Restore => {
                json!({ "workspaceConnectorId": self.ensure_copy(column).await?, "number": 1 })
            }
            Op::Update => json!({
                "workspaceConnectorId": self.ensure_copy(column).await?,
                "version": "1.1.0",
                "strategy": "REPLACE",
            }),
            Op::MarkRead => {
                self.ensure_unread().await?;
                json!({ "workspace": ws })
            }
            Op::CreateRecipe => json!({
                "workspace": ws,
                "name": format!("created-{n}"),
                "description": "Created by a matrix cell",
                "definition": recipe_definition(),
            }),
            Op::UpdateRecipe => json!({
                "recipeId": self.ensure_recipe(column).await?,
                "description": format!("Description number {n}"),
            }),
            Op::DeleteRecipe => json!({ "recipeId": self.ensure_recipe(column).await? }),
            Op::SetRecipeState => json!({
                "recipeId": self.ensure_recipe(column).await?,
                "state": "RUNNING",
            }),
            Op::CreateConnection => json!({
                "workspace": ws,
                "name": format!("created-{n}"),
                "connector": RECIPE_LISTING,
                "values": { "api_key": format!("secret-{n}"), "region": "eu" },
            }),
            Op::UpdateConnection => json!({
                "connectionId": self.ensure_connection(column).await?,
                "values": { "region": format!("region-{n}") },
            }),
            Op::TestConnection | Op::RunAction | Op::PollTrigger => {
                let copy = match column {
                    Column::Missing => self.missing_copy.clone(),
                    _ => self.recipe_copy(column).await?,
                };
                let target = json!({ "workspaceConnectorId": copy });
                match op {
                    Op::RunAction => {
                        json!({ "target": target, "action": "get_item", "input": { "id": "1" } })
                    }
                    Op::PollTrigger => json!({ "target": target, "trigger": "new_item" }),
                    _ => json!({ "target": target }),
                }
            }
            Op::ExportPackage => {
                let recipe = match column {
                    Column::Missing => self.ensure_recipe(Column::Own).await?,
                    _ => self.ensure_recipe(column).await?,
                };
                json!({ "workspace": ws, "recipeIds": [recipe] })
            }
            Op::ImportPackage => {
                self.ensure_unsigned(Column::Own).await?;
                self.ensure_unsigned(Column::Foreign).await?;
                self.archive = self.export_own().await?;
                json!({ "workspace": ws, "archive": null, "dryRun": false })
            }
            Op::SetPackagePolicy => {
                self.ensure_unsigned(Column::Own).await?;
                self.ensure_unsigned(Column::Foreign).await?;
                json!({ "workspace": ws, "requireSigned": true, "trustedKeys": [TRUSTED_KEY] })
            }
            Op::Publish => json!({
                "slug": slug,
                "version": format!("2.{n}.0"),
                "source": self.source_v1,
            }),
            Op::Yank => {
                self.ensure_unyanked(Column::Own, "1.1.0").await?;
                self.ensure_unyanked(Column::Foreign, "1.0.0").await?;
                let version = if column == Column::Own {
                    "1.1.0"
                } else {
                    "1.0.0"
                };
                json!({ "slug": slug, "version": version, "yanked": true })
            }
            Op::UpdateListing => json!({ "slug": slug, "summary": format!("Summary number {n}") }),
            Op::AddOwner => {
                self.ensure_co_owner(false).await?;
                json!({ "slug": slug, "handle": CO_OWNER })
            }
            Op::RemoveOwner => {
                self.ensure_co_owner(true).await?;
                json!({ "slug": slug, "handle": CO_OWNER })
            }
            Op::CreateConnector => json!({
                "slug": format!("authz-created-{n}"),
                "name": format!("Created {n}"),
                "summary": "Created by a matrix cell",
                "category": "testing",
                "version": "1.0.0",
                "source": self.source_v1,
            }),
            Op::CreateWorkspace => json!({
                "slug": format!("authz-ws-{n}"),
                "name": format!("Workspace {n}"),
                "environment": "DEVELOPMENT",
            }),
        };
        Ok(json!({ "input": input }))
    }
}

/// A definition using the recipe listing's trigger and action.
fn recipe_definition() -> Value {
    json!({
        "trigger": { "connector": RECIPE_LISTING, "trigger": "new_item", "input": {} },
        "steps": [ { "connector": RECIPE_LISTING, "action": "get_item", "input": { "id": "1" } } ],
    })
}

/// Users, listings, workspaces, roles, members and copies, arranged through the API.
async fn arrange(backend: Backend) -> anyhow::Result<World> {
    let app = TestApp::spawn(backend).await?;
    let mut tokens = BTreeMap::new();
    for actor in ACTORS.into_iter().filter(|a| *a != "anonymous") {
        tokens.insert(actor, app.user_with_token(&handle(actor)).await?);
    }
    let foreign_admin = app.user_with_token(FOREIGN_ADMIN).await?;
    for extra in [BYSTANDER, VICTIM, CO_OWNER, DEPUTY] {
        app.user_with_token(extra).await?;
    }
    let token = |actor: &str| {
        tokens
            .get(actor)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no token for {actor}"))
    };
    let admin = token("admin")?;
    let owner = token("listing_owner")?;

    // Listings: the arranged one with 1.0.0 and 1.1.0, one to install, one of someone else.
    let source_v1 = connector_source("Authz", &[("get_item", "Get item")]);
    let source_v11 = connector_source(
        "Authz",
        &[("get_item", "Get item"), ("list_items", "List items")],
    );
    let create = |slug: &str, source: &str| {
        json!({
            "slug": slug,
            "name": format!("Listing {slug}"),
            "summary": "Arranged for the authorization matrix",
            "category": "testing",
            "version": "1.0.0",
            "source": source,
        })
    };
    must(
        &app,
        &owner,
        CREATE_CONNECTOR,
        create(LISTING, &source_v1),
        "createConnector",
    )
    .await?;
    let input = json!({ "slug": LISTING, "version": "1.1.0", "source": source_v11 });
    must(&app, &owner, PUBLISH, input, "publishVersion").await?;
    must(
        &app,
        &owner,
        CREATE_CONNECTOR,
        create(INSTALL_LISTING, &source_v1),
        "createConnector",
    )
    .await?;
    must(
        &app,
        &owner,
        CREATE_CONNECTOR,
        create(RECIPE_LISTING, &recipe_connector_source("Authz recipes")),
        "createConnector",
    )
    .await?;
    let input = create(FOREIGN_LISTING, &source_v1);
    must(
        &app,
        &foreign_admin,
        CREATE_CONNECTOR,
        input,
        "createConnector",
    )
    .await?;

    // Workspaces, custom roles and members.
    for (token, slug) in [(&admin, OWN_WS), (&foreign_admin, FOREIGN_WS)] {
        let input = json!({ "slug": slug, "name": format!("Workspace {slug}"), "environment": "DEVELOPMENT" });
        must(&app, token, CREATE_WORKSPACE, input, "createWorkspace").await?;
    }
    let roles = app
        .data(Some(&admin), WORKSPACE_STATE, json!({ "ws": OWN_WS }))
        .await?;
    let developer = roles["workspace"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "developer")
        .map(|r| r["permissions"].clone())
        .ok_or_else(|| anyhow::anyhow!("no developer role in {roles}"))?;
    for (name, permissions) in [
        (CUSTOM_DEV_ROLE, developer.clone()),
        (CUSTOM_AUDIT_ROLE, json!(["RECIPE_READ", "AUDIT_READ"])),
        (
            CUSTOM_MANAGER_ROLE,
            json!([
                "WORKSPACE_MANAGE_MEMBERS",
                "WORKSPACE_MANAGE_ROLES",
                "RECIPE_READ"
            ]),
        ),
    ] {
        let input = json!({ "workspace": OWN_WS, "name": name, "permissions": permissions });
        must(&app, &admin, SET_ROLE, input, "setWorkspaceRole").await?;
    }
    for (actor, role) in [
        ("analyst", "analyst"),
        ("operator", "operator"),
        ("developer", "developer"),
        ("custom_with_dev", CUSTOM_DEV_ROLE),
        ("custom_without_dev", CUSTOM_AUDIT_ROLE),
        ("member_manager", CUSTOM_MANAGER_ROLE),
    ] {
        let input = json!({ "workspace": OWN_WS, "handle": handle(actor), "role": role });
        must(&app, &admin, SET_MEMBER, input, "setWorkspaceMember").await?;
    }

    // Each actor holds what the table's header says, and the outsiders belong nowhere.
    let developer: BTreeSet<String> = serde_json::from_value(developer)?;
    for (actor, role, expected) in [
        ("analyst", "analyst", json!(["RECIPE_READ"])),
        ("custom_with_dev", CUSTOM_DEV_ROLE, json!(developer)),
        (
            "custom_without_dev",
            CUSTOM_AUDIT_ROLE,
            json!(["AUDIT_READ", "RECIPE_READ"]),
        ),
        (
            "member_manager",
            CUSTOM_MANAGER_ROLE,
            json!([
                "RECIPE_READ",
                "WORKSPACE_MANAGE_MEMBERS",
                "WORKSPACE_MANAGE_ROLES"
            ]),
        ),
    ] {
        let data = app
            .data(
                Some(&token(actor)?),
                "query($ws: String!) { workspace(slug: $ws) { role permissions } }",
                json!({ "ws": OWN_WS }),
            )
            .await?;
        let held: BTreeSet<String> =
            serde_json::from_value(data["workspace"]["permissions"].clone())?;
        let expected: BTreeSet<String> = serde_json::from_value(expected)?;
        anyhow::ensure!(data["workspace"]["role"] == role, "{actor} holds {data}");
        anyhow::ensure!(
            held == expected,
            "{actor} holds {held:?}, expected {expected:?}"
        );
    }
    for actor in ["non_member", "listing_owner"] {
        let data = app
            .data(Some(&token(actor)?), "{ myWorkspaces { role } }", json!({}))
            .await?;
        anyhow::ensure!(
            data["myWorkspaces"] == json!([]),
            "{actor} belongs to {data}"
        );
    }

    let mut world = World {
        app,
        tokens,
        admin,
        foreign_admin,
        owner,
        missing_copy: String::new(),
        source_v1,
        missing_recipe: String::new(),
        missing_connection: String::new(),
        archive: Vec::new(),
        seq: 0,
    };
    // A copy id that looks valid but names nothing: install, then uninstall.
    let gone = world.install(Column::Own, LISTING, Some("1.0.0")).await?;
    world.uninstall(Column::Own, &gone).await?;
    world.missing_copy = gone;
    world.ensure_copy(Column::Own).await?;
    world.ensure_copy(Column::Foreign).await?;
    world.ensure_member(Column::Own, VICTIM, true).await?;
    world.ensure_member(Column::Foreign, VICTIM, true).await?;

    // Recipes and connections: the recipe listing released in both workspaces, a recipe and a
    // connection in each, and ids that look valid but name nothing (created, then deleted; there
    // is no mutation that deletes a connection, so its row is deleted directly).
    for column in [Column::Own, Column::Foreign] {
        world.ensure_recipe_copy(column).await?;
        world.ensure_recipe(column).await?;
        world.ensure_connection(column).await?;
    }
    let gone = world.create_recipe(Column::Own, GONE_NAME).await?;
    must(
        &world.app,
        &world.admin,
        DELETE_RECIPE,
        json!({ "recipeId": gone }),
        "deleteRecipe",
    )
    .await?;
    world.missing_recipe = gone;
    let gone = world.create_connection(Column::Own, GONE_NAME).await?;
    let deleted = entities::connection::Entity::delete_many()
        .filter(entities::connection::Column::Name.eq(GONE_NAME))
        .exec(world.app.conn()?)
        .await?;
    anyhow::ensure!(
        deleted.rows_affected == 1,
        "deleted {} connections named {GONE_NAME}",
        deleted.rows_affected
    );
    world.missing_connection = gone;
    // A package export in each workspace, so that the history reads have something to list.
    for column in [Column::Own, Column::Foreign] {
        world.export(column).await?;
    }
    anyhow::ensure!(
        world
            .find_named(Column::Own, "connections", GONE_NAME)
            .await?
            .is_none(),
        "the deleted connection is still listed"
    );
    Ok(world)
}

async fn matrix_holds(backend: Backend) -> anyhow::Result<()> {
    let started = Instant::now();
    let text = std::fs::read_to_string(MATRIX)?;
    let mut mismatches = Vec::new();
    let rows = parse_matrix(&text, &mut mismatches);
    let mut world = arrange(backend).await?;
    check_coverage(&world.app, &rows, &mut mismatches).await?;

    let mut runnable: Vec<(Op, &Row)> = rows
        .iter()
        .filter_map(|row| Op::from_name(&row.operation).map(|op| (op, row)))
        .collect();
    runnable.sort_by_key(|(op, row)| (*op, row.line));
    let mut cells = 0;
    for (op, row) in runnable {
        for (column, expected) in Column::ALL.into_iter().zip(&row.cells) {
            let cell = format!("{} / {} / {}", row.operation, row.actor, column.name());
            if expected == "-" {
                if op.applies(column) {
                    mismatches.push(format!(
                        "matrix.txt:{}: {cell} says - but the column applies",
                        row.line
                    ));
                }
                continue;
            }
            if !op.applies(column) {
                mismatches.push(format!(
                    "matrix.txt:{}: {cell} does not apply; write -",
                    row.line
                ));
                continue;
            }
            cells += 1;
            let variables = world.prepare(op, column).await?;
            let before = match op.read_path() {
                Some(_) => None,
                None => Some(world.snapshot().await?),
            };
            let token = world.tokens.get(row.actor.as_str()).map(String::as_str);
            let body = world.run(op, token, variables).await?;
            let got = outcome(op, &body);
            if got != *expected {
                mismatches.push(format!("{cell}: expected {expected}, got {got}"));
            }
            if let Some(before) = before {
                let after = world.snapshot().await?;
                let mut changed = Vec::new();
                differences(&before, &after, "", &mut changed);
                if got != "ok" && !changed.is_empty() {
                    // A refused cell must leave everything as it was.
                    mismatches.push(format!(
                        "{cell}: answered {got} but wrote: {}",
                        changed.join("; ")
                    ));
                } else if got == "ok" && changed.is_empty() {
                    // Every target is arranged so that an allowed cell has something to change;
                    // an `ok` that changed nothing did not do what the cell is about.
                    mismatches.push(format!("{cell}: answered ok but changed nothing"));
                }
            }
        }
    }
    let elapsed = started.elapsed();
    world.app.stop().await?;
    println!(
        "authz matrix on {backend:?}: {} rows, {cells} cells, {} mismatches, {:.1} s",
        rows.len(),
        mismatches.len(),
        elapsed.as_secs_f64()
    );
    if !mismatches.is_empty() {
        for mismatch in &mismatches {
            println!("  MISMATCH {mismatch}");
        }
        anyhow::bail!(
            "{} authorization matrix mismatch(es) on {backend:?}; see the list above",
            mismatches.len()
        );
    }
    Ok(())
}

tests::on_both_backends!(matrix, super::matrix_holds);
