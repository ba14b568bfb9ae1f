//! Applying a plan: production gets what development exported, a fault in the middle changes
//! nothing, and a package without a parent keeps the target's lineage.

use super::*;

async fn apply_does_what_was_planned(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let (dry, applied) = plan_and_apply(&dev.app, &dev.admin, &archive).await?;
    assert_eq!(counts(&applied), counts(&dry));
    assert_eq!(applied["fingerprint"], fingerprint(&dry).as_str());
    assert_eq!(applied["package"]["outcome"], "applied");
    dev.app.stop().await
}

tests::on_both_backends!(
    applying_with_the_dry_runs_fingerprint_does_what_was_planned,
    super::apply_does_what_was_planned
);

/// The first round applied: the server and production's state.
async fn arrange_first_apply(backend: Backend) -> anyhow::Result<(Dev, Value)> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    plan_and_apply(&dev.app, &dev.admin, &archive).await?;
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    Ok((dev, prod))
}

async fn recipes_arrive_stopped(backend: Backend) -> anyhow::Result<()> {
    let (dev, prod) = arrange_first_apply(backend).await?;
    let dev_sales = development_sales(&dev).await?;
    assert_eq!(recipes_of(&prod), dev_sales);
    assert_eq!(dev_sales.len(), 2);
    for r in prod["recipes"].as_array().into_iter().flatten() {
        assert_eq!(
            r["state"], "STOPPED",
            "imported recipes are created stopped: {r}"
        );
    }
    dev.app.stop().await
}

tests::on_both_backends!(
    applied_recipes_are_developments_and_arrive_stopped,
    super::recipes_arrive_stopped
);

async fn connector_arrives_released(backend: Backend) -> anyhow::Result<()> {
    let (dev, prod) = arrange_first_apply(backend).await?;
    let prod_copy = &prod["connectors"][0];
    assert_eq!(prod["connectors"].as_array().map(Vec::len), Some(1));
    assert_eq!(prod_copy["listing"]["slug"], LISTING);
    assert_eq!(prod_copy["parentVersion"], json!({ "version": "1.0.0" }));
    assert_eq!(prod_copy["latestNumber"], 1);
    assert_eq!(prod_copy["releasedNumber"], 1);
    let assets = &dev.assets;
    assert_eq!(
        prod_copy["released"]["sha256"],
        assets.released_sha256.as_str()
    );
    assert_eq!(prod_copy["released"]["origin"], "IMPORTED");
    assert_eq!(
        prod_copy["released"]["source"],
        assets.released_source.as_str()
    );
    let dev_state = state_of(&dev.app, &dev.admin, "acme-dev").await?;
    assert_eq!(
        dev_state["connectors"][0]["released"]["sha256"],
        prod_copy["released"]["sha256"]
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    an_applied_connector_is_released_as_imported_at_developments_source_and_lineage,
    super::connector_arrives_released
);

async fn connection_arrives_without_secrets(backend: Backend) -> anyhow::Result<()> {
    let (dev, prod) = arrange_first_apply(backend).await?;
    assert_eq!(
        prod["connections"],
        json!([{ "assetId": dev.assets.connection_asset(), "folder": "shared", "name": "Tracker",
                 "fields": { "region": "eu-west" }, "secretsSet": [] }])
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    an_applied_connection_arrives_with_its_fields_and_no_secret,
    super::connection_arrives_without_secrets
);

async fn interrupted_apply(backend: Backend) -> anyhow::Result<()> {
    let app =
        TestApp::spawn_with(backend, |config| config.fail_import_after_assets = Some(1)).await?;
    let Dev { app, admin, .. } = arrange_dev_on(app).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    // Everything: three recipes, a connection and a connector.
    let (_, archive) = export_folders(&app, &admin, &[""]).await?;
    let dry = import(&app, &admin, "acme-prod", &archive, true, None).await?;
    assert_eq!(dry["plan"]["creates"], 5, "{dry}");

    let before = db_signature(&app).await?;
    let body = import_raw(
        &app,
        &admin,
        "acme-prod",
        &archive,
        false,
        Some(&fingerprint(&dry)),
    )
    .await?;
    assert_eq!(error_code(&body), Some("INTERNAL_SERVER_ERROR"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    // The client is told the generic message, exactly: no detail of the injected fault.
    assert_eq!(
        body["errors"][0]["message"], "internal server error",
        "internal details reach the client: {body}"
    );
    assert_eq!(
        written_since(&app, &before).await?,
        Vec::<String>::new(),
        "an interrupted apply left changes behind"
    );
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["recipes"], json!([]));
    assert_eq!(prod["connections"], json!([]));
    assert_eq!(prod["connectors"], json!([]));
    app.stop().await
}

tests::on_both_backends!(
    a_fault_in_the_middle_of_an_apply_changes_nothing,
    super::interrupted_apply
);

/// `docs/package-format.md`, Plan: "`lineage` is the package's parent, or the target's when the
/// package has none". A connector updated by a package that carries no parent keeps the target
/// copy's community lineage.
async fn lineage_kept_without_parent(backend: Backend) -> anyhow::Result<()> {
    let (Dev { app, admin, .. }, _, archive) = arrange_sales_export(backend).await?;
    import(&app, &admin, "acme-prod", &archive, false, None).await?;

    // The same package with a changed source and no parent.
    let mut source = String::new();
    let orphan = rebuilt(&read(&archive)?, |input| {
        if let Some(connector) = input.connectors.first_mut() {
            source = connector.source().unwrap_or_default().replace(
                EDITED_DESCRIPTION,
                "  description: \"Tracker, built in house\",",
            );
            connector.sha256 = sha256_hex(&source);
            connector.content = packager::ConnectorContent::Source(source.clone());
            connector.parent = None;
        }
    })?;
    anyhow::ensure!(
        source.contains("built in house"),
        "the package carries the source"
    );
    let dry = import(&app, &admin, "acme-prod", &orphan, true, None).await?;
    let plan = &dry["plan"]["detail"]["connectors"][0];
    assert_eq!(plan["action"], "update", "{dry}");
    assert_eq!(
        plan["lineage"],
        json!({ "listing": LISTING, "version": "1.0.0" }),
        "{dry}"
    );
    import(&app, &admin, "acme-prod", &orphan, false, None).await?;
    let prod = state_of(&app, &admin, "acme-prod").await?;
    assert_eq!(prod["connectors"][0]["releasedNumber"], 2);
    assert_eq!(
        prod["connectors"][0]["parentVersion"],
        json!({ "version": "1.0.0" }),
        "the plan promised to keep the target's lineage: {}",
        prod["connectors"][0]["parentVersion"]
    );
    app.stop().await
}

tests::on_both_backends!(
    a_package_without_a_parent_keeps_the_targets_lineage,
    super::lineage_kept_without_parent
);
