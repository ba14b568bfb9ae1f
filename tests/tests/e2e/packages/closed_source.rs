//! A closed-source connector travels by catalog reference only, and resolves from the importing
//! server's catalog; a copy its owner edited locally travels not at all.

use super::*;
use crate::fixtures::ACME_ERP_1_1_0;

async fn travels_by_reference(backend: Backend) -> anyhow::Result<()> {
    let (app, _, archive) = arrange_closed_export(backend).await?;
    check_with_external_tools(&archive)?;
    let files = entries(&archive);
    assert_eq!(
        names_of(&files),
        [ERP_JSON, "finance/Invoices.recipe.json", "manifest.json"]
    );
    assert_no_closed_source(&archive)?;
    let sha = sha256_hex(ACME_ERP_1_1_0);
    let metadata: Value = serde_json::from_slice(&file_in(&files, ERP_JSON))?;
    assert_eq!(
        metadata,
        json!({ "name": "Acme ERP", "parent": { "listing": ERP, "version": "1.1.0" },
                "reference": { "listing": ERP, "sha256": sha, "version": "1.1.0" },
                "sha256": sha, "slug": ERP, "workspace_version": 1 })
    );
    app.stop().await
}

tests::on_both_backends!(
    a_closed_source_connector_travels_as_a_catalog_reference_without_its_source,
    super::travels_by_reference
);

async fn resolves_from_the_catalog(backend: Backend) -> anyhow::Result<()> {
    let (app, admin, archive) = arrange_closed_export(backend).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    let (dry, _) = plan_and_apply(&app, &admin, &archive).await?;
    assert_eq!(
        counts(&dry),
        json!({ "applicable": true, "noop": false, "creates": 2, "updates": 0, "unchanged": 0,
                "conflicts": 0, "connectionsNeedingCredentials": 0, "restarts": 0,
                "missingDependencies": 0 })
    );
    let step = &dry["plan"]["detail"]["connectors"][0];
    assert_eq!(step["action"], "create", "{dry}");
    assert_eq!(
        step["reasons"],
        json!([{ "code": "NOT_IN_TARGET" }]),
        "{dry}"
    );
    let prod = app
        .data(Some(&admin), CLOSED_STATE, json!({ "ws": "acme-prod" }))
        .await?;
    let sha = sha256_hex(ACME_ERP_1_1_0);
    assert_eq!(
        prod["workspace"]["connectors"],
        json!([{ "name": "Acme ERP", "listing": { "slug": ERP },
                 "parentVersion": { "version": "1.1.0" }, "latestNumber": 1, "releasedNumber": 1,
                 "released": { "number": 1, "sha256": sha, "origin": "IMPORTED" } }])
    );
    assert_eq!(prod["workspace"]["recipes"][0]["folder"], "finance");
    app.stop().await
}

tests::on_both_backends!(
    a_catalog_reference_resolves_from_the_importing_servers_catalog,
    super::resolves_from_the_catalog
);

async fn imported_source_stays_closed(backend: Backend) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    let (app, admin, archive) = arrange_closed_export(backend).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    plan_and_apply(&app, &admin, &archive).await?;
    let imported = entities::workspace_connector_version::Entity::find()
        .filter(entities::workspace_connector_version::Column::Origin.eq("imported"))
        .all(app.conn()?)
        .await?;
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].source, ACME_ERP_1_1_0);
    assert_eq!(sha256_hex(&imported[0].source), sha256_hex(ACME_ERP_1_1_0));
    let body = app
        .graphql(
            Some(&admin),
            "query($ws: String!) { workspace(slug: $ws) { connectors { released { source } } } }",
            json!({ "ws": "acme-prod" }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    app.stop().await
}

tests::on_both_backends!(
    an_imported_reference_holds_the_catalogs_source_which_the_importer_still_may_not_read,
    super::imported_source_stays_closed
);

async fn reference_again_is_a_noop(backend: Backend) -> anyhow::Result<()> {
    let (app, admin, archive) = arrange_closed_export(backend).await?;
    workspace(&app, &admin, "acme-prod", "PRODUCTION").await?;
    plan_and_apply(&app, &admin, &archive).await?;
    let before = db_signature(&app).await?;
    let again = import(&app, &admin, "acme-prod", &archive, false, None).await?;
    assert_eq!(again["plan"]["noop"], true, "{again}");
    assert_eq!(again["plan"]["unchanged"], 2, "{again}");
    assert_eq!(
        assets_written_since(&app, &before).await?,
        Vec::<String>::new(),
        "a no-op import wrote these"
    );
    app.stop().await
}

tests::on_both_backends!(
    applying_a_catalog_reference_again_writes_only_the_history_and_the_audit_log,
    super::reference_again_is_a_noop
);

/// A closed-source copy edited by its listing's owner is not a community version: it cannot
/// travel by reference, and its source may not travel at all.
async fn local_edits_refused(backend: Backend) -> anyhow::Result<()> {
    let app = TestApp::spawn(backend).await?;
    let author = app.user_with_token("ledgerline").await?;
    closed_listing(&app, &author).await?;
    workspace(&app, &author, "erp-lab", "DEVELOPMENT").await?;
    release_local_erp_edit(&app, &author, "erp-lab").await?;
    invoices(&app, &author, "erp-lab").await?;
    assert_export_refused(
        &app,
        &author,
        json!({ "workspace": "erp-lab", "folders": ["finance"] }),
        &[ERP, "closed source"],
    )
    .await?;
    app.stop().await
}

tests::on_both_backends!(
    a_closed_source_copy_its_owner_edited_cannot_be_exported,
    super::local_edits_refused
);
