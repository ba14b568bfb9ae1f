//! Planning an import: what a package would do to a target workspace, computed from an in-memory
//! view of that workspace. Pure: no database, no clock, no randomness.
//!
//! Assets are matched by asset id (connectors by slug). Per asset the action is `create`, `update`,
//! `unchanged` or `conflict`, with reasons. New recipes are created stopped; recipes the target
//! already holds keep their state, and running ones that the import touches (their definition
//! changes, or a connector they use gets a new released version) are stopped and restarted.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{sha256_hex, to_canonical_bytes};
use crate::model::{Connection, ConnectorAsset, ConnectorParent, Package, Recipe, RecipeState};

/// What the target workspace holds now, as far as an import cares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    /// By asset id.
    pub recipes: BTreeMap<String, TargetRecipe>,
    /// By asset id.
    pub connections: BTreeMap<String, TargetConnection>,
    /// By slug.
    pub connectors: BTreeMap<String, TargetConnector>,
    /// What the target server's catalog holds for the package's catalog references (see
    /// [`Package::references`]): by listing slug, by version, the sha256 of that version's
    /// source. A listing the catalog lacks is absent; a listing it has maps the referenced
    /// versions it has. Left out of the serialized view when empty, so packages without
    /// references fingerprint as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub catalog: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRecipe {
    pub folder: String,
    pub name: String,
    pub description: String,
    /// [`definition_sha256`] of the recipe's definition.
    pub definition_sha256: String,
    pub state: RecipeState,
    /// Slugs of the connectors its definition names (see [`Recipe::connector_slugs`]), so that
    /// recipes outside the package are restarted too when a connector they use is released.
    pub connectors: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConnection {
    pub folder: String,
    pub name: String,
    pub connector: String,
    /// Whether its secret fields are filled in.
    pub has_credentials: bool,
    /// [`fields_sha256`] of its non-secret fields.
    pub fields_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConnector {
    pub latest_version: i32,
    pub released_version: Option<i32>,
    pub released_sha256: Option<String>,
    pub parent: Option<ConnectorParent>,
}

/// The digest the target view keeps of a recipe definition: sha256 of its canonical JSON.
pub fn definition_sha256(definition: &Value) -> String {
    digest(definition)
}

/// The digest the target view keeps of a connection's non-secret fields.
pub fn fields_sha256(fields: &BTreeMap<String, Value>) -> String {
    digest(fields)
}

fn digest<T: Serialize>(value: &T) -> String {
    // Maps with string keys and JSON values always serialize; an error here is a bug.
    let bytes = to_canonical_bytes(value).expect("in-memory JSON always serializes");
    sha256_hex(&bytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    Conflict,
}

/// Why an asset got its action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The target has no asset with this id (or slug).
    NotInTarget,
    Moved {
        from: String,
    },
    Renamed {
        from: String,
    },
    DescriptionChanged,
    DefinitionChanged,
    FieldsChanged,
    /// The target holds another asset at the same folder and name (compared ignoring case).
    PathTaken {
        asset_id: String,
    },
    /// The target's connection with this id is for another connector.
    ConnectorDiffers {
        target: String,
    },
    /// The released source in the target differs from the package's.
    SourceChanged,
    /// The target has the connector but never released a version.
    NotReleased,
    /// The target's copy descends from another community listing.
    LineageDiffers {
        target_listing: String,
    },
    /// The connector travels by reference to a listing the target's catalog does not have.
    UnknownListing {
        listing: String,
    },
    /// The connector travels by reference to a version its listing does not have here.
    UnknownVersion {
        listing: String,
        version: String,
    },
    /// The referenced catalog version exists here, but its source is not the one the package
    /// pins.
    CatalogSha256Differs {
        listing: String,
        version: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipePlan {
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
}

/// What happens to a connection's secret fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    /// The target's connection and its credentials stay.
    KeepExisting,
    /// A shell without credentials is created (or the existing one has none): someone must fill
    /// them in before recipes using it can run.
    NeedsCredentials,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPlan {
    pub asset_id: String,
    pub folder: String,
    pub name: String,
    pub connector: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
    pub credentials: Credentials,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorPlan {
    pub slug: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
    /// The workspace version the import creates (latest + 1, or 1 for a new connector) and
    /// releases; `None` when nothing is created.
    pub create_version: Option<i32>,
    /// The released workspace version after the import.
    pub released_version: Option<i32>,
    /// The community parent the connector has after the import: the package's, or the target's
    /// when the package carries none.
    pub lineage: Option<ConnectorParent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyKind {
    Connector,
    Connection,
}

/// An asset of the package needs something neither the package nor the target has (a connector
/// counts only if it has a released version, in the target or in the package).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MissingDependency {
    pub from: String,
    pub kind: DependencyKind,
    /// A slug or an asset id.
    pub to: String,
}

/// A running recipe of the target that the import stops and restarts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Restart {
    pub asset_id: String,
    /// Slugs of connectors released by the import that it uses.
    pub connectors: BTreeSet<String>,
    /// Whether the import changes the recipe itself.
    pub updated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub package_id: String,
    /// sha256 of the canonical manifest the plan was made from.
    pub manifest_sha256: String,
    pub recipes: Vec<RecipePlan>,
    pub connections: Vec<ConnectionPlan>,
    pub connectors: Vec<ConnectorPlan>,
    pub restarts: Vec<Restart>,
    pub missing_dependencies: Vec<MissingDependency>,
}

impl Plan {
    fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        let recipes = self.recipes.iter().map(|p| p.action);
        let connections = self.connections.iter().map(|p| p.action);
        let connectors = self.connectors.iter().map(|p| p.action);
        recipes.chain(connections).chain(connectors)
    }

    pub fn has_conflicts(&self) -> bool {
        self.actions().any(|a| a == Action::Conflict)
    }

    /// No conflicts and no missing dependencies: the plan may be applied.
    pub fn is_applicable(&self) -> bool {
        !self.has_conflicts() && self.missing_dependencies.is_empty()
    }

    /// Every asset unchanged: applying would change nothing.
    pub fn is_noop(&self) -> bool {
        self.actions().all(|a| a == Action::Unchanged) && self.restarts.is_empty()
    }

    /// A digest of the package's manifest and of `target`: apply recomputes it against the target
    /// as it is then, and refuses if it differs from the one the dry run returned.
    pub fn fingerprint(&self, target: &TargetView) -> String {
        let mut message = b"patchbay-plan-fingerprint-v1\n".to_vec();
        message.extend(self.manifest_sha256.as_bytes());
        message.push(b'\n');
        message.extend(digest(target).as_bytes());
        message.push(b'\n');
        sha256_hex(&message)
    }
}

/// Plan importing `package` into the workspace `target` describes.
pub fn plan(package: &Package, target: &TargetView) -> Plan {
    let connectors: Vec<ConnectorPlan> = package
        .connectors
        .iter()
        .map(|c| plan_connector(c, target))
        .collect();
    let released: BTreeSet<&str> = connectors
        .iter()
        .filter(|p| p.create_version.is_some())
        .map(|p| p.slug.as_str())
        .collect();
    let recipes: Vec<RecipePlan> = package
        .recipes
        .iter()
        .map(|r| plan_recipe(r, target))
        .collect();
    Plan {
        package_id: package.manifest.package_id.clone(),
        manifest_sha256: digest(&package.manifest),
        restarts: restarts(package, &recipes, &released, target),
        missing_dependencies: missing_dependencies(package, target),
        connections: package
            .connections
            .iter()
            .map(|c| plan_connection(c, target))
            .collect(),
        recipes,
        connectors,
    }
}

/// Another target asset at `folder`/`name` (ignoring case), other than `asset_id`.
fn path_taken<'a, T>(
    items: &'a BTreeMap<String, T>,
    asset_id: &str,
    folder: &str,
    name: &str,
    key: impl Fn(&T) -> (&str, &str),
) -> Option<&'a String> {
    items.iter().find_map(|(id, item)| {
        let (f, n) = key(item);
        let same = f.eq_ignore_ascii_case(folder) && n.eq_ignore_ascii_case(name);
        (same && id != asset_id).then_some(id)
    })
}

