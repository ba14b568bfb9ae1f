//! Planning imports against in-memory target views.

mod common;

use std::collections::BTreeSet;

use common::*;
use packager::{
    Action, BuildOptions, Credentials, DependencyKind, MissingDependency, Package, Plan, Reason,
    RecipeState, TargetConnection, TargetConnector, TargetRecipe, TargetView, assemble,
    definition_sha256, fields_sha256, plan,
};
use serde_json::json;

fn sample_package() -> Package {
    assemble(&sample_input(), &BuildOptions::default()).expect("assembles")
}

/// What a faithful apply of `plan` leaves behind: the test's stand-in for the api's importer.
fn apply(package: &Package, plan: &Plan, target: &TargetView) -> TargetView {
    let mut next = target.clone();
    for recipe in &package.recipes {
        let state = target
            .recipes
            .get(&recipe.asset_id)
            .map_or(RecipeState::Stopped, |r| r.state);
        next.recipes.insert(
            recipe.asset_id.clone(),
            TargetRecipe {
                folder: recipe.folder.clone(),
                name: recipe.name.clone(),
                description: recipe.description.clone(),
                definition_sha256: definition_sha256(&recipe.definition),
                state,
                connectors: recipe.connector_slugs(),
            },
        );
    }
    for connection in &package.connections {
        let has_credentials = target
            .connections
            .get(&connection.asset_id)
            .is_some_and(|c| c.has_credentials);
        next.connections.insert(
            connection.asset_id.clone(),
            TargetConnection {
                folder: connection.folder.clone(),
                name: connection.name.clone(),
                connector: connection.connector.clone(),
                has_credentials,
                fields_sha256: fields_sha256(&connection.fields),
            },
        );
    }
    for (connector, step) in package.connectors.iter().zip(&plan.connectors) {
        if let Some(version) = step.create_version {
            next.connectors.insert(
                connector.slug.clone(),
                TargetConnector {
                    latest_version: version,
                    released_version: Some(version),
                    released_sha256: Some(connector.sha256.clone()),
                    parent: step.lineage.clone(),
                },
            );
        }
    }
    next
}

fn imported() -> TargetView {
    let package = sample_package();
    let first = plan(&package, &TargetView::default());
    apply(&package, &first, &TargetView::default())
}

fn actions(plan: &Plan) -> Vec<Action> {
    let recipes = plan.recipes.iter().map(|p| p.action);
    let connections = plan.connections.iter().map(|p| p.action);
    let connectors = plan.connectors.iter().map(|p| p.action);
    recipes.chain(connections).chain(connectors).collect()
}

#[test]
fn empty_target_creates_everything() {
    let plan = plan(&sample_package(), &TargetView::default());
    assert!(
        actions(&plan).iter().all(|a| *a == Action::Create),
        "{plan:#?}"
    );
    assert_eq!(actions(&plan).len(), 6);
    for connector in &plan.connectors {
        assert_eq!(
            (connector.create_version, connector.released_version),
            (Some(1), Some(1))
        );
    }
    let slack = plan
        .connectors
        .iter()
        .find(|c| c.slug == "slack")
        .expect("slack");
    assert_eq!(
        slack.lineage.as_ref().map(|p| p.version.as_str()),
        Some("1.2.0")
    );
    assert!(
        plan.connections
            .iter()
            .all(|c| c.credentials == Credentials::NeedsCredentials)
    );
    assert!(plan.restarts.is_empty());
    assert!(plan.missing_dependencies.is_empty());
    assert!(plan.is_applicable());
    assert!(!plan.is_noop());
}

#[test]
fn importing_the_same_package_again_changes_nothing() {
    let target = imported();
    let again = plan(&sample_package(), &target);
    assert!(again.is_noop(), "{again:#?}");
    assert!(actions(&again).iter().all(|a| *a == Action::Unchanged));
    assert!(again.connectors.iter().all(|c| c.create_version.is_none()));
    assert_eq!(apply(&sample_package(), &again, &target), target);
}

