//! Importing into a workspace that holds the package's assets already: an update keeps what runs
//! running, the same package again is a no-op, and each workspace keeps its own credentials.

use super::*;

async fn update_keeps_what_runs(backend: Backend) -> anyhow::Result<()> {
    let TwoRounds {
        dev,
        prod_after_first,
        dry,
        applied,
        ..
    } = arrange_two_rounds(backend).await?;
    assert_eq!(counts(&applied), counts(&dry));
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    assert_eq!(recipes_of(&prod), development_sales(&dev).await?);
    // The running recipe keeps running; the connector was not re-released.
    assert_eq!(
        find(&prod["recipes"], "assetId", &dev.assets.sync.1)?["state"],
        "RUNNING"
    );
    assert_eq!(prod["connectors"], prod_after_first["connectors"]);
    dev.app.stop().await
}

tests::on_both_backends!(
    an_update_keeps_running_recipes_running_and_an_unchanged_connector_unreleased,
    super::update_keeps_what_runs
);

async fn same_package_again_is_a_noop(backend: Backend) -> anyhow::Result<()> {
    let rounds = arrange_two_rounds(backend).await?;
    let dev = &rounds.dev;
    let prod_before = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    let (again, written) = apply_again(&rounds).await?;
    assert_eq!(
        counts(&again),
        json!({ "applicable": true, "noop": true, "creates": 0, "updates": 0, "unchanged": 4,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 0,
                "missingDependencies": 0 })
    );
    // Only the history and the audit log record the no-op import.
    assert_eq!(
        written,
        Vec::<String>::new(),
        "a no-op import wrote to these tables"
    );
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    assert_eq!(prod["recipes"], prod_before["recipes"]);
    assert_eq!(prod["connectors"], prod_before["connectors"]);
    rounds.dev.app.stop().await
}

tests::on_both_backends!(
    applying_the_same_package_again_writes_only_the_history_and_the_audit_log,
    super::same_package_again_is_a_noop
);

async fn credentials_survive_imports(backend: Backend) -> anyhow::Result<()> {
    let rounds = arrange_two_rounds(backend).await?;
    apply_again(&rounds).await?;
    let dev = rounds.dev;
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    assert_eq!(prod["connections"][0]["secretsSet"], json!(["api_key"]));
    assert_eq!(
        prod["connections"][0]["fields"],
        json!({ "region": "eu-west" })
    );
    let secrets = secrets_of(&dev.app, &dev.assets.connection_asset()).await?;
    assert_eq!(
        secrets,
        vec![
            json!({ "api_key": DEV_SECRET }),
            json!({ "api_key": PROD_SECRET })
        ],
        "each workspace keeps its own secret"
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    each_workspace_keeps_its_own_credentials_across_every_import,
    super::credentials_survive_imports
);

/// The import stops the running recipe it changes before applying and starts it again after,
/// each on production's audit log (after the admin's own start), naming the package.
async fn restarts_are_audited(backend: Backend) -> anyhow::Result<()> {
    let TwoRounds { dev, second, .. } = arrange_two_rounds(backend).await?;
    let log = dev
        .app
        .data(
            Some(&dev.admin),
            "query($ws: String!) { workspace(slug: $ws) { auditEvents(first: 100) { action objectType objectId outcome detail } } }",
            json!({ "ws": "acme-prod" }),
        )
        .await?;
    let sync = &dev.assets.sync.1;
    let mut states: Vec<Value> = log["workspace"]["auditEvents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "recipe.run" && e["objectId"] == *sync)
        .map(|e| {
            serde_json::from_str(e["detail"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
        })
        .collect();
    states.reverse();
    let package = &second["packageId"];
    assert_eq!(
        states,
        vec![
            json!({ "state": "running" }),
            json!({ "state": "stopped", "by": "import", "package": package }),
            json!({ "state": "running", "by": "import", "package": package }),
        ],
        "{log}"
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    an_import_stops_and_restarts_the_running_recipe_it_changes_on_the_audit_log,
    super::restarts_are_audited
);
