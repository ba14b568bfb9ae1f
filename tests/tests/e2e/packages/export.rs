//! What an export holds, checked in the downloaded archive, and that exports are deterministic.

use super::*;

async fn folder_export_holds_its_recipes_connector_and_connection(
    backend: Backend,
) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    assert_eq!(
        names_of(&entries(&archive)),
        [
            "connectors/tracker/connector.js",
            "connectors/tracker/connector.json",
            "manifest.json",
            "sales/Digest.recipe.json",
            "sales/leads/Sync leads.recipe.json",
            "shared/Tracker.connection.json",
        ]
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    an_export_of_a_folder_holds_its_recipes_their_connector_and_connection,
    super::folder_export_holds_its_recipes_connector_and_connection
);

async fn download_is_the_recorded_archive(backend: Backend) -> anyhow::Result<()> {
    let (dev, exported, archive) = arrange_sales_export(backend).await?;
    assert_eq!(exported["sha256"], sha256_hex_bytes(&archive));
    assert_eq!(exported["size"], archive.len());
    check_with_external_tools(&archive)?;
    dev.app.stop().await
}

tests::on_both_backends!(
    the_download_is_the_recorded_archive_and_other_zip_readers_accept_it,
    super::download_is_the_recorded_archive
);

async fn connection_travels_without_secrets(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let files = entries(&archive);
    for (name, data) in &files {
        assert!(
            !String::from_utf8_lossy(data).contains(DEV_SECRET),
            "the secret leaked into {name}"
        );
    }
    let connection_file: Value =
        serde_json::from_slice(&file_in(&files, "shared/Tracker.connection.json"))?;
    assert_eq!(
        connection_file,
        json!({ "asset_id": dev.assets.connection_asset(), "connector": LISTING,
                "fields": { "region": "eu-west" }, "folder": "shared", "name": "Tracker" })
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    no_secret_travels_and_a_connection_travels_as_its_other_fields,
    super::connection_travels_without_secrets
);

async fn connector_travels_as_released(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let source_in_package = file_in(&entries(&archive), "connectors/tracker/connector.js");
    assert_eq!(source_in_package, dev.assets.released_source.as_bytes());
    let package = read(&archive)?;
    assert_eq!(package.connectors.len(), 1);
    assert_eq!(package.connectors[0].sha256, dev.assets.released_sha256);
    assert_eq!(package.connectors[0].workspace_version, 2);
    assert_eq!(
        package.connectors[0]
            .parent
            .as_ref()
            .map(|p| (p.listing.as_str(), p.version.as_str())),
        Some((LISTING, "1.0.0"))
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    a_connector_travels_as_its_released_version_with_its_lineage,
    super::connector_travels_as_released
);

async fn manifest_names_its_origin(backend: Backend) -> anyhow::Result<()> {
    let (dev, _, archive) = arrange_sales_export(backend).await?;
    let package = read(&archive)?;
    assert_eq!(package.manifest.source.workspace, "acme-dev");
    assert_eq!(package.manifest.exporter, "admin");
    dev.app.stop().await
}

tests::on_both_backends!(
    the_manifest_names_the_source_workspace_and_the_exporter,
    super::manifest_names_its_origin
);

// ---- Determinism. ----

async fn unchanged_exports_are_the_same_bytes(backend: Backend) -> anyhow::Result<()> {
    let Dev { app, admin, .. } = arrange_dev(backend).await?;
    let (first, a) = export_folders(&app, &admin, &[""]).await?;
    let (second, b) = export_folders(&app, &admin, &[""]).await?;
    assert_ne!(first["downloadPath"], second["downloadPath"], "two records");
    assert!(a == b, "two exports of unchanged assets differ");
    assert_eq!(first["packageId"], second["packageId"]);
    assert_eq!(first["sha256"], second["sha256"]);
    app.stop().await
}

tests::on_both_backends!(
    two_exports_of_unchanged_assets_are_two_records_of_the_same_bytes,
    super::unchanged_exports_are_the_same_bytes
);

async fn by_id_is_by_folder(backend: Backend) -> anyhow::Result<()> {
    let Dev {
        app, admin, assets, ..
    } = arrange_dev(backend).await?;
    let (_, a) = export_folders(&app, &admin, &[""]).await?;
    let ids = [&assets.cleanup.0, &assets.digest.0, &assets.sync.0];
    let by_id = export(
        &app,
        &admin,
        json!({ "workspace": "acme-dev", "recipeIds": ids }),
    )
    .await?;
    assert!(
        download(&app, &admin, &by_id).await? == a,
        "by id and by folder differ"
    );
    assert_eq!(entries(&a).len(), 7);
    app.stop().await
}

tests::on_both_backends!(
    selecting_recipes_by_id_gives_the_bytes_of_selecting_their_folders,
    super::by_id_is_by_folder
);

async fn changed_export_is_a_new_package(backend: Backend) -> anyhow::Result<()> {
    let (dev, first, _) = arrange_sales_export(backend).await?;
    let (second, _) = development_changes_a_recipe(&dev).await?;
    assert_ne!(second["packageId"], first["packageId"]);
    dev.app.stop().await
}

tests::on_both_backends!(
    an_export_after_a_change_is_a_new_package,
    super::changed_export_is_a_new_package
);
