//! Exporting a connector's source is reading it: a custom role with `PACKAGE_EXPORT` but not
//! `CONNECTOR_VIEW_SOURCE` exports recipes whose connectors travel by reference, but not a
//! connector's source.

use super::*;

/// [`arrange_dev`] plus "finance/Invoices" using the closed-source `acme-erp` in `acme-dev`, and
/// the `release-engineer` there: the server and the release engineer's token.
async fn arrange_release_engineer(backend: Backend) -> anyhow::Result<(Dev, String)> {
    let dev = arrange_dev(backend).await?;
    let Dev {
        app, author, admin, ..
    } = &dev;
    closed_listing(app, author).await?;
    install_erp(app, admin, "acme-dev").await?;
    invoices(app, admin, "acme-dev").await?;
    let releaser = release_engineer(app, admin, "acme-dev").await?;
    Ok((dev, releaser))
}

/// The release engineer exports "finance": its closed-source connector goes by reference, so no
/// source is read and no permission is needed.
async fn export_by_reference(dev: &Dev, releaser: &str) -> anyhow::Result<()> {
    let input = json!({ "workspace": "acme-dev", "folders": ["finance"] });
    let by_reference = export(&dev.app, releaser, input).await?;
    assert_no_closed_source(&download(&dev.app, &dev.admin, &by_reference).await?)
}

async fn references_need_no_source(backend: Backend) -> anyhow::Result<()> {
    let (dev, releaser) = arrange_release_engineer(backend).await?;
    export_by_reference(&dev, &releaser).await?;
    dev.app.stop().await
}

tests::on_both_backends!(
    exporting_connectors_by_reference_needs_no_permission_to_read_source,
    super::references_need_no_source
);

async fn source_needs_view_source(backend: Backend) -> anyhow::Result<()> {
    let (dev, releaser) = arrange_release_engineer(backend).await?;
    let Dev { app, admin, .. } = &dev;
    export_by_reference(&dev, &releaser).await?;

    // The open-source one would carry its source: FORBIDDEN, the refusal audited, nothing else.
    let before = db_signature(app).await?;
    let body = app
        .graphql(
            Some(&releaser),
            EXPORT,
            json!({ "input": { "workspace": "acme-dev", "folders": ["sales"] } }),
        )
        .await?;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(body["data"], Value::Null, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(LISTING) && message.contains("connector.view_source"),
        "{message}"
    );
    assert_only_the_refusal_audited(app, &before).await?;
    let audit = app
        .data(Some(admin), AUDIT, json!({ "ws": "acme-dev" }))
        .await?;
    let denied = filtered(&audit["workspace"]["auditEvents"], |e| {
        e["outcome"] == "denied"
    });
    assert_eq!(denied.len(), 1, "{audit}");
    assert_eq!(denied[0]["action"], "connector.view_source", "{audit}");
    assert_eq!(denied[0]["objectType"], "workspace_connector", "{audit}");
    let history = app
        .data(
            Some(admin),
            "query($ws: String!) { workspace(slug: $ws) { packages { direction outcome } } }",
            json!({ "ws": "acme-dev" }),
        )
        .await?;
    assert_eq!(
        history["workspace"]["packages"],
        json!([{ "direction": "export", "outcome": "exported" }]),
        "only the export by reference is recorded"
    );
    dev.app.stop().await
}

tests::on_both_backends!(
    exporting_a_connectors_source_needs_connector_view_source_and_a_refusal_is_audited,
    super::source_needs_view_source
);
