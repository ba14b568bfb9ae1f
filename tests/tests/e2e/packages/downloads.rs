//! A stored archive leaves under today's rules for the source it carries: closed source in it is
//! refused to everyone, open source needs `CONNECTOR_VIEW_SOURCE`, references need nothing more
//! than `PACKAGE_EXPORT`.

use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, EntityTrait as _, QueryOrder as _};

use super::*;
use crate::fixtures::{ACME_ERP_1_1_0, ACME_ERP_DISTINCTIVE_LINE};

/// GET a package's `downloadPath` with the bearer token: the status and the body as JSON (a
/// refusal's GraphQL-shaped error), or the size of a body that is not JSON.
async fn download_refusal(
    app: &TestApp,
    token: &str,
    package: &Value,
) -> anyhow::Result<(u16, Value)> {
    let resp = get_archive(app, token, package).await?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await?;
    // An archive handed out is no JSON: say so, and let the status assertion tell the story.
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "not_json_bytes": bytes.len() }));
    Ok((status, body))
}

/// The download of `package` by `token` is refused with 403 `FORBIDDEN` and a message holding
/// every one of `words`; the only row written is one denied `connector.view_source` audit event
/// on the package, in its workspace, by the user `actor`.
async fn assert_download_refused(
    app: &TestApp,
    token: &str,
    actor: &str,
    package: &Value,
    words: &[&str],
) -> anyhow::Result<()> {
    let before = db_signature(app).await?;
    let (status, body) = download_refusal(app, token, package).await?;
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "{word:?} not in {message:?}");
    }
    assert_only_the_refusal_audited(app, &before).await?;
    let db = app.conn()?;
    let event = entities::audit_event::Entity::find()
        .order_by_desc(entities::audit_event::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no audit event"))?;
    let record = entities::package::Entity::find()
        .order_by_desc(entities::package::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .find(|r| {
            Some(format!("/packages/{}/archive", r.id).as_str()) == package["downloadPath"].as_str()
        })
        .ok_or_else(|| anyhow::anyhow!("no record for {package}"))?;
    let user = entities::user::Entity::find_by_id(event.actor_id.unwrap_or_default())
        .one(db)
        .await?
        .map(|u| u.handle);
    assert_eq!(
        (
            event.action.as_str(),
            event.object_type.as_str(),
            event.object_id.as_str(),
            event.outcome.as_str(),
            event.workspace_id,
            user.as_deref(),
        ),
        (
            "connector.view_source",
            "package",
            record.package_id.as_str(),
            "denied",
            Some(record.workspace_id),
            Some(actor),
        ),
        "{event:?}"
    );
    Ok(())
}

/// The one export recorded in `ws`, as the schema shows it.
async fn only_export(app: &TestApp, token: &str, ws: &str) -> anyhow::Result<Value> {
    let state = app
        .data(
            Some(token),
            "query($ws: String!) { workspace(slug: $ws) { packages { direction downloadPath } } }",
            json!({ "ws": ws }),
        )
        .await?;
    let exports = filtered(&state["workspace"]["packages"], |p| {
        p["direction"] == "export"
    });
    anyhow::ensure!(exports.len() == 1, "{state}");
    Ok(exports[0].clone())
}

/// What the exporter wrote before closed-source connectors travelled by reference: the package
/// `by_reference` with the closed source in it.
fn exported_before_the_fix(by_reference: &[u8]) -> anyhow::Result<Vec<u8>> {
    let pre_fix = rebuilt(&read(by_reference)?, |input| {
        input.connectors[0].content = packager::ConnectorContent::Source(ACME_ERP_1_1_0.to_owned());
    })?;
    anyhow::ensure!(
        entries(&pre_fix)
            .iter()
            .any(|(name, data)| name.ends_with("connector.js")
                && String::from_utf8_lossy(data).contains(ACME_ERP_DISTINCTIVE_LINE)),
        "the simulated archive must carry the closed source"
    );
    Ok(pre_fix)
}

/// Replace the archive stored for the one export recorded (by `admin`) with `archive`.
async fn store_as_the_export(app: &TestApp, archive: Vec<u8>) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let db = app.conn()?;
    let stored = entities::package::Entity::find()
        .filter(entities::package::Column::Direction.eq("export"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no export recorded"))?;
    let mut active: entities::package::ActiveModel = stored.into();
    active.sha256 = Set(sha256_hex_bytes(&archive));
    active.size = Set(i64::try_from(archive.len())?);
    active.archive = Set(Some(archive));
    active.update(db).await?;
    Ok(())
}

/// An archive exported before closed-source connectors travelled by reference carries the
/// closed source: it is refused to everyone, the workspace admin too, until exported again.
async fn closed_source_exported_before_the_fix(backend: Backend) -> anyhow::Result<()> {
    let (app, admin, by_reference) = arrange_closed_export(backend).await?;
    let pre_fix = exported_before_the_fix(&by_reference)?;
    let exported = only_export(&app, &admin, "acme-dev").await?;
    store_as_the_export(&app, pre_fix).await?;
    let words = [ERP, "closed source", "export"];
    assert_download_refused(&app, &admin, "admin", &exported, &words).await?;

    // Exported again, the connector travels by reference and the archive downloads.
    let (_, again) = export_folders(&app, &admin, &["finance"]).await?;
    assert_eq!(again, by_reference);
    app.stop().await
}

tests::on_both_backends!(
    an_archive_carrying_closed_source_from_before_the_fix_is_refused_to_everyone,
    super::closed_source_exported_before_the_fix
);

/// An archive carrying the source of a listing that was open at export and is closed source now
/// is refused to everyone.
async fn source_closed_since_export(backend: Backend) -> anyhow::Result<()> {
    let dev = arrange_dev(backend).await?;
    let Dev {
        app, author, admin, ..
    } = &dev;
    let (exported, archive) = export_folders(app, admin, &["sales"]).await?;
    anyhow::ensure!(
        entries(&archive)
            .iter()
            .any(|(_, data)| data == dev.assets.released_source.as_bytes()),
        "the archive must carry the open source"
    );
    let closed = ok(
        app,
        author,
        crate::fixtures::UPDATE_CONNECTOR,
        "updateConnector",
        json!({ "slug": LISTING, "sourceHidden": true }),
    )
    .await?;
    anyhow::ensure!(closed["connector"]["slug"] == LISTING, "{closed}");
    let words = [LISTING, "closed source", "export"];
    assert_download_refused(app, admin, "admin", &exported, &words).await?;
    dev.app.stop().await
}

tests::on_both_backends!(
    an_archive_carrying_source_closed_since_the_export_is_refused_to_everyone,
    super::source_closed_since_export
);

/// Downloading an archive that carries open source is reading that source: a role with
/// `PACKAGE_EXPORT` but not `CONNECTOR_VIEW_SOURCE` is refused the admin's export, which the
/// admin downloads.
async fn open_source_needs_view_source(backend: Backend) -> anyhow::Result<()> {
    let dev = arrange_dev(backend).await?;
    let Dev { app, admin, .. } = &dev;
    let input = json!({ "workspace": "acme-dev", "folders": ["sales"] });
    let exported = export(app, admin, input).await?;
    let releaser = release_engineer(app, admin, "acme-dev").await?;
    let words = [LISTING, "connector.view_source"];
    assert_download_refused(app, &releaser, "releaser", &exported, &words).await?;

    let source = file_in(
        &entries(&download(app, admin, &exported).await?),
        &format!("connectors/{LISTING}/connector.js"),
    );
    assert_eq!(source, dev.assets.released_source.as_bytes());
    dev.app.stop().await
}

tests::on_both_backends!(
    downloading_open_source_needs_connector_view_source,
    super::open_source_needs_view_source
);

/// An archive whose connectors all travel by reference carries no source: `PACKAGE_EXPORT` is
/// enough to download it, and the download writes nothing.
async fn by_reference_needs_only_export(backend: Backend) -> anyhow::Result<()> {
    let (app, admin, by_reference) = arrange_closed_export(backend).await?;
    let exported = only_export(&app, &admin, "acme-dev").await?;
    let releaser = release_engineer(&app, &admin, "acme-dev").await?;

    let before = db_signature(&app).await?;
    let archive = download(&app, &releaser, &exported).await?;
    assert_eq!(archive, by_reference);
    assert_no_closed_source(&archive)?;
    assert_eq!(
        written_since(&app, &before).await?,
        Vec::<String>::new(),
        "a download wrote something"
    );
    app.stop().await
}

tests::on_both_backends!(
    downloading_references_needs_only_package_export_and_writes_nothing,
    super::by_reference_needs_only_export
);