fn moved_or_renamed(reasons: &mut Vec<Reason>, from: (&str, &str), to: (&str, &str)) {
    if from.0 != to.0 {
        reasons.push(Reason::Moved {
            from: from.0.to_owned(),
        });
    }
    if from.1 != to.1 {
        reasons.push(Reason::Renamed {
            from: from.1.to_owned(),
        });
    }
}

fn action_for(reasons: &[Reason], existing: bool) -> Action {
    let conflict = reasons.iter().any(|r| {
        matches!(
            r,
            Reason::PathTaken { .. }
                | Reason::ConnectorDiffers { .. }
                | Reason::LineageDiffers { .. }
                | Reason::UnknownListing { .. }
                | Reason::UnknownVersion { .. }
                | Reason::CatalogSha256Differs { .. }
        )
    });
    match (conflict, existing, reasons.is_empty()) {
        (true, _, _) => Action::Conflict,
        (false, false, _) => Action::Create,
        (false, true, true) => Action::Unchanged,
        (false, true, false) => Action::Update,
    }
}

fn plan_recipe(recipe: &Recipe, target: &TargetView) -> RecipePlan {
    let mut reasons = Vec::new();
    let existing = target.recipes.get(&recipe.asset_id);
    match existing {
        None => reasons.push(Reason::NotInTarget),
        Some(current) => {
            let from = (current.folder.as_str(), current.name.as_str());
            moved_or_renamed(&mut reasons, from, (&recipe.folder, &recipe.name));
            if current.description != recipe.description {
                reasons.push(Reason::DescriptionChanged);
            }
            if current.definition_sha256 != definition_sha256(&recipe.definition) {
                reasons.push(Reason::DefinitionChanged);
            }
        }
    }
    let taken = path_taken(
        &target.recipes,
        &recipe.asset_id,
        &recipe.folder,
        &recipe.name,
        |r| (&r.folder, &r.name),
    );
    if let Some(other) = taken {
        reasons.push(Reason::PathTaken {
            asset_id: other.clone(),
        });
    }
    let action = action_for(&reasons, existing.is_some());
    RecipePlan {
        asset_id: recipe.asset_id.clone(),
        folder: recipe.folder.clone(),
        name: recipe.name.clone(),
        action,
        reasons,
    }
}

