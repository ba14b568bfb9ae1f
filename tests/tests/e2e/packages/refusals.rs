//! What cannot be exported or applied: a recipe using an unreleased connector, and a plan whose
//! target changed since the dry run.

use super::*;
use crate::fixtures::recipe_connector_source;
use crate::lifecycle::create_listing;

/// A second listing, `draft-board`, installed in `acme-dev` but never released, used by a recipe
/// (arranged in the database: the API refuses to save such a recipe in the first place); the
/// recipe's id.
async fn arrange_unreleased_recipe(dev: &Dev) -> anyhow::Result<String> {
    use sea_orm::ActiveModelTrait as _;
    use sea_orm::ActiveValue::Set;
    let Dev {
        app, author, admin, ..
    } = dev;
    create_listing(
        app,
        author,
        "draft-board",
        "Draft board",
        &recipe_connector_source("Draft"),
    )
    .await?;
    ok(
        app,
        admin,
        INSTALL,
        "installConnector",
        json!({ "workspace": "acme-dev", "connector": "draft-board" }),
    )
    .await?;
    let unreleased = entities::recipe::ActiveModel {
        workspace_id: Set(workspace_id(app, "acme-dev").await?),
        asset_id: Set("0b6d2f52-3c1e-4d7a-9f6b-1a2b3c4d5e99".to_owned()),
        folder: Set("drafts".to_owned()),
        name: Set("Unreleased".to_owned()),
        description: Set(String::new()),
        definition: Set(json!({
            "trigger": { "connector": "draft-board", "trigger": "new_item", "input": {} },
            "steps": []
        })),
        state: Set("stopped".to_owned()),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(app.conn()?)
    .await?;
    let id = api::graphql::ids::encode(api::graphql::ids::Kind::Recipe, unreleased.id);
    Ok(id.as_str().to_owned())
}

async fn unreleased_connector_refused(backend: Backend) -> anyhow::Result<()> {
    let dev = arrange_dev(backend).await?;
    let recipe_id = arrange_unreleased_recipe(&dev).await?;
    assert_export_refused(
        &dev.app,
        &dev.admin,
        json!({ "workspace": "acme-dev", "recipeIds": [recipe_id] }),
        &["draft-board", "no released version"],
    )
    .await?;
    dev.app.stop().await
}

tests::on_both_backends!(
    an_export_of_a_recipe_using_an_unreleased_connector_is_refused_and_writes_nothing,
    super::unreleased_connector_refused
);

async fn stale_fingerprint_refused(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let Dev { app, admin, .. } = &dev;
    let first = import(app, admin, "acme-prod", &archive, true, None).await?;
    let stale = fingerprint(&first);
    import(app, admin, "acme-prod", &archive, false, Some(&stale)).await?;
    let dry = import(app, admin, "acme-prod", &archive, true, None).await?;
    assert!(dry["plan"]["noop"] == true, "{dry}");
    // Production changes a recipe after the dry run.
    let prod_digest = recipe_id(app, admin, "acme-prod", &dev.assets.digest.1).await?;
    describe_recipe(app, admin, &prod_digest, "changed in production").await?;
    for fp in [fingerprint(&dry), stale] {
        let p = assert_apply_refused(
            app,
            admin,
            "a stale fingerprint",
            &archive,
            Some(&fp),
            "CONFLICT",
            "fingerprint",
        )
        .await?;
        assert_eq!(p["plan"], Value::Null, "{p}");
    }
    let prod = state_of(app, admin, "acme-prod").await?;
    assert_eq!(
        find(&prod["recipes"], "assetId", &dev.assets.digest.1)?["description"],
        "changed in production"
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    an_apply_with_a_fingerprint_from_before_the_target_changed_is_refused_and_writes_nothing,
    super::stale_fingerprint_refused
);
