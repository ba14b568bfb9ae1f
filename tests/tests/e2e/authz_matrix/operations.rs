//! The table of operations: every operation the matrix can run, its name in the table, its
//! document, and where a read's answer sits.

use super::Column;

/// The operations the test knows how to run, in the order it runs them: reads first, then the
/// workspace mutations, the listing mutations, and last those that make the caller an owner of
/// something new (after them, "the actor's own listing" or "member of no workspace" would change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Op {
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
    pub(super) const ALL: [Op; 40] = [
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
    pub(super) fn name(self) -> &'static str {
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

    pub(super) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// For reads: where the answer sits in `data`; a null on the way means "not found".
    pub(super) fn read_path(self) -> Option<&'static [&'static str]> {
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
    pub(super) fn applies(self, column: Column) -> bool {
        !matches!(self, Self::CreateConnector | Self::CreateWorkspace) || column == Column::Own
    }

    pub(super) fn document(self) -> &'static str {
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

pub(super) const CREATE_CONNECTOR: &str = "mutation($input: CreateConnectorInput!) { createConnector(input: $input) { connector { slug } userErrors { field message code } } }";
pub(super) const PUBLISH: &str = "mutation($input: PublishVersionInput!) { publishVersion(input: $input) { version { version } userErrors { field message code } } }";
pub(super) const YANK: &str = "mutation($input: YankVersionInput!) { yankVersion(input: $input) { version { version yanked } userErrors { field message code } } }";
pub(super) const UPDATE_LISTING: &str = "mutation($input: UpdateConnectorInput!) { updateConnector(input: $input) { connector { slug summary } userErrors { field message code } } }";
pub(super) const ADD_OWNER: &str = "mutation($input: ConnectorOwnerInput!) { addConnectorOwner(input: $input) { connector { slug } userErrors { field message code } } }";
pub(super) const REMOVE_OWNER: &str = "mutation($input: ConnectorOwnerInput!) { removeConnectorOwner(input: $input) { connector { slug } userErrors { field message code } } }";
pub(super) const CREATE_WORKSPACE: &str = "mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { slug role } userErrors { field message code } } }";
pub(super) const SET_MEMBER: &str = "mutation($input: SetWorkspaceMemberInput!) { setWorkspaceMember(input: $input) { member { role } userErrors { field message code } } }";
pub(super) const REMOVE_MEMBER: &str = "mutation($input: RemoveWorkspaceMemberInput!) { removeWorkspaceMember(input: $input) { user { handle } userErrors { field message code } } }";
pub(super) const SET_ROLE: &str = "mutation($input: SetWorkspaceRoleInput!) { setWorkspaceRole(input: $input) { role { name permissions } userErrors { field message code } } }";
pub(super) const INSTALL: &str = "mutation($input: InstallConnectorInput!) { installConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
pub(super) const EDIT: &str = "mutation($input: EditWorkspaceConnectorInput!) { editWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
pub(super) const RELEASE: &str = "mutation($input: WorkspaceConnectorInput!) { releaseWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
pub(super) const RESTORE: &str = "mutation($input: RestoreWorkspaceConnectorVersionInput!) { restoreWorkspaceConnectorVersion(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
pub(super) const UPDATE_COPY: &str = "mutation($input: UpdateWorkspaceConnectorInput!) { updateWorkspaceConnector(input: $input) { workspaceConnector { id latestNumber releasedNumber } changed userErrors { field message code } } }";
pub(super) const UNINSTALL: &str = "mutation($input: WorkspaceConnectorInput!) { uninstallWorkspaceConnector(input: $input) { uninstalledId userErrors { field message code } } }";
pub(super) const CREATE_RECIPE: &str = "mutation($input: CreateRecipeInput!) { createRecipe(input: $input) { recipe { id state } userErrors { field message code } } }";
pub(super) const UPDATE_RECIPE: &str = "mutation($input: UpdateRecipeInput!) { updateRecipe(input: $input) { recipe { id description } userErrors { field message code } } }";
pub(super) const DELETE_RECIPE: &str = "mutation($input: RecipeRefInput!) { deleteRecipe(input: $input) { recipe { id } userErrors { field message code } } }";
pub(super) const SET_RECIPE_STATE: &str = "mutation($input: SetRecipeStateInput!) { setRecipeState(input: $input) { recipe { id state } userErrors { field message code } } }";
pub(super) const CREATE_CONNECTION: &str = "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { connection { id secretsSet } userErrors { field message code } } }";
pub(super) const UPDATE_CONNECTION: &str = "mutation($input: UpdateConnectionInput!) { updateConnection(input: $input) { connection { id fields secretsSet } userErrors { field message code } } }";
pub(super) const TEST_CONNECTION: &str = "mutation($input: TestConnectionInput!) { testConnection(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
pub(super) const RUN_ACTION: &str = "mutation($input: RunActionInput!) { runAction(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
pub(super) const POLL_TRIGGER: &str = "mutation($input: PollTriggerInput!) { pollTrigger(input: $input) { run { ok error { code message } } userErrors { field message code } } }";
pub(super) const EXPORT_PACKAGE: &str = "mutation($input: ExportPackageInput!) { exportPackage(input: $input) { package { id direction outcome downloadPath } userErrors { field message code } } }";
pub(super) const IMPORT_PACKAGE: &str = "mutation($input: ImportPackageInput!) { importPackage(input: $input) { applied plan { applicable noop } package { id direction outcome } userErrors { field message code } } }";
pub(super) const SET_PACKAGE_POLICY: &str = "mutation($input: SetPackagePolicyInput!) { setPackagePolicy(input: $input) { requireSigned userErrors { field message code } } }";
/// A valid base64 Ed25519 public key (RFC 8032, test 1), trusted by the `setPackagePolicy` cells.
pub(super) const TRUSTED_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
pub(super) const MARK_READ: &str = "mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { marked unreadCount } }";