#[test]
fn the_plan_is_pure_and_serializable() {
    let target = imported();
    let first = plan(&sample_package(), &target);
    assert_eq!(first, plan(&sample_package(), &target));
    let value = serde_json::to_value(&first).expect("serializes");
    let back: Plan = serde_json::from_value(value).expect("deserializes");
    assert_eq!(back, first);
}

#[test]
fn changed_recipe_is_updated_with_reasons() {
    let mut target = imported();
    let recipe = target.recipes.get_mut(LEAD_SYNC).expect("recipe");
    recipe.definition_sha256 = definition_sha256(&json!({"old": true}));
    recipe.folder = "sales".into();
    let plan = plan(&sample_package(), &target);
    let step = plan
        .recipes
        .iter()
        .find(|r| r.asset_id == LEAD_SYNC)
        .expect("planned");
    assert_eq!(step.action, Action::Update);
    assert_eq!(
        step.reasons,
        [
            Reason::Moved {
                from: "sales".into()
            },
            Reason::DefinitionChanged
        ]
    );
    assert!(plan.is_applicable());
}

#[test]
fn same_name_with_another_asset_id_is_a_conflict() {
    let mut target = imported();
    let recipe = target.recipes.remove(LEAD_SYNC).expect("recipe");
    let squatter = "99999999-3c1e-4d7a-9f6b-1a2b3c4d5e01".to_owned();
    target.recipes.insert(
        squatter.clone(),
        TargetRecipe {
            folder: recipe.folder.to_uppercase(),
            ..recipe
        },
    );
    let plan = plan(&sample_package(), &target);
    let step = plan
        .recipes
        .iter()
        .find(|r| r.asset_id == LEAD_SYNC)
        .expect("planned");
    assert_eq!(step.action, Action::Conflict);
    assert!(
        step.reasons
            .contains(&Reason::PathTaken { asset_id: squatter })
    );
    assert!(!plan.is_applicable());
}

#[test]
fn connections_keep_their_credentials_or_need_them() {
    let mut target = imported();
    target
        .connections
        .get_mut(SLACK_CONN)
        .expect("conn")
        .has_credentials = true;
    let plan = plan(&sample_package(), &target);
    let slack = plan
        .connections
        .iter()
        .find(|c| c.asset_id == SLACK_CONN)
        .expect("slack");
    assert_eq!(
        (slack.action, slack.credentials),
        (Action::Unchanged, Credentials::KeepExisting)
    );
    // Imported earlier as a shell and never filled in: still needs credentials.
    let crm = plan
        .connections
        .iter()
        .find(|c| c.asset_id == CRM_CONN)
        .expect("crm");
    assert_eq!(
        (crm.action, crm.credentials),
        (Action::Unchanged, Credentials::NeedsCredentials)
    );

    // New fields from the package update the connection, credentials stay.
    target
        .connections
        .get_mut(SLACK_CONN)
        .expect("conn")
        .fields_sha256 = "0".repeat(64);
    let plan = packager::plan(&sample_package(), &target);
    let slack = plan
        .connections
        .iter()
        .find(|c| c.asset_id == SLACK_CONN)
        .expect("slack");
    assert_eq!(
        (slack.action, slack.credentials),
        (Action::Update, Credentials::KeepExisting)
    );
    assert_eq!(slack.reasons, [Reason::FieldsChanged]);

    // A new connection is a shell.
    let plan = packager::plan(&sample_package(), &TargetView::default());
    assert!(
        plan.connections
            .iter()
            .all(|c| c.credentials == Credentials::NeedsCredentials)
    );
}

#[test]
fn a_connection_for_another_connector_is_a_conflict() {
    let mut target = imported();
    target
        .connections
        .get_mut(SLACK_CONN)
        .expect("conn")
        .connector = "teams".into();
    let plan = plan(&sample_package(), &target);
    let slack = plan
        .connections
        .iter()
        .find(|c| c.asset_id == SLACK_CONN)
        .expect("slack");
    assert_eq!(slack.action, Action::Conflict);
    assert_eq!(
        slack.reasons,
        [Reason::ConnectorDiffers {
            target: "teams".into()
        }]
    );
}

