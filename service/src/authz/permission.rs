//! The one list of workspace permissions, and what the built-in roles hold.

/// Something a role may allow in a workspace. The wire names (`connector.install`, …) are the
/// object and action of casbin policy lines.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Install a community connector into the workspace.
    ConnectorInstall,
    /// Read connector source code.
    ConnectorViewSource,
    /// Edit, update and restore workspace copies.
    ConnectorEdit,
    /// Release a copy's latest version to recipes.
    ConnectorRelease,
    /// Uninstall a copy.
    ConnectorUninstall,
    /// Run connectors in the debugger console.
    ConnectorTest,
    /// See recipes.
    RecipeRead,
    /// Create, change and delete recipes.
    RecipeWrite,
    /// Start and stop recipes.
    RecipeRun,
    /// Create and change connections, including their secrets.
    ConnectionWrite,
    /// Export packages.
    PackageExport,
    /// Import packages.
    PackageImport,
    /// Add and remove members and assign their roles.
    WorkspaceManageMembers,
    /// Create and change custom roles.
    WorkspaceManageRoles,
    /// Read the audit log.
    AuditRead,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Self::ConnectorInstall,
        Self::ConnectorViewSource,
        Self::ConnectorEdit,
        Self::ConnectorRelease,
        Self::ConnectorUninstall,
        Self::ConnectorTest,
        Self::RecipeRead,
        Self::RecipeWrite,
        Self::RecipeRun,
        Self::ConnectionWrite,
        Self::PackageExport,
        Self::PackageImport,
        Self::WorkspaceManageMembers,
        Self::WorkspaceManageRoles,
        Self::AuditRead,
    ];

    /// `(object, action)` as in the policy lines.
    pub fn parts(self) -> (&'static str, &'static str) {
        match self {
            Self::ConnectorInstall => ("connector", "install"),
            Self::ConnectorViewSource => ("connector", "view_source"),
            Self::ConnectorEdit => ("connector", "edit"),
            Self::ConnectorRelease => ("connector", "release"),
            Self::ConnectorUninstall => ("connector", "uninstall"),
            Self::ConnectorTest => ("connector", "test"),
            Self::RecipeRead => ("recipe", "read"),
            Self::RecipeWrite => ("recipe", "write"),
            Self::RecipeRun => ("recipe", "run"),
            Self::ConnectionWrite => ("connection", "write"),
            Self::PackageExport => ("package", "export"),
            Self::PackageImport => ("package", "import"),
            Self::WorkspaceManageMembers => ("workspace", "manage_members"),
            Self::WorkspaceManageRoles => ("workspace", "manage_roles"),
            Self::AuditRead => ("audit", "read"),
        }
    }

    /// `connector.install`.
    pub fn name(self) -> String {
        let (object, action) = self.parts();
        format!("{object}.{action}")
    }

    pub fn from_parts(object: &str, action: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.parts() == (object, action))
    }

    /// Words for a `FORBIDDEN` message: "you are not allowed to …".
    pub fn describe(self) -> String {
        format!("do this here (it needs the {} permission)", self.name())
    }
}

/// The roles every workspace has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Admin,
    Developer,
    Operator,
    Analyst,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [Self::Admin, Self::Developer, Self::Operator, Self::Analyst];

    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Developer => "developer",
            Self::Operator => "operator",
            Self::Analyst => "analyst",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Admin => "Everything, including members and roles.",
            Self::Developer => {
                "Connectors, recipes, connections and packages; not members or roles."
            }
            Self::Operator => "Sees recipes, starts and stops them, reads the audit log.",
            Self::Analyst => "Sees recipes.",
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            Self::Admin => Permission::ALL.to_vec(),
            Self::Developer => Permission::ALL
                .into_iter()
                .filter(|p| !matches!(p, WorkspaceManageMembers | WorkspaceManageRoles | AuditRead))
                .collect(),
            Self::Operator => vec![RecipeRead, RecipeRun, AuditRead],
            Self::Analyst => vec![RecipeRead],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            let (o, a) = p.parts();
            assert_eq!(Permission::from_parts(o, a), Some(p));
        }
        assert_eq!(Permission::ConnectorInstall.name(), "connector.install");
    }

    #[test]
    fn builtin_roles_follow_the_design() {
        assert_eq!(
            BuiltinRole::Admin.permissions().len(),
            Permission::ALL.len()
        );
        let dev = BuiltinRole::Developer.permissions();
        assert!(dev.contains(&Permission::ConnectorInstall));
        assert!(dev.contains(&Permission::PackageImport));
        assert!(!dev.contains(&Permission::WorkspaceManageMembers));
        assert!(
            !BuiltinRole::Operator
                .permissions()
                .contains(&Permission::ConnectorViewSource)
        );
        assert_eq!(
            BuiltinRole::Analyst.permissions(),
            vec![Permission::RecipeRead]
        );
    }
}
