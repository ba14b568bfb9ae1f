//! The story the rule tests arrange from: development exports its "sales" folder, production
//! plans and applies it, fills in its own credentials and runs a recipe; development changes a
//! recipe and exports again, production applies that too, then applies the same package again.
//! One smoke test walks it to the end.

use super::*;

/// Production after the first round: the sync recipe has production's own secret and runs.
pub(super) async fn production_takes_over(dev: &Dev) -> anyhow::Result<()> {
    let Dev { app, admin, .. } = dev;
    let ids = app
        .data(
            Some(admin),
            "query($ws: String!) { workspace(slug: $ws) { connections { id } } }",
            json!({ "ws": "acme-prod" }),
        )
        .await?;
    let filled = ok(
        app,
        admin,
        UPDATE_CONNECTION,
        "updateConnection",
        json!({ "connectionId": ids["workspace"]["connections"][0]["id"],
                "values": { "api_key": PROD_SECRET } }),
    )
    .await?;
    assert_eq!(filled["connection"]["secretsSet"], json!(["api_key"]));
    let prod_sync_id = recipe_id(app, admin, "acme-prod", &dev.assets.sync.1).await?;
    start_recipe(app, admin, &prod_sync_id).await
}

/// Development gives "Sync leads" a new description and exports "sales" again.
pub(super) async fn development_changes_a_recipe(dev: &Dev) -> anyhow::Result<(Value, Vec<u8>)> {
    let description = "Sync leads, now with a better description";
    describe_recipe(&dev.app, &dev.admin, &dev.assets.sync.0, description).await?;
    export_folders(&dev.app, &dev.admin, &["sales"]).await
}

/// `acme-dev`'s recipes as [`recipes_of`] lists them, but for "ops/Cleanup": what exporting
/// "sales" carries.
pub(super) async fn development_sales(dev: &Dev) -> anyhow::Result<Vec<Value>> {
    let state = state_of(&dev.app, &dev.admin, "acme-dev").await?;
    Ok(recipes_of(&state)
        .into_iter()
        .filter(|r| r[0] != dev.assets.cleanup.1.as_str())
        .collect())
}

/// The story through its second round.
pub(super) struct TwoRounds {
    pub dev: Dev,
    /// The first and the second export.
    pub first: Value,
    pub second: Value,
    pub second_archive: Vec<u8>,
    /// Production's state after the first apply.
    pub prod_after_first: Value,
    /// The second round's dry run and apply.
    pub dry: Value,
    pub applied: Value,
}

/// [`arrange_sales_export`], applied; production takes over; development changes a recipe and
/// exports again; production plans and applies that.
pub(super) async fn arrange_two_rounds(backend: Backend) -> anyhow::Result<TwoRounds> {
    let (dev, first, archive) = arrange_sales_export(backend).await?;
    plan_and_apply(&dev.app, &dev.admin, &archive).await?;
    let prod_after_first = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    production_takes_over(&dev).await?;
    let (second, second_archive) = development_changes_a_recipe(&dev).await?;
    let (dry, applied) = plan_and_apply(&dev.app, &dev.admin, &second_archive).await?;
    Ok(TwoRounds {
        dev,
        first,
        second,
        second_archive,
        prod_after_first,
        dry,
        applied,
    })
}

/// The second package applied once more, without a dry run: the payload, and the tables it wrote
/// but for the history and the audit log.
pub(super) async fn apply_again(rounds: &TwoRounds) -> anyhow::Result<(Value, Vec<String>)> {
    let TwoRounds { dev, .. } = rounds;
    let before = db_signature(&dev.app).await?;
    let archive = &rounds.second_archive;
    let again = import(&dev.app, &dev.admin, "acme-prod", archive, false, None).await?;
    let written = assets_written_since(&dev.app, &before).await?;
    Ok((again, written))
}

/// The whole story, end to end: production ends with development's "sales" recipes, and the last
/// import is a no-op.
async fn development_to_production_and_again(backend: Backend) -> anyhow::Result<()> {
    let rounds = arrange_two_rounds(backend).await?;
    let (again, written) = apply_again(&rounds).await?;
    let TwoRounds { dev, .. } = rounds;
    let prod = state_of(&dev.app, &dev.admin, "acme-prod").await?;
    assert_eq!(recipes_of(&prod), development_sales(&dev).await?);
    assert_eq!(again["plan"]["noop"], true, "{again}");
    assert_eq!(written, Vec::<String>::new());
    dev.app.stop().await
}

tests::on_both_backends!(
    a_folder_goes_from_development_to_production_and_again,
    super::development_to_production_and_again
);