#[test]
fn running_recipes_are_stopped_and_restarted() {
    let mut target = imported();
    for recipe in target.recipes.values_mut() {
        recipe.state = RecipeState::Running;
    }
    // A running recipe outside the package that uses slack, and a stopped one.
    let outsider = |state| TargetRecipe {
        folder: "ops".into(),
        name: format!("{state:?} outsider"),
        description: String::new(),
        definition_sha256: definition_sha256(&json!({})),
        state,
        connectors: BTreeSet::from(["slack".to_owned()]),
    };
    let running = "aaaaaaaa-0000-4000-8000-000000000001".to_owned();
    let stopped = "aaaaaaaa-0000-4000-8000-000000000002".to_owned();
    target
        .recipes
        .insert(running.clone(), outsider(RecipeState::Running));
    target
        .recipes
        .insert(stopped, outsider(RecipeState::Stopped));

    // Nothing changes: nothing restarts.
    assert!(plan(&sample_package(), &target).restarts.is_empty());

    // The recipe changes: only it restarts.
    target.recipes.get_mut(DIGEST).expect("digest").description = "old".into();
    let changed = plan(&sample_package(), &target);
    assert_eq!(changed.restarts.len(), 1);
    assert_eq!(changed.restarts[0].asset_id, DIGEST);
    assert!(changed.restarts[0].updated);

    // Slack gets a new release: every running recipe using it restarts, also outside the package.
    let slack = target.connectors.get_mut("slack").expect("slack");
    slack.released_sha256 = Some("0".repeat(64));
    slack.latest_version = 4;
    let released = plan(&sample_package(), &target);
    let restarted: BTreeSet<&str> = released
        .restarts
        .iter()
        .map(|r| r.asset_id.as_str())
        .collect();
    assert_eq!(
        restarted,
        BTreeSet::from([DIGEST, LEAD_SYNC, running.as_str()])
    );
    let lead = released
        .restarts
        .iter()
        .find(|r| r.asset_id == LEAD_SYNC)
        .expect("lead");
    assert_eq!(lead.connectors, BTreeSet::from(["slack".to_owned()]));
    assert!(!lead.updated);
}

#[test]
fn connectors_get_a_new_released_version_or_stay() {
    let mut target = imported();
    let slack = target.connectors.get_mut("slack").expect("slack");
    slack.latest_version = 5;
    slack.released_version = Some(3);
    slack.released_sha256 = Some("0".repeat(64));
    slack.parent = None;
    let crm = target.connectors.get_mut("crm-sync").expect("crm");
    crm.parent = Some(packager::ConnectorParent {
        listing: "crm-sync".into(),
        version: "0.9.0".into(),
    });
    let plan = plan(&sample_package(), &target);
    let slack = plan
        .connectors
        .iter()
        .find(|c| c.slug == "slack")
        .expect("slack");
    assert_eq!(slack.action, Action::Update);
    assert_eq!(slack.reasons, [Reason::SourceChanged]);
    assert_eq!(
        (slack.create_version, slack.released_version),
        (Some(6), Some(6))
    );
    assert_eq!(
        slack.lineage.as_ref().map(|p| p.listing.as_str()),
        Some("slack")
    );
    // Same released source: unchanged, and the target's lineage is kept.
    let crm = plan
        .connectors
        .iter()
        .find(|c| c.slug == "crm-sync")
        .expect("crm");
    assert_eq!(
        (crm.action, crm.create_version, crm.released_version),
        (Action::Unchanged, None, Some(1))
    );
    assert_eq!(
        crm.lineage.as_ref().map(|p| p.version.as_str()),
        Some("0.9.0")
    );
}

