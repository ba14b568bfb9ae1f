//! Dry runs: what importing would do, and that planning changes no asset.

use super::*;

async fn empty_target_plans_creates(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let dry = import(&dev.app, &dev.admin, "acme-prod", &archive, true, None).await?;
    assert_eq!(
        counts(&dry),
        json!({ "applicable": true, "noop": false, "creates": 4, "updates": 0, "unchanged": 0,
                "conflicts": 0, "connectionsNeedingCredentials": 1, "restarts": 0,
                "missingDependencies": 0 })
    );
    let detail = &dry["plan"]["detail"];
    assert_eq!(detail["connectors"][0]["slug"], LISTING);
    assert_eq!(detail["connectors"][0]["action"], "create");
    assert_eq!(detail["connectors"][0]["create_version"], 1);
    assert_eq!(
        detail["connectors"][0]["lineage"],
        json!({ "listing": LISTING, "version": "1.0.0" })
    );
    assert_eq!(detail["connections"][0]["credentials"], "needs_credentials");
    assert_eq!(dry["package"]["outcome"], "planned");
    assert_eq!(fingerprint(&dry).len(), 64, "{dry}");
    dev.app.stop().await
}

tests::on_both_backends!(
    a_dry_run_into_an_empty_workspace_plans_to_create_every_asset,
    super::empty_target_plans_creates
);

async fn dry_run_changes_nothing(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let before_dry_run = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    import(&dev.app, &dev.admin, "acme-prod", &archive, true, None).await?;
    let after_dry_run = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    assert_eq!(before_dry_run["recipes"], after_dry_run["recipes"]);
    assert_eq!(before_dry_run["connections"], json!([]));
    assert_eq!(after_dry_run["connections"], json!([]));
    assert_eq!(after_dry_run["connectors"], json!([]));
    dev.app.stop().await
}

tests::on_both_backends!(a_dry_run_changes_no_asset, super::dry_run_changes_nothing);

async fn changed_recipe_plans_one_update(backend: Backend) -> anyhow::Result<()> {
    let TwoRounds { dev, dry, .. } = arrange_two_rounds(backend).await?;
    assert_eq!(
        counts(&dry),
        json!({ "applicable": true, "noop": false, "creates": 0, "updates": 1, "unchanged": 3,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 1,
                "missingDependencies": 0 })
    );
    let updated = find(
        &dry["plan"]["detail"]["recipes"],
        "asset_id",
        &dev.assets.sync.1,
    )?;
    assert_eq!(updated["action"], "update");
    assert_eq!(
        updated["reasons"],
        json!([{ "code": "DESCRIPTION_CHANGED" }])
    );
    assert_eq!(
        dry["plan"]["detail"]["connections"][0]["credentials"],
        "keep_existing"
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    a_changed_recipe_is_planned_as_one_update_keeping_the_credentials_production_filled_in,
    super::changed_recipe_plans_one_update
);