fn plan_connection(connection: &Connection, target: &TargetView) -> ConnectionPlan {
    let mut reasons = Vec::new();
    let existing = target.connections.get(&connection.asset_id);
    match existing {
        None => reasons.push(Reason::NotInTarget),
        Some(current) => {
            if current.connector != connection.connector {
                reasons.push(Reason::ConnectorDiffers {
                    target: current.connector.clone(),
                });
            }
            let from = (current.folder.as_str(), current.name.as_str());
            moved_or_renamed(&mut reasons, from, (&connection.folder, &connection.name));
            if current.fields_sha256 != fields_sha256(&connection.fields) {
                reasons.push(Reason::FieldsChanged);
            }
        }
    }
    let (id, folder, name) = (&connection.asset_id, &connection.folder, &connection.name);
    if let Some(other) = path_taken(&target.connections, id, folder, name, |c| {
        (&c.folder, &c.name)
    }) {
        reasons.push(Reason::PathTaken {
            asset_id: other.clone(),
        });
    }
    let action = action_for(&reasons, existing.is_some());
    let credentials = match existing {
        Some(current) if current.has_credentials => Credentials::KeepExisting,
        _ => Credentials::NeedsCredentials,
    };
    ConnectionPlan {
        asset_id: connection.asset_id.clone(),
        folder: connection.folder.clone(),
        name: connection.name.clone(),
        connector: connection.connector.clone(),
        action,
        reasons,
        credentials,
    }
}

/// Why the connector's catalog reference does not resolve in the target, if it travels by one.
/// Checked whatever else the plan says: a reference that does not resolve is refused even when
/// the target already holds the same source.
fn unresolved_reference(connector: &ConnectorAsset, target: &TargetView) -> Option<Reason> {
    let reference = connector.reference()?;
    let (listing, version) = (reference.listing.clone(), reference.version.clone());
    let Some(versions) = target.catalog.get(&reference.listing) else {
        return Some(Reason::UnknownListing { listing });
    };
    match versions.get(&reference.version) {
        None => Some(Reason::UnknownVersion { listing, version }),
        Some(sha256) if *sha256 != reference.sha256 => {
            Some(Reason::CatalogSha256Differs { listing, version })
        }
        Some(_) => None,
    }
}