#[test]
fn installed_but_never_released_connector_is_released_by_the_import() {
    let mut target = imported();
    let slack = target.connectors.get_mut("slack").expect("slack");
    slack.latest_version = 1;
    slack.released_version = None;
    slack.released_sha256 = None;
    let plan = plan(&sample_package(), &target);
    let slack = plan
        .connectors
        .iter()
        .find(|c| c.slug == "slack")
        .expect("slack");
    assert_eq!(
        (slack.action, slack.create_version),
        (Action::Update, Some(2))
    );
    assert_eq!(slack.reasons, [Reason::NotReleased]);
}

#[test]
fn a_connector_from_another_listing_is_a_conflict() {
    let mut target = imported();
    target.connectors.get_mut("slack").expect("slack").parent = Some(packager::ConnectorParent {
        listing: "slack-pro".into(),
        version: "2.0.0".into(),
    });
    let plan = plan(&sample_package(), &target);
    let slack = plan
        .connectors
        .iter()
        .find(|c| c.slug == "slack")
        .expect("slack");
    assert_eq!(slack.action, Action::Conflict);
    assert_eq!(
        slack.reasons,
        [Reason::LineageDiffers {
            target_listing: "slack-pro".into()
        }]
    );
    assert!(!plan.is_applicable());
}

#[test]
fn missing_dependencies_are_listed() {
    let mut input = sample_input();
    input.connectors.retain(|c| c.slug != "crm-sync");
    input.connections.retain(|c| c.asset_id != CRM_CONN);
    let package = assemble(&input, &BuildOptions::default()).expect("assembles");

    let plan = packager::plan(&package, &TargetView::default());
    let missing = |from: &str, kind, to: &str| MissingDependency {
        from: from.into(),
        kind,
        to: to.into(),
    };
    let mut expected = vec![
        missing(LEAD_SYNC, DependencyKind::Connector, "crm-sync"),
        missing(LEAD_SYNC, DependencyKind::Connection, CRM_CONN),
        missing(DIGEST, DependencyKind::Connector, "crm-sync"),
    ];
    expected.sort();
    assert_eq!(plan.missing_dependencies, expected);
    assert!(!plan.is_applicable());

    // The target has the connector but never released it: still missing.
    let mut target = TargetView::default();
    target.connectors.insert(
        "crm-sync".into(),
        TargetConnector {
            latest_version: 1,
            released_version: None,
            released_sha256: None,
            parent: None,
        },
    );
    assert_eq!(
        packager::plan(&package, &target).missing_dependencies.len(),
        3
    );

    // Released in the target, and the connection exists there: nothing missing.
    target
        .connectors
        .get_mut("crm-sync")
        .expect("crm")
        .released_version = Some(1);
    target.connections.insert(
        CRM_CONN.into(),
        TargetConnection {
            folder: "shared".into(),
            name: "CRM".into(),
            connector: "crm-sync".into(),
            has_credentials: true,
            fields_sha256: String::new(),
        },
    );
    let plan = packager::plan(&package, &target);
    assert!(
        plan.missing_dependencies.is_empty(),
        "{:?}",
        plan.missing_dependencies
    );
    assert!(plan.is_applicable());
}

#[test]
fn fingerprint_follows_the_target_and_the_package() {
    let target = imported();
    let plan = plan(&sample_package(), &target);
    let fingerprint = plan.fingerprint(&target);
    assert_eq!(fingerprint.len(), 64);
    assert_eq!(fingerprint, plan.fingerprint(&target.clone()));

    let mut changed = target.clone();
    changed.recipes.get_mut(DIGEST).expect("digest").state = RecipeState::Running;
    assert_ne!(plan.fingerprint(&changed), fingerprint);

    let mut changed = target.clone();
    changed
        .connections
        .get_mut(CRM_CONN)
        .expect("crm")
        .has_credentials = true;
    assert_ne!(plan.fingerprint(&changed), fingerprint);

    let mut other_input = sample_input();
    other_input.exporter = "bob".into();
    let other = assemble(&other_input, &BuildOptions::default()).expect("assembles");
    assert_ne!(
        packager::plan(&other, &target).fingerprint(&target),
        fingerprint
    );
}
