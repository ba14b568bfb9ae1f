//! Builders for tests: sample assets, and raw zip tools to make hostile archives in code.
#![allow(dead_code)]

use std::collections::BTreeMap;

use packager::{
    BuildOptions, CatalogReference, Connection, ConnectorAsset, ConnectorContent, ConnectorParent,
    PackageInput, PackageSource, Recipe, RecipeState, canonical::sha256_hex,
};
use serde_json::{Value, json};

pub const PACKAGE_ID: &str = "6f1c1f3e-8a51-4a4e-9a0e-0d8f3b0c2a11";
pub const LEAD_SYNC: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e01";
pub const DIGEST: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e02";
pub const SLACK_CONN: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e03";
pub const CRM_CONN: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e04";
pub const INVOICES: &str = "0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e05";

pub fn recipe(asset_id: &str, folder: &str, name: &str, definition: Value) -> Recipe {
    Recipe {
        asset_id: asset_id.to_owned(),
        folder: folder.to_owned(),
        name: name.to_owned(),
        description: format!("{name}, for tests"),
        definition,
        state: RecipeState::Stopped,
    }
}

pub fn connection(asset_id: &str, folder: &str, name: &str, connector: &str) -> Connection {
    let mut fields = BTreeMap::new();
    fields.insert("workspace".to_owned(), json!("acme"));
    fields.insert("region".to_owned(), json!({"name": "eu", "zone": 2}));
    Connection {
        asset_id: asset_id.to_owned(),
        folder: folder.to_owned(),
        name: name.to_owned(),
        connector: connector.to_owned(),
        fields,
    }
}

pub fn connector(slug: &str, source: &str, parent: Option<(&str, &str)>) -> ConnectorAsset {
    ConnectorAsset {
        slug: slug.to_owned(),
        name: format!("{slug} connector"),
        workspace_version: 3,
        content: ConnectorContent::Source(source.to_owned()),
        sha256: sha256_hex(source.as_bytes()),
        parent: parent.map(|(listing, version)| ConnectorParent {
            listing: listing.to_owned(),
            version: version.to_owned(),
        }),
    }
}

/// The closed source of the `erp` connector in [`referencing_input`]: it never enters a package.
pub const CLOSED_SOURCE: &str =
    "export default { title: \"ERP\", secret_sauce: \"closed-source-line-7f3a\" };\n";

/// A connector that travels by reference to `version` of its own listing, whose source is `source`.
pub fn referenced_connector(slug: &str, version: &str, source: &str) -> ConnectorAsset {
    let sha256 = sha256_hex(source.as_bytes());
    ConnectorAsset {
        slug: slug.to_owned(),
        name: format!("{slug} connector"),
        workspace_version: 2,
        content: ConnectorContent::Reference(CatalogReference {
            listing: slug.to_owned(),
            version: version.to_owned(),
            sha256: sha256.clone(),
        }),
        sha256,
        parent: Some(ConnectorParent {
            listing: slug.to_owned(),
            version: version.to_owned(),
        }),
    }
}

/// The sample plus a recipe using `erp`, a closed-source connector that travels by reference to
/// `erp` 1.1.0 (whose source is [`CLOSED_SOURCE`]).
pub fn referencing_input() -> PackageInput {
    let mut input = sample_input();
    let invoices = json!({
        "trigger": {"connector": "erp", "trigger": "new_invoice", "input": {}},
        "steps": [{"connector": "slack", "action": "post_message", "input": {"text": "invoice"}}]
    });
    input
        .recipes
        .push(recipe(INVOICES, "finance", "Invoices", invoices));
    input
        .connectors
        .push(referenced_connector("erp", "1.1.0", CLOSED_SOURCE));
    input
}

pub fn referencing_archive() -> Vec<u8> {
    packager::build(&referencing_input(), &BuildOptions::default()).expect("the sample builds")
}

/// Two recipes, two connections, two connectors; every dependency inside the package.
pub fn sample_input() -> PackageInput {
    let lead_sync = json!({
        "trigger": {"connector": "slack", "trigger": "new_message", "connection": SLACK_CONN,
                    "input": {"channel": "#leads"}},
        "steps": [
            {"connector": "crm-sync", "action": "upsert_lead", "connection": CRM_CONN,
             "input": {"email": "{{trigger.email}}"}},
            {"connector": "slack", "action": "post_message", "connection": SLACK_CONN,
             "input": {"text": "synced"}}
        ]
    });
    let digest = json!({
        "trigger": {"connector": "crm-sync", "trigger": "daily", "input": {}},
        "steps": [{"connector": "slack", "action": "post_message", "input": {"text": "digest"}}]
    });
    PackageInput {
        package_id: PACKAGE_ID.to_owned(),
        created_at: "2026-05-01T12:00:00Z".to_owned(),
        source: PackageSource {
            workspace: "acme-dev".to_owned(),
            environment: "development".to_owned(),
        },
        exporter: "alice".to_owned(),
        // Deliberately not in path order: build sorts.
        recipes: vec![
            recipe(LEAD_SYNC, "sales/leads", "Sync leads (v2)", lead_sync),
            recipe(DIGEST, "", "Daily digest", digest),
        ],
        connections: vec![
            connection(SLACK_CONN, "shared", "Slack", "slack"),
            connection(CRM_CONN, "shared", "CRM", "crm-sync"),
        ],
        connectors: vec![
            connector(
                "slack",
                "export default { title: \"Slack\" };\n",
                Some(("slack", "1.2.0")),
            ),
            connector(
                "crm-sync",
                "export default { title: \"CRM sync\" };\n",
                None,
            ),
        ],
    }
}

pub fn sample_archive() -> Vec<u8> {
    packager::build(&sample_input(), &BuildOptions::default()).expect("the sample builds")
}

/// The raw zip tools, shared with the end-to-end tests (each test binary uses some of them).
#[allow(unused_imports)]
pub use packager::testing::{
    archive_named, central_directory_offset, edit_manifest, lie_about_first_size, options,
    patch_bytes, repack, unpack, zip_of,
};

pub fn signing_key(seed: u8) -> packager::SigningKey {
    packager::SigningKey::from_bytes(&[seed; 32])
}