fn plan_connector(connector: &ConnectorAsset, target: &TargetView) -> ConnectorPlan {
    let mut reasons = Vec::new();
    let Some(current) = target.connectors.get(&connector.slug) else {
        reasons.push(Reason::NotInTarget);
        reasons.extend(unresolved_reference(connector, target));
        let action = action_for(&reasons, false);
        let created = (action == Action::Create).then_some(1);
        return ConnectorPlan {
            slug: connector.slug.clone(),
            action,
            reasons,
            create_version: created,
            released_version: created,
            lineage: created.and(connector.parent.clone()),
        };
    };
    if let (Some(ours), Some(theirs)) = (&connector.parent, &current.parent)
        && ours.listing != theirs.listing
    {
        reasons.push(Reason::LineageDiffers {
            target_listing: theirs.listing.clone(),
        });
    }
    match &current.released_sha256 {
        None => reasons.push(Reason::NotReleased),
        Some(sha) if *sha != connector.sha256 => reasons.push(Reason::SourceChanged),
        Some(_) => {}
    }
    reasons.extend(unresolved_reference(connector, target));
    let action = action_for(&reasons, true);
    let (create_version, released_version, lineage) = match action {
        Action::Update => {
            let next = current.latest_version.saturating_add(1);
            let lineage = connector.parent.clone().or_else(|| current.parent.clone());
            (Some(next), Some(next), lineage)
        }
        _ => (None, current.released_version, current.parent.clone()),
    };
    ConnectorPlan {
        slug: connector.slug.clone(),
        action,
        reasons,
        create_version,
        released_version,
        lineage,
    }
}

fn restarts(
    package: &Package,
    recipes: &[RecipePlan],
    released: &BTreeSet<&str>,
    target: &TargetView,
) -> Vec<Restart> {
    let updated: BTreeSet<&str> = recipes
        .iter()
        .filter(|p| p.action == Action::Update)
        .map(|p| p.asset_id.as_str())
        .collect();
    let incoming: BTreeMap<&str, &Recipe> = package
        .recipes
        .iter()
        .map(|r| (r.asset_id.as_str(), r))
        .collect();
    target
        .recipes
        .iter()
        .filter(|(_, r)| r.state == RecipeState::Running)
        .filter_map(|(id, current)| {
            let mut uses = current.connectors.clone();
            if let Some(recipe) = incoming.get(id.as_str()) {
                uses.extend(recipe.connector_slugs());
            }
            uses.retain(|slug| released.contains(slug.as_str()));
            let is_updated = updated.contains(id.as_str());
            (is_updated || !uses.is_empty()).then(|| Restart {
                asset_id: id.clone(),
                connectors: uses,
                updated: is_updated,
            })
        })
        .collect()
}

fn missing_dependencies(package: &Package, target: &TargetView) -> Vec<MissingDependency> {
    let has_connector = |slug: &str| {
        package.connectors.iter().any(|c| c.slug == slug)
            || target
                .connectors
                .get(slug)
                .is_some_and(|c| c.released_version.is_some())
    };
    let has_connection = |id: &str| {
        package.connections.iter().any(|c| c.asset_id == id) || target.connections.contains_key(id)
    };
    let mut missing = BTreeSet::new();
    let mut need = |from: &str, kind, to: &str| {
        missing.insert(MissingDependency {
            from: from.to_owned(),
            kind,
            to: to.to_owned(),
        });
    };
    for recipe in &package.recipes {
        for slug in recipe.connector_slugs() {
            if !has_connector(&slug) {
                need(&recipe.asset_id, DependencyKind::Connector, &slug);
            }
        }
        for id in recipe.connection_ids() {
            if !has_connection(&id) {
                need(&recipe.asset_id, DependencyKind::Connection, &id);
            }
        }
    }
    for connection in &package.connections {
        if !has_connector(&connection.connector) {
            need(
                &connection.asset_id,
                DependencyKind::Connector,
                &connection.connector,
            );
        }
    }
    missing.into_iter().collect()
}
